package client

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// The message of the RSET tests, and what follows it on the wire.
const (
	rsetBody = "Subject: quota\r\n\r\nhello\r\n"
	rsetEnd  = "hello\r\n.\r\n"
)

// Postfix's replies to a pipelined envelope, and its refusal by
// smtpd_end_of_data_restrictions (a policy service's quota).
const (
	envelopeOK   = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
	eodRefused   = "554 5.7.1 <a@example.test>: Sender address rejected: quota exceeded\r\n"
	queuedReply  = "250 2.0.0 Ok: queued as 4F2A1C0123\r\n"
	rsetEnvelope = "RSET\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n"
	plainEnvelop = "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n"
)

var rsetEnv = &Envelope{From: "a@example.test", To: []string{"b@example.test"}}

// pipelinedMessage is a message sent with PIPELINING whose end of data the
// server answers with final.
func pipelinedMessage(final string) []smtptest.Step {
	return steps(
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
		smtptest.ExpectLine("RCPT TO:<b@example.test>"),
		smtptest.ExpectLine("DATA"),
		smtptest.Send(envelopeOK),
		smtptest.ExpectData(),
		smtptest.Send(final),
	)
}

// sendRefused sends the message that the server refuses at the end of
// data, and checks the refusal.
func sendRefused(t *testing.T, c *Client) {
	t.Helper()
	res, err := c.Send(testCtx(t), rsetEnv, strings.NewReader(rsetBody))
	re, ok := errors.AsType[*reply.Error](err)
	if !ok || re.Command != "end of data" || re.Reply.Code != reply.CodeTransactionFailed || res.State != DeliveryRejected {
		t.Fatalf("Send refused at the end of data = %v, %v; want rejected, a *reply.Error 554 for \"end of data\"", res.State, err)
	}
}

// sendDelivered sends the message and checks that it was delivered.
func sendDelivered(t *testing.T, c *Client, what string) {
	t.Helper()
	res, err := c.Send(testCtx(t), rsetEnv, strings.NewReader(rsetBody))
	if err != nil || res.State != DeliveryComplete || !strings.Contains(res.Final.Text(), "queued as 4F2A1C0123") {
		t.Fatalf("Send %s = %v, %v; want delivered with the queue id", what, res.State, err)
	}
}

// wireAfter returns everything the client sent after the n-th end of a
// message (1-based).
func wireAfter(srv *smtptest.Server, n int) string {
	parts := strings.SplitN(string(srv.Received()), rsetEnd, n+1)
	if len(parts) <= n {
		return "<fewer than " + strconv.Itoa(n) + " messages in " + string(srv.Received()) + ">"
	}
	return parts[n]
}

func TestSendAfterRefusedEndOfDataPipelined(t *testing.T) {
	// Postfix keeps the transaction open after the refusal; the server
	// reads RSET with the whole envelope before it answers anything, so
	// RSET must have left in the same flight as MAIL, RCPT and DATA.
	srv := smtptest.Start(t, nil, script(hello, pipelinedMessage(eodRefused), steps(
		smtptest.ExpectLine("RSET"),
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
		smtptest.ExpectLine("RCPT TO:<b@example.test>"),
		smtptest.ExpectLine("DATA"),
		smtptest.Send("250 2.0.0 Ok\r\n"+envelopeOK),
		smtptest.ExpectData(),
		smtptest.Send(queuedReply),
	), quitting))
	c := dialScripted(t, srv, plain(nil))
	sendRefused(t, c)
	sendDelivered(t, c, "after a refused end of data")
	usable(t, c)
	waitScript(t, srv)
	if got, want := wireAfter(srv, 1), rsetEnvelope+rsetBody+".\r\nNOOP\r\nQUIT\r\n"; got != want {
		t.Errorf("wire after the refused message = %q, want %q", got, want)
	}
	if got, want := wireAfter(srv, 2), "NOOP\r\nQUIT\r\n"; got != want {
		t.Errorf("wire after the delivered message = %q, want %q (no RSET)", got, want)
	}
}

