package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
	"github.com/seed-e4e66a4f/smtp/reply"
)

const ehloReply = "250-mx.example.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 10240000\r\n"

// hello is the opening of a plain-text script: greeting and EHLO.
var hello = []smtptest.Step{
	smtptest.Send("220 mx.example.test ESMTP\r\n"),
	smtptest.ExpectLine("EHLO client.test"),
	smtptest.Send(ehloReply),
}

func script(steps ...[]smtptest.Step) smtptest.Script {
	var s smtptest.Script
	for _, x := range steps {
		s = append(s, x...)
	}
	return s
}

func steps(s ...smtptest.Step) []smtptest.Step { return s }

// plain returns Options for a TLSNone session against a scripted server.
func plain(t *Options) *Options {
	o := Options{TLS: TLSNone, LocalName: "client.test"}
	if t != nil {
		o.Timeouts = t.Timeouts
		o.Logger = t.Logger
	}
	return &o
}

// waitScript fails the test if the script failed.
func waitScript(t *testing.T, srv *smtptest.Server) {
	t.Helper()
	if err := srv.Wait(); err != nil {
		t.Errorf("server script: %v", err)
	}
}

// after returns what the client sent after the first occurrence of marker.
func after(b []byte, marker string) string {
	_, rest, ok := strings.Cut(string(b), marker)
	if !ok {
		return "<marker " + marker + " not found in " + string(b) + ">"
	}
	return rest
}

func TestGreetingRefused(t *testing.T) {
	tests := []struct {
		name     string
		steps    []smtptest.Step
		code     reply.Code
		sentinel error
		sent     string // all the client must have sent
	}{
		{
			name: "554 then QUIT",
			steps: steps(
				smtptest.Send("554 5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied\r\n"),
				smtptest.ExpectLine("QUIT"),
				smtptest.Send("221 2.0.0 Bye\r\n"),
				smtptest.ExpectClosed(),
			),
			code: 554, sentinel: reply.ErrPermanent, sent: "QUIT\r\n",
		},
		{
			name: "554 and hang up",
			steps: steps(
				smtptest.Send("554 5.7.1 Connections on this port are refused\r\n"),
				smtptest.Close(),
			),
			code: 554, sentinel: reply.ErrPermanent, sent: "",
		},
		{
			name: "421 too many connections",
			steps: steps(
				smtptest.Send("421 4.7.0 postfix.example.test Error: too many connections from 127.0.0.1\r\n"),
				smtptest.ExpectClosed(),
			),
			code: 421, sentinel: reply.ErrServiceClosing, sent: "",
		},
		{
			name: "521 postscreen",
			steps: steps(
				smtptest.Send("521 5.3.2 Service currently unavailable\r\n"),
				smtptest.Close(),
			),
			code: 521, sentinel: reply.ErrPermanent, sent: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, nil, tt.steps)
			var err error
			within(t, "Dial", func() {
				_, err = Dial(testCtx(t), srv.Addr(), plain(nil))
			})
			e, ok := errors.AsType[*reply.Error](err)
			if !ok || e.Command != "greeting" || e.Reply.Code != tt.code {
				t.Fatalf("Dial() = %v, want a *reply.Error for the greeting with code %d", err, tt.code)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.sentinel)
			}
			waitScript(t, srv)
			if got := string(srv.Received()); got != tt.sent {
				t.Errorf("client sent %q, want %q (no EHLO after a refused greeting)", got, tt.sent)
			}
		})
	}
}

func TestGreetingTimeout(t *testing.T) {
	srv := smtptest.Start(t, nil, smtptest.Script{smtptest.StallUntilClosed()})
	var err error
	within(t, "Dial", func() {
		_, err = Dial(testCtx(t), srv.Addr(), plain(&Options{Timeouts: Timeouts{Greeting: 100 * time.Millisecond}}))
	})
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Dial() to a server that never greets = %v, want os.ErrDeadlineExceeded", err)
	}
	if _, ok := errors.AsType[*reply.ProtocolError](err); ok {
		t.Errorf("timeout reported as a protocol error: %v", err)
	}
	waitScript(t, srv)
	if got := srv.Received(); len(got) != 0 {
		t.Errorf("client sent %q to a server that never greeted", got)
	}
}

