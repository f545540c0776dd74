package dsn

import (
	"bytes"
	"net/mail"
	"strings"

	"github.com/emersion/go-message"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// The best-effort readers: qmail's QSBMF (cr.yp.to/proto/qsbmf.txt) and
// the plain-text bounce that names each failed address and quotes the
// remote server's reply (Exim's and sendmail's older formats, Microsoft's
// and many appliances' "could not be delivered" notices). They find
// addresses and SMTP replies line by line; the status comes from the
// reply's enhanced code, a qmail "(#5.1.1)" code, or the reply's class.

// copySeparators are the lines that start the copy of the returned
// message in a plain-text bounce, lower case.
var copySeparators = []string{
	"--- below this line is a copy of the message.", // qmail
	"------ this is a copy of the message",          // Exim
	"----- original message -----",
	"--- original message follows",
	"----- transcript of session follows -----", // sendmail: not a copy, but the end of the notice text
	"original message headers:",                 // Microsoft
	"message headers follow.",                   // DragonFly Mail Agent
}

// bounceSubjects and bounceSenders identify a plain-text bounce.
var (
	bounceSubjects = []string{"undeliver", "undelivered", "delivery status notification", "delivery failure",
		"delivery failed", "failure notice", "returned mail", "mail delivery failed", "could not be delivered",
		"delivery has failed", "non remis", "non-remis", "unzustellbar", "no se puede entregar", "delivery problem",
		"mail system error", "warning: could not send message"}
	bounceSenders = []string{"mailer-daemon", "postmaster", "mail delivery subsystem", "mail delivery system"}
	bounceBody    = []string{"could not be delivered", "couldn't be delivered", "was not delivered", "undeliverable",
		"delivery failed", "delivery has failed", "permanent error", "permanent fatal errors", "following address",
		"following recipient", "wasn't able to deliver", "unable to deliver", "failed permanently",
		"the following addresses had", "delivery to the following"}
)

// looksLikeBounce reports whether a message without a delivery status part
// reads as a bounce: from a mailer daemon, or with a bounce subject, or a
// text that says a message could not be delivered.
func looksLikeBounce(h message.Header, text []byte) bool {
	from := strings.ToLower(h.Get("From"))
	subj := strings.ToLower(h.Get("Subject"))
	for _, s := range bounceSenders {
		if strings.Contains(from, s) {
			return true
		}
	}
	for _, s := range bounceSubjects {
		if strings.Contains(subj, s) {
			return true
		}
	}
	t := bytes.ToLower(text)
	for _, s := range bounceBody {
		if bytes.Contains(t, []byte(s)) {
			return true
		}
	}
	return false
}

// parseQmail reads a QSBMF bounce: "Hi. This is the qmail-send program
// at ...", then paragraphs that each start with "<address>:" and hold the
// remote server's words ("Remote host said: 550 ..."), up to "--- Below
// this line is a copy of the message.".
func parseQmail(text []byte, opts *Options) (*Report, bool) {
	t := strings.TrimLeft(string(text), "\r\n \t")
	if !strings.HasPrefix(t, "Hi. This is the qmail-send program") {
		return nil, false
	}
	rep := &Report{Format: FormatQmail}
	if f := strings.Fields(strings.TrimPrefix(t, "Hi. This is the qmail-send program at ")); len(f) > 0 {
		if host := strings.TrimSuffix(f[0], "."); host != "" && !strings.ContainsAny(host, "<>()") {
			rep.ReportingMTA = MTA{Type: "dns", Name: host}
		}
	}
	body := cutCopy(t)
	delayed := strings.Contains(body, "I'm still trying") || strings.Contains(body, "not been able to deliver")
	for _, para := range paragraphs(body) {
		first, rest, _ := strings.Cut(para, "\n")
		first = strings.TrimSpace(first)
		if !strings.HasPrefix(first, "<") || !strings.HasSuffix(first, ">:") {
			continue
		}
		addr := strings.TrimSuffix(strings.TrimPrefix(first, "<"), ">:")
		if len(rep.Recipients) >= opts.maxRecipients() {
			rep.Problems = append(rep.Problems, &LimitError{Limit: "MaxRecipients", Max: int64(opts.maxRecipients())})
			break
		}
		r := Recipient{FinalRecipient: Address{Type: "rfc822", Addr: addr}, Action: ActionFailed}
		if delayed {
			r.Action = ActionDelayed
		}
		r.Diagnostic = Diagnostic{Text: strings.Join(strings.Fields(rest), " ")}
		for _, l := range strings.Split(rest, "\n") {
			l = strings.TrimSpace(l)
			if _, said, ok := strings.Cut(l, "said: "); ok {
				if rr, ok := parseReplyText(said); ok {
					r.Diagnostic = Diagnostic{Type: "smtp", Text: said, Reply: rr}
					break
				}
			}
		}
		r.Status = statusOf(&r)
		rep.Recipients = append(rep.Recipients, r)
	}
	return rep, len(rep.Recipients) > 0
}

// parseText reads a plain-text bounce. It walks the notice line by line:
// an address that opens a line ("<user@example.com>:", "user@example.com"
// alone, "user@example.com: 550 ...") starts a recipient; the first SMTP
// reply quoted after it ("host mx.example.com[192.0.2.1] said: 550 ...",
// "<<< 550 ...", "Remote Server returned '550 ...'", "was: 550 ...",
// a reply alone on its line) is that recipient's diagnostic, its indented
// continuation lines joined; a recipient with no reply keeps the words
// that follow its address. The addresses of an X-Failed-Recipients header
// (Exim, Gmail) are failed recipients even when the text names them in a
// form the walk does not see. Addresses of the bounce's own recipient (the
// original sender) are never taken for failed recipients.
func parseText(text []byte, h message.Header, opts *Options) (*Report, bool) {
	body := cutCopy(string(text))
	lines := strings.Split(strings.ReplaceAll(body, "\r", ""), "\n")
	sender := map[string]bool{}
	for _, a := range headerAddrs(h.Get("To")) {
		sender[strings.ToLower(a)] = true
	}
	var rcpts []*textRcpt
	byAddr := map[string]*textRcpt{}
	var cur *textRcpt
	add := func(addr string) *textRcpt {
		k := strings.ToLower(addr)
		if r := byAddr[k]; r != nil {
			return r
		}
		if sender[k] {
			return nil
		}
		if len(rcpts) >= opts.maxRecipients() {
			return nil
		}
		r := &textRcpt{addr: addr}
		byAddr[k] = r
		rcpts = append(rcpts, r)
		return r
	}
	failed := headerAddrs(h.Get("X-Failed-Recipients"))
	for _, a := range failed {
		// Named by the MTA itself: taken even when it is also the
		// sender's address.
		delete(sender, strings.ToLower(a))
		add(a)
	}
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		if a, rest := leadAddr(l); a != "" {
			if r := add(a); r != nil {
				cur = r
				if rest != "" && replyStart(rest) == "" && cur.note == "" {
					cur.note = rest
				}
			}
		}
		if cur == nil {
			continue
		}
		if c := commandIn(l); c != "" && cur.reply.Code == 0 {
			cur.cmd = c
		}
		said := replyStart(l)
		if said == "" && cur.reply.Code == 0 && cur.status.IsZero() && isEnhancedStart(l) {
			// A status code without a reply code (GMX: "5.2.2
			// <user@example.com>... Mailbox Full").
			code, text, _ := strings.Cut(l, " ")
			if e, err := reply.ParseEnhancedCode(code); err == nil && e.Class != 2 {
				cur.status, cur.note = e, strings.TrimSpace(text)
				continue
			}
		}
		if said == "" {
			if cur.reply.Code == 0 && cur.note != "" && len(cur.note) < 500 && isIndented(lines[i]) {
				cur.note += " " + l
			} else if cur.reply.Code == 0 && cur.note == "" && !isNoise(l) {
				cur.note = l
			}
			continue
		}
		if cur.reply.Code != 0 {
			continue
		}
		// The reply's continuation: "550-5.1.1 ..." lines, or the
		// indented lines an MTA folded a long reply into.
		for i+1 < len(lines) {
			next := lines[i+1]
			nt := strings.TrimSpace(next)
			if nt == "" {
				break
			}
			if n := replyStart(nt); n != "" {
				if len(said) < 4 || said[3] != '-' || n[:3] != said[:3] {
					break
				}
				said += " " + n
			} else if isIndented(next) && !strings.HasSuffix(strings.ToLower(said), "command)") {
				if a, _ := leadAddr(nt); a != "" && !strings.EqualFold(a, cur.addr) {
					break
				}
				said += " " + nt
			} else {
				break
			}
			i++
			if len(said) > maxTextReply {
				break
			}
		}
		rr, ok := parseReplyText(said)
		if !ok || (rr.Code.Class() != reply.ClassTransient && rr.Code.Class() != reply.ClassPermanent) {
			continue
		}
		cur.reply, cur.said = rr, said
		if c := commandIn(said); c != "" {
			cur.cmd = c
		}
	}
	rep := &Report{Format: FormatText}
	for _, t := range rcpts {
		r := Recipient{FinalRecipient: Address{Type: "rfc822", Addr: t.addr}, Action: ActionFailed}
		if t.reply.Code != 0 {
			r.Diagnostic = Diagnostic{Type: "smtp", Text: t.said, Reply: t.reply, Command: t.cmd}
			if t.reply.Code.Class() == reply.ClassTransient {
				r.Action = ActionDelayed
			}
		} else {
			r.Diagnostic = Diagnostic{Text: t.note, Command: t.cmd}
			if t.status.Class == 4 || t.status.IsZero() && isDelayNotice(body) {
				r.Action = ActionDelayed
			}
		}
		r.Status = t.status
		if r.Status.IsZero() {
			r.Status = statusOf(&r)
		}
		rep.Recipients = append(rep.Recipients, r)
	}
	if len(rcpts) >= opts.maxRecipients() {
		rep.Problems = append(rep.Problems, &LimitError{Limit: "MaxRecipients", Max: int64(opts.maxRecipients())})
	}
	return rep, len(rep.Recipients) > 0
}

