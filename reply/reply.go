package reply

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Reply is one SMTP reply: a code, an optional enhanced code and its text.
//
// The text is kept as the server sent it, line by line, with the reply
// code, the separator after it and the enhanced status code (when it is
// repeated on a line) removed from each line. It may contain any byte but
// a line feed, including control bytes and invalid UTF-8: use
// [Reply.String] to show it to a person or write it to a log.
//
// Enhanced is set when the text of the first line starts with an RFC 3463
// code whose class is the reply code's class, followed by a space or the
// end of the line, as in "250 2.1.0 Ok". That code and the space after it
// are removed from the first line and from every later line that repeats
// the same code. Anything else that looks like one stays text and leaves
// Enhanced zero: a code of another class ("250 5.1.1 Ok"), a subject above
// 7, a number of more than three digits, a code followed by a tab or a dot,
// or a code that appears first on a later line.
//
// The zero value is an empty Reply that means "no reply": Code is 0, Text
// returns "" and Lines returns nil.
//
// A Reply is a small value that may be copied, but copies share the text's
// storage. A Reply filled by [Reader.ReadReply] is overwritten by the next
// call that reuses it; use [Reply.Clone] to keep it. Every other
// constructor ([New], [Parse], Clone) returns a Reply that owns its storage.
// A Reply may be read by several goroutines at once.
type Reply struct {
	Code     Code
	Enhanced EnhancedCode

	text  []byte // lines joined by '\n', code and enhanced code stripped
	lines int    // number of lines (>= 1 for a parsed reply)
}

// New returns a Reply with the given code, enhanced code and text lines,
// which owns its storage. A line that contains '\n' counts as several
// lines; New with no lines makes a reply with one empty line.
//
// New does not check its arguments: [Reply.AppendWire] writes what it is
// given, and a reply with an invalid code or an enhanced code whose class
// differs from the code's does not survive a round trip through [Parse].
func New(code Code, enh EnhancedCode, lines ...string) Reply {
	r := Reply{Code: code, Enhanced: enh, lines: 1}
	n := len(lines)
	for _, l := range lines {
		n += len(l)
	}
	r.text = make([]byte, 0, n)
	for i, l := range lines {
		if i > 0 {
			r.text = append(r.text, '\n')
			r.lines++
		}
		r.text = append(r.text, l...)
		r.lines += strings.Count(l, "\n")
	}
	return r
}

// Class returns the class of the reply's code.
func (r Reply) Class() Class { return r.Code.Class() }

// Text returns the reply's text: its lines joined by "\n", without codes.
// It is raw server text; see [Reply.String] for a form safe to print.
func (r Reply) Text() string { return string(r.text) }

// AppendText appends the reply's text, as returned by [Reply.Text], to dst
// and returns the extended slice. It does not allocate when dst has room.
func (r Reply) AppendText(dst []byte) []byte { return append(dst, r.text...) }

// Lines returns the reply's text lines, without codes, or nil for the zero
// Reply. A reply whose only line has no text has one empty line.
func (r Reply) Lines() []string {
	if r.lines == 0 {
		return nil
	}
	s := string(r.text)
	lines := make([]string, 0, r.lines)
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			return append(lines, s)
		}
		lines = append(lines, s[:i])
		s = s[i+1:]
	}
}

// Clone returns a copy of r that owns its storage.
func (r Reply) Clone() Reply {
	if r.text != nil {
		r.text = append(make([]byte, 0, len(r.text)), r.text...)
	}
	return r
}

// CloneAppend is Clone with the text copied to the end of buf, for a
// caller that keeps several replies in one allocation: it returns the
// clone, whose text is a sub-slice of the returned buffer capped at its
// own length (later appends to the buffer never change it), and buf
// extended by the text. buf grows as append makes it grow.
func (r Reply) CloneAppend(buf []byte) (Reply, []byte) {
	if r.text == nil {
		return r, buf
	}
	start := len(buf)
	buf = append(buf, r.text...)
	r.text = buf[start:len(buf):len(buf)]
	return r, buf
}

