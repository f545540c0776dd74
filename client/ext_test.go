package client

import (
	"reflect"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// EHLO replies of real servers, from /work/shared/mta/transcripts.
const (
	postfixEHLO = "250-postfix.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n" +
		"250-AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n"
	eximEHLO = "250-exim.example.test Hello vm [127.0.0.1]\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n250-PIPELINING\r\n250-PIPECONNECT\r\n" +
		"250-AUTH PLAIN LOGIN CRAM-MD5\r\n250-CHUNKING\r\n250-STARTTLS\r\n250-SMTPUTF8\r\n250 HELP\r\n"
	gosmtpEHLO = "250-Hello vm\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n250-STARTTLS\r\n" +
		"250-AUTH PLAIN LOGIN\r\n250-SIZE 10485760\r\n250 LIMITS RCPTMAX=50\r\n"
	sinkEHLO = "250-sink.example.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250-XCLIENT NAME HELO\r\n" +
		"250-XFORWARD NAME ADDR PROTO HELO\r\n250-ENHANCEDSTATUSCODES\r\n250-DSN\r\n250 \r\n"
)

func parseEHLO(t *testing.T, wire string) Extensions {
	t.Helper()
	r, err := reply.Parse([]byte(wire), nil)
	if err != nil {
		t.Fatalf("reply.Parse(%q) = %v", wire, err)
	}
	return parseExtensions(&r)
}

func TestExtensionsRealServers(t *testing.T) {
	type view struct {
		names                                  []string
		size                                   int64
		auth                                   []string
		pipe, chunk, bin, eight, utf8, dsn     bool
		enhanced, requireTLS, startTLS, limits bool
		lim                                    ServerLimits
	}
	tests := []struct {
		name, wire string
		want       view
	}{
		{"postfix", postfixEHLO, view{
			names: []string{"PIPELINING", "SIZE", "VRFY", "ETRN", "STARTTLS", "AUTH", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING"},
			size:  10240000, auth: []string{"PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5"},
			pipe: true, chunk: true, eight: true, utf8: true, dsn: true, enhanced: true, startTLS: true,
		}},
		{"exim", eximEHLO, view{
			names: []string{"SIZE", "8BITMIME", "PIPELINING", "PIPECONNECT", "AUTH", "CHUNKING", "STARTTLS", "SMTPUTF8", "HELP"},
			size:  10485760, auth: []string{"PLAIN", "LOGIN", "CRAM-MD5"},
			pipe: true, chunk: true, eight: true, utf8: true, startTLS: true,
		}},
		{"go-smtp", gosmtpEHLO, view{
			names: []string{"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "CHUNKING", "STARTTLS", "AUTH", "SIZE", "LIMITS"},
			size:  10485760, auth: []string{"PLAIN", "LOGIN"},
			pipe: true, chunk: true, eight: true, enhanced: true, startTLS: true, limits: true, lim: ServerLimits{RcptMax: 50},
		}},
		{"smtp-sink, empty last line", sinkEHLO, view{
			names: []string{"PIPELINING", "8BITMIME", "AUTH", "XCLIENT", "XFORWARD", "ENHANCEDSTATUSCODES", "DSN"},
			auth:  []string{"PLAIN", "LOGIN"},
			pipe:  true, eight: true, dsn: true, enhanced: true,
		}},
	}
	for _, tt := range tests {
		e := parseEHLO(t, tt.wire)
		size, _ := e.Size()
		lim, limOK := e.Limits()
		got := view{
			names: e.Names(), size: size, auth: e.AuthMechanisms(),
			pipe: e.Pipelining(), chunk: e.Chunking(), bin: e.BinaryMIME(), eight: e.EightBitMIME(),
			utf8: e.SMTPUTF8(), dsn: e.DSN(), enhanced: e.EnhancedStatusCodes(), requireTLS: e.RequireTLS(),
			startTLS: e.StartTLS(), limits: limOK, lim: lim,
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: view = %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}

func TestExtensionsEdgeCases(t *testing.T) {
	e := parseEHLO(t, "250-mx\r\n250-size\r\n250-Auth=LOGIN\r\n250-AUTH PLAIN LOGIN\r\n250-LIMITS MAILMAX=10 RCPTMAX=abc RCPTDOMAINMAX=5 FUTURE=1 RCPTMAX=1234567\r\n250-BAD_KEYWORD x\r\n250 -dash\r\n")
	if n, ok := e.Size(); n != 0 || !ok {
		t.Errorf("Size() for bare 'size' = %d, %v; want 0 (no fixed limit), true", n, ok)
	}
	if got := strings.Join(e.AuthMechanisms(), " "); got != "LOGIN PLAIN" {
		t.Errorf("AuthMechanisms() merging AUTH= and AUTH = %q, want %q", got, "LOGIN PLAIN")
	}
	if lim, ok := e.Limits(); !ok || lim != (ServerLimits{MailMax: 10, RcptDomainMax: 5}) {
		t.Errorf("Limits() = %+v, %v; want MAILMAX 10, RCPTDOMAINMAX 5 and bad values ignored", lim, ok)
	}
	if e.Has("BAD_KEYWORD") || e.Has("-dash") {
		t.Errorf("invalid keywords kept: %v", e.Names())
	}
	if !e.Has("Size") || !e.Has("auth") {
		t.Errorf("Has is case-sensitive: %v", e.Names())
	}
	var zero Extensions
	if zero.Has("SIZE") || len(zero.Names()) != 0 {
		t.Error("zero Extensions is not empty")
	}
	if _, ok := zero.Size(); ok {
		t.Error("zero Extensions has SIZE")
	}
	if one := parseEHLO(t, "250 mx.example.test\r\n"); len(one.Names()) != 0 {
		t.Errorf("single-line EHLO reply: Names() = %v, want none", one.Names())
	}
}

func TestTypedStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{TLSDefault.String(), "default"},
		{TLSStartTLS.String(), "STARTTLS"},
		{TLSMode(99).String(), "TLSMode(99)"},
		{Body8BitMIME.String(), "8BITMIME"},
		{Body(0).String(), ""},
		{DSNReturnHeaders.String(), "HDRS"},
		{(DSNNotifySuccess | DSNNotifyDelay | DSNNotifyFailure).String(), "SUCCESS,FAILURE,DELAY"},
		{DSNNotifyNever.String(), "NEVER"},
		{DSNNotify(0).String(), ""},
		{TLSReasonRefused.String(), "STARTTLS refused by the server"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("String() = %q, want %q", tt.got, tt.want)
		}
	}
}
