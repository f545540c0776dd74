// Package dsn reads bounces: delivery status notifications that arrive in
// the sender's mailbox when a server that accepted a message at the final
// dot later fails to deliver it.
//
// [Parse] reads an RFC 5322 message and returns a typed [Report]: the
// reporting MTA, the original envelope id and message headers, and one
// [Recipient] per address, with its [Action], its RFC 3463 status as a
// [reply.EnhancedCode] and the remote server's diagnostic as a
// [reply.Reply]. [Recipient.Err] turns a failed or delayed recipient into
// an error that the predicates of package reply answer exactly as they
// answer the same refusal in a live session:
//
//	rep, err := dsn.Parse(msg, nil)
//	if errors.Is(err, dsn.ErrNotBounce) {
//		return // an auto-reply or an ordinary message
//	}
//	for _, rcpt := range rep.Recipients {
//		switch err := rcpt.Err(); {
//		case reply.IsMailboxUnavailable(err), reply.IsDomainUnavailable(err):
//			suppress(rcpt.FinalRecipient.Addr)
//		case reply.IsRateLimited(err):
//			slowDown()
//		}
//	}
//
// # Formats
//
// Standard reports are RFC 6522 multipart/report messages with an RFC 3464
// message/delivery-status part, or RFC 6533 message/global-delivery-status
// (UTF-8 addresses and diagnostics). MIME, transfer encodings and header
// decoding are github.com/emersion/go-message's; the delivery status
// grammar is this package's, and lenient where real MTAs are sloppy:
// folded and repeated fields, recipient groups without the blank line
// between them, CR or LF line endings, any case of field names, unknown
// fields (kept in [Recipient.Fields]), diagnostics of type smtp,
// X-Postfix, X-Unix or none, multi-line SMTP replies folded into one
// field.
//
// Some servers send no standard report. qmail's QSBMF bounces and the
// common plain-text "could not be delivered" bounce that quotes the remote
// server's SMTP reply are read as a best effort ([Report.BestEffort]). An
// auto-reply, a feedback report or any other message that is not a bounce
// gives an error matching [ErrNotBounce].
//
// # Limits
//
// Every input is bounded by [Options]: the size of the message, the
// number of MIME parts, recipients and fields, and the length of a field.
// A field that cannot be parsed is reported in [Report.Problems] and the
// rest of the report stands; exceeding the size of the message is a
// [*LimitError]. Parse never panics and never reads past its limit.
package dsn
