package wire

import "io"

// DefaultChunkSize is the chunk size of a [ChunkWriter] made with a size of
// zero or less.
const DefaultChunkSize = 128 << 10

// ChunkWriter cuts a message body into chunks for BDAT (RFC 3030). By
// default it normalises and checks the body exactly as [DataWriter] does
// but does not dot-stuff, and like DataWriter ends the body with CRLF if it
// has none, so a message has the same content whichever command carries
// it.
//
// In raw mode ([NewRawChunkWriter], [ChunkWriter.SetRaw]), for a body
// declared BODY=BINARYMIME (RFC 3030 section 3), the octets pass unchanged:
// no line-ending normalisation, no check for NUL or line length, no CRLF
// added at the end. This is safe because BDAT frames the body by its
// length: no content can end the message early.
//
// Every chunk but the last is exactly the chunk size; the last one, passed
// by Close, has between 0 (only for an empty body) and the chunk size
// octets. The chunk slice is only valid during the call to emit.
//
// The zero value is not usable; make one with [NewChunkWriter]. A
// ChunkWriter is not safe for concurrent use.
type ChunkWriter struct {
	n   normalizer // in raw mode, only its err, size and eightBit are used
	c   chunker
	raw bool
	buf []byte // for ReadFrom, kept across Reset
}

// chunker is the normalizer's sink: it fills buf and hands it to emit.
type chunker struct {
	buf  []byte
	emit func(chunk []byte, last bool) error
}

func (c *chunker) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		if len(c.buf) == cap(c.buf) {
			if err := c.emit(c.buf, false); err != nil {
				return total - len(p), err
			}
			c.buf = c.buf[:0]
		}
		k := copy(c.buf[len(c.buf):cap(c.buf)], p)
		c.buf = c.buf[:len(c.buf)+k]
		p = p[k:]
	}
	return total, nil
}

// NewChunkWriter returns a ChunkWriter that calls emit with each chunk of
// size octets (DefaultChunkSize if size <= 0), last being true only for the
// final chunk, passed by Close. An error from emit is returned by the Write
// or Close that called it and is sticky.
func NewChunkWriter(size int, emit func(chunk []byte, last bool) error) *ChunkWriter {
	if size <= 0 {
		size = DefaultChunkSize
	}
	w := &ChunkWriter{}
	w.c.buf = make([]byte, 0, size)
	w.Reset(emit)
	return w
}

// NewRawChunkWriter is [NewChunkWriter] for a ChunkWriter in raw mode: it
// passes the body to emit unchanged, in chunks of size octets.
func NewRawChunkWriter(size int, emit func(chunk []byte, last bool) error) *ChunkWriter {
	w := NewChunkWriter(size, emit)
	w.raw = true
	return w
}

// Reset discards the state of w, its sticky error and any buffered octets
// included, and makes it send a new body to emit. It keeps the chunk size,
// the buffer and the mode (raw or not).
func (w *ChunkWriter) Reset(emit func(chunk []byte, last bool) error) {
	w.c.buf = w.c.buf[:0]
	w.c.emit = emit
	w.n.reset(&w.c, false)
}

// SetRaw puts w in raw mode (raw true: the body passes unchanged) or in
// the default mode (normalised and checked), for the body to come. It
// discards the state of w as Reset does, keeping emit, so call it before
// the first Write of a body.
func (w *ChunkWriter) SetRaw(raw bool) {
	w.raw = raw
	w.Reset(w.c.emit)
}

// Raw reports whether w is in raw mode.
func (w *ChunkWriter) Raw() bool { return w.raw }

// Write adds p to the body, calling emit for every chunk it fills. It
// returns the number of octets of p consumed. Any error is sticky.
func (w *ChunkWriter) Write(p []byte) (int, error) {
	if w.raw {
		return w.writeRaw(p)
	}
	return w.n.write(p)
}

// writeRaw is Write in raw mode.
func (w *ChunkWriter) writeRaw(p []byte) (int, error) {
	n := &w.n
	if n.err != nil {
		return 0, n.err
	}
	m, err := w.c.Write(p)
	n.size += int64(m)
	if !n.eightBit {
		n.eightBit = has8bit(p[:m])
	}
	if err != nil {
		n.err = err
	}
	return m, err
}

// ReadFrom writes everything read from r until io.EOF, as Write would. It
// reuses one buffer for the life of w. An error from r is returned as is
// and is not sticky.
func (w *ChunkWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.buf == nil {
		w.buf = make([]byte, 32<<10)
	}
	return w.n.readFrom(r, w.buf, w.Write)
}

// Close ends the last line with CRLF if it has none (not in raw mode) and
// calls emit with the last chunk. After an error Close does not call emit
// and returns the error; after a successful Close every call returns
// [ErrClosed].
func (w *ChunkWriter) Close() error {
	if w.raw {
		if w.n.err != nil {
			return w.n.err
		}
	} else if err := w.n.finish(); err != nil {
		return err
	}
	if err := w.c.emit(w.c.buf, true); err != nil {
		w.n.err = err
		return err
	}
	w.c.buf = w.c.buf[:0]
	w.n.err = ErrClosed
	return nil
}

// EightBit reports whether the body written so far has an octet of 0x80 or
// more, so needs BODY=8BITMIME (RFC 6152) or BINARYMIME (RFC 3030).
func (w *ChunkWriter) EightBit() bool { return w.n.eightBit }

// Size returns the number of octets of the normalised body so far (in raw
// mode, of the body), chunks still buffered included. After Close it is
// the message size.
func (w *ChunkWriter) Size() int64 { return w.n.size }
