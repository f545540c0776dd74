package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/seed-e4e66a4f/smtp/internal/wire"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// Errors of the client that are not replies from the server. Replies of
// class 4 and 5 come back as [*reply.Error] values; a broken connection as
// a [*reply.ProtocolError], a [*ConnError] (errors.Is(err,
// os.ErrDeadlineExceeded) for a timeout) or the context's error.
var (
	// ErrBroken is returned, wrapped together with the original error, by
	// every call made after the connection became unusable: after a 421
	// reply, a timeout, a protocol error, a lost connection or a cancelled
	// context. errors.Is matches both ErrBroken and the original error.
	ErrBroken = errors.New("smtp: connection unusable")

	// ErrClosed is returned by calls made after Quit or Close.
	ErrClosed = errors.New("smtp: client closed")

	// ErrDeliveryUnknown is wrapped, together with the cause, in the error
	// of [DataWriter.Close] when the connection was lost, timed out or was
	// cancelled after the final "." was sent but before the server replied:
	// the message may or may not have been accepted. Retrying may deliver
	// it twice.
	ErrDeliveryUnknown = errors.New("smtp: delivery status unknown")

	// ErrResponseInjection is the cause of the [*reply.ProtocolError]
	// returned when the server sent bytes after its 220 reply to STARTTLS
	// and before the TLS handshake: a plain-text response injection attack
	// (Poddebniak et al., "Why TLS is better without STARTTLS", USENIX
	// Security 2021).
	ErrResponseInjection = errors.New("smtp: data injected before TLS handshake")
)

// InputError reports a caller-supplied value that cannot be sent: an address
// or name that violates RFC 5321 (or RFC 6531 with SMTPUTF8), a parameter
// value out of range, or a call made in the wrong order. It is returned
// before anything is written to the connection, so the session stays usable.
type InputError struct {
	// Field names the rejected input, such as "from", "to", "ORCPT",
	// "ENVID", "AUTH", "SIZE", "local name" or "VRFY".
	Field string
	// Value is the rejected value, as given.
	Value string
	// Reason says what is wrong with it.
	Reason string
}

// Error returns a message like `smtp: invalid to "a\r\nb": contains a
// control character`. The value is quoted, so control bytes never reach logs.
func (e *InputError) Error() string {
	return "smtp: invalid " + e.Field + " " + strconv.QuoteToGraphic(e.Value) + ": " + e.Reason
}

// Retry returns [reply.RetryNever]: the same input fails the same way.
func (e *InputError) Retry() reply.Retry { return reply.RetryNever }

// UnsupportedError reports that an option requires an extension the server
// did not advertise in its EHLO reply (for example DSN for
// [RcptOptions].Notify, SMTPUTF8 for [MailOptions].UTF8, REQUIRETLS for
// [MailOptions].RequireTLS). Nothing was sent; the session stays usable.
type UnsupportedError struct {
	// Extension is the EHLO keyword that is missing, such as "DSN".
	Extension string
	// Option names the option that needs it, such as "NOTIFY".
	Option string
	// Detail, when not empty, says more: what was not done because of it,
	// and where to look.
	Detail string
}

