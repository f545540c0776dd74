package sasl_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/seed-e4e66a4f/smtp/sasl"
	"github.com/xdg-go/scram"
)

var scramCases = []struct {
	name string
	hash scram.HashGeneratorFcn
	mech func(user, pass string) sasl.Mechanism
}{
	{"SCRAM-SHA-1", scram.SHA1, sasl.SCRAMSHA1},
	{"SCRAM-SHA-256", scram.SHA256, sasl.SCRAMSHA256},
}

func TestSCRAMAgainstXDGServer(t *testing.T) {
	for _, tc := range scramCases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newSCRAMServer(t, tc.hash, "user@example.test", "secret", 4096)
			m := tc.mech("user@example.test", "secret")
			// Twice with the same mechanism: the second run uses the
			// cached keys and a new conversation.
			for range 2 {
				ss := &scramServer{conv: srv.NewConversation()}
				o := runAuth(t, start(t, m, nil), ss)
				if !o.success || o.err != nil {
					t.Fatalf("exchange %q: success %v, err %v, server error %v", o.lines, o.success, o.err, ss.lastErr)
				}
				// The shape Dovecot shows (README section F): AUTH with the
				// initial response, 334 server-first, proof, 334 v=, an
				// empty line, 235.
				if len(o.lines) != 6 || !strings.HasPrefix(o.lines[0], "C: AUTH "+tc.name+" biws") ||
					!strings.HasPrefix(string(decodeResponse(t, o.lines[3][len("S: 334 "):])), "v=") || o.lines[4] != "C: " {
					t.Errorf("exchange shape %q", o.lines)
				}
				if !ss.conv.Valid() {
					t.Error("server conversation not valid")
				}
			}
		})
	}
}

func TestSCRAMConcurrentUse(t *testing.T) {
	// One mechanism value (as kept in client options) serves parallel
	// connections; run with -race.
	srv := newSCRAMServer(t, scram.SHA256, "u", "p", 4096)
	m := sasl.Password("u", "p")[1]
	if m.Name() != "SCRAM-SHA-256" {
		t.Fatalf("Password()[1] is %s", m.Name())
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			conv, err := m.Start(context.Background(), nil)
			if err != nil {
				t.Error(err)
				return
			}
			o := runAuth(t, conv, &scramServer{conv: srv.NewConversation()})
			if !o.success || o.err != nil {
				t.Errorf("parallel exchange %d: %q, %v", i, o.lines, o.err)
			}
		})
	}
	wg.Wait()
}

func TestSCRAMWrongPassword(t *testing.T) {
	for _, tc := range scramCases {
		srv := newSCRAMServer(t, tc.hash, "user@example.test", "secret", 4096)
		ss := &scramServer{conv: srv.NewConversation()}
		o := runAuth(t, start(t, tc.mech("user@example.test", "wrong"), nil), ss)
		if o.success || o.err != nil || len(o.lines) != 4 || o.lines[3] != "S: 535 5.7.8 authentication failed" {
			t.Errorf("%s with a wrong password: lines %q, success %v, err %v; want 535 after the proof",
				tc.name, o.lines, o.success, o.err)
		}
		if ss.lastErr == nil || ss.conv.Valid() {
			t.Errorf("%s: server accepted a wrong password", tc.name)
		}
	}
}

func TestSCRAMServerSignature(t *testing.T) {
	for _, tc := range scramCases {
		srv := newSCRAMServer(t, tc.hash, "u", "p", 4096)

		// A server that does not know the password (an impostor relaying
		// the proof) cannot compute v=.
		tamper := func(s string) string {
			sig, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "v="))
			sig[0] ^= 1
			return "v=" + base64.StdEncoding.EncodeToString(sig)
		}
		o := runAuth(t, start(t, tc.mech("u", "p"), nil), &scramServer{conv: srv.NewConversation(), tamper: tamper})
		if !errors.Is(o.err, sasl.ErrServerSignature) || o.lines[len(o.lines)-2] != "C: *" {
			t.Errorf("%s with a wrong server signature: lines %q, err %v; want cancel and ErrServerSignature", tc.name, o.lines, o.err)
		}

		// 235 without v=: the server never proved itself.
		o = runAuth(t, start(t, tc.mech("u", "p"), nil), &scramServer{conv: srv.NewConversation(), skipFinal: true})
		if !o.success || !errors.Is(o.err, sasl.ErrIncomplete) {
			t.Errorf("%s with 235 before v=: success %v, err %v; want Finish(true) = ErrIncomplete", tc.name, o.success, o.err)
		}

		// The server reports an error in the final message.
		o = runAuth(t, start(t, tc.mech("u", "p"), nil), &scramServer{conv: srv.NewConversation(), tamper: func(string) string { return "e=invalid-proof" }})
		if !errors.Is(o.err, sasl.ErrServerFailure) || !strings.Contains(o.err.Error(), `"invalid-proof"`) {
			t.Errorf("%s with e=invalid-proof: err %v, want ErrServerFailure naming it", tc.name, o.err)
		}

		for _, final := range []string{"", "v=", "v=!!", "x=abc", "v=abc,"} {
			o = runAuth(t, start(t, tc.mech("u", "p"), nil), &scramServer{conv: srv.NewConversation(), tamper: func(string) string { return final }})
			if !errors.Is(o.err, sasl.ErrMalformedChallenge) && !errors.Is(o.err, sasl.ErrServerSignature) {
				t.Errorf("%s with server-final %q: err %v, want ErrMalformedChallenge or ErrServerSignature", tc.name, final, o.err)
			}
		}
	}
}

