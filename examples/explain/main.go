// Command explain is a reference page for SMTP replies. For each argument,
// a reply code ("530"), an enhanced status code ("5.7.1") or a whole reply
// line ("550 5.1.1 User unknown"), it prints what the reply means, when a
// client sees it and how to fix it; for two arguments it then sets them
// side by side, with the differences that matter to a program marked.
//
//	go run ./examples/explain 220 530
//	go run ./examples/explain -lang es 421 "450 4.2.1 receiving mail too quickly"
//
// The explanations come from package reply (reply.Explain,
// reply.ExplainEnhanced and, for a reply line, reply.Error.Explain, which
// also reads the text: "550 5.7.1 No such user!" is an unknown mailbox,
// whatever 5.7.1 says). No network is used.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/seed-e4e66a4f/smtp/reply"
)

func main() {
	lang := flag.String("lang", "en", "language: en or es")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), `usage: explain [-lang en|es] CODE|ENHANCED|"REPLY LINE" ...`)
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(os.Stdout, flag.Args(), *lang); err != nil {
		fmt.Fprintln(os.Stderr, "explain:", err)
		os.Exit(1)
	}
}

// entry is one argument, read and explained.
type entry struct {
	arg      string
	code     reply.Code         // zero for an enhanced code alone
	enhanced reply.EnhancedCode // zero when there is none
	text     string             // the reply's text, for a reply line
	x        reply.Explanation
	err      error // the reply as a client error, for a 4yz/5yz code
}

// labels are the headings, by language.
var labels = map[string]map[string]string{
	"en": {"meaning": "meaning", "when": "when", "fix": "fix", "class": "class", "enhanced": "enhanced",
		"kinds": "kinds", "retry": "retry", "none": "none", "differ": "differ", "same": "same", "compare": "side by side"},
	"es": {"meaning": "significado", "when": "cuándo", "fix": "solución", "class": "clase", "enhanced": "código ampliado",
		"kinds": "tipos", "retry": "reintento", "none": "ninguno", "differ": "difieren", "same": "igual", "compare": "comparación"},
}

// kinds are the predicates a program branches on.
var kinds = []struct {
	name string
	is   func(error) bool
}{
	{"IsAuthRequired", reply.IsAuthRequired}, {"IsTLSRequired", reply.IsTLSRequired},
	{"IsAuthFailed", reply.IsAuthFailed}, {"IsServiceClosing", reply.IsServiceClosing},
	{"IsRateLimited", reply.IsRateLimited}, {"IsMailboxUnavailable", reply.IsMailboxUnavailable},
	{"IsMailboxFull", reply.IsMailboxFull}, {"IsDomainUnavailable", reply.IsDomainUnavailable},
	{"IsPolicyRejection", reply.IsPolicyRejection}, {"IsMessageTooLarge", reply.IsMessageTooLarge},
}

func run(w io.Writer, args []string, lang string) error {
	l, ok := labels[lang]
	if !ok {
		return fmt.Errorf("unknown language %q (en or es)", lang)
	}
	var entries []*entry
	for _, a := range args {
		e, err := read(a, lang)
		if err != nil {
			return err
		}
		entries = append(entries, e)
	}
	for i, e := range entries {
		if i > 0 {
			fmt.Fprintln(w)
		}
		e.print(w, l)
	}
	if len(entries) == 2 {
		fmt.Fprintln(w)
		compare(w, entries[0], entries[1], l)
	}
	return nil
}

