package client

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// closedAddr returns a loopback address where nothing listens: dialling it
// is refused.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// hungUp reports an error of a connection the server closed: the end of
// the stream, or a reset when the client wrote first.
func hungUp(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// funcDialer dials with a function.
type funcDialer func(ctx context.Context, network, addr string) (net.Conn, error)

func (f funcDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

// failDialer fails every dial with err, as net.Dialer reports it.
func failDialer(err error) funcDialer {
	return func(_ context.Context, network, addr string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
}

// blockDialer waits for ctx to end, as a dial to a silent host does, and
// calls cancel (if not nil) once it waits.
func blockDialer(cancel context.CancelFunc) funcDialer {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if cancel != nil {
			cancel()
		}
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
	}
}

// plainExt is an EHLO reply without PIPELINING, so that scripts see one
// command at a time.
const plainExt = "250-mx.example.test\r\n250 8BITMIME\r\n"

// plainHello is the greeting and an EHLO answered with plainExt.
var plainHello = []smtptest.Step{
	smtptest.Send("220 mx.example.test ESMTP\r\n"),
	smtptest.ExpectLine("EHLO client.test"),
	smtptest.Send(plainExt),
}

// envelopeSteps accept MAIL FROM:<a@example.test>, RCPT TO:<b@example.test>
// and DATA, one at a time.
var envelopeSteps = []smtptest.Step{
	smtptest.ExpectLine("MAIL FROM:<a@example.test>"), smtptest.Send("250 2.1.0 Ok\r\n"),
	smtptest.ExpectLine("RCPT TO:<b@example.test>"), smtptest.Send("250 2.1.5 Ok\r\n"),
	smtptest.ExpectLine("DATA"), smtptest.Send("354 End data with <CR><LF>.<CR><LF>\r\n"),
}

// deliverScript is a plain session that takes one message and QUIT.
func deliverScript() smtptest.Script {
	return script(plainHello, envelopeSteps, steps(
		smtptest.ExpectData(),
		smtptest.Send("250 2.0.0 Ok: queued as 4F2A1C0123\r\n"),
		smtptest.ExpectLine("QUIT"),
		smtptest.Send("221 2.0.0 Bye\r\n"),
		smtptest.ExpectClosed(),
	))
}

var testEnvelope = &Envelope{From: "a@example.test", To: []string{"b@example.test"}}

// TestRetryAdviceLocalFailures checks the advice reply.RetryFor gives for
// failures that are not server replies, and their types.
func TestRetryAdviceLocalFailures(t *testing.T) {
	tests := []struct {
		name    string
		script  smtptest.Script   // nil: no server
		srvOpts *smtptest.Options // for the server of script
		// run makes the failure; srv is nil when script is.
		run   func(t *testing.T, srv *smtptest.Server) error
		check func(error) bool
		want  reply.Retry
	}{
		{
			name: "connection refused",
			run: func(t *testing.T, _ *smtptest.Server) error {
				_, err := Dial(testCtx(t), closedAddr(t), plain(nil))
				return err
			},
			check: func(err error) bool {
				e, ok := errors.AsType[*ConnError](err)
				return ok && e.Op == "dial" && errors.Is(err, syscall.ECONNREFUSED)
			},
			want: reply.RetryNewConnection,
		},
		{
			name: "DNS temporary failure",
			run: func(t *testing.T, _ *smtptest.Server) error {
				o := plain(nil)
				o.Dialer = failDialer(&net.DNSError{Err: "server misbehaving", Name: "mx.example.test", IsTemporary: true})
				_, err := Dial(testCtx(t), "mx.example.test:25", o)
				return err
			},
			check: func(err error) bool {
				e, ok := errors.AsType[*net.DNSError](err)
				return ok && e.IsTemporary
			},
			want: reply.RetryNewConnection,
		},
		{
			name: "DNS no such host",
			run: func(t *testing.T, _ *smtptest.Server) error {
				o := plain(nil)
				o.Dialer = failDialer(&net.DNSError{Err: "no such host", Name: "mx.example.test", IsNotFound: true})
				_, err := Dial(testCtx(t), "mx.example.test:25", o)
				return err
			},
			check: func(err error) bool {
				e, ok := errors.AsType[*net.DNSError](err)
				return ok && e.IsNotFound
			},
			want: reply.RetryNever,
		},
		{
			name: "dial timeout",
			run: func(t *testing.T, _ *smtptest.Server) error {
				o := plain(&Options{Timeouts: Timeouts{Dial: 50 * time.Millisecond}})
				o.Dialer = blockDialer(nil)
				_, err := Dial(testCtx(t), "mx.example.test:25", o)
				return err
			},
			check: func(err error) bool {
				e, ok := errors.AsType[*ConnError](err)
				return ok && e.Op == "dial" && e.Addr == "mx.example.test:25"
			},
			want: reply.RetryNewConnection,
		},
		{
			name: "caller cancels the dial",
			run: func(t *testing.T, _ *smtptest.Server) error {
				ctx, cancel := context.WithCancel(testCtx(t))
				o := plain(nil)
				o.Dialer = blockDialer(cancel)
				_, err := Dial(ctx, "mx.example.test:25", o)
				return err
			},
			check: func(err error) bool {
				_, isConn := errors.AsType[*ConnError](err)
				return errors.Is(err, context.Canceled) && !isConn
			},
			want: reply.RetryNever,
		},
		{
			name:   "hang-up after the greeting",
			script: steps(smtptest.Send("220 mx.example.test ESMTP\r\n"), smtptest.Close()),
			run: func(t *testing.T, srv *smtptest.Server) error {
				_, err := Dial(testCtx(t), srv.Addr(), plain(nil))
				return err
			},
			check: func(err error) bool {
				e, ok := errors.AsType[*ConnError](err)
				return ok && e.Op == "EHLO" && hungUp(err)
			},
			want: reply.RetryNewConnection,
		},
		{
			name: "MAIL times out, then the broken client",
			script: script(plainHello, steps(
				smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
				smtptest.StallUntilClosed(),
			)),
			run: func(t *testing.T, srv *smtptest.Server) error {
				ctx := testCtx(t)
				c, err := Dial(ctx, srv.Addr(), plain(&Options{Timeouts: Timeouts{Mail: 50 * time.Millisecond}}))
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.Mail(ctx, "a@example.test", nil)
				if e, ok := errors.AsType[*ConnError](err); !ok || e.Op != "MAIL FROM" || !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("Mail() = %v, want a *ConnError for MAIL FROM matching os.ErrDeadlineExceeded", err)
				}
				if got := reply.RetryFor(err); got != reply.RetryNewConnection {
					t.Errorf("RetryFor(%v) = %v, want %v", err, got, reply.RetryNewConnection)
				}
				_, err = c.Noop(ctx)
				return err
			},
			check: func(err error) bool {
				return errors.Is(err, ErrBroken) && errors.Is(err, os.ErrDeadlineExceeded)
			},
			want: reply.RetryNewConnection,
		},
		{
			name: "lost after MAIL and RCPT were accepted",
			script: script(plainHello, steps(
				smtptest.ExpectLine("MAIL FROM:<a@example.test>"), smtptest.Send("250 2.1.0 Ok\r\n"),
				smtptest.ExpectLine("RCPT TO:<b@example.test>"), smtptest.Send("250 2.1.5 Ok\r\n"),
				smtptest.Close(),
			)),
			run: func(t *testing.T, srv *smtptest.Server) error {
				ctx := testCtx(t)
				c, err := Dial(ctx, srv.Addr(), plain(nil))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.Mail(ctx, "a@example.test", nil); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Rcpt(ctx, "b@example.test", nil); err != nil {
					t.Fatal(err)
				}
				_, err = c.Data(ctx)
				return err
			},
			check: func(err error) bool {
				_, ok := errors.AsType[*ConnError](err)
				return ok && !errors.Is(err, ErrDeliveryUnknown)
			},
			want: reply.RetryNewConnection,
		},
		{
			name:   "lost while the body is written",
			script: script(plainHello, envelopeSteps, steps(smtptest.Close())),
			run: func(t *testing.T, srv *smtptest.Server) error {
				ctx := testCtx(t)
				c, err := Dial(ctx, srv.Addr(), plain(&Options{Timeouts: Timeouts{DataBlock: 2 * time.Second}}))
				if err != nil {
					t.Fatal(err)
				}
				c.Mail(ctx, "a@example.test", nil)
				c.Rcpt(ctx, "b@example.test", nil)
				w, err := c.Data(ctx)
				if err != nil {
					t.Fatal(err)
				}
				line := strings.Repeat("x", 900) + "\r\n"
				for range 2 << 10 { // 1.8 MB at most: more than one write
					if _, err = io.WriteString(w, line); err != nil {
						break
					}
				}
				if err == nil {
					t.Fatal("every Write succeeded on a closed connection")
				}
				if cerr := w.Close(); !errors.Is(cerr, ErrBroken) && cerr != err {
					t.Errorf("Close() after a failed Write = %v, want the Write error %v", cerr, err)
				}
				return err
			},
			check: func(err error) bool {
				_, ok := errors.AsType[*ConnError](err)
				return ok && !errors.Is(err, ErrDeliveryUnknown)
			},
			want: reply.RetryNewConnection,
		},
		{
			name: "caller cancels during MAIL",
			script: script(plainHello, steps(
				smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
				smtptest.StallUntilClosed(),
			)),
			run: func(t *testing.T, srv *smtptest.Server) error {
				c, err := Dial(testCtx(t), srv.Addr(), plain(nil))
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(testCtx(t))
				time.AfterFunc(20*time.Millisecond, cancel)
				_, err = c.Mail(ctx, "a@example.test", nil)
				return err
			},
			check: func(err error) bool { return errors.Is(err, context.Canceled) },
			want:  reply.RetryNever,
		},
		{
			name: "untrusted certificate",
			script: startTLSScript(
				smtptest.Send("220 2.0.0 Ready to start TLS\r\n"),
				smtptest.StartTLS(),
			),
			run: func(t *testing.T, srv *smtptest.Server) error {
				_, err := Dial(testCtx(t), srv.Addr(), &Options{LocalName: "client.test"})
				return err
			},
			check: func(err error) bool {
				e, ok := errors.AsType[*TLSError](err)
				_, cert := errors.AsType[*tls.CertificateVerificationError](err)
				return ok && e.Reason == TLSReasonHandshake && cert
			},
			want: reply.RetryNever,
		},
		{
			name: "no common TLS version",
			script: startTLSScript(
				smtptest.Send("220 2.0.0 Ready to start TLS\r\n"),
				smtptest.StartTLS(),
			),
			srvOpts: &smtptest.Options{TLSConfig: &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}},
			run: func(t *testing.T, srv *smtptest.Server) error {
				_, err := Dial(testCtx(t), srv.Addr(), &Options{LocalName: "client.test", TLSConfig: srv.ClientTLSConfig()})
				return err
			},
			check: func(err error) bool {
				e, ok := errors.AsType[*TLSError](err)
				return ok && e.Reason == TLSReasonHandshake
			},
			want: reply.RetryNever,
		},
		{
			name: "connection cut during the TLS handshake",
			script: startTLSScript(
				smtptest.Send("220 2.0.0 Ready to start TLS\r\n"),
				smtptest.Close(),
			),
			run: func(t *testing.T, srv *smtptest.Server) error {
				_, err := Dial(testCtx(t), srv.Addr(), &Options{LocalName: "client.test", TLSConfig: srv.ClientTLSConfig()})
				return err
			},
			check: func(err error) bool {
				e, ok := errors.AsType[*TLSError](err)
				return ok && e.Reason == TLSReasonHandshake && hungUp(err)
			},
			want: reply.RetryNewConnection,
		},
		{
			name: "invalid input",
			script: script(plainHello, steps(
				smtptest.ExpectLine("QUIT"), smtptest.Send("221 bye\r\n"),
			)),
			run: func(t *testing.T, srv *smtptest.Server) error {
				ctx := testCtx(t)
				c, err := Dial(ctx, srv.Addr(), plain(nil))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Quit(ctx)
				_, err = c.Mail(ctx, "a@example.test>\r\nRCPT TO:<x@example.test", nil)
				return err
			},
			check: func(err error) bool { _, ok := errors.AsType[*InputError](err); return ok },
			want:  reply.RetryNever,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *smtptest.Server
			if tt.script != nil {
				srv = smtptest.Start(t, tt.srvOpts, tt.script)
			}
			var err error
			within(t, tt.name, func() { err = tt.run(t, srv) })
			if err == nil || !tt.check(err) {
				t.Errorf("error = %v (%T); not the one expected", err, err)
			}
			if got := reply.RetryFor(err); got != tt.want {
				t.Errorf("RetryFor(%v) = %v, want %v", err, got, tt.want)
			}
			if srv != nil {
				srv.Close()
			}
		})
	}
}

