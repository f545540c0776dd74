package reply_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/seed-e4e66a4f/smtp/reply"
)

func mustParse(t testing.TB, wire string) reply.Reply {
	t.Helper()
	r, err := reply.Parse([]byte(wire), nil)
	if err != nil {
		t.Fatalf("Parse(%q) error: %v", wire, err)
	}
	return r
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		cmd  string
		wire string
		want string
	}{
		{"MAIL FROM", "530 5.7.0 Authentication required\r\n", "smtp: MAIL FROM: 530 5.7.0 Authentication required"},
		{"RCPT TO", "550 Unrouteable address\r\n", "smtp: RCPT TO: 550 Unrouteable address"},
		{"", "550 5.1.1 No such user here\r\n", "smtp: 550 5.1.1 No such user here"},
		{"DATA", "451\r\n", "smtp: DATA: 451"},
		{"end of data", "554 5.7.1\r\n", "smtp: end of data: 554 5.7.1"},
		// Lines are joined with one space; a line that starts with a
		// space (Gmail's "530 5.7.0  https://...") gets no extra one.
		{
			"MAIL FROM",
			"530-5.7.0 Authentication Required. Learn more at\r\n530 5.7.0  https://support.google.com/mail/?p=WantAuthError x1-2 - gsmtp\r\n",
			"smtp: MAIL FROM: 530 5.7.0 Authentication Required. Learn more at https://support.google.com/mail/?p=WantAuthError x1-2 - gsmtp",
		},
		{"EHLO", "421-first\r\n421-\r\n421 last\r\n", "smtp: EHLO: 421 first last"},
		// A hostile server: escape sequences, NUL, bare CR, bidi override,
		// invalid UTF-8 and backslashes are escaped Go-style; other
		// printable Unicode is kept.
		{
			"RCPT TO",
			"550 5.1.1 bad\x1b[2J\x00\rq\u202e\xff\\ ñandú\r\n",
			`smtp: RCPT TO: 550 5.1.1 bad\x1b[2J\x00\rq\u202e\xff\\ ñandú`,
		},
	}
	for _, tt := range tests {
		err := &reply.Error{Command: tt.cmd, Reply: mustParse(t, tt.wire)}
		if got := err.Error(); got != tt.want {
			t.Errorf("(&Error{Command: %q, Reply: Parse(%q)}).Error() =\n\t%s\nwant\n\t%s", tt.cmd, tt.wire, got, tt.want)
		}
	}
}

// checkPrintable reports what makes s unsafe for a log line, or "".
func checkPrintable(s string) string {
	if !utf8.ValidString(s) {
		return "invalid UTF-8"
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Sprintf("non-printable %U", r)
		}
	}
	return ""
}

func FuzzErrorString(f *testing.F) {
	f.Add("MAIL FROM", "Authentication required")
	f.Add("RCPT TO", "a\x1b]0;pwned\x07b\nsecond\x00line\r\n")
	f.Add("", "\u202e\u2028\xff\xfe\xc0\x80")
	f.Add("DATA\r\nQUIT", `\\x41`)
	f.Fuzz(func(t *testing.T, cmd, text string) {
		err := &reply.Error{Command: cmd, Reply: reply.New(reply.CodeMailboxUnavailable, reply.EnhancedCode{Class: 5, Subject: 1, Detail: 1}, text)}
		got := err.Error()
		if problem := checkPrintable(got); problem != "" {
			t.Errorf("Error() for text %q = %q: %s", text, got, problem)
		}
		if !strings.HasPrefix(got, "smtp: ") {
			t.Errorf("Error() for text %q = %q, want prefix %q", text, got, "smtp: ")
		}
	})
}

func TestErrorIsClass(t *testing.T) {
	tests := []struct {
		wire                 string
		transient, permanent bool
	}{
		{"451 4.3.0 Try again later\r\n", true, false},
		{"421 4.0.0 Server closing connection\r\n", true, false},
		{"550 5.1.1 No such user here\r\n", false, true},
		{"554 5.7.1 Go away\r\n", false, true},
		{"250 2.0.0 Ok\r\n", false, false},
	}
	for _, tt := range tests {
		var err error = &reply.Error{Command: "RCPT TO", Reply: mustParse(t, tt.wire)}
		err = fmt.Errorf("deliver to %s: %w", "user@example.test", err)
		err = fmt.Errorf("batch 3: %w", err)
		if got := errors.Is(err, reply.ErrTransient); got != tt.transient {
			t.Errorf("errors.Is(wrapped %q, ErrTransient) = %t, want %t", tt.wire, got, tt.transient)
		}
		if got := errors.Is(err, reply.ErrPermanent); got != tt.permanent {
			t.Errorf("errors.Is(wrapped %q, ErrPermanent) = %t, want %t", tt.wire, got, tt.permanent)
		}
		if got := errors.Is(err, errors.ErrUnsupported); got {
			t.Errorf("errors.Is(wrapped %q, errors.ErrUnsupported) = true, want false", tt.wire)
		}
	}
}

