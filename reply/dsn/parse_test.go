package dsn

import (
	"errors"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// A Postfix-style DSN: one failed recipient with an smtp diagnostic.
func TestParsePostfixStyle(t *testing.T) {
	msg := "From: MAILER-DAEMON@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\n<user@example.org>: host mx.example.org[192.0.2.2] said: 550 5.1.1\r\n" +
		"    <user@example.org>: Recipient address rejected: User unknown (in reply to RCPT TO command)\r\n\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n" +
		"Original-Envelope-Id: env+2B1\r\n\r\nFinal-Recipient: rfc822; user@example.org\r\nAction: failed\r\n" +
		"Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 <user@example.org>: Recipient address rejected:\r\n" +
		"    User unknown\r\n\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <abc@example.com>\r\n" +
		"Subject: hello\r\n\r\n--B--\r\n"
	rep, err := Parse(strings.NewReader(msg), nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if rep.Format != FormatDSN || rep.ReportingMTA.Name != "mx.example.com" || rep.OriginalEnvelopeID != "env+1" ||
		rep.Original.MessageID != "abc@example.com" || len(rep.Recipients) != 1 {
		t.Fatalf("Parse = %+v", rep)
	}
	r := rep.Recipients[0]
	if r.Action != ActionFailed || r.Status.String() != "5.1.1" || r.Diagnostic.Reply.Code != 550 ||
		r.Diagnostic.Command != reply.CommandRcpt {
		t.Errorf("recipient = %+v", r)
	}
	if err := r.Err(); !reply.IsMailboxUnavailable(err) || reply.RetryFor(err) != reply.RetryNever {
		t.Errorf("Err() = %v, want a mailbox-unavailable error", err)
	}
}

// An ordinary message is not a bounce.
func TestParseNotBounce(t *testing.T) {
	_, err := Parse(strings.NewReader("From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n"), nil)
	if !errors.Is(err, ErrNotBounce) {
		t.Errorf("Parse(plain message) = %v, want ErrNotBounce", err)
	}
}
