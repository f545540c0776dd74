package interop

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// TestSMTPUTF8 delivers a message with a UTF-8 sender and recipient local
// part and UTF-8 headers (RFC 6531), and shows that without the SMTPUTF8
// option the client refuses such an address before sending anything.
func TestSMTPUTF8(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		ctx := testContext(t)
		d := &recordingDialer{wrap: true}
		opts := e.options(client.TLSNone)
		opts.Dialer = d
		c := dial(t, s.addr("PLAIN"), opts)
		if !c.Extensions().SMTPUTF8() || !c.Extensions().EightBitMIME() {
			t.Fatalf("%s: SMTPUTF8 and 8BITMIME not both advertised: %v", s.name, c.Extensions().Names())
		}
		conn := d.last().(*recordingConn)

		id := uniqueID(t)
		from := "sénder-" + id + "@client.test"
		to := "box-ñandú-" + id + "@" + e.vars["SMTP_DOMAIN"]

		n := len(conn.Writes())
		_, err := c.Mail(ctx, from, nil)
		if ie, ok := errors.AsType[*client.InputError](err); !ok || ie.Field != "from" {
			t.Errorf("%s: Mail(%q) without SMTPUTF8 = %v, want an *InputError for from", s.name, from, err)
		}
		if got := conn.Writes()[n:]; len(got) != 0 {
			t.Errorf("%s: Mail(%q) without SMTPUTF8 wrote %q, want nothing", s.name, from, got)
		}

		msg := fmt.Sprintf("Message-ID: <%s@interop.test>\r\n"+
			"From: Ñandú <%s>\r\n"+
			"To: <%s>\r\n"+
			"Subject: ¡Hola, señor! 日本語\r\n"+
			"\r\n"+
			"Cuerpo en UTF-8: ÀÉÎÕÜ ß 日本語 🙂\r\n", id, from, to)
		r, err := c.Mail(ctx, from, &client.MailOptions{UTF8: true, Body: client.Body8BitMIME})
		if err != nil || r.Code != reply.CodeOK {
			t.Fatalf("%s: Mail(%q, SMTPUTF8) = %q, %v, want 250", s.name, from, r.String(), err)
		}
		if r, err := c.Rcpt(ctx, to, nil); err != nil || r.Code != reply.CodeOK {
			t.Fatalf("%s: Rcpt(%q) = %q, %v, want 250", s.name, to, r.String(), err)
		}
		w, err := c.Data(ctx)
		if err != nil {
			t.Fatalf("%s: Data: %v", s.name, err)
		}
		if _, err := w.Write([]byte(msg)); err != nil {
			t.Fatalf("%s: Write: %v", s.name, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: DataWriter.Close: %v", s.name, err)
		}
		wantMail := "MAIL FROM:<" + from + "> BODY=8BITMIME SMTPUTF8\r\n"
		if !bytes.Contains(bytes.Join(conn.Writes(), nil), []byte(wantMail)) {
			t.Errorf("%s: no %q on the wire", s.name, wantMail)
		}
		if err := c.Quit(ctx); err != nil {
			t.Errorf("Quit: %v", err)
		}

		got := waitDelivered(t, s, "box", "<"+id+"@interop.test>")
		if want := strings.ReplaceAll(msg, "\r\n", "\n"); !bytes.HasSuffix(got, []byte(want)) {
			t.Errorf("%s: delivered file does not end with the message sent\n got: %q\nwant suffix: %q", s.name, got, want)
		}
		rcptHeader := "Delivered-To: " + to + "\n"
		if !s.postfix {
			rcptHeader = "Envelope-to: " + to + "\n"
		}
		if !bytes.Contains(got, []byte(rcptHeader)) {
			t.Errorf("%s: delivered file has no %q header: %q", s.name, rcptHeader, got)
		}
		// The server's Received header names the protocol: SMTPUTF8 was seen.
		proto := " with UTF8SMTP id "
		if !s.postfix {
			proto = " with utf8esmtp "
		}
		if !bytes.Contains(got, []byte(proto)) {
			t.Errorf("%s: Received header lacks %q (SMTPUTF8 not taken into account?): %q", s.name, proto, got)
		}
	})
}