func TestDialContextCancelled(t *testing.T) {
	srv := smtptest.Start(t, nil, smtptest.Script{smtptest.StallUntilClosed()})
	ctx, cancel := context.WithCancel(testCtx(t))
	time.AfterFunc(50*time.Millisecond, cancel)
	var err error
	within(t, "Dial", func() {
		_, err = Dial(ctx, srv.Addr(), plain(nil))
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial() with a cancelled context = %v, want context.Canceled", err)
	}
	waitScript(t, srv)
}

func TestEHLOFallback(t *testing.T) {
	tests := []struct {
		name     string
		ehlo     string
		helo     bool
		wantCode reply.Code // 0: success
	}{
		{"500 falls back", "500 5.5.2 Error: command not recognized\r\n", true, 0},
		{"502 falls back", "502 5.5.1 EHLO not implemented\r\n", true, 0},
		{"421 does not", "421 4.3.2 Service shutting down\r\n", false, 421},
		{"550 does not", "550 5.7.1 go away\r\n", false, 550},
		{"450 does not", "450 4.3.0 Error: command failed\r\n", false, 450},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := steps(
				smtptest.Send("220 old.example.test SMTP\r\n"),
				smtptest.ExpectLine("EHLO client.test"),
				smtptest.Send(tt.ehlo),
			)
			if tt.helo {
				s = append(s, smtptest.ExpectLine("HELO client.test"), smtptest.Send("250 old.example.test\r\n"),
					smtptest.ExpectLine("QUIT"), smtptest.Send("221 bye\r\n"))
			}
			s = append(s, smtptest.ExpectClosed())
			srv := smtptest.Start(t, nil, s)
			var (
				c   *Client
				err error
			)
			within(t, "Dial", func() { c, err = Dial(testCtx(t), srv.Addr(), plain(nil)) })
			if tt.wantCode == 0 {
				if err != nil {
					t.Fatalf("Dial() = %v, want a HELO session", err)
				}
				if names := c.Extensions().Names(); len(names) != 0 {
					t.Errorf("Extensions() after HELO = %v, want none", names)
				}
				if err := c.Quit(testCtx(t)); err != nil {
					t.Errorf("Quit() = %v", err)
				}
			} else {
				e, ok := errors.AsType[*reply.Error](err)
				if !ok || e.Command != "EHLO" || e.Reply.Code != tt.wantCode {
					t.Fatalf("Dial() = %v, want *reply.Error EHLO %d", err, tt.wantCode)
				}
			}
			waitScript(t, srv)
			if got := string(srv.Received()); !tt.helo && strings.Contains(got, "HELO ") {
				t.Errorf("client fell back to HELO after %q: sent %q", tt.ehlo, got)
			}
		})
	}
}

func TestEHLOKeywordsCaseInsensitive(t *testing.T) {
	srv := smtptest.Start(t, nil, steps(
		smtptest.Send("220 mx ESMTP\r\n"),
		smtptest.ExpectLine("EHLO client.test"),
		// Dribbled, split and in mixed case.
		smtptest.Dribble("250-mx greets you\r\n250-pipelining\r\n250-Size 2000\r\n250-auth=LOGIN\r\n250 Auth plain login\r\n", time.Millisecond),
		smtptest.ExpectLine("QUIT"),
		smtptest.SendSplit(5*time.Millisecond, "22", "1 b", "ye\r\n"),
		smtptest.ExpectClosed(),
	))
	c, err := Dial(testCtx(t), srv.Addr(), plain(nil))
	if err != nil {
		t.Fatal(err)
	}
	ext := c.Extensions()
	if !ext.Pipelining() {
		t.Error("Pipelining() = false for 'pipelining'")
	}
	if n, ok := ext.Size(); n != 2000 || !ok {
		t.Errorf("Size() = %d, %v; want 2000, true", n, ok)
	}
	if p, ok := c.Extension("size"); p != "2000" || !ok {
		t.Errorf(`Extension("size") = %q, %v`, p, ok)
	}
	if got := ext.AuthMechanisms(); strings.Join(got, " ") != "LOGIN PLAIN" {
		t.Errorf("AuthMechanisms() = %v, want [LOGIN PLAIN]", got)
	}
	if err := c.Quit(testCtx(t)); err != nil {
		t.Errorf("Quit() with a split 221 = %v", err)
	}
	waitScript(t, srv)
}

func TestLocalNameInvalid(t *testing.T) {
	for _, name := range []string{"bad name", "a\r\nMAIL FROM:<x@y>", "-bad.example", "[300.1.1.1]", "x..y"} {
		_, err := Dial(testCtx(t), "127.0.0.1:1", &Options{LocalName: name})
		if e, ok := errors.AsType[*InputError](err); !ok || e.Field != "local name" {
			t.Errorf("Dial(LocalName: %q) = %v, want an *InputError for the local name", name, err)
		}
	}
}

// startTLSScript returns a script that offers STARTTLS and then does what
// tail says.
func startTLSScript(tail ...smtptest.Step) smtptest.Script {
	return script(steps(
		smtptest.Send("220 mx.example.test ESMTP\r\n"),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send("250-mx.example.test\r\n250-SIZE 1000\r\n250 STARTTLS\r\n"),
		smtptest.ExpectLine("STARTTLS"),
	), tail)
}

