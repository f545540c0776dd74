package sasl

import (
	"errors"
	"strconv"
	"strings"
)

// Reasons a mechanism fails, for use with [errors.Is]. The package never
// returns them bare: an [*Error] wraps them and names the mechanism.
var (
	// ErrMalformedChallenge means a server challenge is not valid base64
	// or not what the mechanism expects at this step. The client cancels
	// the exchange.
	ErrMalformedChallenge = errors.New("malformed challenge")

	// ErrUnexpectedChallenge means the server sent a challenge when the
	// mechanism had nothing more to say, such as any challenge to PLAIN
	// after its initial response. The client cancels the exchange.
	ErrUnexpectedChallenge = errors.New("unexpected challenge")

	// ErrServerSignature means a SCRAM server's final message did not
	// prove that it knows the password: the server is not the one the
	// credentials belong to, or a man in the middle altered the exchange.
	ErrServerSignature = errors.New("server signature mismatch")

	// ErrIncomplete means the server reported success before the mechanism
	// completed, such as a SCRAM server that never sent its signature.
	// The server is not authenticated and the connection must not be
	// trusted.
	ErrIncomplete = errors.New("server reported success before the exchange completed")

	// ErrServerFailure means the server reported a failure inside the
	// mechanism, such as a SCRAM "e=" message.
	ErrServerFailure = errors.New("server reported a failure")

	// ErrIterationCount means a SCRAM server asked for a PBKDF2 iteration
	// count below 4096 (too weak, RFC 7677) or above 2,000,000 (a denial of
	// service against the client).
	ErrIterationCount = errors.New("iteration count out of range")

	// ErrChannelBinding means a mechanism needs TLS channel binding and the
	// session cannot provide it: no TLS, a handshake not complete, or TLS
	// 1.2 without the extended master secret.
	ErrChannelBinding = errors.New("tls-exporter channel binding unavailable")

	// ErrInvalidCredentials means the credentials cannot be encoded for the
	// mechanism, such as a NUL byte in a PLAIN user name, a password that
	// SASLprep rejects, or a token with characters outside RFC 6750's
	// b64token.
	ErrInvalidCredentials = errors.New("invalid credentials")

	// ErrCannotRefresh is returned by a [TokenSource] asked to refresh a
	// token it cannot renew, such as one made by [StaticToken].
	ErrCannotRefresh = errors.New("token cannot be refreshed")
)

// Error is a failure of a mechanism on the client side. Err is one of the
// package's sentinel errors (possibly wrapped with detail), an [*OAuthError],
// or an error from a [TokenSource] or a custom go-sasl client.
type Error struct {
	// Mechanism is the mechanism's name; empty for [DecodeChallenge].
	Mechanism string
	// Err is the cause.
	Err error
}

// Error returns "smtp: sasl: " followed by the mechanism and the cause.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("smtp: sasl: ")
	if e.Mechanism != "" {
		b.WriteString(e.Mechanism)
		b.WriteString(": ")
	}
	if e.Err == nil {
		b.WriteString("unknown error")
	} else {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// NameError reports a mechanism name that RFC 4422 does not allow. It comes
// from [ValidateName], [From] and [Negotiate]; it keeps a custom mechanism
// from injecting a command into the AUTH line.
type NameError struct {
	// Name is the rejected name, exactly as given.
	Name string
}

// Error describes the rule; the name is quoted with Go escapes.
func (e *NameError) Error() string {
	return "smtp: sasl: invalid mechanism name " + strconv.Quote(e.Name) +
		": want 1 to 20 characters of A-Z, 0-9, - and _"
}

// Reason says why [Negotiate] did not choose a mechanism.
type Reason uint8

// Reasons a mechanism was not chosen. The zero Reason is not used.
const (
	// ReasonNotOffered: the server did not advertise the mechanism after TLS.
	ReasonNotOffered Reason = iota + 1
	// ReasonInsecure: the mechanism exposes a reusable secret and the
	// session lacks TLS with a verified certificate; use TLS, or set
	// [Policy.AllowInsecure] if the channel is protected otherwise.
	ReasonInsecure
	// ReasonNoChannelBinding: the mechanism needs channel binding and the
	// session's TLS cannot provide it (see [ErrChannelBinding]).
	ReasonNoChannelBinding
)

// String returns a short description of r.
func (r Reason) String() string {
	switch r {
	case ReasonNotOffered:
		return "not offered by the server"
	case ReasonInsecure:
		return "would expose a secret without verified TLS"
	case ReasonNoChannelBinding:
		return "needs TLS channel binding, which this connection cannot provide"
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// Rejection is one mechanism that [Negotiate] did not choose, and why.
type Rejection struct {
	// Mechanism is the mechanism's name.
	Mechanism string
	// Reason says why it was not chosen.
	Reason Reason
}

// NegotiationError is returned by [Negotiate] when no mechanism can be used.
type NegotiationError struct {
	// Offered is the server's list, upper-cased, without invalid names.
	Offered []string
	// Pinned is the upper-cased [Policy.Mechanism], or empty.
	Pinned string
	// Rejected lists the candidate mechanisms (only the pinned one when
	// Pinned is set) with the reason each was not chosen, in the caller's
	// order. It is empty when no candidate was available at all.
	Rejected []Rejection
}

// Error describes what the server offered and why each candidate was
// rejected.
func (e *NegotiationError) Error() string {
	var b strings.Builder
	b.WriteString("smtp: sasl: no usable mechanism")
	if e.Pinned != "" && len(e.Rejected) == 0 {
		b.WriteString(": pinned mechanism ")
		b.WriteString(e.Pinned)
		b.WriteString(" is not among the available mechanisms")
	}
	b.WriteString(" (server offers ")
	if len(e.Offered) == 0 {
		b.WriteString("none")
	} else {
		b.WriteString(strings.Join(e.Offered, " "))
	}
	b.WriteString(")")
	for i, r := range e.Rejected {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(r.Mechanism)
		b.WriteByte(' ')
		b.WriteString(r.Reason.String())
	}
	return b.String()
}

// Insecure reports whether some candidate was offered and refused only
// because it would expose a secret without verified TLS: the caller should
// use TLS (or, knowingly, [Policy.AllowInsecure]).
func (e *NegotiationError) Insecure() bool {
	for _, r := range e.Rejected {
		if r.Reason == ReasonInsecure {
			return true
		}
	}
	return false
}
