package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// RetryPolicy says how [SendMail] retries. The zero value selects the
// defaults of each field.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts, the first one included. Zero
	// means 3; 1 means no retry.
	MaxAttempts int
	// InitialDelay is the pause before the second attempt; each later
	// pause doubles, up to MaxDelay. Zero means 1 second.
	InitialDelay time.Duration
	// MaxDelay caps the pause between two attempts. Zero means 30
	// seconds.
	MaxDelay time.Duration
}

// The defaults of RetryPolicy.
const (
	defaultMaxAttempts  = 3
	defaultInitialDelay = 1 * time.Second
	defaultMaxDelay     = 30 * time.Second
)

// delay returns the pause before attempt n+1 (n ≥ 1): exponential back-off
// with "equal jitter", a random duration between half the step and the
// step, so that clients that failed together do not retry together.
func (p *RetryPolicy) delay(n int) time.Duration {
	d, max := p.InitialDelay, p.MaxDelay
	if d <= 0 {
		d = defaultInitialDelay
	}
	if max <= 0 {
		max = defaultMaxDelay
	}
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	half := d / 2
	return half + rand.N(d-half+1)
}

// pause returns the pause before attempt n+1 after err: the back-off of
// delay, two steps further along (four times longer, up to MaxDelay) when
// the server said it is rate limiting ([reply.IsRateLimited]), as
// [reply.RetryDelay] advises a longer wait for those.
func (p *RetryPolicy) pause(n int, err error) time.Duration {
	if reply.IsRateLimited(err) {
		n += 2
	}
	return p.delay(n)
}

func (p *RetryPolicy) attempts() int {
	if p.MaxAttempts <= 0 {
		return defaultMaxAttempts
	}
	return p.MaxAttempts
}

// SendMail sends one message on a new connection to addr ("host:port")
// and closes it: [Dial] with opts (nil means a zero Options), [Client.Send]
// with env and body, [Client.Quit]. With opts.Auth set it authenticates
// before MAIL FROM (with [AuthOnDemand], when the server asks), as Send
// does.
//
// SendMail retries on a new connection, after a pause, when the failure's
// [reply.RetryFor] advice is [reply.RetryLater] (a transient 4xx reply) or
// [reply.RetryNewConnection]: a 421, a [*ConnError] (connection refused,
// a temporary DNS failure, a dial timeout, a connection lost, reset or
// timed out before the final "." was sent, so that nothing was delivered),
// a protocol error, or a TLS handshake that failed on I/O. Attempts and
// pauses follow opts.Retry ([RetryPolicy]: by default 3 attempts, pauses
// from 1 s doubling up to 30 s, with jitter; after a rate limiting reply
// the pause is that of two attempts later, four times as long). It never retries a permanent
// failure, invalid input, a TLS policy or certificate failure, a partial
// delivery or an unknown outcome ([DeliveryUnknown], an error matching
// [ErrDeliveryUnknown]: the server may have the message, and a retry could
// deliver it twice). ctx bounds everything, pauses included; once it ends
// nothing is retried.
//
// body is read once per attempt from its start: SendMail seeks it to the
// beginning (io.SeekStart) before each attempt. A *bytes.Reader,
// *strings.Reader or *os.File works; for a []byte, pass
// bytes.NewReader(b).
//
// The Result and error are those of the last attempt. When ctx ends during
// a pause, the error wraps both the context's error and the last failure.
// A failed QUIT after the message was accepted is not an error.
func SendMail(ctx context.Context, addr string, opts *Options, env *Envelope, body io.ReadSeeker) (Result, error) {
	var policy RetryPolicy
	if opts != nil {
		policy = opts.Retry
	}
	if body == nil {
		return Result{}, &InputError{Field: "body", Reason: "nil reader"}
	}
	max := policy.attempts()
	for n := 1; ; n++ {
		res, err := sendOnce(ctx, addr, opts, env, body)
		if err == nil || n >= max || res.State == DeliveryPartial || res.State == DeliveryUnknown ||
			errors.Is(err, ErrDeliveryUnknown) || ctx.Err() != nil {
			return res, err
		}
		switch reply.RetryFor(err) {
		case reply.RetryLater, reply.RetryNewConnection:
		default:
			return res, err
		}
		t := time.NewTimer(policy.pause(n, err))
		select {
		case <-ctx.Done():
			t.Stop()
			return res, fmt.Errorf("smtp: SendMail: %w while waiting to retry after: %w", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// sendOnce is one attempt of SendMail.
func sendOnce(ctx context.Context, addr string, opts *Options, env *Envelope, body io.ReadSeeker) (Result, error) {
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return Result{}, &InputError{Field: "body", Reason: "cannot seek to the start: " + err.Error()}
	}
	c, err := Dial(ctx, addr, opts)
	if err != nil {
		return Result{}, err
	}
	res, err := c.Send(ctx, env, body)
	if err != nil {
		if c.err == nil && !errors.Is(err, ErrDeliveryUnknown) {
			c.Quit(ctx)
		}
		c.Close()
		return res, err
	}
	c.Quit(ctx)
	return res, nil
}