func TestStartTLS(t *testing.T) {
	srv := smtptest.Start(t, nil, startTLSScript(
		smtptest.Send("220 2.0.0 Ready to start TLS\r\n"),
		smtptest.StartTLS(),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send("250-mx.example.test\r\n250-SIZE 2000\r\n250 AUTH PLAIN\r\n"),
		smtptest.ExpectLine("QUIT"),
		smtptest.Send("221 bye\r\n"),
		smtptest.ExpectClosed(),
	))
	c, err := Dial(testCtx(t), srv.Addr(), &Options{LocalName: "client.test", TLSConfig: srv.ClientTLSConfig()})
	if err != nil {
		t.Fatalf("Dial(STARTTLS required) = %v", err)
	}
	if !c.Secure() {
		t.Error("Secure() = false")
	}
	if n, _ := c.Extensions().Size(); n != 2000 {
		t.Errorf("Size() = %d after TLS, want 2000: the pre-TLS EHLO must be forgotten", n)
	}
	if c.Extensions().StartTLS() {
		t.Error("STARTTLS advertised after TLS: stale extensions")
	}
	if err := c.Quit(testCtx(t)); err != nil {
		t.Error(err)
	}
	waitScript(t, srv)
}

func TestStartTLSFailures(t *testing.T) {
	tests := []struct {
		name   string
		srv    smtptest.Script
		opts   func(*smtptest.Server) *Options
		reason TLSReason
		check  func(t *testing.T, err error)
		marker string // nothing may follow this in what the client sent
	}{
		{
			name:   "454 in required mode sends nothing else",
			srv:    startTLSScript(smtptest.Send("454 4.7.0 TLS not available due to local problem\r\n"), smtptest.ExpectClosed()),
			reason: TLSReasonRefused,
			check: func(t *testing.T, err error) {
				if e, ok := errors.AsType[*reply.Error](err); !ok || e.Reply.Code != 454 || e.Command != "STARTTLS" {
					t.Errorf("cause = %v, want *reply.Error STARTTLS 454", err)
				}
				if reply.RetryFor(err) != reply.RetryLater {
					t.Errorf("RetryFor(%v) = %v, want RetryLater", err, reply.RetryFor(err))
				}
			},
			marker: "STARTTLS\r\n",
		},
		{
			name: "not offered",
			srv: smtptest.Script{
				smtptest.Send("220 mx ESMTP\r\n"),
				smtptest.ExpectLine("EHLO client.test"),
				smtptest.Send(ehloReply),
				smtptest.ExpectClosed(),
			},
			reason: TLSReasonNotOffered,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, reply.ErrTLSRequired) {
					t.Errorf("errors.Is(%v, reply.ErrTLSRequired) = false", err)
				}
			},
			marker: "EHLO client.test\r\n",
		},
		{
			name: "untrusted certificate",
			srv: startTLSScript(
				smtptest.Send("220 2.0.0 Ready to start TLS\r\n"),
				smtptest.StartTLS(),
			),
			opts:   func(*smtptest.Server) *Options { return &Options{LocalName: "client.test"} },
			reason: TLSReasonHandshake,
			check: func(t *testing.T, err error) {
				if _, ok := errors.AsType[x509.UnknownAuthorityError](err); !ok {
					t.Errorf("cause = %v, want x509.UnknownAuthorityError", err)
				}
			},
			marker: "STARTTLS\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, nil, tt.srv)
			opts := &Options{LocalName: "client.test", TLSConfig: srv.ClientTLSConfig()}
			if tt.opts != nil {
				opts = tt.opts(srv)
			}
			var err error
			within(t, "Dial", func() { _, err = Dial(testCtx(t), srv.Addr(), opts) })
			te, ok := errors.AsType[*TLSError](err)
			if !ok || te.Reason != tt.reason || te.Mode != TLSStartTLS {
				t.Fatalf("Dial() = %v, want *TLSError %v in STARTTLS mode", err, tt.reason)
			}
			tt.check(t, err)
			srv.Wait() // the untrusted case fails server-side; that is expected
			if rest := after(srv.Received(), tt.marker); rest != "" {
				t.Errorf("client sent %q after %q, want nothing", rest, tt.marker)
			}
		})
	}
}

func TestStartTLSInjection(t *testing.T) {
	srv := smtptest.Start(t, nil, startTLSScript(
		// The 220 and an injected reply in one segment, as in
		// CVE-2011-0411: a client that reads the second line after the
		// handshake takes it for the server's answer over TLS.
		smtptest.Send("220 2.0.0 Ready to start TLS\r\n250-injected\r\n250 AUTH PLAIN\r\n"),
		smtptest.ExpectClosed(),
	))
	var err error
	within(t, "Dial", func() {
		_, err = Dial(testCtx(t), srv.Addr(), &Options{LocalName: "client.test", TLSConfig: srv.ClientTLSConfig()})
	})
	if !errors.Is(err, ErrResponseInjection) {
		t.Fatalf("Dial() = %v, want ErrResponseInjection", err)
	}
	if pe, ok := errors.AsType[*reply.ProtocolError](err); !ok || pe.Kind != reply.ViolationUnsolicited {
		t.Errorf("Dial() = %v, want a *reply.ProtocolError ViolationUnsolicited", err)
	}
	waitScript(t, srv)
	if rest := after(srv.Received(), "STARTTLS\r\n"); rest != "" {
		t.Errorf("client sent %q after STARTTLS, want nothing (no handshake either)", rest)
	}
}

