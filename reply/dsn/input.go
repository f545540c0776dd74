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

// lowerASCII returns b with ASCII letters in lower case and every other
// byte kept, so that an index into the result is an index into b
// (bytes.ToLower may change the length of invalid or non-ASCII text).
func lowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// lowerASCIIString is lowerASCII for a string.
func lowerASCIIString(s string) string { return string(lowerASCII([]byte(s))) }
