package dsn

import (
	"strings"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// parseDiagnostic reads a Diagnostic-Code value, "type; text".
func parseDiagnostic(v string) Diagnostic {
	var d Diagnostic
	typ, text, ok := strings.Cut(v, ";")
	if ok && !strings.ContainsAny(strings.TrimSpace(typ), " \t") {
		d.Type, d.Text = strings.TrimSpace(typ), strings.TrimSpace(text)
	} else {
		d.Text = strings.TrimSpace(v)
	}
	d.Reply, _ = parseReplyText(d.Text)
	d.Command = commandIn(d.Text)
	return d
}

// parseReplyText reads an SMTP reply that an MTA quoted on one line:
// "550 5.1.1 User unknown", or a multi-line reply whose lines were joined,
// "550-5.1.1 The email account ... 550-5.1.1 double-checking ... 550 5.1.1
// https://...". It returns the zero Reply and false when text does not
// start with a reply code of class 2 to 5.
func parseReplyText(text string) (reply.Reply, bool) {
	text = strings.TrimSpace(text)
	if len(text) < 3 || !isCode(text[:3]) || (len(text) > 3 && text[3] != ' ' && text[3] != '-') {
		return reply.Reply{}, false
	}
	code := text[:3]
	// Gmail's "554 554 5.7.0 Header error": the code written twice.
	if len(text) > 8 && text[4:7] == code && text[7] == ' ' {
		text = code + text[7:]
	}
	// Split where the code comes again, as the start of a line: "550-" or
	// "550 " after a space.
	var lines []string
	rest := text
	for {
		next := -1
		for _, sep := range []string{" " + code + "-", " " + code + " "} {
			if i := strings.Index(rest[3:], sep); i >= 0 && (next < 0 || i+3 < next) {
				next = i + 3
			}
		}
		if next < 0 || rest[3] != '-' {
			lines = append(lines, rest)
			break
		}
		lines = append(lines, rest[:next])
		rest = strings.TrimLeft(rest[next:], " ")
	}
	var wire []byte
	for i, l := range lines {
		sep := byte('-')
		if i == len(lines)-1 {
			sep = ' '
		}
		body := ""
		if len(l) > 4 {
			body = l[4:]
		}
		wire = append(append(append(wire, code...), sep), body...)
		wire = append(wire, '\r', '\n')
	}
	r, err := reply.Parse(wire, nil)
	if err != nil {
		// Bad bytes or a line over the limit: keep the code and the text.
		n := reply.Code((int(code[0])-'0')*100 + (int(code[1])-'0')*10 + int(code[2]) - '0')
		return reply.New(n, reply.EnhancedCode{}, sanitize(text[min(4, len(text)):])), true
	}
	return r, true
}

func isCode(s string) bool {
	return len(s) == 3 && '2' <= s[0] && s[0] <= '5' && '0' <= s[1] && s[1] <= '5' && '0' <= s[2] && s[2] <= '9'
}

// sanitize drops control bytes from s.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// commandIn returns the SMTP command a report's text says a reply
// answered: Postfix's "(in reply to RCPT TO command)", Exim's "SMTP error
// from remote mail server after RCPT TO:<...>", sendmail's "<<< 550 ...
// after RCPT TO". It returns "" when the text names none.
func commandIn(text string) string {
	t := strings.ToLower(text)
	for _, m := range []struct{ phrase, cmd string }{
		{"rcpt", reply.CommandRcpt},
		{"mail from", reply.CommandMail},
		{"mail command", reply.CommandMail},
		{"end of data", reply.CommandEndOfData},
		{"final data", reply.CommandEndOfData},
		{"end of message", reply.CommandEndOfData},
		{"after data", reply.CommandData},
		{"data command", reply.CommandData},
		{"bdat", reply.CommandBDAT},
		{"ehlo", reply.CommandEHLO},
		{"helo", reply.CommandHELO},
		{"starttls", reply.CommandStartTLS},
		{"auth ", reply.CommandAuth},
		{"initial connection", reply.CommandGreeting},
		{"initial greeting", reply.CommandGreeting},
		{"greeting", reply.CommandGreeting},
	} {
		for _, pre := range []string{"in reply to ", "after ", "our "} {
			if strings.Contains(t, pre+m.phrase) {
				return m.cmd
			}
		}
	}
	return ""
}