func TestOpportunistic(t *testing.T) {
	tests := []struct {
		name string
		srv  smtptest.Script
	}{
		{"not offered", script(hello, steps(smtptest.ExpectLine("NOOP"), smtptest.Send("250 ok\r\n")))},
		{"refused", startTLSScript(smtptest.Send("454 4.7.0 TLS not available\r\n"), smtptest.ExpectLine("NOOP"), smtptest.Send("250 ok\r\n"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, nil, tt.srv)
			c, err := Dial(testCtx(t), srv.Addr(), &Options{TLS: TLSOpportunistic, LocalName: "client.test"})
			if err != nil {
				t.Fatalf("Dial(TLSOpportunistic) = %v, want a plain-text session", err)
			}
			defer c.Close()
			if c.Secure() {
				t.Error("Secure() = true for a plain-text opportunistic session")
			}
			if _, err := c.Noop(testCtx(t)); err != nil {
				t.Errorf("Noop() = %v", err)
			}
			waitScript(t, srv)
		})
	}
}

func TestRequireTLSNeedsVerifiedTLS(t *testing.T) {
	srv := smtptest.Start(t, nil, script(
		steps(smtptest.Send("220 mx ESMTP\r\n"), smtptest.ExpectLine("EHLO client.test"), smtptest.Send("250-mx\r\n250 REQUIRETLS\r\n")),
		steps(smtptest.ExpectLine("QUIT"), smtptest.Send("221 bye\r\n")),
	))
	c, err := Dial(testCtx(t), srv.Addr(), plain(nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Mail(testCtx(t), "a@example.test", &MailOptions{RequireTLS: true})
	if te, ok := errors.AsType[*TLSError](err); !ok || te.Reason != TLSReasonNotSecure {
		t.Errorf("Mail(REQUIRETLS) without TLS = %v, want *TLSError TLSReasonNotSecure", err)
	}
	if err := c.Quit(testCtx(t)); err != nil {
		t.Error(err)
	}
	waitScript(t, srv)
	if strings.Contains(string(srv.Received()), "MAIL") {
		t.Errorf("client sent MAIL: %q", srv.Received())
	}
}

func TestInputRefusedBeforeWriting(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, steps(
		smtptest.ExpectLine("NOOP"), smtptest.Send("250 ok\r\n"),
		smtptest.ExpectLine("QUIT"), smtptest.Send("221 bye\r\n"),
	)))
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr(), plain(nil))
	if err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		name  string
		field string
		call  func() error
	}{
		{"from with CRLF", "from", func() error {
			_, err := c.Mail(ctx, "a@b.example\r\nRCPT TO:<victim@example.test>", nil)
			return err
		}},
		{"from with >", "from", func() error {
			_, err := c.Mail(ctx, "a@b.example> SIZE=1", nil)
			return err
		}},
		{"non-ASCII local part without SMTPUTF8", "from", func() error {
			_, err := c.Mail(ctx, "jörg@example.test", nil)
			return err
		}},
		{"to with space", "to", func() error {
			_, err := c.Rcpt(ctx, "a b@example.test", nil)
			return err
		}},
		{"to with NUL", "to", func() error {
			_, err := c.Rcpt(ctx, "a\x00@example.test", nil)
			return err
		}},
		{"ENVID with CR", "ENVID", func() error {
			_, err := c.Mail(ctx, "a@example.test", &MailOptions{EnvelopeID: "x\r"})
			return err
		}},
		{"VRFY with LF", "VRFY", func() error {
			_, err := c.Verify(ctx, "x\nDATA")
			return err
		}},
		{"negative SIZE", "SIZE", func() error {
			_, err := c.Mail(ctx, "a@example.test", &MailOptions{Size: -1})
			return err
		}},
	}
	for _, tt := range calls {
		err := tt.call()
		if e, ok := errors.AsType[*InputError](err); !ok || e.Field != tt.field {
			t.Errorf("%s: error = %v, want *InputError for %s", tt.name, err, tt.field)
		}
		if reply.RetryFor(err) != reply.RetryNever {
			t.Errorf("%s: RetryFor = %v, want RetryNever", tt.name, reply.RetryFor(err))
		}
	}
	_, err = c.Rcpt(ctx, "a@example.test", &RcptOptions{Notify: DSNNotifyFailure})
	if e, ok := errors.AsType[*UnsupportedError](err); !ok || e.Extension != "DSN" {
		t.Errorf("Rcpt(NOTIFY) without DSN = %v, want *UnsupportedError DSN", err)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatalf("Noop() after refused input = %v: the session must stay usable", err)
	}
	c.Quit(ctx)
	waitScript(t, srv)
	if got, want := string(after(srv.Received(), "EHLO client.test\r\n")), "NOOP\r\nQUIT\r\n"; got != want {
		t.Errorf("client sent %q, want %q", got, want)
	}
}