func TestSendAfterRefusedEndOfDataNoPipelining(t *testing.T) {
	// Without PIPELINING, RSET takes its own round trip: when the server
	// has read it, nothing more has come.
	var srv *smtptest.Server
	rsetAlone := func() error {
		if got := string(srv.Received()); !strings.HasSuffix(got, rsetEnd+"RSET\r\n") {
			return errors.New("client sent more than RSET before its reply: " + got[strings.LastIndex(got, rsetEnd):])
		}
		return nil
	}
	one := func(line, answer string) []smtptest.Step {
		return steps(smtptest.ExpectLine(line), smtptest.Send(answer))
	}
	message := func(final string) []smtptest.Step {
		return script(one("MAIL FROM:<a@example.test>", "250 2.1.0 Ok\r\n"),
			one("RCPT TO:<b@example.test>", "250 2.1.5 Ok\r\n"),
			one("DATA", "354 End data with <CR><LF>.<CR><LF>\r\n"),
			steps(smtptest.ExpectData(), smtptest.Send(final)))
	}
	srv = smtptest.Start(t, nil, script(steps(
		smtptest.Send("220 mx.example.test ESMTP\r\n"),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send(ehloLines("8BITMIME", "ENHANCEDSTATUSCODES")),
	), message(eodRefused), steps(
		smtptest.ExpectLine("RSET"),
		smtptest.Func(rsetAlone),
		smtptest.Send("250 2.0.0 Ok\r\n"),
	), message(queuedReply), quitting))
	c := dialScripted(t, srv, plain(nil))
	sendRefused(t, c)
	sendDelivered(t, c, "after a refused end of data")
	usable(t, c)
	waitScript(t, srv)
	if got, want := wireAfter(srv, 1), rsetEnvelope+rsetBody+".\r\nNOOP\r\nQUIT\r\n"; got != want {
		t.Errorf("wire after the refused message = %q, want %q", got, want)
	}
}

func TestNoResetAfterAcceptedEndOfData(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, pipelinedMessage(queuedReply), pipelinedMessage(queuedReply), quitting))
	c := dialScripted(t, srv, plain(nil))
	sendDelivered(t, c, "first")
	sendDelivered(t, c, "second")
	usable(t, c)
	waitScript(t, srv)
	if got, want := wireAfter(srv, 1), plainEnvelop+rsetBody+".\r\nNOOP\r\nQUIT\r\n"; got != want {
		t.Errorf("wire after an accepted message = %q, want %q (no RSET)", got, want)
	}
}

func TestResetAfterRefusedEndOfData(t *testing.T) {
	// Reset ends the transaction: Send then needs no RSET of its own.
	srv := smtptest.Start(t, nil, script(hello, pipelinedMessage(eodRefused), steps(
		smtptest.ExpectLine("RSET"),
		smtptest.Send("250 2.0.0 Ok\r\n"),
	), pipelinedMessage(queuedReply), quitting))
	c := dialScripted(t, srv, plain(nil))
	sendRefused(t, c)
	if r, err := c.Reset(testCtx(t)); err != nil || r.Code != reply.CodeOK {
		t.Fatalf("Reset = %v, %v; want 250", r, err)
	}
	sendDelivered(t, c, "after Reset")
	usable(t, c)
	waitScript(t, srv)
	if got, want := wireAfter(srv, 1), "RSET\r\n"+plainEnvelop+rsetBody+".\r\nNOOP\r\nQUIT\r\n"; got != want {
		t.Errorf("wire after the refused message = %q, want %q (one RSET)", got, want)
	}
}

func TestMailAfterRefusedEndOfData(t *testing.T) {
	// Mail, with PIPELINING, sends RSET and MAIL FROM together.
	srv := smtptest.Start(t, nil, script(hello, pipelinedMessage(eodRefused), steps(
		smtptest.ExpectLine("RSET"),
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
		smtptest.Send("250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n"),
		smtptest.ExpectLine("RSET"),
		smtptest.Send("250 2.0.0 Ok\r\n"),
	), quitting))
	c := dialScripted(t, srv, plain(nil))
	sendRefused(t, c)
	if r, err := c.Mail(testCtx(t), "a@example.test", nil); err != nil || r.Code != reply.CodeOK {
		t.Fatalf("Mail after a refused end of data = %v, %v; want 250", r, err)
	}
	if _, err := c.Reset(testCtx(t)); err != nil {
		t.Fatalf("Reset = %v", err)
	}
	usable(t, c)
	waitScript(t, srv)
}

