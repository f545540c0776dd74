package interop

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// The fault tests break one server on purpose: they kill or stop the
// process serving their own connection (never the Postfix master or the
// Exim daemon), or stop a whole server with internal/mta/down.sh and start
// it again with up.sh. Each step waits for the kernel's view of the
// connection (/proc/net/tcp) or of the process (/proc/PID/stat), never for
// a number of seconds. They need root, as the servers do.

// filler is a body line for messages that must outlast a fault.
const filler = "filler line that makes the message long enough to outlast the fault....\r\n"

// killingBody is a message body for Send whose reading kills the server
// process in the middle of the transfer: the first Read returns the
// headers; the next kills the process that serves the connection and waits
// until the kernel has closed its end, then the message goes on with half
// a mebibyte; before the last half mebibyte it waits until the client's
// socket has been reset by the writes that followed.
type killingBody struct {
	t      *testing.T
	s      server
	d      *recordingDialer
	head   *strings.Reader
	phase  int
	left   int
	killed int // the pid killed
}

func (b *killingBody) Read(p []byte) (int, error) {
	switch b.phase {
	case 0:
		n, _ := b.head.Read(p)
		if b.head.Len() == 0 {
			b.phase = 1
		}
		return n, nil
	case 1:
		conn := b.d.last()
		b.killed = serverPID(b.t, b.s, conn)
		signal(b.t, b.killed, syscall.SIGKILL)
		waitClientState(b.t, conn, tcpCloseWait, tcpClose)
		b.phase, b.left = 2, 512<<10
	case 3:
		waitClientState(b.t, b.d.last(), tcpClose)
		b.phase, b.left = 4, 512<<10
	}
	if b.left <= 0 {
		if b.phase == 2 {
			b.phase = 3
			return b.Read(p)
		}
		return 0, io.EOF
	}
	n := 0
	for n+len(filler) <= len(p) && b.left > 0 {
		n += copy(p[n:], filler)
		b.left -= len(filler)
	}
	return n, nil
}

// TestKillDuringData kills the server process while the message is being
// transferred: Send must fail (never report delivery), know that the final
// "." never left (so the outcome is not unknown), advise a new connection,
// and the message must never be delivered.
func TestKillDuringData(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		ensureUp(t, e, s)
		d := &recordingDialer{}
		opts := e.options(client.TLSNone)
		opts.Dialer = d
		c := dial(t, s.addr("PLAIN"), opts)

		id := uniqueID(t)
		head := fmt.Sprintf("Message-ID: <%s@interop.test>\r\nSubject: killed during DATA\r\n\r\n", id)
		body := &killingBody{t: t, s: s, d: d, head: strings.NewReader(head)}
		env := &client.Envelope{From: sender, To: []string{"box-" + id + "@" + e.vars["SMTP_DOMAIN"]}}
		res, err := c.Send(testContext(t), env, body)
		if body.killed == 0 {
			t.Fatalf("%s: Send = %v, %v before the body was read: nothing was killed", s.name, res.State, err)
		}
		if err == nil || res.State != client.DeliveryRejected {
			t.Fatalf("%s: Send after the server process died mid-DATA = %v, %v; want an error and state rejected", s.name, res.State, err)
		}
		if errors.Is(err, client.ErrDeliveryUnknown) {
			t.Errorf("%s: Send = %v: delivery unknown, but the final dot was never sent", s.name, err)
		}
		if _, ok := errors.AsType[*reply.Error](err); ok {
			t.Errorf("%s: Send = %v: a server reply, want a connection failure", s.name, err)
		}
		if got := reply.RetryFor(err); got != reply.RetryNewConnection {
			t.Errorf("%s: RetryFor(%v) = %v, want %v", s.name, err, got, reply.RetryNewConnection)
		}
		if _, err := c.Noop(testContext(t)); !errors.Is(err, client.ErrBroken) {
			t.Errorf("%s: Noop after the lost connection = %v, want ErrBroken", s.name, err)
		}

		// A message sent afterwards on a new connection is delivered, and
		// by then the killed one would be too if the server had kept it.
		fence := sendFence(t, e, s)
		waitDelivered(t, s, "box", fence)
		if n := len(delivered(t, s, "box", "<"+id+"@interop.test>")); n != 0 {
			t.Errorf("%s: the message cut off by the kill was delivered (%d files)", s.name, n)
		}
	})
}

// stoppingBody is a message body for SendMail: when it has been read to
// the end, it stops (SIGSTOP) the process that serves the connection, so
// the final "." reaches a server that cannot answer, and once the client
// has written the final "." it kills that process.
type stoppingBody struct {
	*strings.Reader
	t       *testing.T
	s       server
	d       *recordingDialer
	stopped int
	dotSent chan struct{}
}