// Error returns a message like "smtp: server does not support DSN (needed
// for NOTIFY)", followed by the Detail when there is one.
func (e *UnsupportedError) Error() string {
	s := "smtp: server does not support " + e.Extension + " (needed for " + e.Option + ")"
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Retry returns [reply.RetryNever]: the same server gives the same answer.
func (e *UnsupportedError) Retry() reply.Retry { return reply.RetryNever }

// SizeError reports a message declared larger than the limit the server
// advertised with the SIZE extension (RFC 1870). It is returned by Mail
// before anything is sent. errors.Is(err, reply.ErrMessageTooLarge) holds,
// so reply.IsMessageTooLarge recognises it like the server's 552.
type SizeError struct {
	Size  int64 // the declared message size in octets
	Limit int64 // the server's SIZE limit in octets
}

// Error returns a message like "smtp: message of 3000 octets exceeds the
// server's SIZE limit of 2000".
func (e *SizeError) Error() string {
	return "smtp: message of " + strconv.FormatInt(e.Size, 10) +
		" octets exceeds the server's SIZE limit of " + strconv.FormatInt(e.Limit, 10)
}

// Is reports whether target is [reply.ErrMessageTooLarge] or
// [reply.ErrPermanent].
func (e *SizeError) Is(target error) bool {
	return target == reply.ErrMessageTooLarge || target == reply.ErrPermanent
}

// Retry returns [reply.RetryNever].
func (e *SizeError) Retry() reply.Retry { return reply.RetryNever }

// TLSReason says why a [TLSError] occurred.
type TLSReason uint8

// The reasons of a TLSError.
const (
	// TLSReasonNotOffered: TLS is required but the server did not
	// advertise STARTTLS.
	TLSReasonNotOffered TLSReason = iota + 1
	// TLSReasonRefused: the server answered STARTTLS with something other
	// than 220. Err holds the [*reply.Error] (or [*reply.ProtocolError]).
	TLSReasonRefused
	// TLSReasonHandshake: the TLS handshake failed, for example because the
	// certificate did not verify. Err holds the crypto/tls error.
	TLSReasonHandshake
	// TLSReasonNotSecure: an option (such as REQUIRETLS) needs a session
	// protected by TLS with a verified certificate, and this one is not.
	TLSReasonNotSecure
)

// String returns a short description of the reason.
func (r TLSReason) String() string {
	switch r {
	case TLSReasonNotOffered:
		return "STARTTLS not offered by the server"
	case TLSReasonRefused:
		return "STARTTLS refused by the server"
	case TLSReasonHandshake:
		return "TLS handshake failed"
	case TLSReasonNotSecure:
		return "session not protected by verified TLS"
	}
	return "TLSReason(" + strconv.Itoa(int(r)) + ")"
}

// TLSError reports that the TLS policy could not be met. When it comes from
// Dial or New in [TLSStartTLS] mode, nothing was sent after the failed step
// and the connection is closed.
type TLSError struct {
	Reason TLSReason
	Mode   TLSMode // the policy in force
	Err    error   // the underlying error, or nil
}

// Error returns a message like "smtp: TLS policy STARTTLS: STARTTLS refused
// by the server: smtp: STARTTLS: 454 4.7.0 TLS not available".
func (e *TLSError) Error() string {
	s := "smtp: TLS policy " + e.Mode.String() + ": " + e.Reason.String()
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *TLSError) Unwrap() error { return e.Err }

// Is reports whether target is [reply.ErrTLSRequired] for a policy failure
// that only TLS can fix (TLSReasonNotOffered, TLSReasonNotSecure).
func (e *TLSError) Is(target error) bool {
	return target == reply.ErrTLSRequired &&
		(e.Reason == TLSReasonNotOffered || e.Reason == TLSReasonNotSecure)
}

// Retry returns:
//
//   - for TLSReasonRefused, the advice for the server's answer (a 454 may
//     be retried later, a 421 or a lost connection on a new connection);
//   - for TLSReasonHandshake, [reply.RetryNewConnection] when the
//     connection was lost, reset or timed out during the handshake, and
//     [reply.RetryNever] when TLS itself failed: a certificate that does
//     not verify, a TLS alert, no common version or cipher suite, a server
//     that does not speak TLS;
//   - [reply.RetryNever] otherwise: the policy cannot be met with this
//     server as it is.
func (e *TLSError) Retry() reply.Retry {
	switch {
	case e.Err == nil:
		return reply.RetryNever
	case e.Reason == TLSReasonRefused:
		return reply.RetryFor(e.Err)
	case e.Reason == TLSReasonHandshake && !isTLSRefusal(e.Err):
		return reply.RetryNewConnection
	}
	return reply.RetryNever
}

// ConnError reports that the connection failed: it could not be opened, or
// it was lost, reset or timed out while a command or message data was
// written or a reply was awaited. The server did not refuse anything; Err
// says what happened, and errors.Is(err, os.ErrDeadlineExceeded) holds for
// a timeout, errors.Is(err, io.ErrUnexpectedEOF) for a server that closed
// the connection. A ConnError never holds the caller's context error: a
// cancelled or expired ctx gives that error (see [Client]). After a
// ConnError on an open connection the client is broken.
//
// A connection lost after the final "." of a message is not a ConnError
// alone: it matches [ErrDeliveryUnknown].
type ConnError struct {
	// Op is the step that failed: "dial" while connecting, "greeting"
	// while waiting for the server's greeting, otherwise the command being
	// written or awaiting its reply, such as "EHLO", "MAIL FROM", "RCPT
	// TO" or "DATA". Empty when Err's message already names the step.
	Op string
	// Addr is the address given to Dial for Op "dial", and empty
	// otherwise.
	Addr string
	// Err is the cause: the dialer's error (a *net.OpError, a
	// *net.DNSError...), an I/O error, or io.ErrUnexpectedEOF when the
	// server closed the connection.
	Err error
}

// Error returns a message like "smtp: dial mx.example.com:25: dial tcp
// 192.0.2.1:25: connect: connection refused" or "smtp: MAIL FROM:
// unexpected EOF".
func (e *ConnError) Error() string {
	msg := "connection failed"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	switch {
	case e.Op == "":
		return msg
	case e.Addr != "":
		return "smtp: " + e.Op + " " + e.Addr + ": " + msg
	}
	return "smtp: " + e.Op + ": " + msg
}

// Unwrap returns e.Err.
func (e *ConnError) Unwrap() error { return e.Err }

// Retry returns [reply.RetryNewConnection]: nothing was delivered on this
// connection (a transaction the server did not see end is discarded, RFC
// 5321 section 3.3), and a new connection may succeed. It returns
// [reply.RetryNever] for a dial failure that a new attempt would repeat:
// a host name that does not exist (a *net.DNSError with IsNotFound) or an
// address the network layer cannot use (a *net.AddrError or an unknown
// network).
func (e *ConnError) Retry() reply.Retry {
	if e.Op == "dial" {
		if de, ok := errors.AsType[*net.DNSError](e.Err); ok && de.IsNotFound {
			return reply.RetryNever
		}
		if _, ok := errors.AsType[*net.AddrError](e.Err); ok {
			return reply.RetryNever
		}
		if _, ok := errors.AsType[net.UnknownNetworkError](e.Err); ok {
			return reply.RetryNever
		}
	}
	return reply.RetryNewConnection
}

// isConnFailure reports whether err is an I/O failure of the connection
// rather than a decision of either side: end of stream, timeout, reset,
// refused, closed. The caller's context errors are not.
func isConnFailure(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed) {
		return true
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return true
	}
	_, ok := errors.AsType[syscall.Errno](err)
	return ok
}