// toDATA is the server's side of MAIL FROM:<a@example.test> and RCPT
// TO:<b@example.test>, both answered 250, then DATA, answered dataReply.
func toDATA(dataReply string) []smtptest.Step {
	return steps(
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"), smtptest.Send("250 ok\r\n"),
		smtptest.ExpectLine("RCPT TO:<b@example.test>"), smtptest.Send("250 ok\r\n"),
		smtptest.ExpectLine("DATA"), smtptest.Send(dataReply),
	)
}

// dialToDATA dials srv with opts, sends MAIL FROM:<a@example.test> and
// RCPT TO:<b@example.test> (their replies are the script's to check), then
// DATA, and returns the client and what Data returned.
func dialToDATA(t *testing.T, ctx context.Context, srv *smtptest.Server, opts *Options) (*Client, *DataWriter, error) {
	t.Helper()
	c, err := Dial(ctx, srv.Addr(), opts)
	if err != nil {
		t.Fatal(err)
	}
	c.Mail(ctx, "a@example.test", nil)
	c.Rcpt(ctx, "b@example.test", nil)
	w, err := c.Data(ctx)
	return c, w, err
}

func TestBodyNormalisedOnTheWire(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, toDATA("354 go ahead\r\n"), steps(
		smtptest.ExpectData(), // strict: fails on bare CR/LF, unstuffed dots
		smtptest.Send("250 2.0.0 Ok: queued as 80753984042\r\n"),
		smtptest.ExpectLine("QUIT"), smtptest.Send("221 bye\r\n"),
	)))
	ctx := testCtx(t)
	c, w, err := dialToDATA(t, ctx, srv, plain(nil))
	if err != nil {
		t.Fatal(err)
	}
	// A smuggling attempt: "\n.\n" and "\r.\r" would end the message early
	// at a lax server; split across writes to test the state machine.
	parts := []string{"Subject: x\n\nbare lf\n.\nMAIL FROM:<evil@x>\r", "\n.", "\r\nbare cr\r.\rlast"}
	for _, p := range parts {
		if _, err := io.WriteString(w, p); err != nil {
			t.Fatalf("Write(%q) = %v", p, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	r := w.Reply()
	if r.Code != reply.CodeOK || !strings.Contains(r.Text(), "queued as 80753984042") {
		t.Errorf("Reply() = %v, want the queue id", r)
	}
	c.Quit(ctx)
	waitScript(t, srv)
	want := "Subject: x\r\n\r\nbare lf\r\n..\r\nMAIL FROM:<evil@x>\r\n..\r\nbare cr\r\n..\r\nlast\r\n.\r\n"
	if data := srv.Data(); len(data) != 1 || string(data[0]) != want {
		t.Errorf("body on the wire = %q, want %q", data, want)
	}
}

func TestDataBadReplyTo354(t *testing.T) {
	tests := []struct {
		name string
		// dataReply is what the server answers to DATA.
		dataReply string
		wantKind  reply.Violation
	}{
		// A desynchronised server: 250 where only 354 is acceptable.
		{"250 instead of 354", "250 2.0.0 Ok\r\n", reply.ViolationUnexpectedReply},
		// smtp-sink -A 0: "550 This violates SMTP" right after the 354.
		{"refused after 354", "354 End data with <CR><LF>.<CR><LF>\r\n550 This violates SMTP\r\n", reply.ViolationUnsolicited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, nil, script(hello, toDATA(tt.dataReply), steps(
				smtptest.ExpectClosed(),
			)))
			ctx := testCtx(t)
			c, w, err := dialToDATA(t, ctx, srv, plain(nil))
			if pe, ok := errors.AsType[*reply.ProtocolError](err); w != nil || !ok || pe.Kind != tt.wantKind {
				t.Fatalf("Data() after DATA answered %q = %v, %v; want nil, *reply.ProtocolError %v", tt.dataReply, w, err, tt.wantKind)
			}
			if _, err := c.Noop(ctx); !errors.Is(err, ErrBroken) {
				t.Errorf("Noop() after the bad reply to DATA = %v, want ErrBroken", err)
			}
			waitScript(t, srv)
			if rest := after(srv.Received(), "DATA\r\n"); rest != "" {
				t.Errorf("client sent %q after DATA answered %q", rest, tt.dataReply)
			}
		})
	}
}

