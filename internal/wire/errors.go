package wire

import (
	"errors"
	"fmt"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// BodyErrorKind says what is wrong with a message body. The zero value
// means nothing is.
type BodyErrorKind uint8

// The kinds of [BodyError].
const (
	// BodyNUL: the body has a NUL octet, which SMTP may not carry
	// (RFC 5321 section 4.5.2; RFC 5322 section 2.1).
	BodyNUL BodyErrorKind = iota + 1
	// BodyLineTooLong: a line has more than MaxLineLength octets before
	// its CRLF (RFC 5322 section 2.1.1, RFC 5321 section 4.5.3.1.6).
	BodyLineTooLong
)

// String returns a short lowercase description, such as "NUL octet".
func (k BodyErrorKind) String() string {
	switch k {
	case BodyNUL:
		return "NUL octet"
	case BodyLineTooLong:
		return "line too long"
	}
	return fmt.Sprintf("BodyErrorKind(%d)", uint8(k))
}

// BodyError is a message body that SMTP cannot carry as it is. The writer
// that returned it has written the body up to (not including) the offending
// octet and will write nothing more; the message was not terminated.
type BodyError struct {
	Kind BodyErrorKind
	// Line is the 1-based number of the offending line, counting lines
	// after line-ending normalisation.
	Line int
	// Offset is the 0-based position of the offending octet in the input:
	// the NUL itself, or the first octet past MaxLineLength.
	Offset int64
}

// Error describes the problem, for example
// "smtp: message body: line 3 longer than 998 octets".
func (e *BodyError) Error() string {
	switch e.Kind {
	case BodyNUL:
		return fmt.Sprintf("smtp: message body: NUL octet on line %d (offset %d)", e.Line, e.Offset)
	case BodyLineTooLong:
		return fmt.Sprintf("smtp: message body: line %d longer than %d octets", e.Line, MaxLineLength)
	}
	return fmt.Sprintf("smtp: message body: %v on line %d (offset %d)", e.Kind, e.Line, e.Offset)
}

// Retry returns [reply.RetryNever]: the same body fails the same way on
// any connection; it must be changed (for example re-encoded as
// quoted-printable or base64) first. The connection that carried the partial
// body must be closed, since DATA cannot be withdrawn.
func (e *BodyError) Retry() reply.Retry { return reply.RetryNever }

// ErrClosed is returned by Write, ReadFrom and Close after a successful
// Close.
var ErrClosed = errors.New("smtp: message body already closed")
