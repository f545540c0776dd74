package interop

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
)

const sender = "sender@client.test"

func TestGreeting(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		c := dial(t, s.addr("PLAIN"), e.options(client.TLSNone))
		g := c.Greeting()
		if g.Code != reply.CodeServiceReady {
			t.Errorf("%s: greeting code = %v, want 220 (reply %q)", s.addr("PLAIN"), g.Code, g.String())
		}
		if want := s.hostname + " ESMTP"; !strings.HasPrefix(g.Text(), want) {
			t.Errorf("%s: greeting text = %q, want prefix %q", s.addr("PLAIN"), g.Text(), want)
		}
		if err := c.Quit(testContext(t)); err != nil {
			t.Errorf("Quit: %v", err)
		}
	})
}

func TestExtensions(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		c := dial(t, s.addr("PLAIN"), e.options(client.TLSNone))
		ext := c.Extensions()
		// What each server advertises on its plain port (../mta/README.md).
		want := map[string]bool{
			"PIPELINING": true, "8BITMIME": true, "STARTTLS": true, "CHUNKING": true,
			"SMTPUTF8": true, "SIZE": true, "AUTH": true,
			"ENHANCEDSTATUSCODES": s.postfix, "DSN": s.postfix,
		}
		for name, has := range want {
			if got := ext.Has(name); got != has {
				t.Errorf("%s: Extensions().Has(%q) = %v, want %v (EHLO keywords %v)", s.name, name, got, has, ext.Names())
			}
		}
		wantSize := int64(10485760) // Exim's 10M
		if s.postfix {
			wantSize = 10240000
		}
		if got, ok := ext.Size(); !ok || got != wantSize {
			t.Errorf("%s: Extensions().Size() = %d, %v, want %d, true", s.name, got, ok, wantSize)
		}
		gotMechs := ext.AuthMechanisms()
		wantMechs := strings.Split(s.get("AUTH_MECHS"), ",")
		slices.Sort(gotMechs)
		slices.Sort(wantMechs)
		if !slices.Equal(gotMechs, wantMechs) {
			t.Errorf("%s: AuthMechanisms() = %v, want %v", s.name, gotMechs, wantMechs)
		}
	})
}

// TestSubmissionNeedsTLS: MAIL before STARTTLS on a port that requires TLS
// gets "530 5.7.0 Must issue a STARTTLS command first" (Postfix's own text,
// and Exim's ACL text), which must read as TLS required, not as AUTH required.
func TestSubmissionNeedsTLS(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		c := dial(t, s.addr("SUBMISSION"), e.options(client.TLSNone))
		if c.Extensions().Has("AUTH") {
			t.Errorf("%s: AUTH advertised before STARTTLS: %v", s.name, c.Extensions().Names())
		}
		_, err := c.Mail(testContext(t), sender, nil)
		re, ok := errors.AsType[*reply.Error](err)
		if !ok {
			t.Fatalf("%s: Mail before STARTTLS: err = %v, want a *reply.Error", s.name, err)
		}
		if re.Reply.Code != reply.CodeAuthRequired || re.Command != "MAIL FROM" {
			t.Errorf("%s: Mail before STARTTLS: %s %q, want MAIL FROM 530", s.name, re.Command, re.Reply.String())
		}
		if !reply.IsTLSRequired(err) || reply.IsAuthRequired(err) {
			t.Errorf("%s: %q: IsTLSRequired = %v, IsAuthRequired = %v, want true, false",
				s.name, re.Reply.String(), reply.IsTLSRequired(err), reply.IsAuthRequired(err))
		}
		if got := reply.RetryFor(err); got != reply.RetryAfterStartTLS {
			t.Errorf("%s: RetryFor(%q) = %v, want %v", s.name, re.Reply.String(), got, reply.RetryAfterStartTLS)
		}
	})
}

// TestSubmissionNeedsAuth: after STARTTLS, MAIL before AUTH gets a 530 that
// must read as AUTH required.
func TestSubmissionNeedsAuth(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		c := dial(t, s.addr("SUBMISSION"), e.options(client.TLSStartTLS))
		if !c.Secure() {
			t.Errorf("%s: Secure() = false after STARTTLS with a verified certificate", s.name)
		}
		if c.Extensions().Has("STARTTLS") || !c.Extensions().Has("AUTH") {
			t.Errorf("%s: EHLO after STARTTLS = %v, want AUTH and no STARTTLS", s.name, c.Extensions().Names())
		}
		_, err := c.Mail(testContext(t), sender, nil)
		re, ok := errors.AsType[*reply.Error](err)
		if !ok {
			t.Fatalf("%s: Mail before AUTH: err = %v, want a *reply.Error", s.name, err)
		}
		if re.Reply.Code != reply.CodeAuthRequired {
			t.Errorf("%s: Mail before AUTH: %q, want 530", s.name, re.Reply.String())
		}
		if !reply.IsAuthRequired(err) || reply.IsTLSRequired(err) {
			t.Errorf("%s: %q: IsAuthRequired = %v, IsTLSRequired = %v, want true, false",
				s.name, re.Reply.String(), reply.IsAuthRequired(err), reply.IsTLSRequired(err))
		}
	})
}

