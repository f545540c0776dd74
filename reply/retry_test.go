package reply_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/seed-e4e66a4f/smtp/reply"
)

func TestRetryString(t *testing.T) {
	tests := []struct {
		r    reply.Retry
		want string
	}{
		{reply.RetryNever, "never"},
		{reply.RetryAfterAuth, "after authentication"},
		{reply.RetryAfterStartTLS, "after STARTTLS"},
		{reply.RetryNewConnection, "on a new connection"},
		{reply.RetryLater, "later"},
		{reply.Retry(99), "Retry(99)"},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("Retry(%d).String() = %q, want %q", uint8(tt.r), got, tt.want)
		}
	}
	var zero reply.Retry
	if zero != reply.RetryNever {
		t.Errorf("zero Retry = %v, want %v", zero, reply.RetryNever)
	}
}

// localError is a client-side error with its own advice, wrapping a cause.
type localError struct {
	retry reply.Retry
	err   error
}

func (e *localError) Error() string      { return "smtp: local: " + e.err.Error() }
func (e *localError) Unwrap() error      { return e.err }
func (e *localError) Retry() reply.Retry { return e.retry }

func TestRetryFor(t *testing.T) {
	auth := &reply.Error{Command: "MAIL FROM", Reply: reply.New(reply.CodeAuthRequired, reply.EnhancedCode{Class: 5, Subject: 7}, "Authentication required")}
	tempfail := &reply.Error{Command: "RCPT TO", Reply: reply.New(reply.CodeLocalError, reply.EnhancedCode{Class: 4, Subject: 3}, "Try again later")}
	tests := []struct {
		name string
		err  error
		want reply.Retry
	}{
		{"nil", nil, reply.RetryNever},
		{"530 auth", auth, reply.RetryAfterAuth},
		{"wrapped 451", fmt.Errorf("send: %w", tempfail), reply.RetryLater},
		{"outer Retry method wins", &localError{reply.RetryNever, auth}, reply.RetryNever},
		{"Retry method deep in the chain", fmt.Errorf("a: %w", &localError{reply.RetryNewConnection, io.EOF}), reply.RetryNewConnection},
		{"protocol error", &reply.ProtocolError{Kind: reply.ViolationLineTooLong, Line: 1}, reply.RetryNewConnection},
		{"EOF", io.EOF, reply.RetryNewConnection},
		{"wrapped unexpected EOF", fmt.Errorf("read reply: %w", io.ErrUnexpectedEOF), reply.RetryNewConnection},
		{"context canceled", fmt.Errorf("dial: %w", context.Canceled), reply.RetryNever},
		{"context deadline", context.DeadlineExceeded, reply.RetryNever},
		{"canceled while the connection was lost", errors.Join(context.Canceled, io.EOF), reply.RetryNever},
		{"I/O timeout (the client decides)", fmt.Errorf("read: %w", os.ErrDeadlineExceeded), reply.RetryNever},
		{"other", errors.New("smtp: invalid address"), reply.RetryNever},
	}
	for _, tt := range tests {
		if got := reply.RetryFor(tt.err); got != tt.want {
			t.Errorf("RetryFor(%s: %v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
