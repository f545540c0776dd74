//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris

package client

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// These tests need the look into the socket (peek_unix.go): the bytes they
// send arrive after the client read its last reply, so that they are in the
// socket and not yet in the client's buffer.

// signal returns a step that closes ch.
func signal(ch chan struct{}) smtptest.Step {
	return smtptest.Func(func() error { close(ch); return nil })
}

// awaitStep returns a step that waits until the test closes ch.
func awaitStep(ch chan struct{}) smtptest.Step {
	return smtptest.Func(func() error {
		select {
		case <-ch:
			return nil
		case <-time.After(hang):
			return errors.New("the test did not go on")
		}
	})
}

// await waits until the server's script closes ch.
func await(t *testing.T, ch chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(hang):
		t.Fatal("the server script did not get there")
	}
}

// waitReadable waits until the kernel has bytes (or the end of the
// stream) from the server in c's socket: the server's write has returned,
// but on some systems delivery to the receiving socket may lag a little.
func waitReadable(t *testing.T, c *Client) {
	t.Helper()
	if c.peek == nil {
		t.Fatal("no TCP socket under the client")
	}
	deadline := time.Now().Add(hang)
	for c.peek.peek() == peekNothing {
		if time.Now().After(deadline) {
			t.Fatal("the server's bytes never reached the client's socket")
		}
		time.Sleep(time.Millisecond)
	}
}

// opening is the start of a session, ending with an EHLO reply, and how the
// client connects to it.
type opening struct {
	name    string
	srvOpts *smtptest.Options
	steps   []smtptest.Step
	dial    func(t *testing.T, srv *smtptest.Server) *Client
}

