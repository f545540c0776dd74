package interop

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// TestSendAuthenticatesOn530: on the submission port, with AuthOnDemand,
// Send's MAIL FROM is refused with 530 (authentication required); Send
// authenticates with Options.Auth, sends the transaction again and the
// message is delivered.
func TestSendAuthenticatesOn530(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		user, pass := e.vars["SMTP_USER"], e.vars["SMTP_PASS"]
		id := uniqueID(t)
		opts := e.options(client.TLSStartTLS)
		opts.Auth = sasl.Password(user, pass)
		opts.AuthMode = client.AuthOnDemand
		c := dial(t, s.addr("SUBMISSION"), opts)

		body := fmt.Sprintf("Message-ID: <%s@interop.test>\r\nSubject: send after 530\r\n\r\nhello\r\n", id)
		env := &client.Envelope{From: user, To: []string{"box-" + id + "@" + e.vars["SMTP_DOMAIN"]}}
		res, err := c.Send(testContext(t), env, strings.NewReader(body))
		if err != nil || res.State != client.DeliveryComplete {
			t.Fatalf("%s: Send = %v, %v, want delivered", s.name, res.State, err)
		}
		if len(res.Recovered) != 1 || !reply.IsAuthRequired(res.Recovered[0]) {
			t.Errorf("%s: Result.Recovered = %v, want the one 530 authentication required", s.name, res.Recovered)
		}
		if res.Auth.Code != reply.CodeAuthSucceeded {
			t.Errorf("%s: Result.Auth = %q, want 235", s.name, res.Auth.String())
		}
		if res.Final.Code != reply.CodeOK {
			t.Errorf("%s: Result.Final = %q, want 250", s.name, res.Final.String())
		}
		got := waitDelivered(t, s, "box", "<"+id+"@interop.test>")
		if want := strings.ReplaceAll(body, "\r\n", "\n"); !bytes.HasSuffix(got, []byte(want)) {
			t.Errorf("%s: delivered %q, want it to end with %q", s.name, got, want)
		}
	})
}

// TestSendAuthenticatesFirst: with credentials (the default AuthEager),
// Send authenticates after STARTTLS and before MAIL FROM: no 530 to
// recover from, and the message is delivered.
func TestSendAuthenticatesFirst(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		user, pass := e.vars["SMTP_USER"], e.vars["SMTP_PASS"]
		id := uniqueID(t)
		opts := e.options(client.TLSStartTLS)
		opts.Auth = sasl.Password(user, pass)
		var log bytes.Buffer
		opts.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c := dial(t, s.addr("SUBMISSION"), opts)

		body := fmt.Sprintf("Message-ID: <%s@interop.test>\r\nSubject: send with eager AUTH\r\n\r\nhello\r\n", id)
		env := &client.Envelope{From: user, To: []string{"box-" + id + "@" + e.vars["SMTP_DOMAIN"]}}
		res, err := c.Send(testContext(t), env, strings.NewReader(body))
		if err != nil || res.State != client.DeliveryComplete {
			t.Fatalf("%s: Send = %v, %v, want delivered", s.name, res.State, err)
		}
		if len(res.Recovered) != 0 || res.Auth.Code != reply.CodeAuthSucceeded {
			t.Errorf("%s: Result.Recovered = %v, Auth %q; want nothing recovered and a 235", s.name, res.Recovered, res.Auth.String())
		}
		tr := log.String()
		if a, m := strings.Index(tr, "line=\"AUTH"), strings.Index(tr, "line=\"MAIL FROM"); a < 0 || m < a {
			t.Errorf("%s: transcript does not show AUTH before MAIL FROM:\n%s", s.name, tr)
		}
		waitDelivered(t, s, "box", "<"+id+"@interop.test>")
	})
}

