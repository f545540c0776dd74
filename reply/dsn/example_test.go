package dsn_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/reply/dsn"
)

// A bounce answers the same predicates as a live refusal: one rule
// decides which addresses to stop mailing.
func ExampleParse() {
	bounce := "From: MAILER-DAEMON@mx.example.net\r\n" +
		"Subject: Undelivered Mail Returned to Sender\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\n" +
		"Reporting-MTA: dns; mx.example.net\r\nOriginal-Envelope-Id: campaign-7\r\n\r\n" +
		"Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown\r\n\r\n" +
		"Final-Recipient: rfc822; busy@example.org\r\nAction: delayed\r\nStatus: 4.7.0\r\n" +
		"Diagnostic-Code: smtp; 421 4.7.0 Try again later, closing connection. (Too many messages)\r\n" +
		"--B--\r\n"
	rep, err := dsn.Parse(strings.NewReader(bounce), nil)
	if errors.Is(err, dsn.ErrNotBounce) {
		fmt.Println("not a bounce")
		return
	} else if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("envelope id:", rep.OriginalEnvelopeID)
	for _, r := range rep.Recipients {
		err := r.Err()
		switch {
		case reply.IsMailboxUnavailable(err):
			fmt.Println(r.FinalRecipient.Addr, "suppress:", err)
		case reply.IsTemporary(err):
			fmt.Println(r.FinalRecipient.Addr, "retry", reply.RetryFor(err), "after", reply.RetryDelay(err))
		}
	}
	// Output:
	// envelope id: campaign-7
	// gone@example.org suppress: dsn: gone@example.org: failed: smtp: 550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown
	// busy@example.org retry on a new connection after 5m0s
}
