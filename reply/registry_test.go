package reply

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// ianaCodes is every entry of the IANA "SMTP Enhanced Status Codes"
// registry, enumerated status codes (RFC 3463, 3886, 4468, 4954, 5248,
// 6531, 6710, 7293, 7372, 7505, 8617, 8689, draft-levine-mailbomb-header).
var ianaCodes = strings.Fields(`
	X.0.0
	X.1.0 X.1.1 X.1.2 X.1.3 X.1.4 X.1.5 X.1.6 X.1.7 X.1.8 X.1.9 X.1.10
	X.2.0 X.2.1 X.2.2 X.2.3 X.2.4
	X.3.0 X.3.1 X.3.2 X.3.3 X.3.4 X.3.5 X.3.6
	X.4.0 X.4.1 X.4.2 X.4.3 X.4.4 X.4.5 X.4.6 X.4.7
	X.5.0 X.5.1 X.5.2 X.5.3 X.5.4 X.5.5 X.5.6
	X.6.0 X.6.1 X.6.2 X.6.3 X.6.4 X.6.5 X.6.6 X.6.7 X.6.8 X.6.9 X.6.10
	X.7.0 X.7.1 X.7.2 X.7.3 X.7.4 X.7.5 X.7.6 X.7.7 X.7.8 X.7.9 X.7.10
	X.7.11 X.7.12 X.7.13 X.7.14 X.7.15 X.7.16 X.7.17 X.7.18 X.7.19 X.7.20
	X.7.21 X.7.22 X.7.23 X.7.24 X.7.25 X.7.26 X.7.27 X.7.28 X.7.29 X.7.30
`)

// mustEnhanced parses "X.s.d" with class c.
func mustEnhanced(t *testing.T, c Class, x string) EnhancedCode {
	t.Helper()
	e, err := ParseEnhancedCode(strconv.Itoa(int(c)) + strings.TrimPrefix(x, "X"))
	if err != nil {
		t.Fatalf("ParseEnhancedCode(%q): %v", x, err)
	}
	return e
}

func TestDescriptionCoversRegistry(t *testing.T) {
	d := registry()
	for _, x := range ianaCodes {
		for _, c := range []Class{ClassSuccess, ClassTransient, ClassPermanent} {
			e := mustEnhanced(t, c, x)
			got := e.Description()
			if got == "" || got == d.subjects[e.Subject] {
				t.Errorf("%v.Description() = %q, want the entry for %s", e, got, x)
			}
		}
		k := registryKey{mustEnhanced(t, ClassPermanent, x).Subject, mustEnhanced(t, ClassPermanent, x).Detail}
		if d.refs[k] == "" {
			t.Errorf("data/enhanced.tsv: %s has no reference", x)
		}
	}
	// Nothing beyond the registry, and no entry twice.
	var got []string
	for _, k := range d.order {
		got = append(got, "X."+strconv.Itoa(int(k.subject))+"."+strconv.Itoa(int(k.detail)))
	}
	if !slices.Equal(got, ianaCodes) {
		t.Errorf("data/enhanced.tsv codes = %v, want the registry's %v", got, ianaCodes)
	}
	for s, desc := range d.subjects {
		if desc == "" {
			t.Errorf("data/enhanced.tsv: subject X.%d has no description", s)
		}
	}
}

func TestDescription(t *testing.T) {
	tests := []struct {
		e    EnhancedCode
		want string
	}{
		{EnhancedCode{ClassPermanent, SubjectAddressing, 1}, "Recipient mailbox does not exist"},
		{EnhancedCode{ClassTransient, SubjectMailbox, 2}, "Recipient mailbox is full"},
		{EnhancedCode{ClassPermanent, SubjectMailbox, 2}, "Recipient mailbox is full"},
		{EnhancedCode{ClassPermanent, SubjectPolicy, 8}, "Authentication credentials invalid"},
		{EnhancedCode{ClassPermanent, SubjectPolicy, 30}, "REQUIRETLS support required on the next hop"},
		// Not in the registry: the subject's description.
		{EnhancedCode{ClassPermanent, SubjectPolicy, 57}, "Security or policy status"},
		{EnhancedCode{ClassPermanent, SubjectPolicy, 139}, "Security or policy status"},
		{EnhancedCode{ClassTransient, SubjectNetwork, 999}, "Network or routing status"},
		{EnhancedCode{ClassSuccess, SubjectOther, 1}, "Other or undefined status"},
		// No code, or not a valid one.
		{EnhancedCode{}, ""},
		{EnhancedCode{ClassIntermediate, SubjectOther, 0}, ""},
		{EnhancedCode{ClassPermanent, 8, 0}, ""},
		{EnhancedCode{ClassPermanent, SubjectPolicy, 1000}, ""},
	}
	for _, tt := range tests {
		if got := tt.e.Description(); got != tt.want {
			t.Errorf("%#v.Description() = %q, want %q", tt.e, got, tt.want)
		}
	}
}