func TestSCRAMIterationCount(t *testing.T) {
	srv := newSCRAMServer(t, scram.SHA256, "u", "p", 1024)
	o := runAuth(t, start(t, sasl.SCRAMSHA256("u", "p"), nil), &scramServer{conv: srv.NewConversation()})
	if !errors.Is(o.err, sasl.ErrIterationCount) || o.lines[len(o.lines)-2] != "C: *" {
		t.Errorf("1024 iterations: lines %q, err %v; want cancel with ErrIterationCount", o.lines, o.err)
	}
}

func TestSCRAMServerFirstErrors(t *testing.T) {
	conv := start(t, sasl.SCRAMSHA256("u", "p"), nil)
	_, ir, err := conv.Start()
	if err != nil {
		t.Fatal(err)
	}
	nonce := string(ir[strings.LastIndex(string(ir), "r=")+2:])
	tests := []struct {
		msg  string
		want error
	}{
		{"", sasl.ErrMalformedChallenge},
		{"r=" + nonce + "x,s=c2FsdA==", sasl.ErrMalformedChallenge},
		{"m=ext,r=" + nonce + "x,s=c2FsdA==,i=4096", sasl.ErrMalformedChallenge},
		{"r=other,s=c2FsdA==,i=4096", sasl.ErrMalformedChallenge},
		{"r=" + nonce + ",s=c2FsdA==,i=4096", sasl.ErrMalformedChallenge}, // nonce not extended
		{"r=" + nonce + "x,s=***,i=4096", sasl.ErrMalformedChallenge},
		{"r=" + nonce + "x,s=,i=4096", sasl.ErrMalformedChallenge},
		{"r=" + nonce + "x,s=c2FsdA==,i=+4096", sasl.ErrMalformedChallenge},
		{"r=" + nonce + "x,s=c2FsdA==,i=lots", sasl.ErrMalformedChallenge},
		{"r=" + nonce + "x\x7f,s=c2FsdA==,i=4096", sasl.ErrMalformedChallenge},
		{"r=" + nonce + "x,s=c2FsdA==,i=4095", sasl.ErrIterationCount},
		{"r=" + nonce + "x,s=c2FsdA==,i=2000001", sasl.ErrIterationCount},
		{"r=" + nonce + "x,s=c2FsdA==,i=-1", sasl.ErrMalformedChallenge},
	}
	for _, tt := range tests {
		conv := start(t, sasl.SCRAMSHA256("u", "p"), nil)
		// A fresh conversation has a fresh nonce: splice it in.
		_, ir, _ := conv.Start()
		fresh := string(ir[strings.LastIndex(string(ir), "r=")+2:])
		msg := strings.ReplaceAll(tt.msg, nonce, fresh)
		if _, err := conv.Next([]byte(msg)); !errors.Is(err, tt.want) {
			t.Errorf("Next(%q) = %v, want %v", tt.msg, err, tt.want)
		}
		if _, err := conv.Next([]byte("v=abcd")); !errors.Is(err, sasl.ErrUnexpectedChallenge) {
			t.Errorf("Next after a failed step = %v, want ErrUnexpectedChallenge", err)
		}
	}
}

func TestSCRAMInvalidCredentials(t *testing.T) {
	// SASLprep (RFC 4013) prohibits control characters.
	_, err := sasl.SCRAMSHA256("u", "s3cr\x07et").Start(context.Background(), nil)
	if !errors.Is(err, sasl.ErrInvalidCredentials) {
		t.Fatalf("SASLprep-invalid password: %v, want ErrInvalidCredentials", err)
	}
	if strings.Contains(err.Error(), "s3cr") {
		t.Errorf("error %q shows the password", err)
	}
}