// openings returns a plain-text opening, a STARTTLS one, and an implicit
// TLS one where the caller makes the *tls.Conn and gives it to New; the
// EHLO replies advertise ext.
func openings(ext ...string) []opening {
	greet := steps(
		smtptest.Send("220 mx.example.test ESMTP\r\n"),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send(ehloLines(ext...)),
	)
	dial := func(opts func(*smtptest.Server) *Options) func(*testing.T, *smtptest.Server) *Client {
		return func(t *testing.T, srv *smtptest.Server) *Client {
			c, err := Dial(testCtx(t), srv.Addr(), opts(srv))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
	}
	return []opening{
		{"plain", nil, greet, dial(func(*smtptest.Server) *Options { return plain(nil) })},
		{"STARTTLS", nil, tlsOpening([]string{"STARTTLS"}, ext), dial(func(srv *smtptest.Server) *Options {
			return scriptedOpts(srv, TLSStartTLS, nil)
		})},
		{"New with a *tls.Conn", &smtptest.Options{ImplicitTLS: true}, greet, func(t *testing.T, srv *smtptest.Server) *Client {
			conn, err := tls.Dial("tcp4", srv.Addr(), srv.ClientTLSConfig())
			if err != nil {
				t.Fatal(err)
			}
			c, err := New(testCtx(t), conn, &Options{LocalName: "client.test"})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}},
	}
}

// injected starts o's server with a script that runs before, waits until
// the client has run first (which takes every reply of before; nil runs
// nothing), then runs inject and expects the client to close. It returns
// once the injected bytes (or the end of the stream) are in the client's
// socket and not yet in its buffer. The client is closed when the test
// ends.
func injected(t *testing.T, o opening, before []smtptest.Step, first func(c *Client), inject smtptest.Step) (*smtptest.Server, *Client) {
	t.Helper()
	firstDone, injectDone := make(chan struct{}), make(chan struct{})
	s := append(slices.Clip(before), awaitStep(firstDone), inject, signal(injectDone), smtptest.ExpectClosed())
	srv := smtptest.Start(t, o.srvOpts, script(o.steps, s))
	c := o.dial(t, srv)
	t.Cleanup(func() { c.Close() })
	if first != nil {
		first(c)
	}
	close(firstDone)
	await(t, injectDone)
	waitReadable(t, c)
	return srv, c
}

// noopOK is the server's side of one NOOP, answered 250.
var noopOK = steps(smtptest.ExpectLine("NOOP"), smtptest.Send("250 2.0.0 Ok\r\n"))

// noop sends a NOOP and fails the test unless it succeeds.
func noop(t *testing.T, ctx context.Context, c *Client) {
	t.Helper()
	if _, err := c.Noop(ctx); err != nil {
		t.Fatalf("Noop() = %v", err)
	}
}

// TestUnsolicitedLateReply: the server answers MAIL, then sends another
// reply once the client has read the first. The extra reply is in the
// socket when the client is about to write RCPT: it must stop, and RCPT
// must not reach the server.
func TestUnsolicitedLateReply(t *testing.T) {
	for _, o := range openings() {
		t.Run(o.name, func(t *testing.T) {
			ctx := testCtx(t)
			srv, c := injected(t, o, steps(
				smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
				smtptest.Send("250 ok\r\n"),
			), func(c *Client) {
				if _, err := c.Mail(ctx, "a@example.test", nil); err != nil {
					t.Fatalf("Mail() = %v", err)
				}
			}, smtptest.Send("250 ok\r\n"))
			if n := c.br.Buffered(); n != 0 {
				t.Fatalf("%d bytes already buffered: this test is about bytes still in the socket", n)
			}

			var r reply.Reply
			var err error
			within(t, "Rcpt", func() { r, err = c.Rcpt(ctx, "b@example.test", nil) })
			if pe, ok := errors.AsType[*reply.ProtocolError](err); !ok || pe.Kind != reply.ViolationUnsolicited {
				t.Fatalf("Rcpt() after a late extra reply = %v, %v; want *reply.ProtocolError ViolationUnsolicited", r, err)
			}
			if got := reply.RetryFor(err); got != reply.RetryNewConnection {
				t.Errorf("RetryFor(%v) = %v, want %v", err, got, reply.RetryNewConnection)
			}
			if _, err := c.Noop(ctx); !errors.Is(err, ErrBroken) {
				t.Errorf("Noop() after = %v, want ErrBroken", err)
			}
			waitScript(t, srv) // ExpectClosed: the client sent nothing more
			if rest := after(srv.Received(), "MAIL FROM:<a@example.test>\r\n"); rest != "" {
				t.Errorf("client sent %q after MAIL, want nothing", rest)
			}
		})
	}
}

// TestUnsolicitedBeforePipelinedBatch: with PIPELINING, the check runs
// before the first write of a batch.
func TestUnsolicitedBeforePipelinedBatch(t *testing.T) {
	for _, o := range openings("PIPELINING") {
		t.Run(o.name, func(t *testing.T) {
			ctx := testCtx(t)
			srv, c := injected(t, o, noopOK, func(c *Client) {
				if !c.Extensions().Pipelining() {
					t.Fatal("no PIPELINING")
				}
				noop(t, ctx, c)
			}, smtptest.Send("250 2.0.0 Ok\r\n"))

			var res Result
			var err error
			within(t, "Send", func() { res, err = c.Send(ctx, testEnvelope, strings.NewReader(testMessage)) })
			if pe, ok := errors.AsType[*reply.ProtocolError](err); !ok || pe.Kind != reply.ViolationUnsolicited {
				t.Fatalf("Send() after a late extra reply = %v, %v; want *reply.ProtocolError ViolationUnsolicited", res.State, err)
			}
			if res.State != DeliveryRejected {
				t.Errorf("Send() state = %v, want %v", res.State, DeliveryRejected)
			}
			waitScript(t, srv)
			if rest := after(srv.Received(), "NOOP\r\n"); rest != "" {
				t.Errorf("client sent %q after NOOP, want nothing", rest)
			}
		})
	}
}

// TestServerClosedBeforeCommand: when the server has closed its side (a
// FIN, or a TLS close_notify), the next command is not written and the
// error is a lost connection, not a protocol error.
func TestServerClosedBeforeCommand(t *testing.T) {
	for _, o := range openings() {
		t.Run(o.name, func(t *testing.T) {
			ctx := testCtx(t)
			srv, c := injected(t, o, noopOK, func(c *Client) { noop(t, ctx, c) }, smtptest.CloseWrite())

			var err error
			within(t, "Mail", func() { _, err = c.Mail(ctx, "a@example.test", nil) })
			e, ok := errors.AsType[*ConnError](err)
			if !ok || e.Op != "MAIL FROM" || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("Mail() after the server closed = %v, want a *ConnError for MAIL FROM matching io.ErrUnexpectedEOF", err)
			}
			if _, ok := errors.AsType[*reply.ProtocolError](err); ok {
				t.Errorf("Mail() = %v: a closed connection is not a protocol error", err)
			}
			if got := reply.RetryFor(err); got != reply.RetryNewConnection {
				t.Errorf("RetryFor(%v) = %v, want %v", err, got, reply.RetryNewConnection)
			}
			waitScript(t, srv)
			if rest := after(srv.Received(), "NOOP\r\n"); rest != "" {
				t.Errorf("client sent %q after the server closed, want nothing", rest)
			}
		})
	}
}