func TestImplicitTLS(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		c := dial(t, s.addr("SMTPS"), e.options(client.TLSImplicit))
		st, ok := c.TLSConnectionState()
		if !ok || !st.HandshakeComplete || len(st.VerifiedChains) == 0 {
			t.Fatalf("%s: TLSConnectionState() = handshake %v, %d verified chains, %v; want a verified handshake",
				s.name, st.HandshakeComplete, len(st.VerifiedChains), ok)
		}
		if g := c.Greeting(); g.Code != reply.CodeServiceReady || !strings.HasPrefix(g.Text(), s.hostname) {
			t.Errorf("%s: greeting over TLS = %q, want 220 %s ...", s.name, g.String(), s.hostname)
		}
		if !c.Extensions().Has("AUTH") || c.Extensions().Has("STARTTLS") {
			t.Errorf("%s: EHLO over implicit TLS = %v, want AUTH and no STARTTLS", s.name, c.Extensions().Names())
		}
		if err := c.Quit(testContext(t)); err != nil {
			t.Errorf("Quit: %v", err)
		}
	})
}

// TestGreetingRejected: a 554 greeting makes Dial fail with the reply.
func TestGreetingRejected(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		c, err := client.Dial(testContext(t), s.addr("REJECT"), e.options(client.TLSNone))
		if err == nil {
			c.Close()
			t.Fatalf("%s: Dial(%s) = nil error, want the 554 greeting", s.name, s.addr("REJECT"))
		}
		re, ok := errors.AsType[*reply.Error](err)
		if !ok {
			t.Fatalf("%s: Dial(%s): %v, want a *reply.Error", s.name, s.addr("REJECT"), err)
		}
		if re.Reply.Code != reply.CodeTransactionFailed || !reply.IsPermanent(err) {
			t.Errorf("%s: Dial(%s): %q, IsPermanent = %v; want 554, true", s.name, s.addr("REJECT"), re.Reply.String(), reply.IsPermanent(err))
		}
		if got := reply.RetryFor(err); got != reply.RetryNever {
			t.Errorf("%s: RetryFor(%q) = %v, want %v", s.name, re.Reply.String(), got, reply.RetryNever)
		}
	})
}

// TestDeliveredBytes sends a message whose body needs dot-stuffing and
// line-ending care, and reads it back from the server's Maildir: the file
// must end with exactly the message sent (servers store LF line endings and
// prepend their own header lines only).
func TestDeliveredBytes(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		id := uniqueID(t)
		rcpt := "box-" + id + "@" + e.vars["SMTP_DOMAIN"]
		msg := fmt.Sprintf("Message-ID: <%s@interop.test>\r\n"+
			"Subject: interop delivered bytes\r\n"+
			"\r\n"+
			"first line\r\n"+
			".\r\n"+ // alone on its line: must be stuffed, or the message ends here
			".leading dot\r\n"+
			"..two dots\r\n"+
			"trailing spaces   \r\n"+
			"\ttab\r\n"+
			"\r\n"+
			"last line\r\n", id)

		ctx := testContext(t)
		c := dial(t, s.addr("PLAIN"), e.options(client.TLSNone))
		if _, err := c.Mail(ctx, sender, nil); err != nil {
			t.Fatalf("Mail(%s): %v", sender, err)
		}
		if _, err := c.Rcpt(ctx, rcpt, nil); err != nil {
			t.Fatalf("Rcpt(%s): %v", rcpt, err)
		}
		w, err := c.Data(ctx)
		if err != nil {
			t.Fatalf("Data: %v", err)
		}
		if _, err := w.Write([]byte(msg)); err != nil {
			t.Fatalf("Write: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("DataWriter.Close: %v", err)
		}
		if r := w.Reply(); r.Code != reply.CodeOK {
			t.Errorf("%s: reply to the final dot = %q, want 250", s.name, r.String())
		}
		if err := c.Quit(ctx); err != nil {
			t.Errorf("Quit: %v", err)
		}

		got := waitDelivered(t, s, "box", "<"+id+"@interop.test>")
		want := []byte(strings.ReplaceAll(msg, "\r\n", "\n"))
		if !bytes.HasSuffix(got, want) {
			t.Errorf("%s: delivered file does not end with the message sent\n got: %q\nwant suffix: %q", s.name, got, want)
		}
		if n := bytes.Count(got, []byte("Message-ID: <"+id)); n != 1 {
			t.Errorf("%s: delivered file holds %d copies of the message, want 1: %q", s.name, n, got)
		}
	})
}