// TestSCRAMPlus runs SCRAM-SHA-256-PLUS over real TLS connections with the
// server computing the tls-exporter binding from its side.
func TestSCRAMPlus(t *testing.T) {
	for _, v := range []struct {
		name string
		max  uint16
	}{{"TLS1.3", tls.VersionTLS13}, {"TLS1.2+EMS", tls.VersionTLS12}} {
		t.Run(v.name, func(t *testing.T) {
			cs, ss := tlsPair(t, v.max)
			srv := newSCRAMServer(t, scram.SHA256, "u", "p", 4096)
			cb, err := scram.NewTLSExporterBinding(&ss)
			if err != nil {
				t.Fatal(err)
			}
			sess := &sasl.Session{TLS: &cs, VerifiedTLS: true, Offered: []string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}}
			server := &scramServer{conv: srv.NewConversationWithChannelBindingRequired(cb)}
			o := runAuth(t, start(t, sasl.SCRAMSHA256Plus("u", "p"), sess), server)
			if !o.success || o.err != nil {
				t.Fatalf("SCRAM-SHA-256-PLUS: lines %q, err %v, server error %v", o.lines, o.err, server.lastErr)
			}
			ir, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(o.lines[0], "C: AUTH SCRAM-SHA-256-PLUS "))
			if !strings.HasPrefix(string(ir), "p=tls-exporter,,") {
				t.Errorf("client-first %q, want GS2 header p=tls-exporter,,", ir)
			}
		})
	}
}

func TestSCRAMPlusDetectsRelay(t *testing.T) {
	// The client's TLS connection ends at a man in the middle, who relays
	// the exchange over his own TLS connection to the real server: the
	// exporters differ and the server refuses.
	clientSide, _ := tlsPair(t, tls.VersionTLS13)
	_, serverSide := tlsPair(t, tls.VersionTLS13)
	cb, err := scram.NewTLSExporterBinding(&serverSide)
	if err != nil {
		t.Fatal(err)
	}
	srv := newSCRAMServer(t, scram.SHA256, "u", "p", 4096)
	server := &scramServer{conv: srv.NewConversationWithChannelBindingRequired(cb)}
	sess := &sasl.Session{TLS: &clientSide, Offered: []string{"SCRAM-SHA-256-PLUS"}}
	o := runAuth(t, start(t, sasl.SCRAMSHA256Plus("u", "p"), sess), server)
	if o.success || server.lastErr == nil || !strings.Contains(server.lastErr.Error(), "channel binding mismatch") {
		t.Errorf("relayed exchange: lines %q, success %v, server error %v; want a channel binding mismatch", o.lines, o.success, server.lastErr)
	}
}

func TestSCRAMPlusUnavailable(t *testing.T) {
	cs, _ := tlsPair(t, tls.VersionTLS13)
	incomplete := cs
	incomplete.HandshakeComplete = false
	// A state built by hand has no exporter.
	fake := &tls.ConnectionState{HandshakeComplete: true, Version: tls.VersionTLS13}
	for _, s := range []*sasl.Session{nil, {}, {TLS: &incomplete}, {TLS: fake}} {
		_, err := sasl.SCRAMSHA256Plus("u", "p").Start(context.Background(), s)
		if !errors.Is(err, sasl.ErrChannelBinding) {
			t.Errorf("SCRAM-SHA-256-PLUS Start(%+v) = %v, want ErrChannelBinding", s, err)
		}
	}
}

func TestSCRAMChannelBindingFlag(t *testing.T) {
	// RFC 5802 section 6: "y" when the client could bind but the server
	// did not offer -PLUS, so that a server which supports binding detects
	// that the -PLUS variant was stripped; "n" otherwise.
	cs, ss := tlsPair(t, tls.VersionTLS13)
	cb, err := scram.NewTLSExporterBinding(&ss)
	if err != nil {
		t.Fatal(err)
	}
	srv := newSCRAMServer(t, scram.SHA256, "u", "p", 4096)
	tests := []struct {
		name    string
		sess    *sasl.Session
		flag    string
		success bool // against a server that supports channel binding
	}{
		{"no TLS", &sasl.Session{Offered: []string{"SCRAM-SHA-256"}}, "n,,", true},
		{"offered unknown", &sasl.Session{TLS: &cs}, "n,,", true},
		{"PLUS offered", &sasl.Session{TLS: &cs, Offered: []string{"SCRAM-SHA-256", "scram-sha-256-plus"}}, "n,,", true},
		{"PLUS stripped", &sasl.Session{TLS: &cs, Offered: []string{"SCRAM-SHA-256"}}, "y,,", false},
	}
	for _, tt := range tests {
		server := &scramServer{conv: srv.NewConversationWithChannelBinding(cb)}
		o := runAuth(t, start(t, sasl.SCRAMSHA256("u", "p"), tt.sess), server)
		ir, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(o.lines[0], "C: AUTH SCRAM-SHA-256 "))
		if !strings.HasPrefix(string(ir), tt.flag) || o.success != tt.success {
			t.Errorf("%s: client-first %q, success %v; want GS2 header %q and success %v", tt.name, ir, o.success, tt.flag, tt.success)
		}
	}
}
