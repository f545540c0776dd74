package reply

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite RULES.md from the classification table")

// phraseLists names the phrase lists of rules.go, for RULES.md.
var phraseLists = []struct {
	name string
	list []string
}{
	{"tls", tlsPhrases}, {"not-tls", tlsNot}, {"auth", authPhrases}, {"not-auth", authNot},
	{"full", fullPhrases}, {"not-full", fullNot}, {"large", largePhrases}, {"not-large", largeNot},
	{"domain", domainPhrases}, {"mailbox", mailboxPhrases}, {"not-mailbox", mailboxNot},
	{"relay", relayPhrases}, {"policy", policyPhrases}, {"sender-rejected", senderRejected},
	{"format", formatPhrases}, {"rate", ratePhrases}, {"rate-cap", rateNotCap},
	{"rate-cap-unless", rateNotCapUnless}, {"no-retry", noRetry}, {"server-load", serverLoad},
}

// describePhrases names a list of rules.go, or quotes a short inline one.
func describePhrases(l []string) string {
	for _, p := range phraseLists {
		if len(p.list) > 0 && len(l) > 0 && &p.list[0] == &l[0] {
			return "*" + p.name + "* phrases"
		}
	}
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

var verbNames = map[verb]string{verbUnknown: "unknown", verbOther: "other", verbGreeting: "greeting",
	verbStartTLS: "STARTTLS", verbAuth: "AUTH", verbMail: "MAIL FROM", verbRcpt: "RCPT TO", verbVrfy: "VRFY",
	verbData: "DATA", verbEndOfData: "end of data/BDAT"}

func (p enhPattern) String() string {
	c := "X"
	if p.class != 0 {
		c = fmt.Sprint(int(p.class))
	}
	switch {
	case p.lo == 0 && p.hi == maxDetail:
		return fmt.Sprintf("%s.%d.*", c, p.sub)
	case p.lo == p.hi:
		return fmt.Sprintf("%s.%d.%d", c, p.sub, p.lo)
	}
	return fmt.Sprintf("%s.%d.%d-%d", c, p.sub, p.lo, p.hi)
}

// describeRule writes the conditions of r in words.
func describeRule(r *rule) string {
	var c []string
	if r.class != 0 {
		c = append(c, fmt.Sprintf("class %d", r.class))
	}
	if r.codes != nil {
		s := make([]string, len(r.codes))
		for i, x := range r.codes {
			s[i] = x.String()
		}
		c = append(c, "code "+strings.Join(s, "/"))
	}
	if r.enh != nil {
		s := make([]string, len(r.enh))
		for i, x := range r.enh {
			s[i] = x.String()
		}
		c = append(c, "enhanced "+strings.Join(s, ", "))
	}
	if r.noEnh {
		c = append(c, "no enhanced code (or X.0.0)")
	}
	if r.verbs != 0 {
		var s []string
		for v := verbUnknown; v <= verbEndOfData; v++ {
			if r.verbs.has(v) {
				s = append(s, verbNames[v])
			}
		}
		c = append(c, "command "+strings.Join(s, ", "))
	}
	if r.text != nil {
		c = append(c, "text has "+describePhrases(r.text))
	}
	if r.unless != nil {
		c = append(c, "unless text has "+describePhrases(r.unless))
	}
	if len(c) == 0 {
		return "always"
	}
	return strings.Join(c, "; ")
}

func kindNames(k kind) string {
	if k == 0 {
		return "**none** (stop)"
	}
	var s []string
	for _, ks := range kindSentinels {
		if k&ks.k != 0 {
			s = append(s, ks.name)
		}
	}
	return strings.Join(s, ", ")
}

// rulesDoc renders RULES.md from the table.
func rulesDoc() string {
	var b strings.Builder
	b.WriteString(`# Classification rules of package reply

Generated from the table in [rules.go](rules.go) by ` + "`go test ./reply -run TestRulesDoc -update`" + `;
do not edit by hand. The corpus of real replies that checks these rules is
[testdata/replies.txt](testdata/replies.txt).

A reply of class 4 or 5 is classified in four independent groups. In each
group the rows are tried in order; the first row whose conditions all hold
decides the group, and a row that gives **none** decides that the group has
no kind. Text is matched case-insensitively (ASCII), as substrings. The
command is the one recorded in ` + "`Error.Command`" + `; "unknown" is an empty command,
as for a reply quoted in a bounce. After the four groups, policy-rejection
is dropped when an authentication, TLS or rate limiting kind holds.
IsTemporary and IsPermanent follow the class alone.

`)
	n := 0
	for g := groupAccess; g <= groupClosing; g++ {
		fmt.Fprintf(&b, "## %s\n\n| row | gives | when | source |\n|---|---|---|---|\n", groupNames[g])
		for i := range rules {
			r := &rules[i]
			if r.group != g {
				continue
			}
			n++
			fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", i+1, kindNames(r.kinds), describeRule(r), strings.ReplaceAll(r.source, "|", "/"))
		}
		b.WriteString("\n")
	}
	b.WriteString("## By predicate\n\n| predicate | rows that give it |\n|---|---|\n")
	for _, ks := range kindSentinels {
		var rows []string
		for i := range rules {
			if rules[i].kinds&ks.k != 0 {
				rows = append(rows, fmt.Sprint(i+1))
			}
		}
		fmt.Fprintf(&b, "| `%s` (%s) | %s |\n", ks.pred, ks.name, strings.Join(rows, ", "))
	}
	b.WriteString("\n## Phrase lists\n\n")
	for _, p := range phraseLists {
		q := slices.Clone(p.list)
		for i, s := range q {
			q[i] = fmt.Sprintf("`%s`", s)
		}
		fmt.Fprintf(&b, "- *%s*: %s\n", p.name, strings.Join(q, ", "))
	}
	return b.String()
}

// RULES.md is generated from the table; a stale copy fails.
func TestRulesDoc(t *testing.T) {
	want := rulesDoc()
	if *update {
		if err := os.WriteFile("RULES.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("RULES.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Error("RULES.md is out of date with rules.go; run go test ./reply -run TestRulesDoc -update")
	}
}

// Every row cites a source, and every phrase list is used by a row.
func TestRulesHaveSources(t *testing.T) {
	for i, r := range rules {
		if strings.TrimSpace(r.source) == "" {
			t.Errorf("rule %d (%s) has no source", i+1, describeRule(&r))
		}
		if r.group < groupAccess || r.group > groupClosing {
			t.Errorf("rule %d has no group", i+1)
		}
	}
	for _, p := range phraseLists {
		used := false
		for _, r := range rules {
			for _, l := range [][]string{r.text, r.unless} {
				if len(l) > 0 && &l[0] == &p.list[0] {
					used = true
				}
			}
		}
		if !used {
			t.Errorf("phrase list %s is used by no rule", p.name)
		}
		for _, s := range p.list {
			if strings.ContainsFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' }) {
				t.Errorf("phrase %q of list %s has upper case; the text is matched lower-cased", s, p.name)
			}
		}
	}
}
