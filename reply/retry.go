package reply

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"
)

// Retry is advice on whether and how an operation that failed may be tried
// again. The zero value is [RetryNever].
type Retry uint8

// The kinds of retry advice.
const (
	// RetryNever: do not send the same thing again; something must change
	// first (a permanent reply, invalid input, a TLS policy failure, a
	// canceled context).
	RetryNever Retry = iota
	// RetryAfterAuth: authenticate (AUTH) on this connection, then send the
	// command again.
	RetryAfterAuth
	// RetryAfterStartTLS: start TLS (STARTTLS, or connect with implicit
	// TLS), then authenticate if needed and send the command again.
	RetryAfterStartTLS
	// RetryNewConnection: this connection is finished (421, lost or broken
	// connection); open a new one and start over.
	RetryNewConnection
	// RetryLater: a transient failure; try again later on any connection,
	// with back-off.
	RetryLater
)

var retryNames = [...]string{
	RetryNever:         "never",
	RetryAfterAuth:     "after authentication",
	RetryAfterStartTLS: "after STARTTLS",
	RetryNewConnection: "on a new connection",
	RetryLater:         "later",
}

// String returns a short description of r, such as "after STARTTLS" or
// "later", and "Retry(N)" for an undefined value.
func (r Retry) String() string {
	if int(r) < len(retryNames) {
		return retryNames[r]
	}
	return "Retry(" + strconv.Itoa(int(r)) + ")"
}

// RetryFor returns advice on retrying the operation that returned err:
//
//   - nil: [RetryNever] (nothing failed).
//   - An error in err's chain with a method Retry() Retry (found with
//     [errors.As]; the first one wins) decides. [*Error] has one: 421 is
//     [RetryNewConnection]; a reply asking for TLS ([ErrTLSRequired]: a 530
//     about STARTTLS, 523, 538) is [RetryAfterStartTLS]; a reply asking for
//     authentication ([ErrAuthRequired]) is [RetryAfterAuth]; any other 4xx
//     is [RetryLater] and any other 5xx [RetryNever]. [*ProtocolError] is
//     [RetryNewConnection]; the client's own error types document theirs.
//   - [context.Canceled] or [context.DeadlineExceeded]: [RetryNever]; the
//     caller gave up.
//   - [io.EOF] or [io.ErrUnexpectedEOF]: [RetryNewConnection]; the
//     connection was lost.
//   - Anything else: [RetryNever].
func RetryFor(err error) Retry {
	if err == nil {
		return RetryNever
	}
	var r interface{ Retry() Retry }
	if errors.As(err, &r) {
		return r.Retry()
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return RetryNever
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return RetryNewConnection
	}
	return RetryNever
}

// The pauses [RetryDelay] advises.
const (
	// TransientDelay is the pause before retrying a transient failure
	// that is not rate limiting: long enough for a restarted or
	// reconfigured server, short enough for a greylisting one.
	TransientDelay = time.Minute
	// RateLimitedDelay is the pause before retrying after a rate limit or
	// greylisting: postgrey's default greylisting delay (300 s), and
	// Microsoft's and Gmail's advice to slow down and retry later.
	RateLimitedDelay = 5 * time.Minute
)

// RetryDelay returns the shortest pause advised before the retry that
// [RetryFor] advises for err: an error in err's chain with a method
// RetryDelay() time.Duration decides ([*Error] has one:
// [RateLimitedDelay] for a rate limited reply, [TransientDelay] for another
// transient reply); otherwise 0. A retry loop waits at least this long,
// with its own back-off on top.
func RetryDelay(err error) time.Duration {
	var d interface{ RetryDelay() time.Duration }
	if errors.As(err, &d) {
		return d.RetryDelay()
	}
	return 0
}
