package reply

import (
	"io"
	"strconv"
)

// Violation is the kind of a [ProtocolError]: how the bytes from the server
// broke the SMTP reply syntax or the dialogue. The zero value means none.
type Violation uint8

// The kinds of protocol violation.
const (
	// ViolationLineTooLong: a reply line is longer than Limits.MaxLineLength.
	ViolationLineTooLong Violation = iota + 1
	// ViolationTooManyLines: a reply has more than Limits.MaxLines lines.
	ViolationTooManyLines
	// ViolationReplyTooLarge: a reply is larger than Limits.MaxReplySize.
	ViolationReplyTooLarge
	// ViolationBadCode: a line does not start with a reply code
	// ([2-5][0-5][0-9]).
	ViolationBadCode
	// ViolationCodeMismatch: a line of a multi-line reply has a code other
	// than the first line's.
	ViolationCodeMismatch
	// ViolationBadSeparator: the code is followed by something other than
	// a space, a hyphen or the end of the line.
	ViolationBadSeparator
	// ViolationUnexpectedEOF: the stream ended inside a reply, or its last
	// line has no line ending. The ProtocolError unwraps to
	// io.ErrUnexpectedEOF.
	ViolationUnexpectedEOF
	// ViolationTrailingData: [Parse] found bytes after the reply.
	ViolationTrailingData
	// ViolationBadEnhancedCode: [ParseEnhancedCode] was given something
	// other than an enhanced status code.
	ViolationBadEnhancedCode
	// ViolationUnsolicited: the server sent bytes when no reply was
	// expected (used by the client).
	ViolationUnsolicited
	// ViolationUnexpectedReply: the server sent a reply of a class the
	// command does not allow, such as 250 where only 354 was acceptable
	// (used by the client).
	ViolationUnexpectedReply
)

var violationNames = [...]string{
	ViolationLineTooLong:     "line too long",
	ViolationTooManyLines:    "too many lines",
	ViolationReplyTooLarge:   "reply too large",
	ViolationBadCode:         "bad reply code",
	ViolationCodeMismatch:    "reply code mismatch",
	ViolationBadSeparator:    "bad separator after reply code",
	ViolationUnexpectedEOF:   "unexpected EOF",
	ViolationTrailingData:    "trailing data after reply",
	ViolationBadEnhancedCode: "bad enhanced status code",
	ViolationUnsolicited:     "unsolicited data from server",
	ViolationUnexpectedReply: "unexpected reply",
}

// String returns a short lower-case description of v, such as
// "line too long", and "Violation(N)" for an undefined value.
func (v Violation) String() string {
	if v != 0 && int(v) < len(violationNames) {
		return violationNames[v]
	}
	return "Violation(" + strconv.Itoa(int(v)) + ")"
}

// ProtocolError reports bytes from the server that are not a well-formed
// reply, or a reply that does not fit the dialogue. It means the session
// is out of step: unlike an [*Error], the server did not answer "no", and
// the connection should not be used again.
type ProtocolError struct {
	// Kind is what went wrong.
	Kind Violation
	// Line is the 1-based line of the reply where it went wrong, or 0 if
	// not applicable. For ViolationTooManyLines and ViolationTrailingData it
	// is the first line beyond the limit or the reply.
	Line int
	// Err is the cause, if any, returned by Unwrap: io.ErrUnexpectedEOF
	// for ViolationUnexpectedEOF, an I/O error met while an over-long line
	// was discarded, or whatever the client attaches.
	Err error
}

// Error returns a message such as "smtp: protocol error: line too long (line 3)",
// followed by the cause when there is one.
func (e *ProtocolError) Error() string {
	b := make([]byte, 0, 64)
	b = append(b, "smtp: protocol error: "...)
	b = append(b, e.Kind.String()...)
	if e.Line > 0 {
		b = append(b, " (line "...)
		b = strconv.AppendInt(b, int64(e.Line), 10)
		b = append(b, ')')
	}
	if e.Err != nil && e.Err != io.ErrUnexpectedEOF { // "unexpected EOF: unexpected EOF" says nothing more
		b = append(b, ": "...)
		b = append(b, e.Err.Error()...)
	}
	return string(b)
}

// Unwrap returns the cause of e, if any.
func (e *ProtocolError) Unwrap() error { return e.Err }

// Retry returns [RetryNewConnection]: after a protocol error the client
// and the server no longer agree on where they are in the dialogue, so the
// connection cannot be used again, but a new one may succeed.
func (e *ProtocolError) Retry() Retry { return RetryNewConnection }
