package client

import (
	"errors"
	"strconv"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// Errors of the client that are not replies from the server. Replies of
// class 4 and 5 come back as [*reply.Error] values; a broken connection as
// a [*reply.ProtocolError], an I/O error (errors.Is(err,
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
}

// Error returns a message like "smtp: server does not support DSN (needed
// for NOTIFY)".
func (e *UnsupportedError) Error() string {
	return "smtp: server does not support " + e.Extension + " (needed for " + e.Option + ")"
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

// Retry returns the advice for the underlying error when there is one
// (a 454 reply to STARTTLS may be retried later), and [reply.RetryNever]
// otherwise.
func (e *TLSError) Retry() reply.Retry {
	if e.Err != nil && e.Reason == TLSReasonRefused {
		return reply.RetryFor(e.Err)
	}
	return reply.RetryNever
}

// brokenError is what a broken client returns: ErrBroken and the original
// error, both reachable with errors.Is and errors.As.
type brokenError struct{ err error }

func (e *brokenError) Error() string   { return ErrBroken.Error() + " after: " + e.err.Error() }
func (e *brokenError) Unwrap() []error { return []error{ErrBroken, e.err} }
