package interop

import (
	"errors"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// TestMessageTooLarge: on the port with a 2000-byte limit, a declared SIZE
// over the limit is refused by the client before sending, and an
// undeclared 3000-byte body gets the server's 552 after the final dot.
func TestMessageTooLarge(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		ctx := testContext(t)
		c := dial(t, s.addr("SMALLSIZE"), e.options(client.TLSNone))
		if limit, ok := c.Extensions().Size(); !ok || limit != 2000 {
			t.Fatalf("%s: Extensions().Size() = %d, %v, want 2000 (SMALLSIZE_LIMIT %s)", s.name, limit, ok, s.get("SMALLSIZE_LIMIT"))
		}
		_, err := c.Mail(ctx, sender, &client.MailOptions{Size: 3000})
		if _, ok := errors.AsType[*client.SizeError](err); !ok || !reply.IsMessageTooLarge(err) {
			t.Errorf("%s: Mail(SIZE=3000) = %v, want a *client.SizeError matching IsMessageTooLarge", s.name, err)
		}

		if _, err := c.Mail(ctx, sender, nil); err != nil {
			t.Fatalf("Mail: %v", err)
		}
		if _, err := c.Rcpt(ctx, "user@"+e.vars["SMTP_DOMAIN"], nil); err != nil {
			t.Fatalf("Rcpt: %v", err)
		}
		w, err := c.Data(ctx)
		if err != nil {
			t.Fatalf("Data: %v", err)
		}
		if _, err := w.Write([]byte("Subject: too large\r\n\r\n" + strings.Repeat(strings.Repeat("x", 70)+"\r\n", 42))); err != nil {
			t.Fatalf("Write: %v", err)
		}
		err = w.Close()
		re, ok := errors.AsType[*reply.Error](err)
		if !ok || re.Reply.Code != reply.CodeExceededStorage || !reply.IsMessageTooLarge(err) || !reply.IsPermanent(err) {
			t.Fatalf("%s: Close after a 3000-byte body = %v, want 552 matching IsMessageTooLarge and IsPermanent", s.name, err)
		}
		if _, err := c.Noop(ctx); err != nil {
			t.Errorf("%s: Noop after the 552: %v, want the session still usable", s.name, err)
		}
	})
}

// TestConnectionLimit (Postfix): with one session open, a second one is
// greeted with 421 and closed.
func TestConnectionLimit(t *testing.T) {
	eachWith(t, "CONNLIMIT", func(t *testing.T, e *env, s server) {
		first := dial(t, s.addr("CONNLIMIT"), e.options(client.TLSNone))
		c, err := client.Dial(testContext(t), s.addr("CONNLIMIT"), e.options(client.TLSNone))
		if err == nil {
			c.Close()
			t.Fatalf("%s: second Dial(%s) succeeded, want 421", s.name, s.addr("CONNLIMIT"))
		}
		re, ok := errors.AsType[*reply.Error](err)
		if !ok || re.Reply.Code != reply.CodeServiceNotAvailable || !reply.IsServiceClosing(err) || !reply.IsTemporary(err) {
			t.Fatalf("%s: second Dial = %v, want 421 matching IsServiceClosing and IsTemporary", s.name, err)
		}
		if got := reply.RetryFor(err); got != reply.RetryNewConnection {
			t.Errorf("%s: RetryFor(%q) = %v, want %v", s.name, re.Reply.String(), got, reply.RetryNewConnection)
		}
		if _, err := first.Noop(testContext(t)); err != nil {
			t.Errorf("%s: first session after the refused second: %v", s.name, err)
		}
	})
}

// TestPostscreen (Postfix): a blacklisted client is greeted with 521 and
// the connection closed.
func TestPostscreen(t *testing.T) {
	eachWith(t, "POSTSCREEN", func(t *testing.T, e *env, s server) {
		c, err := client.Dial(testContext(t), s.addr("POSTSCREEN"), e.options(client.TLSNone))
		if err == nil {
			c.Close()
			t.Fatalf("%s: Dial(%s) succeeded, want 521", s.name, s.addr("POSTSCREEN"))
		}
		re, ok := errors.AsType[*reply.Error](err)
		if !ok || re.Reply.Code != reply.CodeNoMailService || !reply.IsPermanent(err) {
			t.Fatalf("%s: Dial(%s) = %v, want 521 matching IsPermanent", s.name, s.addr("POSTSCREEN"), err)
		}
	})
}
