//go:build unix

package client

import (
	"errors"
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
	// The server refused the message early: its reply is the answer, and
	// the client, mid-body, is broken without sending the final dot.
	if re, ok := errors.AsType[*reply.Error](err); !ok || re.Command != "end of data" || re.Reply.Code != reply.CodeTransactionFailed || !reply.IsPermanent(err) {
		t.Errorf("Close = %v, want the 554 as a *reply.Error for \"end of data\"", err)
	}
	if errors.Is(err, ErrDeliveryUnknown) {
		t.Errorf("Close = %v, want a refusal, not delivery unknown", err)
	}
	waitScript(t, srv)
	if got := after(srv.Received(), "DATA\r\n"); strings.Contains(got, "\r\n.\r\n") {
		t.Errorf("client sent %q after DATA, want no final dot after the 554", got)
	}
}

// TestAdversarialEarlyRefusalSend: a server that refuses a message while it
// is still being sent (552 over its size limit). Whether the client sees the
// reply before its final dot (then the dot is not sent) or after it (then it
// is the dot's reply), Send reports the refusal, never success or "unknown".
func TestAdversarialEarlyRefusalSend(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, steps(
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
		smtptest.ExpectLine("RCPT TO:<b@example.test>"),
		smtptest.ExpectLine("DATA"),
		smtptest.Send("250 ok\r\n250 ok\r\n354 go\r\n"),
		smtptest.ExpectLine("first line"),
		smtptest.Send("552 5.3.4 Message size exceeds fixed limit\r\n"),
		smtptest.StallUntilClosed(),
	)))
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr(), plain(nil))
	if err != nil {
		t.Fatalf("Dial = %v", err)
	}
	defer c.Close()
	body := "first line\r\n" + strings.Repeat(strings.Repeat("x", 70)+"\r\n", 2000)
	var res Result
	within(t, "Send", func() {
		res, err = c.Send(ctx, &Envelope{From: "a@example.test", To: []string{"b@example.test"}}, strings.NewReader(body))
	})
	if res.State != DeliveryRejected || !reply.IsMessageTooLarge(err) || errors.Is(err, ErrDeliveryUnknown) {
		t.Errorf("Send = %v, %v; want rejected with reply.IsMessageTooLarge", res.State, err)
	}
	if re, ok := errors.AsType[*reply.Error](err); !ok || re.Command != "end of data" {
		t.Errorf("Send error = %v; want a *reply.Error for \"end of data\"", err)
	}
	c.Close()
	waitScript(t, srv)
}