func TestBodyErrorBreaksWithoutDot(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, toDATA("354 go\r\n"), steps(
		smtptest.StallUntilClosed(),
	)))
	ctx := testCtx(t)
	c, w, err := dialToDATA(t, ctx, srv, plain(nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.WriteString(w, "Subject: x\r\n\r\nnul \x00 here\r\n")
	if be, ok := errors.AsType[*BodyError](err); !ok || be.Kind != BodyErrorNUL || be.Line != 3 {
		t.Fatalf("Write(NUL) = %v, want *BodyError NUL on line 3", err)
	}
	if err2 := w.Close(); !errors.Is(err2, err) {
		t.Errorf("Close() after the body error = %v, want the same error", err2)
	}
	if _, err := c.Noop(ctx); !errors.Is(err, ErrBroken) {
		t.Errorf("Noop() = %v, want ErrBroken", err)
	}
	waitScript(t, srv)
	if strings.Contains(after(srv.Received(), "DATA\r\n"), "\r\n.\r\n") {
		t.Errorf("client ended the partial message with a dot: %q", srv.Received())
	}
}

func TestUnsolicitedReply(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, steps(
		smtptest.ExpectLine("NOOP"),
		// One reply too many: a desynchronised or hostile server.
		smtptest.Send("250 ok\r\n250 2.1.0 Sender ok\r\n"),
		smtptest.ExpectClosed(),
	)))
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr(), plain(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Fatalf("Noop() = %v", err)
	}
	_, err = c.Mail(ctx, "a@example.test", nil)
	if pe, ok := errors.AsType[*reply.ProtocolError](err); !ok || pe.Kind != reply.ViolationUnsolicited {
		t.Fatalf("Mail() after an extra reply = %v, want *reply.ProtocolError ViolationUnsolicited", err)
	}
	waitScript(t, srv)
	if rest := after(srv.Received(), "NOOP\r\n"); rest != "" {
		t.Errorf("client sent %q after the desync", rest)
	}
}

func TestMalformedReply(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, steps(
		smtptest.ExpectLine("NOOP"),
		smtptest.Send("250-ok\r\n251 mismatch\r\n"),
		smtptest.ExpectClosed(),
	)))
	c, err := Dial(testCtx(t), srv.Addr(), plain(nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Noop(testCtx(t))
	if pe, ok := errors.AsType[*reply.ProtocolError](err); !ok || pe.Kind != reply.ViolationCodeMismatch {
		t.Fatalf("Noop() = %v, want ViolationCodeMismatch", err)
	}
	waitScript(t, srv)
}

func TestDeliveryUnknown(t *testing.T) {
	tests := []struct {
		name  string
		after smtptest.Step
		opts  *Options
		cause func(error) bool
	}{
		{"connection cut", smtptest.Close(), nil, func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
		{"reply times out", smtptest.StallUntilClosed(), &Options{Timeouts: Timeouts{DataTermination: 100 * time.Millisecond}},
			func(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }},
		{"half a reply", smtptest.Send("250 2.0.0 Ok: que"), nil, func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := script(hello, toDATA("354 go\r\n"), steps(
				smtptest.ExpectData(),
				tt.after,
			))
			if tt.name == "half a reply" {
				s = append(s, smtptest.Close())
			}
			srv := smtptest.Start(t, nil, s)
			ctx := testCtx(t)
			c, w, err := dialToDATA(t, ctx, srv, plain(tt.opts))
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, "Subject: x\r\n\r\nhello\r\n")
			within(t, "Close", func() { err = w.Close() })
			if !errors.Is(err, ErrDeliveryUnknown) || !tt.cause(err) {
				t.Fatalf("Close() = %v, want ErrDeliveryUnknown and its cause", err)
			}
			if _, ok := errors.AsType[*reply.Error](err); ok {
				t.Errorf("Close() = %v: a lost connection is not a server refusal", err)
			}
			if _, err := c.Noop(ctx); !errors.Is(err, ErrBroken) || !errors.Is(err, ErrDeliveryUnknown) {
				t.Errorf("Noop() after = %v, want ErrBroken and the stored error", err)
			}
			waitScript(t, srv)
		})
	}
}

func TestContextCancelClosesConnection(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, steps(
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
		smtptest.StallUntilClosed(),
	)))
	c, err := Dial(testCtx(t), srv.Addr(), plain(nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(testCtx(t))
	time.AfterFunc(50*time.Millisecond, cancel)
	within(t, "Mail", func() { _, err = c.Mail(ctx, "a@example.test", nil) })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Mail() with a cancelled context = %v, want context.Canceled", err)
	}
	within(t, "Rcpt on a broken client", func() {
		_, err = c.Rcpt(testCtx(t), "b@example.test", nil)
	})
	if !errors.Is(err, ErrBroken) || !errors.Is(err, context.Canceled) {
		t.Errorf("Rcpt() after cancel = %v, want ErrBroken and context.Canceled", err)
	}
	waitScript(t, srv) // StallUntilClosed: the client did close
	if rest := after(srv.Received(), "MAIL FROM:<a@example.test>\r\n"); rest != "" {
		t.Errorf("client sent %q after MAIL", rest)
	}
}