// TestStartTLSInjectionInSocket: the injected bytes follow a 220 reply that
// fills the client's read buffer exactly, so they are still in the socket
// when the client checks before the handshake.
func TestStartTLSInjectionInSocket(t *testing.T) {
	var b strings.Builder
	for range 4 {
		b.WriteString("220-" + strings.Repeat("x", 994) + "\r\n") // 1000 octets
	}
	b.WriteString("220 " + strings.Repeat("y", readBufSize-4000-6) + "\r\n")
	if b.Len() != readBufSize {
		t.Fatalf("220 reply of %d octets, want %d", b.Len(), readBufSize)
	}
	srv := smtptest.Start(t, nil, startTLSScript(
		smtptest.Send(b.String()+"250-injected\r\n250 AUTH PLAIN\r\n"),
		smtptest.ExpectClosed(),
	))
	var err error
	within(t, "Dial", func() {
		_, err = Dial(testCtx(t), srv.Addr(), &Options{LocalName: "client.test", TLSConfig: srv.ClientTLSConfig()})
	})
	if !errors.Is(err, ErrResponseInjection) {
		t.Fatalf("Dial() = %v, want ErrResponseInjection", err)
	}
	if pe, ok := errors.AsType[*reply.ProtocolError](err); !ok || pe.Kind != reply.ViolationUnsolicited {
		t.Errorf("Dial() = %v, want a *reply.ProtocolError ViolationUnsolicited", err)
	}
	waitScript(t, srv)
	if rest := after(srv.Received(), "STARTTLS\r\n"); rest != "" {
		t.Errorf("client sent %q after STARTTLS, want nothing (no handshake either)", rest)
	}
}

// TestUnsolicitedIdle421: a server may send 421 unasked and close (RFC 5321
// section 3.8), as Postfix and Exim do after an idle timeout ("421 4.4.2
// ... Error: timeout exceeded"). The next call returns that reply as a
// *reply.Error satisfying reply.IsServiceClosing, not a protocol error, and
// writes nothing.
func TestUnsolicitedIdle421(t *testing.T) {
	for _, o := range openings() {
		t.Run(o.name, func(t *testing.T) {
			ctx := testCtx(t)
			srv, c := injected(t, o, nil, nil, smtptest.Send("421 4.4.2 mx.example.test Error: timeout exceeded\r\n"))

			var err error
			within(t, "Mail", func() { _, err = c.Mail(ctx, "a@example.test", nil) })
			if !reply.IsServiceClosing(err) {
				t.Fatalf("Mail() after an idle 421 = %v; want reply.IsServiceClosing", err)
			}
			if re, ok := errors.AsType[*reply.Error](err); !ok || re.Command != "MAIL FROM" || re.Reply.Enhanced.String() != "4.4.2" {
				t.Errorf("Mail() error = %#v; want the 421 4.4.2 as a *reply.Error for MAIL FROM", err)
			}
			if got := reply.RetryFor(err); got != reply.RetryNewConnection {
				t.Errorf("RetryFor(%v) = %v, want %v", err, got, reply.RetryNewConnection)
			}
			if _, err := c.Noop(ctx); !errors.Is(err, ErrBroken) {
				t.Errorf("Noop() after = %v, want ErrBroken", err)
			}
			waitScript(t, srv)
			got := string(srv.Received())
			if rest := got[strings.LastIndex(got, "EHLO client.test\r\n")+len("EHLO client.test\r\n"):]; rest != "" {
				t.Errorf("client sent %q after its last EHLO, want nothing", rest)
			}
		})
	}
}
