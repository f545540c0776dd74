package client

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"
	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// countingDialer counts the connections SendMail opens.
type countingDialer struct {
	mu sync.Mutex
	n  int
	d  net.Dialer
	// sndbuf, if positive, is the send buffer size (SO_SNDBUF) of every
	// connection, so that writes block once the server stops reading.
	sndbuf int
}

func (d *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.n++
	d.mu.Unlock()
	c, err := d.d.DialContext(ctx, network, addr)
	if tc, ok := c.(*net.TCPConn); ok && d.sndbuf > 0 {
		if err := tc.SetWriteBuffer(d.sndbuf); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, err
}

func (d *countingDialer) dials() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n
}

// fastRetry retries quickly: the tests check what is retried, not when.
var fastRetry = RetryPolicy{InitialDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}

func TestSendMailRetryPolicy(t *testing.T) {
	tempMail := &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	permMail := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Sender blocked"}
	tests := []struct {
		name      string
		be        *authBackend
		to        string
		auth      bool
		attempts  int
		state     DeliveryState
		dials     int
		delivered int
		check     func(error) bool
	}{
		{"421 then a new connection", &authBackend{noAuthCheck: true, mail421: 1}, "rcpt@example.test", false, 0, DeliveryComplete, 2, 1, nil},
		{"451 after the data, body read again", &authBackend{noAuthCheck: true, data451: 1}, "rcpt@example.test", false, 0, DeliveryComplete, 2, 1, nil},
		{"transient until the last attempt", &authBackend{mailErr: tempMail}, "rcpt@example.test", false, 3, DeliveryRejected, 3, 0, reply.IsTemporary},
		{"no retry with MaxAttempts 1", &authBackend{mailErr: tempMail}, "rcpt@example.test", false, 1, DeliveryRejected, 1, 0, reply.IsTemporary},
		{"permanent never retried", &authBackend{mailErr: permMail}, "rcpt@example.test", false, 0, DeliveryRejected, 1, 0, reply.IsPermanent},
		{"partial never retried", &authBackend{noAuthCheck: true}, "tempfail@example.test", false, 0, DeliveryPartial, 1, 1, reply.IsTemporary},
		{"auth required, no credentials", &authBackend{mechs: []string{"PLAIN"}}, "rcpt@example.test", false, 0, DeliveryRejected, 1, 0, reply.IsAuthRequired},
		{"auth required, credentials", &authBackend{mechs: []string{"PLAIN"}}, "rcpt@example.test", true, 0, DeliveryComplete, 1, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startAuthServer(t, tt.be)
			d := &countingDialer{}
			opts := secureOpts(nil)
			opts.Dialer = d
			opts.Retry = fastRetry
			opts.Retry.MaxAttempts = tt.attempts
			if tt.auth {
				opts.Auth = sasl.Password(authUser, authPassword)
			}
			to := []string{tt.to}
			if tt.state == DeliveryPartial {
				to = append(to, "rcpt@example.test")
			}
			res, err := SendMail(testCtx(t), srv.addr, opts, &Envelope{From: authUser, To: to}, strings.NewReader(testMessage))
			if res.State != tt.state || (tt.check == nil) != (err == nil) || (tt.check != nil && !tt.check(err)) {
				t.Errorf("SendMail = %v, %v; want %v", res.State, err, tt.state)
			}
			if got := d.dials(); got != tt.dials {
				t.Errorf("SendMail opened %d connections, want %d", got, tt.dials)
			}
			msgs := srv.messages()
			if len(msgs) != tt.delivered {
				t.Fatalf("server got %d messages, want %d", len(msgs), tt.delivered)
			}
			if len(msgs) == 1 && string(msgs[0].Data) != testMessage {
				t.Errorf("server got %q, want the whole message %q", msgs[0].Data, testMessage)
			}
		})
	}
}