// isTLSRefusal reports whether err, from a TLS handshake, is a decision of
// TLS rather than a lost connection: a certificate that does not verify,
// an alert from either side, a peer that does not speak TLS, or one of
// crypto/tls's own protocol errors (plain error values).
func isTLSRefusal(err error) bool {
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.CertificateInvalidError](err); ok {
		return true
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return true
	}
	if _, ok := errors.AsType[tls.AlertError](err); ok {
		return true
	}
	if oe, ok := errors.AsType[*net.OpError](err); ok && (oe.Op == "remote error" || oe.Op == "local error") {
		return true // an alert received or sent
	}
	return !isConnFailure(err)
}

// brokenError is what a broken client returns: ErrBroken and the original
// error, both reachable with errors.Is and errors.As.
type brokenError struct{ err error }

func (e *brokenError) Error() string   { return ErrBroken.Error() + " after: " + e.err.Error() }
func (e *brokenError) Unwrap() []error { return []error{ErrBroken, e.err} }

// Retry returns the advice for the error that broke the client, except
// that what needed this connection (authenticating, STARTTLS) now needs a
// new one.
func (e *brokenError) Retry() reply.Retry {
	switch r := reply.RetryFor(e.err); r {
	case reply.RetryAfterAuth, reply.RetryAfterStartTLS:
		return reply.RetryNewConnection
	default:
		return r
	}
}

