package wire

import (
	"bytes"
	"encoding/binary"
	"io"
)

// MaxLineLength is the longest line a body may have, in octets, not
// counting its CRLF or a dot added by dot-stuffing.
const MaxLineLength = 998

var (
	crOnly  = []byte{'\r'}
	lfOnly  = []byte{'\n'}
	crlf    = []byte("\r\n")
	dotOnly = []byte{'.'}
	endData = []byte(".\r\n")
)

// normalizer is the engine shared by DataWriter, ChunkWriter and Check: it
// normalises line endings, checks octets and line lengths, optionally
// dot-stuffs, and writes the result to w in as few writes as it can (runs
// of input that need no change are written straight from the caller's
// slice).
type normalizer struct {
	w     io.Writer
	stuff bool // dot-stuff lines (DATA)

	bol      bool  // at the beginning of a line
	skipLF   bool  // the last input octet was a CR, already written as CRLF
	lineLen  int   // octets of the current line so far
	line     int   // 1-based number of the current line
	off      int64 // input octets consumed
	size     int64 // normalised octets written, stuffed dots excluded
	eightBit bool  // an octet >= 0x80 was seen
	err      error // sticky
}

func (n *normalizer) reset(w io.Writer, stuff bool) {
	*n = normalizer{w: w, stuff: stuff, bol: true, line: 1}
}

// out writes b, counting it into size when it is content.
func (n *normalizer) out(b []byte, content bool) error {
	if len(b) == 0 {
		return nil
	}
	m, err := n.w.Write(b)
	if content {
		n.size += int64(m)
	}
	if err == nil && m < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		n.err = err
	}
	return err
}

func (n *normalizer) newline() {
	n.lineLen = 0
	n.line++
	n.bol = true
}

// write normalises p. Between start and i lies input that is written
// unchanged; it is flushed whenever something must be inserted.
func (n *normalizer) write(p []byte) (int, error) {
	if n.err != nil {
		return 0, n.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	i, start := 0, 0
	if n.skipLF {
		n.skipLF = false
		if p[0] == '\n' { // second half of a CRLF split across writes
			i, start = 1, 1
		}
	}
	lf := -1  // index of the next LF at or after i, len(p) if none; stale when < i
	nul := -1 // the same for NUL, which is rare: one search per write, not per line
	if !n.eightBit {
		// One pass over p, not one per line. A body that then fails is
		// not sent, so over-reporting its octets does no harm.
		n.eightBit = has8bit(p[i:])
	}
	for i < len(p) {
		if n.bol {
			n.bol = false
			if n.stuff && p[i] == '.' {
				if n.out(p[start:i], true) != nil || n.out(dotOnly, false) != nil {
					return start, n.err
				}
				start = i
			}
		}
		if lf < i {
			lf = bytes.IndexByte(p[i:], '\n')
			if lf < 0 {
				lf = len(p)
			} else {
				lf += i
			}
		}
		// seg: the octets before the next CR, LF or NUL.
		seg := p[i:lf]
		if k := bytes.IndexByte(seg, '\r'); k >= 0 {
			seg = seg[:k]
		}
		if nul < i {
			if nul = bytes.IndexByte(p[i:], 0); nul < 0 {
				nul = len(p)
			} else {
				nul += i
			}
		}
		if nul < i+len(seg) {
			seg = seg[:nul-i]
		}
		if room := MaxLineLength - n.lineLen; len(seg) > room {
			return n.fail(p, start, i+room, BodyLineTooLong)
		}
		n.lineLen += len(seg)
		i += len(seg)
		if i == len(p) {
			break
		}
		switch p[i] {
		case 0:
			return n.fail(p, start, i, BodyNUL)
		case '\r':
			i++
			if i < len(p) && p[i] == '\n' { // CRLF: keep it in the run
				i++
				n.newline()
				continue
			}
			// A bare CR, or a CR ending p: write it and its LF now. At
			// the end of p, an LF starting the next write is dropped.
			if n.out(p[start:i], true) != nil || n.out(lfOnly, true) != nil {
				return start, n.err
			}
			start = i
			n.skipLF = i == len(p)
			n.newline()
		case '\n': // a bare LF: insert the CR before it
			if n.out(p[start:i], true) != nil || n.out(crOnly, true) != nil {
				return start, n.err
			}
			start = i
			i++
			n.newline()
		}
	}
	if n.out(p[start:], true) != nil {
		return start, n.err
	}
	n.off += int64(len(p))
	return len(p), nil
}

// fail writes p[start:at], the valid input before the offending octet at
// p[at], and makes a BodyError of the given kind sticky.
func (n *normalizer) fail(p []byte, start, at int, kind BodyErrorKind) (int, error) {
	if n.out(p[start:at], true) != nil {
		return start, n.err
	}
	n.err = &BodyError{Kind: kind, Line: n.line, Offset: n.off + int64(at)}
	return at, n.err
}

// finish ends the last line with CRLF if it has none.
func (n *normalizer) finish() error {
	if n.err != nil {
		return n.err
	}
	if !n.bol {
		if n.out(crlf, true) != nil {
			return n.err
		}
		n.newline()
	}
	return nil
}

// readFrom copies r into write (n.write, or a raw chunk writer's write that
// keeps n's error and counters) through buf, and stops at n's sticky error.
func (n *normalizer) readFrom(r io.Reader, buf []byte, write func([]byte) (int, error)) (int64, error) {
	var total int64
	for {
		if n.err != nil {
			return total, n.err
		}
		m, rerr := r.Read(buf)
		if m > 0 {
			k, werr := write(buf[:m])
			total += int64(k)
			if werr != nil {
				return total, werr
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// has8bit reports whether b has an octet >= 0x80.
func has8bit(b []byte) bool {
	const hi = 0x8080808080808080
	for len(b) >= 32 {
		x := binary.LittleEndian.Uint64(b) | binary.LittleEndian.Uint64(b[8:]) |
			binary.LittleEndian.Uint64(b[16:]) | binary.LittleEndian.Uint64(b[24:])
		if x&hi != 0 {
			return true
		}
		b = b[32:]
	}
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&hi != 0 {
			return true
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
