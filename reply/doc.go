// Package reply is a pure codec for SMTP replies: it reads the replies of
// RFC 5321 section 4.2 from a byte stream or a byte slice, turns each one
// into a typed [Reply] (a [Code], its [Class], an RFC 3463 [EnhancedCode]
// and the text lines), and tells a program what a reply means.
//
// It does no network I/O and imports no network package: it works equally
// on a live connection (through [Reader]) and on replies copied from logs
// (through [Parse]).
//
// # Replies and errors
//
// A reply is what the server sends. A reply of class 4 or 5 becomes a Go
// error as an [*Error], which records the command that received it. Any
// failure to read a well-formed reply is a [*ProtocolError] with a
// [Violation] kind; I/O errors such as timeouts are returned as they are,
// wrapped, so errors.Is(err, os.ErrDeadlineExceeded) still holds.
//
// # Meaning
//
// The predicates ([IsAuthRequired], [IsTLSRequired], [IsTemporary],
// [IsServiceClosing], [IsRateLimited] and the others) take any error and
// look through wrapping for an [*Error]; they decide from the enhanced
// status code first, then the basic code, then a few documented phrases of
// the text. [RetryFor] turns an error into advice on whether and how to try
// again, and [Explain] and [Error.Explain] (which also knows the command)
// give a short explanation of a code in English or
// Spanish, written for people.
//
// # Limits
//
// Every reply read is bounded by [Limits]: the length of a line, the number
// of lines and the size of the whole reply have safe defaults, and a reply
// that breaks one is a [*ProtocolError], never unbounded memory.
//
// # Concurrency
//
// Values of the package's types are safe for concurrent reads. A [Reader]
// is not safe for concurrent use.
package reply
