package client

import (
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Limits of RFC 5321 section 4.5.3.1.
const (
	maxLocalPart = 64
	maxDomain    = 255
	maxPath      = 256
)

// checkMailbox validates addr, an RFC 5321 Mailbox (local-part@domain) or,
// with utf8, an RFC 6531 one, and returns the form to send between angle
// brackets. Without utf8 a non-ASCII domain is converted to A-labels with
// IDNA and a non-ASCII local part is an error. Valid ASCII input is returned
// as is, without allocating. field names the input in errors.
func checkMailbox(field, addr string, utf8ok bool) (string, error) {
	bad := func(reason string) (string, error) {
		return "", &InputError{Field: field, Value: addr, Reason: reason}
	}
	if addr == "" {
		return bad("empty address")
	}
	if len(addr) > maxPath {
		return bad("longer than 256 octets")
	}
	ascii := true
	for i := 0; i < len(addr); i++ {
		switch b := addr[i]; {
		case b < 0x20 || b == 0x7f:
			return bad("contains a control character")
		case b == '<' || b == '>':
			return bad("contains '<' or '>'")
		case b >= 0x80:
			ascii = false
		}
	}
	if !ascii && !utf8.ValidString(addr) {
		return bad("not valid UTF-8")
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return bad("missing '@'")
	}
	local, domain := addr[:at], addr[at+1:]
	if reason := checkLocalPart(local, utf8ok); reason != "" {
		return bad(reason)
	}
	d, reason := checkDomain(domain, utf8ok)
	if reason != "" {
		return bad(reason)
	}
	if d == domain {
		return addr, nil
	}
	return local + "@" + d, nil
}

// checkLocalPart returns why local is not an RFC 5321 Local-part (RFC 6531
// with utf8ok), or "".
func checkLocalPart(local string, utf8ok bool) string {
	switch {
	case local == "":
		return "empty local part"
	case len(local) > maxLocalPart:
		return "local part longer than 64 octets"
	}
	if local[0] == '"' {
		if len(local) < 2 || local[len(local)-1] != '"' {
			return "unterminated quoted local part"
		}
		q := local[1 : len(local)-1]
		for i := 0; i < len(q); i++ {
			switch b := q[i]; {
			case b == '\\':
				i++
				if i == len(q) || q[i] < 32 || q[i] > 126 {
					return "bad quoted pair in local part"
				}
			case b == '"':
				return "unescaped '\"' in quoted local part"
			case b >= 0x80:
				if !utf8ok {
					return "non-ASCII local part needs SMTPUTF8"
				}
			case b < 32 || b > 126:
				return "contains a control character"
			}
		}
		return ""
	}
	prevDot := true // no leading dot
	for i := 0; i < len(local); i++ {
		b := local[i]
		switch {
		case b == '.':
			if prevDot {
				return "empty atom in local part (leading or double dot)"
			}
			prevDot = true
			continue
		case b >= 0x80:
			if !utf8ok {
				return "non-ASCII local part needs SMTPUTF8"
			}
		case b == ' ':
			return "unquoted space in local part"
		case !isAtext(b):
			return "character " + quoteByte(b) + " not allowed in unquoted local part"
		}
		prevDot = false
	}
	if prevDot {
		return "local part ends with a dot"
	}
	return ""
}

func quoteByte(b byte) string { return "'" + string(rune(b)) + "'" }

// isAtext reports an ASCII atext character (RFC 5322 section 3.2.3).
func isAtext(b byte) bool {
	switch {
	case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", b) >= 0
}

// checkDomain validates an RFC 5321 Domain or address literal and returns
// the form to send: A-labels unless utf8ok. The second result is the
// reason when it is invalid.
func checkDomain(domain string, utf8ok bool) (string, string) {
	if domain == "" {
		return "", "empty domain"
	}
	if domain[0] == '[' {
		if !validAddressLiteral(domain) {
			return "", "bad address literal"
		}
		return domain, ""
	}
	if isASCII(domain) {
		if !validLDHDomain(domain) {
			return "", "bad domain name"
		}
		return domain, ""
	}
	a, err := idna.Lookup.ToASCII(domain)
	if err != nil || !validLDHDomain(a) {
		return "", "bad internationalized domain name"
	}
	if utf8ok {
		return domain, ""
	}
	return a, ""
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// validLDHDomain reports whether d is a sequence of dot-separated labels of
// letters, digits and inner hyphens (RFC 5321 Domain), at most 255 octets.
func validLDHDomain(d string) bool {
	if len(d) > maxDomain {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			b := label[i]
			if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-') {
				return false
			}
		}
	}
	return true
}

// validAddressLiteral reports "[192.0.2.1]" or "[IPv6:2001:db8::1]".
func validAddressLiteral(s string) bool {
	if len(s) < 3 || s[0] != '[' || s[len(s)-1] != ']' {
		return false
	}
	in := s[1 : len(s)-1]
	if len(in) > 5 && strings.EqualFold(in[:5], "IPv6:") {
		a, err := netip.ParseAddr(in[5:])
		return err == nil && a.Is6() && a.Zone() == ""
	}
	a, err := netip.ParseAddr(in)
	return err == nil && a.Is4()
}

// checkHelloName validates the argument of EHLO/HELO and returns its ASCII
// form.
func checkHelloName(name string) (string, error) {
	for i := 0; i < len(name); i++ {
		if b := name[i]; b <= 0x20 || b == 0x7f {
			return "", &InputError{Field: "local name", Value: name, Reason: "contains a space or control character"}
		}
	}
	d, reason := checkDomain(name, false)
	if reason != "" {
		return "", &InputError{Field: "local name", Value: name, Reason: reason}
	}
	return d, nil
}

// checkText validates free text sent as a command argument (VRFY): no
// control characters, ASCII only.
func checkText(field, s string) error {
	if s == "" {
		return &InputError{Field: field, Value: s, Reason: "empty"}
	}
	if len(s) > 500 {
		return &InputError{Field: field, Value: s, Reason: "too long"}
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b >= 0x7f {
			return &InputError{Field: field, Value: s, Reason: "contains a control or non-ASCII character"}
		}
	}
	return nil
}

// appendXtext appends the RFC 3461 section 4 xtext encoding of s: "!"
// through "~" except "+" and "=" as they are, every other octet as "+XX".
func appendXtext(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= '!' && b <= '~' && b != '+' && b != '=' {
			dst = append(dst, b)
			continue
		}
		dst = append(dst, '+', hex[b>>4], hex[b&0xf])
	}
	return dst
}

// appendUTF8AddrXtext appends the RFC 6533 section 3 utf-8-addr-xtext
// encoding of s: QCHAR as is, every other character as "\x{HEX}".
func appendUTF8AddrXtext(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for _, r := range s {
		if r >= '!' && r <= '~' && r != '+' && r != '=' && r != '\\' {
			dst = append(dst, byte(r))
			continue
		}
		dst = append(dst, `\x{`...)
		var buf [8]byte
		n := len(buf)
		for v := uint32(r); ; v >>= 4 {
			n--
			buf[n] = hex[v&0xf]
			if v < 16 {
				break
			}
		}
		dst = append(dst, buf[n:]...)
		dst = append(dst, '}')
	}
	return dst
}