// refuseFirst dials a closed port for the first n dials (a real
// ECONNREFUSED), then dials for real; it counts dials.
type refuseFirst struct {
	countingDialer
	n      int
	closed string
}

func (d *refuseFirst) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.dials() < d.n {
		addr = d.closed
	}
	return d.countingDialer.DialContext(ctx, network, addr)
}

// TestSendMailRetriesLocalFailures checks which local failures SendMail
// retries on a new connection, and that it never retries after the final
// dot.
func TestSendMailRetriesLocalFailures(t *testing.T) {
	tests := []struct {
		name       string
		scripts    []smtptest.Script
		dialer     func(t *testing.T) interface{ dials() int }
		timeouts   Timeouts
		readBuffer int    // the server's SO_RCVBUF, if positive
		body       string // "" means testMessage
		dials      int    // connections opened
		delivered  int    // messages the server received whole
		check      func(error) bool
	}{
		{
			name:    "connection refused, then the server is up",
			scripts: []smtptest.Script{deliverScript()},
			dialer: func(t *testing.T) interface{ dials() int } {
				return &refuseFirst{n: 1, closed: closedAddr(t)}
			},
			dials: 2, delivered: 1,
		},
		{
			name: "hang-up after the greeting, then a session",
			scripts: []smtptest.Script{
				steps(smtptest.Send("220 mx.example.test ESMTP\r\n"), smtptest.Close()),
				deliverScript(),
			},
			dials: 2, delivered: 1,
		},
		{
			name: "MAIL times out, then a session",
			scripts: []smtptest.Script{
				script(plainHello, steps(smtptest.ExpectLine("MAIL FROM:<a@example.test>"), smtptest.StallUntilClosed())),
				deliverScript(),
			},
			timeouts: Timeouts{Mail: 100 * time.Millisecond},
			dials:    2, delivered: 1,
		},
		{
			// The body is larger than the socket buffers, so that writing
			// it fails before the final dot is sent.
			// Small socket buffers on both sides: the body cannot all
			// land in kernel buffers before the hang-up, so the write
			// fails before the final dot, whatever the machine's TCP
			// autotuning.
			name: "hang-up after 354, then a session",
			scripts: []smtptest.Script{
				script(plainHello, envelopeSteps, steps(smtptest.Close())),
				deliverScript(),
			},
			readBuffer: 16 << 10,
			dialer: func(t *testing.T) interface{ dials() int } {
				return &countingDialer{sndbuf: 16 << 10}
			},
			body:  testMessage + strings.Repeat(strings.Repeat("x", 900)+"\r\n", 2<<10),
			dials: 2, delivered: 1,
		},
		{
			name: "cut after the final dot: one attempt only",
			scripts: []smtptest.Script{
				script(plainHello, envelopeSteps, steps(smtptest.ExpectData(), smtptest.Close())),
				deliverScript(), // a retry would deliver a duplicate here
			},
			dials: 1, delivered: 1,
			check: func(err error) bool {
				return errors.Is(err, ErrDeliveryUnknown) && reply.RetryFor(err) == reply.RetryNever
			},
		},
		{
			name: "no such host: one attempt",
			dialer: func(t *testing.T) interface{ dials() int } {
				d := &countingDialer{}
				return &countingFail{countingDialer: d, err: &net.DNSError{Err: "no such host", Name: "mx.example.test", IsNotFound: true}}
			},
			dials: 1, delivered: 0,
			check: func(err error) bool { _, ok := errors.AsType[*net.DNSError](err); return ok },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, &smtptest.Options{Timeout: 2 * time.Second, ReadBuffer: tt.readBuffer}, tt.scripts...)
			opts := plain(&Options{Timeouts: tt.timeouts})
			opts.Retry = fastRetry
			var d interface{ dials() int } = &countingDialer{}
			if tt.dialer != nil {
				d = tt.dialer(t)
			}
			opts.Dialer = d.(ContextDialer)
			var (
				res Result
				err error
			)
			body := tt.body
			if body == "" {
				body = testMessage
			}
			within(t, "SendMail", func() {
				res, err = SendMail(testCtx(t), srv.Addr(), opts, testEnvelope, strings.NewReader(body))
			})
			if (tt.check == nil) != (err == nil) || (tt.check != nil && !tt.check(err)) {
				t.Errorf("SendMail = %v, %v; not the outcome expected", res.State, err)
			}
			if tt.check == nil && res.State != DeliveryComplete {
				t.Errorf("SendMail state = %v, want %v", res.State, DeliveryComplete)
			}
			if got := d.dials(); got != tt.dials {
				t.Errorf("SendMail opened %d connections, want %d", got, tt.dials)
			}
			srv.Close()
			data := srv.Data()
			if len(data) != tt.delivered {
				t.Fatalf("server received %d messages, want %d", len(data), tt.delivered)
			}
			if tt.delivered == 1 && string(data[0]) != body+".\r\n" {
				t.Errorf("server received %d octets, want the whole message of %d and the dot", len(data[0]), len(body))
			}
		})
	}
}

// countingFail counts dials and fails each with err.
type countingFail struct {
	*countingDialer
	err error
}

func (d *countingFail) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.n++
	d.mu.Unlock()
	return failDialer(d.err)(ctx, network, addr)
}
