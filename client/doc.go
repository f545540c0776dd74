// Package client is an SMTP client session: greeting, EHLO, STARTTLS or
// implicit TLS, AUTH, the mail transaction and QUIT, with every server
// answer returned as a typed [reply.Reply] and every failure as a typed
// error.
//
// # Sessions
//
// [Dial] (or [New] on an open connection) reads the greeting, says EHLO,
// applies the TLS policy and returns a ready [Client]. [Client.Mail],
// [Client.Rcpt] and [Client.Data] run a transaction step by step;
// [Client.Send] runs one in a single round trip when the server offers
// PIPELINING (RFC 2920) and CHUNKING (RFC 3030, BDAT, used by default), or
// two with DATA. Every call that can block takes a context first:
// cancelling it closes the connection and the call returns the context's
// error. Each stage also has a timeout (RFC 5321 section 4.5.3.2; see
// [Timeouts]).
//
// # Many messages
//
// [Client.SendAll] sends a stream of messages on one session, each with
// its own [Result] and error, in one round trip per message: with
// PIPELINING the final dot of a message leaves with the next message's
// envelope. A [Pool] sends from any number of goroutines over up to
// MaxConns connections to one server, opened on demand and authenticated
// once, retires the broken and the idle ones, retries on a new connection
// what the server never accepted, slows down when the server says it is
// rate limiting (and with a golang.org/x/time/rate limiter), and sends the
// messages that wait for a connection one round trip each. Neither ever
// sends a message again after its delivery became unknown.
//
// # Errors and retries
//
// A refusal by the server is a [*reply.Error]. A failure of the client or
// the connection has its own type: [*InputError], [*UnsupportedError],
// [*SizeError] and [*TLSError] before anything is sent or for the TLS
// policy; [*ConnError] when the connection could not be opened or was
// lost, reset or timed out; [*reply.ProtocolError] when the server broke
// the protocol (a malformed reply, or bytes sent when no reply was due);
// [ErrDeliveryUnknown] when the connection failed after the final "." of a
// message. Each answers [reply.RetryFor]: a dial failure or a connection
// lost before the final "." is [reply.RetryNewConnection] (a transaction
// the server did not see end is discarded, RFC 5321 section 3.3); invalid
// input, a TLS policy or certificate failure and a cancelled context are
// [reply.RetryNever]. [SendMail] follows that advice.
//
// # Security
//
// TLS is required by default: STARTTLS (RFC 3207) on every port but 465,
// where TLS starts at once (RFC 8314); see [TLSMode]. Certificates are
// verified, TLS 1.2 is the minimum, bytes sent by the server together with
// its 220 to STARTTLS are refused as a response injection, and everything
// learned before TLS is forgotten. Addresses and parameters are validated
// before anything is written, so no input can add a command; message bodies
// have every bare CR and LF turned into CRLF and lines starting with "." are
// dot-stuffed, so no body can end the message early (SMTP smuggling).
//
// # Extensions
//
// [Extensions] gives typed views of SIZE (RFC 1870), AUTH (RFC 4954),
// PIPELINING (RFC 2920), CHUNKING and BINARYMIME (RFC 3030), 8BITMIME
// (RFC 6152), SMTPUTF8 (RFC 6531), DSN (RFC 3461), ENHANCEDSTATUSCODES
// (RFC 2034), REQUIRETLS (RFC 8689), STARTTLS (RFC 3207) and LIMITS
// (RFC 9422).
//
// A [Client] is not safe for concurrent use by several goroutines; to abort
// a call in progress, cancel its context.
package client
