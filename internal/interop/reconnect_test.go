package interop

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// TestIdleTimeout (Postfix, smtpd_timeout=3s): a session left idle gets
// "421 4.4.2 HOSTNAME Error: timeout exceeded" and is closed. The next call
// reports that 421, service closing with a new connection advised, and the
// client is broken afterwards.
func TestIdleTimeout(t *testing.T) {
	eachWith(t, "TIMEOUT", func(t *testing.T, e *env, s server) {
		d := &recordingDialer{}
		opts := e.options(client.TLSNone)
		opts.Dialer = d
		c := dial(t, s.addr("TIMEOUT"), opts)
		// The server closes its end after the 421: wait for the kernel to
		// say so rather than for a number of seconds.
		waitClientState(t, d.last(), tcpCloseWait, tcpClose)

		ctx := testContext(t)
		_, err := c.Noop(ctx)
		re, ok := errors.AsType[*reply.Error](err)
		if !ok || re.Reply.Code != reply.CodeServiceNotAvailable || re.Reply.Enhanced.String() != "4.4.2" ||
			!strings.Contains(re.Reply.Text(), "timeout exceeded") {
			t.Fatalf("%s: Noop after %s s idle = %v, want the server's 421 4.4.2 timeout exceeded", s.name, s.get("TIMEOUT_SECONDS"), err)
		}
		if !reply.IsServiceClosing(err) || !reply.IsTemporary(err) || reply.RetryFor(err) != reply.RetryNewConnection {
			t.Errorf("%s: %q: IsServiceClosing %v, IsTemporary %v, RetryFor %v; want true, true, %v",
				s.name, re.Reply.String(), reply.IsServiceClosing(err), reply.IsTemporary(err), reply.RetryFor(err), reply.RetryNewConnection)
		}
		if _, err := c.Mail(ctx, sender, nil); !errors.Is(err, client.ErrBroken) || !reply.IsServiceClosing(err) {
			t.Errorf("%s: Mail after the 421 = %v, want ErrBroken wrapping the 421", s.name, err)
		}
	})
}

// TestReconnectAfter421 (Postfix, one connection per client): while one
// session holds the only slot, SendMail's first attempt is greeted with
// 421; SendMail retries on a new connection, by then the slot is free, and
// the message is delivered once.
func TestReconnectAfter421(t *testing.T) {
	eachWith(t, "CONNLIMIT", func(t *testing.T, e *env, s server) {
		holder := &recordingDialer{}
		hopts := e.options(client.TLSNone)
		hopts.Dialer = holder
		held := dial(t, s.addr("CONNLIMIT"), hopts)

		// Before the second attempt, free the slot: QUIT, then wait until
		// the server has closed its end, which smtpd does after telling
		// anvil the connection is gone.
		var released error
		d := &recordingDialer{before: func(n int) error {
			if n == 2 {
				released = held.Quit(testContext(t))
				waitClientState(t, holder.last(), tcpTimeWait, tcpClose)
			}
			return nil
		}}
		opts := e.options(client.TLSNone)
		opts.Dialer = d
		opts.Retry = client.RetryPolicy{MaxAttempts: 3, InitialDelay: 10 * time.Millisecond}

		id := uniqueID(t)
		body := fmt.Sprintf("Message-ID: <%s@interop.test>\r\nSubject: after 421\r\n\r\nretried\r\n", id)
		env := &client.Envelope{From: sender, To: []string{"box-" + id + "@" + e.vars["SMTP_DOMAIN"]}}
		res, err := client.SendMail(testContext(t), s.addr("CONNLIMIT"), opts, env, strings.NewReader(body))
		if err != nil || res.State != client.DeliveryComplete {
			t.Fatalf("%s: SendMail = %v, %v, want delivered on the second attempt", s.name, res.State, err)
		}
		if released != nil {
			t.Errorf("%s: Quit of the held session: %v", s.name, released)
		}
		if n := len(d.dials()); n != 2 {
			t.Errorf("%s: SendMail dialled %d times, want 2 (421, then delivered)", s.name, n)
		}
		got := waitDelivered(t, s, "box", "<"+id+"@interop.test>")
		if want := strings.ReplaceAll(body, "\r\n", "\n"); !bytes.HasSuffix(got, []byte(want)) {
			t.Errorf("%s: delivered %q, want it to end with %q", s.name, got, want)
		}
		if n := len(delivered(t, s, "box", "<"+id+"@interop.test>")); n != 1 {
			t.Errorf("%s: %d copies delivered, want 1", s.name, n)
		}
	})
}