// TestDSN: Postfix advertises DSN (RFC 3461). MAIL FROM with RET=HDRS and
// an ENVID that needs xtext, RCPT TO with NOTIFY=SUCCESS and an ORCPT are
// accepted; the message is delivered, and Postfix's success notification,
// delivered to the sender's mailbox, reports the decoded ENVID and ORCPT
// and returns the headers only. Exim does not advertise DSN: the client
// refuses the parameters before sending anything.
func TestDSN(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		ctx := testContext(t)
		d := &recordingDialer{wrap: true}
		opts := e.options(client.TLSNone)
		opts.Dialer = d
		c := dial(t, s.addr("PLAIN"), opts)
		conn := d.last().(*recordingConn)

		id := uniqueID(t)
		domain := e.vars["SMTP_DOMAIN"]
		from := "box-dsn-" + id + "@" + domain // the notification comes back here
		to := "box-" + id + "@" + domain
		orcpt := "Orig+" + id + "@" + domain
		envid := "env+" + id + "=x"
		mopts := &client.MailOptions{Return: client.DSNReturnHeaders, EnvelopeID: envid}
		ropts := &client.RcptOptions{Notify: client.DSNNotifySuccess | client.DSNNotifyFailure, OriginalRecipient: orcpt}

		if !s.postfix {
			if c.Extensions().DSN() {
				t.Fatalf("%s advertises DSN: %v; this test expects it not to", s.name, c.Extensions().Names())
			}
			n := len(conn.Writes())
			_, err := c.Mail(ctx, from, mopts)
			if ue, ok := errors.AsType[*client.UnsupportedError](err); !ok || ue.Extension != "DSN" {
				t.Errorf("%s: Mail with RET and ENVID = %v, want an *UnsupportedError for DSN", s.name, err)
			}
			if _, err := c.Mail(ctx, from, nil); err != nil {
				t.Fatalf("%s: Mail: %v", s.name, err)
			}
			_, err = c.Rcpt(ctx, to, ropts)
			if ue, ok := errors.AsType[*client.UnsupportedError](err); !ok || ue.Extension != "DSN" {
				t.Errorf("%s: Rcpt with NOTIFY and ORCPT = %v, want an *UnsupportedError for DSN", s.name, err)
			}
			want := "MAIL FROM:<" + from + ">\r\n"
			if got := conn.Writes()[n:]; len(got) != 1 || string(got[0]) != want {
				t.Errorf("%s: wrote %q, want only %q (nothing for the refused calls)", s.name, got, want)
			}
			return
		}

		if !c.Extensions().DSN() {
			t.Fatalf("%s: DSN not advertised: %v", s.name, c.Extensions().Names())
		}
		if r, err := c.Mail(ctx, from, mopts); err != nil || r.Code != reply.CodeOK {
			t.Fatalf("%s: Mail(RET=HDRS ENVID=%q) = %q, %v, want 250", s.name, envid, r.String(), err)
		}
		if r, err := c.Rcpt(ctx, to, ropts); err != nil || r.Code != reply.CodeOK {
			t.Fatalf("%s: Rcpt(NOTIFY=SUCCESS,FAILURE ORCPT=%q) = %q, %v, want 250", s.name, orcpt, r.String(), err)
		}
		w, err := c.Data(ctx)
		if err != nil {
			t.Fatalf("%s: Data: %v", s.name, err)
		}
		msg := fmt.Sprintf("Message-ID: <%s@interop.test>\r\nSubject: dsn\r\n\r\ndsn body %s\r\n", id, id)
		if _, err := w.Write([]byte(msg)); err != nil {
			t.Fatalf("%s: Write: %v", s.name, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: DataWriter.Close: %v", s.name, err)
		}
		if err := c.Quit(ctx); err != nil {
			t.Errorf("Quit: %v", err)
		}
		wire := string(bytes.Join(conn.Writes(), nil))
		for _, want := range []string{
			"MAIL FROM:<" + from + "> RET=HDRS ENVID=env+2B" + id + "+3Dx\r\n",
			"RCPT TO:<" + to + "> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Orig+2B" + id + "@" + domain + "\r\n",
		} {
			if !strings.Contains(wire, want) {
				t.Errorf("%s: %q not on the wire: %q", s.name, want, wire)
			}
		}

		got := waitDelivered(t, s, "box", "dsn body "+id)
		if want := strings.ReplaceAll(msg, "\r\n", "\n"); !bytes.HasSuffix(got, []byte(want)) {
			t.Errorf("%s: delivered %q, want it to end with %q", s.name, got, want)
		}
		report := waitDelivered(t, s, "box", "Original-Envelope-Id: "+envid)
		for _, want := range []string{
			"Delivered-To: " + from + "\n",
			"Content-Type: message/delivery-status",
			"Original-Recipient: rfc822;" + orcpt + "\n",
			"Final-Recipient: rfc822; " + to + "\n",
			"Action: delivered",
			"Status: 2.0.0",
			"Content-Type: text/rfc822-headers", // RET=HDRS
			"Message-ID: <" + id + "@interop.test>",
		} {
			if !bytes.Contains(report, []byte(want)) {
				t.Errorf("%s: success notification lacks %q:\n%s", s.name, want, report)
			}
		}
		if bytes.Contains(report, []byte("dsn body "+id)) {
			t.Errorf("%s: RET=HDRS, yet the notification returns the body:\n%s", s.name, report)
		}
	})
}

