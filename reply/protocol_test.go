package reply

import (
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
)

func TestProtocolErrorMessage(t *testing.T) {
	tests := []struct {
		err  *ProtocolError
		want string
	}{
		{&ProtocolError{Kind: ViolationLineTooLong, Line: 3}, "smtp: protocol error: line too long (line 3)"},
		{&ProtocolError{Kind: ViolationBadEnhancedCode}, "smtp: protocol error: bad enhanced status code"},
		{&ProtocolError{Kind: ViolationUnexpectedEOF, Line: 2, Err: io.ErrUnexpectedEOF}, "smtp: protocol error: unexpected EOF (line 2)"},
		{&ProtocolError{Kind: ViolationLineTooLong, Line: 1, Err: os.ErrDeadlineExceeded}, "smtp: protocol error: line too long (line 1): i/o timeout"},
		{&ProtocolError{Kind: ViolationUnexpectedReply, Err: errors.New("250 where 354 was expected")},
			"smtp: protocol error: unexpected reply: 250 where 354 was expected"},
		{&ProtocolError{}, "smtp: protocol error: Violation(0)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q, want %q", *tt.err, got, tt.want)
		}
	}
}

func TestProtocolErrorUnwrap(t *testing.T) {
	err := error(&ProtocolError{Kind: ViolationLineTooLong, Err: os.ErrDeadlineExceeded})
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("errors.Is(%v, os.ErrDeadlineExceeded) = false, want true", err)
	}
	if errors.Is(&ProtocolError{Kind: ViolationBadCode}, io.ErrUnexpectedEOF) {
		t.Errorf("errors.Is(bad code, io.ErrUnexpectedEOF) = true, want false")
	}
}

func TestViolationString(t *testing.T) {
	seen := map[string]Violation{}
	for v := ViolationLineTooLong; v <= ViolationUnexpectedReply; v++ {
		s := v.String()
		if s == "" || s[0] == 'V' {
			t.Errorf("Violation(%d).String() = %q, want a description", uint8(v), s)
		}
		if w, dup := seen[s]; dup {
			t.Errorf("Violation(%d) and Violation(%d) both print %q", uint8(w), uint8(v), s)
		}
		seen[s] = v
	}
	if got := (ViolationUnexpectedReply + 1).String(); got != "Violation(12)" {
		t.Errorf("Violation(12).String() = %q, want %q", got, "Violation(12)")
	}
}

func TestProtocolErrorRetry(t *testing.T) {
	// Whatever the violation, the connection is out of step: reconnect.
	for v := ViolationLineTooLong; v <= ViolationUnexpectedReply; v++ {
		err := fmt.Errorf("client: %w", &ProtocolError{Kind: v})
		if got := RetryFor(err); got != RetryNewConnection {
			t.Errorf("RetryFor(wrapped %v) = %v, want %v", v, got, RetryNewConnection)
		}
	}
}