func TestCommandTimeout(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, steps(
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
		smtptest.StallUntilClosed(),
	)))
	c, err := Dial(testCtx(t), srv.Addr(), plain(&Options{Timeouts: Timeouts{Mail: 100 * time.Millisecond}}))
	if err != nil {
		t.Fatal(err)
	}
	within(t, "Mail", func() { _, err = c.Mail(testCtx(t), "a@example.test", nil) })
	if !errors.Is(err, os.ErrDeadlineExceeded) || !isTimeout(err) {
		t.Fatalf("Mail() = %v, want a timeout (os.ErrDeadlineExceeded)", err)
	}
	if _, ok := errors.AsType[*reply.ProtocolError](err); ok {
		t.Errorf("timeout reported as a protocol error: %v", err)
	}
	_, err2 := c.Noop(testCtx(t))
	if !errors.Is(err2, ErrBroken) || !errors.Is(err2, os.ErrDeadlineExceeded) {
		t.Errorf("Noop() after the timeout = %v, want ErrBroken wrapping the timeout", err2)
	}
	waitScript(t, srv)
}

func TestBrokenAfter421(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, steps(
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
		smtptest.Send("421 4.7.0 <421-4.7.0@codes.test>: Sender address rejected: Synthetic reply 421 requested by test\r\n"),
		smtptest.ExpectClosed(),
	)))
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr(), plain(nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Mail(ctx, "a@example.test", nil)
	if !errors.Is(err, reply.ErrServiceClosing) || errors.Is(err, ErrBroken) {
		t.Fatalf("Mail() = %v, want the 421 itself", err)
	}
	_, err = c.Rcpt(ctx, "b@example.test", nil)
	e, ok := errors.AsType[*reply.Error](err)
	if !errors.Is(err, ErrBroken) || !ok || e.Reply.Code != 421 {
		t.Errorf("Rcpt() after 421 = %v, want ErrBroken wrapping the 421", err)
	}
	if reply.RetryFor(err) != reply.RetryNewConnection {
		t.Errorf("RetryFor(%v) = %v, want RetryNewConnection", err, reply.RetryFor(err))
	}
	if err := c.Quit(ctx); !errors.Is(err, ErrBroken) {
		t.Errorf("Quit() on a broken client = %v, want the stored error", err)
	}
	waitScript(t, srv)
}

func TestNew(t *testing.T) {
	s := startGoSMTP(t, false, nil)
	ctx := testCtx(t)
	conn, err := net.Dial("tcp4", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	// Default mode: STARTTLS required, certificate checked against the
	// remote IP address (the test certificate has 127.0.0.1).
	c, err := New(ctx, conn, &Options{TLSConfig: clientTLS()})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	if !c.Secure() {
		t.Error("Secure() = false after New with STARTTLS")
	}
	if name := c.LocalName(); name == "" || name == "localhost" {
		t.Errorf("LocalName() = %q, want a host name or address literal", name)
	}
	send(t, c, "a@example.test", []string{"b@example.test"}, "x\r\n")
	if err := c.Quit(ctx); err != nil {
		t.Error(err)
	}

	// New closes conn on failure.
	conn2, err := net.Dial("tcp4", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(ctx, conn2, &Options{LocalName: "bad name"})
	if _, ok := errors.AsType[*InputError](err); !ok {
		t.Errorf("New(bad LocalName) = %v, want *InputError", err)
	}
	if _, err := conn2.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("conn after a failed New: Write = %v, want net.ErrClosed", err)
	}
}

func TestTLSMinimumVersion(t *testing.T) {
	srv := smtptest.Start(t, &smtptest.Options{TLSConfig: &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}, startTLSScript(
		smtptest.Send("220 2.0.0 Ready to start TLS\r\n"),
		smtptest.StartTLS(),
	))
	cfg := srv.ClientTLSConfig()
	cfg.MinVersion = tls.VersionTLS10 // raised to 1.2 by the client
	var err error
	within(t, "Dial", func() {
		_, err = Dial(testCtx(t), srv.Addr(), &Options{LocalName: "client.test", TLSConfig: cfg})
	})
	if te, ok := errors.AsType[*TLSError](err); !ok || te.Reason != TLSReasonHandshake {
		t.Fatalf("Dial() to a TLS 1.1 server = %v, want *TLSError TLSReasonHandshake", err)
	}
	srv.Wait()
}

func TestCloseWithOpenDataWriter(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, toDATA("354 go\r\n"), steps(
		smtptest.StallUntilClosed(),
	)))
	ctx := testCtx(t)
	c, w, err := dialToDATA(t, ctx, srv, plain(nil))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "Subject: x\r\n\r\npartial")
	if _, err := c.Noop(ctx); err == nil {
		t.Error("Noop() with an open DataWriter succeeded")
	}
	c.Close()
	if err := w.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("DataWriter.Close() after Client.Close() = %v, want ErrClosed (never success)", err)
	}
	waitScript(t, srv)
	if strings.Contains(after(srv.Received(), "DATA\r\n"), ".\r\n") {
		t.Errorf("client terminated the message: %q", srv.Received())
	}
}

