//go:build unix

package client

import (
	"io"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// TestAdversarialEarlyReplyDuringBody: a server that answers 554 in the
// middle of the body, then waits. The client must not send the final dot
// after it, and must not take the 554 for the reply to the dot.
func TestAdversarialEarlyReplyDuringBody(t *testing.T) {
	replied := make(chan struct{})
	srv := smtptest.Start(t, nil, script(hello, steps(
		smtptest.Expect("MAIL FROM:"), smtptest.Send("250 ok\r\n"),
		smtptest.Expect("RCPT TO:"), smtptest.Send("250 ok\r\n"),
		smtptest.ExpectLine("DATA"), smtptest.Send("354 go\r\n"),
		smtptest.ExpectLine("first line"),
		smtptest.Send("554 5.7.1 go away\r\n"), signal(replied),
		smtptest.StallUntilClosed(),
	)))
	ctx := testCtx(t)
	var err error
	within(t, "DATA", func() {
		c, derr := Dial(ctx, srv.Addr(), plain(nil))
		if derr != nil {
			t.Fatalf("Dial = %v", derr)
		}
		defer c.Close()
		if _, err := c.Mail(ctx, "a@example.test", nil); err != nil {
			t.Fatalf("Mail = %v", err)
		}
		if _, err := c.Rcpt(ctx, "b@example.test", nil); err != nil {
			t.Fatalf("Rcpt = %v", err)
		}
		w, derr := c.Data(ctx)
		if derr != nil {
			t.Fatalf("Data = %v", derr)
		}
		// More than the write buffer holds, so the first line leaves.
		io.WriteString(w, "first line\r\n"+strings.Repeat(strings.Repeat("x", 70)+"\r\n", 100))
		await(t, replied)
		waitReadable(t, c)
		io.WriteString(w, "second line\r\n")
		err = w.Close()
	})
	if !isViolation(reply.ViolationUnsolicited)(err) {
		t.Errorf("Close = %v, want a *reply.ProtocolError ViolationUnsolicited", err)
	}
	waitScript(t, srv)
	if got := after(srv.Received(), "DATA\r\n"); strings.Contains(got, "\r\n.\r\n") {
		t.Errorf("client sent %q after DATA, want no final dot after the 554", got)
	}
}
