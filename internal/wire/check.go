package wire

import "io"

// Info describes a normalised message body.
type Info struct {
	// Size is the number of octets of the normalised body, CRLF counted as
	// two octets and a final CRLF added if missing, without dot-stuffing:
	// the value for the SIZE parameter (RFC 1870).
	Size int64
	// Lines is the number of lines.
	Lines int
	// EightBit is true if the body has an octet of 0x80 or more, so needs
	// BODY=8BITMIME (RFC 6152).
	EightBit bool
}

// Check returns what a [DataWriter] or [ChunkWriter] would make of body,
// without writing anything, and the [*BodyError] it would return, if any.
// Use it to choose the MAIL parameters before sending. On error, Info
// describes the body up to the offending octet.
func Check(body []byte) (Info, error) {
	var n normalizer
	n.reset(io.Discard, false)
	n.write(body)
	err := n.finish()
	return n.info(), err
}

// CheckReader is [Check] for a body read from r until io.EOF. It reads in
// 32 KiB blocks and holds nothing more. An error from r is returned as is.
func CheckReader(r io.Reader) (Info, error) {
	var n normalizer
	n.reset(io.Discard, false)
	if _, err := n.readFrom(r, make([]byte, 32<<10), n.write); err != nil {
		return n.info(), err
	}
	err := n.finish()
	return n.info(), err
}

func (n *normalizer) info() Info {
	lines := n.line - 1
	if !n.bol {
		lines++ // an unterminated last line
	}
	return Info{Size: n.size, Lines: lines, EightBit: n.eightBit}
}
