package client

import (
	"strconv"
	"strings"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// Extensions is the set of service extensions a server advertised in its
// EHLO reply (RFC 5321 section 4.1.1.1), in the server's order. Keywords
// are compared without regard to case. The zero value is an empty set (the
// server said HELO, or nothing yet). An Extensions value is immutable and
// safe to share.
type Extensions struct {
	list   []extension
	limits ServerLimits // LIMITS, parsed once (zero when not advertised)
}

type extension struct {
	name  string // upper case
	param string // "" when none
}

// parseExtensions reads the lines after the first of an EHLO reply. Lines
// that do not start with a valid keyword (such as smtp-sink's empty last
// line) are skipped. "AUTH=LOGIN PLAIN", an old form, counts as AUTH.
func parseExtensions(r *reply.Reply) Extensions {
	lines := r.Lines()
	if len(lines) <= 1 {
		return Extensions{}
	}
	list := make([]extension, 0, len(lines)-1)
	for _, l := range lines[1:] {
		kw, param, _ := strings.Cut(strings.TrimSpace(l), " ")
		if strings.HasPrefix(strings.ToUpper(kw), "AUTH=") {
			param = kw[len("AUTH="):] + " " + param
			kw = "AUTH"
		}
		if !validKeyword(kw) {
			continue
		}
		kw = strings.ToUpper(kw)
		param = strings.TrimSpace(param)
		if i := indexExt(list, kw); i >= 0 {
			if kw == "AUTH" && param != "" {
				list[i].param = strings.TrimSpace(list[i].param + " " + param)
			}
			continue
		}
		list = append(list, extension{kw, param})
	}
	e := Extensions{list: list}
	if p, ok := e.Param("LIMITS"); ok {
		e.limits = parseLimits(p)
	}
	return e
}

// validKeyword reports whether s is an RFC 5321 ehlo-keyword:
// (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
func validKeyword(s string) bool {
	if s == "" || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-') {
			return false
		}
	}
	return true
}

func indexExt(list []extension, name string) int {
	for i := range list {
		if strings.EqualFold(list[i].name, name) {
			return i
		}
	}
	return -1
}

// Has reports whether the keyword name was advertised.
func (e Extensions) Has(name string) bool { return indexExt(e.list, name) >= 0 }

// Param returns the parameters of the keyword name and whether it was
// advertised.
func (e Extensions) Param(name string) (string, bool) {
	if i := indexExt(e.list, name); i >= 0 {
		return e.list[i].param, true
	}
	return "", false
}

// Names returns the advertised keywords in upper case, in the server's
// order.
func (e Extensions) Names() []string {
	names := make([]string, len(e.list))
	for i, x := range e.list {
		names[i] = x.name
	}
	return names
}

// Size returns the maximum message size the server accepts (RFC 1870) and
// whether SIZE was advertised. A limit of 0 means SIZE was advertised
// without a fixed limit (or with one that is not a valid number).
func (e Extensions) Size() (limit int64, ok bool) {
	p, ok := e.Param("SIZE")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(p, 10, 64)
	if err != nil || n < 0 {
		return 0, true
	}
	return n, true
}

// AuthMechanisms returns the SASL mechanisms of the AUTH extension
// (RFC 4954) in upper case, or nil when AUTH was not advertised.
func (e Extensions) AuthMechanisms() []string {
	p, ok := e.Param("AUTH")
	if !ok {
		return nil
	}
	f := strings.Fields(strings.ToUpper(p))
	out := f[:0]
	for _, m := range f {
		dup := false
		for _, o := range out {
			dup = dup || o == m
		}
		if !dup {
			out = append(out, m)
		}
	}
	return out
}

// Pipelining reports PIPELINING (RFC 2920).
func (e Extensions) Pipelining() bool { return e.Has("PIPELINING") }

// Chunking reports CHUNKING, the BDAT command (RFC 3030).
func (e Extensions) Chunking() bool { return e.Has("CHUNKING") }

// BinaryMIME reports BINARYMIME (RFC 3030), which needs CHUNKING too.
func (e Extensions) BinaryMIME() bool { return e.Has("BINARYMIME") }

// EightBitMIME reports 8BITMIME (RFC 6152).
func (e Extensions) EightBitMIME() bool { return e.Has("8BITMIME") }

// SMTPUTF8 reports SMTPUTF8, internationalized addresses (RFC 6531).
func (e Extensions) SMTPUTF8() bool { return e.Has("SMTPUTF8") }

// DSN reports delivery status notifications (RFC 3461).
func (e Extensions) DSN() bool { return e.Has("DSN") }

// EnhancedStatusCodes reports ENHANCEDSTATUSCODES (RFC 2034).
func (e Extensions) EnhancedStatusCodes() bool { return e.Has("ENHANCEDSTATUSCODES") }

// RequireTLS reports REQUIRETLS (RFC 8689).
func (e Extensions) RequireTLS() bool { return e.Has("REQUIRETLS") }

// StartTLS reports STARTTLS (RFC 3207).
func (e Extensions) StartTLS() bool { return e.Has("STARTTLS") }

// ServerLimits holds the limits of the LIMITS extension (RFC 9422). A zero
// field means the server did not announce that limit.
type ServerLimits struct {
	MailMax       int // MAILMAX: transactions per session
	RcptMax       int // RCPTMAX: recipients per transaction
	RcptDomainMax int // RCPTDOMAINMAX: distinct recipient domains per transaction
}

// Limits returns the limits of the LIMITS extension and whether it was
// advertised. Unknown limit names and malformed values are ignored, as
// RFC 9422 section 3 asks.
func (e Extensions) Limits() (ServerLimits, bool) {
	return e.limits, e.Has("LIMITS")
}

func parseLimits(p string) ServerLimits {
	var l ServerLimits
	for _, f := range strings.Fields(p) {
		name, val, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(val)
		if err != nil || n <= 0 || len(val) > 6 {
			continue
		}
		switch strings.ToUpper(name) {
		case "MAILMAX":
			l.MailMax = n
		case "RCPTMAX":
			l.RcptMax = n
		case "RCPTDOMAINMAX":
			l.RcptDomainMax = n
		}
	}
	return l
}
