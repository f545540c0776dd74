package reply

import (
	"bytes"
	"io"
)

// Parse parses b as exactly one reply, such as "250-first\r\n250 last\r\n",
// and returns a Reply that owns its storage. It follows the same rules and
// limits as [Reader.ReadReply] (a nil limits means the defaults); bytes
// after the reply's last line ending are a [*ProtocolError] of kind
// [ViolationTrailingData], and an empty b or a last line without a line
// ending is one of kind [ViolationUnexpectedEOF].
func Parse(b []byte, limits *Limits) (Reply, error) {
	l := limits.withDefaults()
	r := Reply{text: make([]byte, 0, min(len(b), l.MaxReplySize))}
	size := 0
	for n := 1; ; n++ {
		end := bytes.IndexByte(b, '\n') + 1
		switch {
		case end == 0 && len(b) > l.MaxLineLength, end > l.MaxLineLength:
			return Reply{}, &ProtocolError{Kind: ViolationLineTooLong, Line: n}
		case end == 0:
			return Reply{}, unexpectedEOF(n)
		}
		if size += end; size > l.MaxReplySize {
			return Reply{}, &ProtocolError{Kind: ViolationReplyTooLarge, Line: n}
		}
		more, err := addLine(&r, b[:end], n)
		if err != nil {
			return Reply{}, err
		}
		b = b[end:]
		if !more {
			if len(b) > 0 {
				return Reply{}, &ProtocolError{Kind: ViolationTrailingData, Line: n + 1}
			}
			return r, nil
		}
		if n >= l.MaxLines {
			return Reply{}, &ProtocolError{Kind: ViolationTooManyLines, Line: n + 1}
		}
	}
}

// unexpectedEOF returns the error for a stream that ends inside line n.
func unexpectedEOF(n int) error {
	return &ProtocolError{Kind: ViolationUnexpectedEOF, Line: n, Err: io.ErrUnexpectedEOF}
}

// addLine parses line, the n-th line of a reply including its line ending,
// into dst, and reports whether more lines follow (the code is followed by
// '-'). The line ending is "\n" or "\r\n"; any other CR is text.
//
// The first line sets dst.Code and, when its text starts with an enhanced
// status code of the same class followed by a space or the end of the
// line, dst.Enhanced. Later lines must have the same code, and lose the
// same enhanced code when they repeat it.
func addLine(dst *Reply, line []byte, n int) (more bool, err error) {
	end := len(line) - 1 // the '\n'
	if end > 0 && line[end-1] == '\r' {
		end--
	}
	if end < 3 {
		return false, &ProtocolError{Kind: ViolationBadCode, Line: n}
	}
	// Unsigned arithmetic: a byte below '2' or '0' wraps to a large value.
	d0, d1, d2 := line[0]-'2', line[1]-'0', line[2]-'0'
	if d0 > 3 || d1 > 5 || d2 > 9 {
		return false, &ProtocolError{Kind: ViolationBadCode, Line: n}
	}
	code := Code(d0+2)*100 + Code(d1)*10 + Code(d2)
	var text []byte
	if end > 3 {
		switch line[3] {
		case ' ':
		case '-':
			more = true
		default:
			return false, &ProtocolError{Kind: ViolationBadSeparator, Line: n}
		}
		text = line[4:end]
	}
	if n == 1 {
		dst.Code = code
		if len(text) >= 5 && text[0] == line[0] && text[1] == '.' && d0 != 1 {
			// The common form, one digit each ("5.7.0"), inline.
			if s, d := text[2]-'0', text[4]-'0'; text[3] == '.' && s <= byte(maxSubject) && d <= 9 && (len(text) == 5 || text[5] == ' ') {
				dst.Enhanced = EnhancedCode{Class: Class(d0 + 2), Subject: Subject(s), Detail: uint16(d)}
				text = text[min(6, len(text)):]
			} else {
				text = stripEnhanced(text, &dst.Enhanced, false)
			}
		}
	} else {
		if code != dst.Code {
			return false, &ProtocolError{Kind: ViolationCodeMismatch, Line: n}
		}
		if dst.Enhanced.Class != 0 && len(text) >= 5 && text[0] == line[0] {
			text = stripEnhanced(text, &dst.Enhanced, true)
		}
		dst.text = append(dst.text, '\n')
	}
	if m := len(dst.text); len(text) <= 16 && cap(dst.text)-m >= len(text) {
		// Short text into room already there: cheaper than a memmove call.
		dst.text = dst.text[:m+len(text)]
		for i, c := range text {
			dst.text[m+i] = c
		}
	} else {
		dst.text = append(dst.text, text...)
	}
	dst.lines = n
	return more, nil
}

// stripEnhanced removes an enhanced status code, and the space after it,
// from the start of text if one is there, followed by a space or the end of
// text. If repeat is false, it stores the code in *e; if repeat is true,
// it removes the code only when it equals *e.
func stripEnhanced(text []byte, e *EnhancedCode, repeat bool) []byte {
	got, k := parseEnhanced(text)
	switch {
	case k == 0, repeat && got != *e:
		return text
	case k == len(text):
		text = text[k:]
	case text[k] == ' ':
		text = text[k+1:]
	default:
		return text
	}
	*e = got
	return text
}