// ErrTooManyChallenges is the cause, inside an [*AuthError], when the server
// sent more 334 challenges than Options.MaxAuthRounds allows: the client
// cancelled the exchange with "*".
var ErrTooManyChallenges = errors.New("smtp: too many AUTH challenges")

// AuthError reports an authentication that the client itself ended or could
// not start, as opposed to a refusal from the server (which is a
// [*reply.Error] with Command "AUTH"). Err says why:
//
//   - a [*sasl.Error] from the mechanism's Start (such as a token source
//     failure or [sasl.ErrInvalidCredentials]): nothing was sent;
//   - a [*sasl.Error] wrapping [sasl.ErrMalformedChallenge] or
//     [sasl.ErrUnexpectedChallenge], or [ErrTooManyChallenges]: the client
//     answered the server's 334 with "*" and read its reply; the session
//     stays usable;
//   - a [*sasl.Error] wrapping [sasl.ErrServerSignature] or
//     [sasl.ErrIncomplete]: the server said 235 without proving that it
//     knows the password (SCRAM); the connection is closed.
//
// The error never contains credentials.
type AuthError struct {
	// Mechanism is the SASL mechanism in use, such as "SCRAM-SHA-256".
	Mechanism string
	// Err is the cause.
	Err error
}

// Error returns a message like "smtp: AUTH LOGIN: malformed challenge".
func (e *AuthError) Error() string {
	msg := "unknown error"
	if e.Err != nil {
		msg = e.Err.Error()
		if se, ok := e.Err.(*sasl.Error); ok && se.Err != nil {
			msg = se.Err.Error() // without sasl's own "smtp: sasl: MECH: " prefix
		}
	}
	return "smtp: AUTH " + e.Mechanism + ": " + strings.TrimPrefix(msg, "smtp: ")
}

// Unwrap returns e.Err.
func (e *AuthError) Unwrap() error { return e.Err }

// Retry returns [reply.RetryNever]: the same mechanism and credentials fail
// the same way.
func (e *AuthError) Retry() reply.Retry { return reply.RetryNever }

// BodyError reports a message body that SMTP cannot carry: a NUL octet or a
// line longer than 998 octets (RFC 5322 section 2.1.1). A BODY=BINARYMIME
// body sent with [Client.BDAT] may have both and never gives one. When
// [DataWriter.Write] returns one, the message has not been terminated and
// the connection is closed (a DATA body cannot be withdrawn), so the server
// discards the partial message.
type BodyError = wire.BodyError

// BodyErrorKind says what is wrong with a body; see [BodyError].
type BodyErrorKind = wire.BodyErrorKind

// The kinds of [BodyError].
const (
	BodyErrorNUL         = wire.BodyNUL         // a NUL octet
	BodyErrorLineTooLong = wire.BodyLineTooLong // a line over 998 octets
)

// ErrPoolClosed is returned by [Pool.Send] after [Pool.Close].
var ErrPoolClosed = errors.New("smtp: pool closed")

// RateLimitError is returned by [Pool.Send] when the message cannot leave
// before the caller's context ends: the Limiter, or a pause after the
// server said it was rate limiting, would make it wait past the deadline.
// Nothing was sent for the message in this call's last attempt. Err is the
// server's last rate limiting refusal (so that [reply.IsRateLimited]
// holds), or the Limiter's error.
type RateLimitError struct {
	// Wait is how long the message would have had to wait.
	Wait time.Duration
	// Err is the cause.
	Err error
}

