package interop

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// checkRefusal checks that err is the server's refusal of verb with the
// given code and enhanced code ("" for none), of the class the code says,
// with the retry advice want.
func checkRefusal(t *testing.T, s server, what string, err error, verb string, code reply.Code, enhanced string, retry reply.Retry) *reply.Error {
	t.Helper()
	re, ok := errors.AsType[*reply.Error](err)
	if !ok {
		t.Errorf("%s: %s: err = %v, want a *reply.Error %v", s.name, what, err, code)
		return nil
	}
	if re.Command != verb || re.Reply.Code != code || re.Reply.Enhanced.String() != enhanced {
		t.Errorf("%s: %s: %s %q, want %s %v %s", s.name, what, re.Command, re.Reply.String(), verb, code, enhanced)
	}
	temporary := code.Class() == reply.ClassTransient
	if reply.IsTemporary(err) != temporary || reply.IsPermanent(err) == temporary {
		t.Errorf("%s: %s: %q: IsTemporary = %v, IsPermanent = %v, want %v, %v",
			s.name, what, re.Reply.String(), reply.IsTemporary(err), reply.IsPermanent(err), temporary, !temporary)
	}
	if got := reply.RetryFor(err); got != retry {
		t.Errorf("%s: %s: RetryFor(%q) = %v, want %v", s.name, what, re.Reply.String(), got, retry)
	}
	return re
}

// TestTransientRecipients: 450, 451 and 452 at RCPT TO, from the fixed
// recipients and the codes on demand, are transient with RetryLater and the
// kind their code says; the transaction goes on and delivers to the
// recipient that was accepted.
func TestTransientRecipients(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		ctx := testContext(t)
		domain := e.vars["SMTP_DOMAIN"]
		// Postfix adds 4.7.1 to an access-map reply without an enhanced
		// code; Exim sends none of its own.
		defaultEnh := ""
		if s.postfix {
			defaultEnh = "4.7.1"
		}
		tests := []struct {
			to       string
			code     reply.Code
			enhanced string
			is       func(error) bool // the kind, or nil
			isName   string
		}{
			{"greylist@" + domain, reply.CodeMailboxBusy, "4.7.1", reply.IsRateLimited, "IsRateLimited"},
			{"tempfail@" + domain, reply.CodeLocalError, "4.3.0", nil, ""},
			{"full@" + domain, reply.CodeInsufficientStorage, "4.2.2", reply.IsMailboxFull, "IsMailboxFull"},
			// A 4.7.1 that states no reason is a deferral, not a rate limit.
			{"451-4.7.1@codes.test", reply.CodeLocalError, "4.7.1", nil, ""},
			{"450-4.2.0@codes.test", reply.CodeMailboxBusy, "4.2.0", nil, ""},
			{"452@codes.test", reply.CodeInsufficientStorage, defaultEnh, nil, ""},
		}
		c := dial(t, s.addr("PLAIN"), e.options(client.TLSNone))
		if _, err := c.Mail(ctx, sender, nil); err != nil {
			t.Fatalf("%s: Mail: %v", s.name, err)
		}
		for _, tt := range tests {
			_, err := c.Rcpt(ctx, tt.to, nil)
			what := fmt.Sprintf("Rcpt(%s)", tt.to)
			re := checkRefusal(t, s, what, err, "RCPT TO", tt.code, tt.enhanced, reply.RetryLater)
			if re != nil && tt.is != nil && !tt.is(err) {
				t.Errorf("%s: %s: %s(%q) = false, want true", s.name, what, tt.isName, re.Reply.String())
			}
			if reply.IsServiceClosing(err) || reply.IsMailboxUnavailable(err) {
				t.Errorf("%s: %s: %v: IsServiceClosing or IsMailboxUnavailable, want neither", s.name, what, err)
			}
		}
		id := uniqueID(t)
		if r, err := c.Rcpt(ctx, "box-"+id+"@"+domain, nil); err != nil || r.Code != reply.CodeOK {
			t.Fatalf("%s: Rcpt after the refusals = %q, %v, want 250", s.name, r.String(), err)
		}
		w, err := c.Data(ctx)
		if err != nil {
			t.Fatalf("%s: Data: %v", s.name, err)
		}
		fmt.Fprintf(w, "Message-ID: <%s@interop.test>\r\nSubject: after 4xx\r\n\r\nhello\r\n", id)
		if err := w.Close(); err != nil {
			t.Fatalf("%s: DataWriter.Close: %v", s.name, err)
		}
		waitDelivered(t, s, "box", "<"+id+"@interop.test>")
	})
}