// TestSendRefusesWithoutAUTH: with credentials and a port that does not
// offer AUTH (Postfix's smallsize listener after STARTTLS, Exim's in
// cleartext), Send fails with an *UnsupportedError before any AUTH, any
// credential or any byte of the message is sent; the session stays usable.
func TestSendRefusesWithoutAUTH(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		mode := client.TLSStartTLS
		if strings.HasPrefix(s.name, "exim") {
			// Exim offers AUTH on every TLS session.
			mode = client.TLSNone
		}
		opts := e.options(mode)
		opts.Auth = sasl.Password(e.vars["SMTP_USER"], e.vars["SMTP_PASS"])
		var log bytes.Buffer
		opts.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c := dial(t, s.addr("SMALLSIZE"), opts)
		if c.Extensions().Has("AUTH") {
			t.Fatalf("%s: the smallsize port offers AUTH (%v); the test needs one that does not", s.name, mode)
		}
		ctx := testContext(t)
		env := &client.Envelope{From: e.vars["SMTP_USER"], To: []string{"box-" + uniqueID(t) + "@" + e.vars["SMTP_DOMAIN"]}}
		_, err := c.Send(ctx, env, strings.NewReader("Subject: must not be sent\r\n\r\nsecret body\r\n"))
		var ue *client.UnsupportedError
		if !errors.As(err, &ue) || ue.Extension != "AUTH" || !strings.Contains(err.Error(), "nothing was sent unauthenticated") {
			t.Fatalf("%s: Send = %v (%T); want an *UnsupportedError for AUTH that says nothing was sent", s.name, err, err)
		}
		if _, err := c.Noop(ctx); err != nil {
			t.Errorf("%s: Noop = %v; want the session usable", s.name, err)
		}
		for _, bad := range []string{`line="AUTH`, `line="MAIL FROM`, "secret body", e.vars["SMTP_PASS"]} {
			if strings.Contains(log.String(), bad) {
				t.Errorf("%s: transcript holds %q:\n%s", s.name, bad, log.String())
			}
		}
	})
}

// TestSendPartialDelivery: one recipient of three is unknown (550) and one
// is temporarily refused (451); the message goes to the one accepted.
func TestSendPartialDelivery(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		id := uniqueID(t)
		ok := "box-" + id + "@" + e.vars["SMTP_DOMAIN"]
		unknown := "nosuch@" + e.vars["SMTP_DOMAIN"]
		tempfail := "tempfail@" + e.vars["SMTP_DOMAIN"]
		c := dial(t, s.addr("PLAIN"), e.options(client.TLSNone))
		body := fmt.Sprintf("Message-ID: <%s@interop.test>\r\nSubject: partial\r\n\r\nhello\r\n", id)
		env := &client.Envelope{From: "sender@client.test", To: []string{unknown, ok, tempfail}}
		res, err := c.Send(testContext(t), env, strings.NewReader(body))
		if res.State != client.DeliveryPartial {
			t.Fatalf("%s: Send to %v: state %v, %v; want partially delivered", s.name, env.To, res.State, err)
		}
		if _, isRecipients := errors.AsType[*client.RecipientsError](err); !isRecipients {
			t.Fatalf("%s: Send error = %v, want a *client.RecipientsError", s.name, err)
		}
		if got := res.Accepted(); len(got) != 1 || got[0] != ok {
			t.Errorf("%s: Accepted() = %v, want [%s]", s.name, got, ok)
		}
		wantCodes := []reply.Code{reply.CodeMailboxUnavailable, reply.CodeOK, reply.CodeLocalError}
		if len(res.Recipients) != len(wantCodes) {
			t.Fatalf("%s: Send to %v: %d recipient results %+v, want %d", s.name, env.To, len(res.Recipients), res.Recipients, len(wantCodes))
		}
		for i, rr := range res.Recipients {
			if rr.Reply.Code != wantCodes[i] {
				t.Errorf("%s: RCPT %s = %q, want %v", s.name, rr.Address, rr.Reply.String(), wantCodes[i])
			}
		}
		if e := res.Recipients[0].Err; !reply.IsPermanent(e) || !reply.IsMailboxUnavailable(e) {
			t.Errorf("%s: %s: %v, want permanent, mailbox unavailable", s.name, unknown, e)
		}
		if e := res.Recipients[2].Err; !reply.IsTemporary(e) || reply.RetryFor(e) != reply.RetryLater {
			t.Errorf("%s: %s: %v, want temporary with RetryLater", s.name, tempfail, e)
		}
		waitDelivered(t, s, "box", "<"+id+"@interop.test>")
	})
}
