package reply

import "testing"

func TestQmailStatus(t *testing.T) {
	for _, tt := range []struct {
		text string
		want string
		ok   bool
	}{
		{"Sorry, no mailbox here by that name. (#5.1.1)", "5.1.1", true},
		{"mailbox full (#4.2.2) and later (#5.2.2)", "5.2.2", true},
		{"Remote host said: 553 sorry (#5.7.1)", "5.7.1", true},
		{"no code here", "", false},
		{"broken (#5.x)", "", false},
		{"(#", "", false},
	} {
		ec, ok := QmailStatus(tt.text)
		if ok != tt.ok || ok && ec.String() != tt.want {
			t.Errorf("QmailStatus(%q) = %v, %v; want %s, %v", tt.text, ec, ok, tt.want, tt.ok)
		}
	}
}