// Each kind sentinel answers through wrapping, including errors.Join.
func TestErrorIsKindWrapped(t *testing.T) {
	auth := &reply.Error{Command: "MAIL FROM", Reply: mustParse(t, "530 5.7.0 Authentication required\r\n")}
	full := &reply.Error{Command: "RCPT TO", Reply: mustParse(t, "452 4.2.2 Mailbox full\r\n")}
	joined := errors.Join(fmt.Errorf("rcpt a: %w", full), fmt.Errorf("mail: %w", auth))
	for _, target := range []error{reply.ErrAuthRequired, reply.ErrPermanent, reply.ErrMailboxFull, reply.ErrTransient} {
		if !errors.Is(joined, target) {
			t.Errorf("errors.Is(join(%v, %v), %v) = false, want true", full, auth, target)
		}
	}
	for _, target := range []error{reply.ErrTLSRequired, reply.ErrMailboxUnavailable, reply.ErrRateLimited} {
		if errors.Is(joined, target) {
			t.Errorf("errors.Is(join(%v, %v), %v) = true, want false", full, auth, target)
		}
	}
	got, ok := errors.AsType[*reply.Error](fmt.Errorf("send: %w", auth))
	if !ok || got != auth {
		t.Fatalf("errors.AsType[*reply.Error](wrapped %v) = %v, %t; want the same *Error", auth, got, ok)
	}
	if got.Command != "MAIL FROM" || got.Reply.Code != reply.CodeAuthRequired {
		t.Errorf("errors.AsType[*reply.Error] = {%q, %v}, want {%q, 530 ...}", got.Command, got.Reply, "MAIL FROM")
	}
}

// The sentinels are distinct and prefixed like every error of the module.
func TestSentinels(t *testing.T) {
	all := []error{
		reply.ErrTransient, reply.ErrPermanent, reply.ErrAuthRequired, reply.ErrTLSRequired,
		reply.ErrAuthFailed, reply.ErrAuthTemporary, reply.ErrMechanismTooWeak, reply.ErrPasswordTransition,
		reply.ErrServiceClosing, reply.ErrMailboxUnavailable, reply.ErrMailboxFull, reply.ErrMessageTooLarge,
		reply.ErrRateLimited,
	}
	seen := map[string]bool{}
	for i, a := range all {
		if msg := a.Error(); !strings.HasPrefix(msg, "smtp: ") || seen[msg] {
			t.Errorf("sentinel %d: %q is not a unique message prefixed with \"smtp: \"", i, msg)
		} else {
			seen[msg] = true
		}
		for j, b := range all {
			if got := errors.Is(a, b); got != (i == j) {
				t.Errorf("errors.Is(%v, %v) = %t, want %t", a, b, got, i == j)
			}
		}
	}
}

func TestNilErrorIs(t *testing.T) {
	var e *reply.Error
	if e.Is(reply.ErrTransient) {
		t.Error("(*Error)(nil).Is(ErrTransient) = true, want false")
	}
}

// Reply.Err makes an *Error with no command; the rules that need the
// command fall back to the text.
func TestReplyErrClassifies(t *testing.T) {
	tests := []struct {
		wire string
		is   func(error) bool
		name string
	}{
		{"454 4.7.0 Temporary authentication failure\r\n", reply.IsAuthTemporary, "IsAuthTemporary"},
		{"530 5.7.0 Must issue a STARTTLS command first\r\n", reply.IsTLSRequired, "IsTLSRequired"},
		{"552 Message size exceeds maximum permitted\r\n", reply.IsMessageTooLarge, "IsMessageTooLarge"},
		{"550 5.1.1 No such user here\r\n", reply.IsMailboxUnavailable, "IsMailboxUnavailable"},
	}
	for _, tt := range tests {
		err := mustParse(t, tt.wire).Err()
		if !tt.is(err) {
			t.Errorf("%s(Parse(%q).Err()) = false, want true", tt.name, tt.wire)
		}
	}
	if err := mustParse(t, "250 2.0.0 Ok\r\n").Err(); err != nil {
		t.Errorf("Parse(250).Err() = %v, want nil", err)
	}
}