// Error returns a message like "smtp: rate limited: would wait 2s: ...".
func (e *RateLimitError) Error() string {
	msg := "smtp: rate limited: would wait " + e.Wait.Round(time.Millisecond).String()
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns e.Err.
func (e *RateLimitError) Unwrap() error { return e.Err }

// Retry returns [reply.RetryLater].
func (e *RateLimitError) Retry() reply.Retry { return reply.RetryLater }

// RecipientError is a recipient that the server refused at RCPT TO.
type RecipientError struct {
	// Address is the recipient, as given in the envelope.
	Address string
	// Err is the server's refusal, a [*reply.Error] with Command
	// "RCPT TO", or the reason the command was not sent.
	Err error
}

// Error returns a message like "smtp: recipient <a@example.com>: RCPT TO:
// 550 5.1.1 No such user".
func (e *RecipientError) Error() string {
	msg := "unknown error"
	if e.Err != nil {
		msg = strings.TrimPrefix(e.Err.Error(), "smtp: ")
	}
	return "smtp: recipient <" + e.Address + ">: " + msg
}

// Unwrap returns e.Err, so that the reply predicates (such as
// [reply.IsMailboxUnavailable]) see the server's reply.
func (e *RecipientError) Unwrap() error { return e.Err }

// RecipientsError reports the recipients the server refused, when it
// refused all of them, or some of them (partial delivery, or a transaction
// aborted by Envelope.RequireAllRecipients). errors.Is and errors.As find
// each [*RecipientError], and through it each [*reply.Error].
type RecipientsError struct {
	// Refused lists the refused recipients in envelope order.
	Refused []*RecipientError
	// Total is the number of recipients in the envelope.
	Total int
}

// Error returns a message like "smtp: 1 of 2 recipients refused: recipient
// <b@example.com>: RCPT TO: 550 5.1.1 No such user".
func (e *RecipientsError) Error() string {
	var b strings.Builder
	b.WriteString("smtp: ")
	b.WriteString(strconv.Itoa(len(e.Refused)))
	b.WriteString(" of ")
	b.WriteString(strconv.Itoa(e.Total))
	b.WriteString(" recipients refused")
	for i, r := range e.Refused {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(strings.TrimPrefix(r.Error(), "smtp: "))
	}
	return b.String()
}

// Unwrap returns the [*RecipientError] values.
func (e *RecipientsError) Unwrap() []error {
	out := make([]error, len(e.Refused))
	for i, r := range e.Refused {
		out[i] = r
	}
	return out
}

// Retry returns [reply.RetryLater] when every refusal is transient (4xx),
// and [reply.RetryNever] otherwise. After a partial delivery the advice is
// about the refused recipients only.
func (e *RecipientsError) Retry() reply.Retry {
	if len(e.Refused) == 0 {
		return reply.RetryNever
	}
	for _, r := range e.Refused {
		if !reply.IsTemporary(r) {
			return reply.RetryNever
		}
	}
	return reply.RetryLater
}

// RecipientLimitError is the cause, inside a [*RecipientError], for a
// recipient that [Client.Send] did not send RCPT TO for because the
// transaction had as many recipients as the server announced with LIMITS
// RCPTMAX (RFC 9422). Nothing was sent for it: send it in another
// transaction. It matches [reply.ErrTransient], as the server's 452 for
// too many recipients would.
type RecipientLimitError struct {
	// Limit is the server's RCPTMAX.
	Limit int
}

// Error returns a message like "smtp: not attempted: over the server's
// limit of 50 recipients per transaction (LIMITS RCPTMAX)".
func (e *RecipientLimitError) Error() string {
	return "smtp: not attempted: over the server's limit of " + strconv.Itoa(e.Limit) +
		" recipients per transaction (LIMITS RCPTMAX)"
}

// Is reports whether target is [reply.ErrTransient].
func (e *RecipientLimitError) Is(target error) bool { return target == reply.ErrTransient }

// Retry returns [reply.RetryLater]: the recipient can be sent in a later
// transaction, on this connection or another.
func (e *RecipientLimitError) Retry() reply.Retry { return reply.RetryLater }
