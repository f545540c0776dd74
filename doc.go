// Package smtp is the root of an SMTP client library that speaks SMTP
// correctly and fast and turns every server reply into a typed value.
//
// The library is split by concern:
//
//   - [github.com/seed-e4e66a4f/smtp/reply]: typed replies (code, class,
//     RFC 3463 enhanced code, text) and the predicates that tell a program
//     what a reply means. A pure codec with no network code.
//   - [github.com/seed-e4e66a4f/smtp/reply/dsn]: bounces (delivery status
//     notifications) read into the same reply types.
//   - [github.com/seed-e4e66a4f/smtp/client]: the SMTP session: greeting,
//     EHLO, STARTTLS and implicit TLS, AUTH, the mail transaction, a
//     high-level send, a stream of messages at one round trip each
//     (Client.SendAll) and a pool of connections for concurrent senders
//     (Pool).
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
//     IsMailboxUnavailable, IsMailboxFull, IsMessageTooLarge,
//     IsRateLimited, IsPolicyRejection and IsDomainUnavailable: what kind
//     of refusal it is, decided by one table of rules with a source each
//     (reply/RULES.md) from the text, the enhanced status code, the basic
//     code and the command; a text that names a cause wins over a code
//     that says otherwise (so "530 5.7.0 Must issue a STARTTLS command
//     first" is TLS-required, not auth-required, and "550 5.7.1 No such
//     user!" an unknown mailbox, not a policy rejection).
//   - reply.RetryFor: whether to try again never, after AUTH, after
//     STARTTLS, on a new connection, or later with back-off;
//     reply.RetryDelay: the shortest pause worth waiting (longer after a
//     rate limit).
//   - errors.AsType[*reply.Error](err): the reply and the command, whose Explain
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
//				log.Printf("%v: %s", e, e.Explain("en").Fix)
//			}
//		}
//	}
//
// # Security
//
// The defaults are the safe ones; every relaxation is an explicit option.
//
//   - TLS: implicit TLS on port 465 and required STARTTLS elsewhere, with
//     certificates verified and TLS 1.2 as the floor. Opportunistic
//     STARTTLS and cleartext are opt-in, and such a session is flagged as
//     not secure: it sends no credential that could be reused (PLAIN,
//     LOGIN, XOAUTH2, OAUTHBEARER, CRAM-MD5) unless the caller also sets
//     AllowInsecureAuth. There is no exception by host name.
//   - STARTTLS response injection (the "NO STARTTLS" attacks): bytes that
//     arrive together with the 220 to STARTTLS stop the session, and
//     everything learned before TLS is forgotten.
//   - Command injection: addresses, parameters and mechanism names are
//     validated before anything is written; CR, LF, NUL and other control
//     characters can never reach the wire from caller input.
//   - SMTP smuggling: message bodies are streamed through a writer that
//     turns every bare CR and bare LF into CRLF, dot-stuffs, refuses NUL
//     and over-long lines, so a body can never end the DATA phase early.
//   - Hostile servers: every reply is bounded in line length, lines and
//     bytes; bytes the server sends before it was asked are a protocol
//     error, never taken as the next reply; every blocking call has a
//     context and a per-stage deadline (RFC 5321 section 4.5.3.2).
//   - Logs: server text is escaped in error messages, and the optional
//     transcript redacts AUTH exchanges and can mask addresses.
//   - Duplicates: a connection lost after the final dot is reported as
//     "delivery unknown" and never retried automatically.
//
// # Extensions
//
// The client speaks SMTP (RFC 5321) with these extensions: STARTTLS
// (RFC 3207) and implicit TLS (RFC 8314); AUTH (RFC 4954) with SASL
// (RFC 4422) mechanisms PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195),
// SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677) with
// SCRAM-SHA-256-PLUS channel binding (RFC 9266), XOAUTH2, OAUTHBEARER
// (RFC 7628), EXTERNAL and ANONYMOUS (RFC 4505); SIZE (RFC 1870);
// PIPELINING (RFC 2920); CHUNKING and BINARYMIME (RFC 3030); 8BITMIME
// (RFC 6152); SMTPUTF8 (RFC 6531); DSN (RFC 3461); ENHANCEDSTATUSCODES
// (RFC 2034, codes of RFC 3463 and the IANA registry); REQUIRETLS
// (RFC 8689); LIMITS (RFC 9422). Replies 521 and 556 follow RFC 7504.
//
// This package contains documentation only.
package smtp