func TestDataBlockTimeout(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, toDATA("354 go\r\n"), steps(
		smtptest.Stall(hang), // reads nothing: the client's writes block
	)))
	ctx := testCtx(t)
	c, w, err := dialToDATA(t, ctx, srv, plain(&Options{Timeouts: Timeouts{DataBlock: 100 * time.Millisecond}}))
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.Repeat("x", 998) + "\r\n")
	within(t, "writing to a server that does not read", func() {
		for i := 0; i < 64<<10 && err == nil; i++ { // up to 64 MiB
			_, err = w.Write(line)
		}
	})
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write() to a stalled server = %v, want os.ErrDeadlineExceeded", err)
	}
	if err := w.Close(); errors.Is(err, ErrDeliveryUnknown) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Close() = %v, want the write timeout (the final dot was never sent)", err)
	}
	if _, err := c.Noop(ctx); !errors.Is(err, ErrBroken) {
		t.Errorf("Noop() = %v, want ErrBroken", err)
	}
}

func TestContextCancelAfterFinalDot(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, toDATA("354 go\r\n"), steps(
		smtptest.ExpectData(),
		smtptest.StallUntilClosed(),
	)))
	c, err := Dial(testCtx(t), srv.Addr(), plain(nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(testCtx(t))
	c.Mail(ctx, "a@example.test", nil)
	c.Rcpt(ctx, "b@example.test", nil)
	w, err := c.Data(ctx)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "Subject: x\r\n\r\nhello\r\n")
	time.AfterFunc(50*time.Millisecond, cancel)
	within(t, "Close", func() { err = w.Close() })
	if !errors.Is(err, ErrDeliveryUnknown) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Close() cancelled while waiting for the reply = %v, want ErrDeliveryUnknown and context.Canceled", err)
	}
	waitScript(t, srv)
}

// TestPipelineFIFO drives the command layer the way send.go does: several
// commands in one write, replies matched in order, an error in the middle
// not breaking the match.
func TestPipelineFIFO(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, steps(
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
		smtptest.ExpectLine("RCPT TO:<nosuch@example.test>"),
		smtptest.ExpectLine("RCPT TO:<b@example.test>"),
		smtptest.ExpectLine("DATA"),
		// All replies at once, the last one split.
		smtptest.SendSplit(5*time.Millisecond, "250 2.1.0 Ok\r\n550 5.1.1 unknown\r\n250 2.1.5 Ok\r\n35", "4 go ahead\r\n"),
		smtptest.ExpectData(),
		smtptest.Send("250 2.0.0 Ok: queued as X\r\n"),
	)))
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr(), plain(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.ext.Pipelining() {
		t.Fatal("script must advertise PIPELINING")
	}
	stop, err := c.enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.mailLine("a@example.test", nil); err != nil {
		t.Fatal(err)
	}
	c.queue(ctx, expect{verb: "MAIL FROM", stage: stageMail}, c.line)
	for _, rc := range []string{"nosuch@example.test", "b@example.test"} {
		if err := c.rcptLine(rc, nil); err != nil {
			t.Fatal(err)
		}
		c.queue(ctx, expect{verb: "RCPT TO", stage: stageRcpt}, c.line)
	}
	c.queue(ctx, expect{verb: "DATA", stage: stageDataInit, want: wantData}, c.cmdLine("DATA", ""))
	if err := c.flush(ctx); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		code reply.Code
		err  bool
	}{{250, false}, {550, true}, {250, false}, {354, false}}
	for i, w := range want {
		r, err := c.next(ctx)
		if r == nil || r.Code != w.code || (err != nil) != w.err {
			t.Fatalf("reply %d = %v, %v; want %d (error %v)", i, r, err, w.code, w.err)
		}
	}
	if err := c.leave(ctx, stop, "DATA", nil); err != nil {
		t.Fatal(err)
	}
	// Hand out the body writer as Data does.
	dw := c.bodyWriter(ctx, nil, false)
	io.WriteString(dw, "Subject: x\r\n\r\nhi\r\n")
	if err := dw.Close(); err != nil || !strings.Contains(dw.Reply().Text(), "queued as X") {
		t.Fatalf("Close() = %v, reply %v", err, dw.Reply())
	}
	waitScript(t, srv)
}