// Err returns nil if r is not a failure (class 2 or 3, or no valid code),
// and an [*Error] holding a clone of r, with an empty Command, if r is a
// transient (4xx) or permanent (5xx) failure.
func (r Reply) Err() error {
	switch r.Class() {
	case ClassTransient, ClassPermanent:
		return &Error{Reply: r.Clone()}
	}
	return nil
}

// String returns the reply on one line, safe to print or log: the code, the
// enhanced code if any and the text, separated by spaces, with the line
// breaks of a multi-line reply written as the two characters `\n`.
// Control bytes, backslashes, invalid UTF-8 and non-printable runes in the
// text are escaped the way Go escapes them in a quoted string (`\r`, `\x00`,
// `\\`, `\u202e`), so the result never contains a control byte or invalid
// UTF-8. For example:
//
//	530 5.7.0 Must issue a STARTTLS command first
//	250 mx.example.com\nPIPELINING\nSIZE 10240000
//
// String returns "" for the zero Reply.
func (r Reply) String() string {
	if r.Code == 0 && r.lines == 0 && r.Enhanced.IsZero() {
		return ""
	}
	b := make([]byte, 0, 16+len(r.text)+len(r.text)/8)
	return string(r.appendString(b))
}

func (r Reply) appendString(b []byte) []byte {
	b = r.Code.appendTo(b)
	if !r.Enhanced.IsZero() {
		b = append(b, ' ')
		b = r.Enhanced.appendTo(b)
	}
	if len(r.text) > 0 {
		b = append(b, ' ')
		b = appendEscaped(b, r.text)
	}
	return b
}

// appendEscaped appends text to dst with '\n' written as `\n` and every
// byte or rune that is not printable escaped Go-style.
func appendEscaped(dst, text []byte) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(text); {
		c := text[i]
		if c >= 0x20 && c < 0x7f && c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '\\':
				dst = append(dst, `\\`...)
			case '\n':
				dst = append(dst, `\n`...)
			case '\r':
				dst = append(dst, `\r`...)
			case '\t':
				dst = append(dst, `\t`...)
			default:
				dst = append(dst, '\\', 'x', hex[c>>4], hex[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, '\\', 'x', hex[c>>4], hex[c&0xf])
		case strconv.IsPrint(r):
			dst = append(dst, text[i:i+size]...)
		case r < 0x10000:
			dst = append(dst, `\u`...)
			dst = append(dst, hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		default:
			dst = append(dst, `\U`...)
			for s := 28; s >= 0; s -= 4 {
				dst = append(dst, hex[r>>uint(s)&0xf])
			}
		}
		i += size
	}
	return dst
}

// AppendWire appends r to dst in its wire form, one "code-text\r\n" line
// per text line and "code text\r\n" for the last, with the enhanced code,
// when there is one, repeated at the start of every line:
//
//	250-2.0.0 first line\r\n
//	250 2.0.0 last line\r\n
//
// A line with neither text nor enhanced code is written as the bare code
// ("250\r\n", or "250-\r\n" before the last line). The text is written as
// it is; AppendWire does not check it. The zero Reply has no wire form:
// AppendWire returns dst unchanged.
func (r Reply) AppendWire(dst []byte) []byte {
	if r.Code == 0 && r.lines == 0 && r.Enhanced.IsZero() {
		return dst
	}
	text := r.text
	for {
		line := text
		i := bytes.IndexByte(text, '\n')
		if i >= 0 {
			line, text = text[:i], text[i+1:]
		}
		dst = r.Code.appendTo(dst)
		if i >= 0 {
			dst = append(dst, '-')
		} else if len(line) > 0 || !r.Enhanced.IsZero() {
			dst = append(dst, ' ')
		}
		if !r.Enhanced.IsZero() {
			dst = r.Enhanced.appendTo(dst)
			if len(line) > 0 {
				dst = append(dst, ' ')
			}
		}
		dst = append(dst, line...)
		dst = append(dst, '\r', '\n')
		if i < 0 {
			return dst
		}
	}
}
