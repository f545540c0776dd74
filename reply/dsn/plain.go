package dsn

import (
	"bytes"
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
	if host, _, ok := strings.Cut(strings.TrimPrefix(t, "Hi. This is the qmail-send program at "), "."); ok && !strings.ContainsAny(host, " \n") {
		rep.ReportingMTA = MTA{Type: "dns", Name: host}
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

// parseText reads a plain-text bounce: each SMTP reply quoted on its own
// line (after "Remote host said:", "<<<", "said:" or alone) belongs to the
// last address named before it.
func parseText(text []byte, opts *Options) (*Report, bool) {
	body := cutCopy(string(text))
	rep := &Report{Format: FormatText}
	seen := map[string]bool{}
	lines := strings.Split(strings.ReplaceAll(body, "\r", ""), "\n")
	addr, cmd := "", ""
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if a := addressIn(l); a != "" {
			addr = a
		}
		if c := commandIn(l); c != "" {
			cmd = c
		}
		said := replyStart(l)
		if said == "" || addr == "" || seen[strings.ToLower(addr)] {
			continue
		}
		// A multi-line reply quoted line by line: "550-5.1.1 ...", then
		// "550 5.1.1 ..." on the next lines.
		for strings.HasPrefix(said[3:], "-") && i+1 < len(lines) {
			next := replyStart(strings.TrimSpace(lines[i+1]))
			if next == "" || next[:3] != said[:3] {
				break
			}
			said += " " + next
			i++
		}
		rr, ok := parseReplyText(said)
		if !ok || (rr.Code.Class() != reply.ClassTransient && rr.Code.Class() != reply.ClassPermanent) {
			continue
		}
		if len(rep.Recipients) >= opts.maxRecipients() {
			rep.Problems = append(rep.Problems, &LimitError{Limit: "MaxRecipients", Max: int64(opts.maxRecipients())})
			break
		}
		seen[strings.ToLower(addr)] = true
		r := Recipient{FinalRecipient: Address{Type: "rfc822", Addr: addr}, Action: ActionFailed,
			Diagnostic: Diagnostic{Type: "smtp", Text: said, Reply: rr, Command: cmd}}
		if rr.Code.Class() == reply.ClassTransient {
			r.Action = ActionDelayed
		}
		r.Status = statusOf(&r)
		rep.Recipients = append(rep.Recipients, r)
	}
	return rep, len(rep.Recipients) > 0
}

// replyStart returns the SMTP reply a line quotes ("550 5.1.1 ...",
// "Remote host said: 550 ...", "<<< 550 ...", "host x said: 550 ..."),
// from its code on, or "".
func replyStart(l string) string {
	for _, pre := range []string{"remote host said:", "said:", "<<<", "remote server returned", "server replied:"} {
		if i := strings.Index(strings.ToLower(l), pre); i >= 0 {
			l = strings.TrimLeft(l[i+len(pre):], " '\"")
			break
		}
	}
	if len(l) >= 4 && isCode(l[:3]) && (l[3] == ' ' || l[3] == '-') && (l[0] == '4' || l[0] == '5') {
		return l
	}
	return ""
}

// addressIn returns the email address a line names, in angle brackets or
// as the line's only word; "" when there is none.
func addressIn(l string) string {
	if i := strings.IndexByte(l, '<'); i >= 0 {
		if j := strings.IndexByte(l[i:], '>'); j > 0 {
			if a := l[i+1 : i+j]; isAddr(a) {
				return a
			}
		}
	}
	f := strings.Fields(l)
	if len(f) == 1 {
		a := strings.TrimSuffix(strings.Trim(f[0], "<>\"'"), ":")
		if isAddr(a) {
			return a
		}
	}
	return ""
}

// isAddr reports whether a looks like local@domain.
func isAddr(a string) bool {
	at := strings.LastIndexByte(a, '@')
	return at > 0 && at < len(a)-3 && strings.Contains(a[at:], ".") && !strings.ContainsAny(a, " \t<>()[],;")
}

// cutCopy returns the text before the copy of the returned message.
func cutCopy(t string) string {
	lt := strings.ToLower(t)
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
	text := r.Diagnostic.Text
	if i := strings.LastIndex(text, "(#"); i >= 0 {
		s := text[i+2:]
		n := 0
		for n < len(s) && (s[n] == '.' || '0' <= s[n] && s[n] <= '9') {
			n++
		}
		if e, err := reply.ParseEnhancedCode(s[:n]); err == nil {
			return e
		}
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
	lt := strings.ToLower(t)
	for i := range rep.Recipients {
		r := &rep.Recipients[i]
		if r.Diagnostic.Command != "" || r.Diagnostic.Reply.Code == 0 {
			continue
		}
		addr := strings.ToLower(r.FinalRecipient.Addr)
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