// TestSenderCodes: codes on demand at MAIL FROM.
func TestSenderCodes(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		ctx := testContext(t)
		c := dial(t, s.addr("PLAIN"), e.options(client.TLSNone))
		_, err := c.Mail(ctx, "553-5.1.8@codes.test", nil)
		checkRefusal(t, s, "Mail(553-5.1.8)", err, "MAIL FROM", reply.CodeMailboxNameInvalid, "5.1.8", reply.RetryNever)
		if !reply.IsDomainUnavailable(err) || reply.IsMailboxUnavailable(err) {
			t.Errorf("%s: Mail(553-5.1.8): IsDomainUnavailable(%v) = false or IsMailboxUnavailable true, want a bad sender domain", s.name, err)
		}
		_, err = c.Mail(ctx, "451-4.3.0@codes.test", nil)
		checkRefusal(t, s, "Mail(451-4.3.0)", err, "MAIL FROM", reply.CodeLocalError, "4.3.0", reply.RetryLater)
		if r, err := c.Mail(ctx, sender, nil); err != nil || r.Code != reply.CodeOK {
			t.Errorf("%s: Mail after the refusals = %q, %v, want 250", s.name, r.String(), err)
		}
	})
}

// TestDataCodes: the server refuses DATA itself (4xx, 5xx) through the
// data access map or ACL; the transaction is cleared and the session goes
// on. Through Send, the message is reported rejected.
func TestDataCodes(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		ctx := testContext(t)
		to := "box-" + uniqueID(t) + "@" + e.vars["SMTP_DOMAIN"]
		c := dial(t, s.addr("PLAIN"), e.options(client.TLSNone))

		if _, err := c.Mail(ctx, "data-451-4.3.0@codes.test", nil); err != nil {
			t.Fatalf("%s: Mail: %v", s.name, err)
		}
		if _, err := c.Rcpt(ctx, to, nil); err != nil {
			t.Fatalf("%s: Rcpt: %v", s.name, err)
		}
		w, err := c.Data(ctx)
		if w != nil {
			t.Fatalf("%s: Data returned a writer after a refusal", s.name)
		}
		checkRefusal(t, s, "Data (data-451)", err, "DATA", reply.CodeLocalError, "4.3.0", reply.RetryLater)
		if _, err := c.Reset(ctx); err != nil {
			t.Fatalf("%s: Reset after the refused DATA: %v", s.name, err)
		}

		// UseDATA: the synthetic refusal is at DATA (Exim's predata ACL
		// does not run for BDAT).
		env := &client.Envelope{From: "data-554-5.7.1@codes.test", To: []string{to}, UseDATA: true}
		res, err := c.Send(ctx, env, strings.NewReader("Subject: refused at DATA\r\n\r\nx\r\n"))
		if res.State != client.DeliveryRejected {
			t.Errorf("%s: Send (data-554): state %v, want rejected", s.name, res.State)
		}
		checkRefusal(t, s, "Send (data-554)", err, "DATA", reply.CodeTransactionFailed, "5.7.1", reply.RetryNever)
		if r, err := c.Noop(ctx); err != nil || r.Code != reply.CodeOK {
			t.Errorf("%s: Noop after Send = %q, %v, want 250", s.name, r.String(), err)
		}
	})
}