// TestRequireTLSRefused: MAIL FROM with REQUIRETLS (RFC 8689) on a
// cleartext session is refused by the client as a TLS policy failure,
// before anything is written, and the session goes on. Over verified TLS
// the option still needs the extension, which neither server advertises.
func TestRequireTLSRefused(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		for _, mode := range []client.TLSMode{client.TLSNone, client.TLSStartTLS} {
			ctx := testContext(t)
			d := &recordingDialer{wrap: true}
			opts := e.options(mode)
			opts.Dialer = d
			c := dial(t, s.addr("PLAIN"), opts)
			conn := d.last().(*recordingConn)
			if c.Extensions().RequireTLS() {
				t.Fatalf("%s advertises REQUIRETLS: %v; this test expects it not to", s.name, c.Extensions().Names())
			}

			n := len(conn.Writes())
			_, err := c.Mail(ctx, sender, &client.MailOptions{RequireTLS: true})
			if mode == client.TLSNone {
				te, ok := errors.AsType[*client.TLSError](err)
				if !ok || te.Reason != client.TLSReasonNotSecure || !reply.IsTLSRequired(err) {
					t.Errorf("%s: Mail(REQUIRETLS) in cleartext = %v, want a *client.TLSError (not secure) matching IsTLSRequired", s.name, err)
				}
			} else {
				if !c.Secure() {
					t.Fatalf("%s: Secure() = false after STARTTLS", s.name)
				}
				if ue, ok := errors.AsType[*client.UnsupportedError](err); !ok || ue.Extension != "REQUIRETLS" {
					t.Errorf("%s: Mail(REQUIRETLS) over TLS = %v, want an *UnsupportedError for REQUIRETLS", s.name, err)
				}
			}
			if got := conn.Writes()[n:]; len(got) != 0 {
				t.Errorf("%s (%v): the refused Mail wrote %d times (%q), want nothing on the wire", s.name, mode, len(got), got)
			}
			// No transaction was opened: a MAIL FROM now gets 250, not 503.
			if r, err := c.Mail(ctx, sender, nil); err != nil || r.Code != reply.CodeOK {
				t.Errorf("%s (%v): Mail after the refusal = %q, %v, want 250", s.name, mode, r.String(), err)
			}
			if err := c.Quit(ctx); err != nil {
				t.Errorf("Quit: %v", err)
			}
		}
	})
}
