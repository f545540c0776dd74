package interop

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// TestSendAuthenticatesOn530: on the submission port, Send's MAIL FROM is
// refused with 530 (authentication required); Send authenticates with
// Options.Auth, sends the transaction again and the message is delivered.
func TestSendAuthenticatesOn530(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		user, pass := e.vars["SMTP_USER"], e.vars["SMTP_PASS"]
		id := uniqueID(t)
		opts := e.options(client.TLSStartTLS)
		opts.Auth = sasl.Password(user, pass)
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