// TestEndOfDataCodes: refusals after the final dot, from the end-of-data
// access map or ACL and from a header check, reach Send as the "end of
// data" reply, and the session goes on.
//
// Postfix 3.7 leaves the transaction open after a refusal by
// smtpd_end_of_data_restrictions (a MAIL FROM right after it gets "503
// 5.5.1 Error: nested MAIL command"), against RFC 5321 section 4.1.1.4; the
// client therefore starts the next transaction with RSET. So after each
// refusal a second message is sent on the same session: it must be
// delivered, with its own sender, on every server, and its RSET must leave
// in the same write as MAIL FROM, RCPT TO and DATA.
func TestEndOfDataCodes(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		ctx := testContext(t)
		tests := []struct {
			from, subject string
			code          reply.Code
			enhanced      string
			retry         reply.Retry
		}{
			{"eod-451-4.3.0@codes.test", "eod 451", reply.CodeLocalError, "4.3.0", reply.RetryLater},
			{"eod-554-5.7.1@codes.test", "eod 554", reply.CodeTransactionFailed, "5.7.1", reply.RetryNever},
			{sender, "REJECT-ME please", reply.CodeMailboxUnavailable, "5.7.1", reply.RetryNever},
		}
		for _, tt := range tests {
			d := &recordingDialer{wrap: true}
			opts := e.options(client.TLSNone)
			opts.Dialer = d
			c := dial(t, s.addr("PLAIN"), opts)
			conn := d.last().(*recordingConn)
			id := uniqueID(t)
			// UseDATA: the final dot's refusal (BDAT LAST's is in TestBDAT).
			env := &client.Envelope{From: tt.from, To: []string{"box-" + id + "@" + e.vars["SMTP_DOMAIN"]}, UseDATA: true}
			body := fmt.Sprintf("Message-ID: <%s@interop.test>\r\nSubject: %s\r\n\r\nrefused\r\n", id, tt.subject)
			res, err := c.Send(ctx, env, strings.NewReader(body))
			what := fmt.Sprintf("Send(from %s, Subject %q)", tt.from, tt.subject)
			if res.State != client.DeliveryRejected || res.Final.Code != tt.code {
				t.Errorf("%s: %s: state %v, Final %q; want rejected, %v", s.name, what, res.State, res.Final.String(), tt.code)
			}
			checkRefusal(t, s, what, err, "end of data", tt.code, tt.enhanced, tt.retry)
			if reply.IsMailboxUnavailable(err) {
				t.Errorf("%s: %s: IsMailboxUnavailable(%v) = true; a refused message is not a refused mailbox", s.name, what, err)
			}
			if r, err := c.Noop(ctx); err != nil || r.Code != reply.CodeOK {
				t.Fatalf("%s: Noop after %s = %q, %v, want 250", s.name, what, r.String(), err)
			}

			before := len(conn.Writes())
			sendAfterRefusal(t, e, s, c, what, false)
			// RSET goes with the envelope and DATA (PIPELINING), in one write.
			writes := conn.Writes()[before:]
			w := string(first(writes))
			if !strings.HasPrefix(w, "RSET\r\nMAIL FROM:<"+sender+">\r\nRCPT TO:<box-") || !strings.HasSuffix(w, ">\r\nDATA\r\n") {
				t.Errorf("%s: first write of the Send after %s = %q, want RSET, MAIL FROM, RCPT TO and DATA in one write (all writes: %q)",
					s.name, what, w, writes)
			}
		}
	})
}

