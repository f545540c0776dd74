package reply_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// The kind rules apply to 4xx and 5xx only: a 2xx or 3xx wrapped in an
// Error (which the client never makes) has no kind, and neither has an
// Error with no reply.
func TestClassifyNotFailure(t *testing.T) {
	for _, r := range []reply.Reply{
		reply.New(reply.CodeOK, reply.EnhancedCode{Class: 2, Subject: 1, Detail: 1}, "Authentication required, too many, mailbox full"),
		reply.New(reply.CodeAuthContinue, reply.EnhancedCode{}, "VXNlcm5hbWU6"),
		{},
	} {
		err := &reply.Error{Command: "RCPT TO", Reply: r}
		for _, p := range allPredicates() {
			if p.is(err) {
				t.Errorf("%s(&Error{Reply: %v}) = true, want false", p.name, r)
			}
		}
		if got := reply.RetryFor(err); got != reply.RetryNever {
			t.Errorf("RetryFor(&Error{Reply: %v}) = %v, want %v", r, got, reply.RetryNever)
		}
	}
}

// An enhanced code whose class differs from the reply code's (possible only
// in a Reply made with New) is ignored, as the parser ignores it.
func TestClassifyEnhancedClassMismatch(t *testing.T) {
	r := reply.New(reply.CodeMailboxUnavailable, reply.EnhancedCode{Class: 4, Subject: 7, Detail: 1}, "Go away")
	err := &reply.Error{Command: "RCPT TO", Reply: r}
	if reply.IsPolicyRejection(err) {
		t.Errorf("IsPolicyRejection(%v) = true, want false (4.7.1 ignored on a 550)", r)
	}
	r = reply.New(reply.CodeMailboxUnavailable, reply.EnhancedCode{Class: 5, Subject: 7, Detail: 1}, "Go away")
	if err := (&reply.Error{Command: "RCPT TO", Reply: r}); !reply.IsPolicyRejection(err) {
		t.Errorf("IsPolicyRejection(%v) = false, want true", r)
	}
}

// allPredicates is every predicate, the class ones included.
func allPredicates() []struct {
	name string
	is   func(error) bool
} {
	return append([]struct {
		name string
		is   func(error) bool
	}{{"IsTemporary", reply.IsTemporary}, {"IsPermanent", reply.IsPermanent}}, kindPredicates...)
}

// A qmail-style enhanced code at the end of the text stands in for a
// missing one, and only when its class matches the reply's.
func TestClassifyQmailEnhanced(t *testing.T) {
	for _, tt := range []struct {
		wire string
		want bool
	}{
		{"553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)\r\n", true},
		{"553 sorry, you may not (#4.7.1)\r\n", false},
		{"553 sorry, you may not (#5.7.1\r\n", true},
		{"553 sorry, you may not (#5.x.1)\r\n", false},
	} {
		r, err := reply.Parse([]byte(tt.wire), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := reply.IsPolicyRejection(&reply.Error{Command: "MAIL FROM", Reply: r}); got != tt.want {
			t.Errorf("IsPolicyRejection(%q) = %v, want %v", tt.wire, got, tt.want)
		}
	}
}

// Nothing but a reply error answers the predicates.
func TestPredicatesOtherErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("smtp: authentication required"), fmt.Errorf("x: %w", errors.ErrUnsupported)} {
		for _, p := range allPredicates() {
			if p.is(err) {
				t.Errorf("%s(%v) = true, want false", p.name, err)
			}
		}
	}
}

// Command matching ignores case and arguments.
func TestClassifyCommandSpelling(t *testing.T) {
	r, err := reply.Parse([]byte("454 4.7.0 Temporary failure\r\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"AUTH", "auth", "AUTH PLAIN", " Auth "} {
		if err := (&reply.Error{Command: cmd, Reply: r}); !reply.IsAuthTemporary(err) {
			t.Errorf("IsAuthTemporary(&Error{Command: %q, Reply: %v}) = false, want true", cmd, r)
		}
	}
	for _, cmd := range []string{"STARTTLS", "MAIL FROM", "AUTHX"} {
		if err := (&reply.Error{Command: cmd, Reply: r}); reply.IsAuthTemporary(err) {
			t.Errorf("IsAuthTemporary(&Error{Command: %q, Reply: %v}) = true, want false", cmd, r)
		}
	}
}
