package dsn

import (
	"bytes"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// A delivery status part (RFC 3464 section 2.1) is a block of per-message
// fields, a blank line, and a block of per-recipient fields for each
// recipient, separated by blank lines. The parser below is lenient in the
// ways real MTAs need: a recipient block that follows another without a
// blank line starts where a second Final-Recipient (or Original-Recipient)
// appears, a missing per-message block is tolerated, and any line ending
// (CRLF, LF, CR) is accepted.

// statusParser accumulates a delivery status part into a Report.
type statusParser struct {
	rep   *Report
	opts  *Options
	line  int
	cur   *Recipient // the recipient block being read, or nil
	inMsg bool       // still in the per-message block
	full  bool       // MaxRecipients reached
}

// parseStatus reads one delivery status part into rep.
func parseStatus(rep *Report, body []byte, opts *Options) {
	p := &statusParser{rep: rep, opts: opts, inMsg: true}
	var name, value []byte
	have := false
	flush := func() {
		if have {
			p.field(string(name), string(value))
		}
		have = false
	}
	for len(body) > 0 {
		var line []byte
		line, body = nextLine(body)
		p.line++
		switch {
		case len(bytes.TrimSpace(line)) == 0:
			flush()
			p.blank()
		case line[0] == ' ' || line[0] == '\t':
			if !have {
				p.problem("", "continuation line without a field")
				continue
			}
			if len(value)+len(line) > opts.maxField() {
				p.problem(string(name), "field longer than MaxFieldBytes")
				have = false
				continue
			}
			value = append(append(value, ' '), bytes.TrimSpace(line)...)
		default:
			flush()
			i := bytes.IndexByte(line, ':')
			if i <= 0 || bytes.ContainsAny(line[:i], " \t") {
				p.problem("", "not a field: "+quote(line))
				continue
			}
			if len(line) > opts.maxField() {
				p.problem(string(line[:i]), "field longer than MaxFieldBytes")
				continue
			}
			name = append(name[:0], line[:i]...)
			value = append(value[:0], bytes.TrimSpace(line[i+1:])...)
			have = true
		}
	}
	flush()
	p.finish()
}

// nextLine returns the first line of b without its ending (CRLF, LF or a
// lone CR) and the rest.
func nextLine(b []byte) (line, rest []byte) {
	i := bytes.IndexAny(b, "\r\n")
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	if b[i] == '\r' && len(rest) > 0 && rest[0] == '\n' {
		rest = rest[1:]
	}
	return line, rest
}

func (p *statusParser) problem(field, reason string) {
	if len(p.rep.Problems) < maxProblems {
		p.rep.Problems = append(p.rep.Problems, &FieldError{Line: p.line, Field: field, Reason: reason})
	}
}

// maxProblems bounds Report.Problems.
const maxProblems = 100

// blank ends the current block.
func (p *statusParser) blank() {
	if p.cur != nil {
		p.finishRecipient()
	}
	if p.inMsg && len(p.rep.Fields) > 0 {
		p.inMsg = false
	}
}

func (p *statusParser) finish() {
	if p.cur != nil {
		p.finishRecipient()
	}
}

func (p *statusParser) finishRecipient() {
	if !p.full {
		p.rep.Recipients = append(p.rep.Recipients, *p.cur)
	}
	p.cur = nil
}

// perMessage are the per-message fields of RFC 3464 section 2.2 (and RFC
// 6533), lower case.
var perMessage = map[string]bool{"reporting-mta": true, "dsn-gateway": true, "received-from-mta": true,
	"arrival-date": true, "original-envelope-id": true}

// perRecipient are the fields that can only open a recipient block, lower
// case: in the first block of a part every other field, known or not
// (X-Postfix-Queue-ID, X-Postfix-Sender), is per-message.
var perRecipient = map[string]bool{"final-recipient": true, "original-recipient": true, "action": true,
	"status": true, "diagnostic-code": true, "remote-mta": true}

// field handles one unfolded field.
func (p *statusParser) field(name, value string) {
	key := strings.ToLower(name)
	if p.cur == nil && (perMessage[key] || p.inMsg && !perRecipient[key]) {
		p.messageField(key, name, value)
		return
	}
	if p.cur == nil || p.startsRecipient(key) {
		if p.cur != nil {
			p.finishRecipient()
		}
		if len(p.rep.Recipients) >= p.opts.maxRecipients() {
			if !p.full {
				p.rep.Problems = append(p.rep.Problems, &LimitError{Limit: "MaxRecipients", Max: int64(p.opts.maxRecipients())})
			}
			p.full = true
		}
		p.cur = &Recipient{}
		p.inMsg = false
	}
	r := p.cur
	if len(r.Fields) >= maxFields {
		p.problem(name, "more than "+strconv.Itoa(maxFields)+" fields for one recipient")
		return
	}
	r.Fields = append(r.Fields, Field{Name: name, Value: value})
	switch key {
	case "final-recipient":
		r.FinalRecipient = parseAddress(value)
	case "original-recipient":
		r.OriginalRecipient = parseAddress(value)
	case "action":
		if r.Action == ActionUnknown {
			r.Action = parseAction(value)
			if r.Action == ActionUnknown {
				p.problem(name, "unknown action "+strconv.Quote(value))
			}
		}
	case "status":
		if r.Status.IsZero() {
			e, err := reply.ParseEnhancedCode(firstWord(value))
			if err != nil {
				p.problem(name, "malformed status code "+strconv.Quote(value))
			} else {
				r.Status = e
			}
		}
	case "remote-mta":
		if r.RemoteMTA.IsZero() {
			r.RemoteMTA = parseMTA(value)
		}
	case "diagnostic-code":
		if r.Diagnostic.Text == "" {
			r.Diagnostic = parseDiagnostic(value)
		}
	case "last-attempt-date":
		r.LastAttemptDate = p.date(name, value)
	case "will-retry-until":
		r.WillRetryUntil = p.date(name, value)
	case "final-log-id":
		r.FinalLogID = value
	}
}

// maxFields bounds the fields of one block.
const maxFields = 100

// startsRecipient reports whether a field named key opens a new recipient
// block although no blank line came first: a second Final-Recipient, or
// an Original-Recipient when the current block has one already or has
// its Final-Recipient and Status (RFC 3464 writes Original-Recipient
// first; Postfix after Final-Recipient, Amazon SES after Action and
// Final-Recipient).
func (p *statusParser) startsRecipient(key string) bool {
	r := p.cur
	switch key {
	case "final-recipient":
		return !r.FinalRecipient.IsZero()
	case "original-recipient":
		return !r.OriginalRecipient.IsZero() || !r.FinalRecipient.IsZero() && !r.Status.IsZero()
	}
	return false
}

func (p *statusParser) messageField(key, name, value string) {
	rep := p.rep
	if len(rep.Fields) >= maxFields {
		p.problem(name, "more than "+strconv.Itoa(maxFields)+" per-message fields")
		return
	}
	rep.Fields = append(rep.Fields, Field{Name: name, Value: value})
	switch key {
	case "reporting-mta":
		rep.ReportingMTA = parseMTA(value)
	case "dsn-gateway":
		rep.DSNGateway = parseMTA(value)
	case "received-from-mta":
		rep.ReceivedFromMTA = parseMTA(value)
	case "arrival-date":
		rep.ArrivalDate = p.date(name, value)
	case "original-envelope-id":
		rep.OriginalEnvelopeID = decodeXtext(value)
	}
}

func (p *statusParser) date(name, value string) time.Time {
	t, err := mail.ParseDate(stripComment(value))
	if err != nil {
		p.problem(name, "malformed date "+strconv.Quote(value))
		return time.Time{}
	}
	return t
}

// stripComment removes a trailing RFC 5322 comment, "(...)".
func stripComment(v string) string {
	v = strings.TrimSpace(v)
	if strings.HasSuffix(v, ")") {
		if i := strings.LastIndexByte(v, '('); i > 0 {
			v = strings.TrimSpace(v[:i])
		}
	}
	return v
}

// parseAddress reads "type; address".
func parseAddress(v string) Address {
	typ, addr, ok := strings.Cut(v, ";")
	if !ok {
		typ, addr = "", v
	}
	typ = strings.TrimSpace(typ)
	addr = strings.TrimSpace(addr)
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">")
	if strings.EqualFold(typ, "utf-8") {
		addr = decodeUTF8Addr(addr)
	}
	return Address{Type: typ, Addr: addr}
}

// parseMTA reads "type; name (comment)".
func parseMTA(v string) MTA {
	typ, name, ok := strings.Cut(v, ";")
	if !ok {
		typ, name = "", v
	}
	return MTA{Type: strings.TrimSpace(typ), Name: firstWord(name)}
}

// decodeXtext decodes RFC 3461 xtext ("+2B" for '+'); an invalid escape
// is kept as it is.
func decodeXtext(s string) string {
	if !strings.Contains(s, "+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '+' && i+2 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// decodeUTF8Addr decodes the \x{HEX} escapes of RFC 6533's utf-8-addr;
// an invalid escape is kept as it is.
func decodeUTF8Addr(s string) string {
	if !strings.Contains(s, `\x{`) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, `\x{`)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		n, err := strconv.ParseUint(s[i+3:i+j], 16, 32)
		if err != nil || !utf8.ValidRune(rune(n)) {
			b.WriteString(s[:i+j+1])
		} else {
			b.WriteString(s[:i])
			b.WriteRune(rune(n))
		}
		s = s[i+j+1:]
	}
}

// quote returns b quoted for an error message, cut at 60 bytes.
func quote(b []byte) string {
	if len(b) > 60 {
		b = b[:60]
	}
	return strconv.Quote(string(b))
}
