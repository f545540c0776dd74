package reply

import "strconv"

// Subject is the middle number of an RFC 3463 enhanced status code: the
// part of the mail system a status is about.
type Subject uint8

// The subjects of RFC 3463 section 3. The zero value, SubjectOther, is
// itself a valid subject.
const (
	SubjectOther      Subject = 0 // X.0.XXX other or undefined status
	SubjectAddressing Subject = 1 // X.1.XXX addressing status
	SubjectMailbox    Subject = 2 // X.2.XXX mailbox status
	SubjectMailSystem Subject = 3 // X.3.XXX mail system status
	SubjectNetwork    Subject = 4 // X.4.XXX network and routing status
	SubjectProtocol   Subject = 5 // X.5.XXX mail delivery protocol status
	SubjectContent    Subject = 6 // X.6.XXX message content or media status
	SubjectPolicy     Subject = 7 // X.7.XXX security or policy status
)

const (
	maxSubject         = SubjectPolicy
	maxDetail          = 999
	maxEnhancedCodeLen = len("5.123.123")
)

var subjectNames = [...]string{
	SubjectOther:      "other",
	SubjectAddressing: "addressing",
	SubjectMailbox:    "mailbox",
	SubjectMailSystem: "mail system",
	SubjectNetwork:    "network and routing",
	SubjectProtocol:   "mail delivery protocol",
	SubjectContent:    "message content or media",
	SubjectPolicy:     "security or policy",
}

// String returns the RFC 3463 name of s in lower case, such as "mailbox" or
// "security or policy", and "Subject(N)" for an undefined subject.
func (s Subject) String() string {
	if int(s) < len(subjectNames) {
		return subjectNames[s]
	}
	return "Subject(" + strconv.Itoa(int(s)) + ")"
}

// EnhancedCode is an RFC 3463 enhanced status code, class.subject.detail.
// The zero value means the server sent none.
type EnhancedCode struct {
	Class   Class   // 2, 4 or 5
	Subject Subject // 0..7
	Detail  uint16  // 0..999
}

// IsZero reports whether e is the zero value: no enhanced code.
func (e EnhancedCode) IsZero() bool {
	return e == EnhancedCode{}
}

// Valid reports whether e is an enhanced status code: class 2, 4 or 5,
// subject 0 to 7 and detail 0 to 999. The zero value is not valid.
func (e EnhancedCode) Valid() bool {
	return (e.Class == ClassSuccess || e.Class == ClassTransient || e.Class == ClassPermanent) &&
		e.Subject <= maxSubject && e.Detail <= maxDetail
}

// String returns e in its RFC 3463 form, such as "5.7.0", or "" when e is
// the zero value.
func (e EnhancedCode) String() string {
	if e.IsZero() {
		return ""
	}
	return string(e.appendTo(make([]byte, 0, maxEnhancedCodeLen)))
}

// appendTo appends e in class.subject.detail form to dst.
func (e EnhancedCode) appendTo(dst []byte) []byte {
	dst = strconv.AppendUint(dst, uint64(e.Class), 10)
	dst = append(dst, '.')
	dst = strconv.AppendUint(dst, uint64(e.Subject), 10)
	dst = append(dst, '.')
	return strconv.AppendUint(dst, uint64(e.Detail), 10)
}

// ParseEnhancedCode parses s as an RFC 3463 enhanced status code:
// a class digit (2, 4 or 5), a dot, a subject of one to three digits
// (0 to 7), a dot and a detail of one to three digits. Leading zeros are
// accepted as RFC 3463 allows them ("5.01.001" is 5.1.1); nothing may
// precede or follow the code.
//
// If s is not an enhanced status code, the error is a *[ProtocolError] of
// kind [ViolationBadEnhancedCode] and the EnhancedCode is zero.
func ParseEnhancedCode(s string) (EnhancedCode, error) {
	if len(s) <= maxEnhancedCodeLen {
		if e, n := parseEnhanced([]byte(s)); n > 0 && n == len(s) {
			return e, nil
		}
	}
	return EnhancedCode{}, &ProtocolError{Kind: ViolationBadEnhancedCode}
}

// parseEnhanced parses a valid enhanced status code at the start of b and
// returns it with the number of bytes it takes, or n == 0 if b does not
// start with one. It does not look at what follows the code.
func parseEnhanced(b []byte) (e EnhancedCode, n int) {
	if len(b) < len("2.0.0") || b[1] != '.' || (b[0] != '2' && b[0] != '4' && b[0] != '5') {
		return EnhancedCode{}, 0
	}
	// The common form, one digit each: "5.7.0".
	if s, d := b[2]-'0', b[4]-'0'; s <= byte(maxSubject) && b[3] == '.' && d <= 9 && (len(b) == 5 || b[5] < '0' || b[5] > '9') {
		return EnhancedCode{Class: Class(b[0] - '0'), Subject: Subject(s), Detail: uint16(d)}, 5
	}
	subject, i := parseNumber(b, 2)
	if i == 2 || i >= len(b) || b[i] != '.' || subject > int(maxSubject) {
		return EnhancedCode{}, 0
	}
	detail, j := parseNumber(b, i+1)
	if j == i+1 {
		return EnhancedCode{}, 0
	}
	return EnhancedCode{Class: Class(b[0] - '0'), Subject: Subject(subject), Detail: uint16(detail)}, j
}

// parseNumber parses up to three decimal digits of b starting at i and
// returns their value and the index after the last digit (i if none).
func parseNumber(b []byte, i int) (v, end int) {
	end = i
	for end < len(b) && end < i+3 && b[end] >= '0' && b[end] <= '9' {
		v = v*10 + int(b[end]-'0')
		end++
	}
	return v, end
}
