// Package sasl provides the SASL mechanisms (RFC 4422) an SMTP client uses
// with the AUTH command (RFC 4954), and chooses among them.
//
// A [Mechanism] describes one way to authenticate: its name, how strong it
// is, whether it exposes a reusable secret to anyone who can read the
// connection, and whether it needs TLS channel binding. [Mechanism.Start]
// begins one authentication attempt and returns a [Conversation], which
// produces the client's side of the exchange. Every Conversation is also a
// [github.com/emersion/go-sasl.Client], and any go-sasl Client can be made
// into a Mechanism with [From].
//
// Mechanisms are built with noun constructors: [Plain], [Login], [CRAMMD5],
// [XOAuth2], [OAuthBearer], [SCRAMSHA1], [SCRAMSHA256], [SCRAMSHA256Plus],
// [External] and [Anonymous]. [Password] returns every password mechanism at
// once, so that [Negotiate] can pick the strongest one the server offers.
//
// # Negotiation
//
// [Negotiate] takes the mechanisms the server advertised after TLS (in
// [Session.Offered]) and the mechanisms the caller can use, and returns the
// ones to try, strongest first, by [Strength]:
//
//	EXTERNAL > SCRAM-SHA-256-PLUS > SCRAM-SHA-256 > SCRAM-SHA-1 >
//	OAUTHBEARER, XOAUTH2 > PLAIN, LOGIN > CRAM-MD5 > ANONYMOUS > custom
//
// Mechanisms of equal strength keep the caller's order. Unless
// [Policy.AllowFallback] is set, only the strongest usable mechanism is
// returned, so a failure never silently leads to a weaker one. A
// [Policy.Mechanism] pins one mechanism by name.
//
// # Security
//
// PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER send a reusable secret (a password
// or a bearer token) that anyone reading the connection can replay; CRAM-MD5
// lets such a reader recover weak passwords offline, so it is treated the
// same. [Negotiate] refuses these mechanisms unless the session runs over
// TLS with a verified server certificate ([Session.VerifiedTLS]) or the
// caller set [Policy.AllowInsecure]. There is no exception by host name.
//
// SCRAM (RFC 5802, RFC 7677) never sends the password and proves that the
// server knows it too: a Conversation returns an error wrapping
// [ErrServerSignature] when that proof is wrong, and [Conversation.Finish]
// returns [ErrIncomplete] when the server claims success without giving it.
// SCRAM-SHA-256-PLUS also binds the exchange to the TLS connection with the
// tls-exporter channel binding (RFC 9266), which defeats a man in the middle
// even when the certificate could not be verified. The channel binding needs
// TLS 1.3, or TLS 1.2 with the extended master secret (RFC 7627), which
// crypto/tls enforces unless GODEBUG=tlsunsafeekm=1 is set; do not set it.
//
// Mechanism names are checked by [ValidateName] (RFC 4422: 1 to 20 of A-Z,
// 0-9, "-" and "_"), so a custom mechanism cannot smuggle another command
// into the AUTH line. Mechanisms print as their name only, never with their
// credentials.
//
// # Driving a conversation
//
// The SMTP client drives a [Conversation] as follows (RFC 4954):
//
//  1. Call [Mechanism.Start] with the [Session]; a failure aborts before
//     anything is sent.
//  2. Call the Conversation's Start method for the initial response. If it is nil,
//     send "AUTH NAME"; otherwise send "AUTH NAME " followed by
//     [EncodeInitialResponse], unless the line would exceed 512 octets:
//     then send "AUTH NAME", and answer the server's first 334 (an empty
//     challenge) with [EncodeResponse] of the initial response instead of
//     calling Next.
//  3. For every 334 reply, decode its text with [DecodeChallenge] (an empty
//     text is an empty challenge), pass it to the Conversation's Next and send
//     [EncodeResponse] of the result as one line (an empty response is an
//     empty line). If decoding or Next fails, or too many challenges came,
//     send "*" to cancel, read the server's reply (usually 501) and return
//     the error: the connection stays usable.
//  4. On 235 call [Conversation.Finish] with true; if it returns an error,
//     the server did not prove its identity: treat the authentication as
//     failed and close the connection. On any other final reply call
//     Finish with false and join its error, if any, to the reply's error.
//  5. When the server rejected the credentials with 535 and the mechanism
//     implements [Refresher], start [Refresher.Refresh] once.
package sasl
