package dsn

import (
	"errors"
	"strconv"
)

// ErrNotBounce matches the error [Parse] returns for a message that is not
// a delivery status notification: an auto-reply, a feedback or read
// report, or an ordinary message. The error is a [*NotBounceError].
var ErrNotBounce = errors.New("dsn: not a bounce")

// NotBounceError reports a message that is not a bounce, and why.
type NotBounceError struct {
	// Reason says what the message is, such as "auto-reply",
	// "feedback report" or "no delivery status".
	Reason string
}

// Error returns "dsn: not a bounce: " and the reason.
func (e *NotBounceError) Error() string { return "dsn: not a bounce: " + e.Reason }

// Is reports whether target is [ErrNotBounce].
func (e *NotBounceError) Is(target error) bool { return target == ErrNotBounce }

// LimitError reports an input that exceeds one of the limits of
// [Options]. Parse stops reading at the limit.
type LimitError struct {
	Limit string // the Options field, such as "MaxBytes"
	Max   int64  // its value
}

// Error returns a message such as "dsn: message exceeds MaxBytes (16777216)".
func (e *LimitError) Error() string {
	return "dsn: message exceeds " + e.Limit + " (" + strconv.FormatInt(e.Max, 10) + ")"
}

// FieldError reports a line of a delivery status part that could not be
// parsed, or a field whose value is malformed. Parse records it in
// [Report.Problems] and goes on with the next field.
type FieldError struct {
	Line   int    // the line in the delivery status part, from 1
	Field  string // the field name, or "" for a line that is not a field
	Reason string
}

// Error returns a message such as "dsn: line 7: Status: malformed status
// code".
func (e *FieldError) Error() string {
	s := "dsn: line " + strconv.Itoa(e.Line) + ": "
	if e.Field != "" {
		s += e.Field + ": "
	}
	return s + e.Reason
}

// FormatError reports a message whose MIME structure cannot be read at
// all (a malformed header or multipart body).
type FormatError struct {
	Err error
}

// Error returns "dsn: malformed message: " and the cause.
func (e *FormatError) Error() string { return "dsn: malformed message: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *FormatError) Unwrap() error { return e.Err }
