package reply_test

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// kindPredicates are the kind predicates, by their names in
// testdata/replies.txt.
var kindPredicates = []struct {
	name string
	is   func(error) bool
}{
	{"auth-required", reply.IsAuthRequired},
	{"tls-required", reply.IsTLSRequired},
	{"auth-failed", reply.IsAuthFailed},
	{"auth-temporary", reply.IsAuthTemporary},
	{"mechanism-too-weak", reply.IsMechanismTooWeak},
	{"password-transition", reply.IsPasswordTransition},
	{"service-closing", reply.IsServiceClosing},
	{"mailbox-unavailable", reply.IsMailboxUnavailable},
	{"mailbox-full", reply.IsMailboxFull},
	{"message-too-large", reply.IsMessageTooLarge},
	{"rate-limited", reply.IsRateLimited},
	{"policy-rejection", reply.IsPolicyRejection},
	{"domain-unavailable", reply.IsDomainUnavailable},
}

// corpusEntry is one entry of testdata/replies.txt.
type corpusEntry struct {
	line     int // where the entry starts
	name     string
	provider string
	source   string
	stage    string   // "" for unknown
	kinds    []string // sorted; empty for none
	retry    reply.Retry
	wire     string
}

// retryByName maps Retry.String back to its value.
func retryByName(s string) (reply.Retry, bool) {
	for r := reply.RetryNever; r <= reply.RetryLater; r++ {
		if r.String() == s {
			return r, true
		}
	}
	return 0, false
}

// loadCorpus reads testdata/replies.txt; any malformed entry fails t.
func loadCorpus(t testing.TB) []corpusEntry {
	t.Helper()
	f, err := os.Open("testdata/replies.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var all []corpusEntry
	var cur *corpusEntry
	var fields map[string]bool
	finish := func() {
		if cur == nil {
			return
		}
		for _, k := range []string{"name", "provider", "source", "stage", "kinds", "retry"} {
			if !fields[k] {
				t.Errorf("replies.txt:%d: entry %q has no %s", cur.line, cur.name, k)
			}
		}
		if cur.wire == "" {
			t.Errorf("replies.txt:%d: entry %q has no reply", cur.line, cur.name)
		}
		all = append(all, *cur)
		cur = nil
	}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
			continue
		case strings.TrimSpace(line) == "":
			finish()
			continue
		}
		if cur == nil {
			cur, fields = &corpusEntry{line: n}, map[string]bool{}
		}
		if rest, ok := strings.CutPrefix(line, ">"); ok {
			cur.wire += strings.TrimPrefix(rest, " ") + "\r\n"
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		val = strings.TrimSpace(val)
		if !ok || fields[key] {
			t.Fatalf("replies.txt:%d: malformed or repeated line %q", n, line)
		}
		fields[key] = true
		switch key {
		case "name":
			cur.name = val
		case "provider":
			cur.provider = val
		case "source":
			cur.source = val
		case "stage":
			if val != "unknown" {
				cur.stage = val
			}
		case "kinds":
			if val != "none" {
				cur.kinds = strings.Fields(val)
				sort.Strings(cur.kinds)
				for _, k := range cur.kinds {
					if !slices.ContainsFunc(kindPredicates, func(p struct {
						name string
						is   func(error) bool
					}) bool {
						return p.name == k
					}) {
						t.Errorf("replies.txt:%d: unknown kind %q", n, k)
					}
				}
			}
		case "retry":
			r, ok := retryByName(val)
			if !ok {
				t.Errorf("replies.txt:%d: unknown retry advice %q", n, val)
			}
			cur.retry = r
		default:
			t.Fatalf("replies.txt:%d: unknown field %q", n, key)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	finish()
	return all
}

// TestCorpus runs every real reply of testdata/replies.txt through the
// predicates and RetryFor, bare and wrapped.
func TestCorpus(t *testing.T) {
	entries := loadCorpus(t)
	if len(entries) < 300 {
		t.Errorf("corpus has %d entries, want at least 300", len(entries))
	}
	seen := map[string]int{}
	for _, c := range entries {
		if prev, ok := seen[c.name]; ok {
			t.Errorf("replies.txt:%d: name %q already used at line %d", c.line, c.name, prev)
		}
		seen[c.name] = c.line
		t.Run(c.name, func(t *testing.T) {
			r, err := reply.Parse([]byte(c.wire), nil)
			if err != nil {
				t.Fatalf("replies.txt:%d: Parse(%q): %v", c.line, c.wire, err)
			}
			base := &reply.Error{Command: c.stage, Reply: r}
			for _, err := range []error{base, fmt.Errorf("send: %w", fmt.Errorf("rcpt: %w", base))} {
				var got []string
				for _, p := range kindPredicates {
					if p.is(err) {
						got = append(got, p.name)
					}
				}
				if !slices.Equal(got, c.kinds) && !(len(got) == 0 && len(c.kinds) == 0) {
					sorted := slices.Clone(got)
					sort.Strings(sorted)
					if !slices.Equal(sorted, c.kinds) {
						t.Errorf("replies.txt:%d: kinds(%q, %q) = %v, want %v", c.line, c.stage, c.wire, sorted, c.kinds)
					}
				}
				if got, want := reply.IsTemporary(err), r.Class() == reply.ClassTransient; got != want {
					t.Errorf("replies.txt:%d: IsTemporary = %v, want %v", c.line, got, want)
				}
				if got, want := reply.IsPermanent(err), r.Class() == reply.ClassPermanent; got != want {
					t.Errorf("replies.txt:%d: IsPermanent = %v, want %v", c.line, got, want)
				}
				if got := reply.RetryFor(err); got != c.retry {
					t.Errorf("replies.txt:%d: RetryFor(%q, %q) = %v, want %v", c.line, c.stage, c.wire, got, c.retry)
				}
			}
		})
	}
}

// TestCorpusCounts logs the corpus size by provider and by kind (go test
// -run TestCorpusCounts -v ./reply); the README quotes it.
func TestCorpusCounts(t *testing.T) {
	entries := loadCorpus(t)
	byProvider := map[string]int{}
	byKind := map[string]int{}
	for _, c := range entries {
		byProvider[c.provider]++
		for _, k := range c.kinds {
			byKind[k]++
		}
		if len(c.kinds) == 0 {
			byKind["none"]++
		}
	}
	t.Logf("%d replies", len(entries))
	for _, m := range []map[string]int{byProvider, byKind} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, " %s %d,", k, m[k])
		}
		t.Log(strings.TrimSuffix(b.String(), ","))
	}
}