func TestSendAfterRefusedEndOfDataResetRefused(t *testing.T) {
	// The server refuses RSET but accepts MAIL FROM: the new transaction
	// is on, the message is delivered, and the next one needs no RSET.
	srv := smtptest.Start(t, nil, script(hello, pipelinedMessage(eodRefused), steps(
		smtptest.ExpectLine("RSET"),
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
		smtptest.ExpectLine("RCPT TO:<b@example.test>"),
		smtptest.ExpectLine("DATA"),
		smtptest.Send("502 5.5.2 Error: command not recognized\r\n"+envelopeOK),
		smtptest.ExpectData(),
		smtptest.Send(queuedReply),
	), pipelinedMessage(queuedReply), quitting))
	c := dialScripted(t, srv, plain(nil))
	sendRefused(t, c)
	sendDelivered(t, c, "after a refused RSET")
	sendDelivered(t, c, "third")
	usable(t, c)
	waitScript(t, srv)
}

func TestSendAfterRefusedEndOfDataStaleTransaction(t *testing.T) {
	// The server refuses RSET and still holds the old transaction: MAIL
	// FROM is a nested command, and the 354 to DATA must not be used. The
	// message is not sent and the connection is closed.
	srv := smtptest.Start(t, nil, script(hello, pipelinedMessage(eodRefused), steps(
		smtptest.ExpectLine("RSET"),
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
		smtptest.ExpectLine("RCPT TO:<b@example.test>"),
		smtptest.ExpectLine("DATA"),
		smtptest.Send("502 5.5.2 Error: command not recognized\r\n503 5.5.1 Error: nested MAIL command\r\n"+
			"250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"),
		smtptest.ExpectClosed(),
	)))
	c := dialScripted(t, srv, plain(nil))
	sendRefused(t, c)
	res, err := c.Send(testCtx(t), rsetEnv, strings.NewReader(rsetBody))
	if res.State != DeliveryRejected || err == nil || reply.RetryFor(err) != reply.RetryNewConnection {
		t.Errorf("Send to a server that kept the transaction = %v, %v (RetryFor %v); want rejected, new connection",
			res.State, err, reply.RetryFor(err))
	}
	if res.Mail.Code != reply.CodeBadSequence {
		t.Errorf("Result.Mail = %v, want the 503", res.Mail)
	}
	waitScript(t, srv)
	if got := wireAfter(srv, 1); got != rsetEnvelope {
		t.Errorf("wire after the refused message = %q, want %q (no body)", got, rsetEnvelope)
	}
}

func TestAuthAfterRefusedEndOfData(t *testing.T) {
	// A server that kept the refused transaction would answer AUTH with
	// 503 (RFC 4954 section 4): Auth ends it with RSET first.
	srv := smtptest.Start(t, nil, script(steps(
		smtptest.Send("220 mx.example.test ESMTP\r\n"),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send(ehloLines("PIPELINING", "AUTH PLAIN")),
	), pipelinedMessage(eodRefused), steps(
		smtptest.ExpectLine("RSET"),
		smtptest.Send("250 2.0.0 Ok\r\n"),
		smtptest.ExpectLine("AUTH PLAIN "+b64("\x00"+authUser+"\x00"+authPassword)),
		smtptest.Send("235 2.7.0 Authentication successful\r\n"),
	), quitting))
	opts := plain(nil)
	opts.AllowInsecureAuth = true
	c := dialScripted(t, srv, opts)
	sendRefused(t, c)
	if _, err := c.Auth(testCtx(t), sasl.Plain("", authUser, authPassword)); err != nil {
		t.Fatalf("Auth after a refused end of data = %v; want 235", err)
	}
	usable(t, c)
	waitScript(t, srv)
}