func (b *stoppingBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if err == io.EOF && b.stopped == 0 {
		conn := b.d.last().(*recordingConn)
		pid := serverPID(b.t, b.s, conn)
		signal(b.t, pid, syscall.SIGSTOP)
		b.t.Cleanup(func() {
			// Never leave it stopped (the test may have failed before the
			// kill); check the state first, so a reused pid is spared.
			if processState(pid) == 'T' {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		})
		waitProcessState(b.t, pid, 'T')
		b.stopped = pid
		conn.setAfterWrite(func(w []byte) {
			if bytes.HasSuffix(w, []byte("\r\n.\r\n")) {
				signal(b.t, pid, syscall.SIGKILL)
				close(b.dotSent)
			}
		})
	}
	return n, err
}

// TestStopAfterFinalDot: the server process stops when the body has been
// sent and is killed once the final "." is on the wire, before any reply.
// The outcome is unknown (the server may have queued the message), so
// SendMail reports DeliveryUnknown and does not retry: no duplicate.
func TestStopAfterFinalDot(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		ensureUp(t, e, s)
		d := &recordingDialer{wrap: true}
		opts := e.options(client.TLSNone)
		opts.Dialer = d
		opts.Retry = client.RetryPolicy{MaxAttempts: 3, InitialDelay: 10 * time.Millisecond}

		id := uniqueID(t)
		msg := fmt.Sprintf("Message-ID: <%s@interop.test>\r\nSubject: stopped after the dot\r\n\r\nhello\r\n", id)
		body := &stoppingBody{Reader: strings.NewReader(msg), t: t, s: s, d: d, dotSent: make(chan struct{})}
		env := &client.Envelope{From: sender, To: []string{"box-" + id + "@" + e.vars["SMTP_DOMAIN"]}, UseDATA: true}
		res, err := client.SendMail(testContext(t), s.addr("PLAIN"), opts, env, body)
		select {
		case <-body.dotSent:
		default:
			t.Fatalf("%s: SendMail = %v, %v without writing the final dot to the stopped server", s.name, res.State, err)
		}
		if res.State != client.DeliveryUnknown || !errors.Is(err, client.ErrDeliveryUnknown) {
			t.Fatalf("%s: SendMail with the server killed after the final dot = %v, %v; want unknown, ErrDeliveryUnknown", s.name, res.State, err)
		}
		if _, ok := errors.AsType[*reply.Error](err); ok {
			t.Errorf("%s: SendMail = %v: a server reply, want a lost connection", s.name, err)
		}
		if n := len(d.dials()); n != 1 {
			t.Errorf("%s: SendMail dialled %d times after an unknown outcome, want 1 (no retry)", s.name, n)
		}
	})
}

// TestRetryAfterRestart: the server is down (internal/mta/down.sh), so
// SendMail's first attempt cannot connect; the server is started again
// (up.sh) before the second attempt, which delivers the message once.
func TestRetryAfterRestart(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		ensureUp(t, e, s)
		if err := mtaScript(e, "down.sh", s.name); err != nil {
			t.Fatal(err)
		}
		var upErr error
		d := &recordingDialer{before: func(n int) error {
			if n == 2 {
				upErr = mtaScript(e, "up.sh", s.name)
			}
			return nil
		}}
		opts := e.options(client.TLSNone)
		opts.Dialer = d
		opts.Retry = client.RetryPolicy{MaxAttempts: 3, InitialDelay: 10 * time.Millisecond}

		id := uniqueID(t)
		msg := fmt.Sprintf("Message-ID: <%s@interop.test>\r\nSubject: after a restart\r\n\r\nretried\r\n", id)
		env := &client.Envelope{From: sender, To: []string{"box-" + id + "@" + e.vars["SMTP_DOMAIN"]}}
		res, err := client.SendMail(testContext(t), s.addr("PLAIN"), opts, env, strings.NewReader(msg))
		if upErr != nil {
			t.Fatal(upErr)
		}
		dials := d.dials()
		if len(dials) == 0 || !errors.Is(dials[0], syscall.ECONNREFUSED) {
			t.Fatalf("%s: first dial = %v, want connection refused (server down)", s.name, dials)
		}
		if err != nil || res.State != client.DeliveryComplete {
			t.Fatalf("%s: SendMail across a restart = %v, %v; want delivered on the second attempt", s.name, res.State, err)
		}
		if len(dials) != 2 {
			t.Errorf("%s: SendMail dialled %d times, want 2", s.name, len(dials))
		}
		got := waitDelivered(t, s, "box", "<"+id+"@interop.test>")
		if want := strings.ReplaceAll(msg, "\r\n", "\n"); !bytes.HasSuffix(got, []byte(want)) {
			t.Errorf("%s: delivered %q, want it to end with %q", s.name, got, want)
		}
		if n := len(delivered(t, s, "box", "<"+id+"@interop.test>")); n != 1 {
			t.Errorf("%s: %d copies delivered, want 1", s.name, n)
		}
	})
}

// sendFence delivers a small message on a new connection and returns its
// Message-ID marker.
func sendFence(t *testing.T, e *env, s server) string {
	t.Helper()
	id := uniqueID(t)
	marker := "<fence-" + id + "@interop.test>"
	env := &client.Envelope{From: sender, To: []string{"box-" + id + "@" + e.vars["SMTP_DOMAIN"]}}
	res, err := client.SendMail(testContext(t), s.addr("PLAIN"), e.options(client.TLSNone), env,
		strings.NewReader("Message-ID: "+marker+"\r\nSubject: fence\r\n\r\nfence\r\n"))
	if err != nil || res.State != client.DeliveryComplete {
		t.Fatalf("%s: fence message: %v, %v", s.name, res.State, err)
	}
	return marker
}

// processState returns the state letter of pid in /proc/PID/stat ('T'
// for stopped), or 0 when there is no such process.
func processState(pid int) byte {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// "pid (comm) S ...": the state follows the last ')'.
	if i := bytes.LastIndexByte(st, ')'); i >= 0 && i+2 < len(st) {
		return st[i+2]
	}
	return 0
}

// waitProcessState waits until pid is in state (see processState).
func waitProcessState(t *testing.T, pid int, state byte) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for processState(pid) != state {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d in state %q after 15 s, want %q", pid, processState(pid), state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
