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
// A delivery status part that the MIME reader cannot reach, behind a
// malformed header or boundary of an earlier part (Microsoft 365 sends
// such parts), is found by its Content-Type line in the raw message. An
// mbox "From " line before the header is skipped, and CRLF, LF and lone
// CR line endings are all read.
//
// Some servers send no standard report. These are read as a best effort
// ([Report.BestEffort]), their actions and status codes inferred from the
// text:
//
//   - qmail's QSBMF bounces ([FormatQmail]);
//   - plain-text (or HTML-only) notices ([FormatText]) that name each
//     failed address and quote the remote server's SMTP reply: Exim's
//     "The following address(es) failed", Gmail's older "Delivery to the
//     following recipient failed permanently", Yahoo's, Postfix's without
//     a report part, DragonFly's, OpenSMTPD's, GMX's and Microsoft's
//     notices, with Exim's X-Failed-Recipients header; a recipient whose
//     reply is not quoted gets status 5.0.0 (4.0.0 when the notice says
//     delivery is only delayed) and the words that follow its address;
//     delivery status fields quoted in the text (Amazon WorkMail) are
//     read as fields.
//
// Amazon SES's bounce notifications, the JSON documents it publishes to
// SNS and that arrive as mail (with or without the SNS envelope), are read
// into the same types ([FormatSES]); they are not a best effort, since
// the JSON carries each recipient's status and diagnostic.
//
// An auto-reply, a feedback report, an SES delivery or complaint
// notification, or any other message that is not a bounce gives an error
// matching [ErrNotBounce].
//
// # Limits
//
// Every input is bounded by [Options]: the size of the message, the
// number of MIME parts, recipients and fields, and the length of a field.
// A field that cannot be parsed is reported in [Report.Problems] and the
// rest of the report stands; exceeding the size of the message is a
// [*LimitError]. Parse never panics and never reads past MaxBytes; it holds
// the message in memory while it reads it, so the memory it uses is a small
// multiple of the message size.
package dsn
