package wire

import "io"

// DataWriter writes a message body for the DATA command: it normalises line
// endings to CRLF, dot-stuffs, checks every octet and line, and Close ends
// the body with the line ".". It writes straight through to the underlying
// writer, typically the connection's *bufio.Writer, and never flushes it.
//
// The zero value is not usable; make one with [NewDataWriter]. Reuse one
// across messages with [DataWriter.Reset]. A DataWriter is not safe for
// concurrent use.
type DataWriter struct {
	n   normalizer
	buf []byte // for ReadFrom, kept across Reset
}

// NewDataWriter returns a DataWriter that writes the body to w.
func NewDataWriter(w io.Writer) *DataWriter {
	d := &DataWriter{}
	d.n.reset(w, true)
	return d
}

// Reset discards the state of d, its sticky error included, and makes it
// write a new body to w.
func (d *DataWriter) Reset(w io.Writer) { d.n.reset(w, true) }

// Write writes p as the next part of the body. A CR at the end of p and an
// LF at the start of the next p are one line ending. It returns the number
// of octets of p consumed; on a [*BodyError] that is the offset of the
// offending octet in p. Any error is sticky: later calls return it and write
// nothing.
func (d *DataWriter) Write(p []byte) (int, error) { return d.n.write(p) }

// ReadFrom writes everything read from r until io.EOF, as Write would, and
// returns the number of octets read. It reuses one buffer for the life of d,
// so io.Copy(d, r) does not allocate per message. An error from r is
// returned as is and is not sticky.
func (d *DataWriter) ReadFrom(r io.Reader) (int64, error) {
	if d.buf == nil {
		d.buf = make([]byte, 32<<10)
	}
	return d.n.readFrom(r, d.buf, d.n.write)
}

// Close ends the last line with CRLF if it has none and writes the line
// ".", so the output ends with "\r\n.\r\n" (an empty body is just ".\r\n",
// which follows the CRLF of the DATA command). It does not close or flush
// the underlying writer. After an error Close writes nothing and returns
// the error; after a successful Close every call returns [ErrClosed].
func (d *DataWriter) Close() error {
	if err := d.n.finish(); err != nil {
		return err
	}
	if d.n.out(endData, false) != nil {
		return d.n.err
	}
	d.n.err = ErrClosed
	return nil
}

// EightBit reports whether the body written so far has an octet of 0x80 or
// more, so needs BODY=8BITMIME (RFC 6152).
func (d *DataWriter) EightBit() bool { return d.n.eightBit }

// Size returns the number of octets of the normalised body written so far,
// counting CRLF as two octets and excluding stuffed dots and the final ".".
// After Close it is the size to declare in the SIZE parameter (RFC 1870).
func (d *DataWriter) Size() int64 { return d.n.size }
