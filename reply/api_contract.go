package reply

// This file is the agreed API of package reply while it is being built by
// several people at once. Each declaration here moves to its own file (named
// in the comment) when its owner implements it; delete this file once empty.

import "bufio"

// ---- code.go (owner: codec) ----

// Code is a three-digit SMTP reply code (RFC 5321 section 4.2).
// The zero value is not a valid code and means "no reply".
type Code uint16

// ---- class.go (owner: codec) ----

// Class is the first digit of a reply code: the kind of answer it is.
// The zero value means "no class".
type Class uint8

// The classes of RFC 5321 section 4.2.1.
const (
	ClassSuccess      Class = 2 // 2yz: positive completion
	ClassIntermediate Class = 3 // 3yz: positive intermediate
	ClassTransient    Class = 4 // 4yz: transient negative completion
	ClassPermanent    Class = 5 // 5yz: permanent negative completion
)

// ---- enhanced.go (owner: codec) ----

// Subject is the middle number of an RFC 3463 enhanced status code.
type Subject uint8

// EnhancedCode is an RFC 3463 enhanced status code, class.subject.detail.
// The zero value means the server sent none.
type EnhancedCode struct {
	Class   Class   // 2, 4 or 5
	Subject Subject // 0..7
	Detail  uint16  // 0..999
}

// ---- reply.go (owner: codec) ----

// Reply is one SMTP reply: a code, an optional enhanced code and its text.
type Reply struct {
	Code     Code
	Enhanced EnhancedCode

	text  []byte // lines joined by '\n', code and enhanced code stripped
	lines int    // number of lines (>= 1 for a parsed reply)
}

// ---- reader.go (owner: codec) ----

// Limits bounds what a Reader accepts. A zero field means its default.
type Limits struct {
	MaxLineLength int // bytes per line including CRLF; default 2048
	MaxLines      int // lines per reply; default 256
	MaxReplySize  int // bytes per reply; default 65536
}

// Reader reads replies from a buffered stream.
type Reader struct {
	br     *bufio.Reader
	limits Limits
}

// ---- error.go (owner: semantics) ----

// Error is a reply of class 4 or 5 returned as a Go error, together with
// the command that received it.
type Error struct {
	// Command is the SMTP verb that received the reply, without arguments,
	// such as "MAIL FROM", "RCPT TO", "DATA", "AUTH"; "greeting" for the
	// server's opening reply and "end of data" for the reply after the final
	// dot (or the last BDAT).
	Command string
	// Reply is the server's reply. It owns its storage.
	Reply Reply
}

// ---- retry.go (owner: semantics) ----

// Retry is advice on whether and how an operation that failed may be tried again.
type Retry uint8
