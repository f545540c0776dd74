// Package smtp is the root of an SMTP client library that speaks SMTP
// correctly and fast and turns every server reply into a typed value.
//
// The library is split by concern:
//
//   - [github.com/seed-e4e66a4f/smtp/reply]: typed replies (code, class,
//     RFC 3463 enhanced code, text) and the predicates that tell a program
//     what a reply means. A pure codec with no network code.
//   - [github.com/seed-e4e66a4f/smtp/client]: the SMTP session: greeting,
//     EHLO, STARTTLS and implicit TLS, AUTH, the mail transaction and a
//     high-level send.
//   - [github.com/seed-e4e66a4f/smtp/sasl]: SASL mechanisms and their
//     negotiation.
//
// # Errors
//
// A server's "no" (a reply of class 4 or 5) comes back as an error that is,
// or wraps, a [*github.com/seed-e4e66a4f/smtp/reply.Error]: the command
// that received the reply and the reply itself, with its code, RFC 3463
// enhanced status code and text. Its message reads
//
//	smtp: MAIL FROM: 530 5.7.0 Authentication required
//
// with the server's text escaped, so a hostile server cannot write control
// bytes into a log. Other failures have their own types: a
// [*github.com/seed-e4e66a4f/smtp/reply.ProtocolError] when the server's
// bytes are not a well-formed reply (the connection is then unusable), and
// the client's local error types for invalid input, TLS policy and broken
// connections.
//
// Programs never match error strings; they ask questions that work through
// any amount of wrapping:
//
//   - errors.Is(err, reply.ErrTransient) or reply.ErrPermanent: the class
//     of the reply (4xx may succeed later, 5xx will not).
//   - reply.IsAuthRequired, IsTLSRequired, IsAuthFailed, IsAuthTemporary,
//     IsMechanismTooWeak, IsPasswordTransition, IsServiceClosing,
//     IsMailboxUnavailable, IsMailboxFull, IsMessageTooLarge and
//     IsRateLimited: what kind of refusal it is, decided from the enhanced
//     status code first, then the basic reply code, then a few documented
//     phrases of the text (so "530 5.7.0 Must issue a STARTTLS command
//     first" is TLS-required, not auth-required).
//   - reply.RetryFor: whether to try again never, after AUTH, after
//     STARTTLS, on a new connection, or later with back-off.
//   - errors.AsType[*reply.Error](err): the reply itself, whose Explain
//     method says what it means and how to fix it, in English or Spanish.
//
// For example:
//
//	if _, err := c.Rcpt(ctx, to, nil); err != nil {
//		switch {
//		case reply.IsMailboxUnavailable(err):
//			unsubscribe(to) // the address does not exist
//		case reply.RetryFor(err) == reply.RetryLater:
//			requeue(to) // greylisting, rate limits, full mailbox...
//		default:
//			if e, ok := errors.AsType[*reply.Error](err); ok {
//				log.Printf("%v: %s", e, e.Reply.Explain("en").Fix)
//			}
//		}
//	}
//
// This package contains documentation only.
package smtp
