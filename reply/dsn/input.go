package dsn

import (
	"bytes"
)

// normalize prepares a message for go-message and for the fallbacks that
// read raw bytes: it drops an mbox "From " separator line before the
// header, and turns CRLF and the lone CR of classic Mac OS mailboxes into
// LF. It reuses raw.
func normalize(raw []byte) []byte {
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexAny(raw, "\r\n"); i >= 0 {
			raw = raw[i:]
			raw = bytes.TrimPrefix(raw, []byte("\r"))
			raw = bytes.TrimPrefix(raw, []byte("\n"))
		}
	}
	out := raw[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\r' {
			if i+1 < len(raw) && raw[i+1] == '\n' {
				continue
			}
			c = '\n'
		}
		out = append(out, c)
	}
	return out
}