// read parses an argument: a reply code, an enhanced code or a reply line.
func read(arg, lang string) (*entry, error) {
	s := strings.TrimSpace(arg)
	e := &entry{arg: s}
	switch {
	case len(s) == 3 && isDigits(s):
		r, err := reply.Parse([]byte(s+" \r\n"), nil)
		if err != nil {
			return nil, fmt.Errorf("%q is not a reply code: %w", arg, err)
		}
		e.code = r.Code
		x, ok := reply.Explain(r.Code, lang)
		if !ok {
			return nil, fmt.Errorf("no explanation for reply code %s", s)
		}
		e.x = x
		if c := r.Class(); c == reply.ClassTransient || c == reply.ClassPermanent {
			e.err = &reply.Error{Reply: r}
		}
	case strings.Count(s, ".") == 2 && !strings.Contains(s, " "):
		ec, err := reply.ParseEnhancedCode(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an enhanced status code: %w", arg, err)
		}
		e.enhanced = ec
		x, ok := reply.ExplainEnhanced(ec, lang)
		if !ok {
			return nil, fmt.Errorf("no explanation for enhanced status code %s", s)
		}
		e.x = x
	default:
		r, err := reply.Parse([]byte(s+"\r\n"), nil)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a code nor a reply line: %w", arg, err)
		}
		e.code, e.enhanced, e.text = r.Code, r.Enhanced, r.Text()
		if c := r.Class(); c == reply.ClassTransient || c == reply.ClassPermanent {
			re := &reply.Error{Reply: r}
			e.err, e.x = re, re.Explain(lang)
		} else {
			e.x = r.Explain(lang)
		}
	}
	return e, nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// class names the entry's class: the reply code's, or the enhanced code's.
func (e *entry) class() string {
	c := e.code.Class()
	if e.code == 0 {
		c = reply.Class(e.enhanced.Class)
	}
	return fmt.Sprintf("%dxx %s", c, c)
}

// kindNames lists the predicates that hold for the entry.
func (e *entry) kindNames(l map[string]string) string {
	var out []string
	for _, k := range kinds {
		if e.err != nil && k.is(e.err) {
			out = append(out, k.name)
		}
	}
	if len(out) == 0 {
		return l["none"]
	}
	return strings.Join(out, " ")
}

// retry is the retry advice for the entry, with its pause.
func (e *entry) retry(l map[string]string) string {
	if e.err == nil {
		return l["none"]
	}
	s := reply.RetryFor(e.err).String()
	if d := reply.RetryDelay(e.err); d > 0 {
		s += fmt.Sprintf(" (%s)", d)
	}
	return s
}

func (e *entry) enhancedName(l map[string]string) string {
	if e.enhanced.IsZero() {
		return l["none"]
	}
	return e.enhanced.String() + " " + e.enhanced.Description()
}

func (e *entry) print(w io.Writer, l map[string]string) {
	fmt.Fprintf(w, "%s: %s\n", e.arg, e.x.Title)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-*s %s\n", 16, l[k]+":", v)
		}
	}
	row("class", e.class())
	if e.code != 0 {
		row("enhanced", e.enhancedName(l))
	}
	row("meaning", e.x.Meaning)
	row("when", e.x.When)
	row("fix", e.x.Fix)
	if e.err != nil {
		row("kinds", e.kindNames(l))
		row("retry", e.retry(l))
	}
}

// compare prints two entries side by side; a row whose values differ is
// marked with "*".
func compare(w io.Writer, a, b *entry, l map[string]string) {
	rows := []struct{ name, a, b string }{
		{"", a.arg, b.arg},
		{"class", a.class(), b.class()},
		{"", a.x.Title, b.x.Title},
		{"enhanced", a.enhancedName(l), b.enhancedName(l)},
		{"kinds", a.kindNames(l), b.kindNames(l)},
		{"retry", a.retry(l), b.retry(l)},
	}
	width := 0
	for _, r := range rows {
		width = max(width, len([]rune(r.a)))
	}
	fmt.Fprintf(w, "%s (* = %s)\n", l["compare"], l["differ"])
	for _, r := range rows {
		mark := " "
		if r.name != "" && r.a != r.b {
			mark = "*"
		}
		name := ""
		if r.name != "" {
			name = l[r.name]
		}
		fmt.Fprintf(w, "%s %-16s %s%s  %s\n", mark, name, r.a, strings.Repeat(" ", width-len([]rune(r.a))), r.b)
	}
}