// maxTextReply caps a reply joined from the lines of a plain-text bounce.
const maxTextReply = 4 << 10

// textRcpt is a recipient of a plain-text bounce being read.
type textRcpt struct {
	addr string
	note string // the words after the address, when no reply is quoted
	// status is an enhanced code quoted without a reply code.
	status reply.EnhancedCode
	said   string
	reply  reply.Reply
	cmd    string
}

// isIndented reports whether a raw line starts with white space.
func isIndented(l string) bool { return l != "" && (l[0] == ' ' || l[0] == '\t') }

// isNoise reports whether a line says nothing about a recipient: a rule,
// a header-like line of the notice.
func isNoise(l string) bool {
	return strings.Trim(l, "-=*_ ") == "" || strings.HasPrefix(l, "---") && strings.HasSuffix(l, "---") ||
		strings.HasPrefix(strings.ToLower(l), "technical details")
}

// isDelayNotice reports whether a notice says delivery is only delayed.
func isDelayNotice(body string) bool {
	t := strings.ToLower(body)
	for _, s := range []string{"has been delayed", "delivery delayed", "will be retried", "still trying",
		"warning message only", "not yet been delivered", "will keep trying"} {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

// replyStart returns the SMTP reply a line quotes, from its code on, or
// "": a reply that opens the line ("550 5.1.1 ...", "550-...", a code
// alone, Yahoo's "550: ..."), or one that follows a colon, a quote, an
// opening parenthesis or "<<<" ("said: 550 ...", "returned '550 ...'").
// The code must be of class 4 or 5, and what follows it must not be a
// number (a reply code names no quantity).
func replyStart(l string) string {
	for i := 0; i+3 <= len(l); i++ {
		if !isCode(l[i:i+3]) || (l[i] != '4' && l[i] != '5') {
			continue
		}
		if i > 0 {
			j := i - 1
			for j >= 0 && l[j] == ' ' {
				j--
			}
			if j < 0 || !(strings.ContainsRune(":'\"(", rune(l[j])) || j >= 2 && l[j-2:j+1] == "<<<") {
				if j >= 0 {
					continue
				}
			}
		}
		rest := l[i+3:]
		switch {
		case rest == "":
			return l[i:]
		case rest[0] == ':' && i == 0:
			// Yahoo: "550: : User unknown".
			return l[i:i+3] + " " + strings.TrimLeft(rest, ": ")
		case rest[0] != ' ' && rest[0] != '-':
			continue
		}
		after := strings.TrimLeft(rest[1:], " ")
		if after != "" && after[0] >= '0' && after[0] <= '9' && !isEnhancedStart(after) && !strings.HasPrefix(after, l[i:i+3]+" ") {
			continue
		}
		return strings.TrimRight(l[i:], "'\"")
	}
	return ""
}

// isEnhancedStart reports whether s starts with an enhanced status code,
// "5.1.1".
func isEnhancedStart(s string) bool {
	return len(s) >= 5 && (s[0] == '2' || s[0] == '4' || s[0] == '5') && s[1] == '.' && s[2] >= '0' && s[2] <= '9'
}

// leadAddr returns the address that opens a line and the rest of the line
// after it: "<user@example.com>: text", "user@example.com: text",
// "\"user@example.com\":", "user@example.com (user@example.com)<mailto:...>",
// "user@example.com on <date>". It also reads "Unknown user: addr" and the
// addresses a notice names after "delivered to" or "delivery to".
func leadAddr(l string) (addr, rest string) {
	lower := lowerASCIIString(l)
	for _, intro := range []string{"unknown user: ", "wasn't delivered to ", "delivery to ", "not delivered to "} {
		if j := strings.Index(lower, intro); j >= 0 {
			j += len(intro)
			if a, r := leadAddr(l[j:]); a != "" {
				return a, r
			}
			w := strings.Fields(l[j:])
			if len(w) > 0 {
				if a := strings.Trim(w[0], "<>\"',:;."); isAddr(a) {
					return a, ""
				}
			}
		}
	}
	// A sentence that says delivery to a bracketed address failed:
	// "There was an error delivering your mail to <user@example.com>."
	if i := strings.IndexByte(l, '<'); i > 0 && containsAny(lower[:i], failureWords) {
		if j := strings.IndexByte(l[i:], '>'); j > 0 && isAddr(l[i+1:i+j]) && !strings.HasSuffix(lower[:i], "from:") {
			return l[i+1 : i+j], strings.TrimLeft(l[i+j+1:], ":. ")
		}
	}
	word, rest, _ := strings.Cut(l, " ")
	if strings.HasPrefix(word, "<") {
		if j := strings.IndexByte(l, '>'); j > 0 {
			word, rest = l[:j+1], l[j+1:]
		}
	}
	a := strings.TrimSuffix(strings.Trim(strings.TrimSuffix(word, ":"), "<>\"'"), ":")
	if !isAddr(a) {
		return "", ""
	}
	rest = strings.TrimLeft(rest, ": ")
	return a, rest
}

// failureWords are the words of a sentence that says delivery failed.
var failureWords = []string{"error", "fail", "could not", "couldn't", "unable", "not deliver", "undeliver", "rejected", "did not reach"}

// containsAny reports whether s contains one of words.
func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// headerAddrs returns the addresses of a header value: a comma-separated
// list, with or without display names.
func headerAddrs(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	if list, err := mail.ParseAddressList(v); err == nil {
		out := make([]string, 0, len(list))
		for _, a := range list {
			out = append(out, a.Address)
		}
		return out
	}
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if a := strings.Trim(f, "<>\"'"); isAddr(a) {
			out = append(out, a)
		}
	}
	return out
}

// isAddr reports whether a looks like local@domain.
func isAddr(a string) bool {
	at := strings.LastIndexByte(a, '@')
	return at > 0 && at < len(a)-3 && strings.Contains(a[at:], ".") && !strings.ContainsAny(a, " \t<>()[],;:\"'")
}

// cutCopy returns the text before the copy of the returned message.
func cutCopy(t string) string {
	lt := lowerASCIIString(t)
	end := len(t)
	for _, sep := range copySeparators {
		if i := strings.Index(lt, sep); i >= 0 && i < end && !strings.HasPrefix(sep, "----- transcript") {
			end = i
		}
	}
	return t[:end]
}

// paragraphs splits text at blank lines.
func paragraphs(t string) []string {
	t = strings.ReplaceAll(t, "\r", "")
	var out []string
	for _, p := range strings.Split(t, "\n\n") {
		if p = strings.Trim(p, "\n"); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// statusOf infers the status of a best-effort recipient: the reply's
// enhanced code, else a qmail "(#x.y.z)" code in its text, else the class
// of the reply code with ".0.0" (RFC 3463's undefined detail).
func statusOf(r *Recipient) reply.EnhancedCode {
	rr := &r.Diagnostic.Reply
	if !rr.Enhanced.IsZero() {
		return rr.Enhanced
	}
	if e, ok := reply.QmailStatus(r.Diagnostic.Text); ok {
		return e
	}
	switch rr.Code.Class() {
	case reply.ClassTransient:
		return reply.EnhancedCode{Class: 4}
	case reply.ClassPermanent:
		return reply.EnhancedCode{Class: 5}
	}
	if r.Action == ActionDelayed {
		return reply.EnhancedCode{Class: 4}
	}
	return reply.EnhancedCode{Class: 5}
}

// fillFromText completes a standard report from its human-readable part:
// the command a recipient's reply answered, which Postfix writes there
// ("(in reply to RCPT TO command)") and not in the delivery status.
func fillFromText(rep *Report, text []byte) {
	if len(text) == 0 {
		return
	}
	t := string(text)
	lt := lowerASCIIString(t)
	for i := range rep.Recipients {
		r := &rep.Recipients[i]
		if r.Diagnostic.Command != "" || r.Diagnostic.Reply.Code == 0 {
			continue
		}
		addr := lowerASCIIString(r.FinalRecipient.Addr)
		if addr == "" {
			continue
		}
		j := strings.Index(lt, addr)
		if j < 0 {
			continue
		}
		para := t[j:]
		if k := strings.Index(para, "\n\n"); k >= 0 {
			para = para[:k]
		}
		r.Diagnostic.Command = commandIn(para)
	}
}