// sendAfterRefusal sends a message on c after the refusal what, and
// checks that it is delivered with its own sender, never in a stale
// transaction (see TestEndOfDataCodes).
func sendAfterRefusal(t *testing.T, e *env, s server, c *client.Client, what string, chunking bool) {
	t.Helper()
	next := uniqueID(t)
	env := &client.Envelope{From: sender, To: []string{"box-" + next + "@" + e.vars["SMTP_DOMAIN"]}, UseDATA: !chunking}
	body := fmt.Sprintf("Message-ID: <%s@interop.test>\r\nSubject: after a refusal\r\n\r\nhello\r\n", next)
	res, err := c.Send(testContext(t), env, strings.NewReader(body))
	if err != nil || res.State != client.DeliveryComplete {
		t.Errorf("%s: Send after %s = %v, %v (RetryFor %v), want delivered on the same connection",
			s.name, what, res.State, err, reply.RetryFor(err))
		return
	}
	got := waitDelivered(t, s, "box", "<"+next+"@interop.test>")
	from := "Return-Path: <" + sender + ">\n"
	if !s.postfix {
		from = "(envelope-from <" + sender + ">)"
	}
	if !strings.Contains(string(got), from) {
		t.Errorf("%s: message sent after %s delivered without %q: %q", s.name, what, from, got)
	}
}

// TestSoftBounce (Postfix, soft_bounce=yes): every 5xx refusal becomes 4xx
// (5.X.Y becomes 4.X.Y), so the same refusals now advise a later retry.
func TestSoftBounce(t *testing.T) {
	eachWith(t, "SOFTBOUNCE", func(t *testing.T, e *env, s server) {
		ctx := testContext(t)
		domain := e.vars["SMTP_DOMAIN"]
		c := dial(t, s.addr("SOFTBOUNCE"), e.options(client.TLSNone))
		_, err := c.Mail(ctx, "553-5.1.8@codes.test", nil)
		checkRefusal(t, s, "Mail(553-5.1.8) soft-bounced", err, "MAIL FROM", reply.Code(453), "4.1.8", reply.RetryLater)
		if _, err := c.Mail(ctx, sender, nil); err != nil {
			t.Fatalf("%s: Mail: %v", s.name, err)
		}
		_, err = c.Rcpt(ctx, "nosuch@"+domain, nil)
		checkRefusal(t, s, "Rcpt(nosuch) soft-bounced", err, "RCPT TO", reply.CodeMailboxBusy, "4.1.1", reply.RetryLater)
		if !reply.IsMailboxUnavailable(err) {
			t.Errorf("%s: soft-bounced unknown user: IsMailboxUnavailable(%v) = false, want true", s.name, err)
		}
		_, err = c.Rcpt(ctx, "blocked@"+domain, nil)
		checkRefusal(t, s, "Rcpt(blocked) soft-bounced", err, "RCPT TO", reply.CodeMailboxBusy, "4.7.1", reply.RetryLater)
		_, err = c.Rcpt(ctx, "someone@elsewhere.test", nil)
		checkRefusal(t, s, "Rcpt(relay) soft-bounced", err, "RCPT TO", reply.CodeTempAuthFailure, "4.7.1", reply.RetryLater)
		if reply.IsAuthTemporary(err) {
			t.Errorf("%s: soft-bounced relay denial: IsAuthTemporary(%v) = true, want false (454 to RCPT TO)", s.name, err)
		}
	})
}

// TestServiceClosingRecipient: "421 4.3.2" at RCPT TO (Postfix closes the
// connection, Exim keeps it open) is service closing with a new connection
// advised; the client is broken afterwards either way.
func TestServiceClosingRecipient(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		ctx := testContext(t)
		c := dial(t, s.addr("PLAIN"), e.options(client.TLSNone))
		if _, err := c.Mail(ctx, sender, nil); err != nil {
			t.Fatalf("%s: Mail: %v", s.name, err)
		}
		_, err := c.Rcpt(ctx, "bye@"+e.vars["SMTP_DOMAIN"], nil)
		checkRefusal(t, s, "Rcpt(bye)", err, "RCPT TO", reply.CodeServiceNotAvailable, "4.3.2", reply.RetryNewConnection)
		if !reply.IsServiceClosing(err) {
			t.Errorf("%s: IsServiceClosing(%v) = false, want true", s.name, err)
		}
		_, err = c.Noop(ctx)
		if !errors.Is(err, client.ErrBroken) || !reply.IsServiceClosing(err) {
			t.Errorf("%s: Noop after 421 = %v, want ErrBroken wrapping the 421", s.name, err)
		}
	})
}
