package reply

import (
	"bufio"
	"fmt"
	"io"
)

// Default limits, used for a zero field of [Limits].
const (
	defaultMaxLineLength = 2048
	defaultMaxLines      = 256
	defaultMaxReplySize  = 65536
)

// Limits bounds what a [Reader] and [Parse] accept. A zero (or negative)
// field means its default. RFC 5321 section 4.5.3.1.5 limits a reply line
// to 512 bytes; the default line length leaves room for servers that
// exceed it.
type Limits struct {
	MaxLineLength int // bytes per line including CRLF; default 2048
	MaxLines      int // lines per reply; default 256
	MaxReplySize  int // bytes per reply including line endings; default 65536
}

// withDefaults returns a copy of *l (of the zero Limits if l is nil) with
// every unset field set to its default.
func (l *Limits) withDefaults() Limits {
	var v Limits
	if l != nil {
		v = *l
	}
	if v.MaxLineLength <= 0 {
		v.MaxLineLength = defaultMaxLineLength
	}
	if v.MaxLines <= 0 {
		v.MaxLines = defaultMaxLines
	}
	if v.MaxReplySize <= 0 {
		v.MaxReplySize = defaultMaxReplySize
	}
	return v
}

// Reader reads replies from a buffered stream, one at a time.
//
// A Reader never consumes a byte beyond the line ending of the last line
// of the reply it returns, so bytes still buffered in the bufio.Reader
// after [Reader.ReadReply] are bytes the server sent after that reply
// (with PIPELINING, the next replies; otherwise, unsolicited data).
//
// A Reader is not safe for concurrent use.
type Reader struct {
	br      *bufio.Reader
	limits  Limits
	scratch []byte // a line longer than br's buffer, assembled
}

// NewReader returns a Reader that reads replies from br within limits
// (nil means the defaults; the Limits are copied).
func NewReader(br *bufio.Reader, limits *Limits) *Reader {
	return &Reader{br: br, limits: limits.withDefaults()}
}

// ReadReply reads one reply into dst, reusing dst's storage: once dst has
// grown to the size of the replies it receives, ReadReply does not
// allocate. The text of the previous reply in dst is overwritten.
//
// The syntax is strict (RFC 5321 section 4.2): every line starts with the
// same valid code, followed by '-' on every line but the last, and by a
// space or the end of the line on the last. Lines end with CRLF or a bare
// LF; a CR elsewhere is part of the text. A line of three digits alone is
// a last line with no text. The enhanced status code is recognised as
// described in [Reply].
//
// Errors:
//   - io.EOF, as is, if the stream ends cleanly before the first byte of
//     the reply;
//   - a [*ProtocolError] for malformed input or a broken limit; one of kind
//     [ViolationUnexpectedEOF] (which unwraps to io.ErrUnexpectedEOF) if the
//     stream ends inside the reply, including after a last line without a
//     line ending. An over-long line is read and discarded up to its line
//     ending (but no further than the reply's size limit allows), never
//     kept in memory;
//   - any other error of the underlying reader, such as a timeout, wrapped
//     with %w so that errors.Is(err, os.ErrDeadlineExceeded) still holds.
//
// On error, dst is left empty (its storage kept for reuse).
func (r *Reader) ReadReply(dst *Reply) error {
	dst.Code, dst.Enhanced, dst.text, dst.lines = 0, EnhancedCode{}, dst.text[:0], 0
	size := 0
	for n := 1; ; n++ {
		line, err := r.br.ReadSlice('\n')
		if err != nil || len(line) > r.limits.MaxLineLength {
			if line, err = r.readLine(line, err, n, size); err != nil {
				return fail(dst, err)
			}
		}
		if size += len(line); size > r.limits.MaxReplySize {
			return fail(dst, &ProtocolError{Kind: ViolationReplyTooLarge, Line: n})
		}
		more, err := addLine(dst, line, n)
		if err != nil {
			return fail(dst, err)
		}
		if !more {
			return nil
		}
		if n >= r.limits.MaxLines {
			return fail(dst, &ProtocolError{Kind: ViolationTooManyLines, Line: n + 1})
		}
	}
}

// fail empties dst, keeping its storage, and returns err.
func fail(dst *Reply, err error) error {
	dst.Code, dst.Enhanced, dst.text, dst.lines = 0, EnhancedCode{}, dst.text[:0], 0
	return err
}

// readLine finishes reading line n of a reply, of which size bytes have
// been read, when the first ReadSlice returned line and err but not a
// complete line within the limit: the line is longer than the limit or than
// br's buffer, or the stream ended or failed. It returns the line including
// its line ending, valid until the next read.
func (r *Reader) readLine(line []byte, err error, n, size int) ([]byte, error) {
	if err == nil { // a complete line, too long
		return nil, &ProtocolError{Kind: ViolationLineTooLong, Line: n}
	}
	buf := r.scratch[:0]
	for {
		switch err {
		case nil, bufio.ErrBufferFull:
			if len(buf)+len(line) > r.limits.MaxLineLength {
				if err == nil {
					return nil, &ProtocolError{Kind: ViolationLineTooLong, Line: n}
				}
				return nil, r.discardLine(n, size+len(buf)+len(line))
			}
			buf = append(buf, line...)
			r.scratch = buf // keep what it has grown to for the next long line
			if err == nil {
				return buf, nil
			}
		case io.EOF:
			switch m := len(buf) + len(line); {
			case m > r.limits.MaxLineLength:
				return nil, &ProtocolError{Kind: ViolationLineTooLong, Line: n}
			case m == 0 && n == 1:
				return nil, io.EOF
			}
			return nil, unexpectedEOF(n)
		default:
			return nil, fmt.Errorf("smtp: reading reply: %w", err)
		}
		line, err = r.br.ReadSlice('\n')
	}
}

// discardLine reads and drops the rest of an over-long line n, of which
// the reply so far and the line take read bytes, up to its line ending but
// not beyond the reply's size limit, and returns the error that reports it.
func (r *Reader) discardLine(n, read int) error {
	err := bufio.ErrBufferFull
	for err == bufio.ErrBufferFull && read < r.limits.MaxReplySize {
		var chunk []byte
		chunk, err = r.br.ReadSlice('\n')
		read += len(chunk)
	}
	pe := &ProtocolError{Kind: ViolationLineTooLong, Line: n}
	if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
		pe.Err = err // an I/O error while discarding, such as a timeout
	}
	return pe
}