func TestSendMailUnknownNeverRetried(t *testing.T) {
	srv := smtptest.Start(t, nil, tlsOpening([]string{"STARTTLS"}, []string{"PIPELINING"},
		append(pipelinedOK, smtptest.ExpectData(), smtptest.Close())...))
	d := &countingDialer{}
	opts := scriptedOpts(srv, TLSStartTLS, nil)
	opts.Dialer = d
	opts.Retry = fastRetry
	res, err := SendMail(testCtx(t), srv.Addr(), opts, &Envelope{From: authUser, To: []string{"rcpt@example.test"}}, strings.NewReader(testMessage))
	if res.State != DeliveryUnknown || !errors.Is(err, ErrDeliveryUnknown) {
		t.Errorf("SendMail cut after the final dot = %v, %v; want unknown", res.State, err)
	}
	if n := d.dials(); n != 1 {
		t.Errorf("SendMail opened %d connections; want 1: a retry could duplicate the message", n)
	}
	if err := srv.Wait(); err != nil {
		t.Errorf("server script: %v", err)
	}
}

func TestSendMailContextEndsDuringPause(t *testing.T) {
	srv := startAuthServer(t, &authBackend{mailErr: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "later"}})
	opts := secureOpts(nil)
	opts.Retry = RetryPolicy{InitialDelay: time.Hour, MaxDelay: time.Hour}
	ctx, cancel := context.WithTimeout(testCtx(t), time.Second)
	defer cancel()
	_, err := SendMail(ctx, srv.addr, opts, &Envelope{From: authUser, To: []string{"rcpt@example.test"}}, strings.NewReader(testMessage))
	if !errors.Is(err, context.DeadlineExceeded) || !reply.IsTemporary(err) {
		t.Errorf("SendMail with ctx ending during the pause = %v; want the context's error and the 451", err)
	}
}

func TestSendMailNilBody(t *testing.T) {
	_, err := SendMail(testCtx(t), "127.0.0.1:1", nil, &Envelope{To: []string{"a@example.test"}}, nil)
	if _, ok := errors.AsType[*InputError](err); !ok {
		t.Errorf("SendMail(nil body) = %v; want *InputError", err)
	}
}

func TestRetryPolicyDelay(t *testing.T) {
	tests := []struct {
		p     RetryPolicy
		steps []time.Duration // the un-jittered pause before attempt n+1
	}{
		{RetryPolicy{}, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}},
		{RetryPolicy{InitialDelay: 100 * time.Millisecond, MaxDelay: 250 * time.Millisecond}, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond}},
	}
	for _, tt := range tests {
		for i, step := range tt.steps {
			for range 50 {
				if d := tt.p.delay(i + 1); d < step/2 || d > step {
					t.Fatalf("%+v.delay(%d) = %v, want within [%v, %v]", tt.p, i+1, d, step/2, step)
				}
			}
		}
	}
	if got := (&RetryPolicy{}).attempts(); got != 3 {
		t.Errorf("default attempts = %d, want 3", got)
	}
}

// After a rate limiting reply SendMail pauses as it would two attempts
// later; after any other failure, as the back-off says.
func TestRetryPolicyPauseRateLimited(t *testing.T) {
	p := RetryPolicy{InitialDelay: time.Second, MaxDelay: time.Hour}
	throttled := &reply.Error{Command: "MAIL FROM", Reply: reply.New(454, reply.EnhancedCode{}, "Throttling failure: Maximum sending rate exceeded.")}
	plain := &reply.Error{Command: "MAIL FROM", Reply: reply.New(451, reply.EnhancedCode{Class: 4, Subject: 3, Detail: 0}, "Temporary local problem")}
	for n := 1; n <= 3; n++ {
		if d, lo, hi := p.pause(n, throttled), (2*time.Second<<n)/2, 2*time.Second<<n; d < lo || d > hi {
			t.Errorf("pause(%d, rate limited) = %v, want within [%v, %v]", n, d, lo, hi)
		}
		if d, lo, hi := p.pause(n, plain), (time.Second<<(n-1))/2, time.Second<<(n-1); d < lo || d > hi {
			t.Errorf("pause(%d, 451) = %v, want within [%v, %v]", n, d, lo, hi)
		}
	}
}
