package client

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

func TestSendAuthenticatesAndRetries(t *testing.T) {
	srv := startAuthServer(t, &authBackend{mechs: []string{"PLAIN", "LOGIN"}})
	log := &logCollector{}
	opts := secureOpts(log)
	opts.Auth = sasl.Password(authUser, authPassword)
	opts.AuthMode = AuthOnDemand // the server asks, with a 530 or a relay refusal
	c := dialAuth(t, srv, opts)

	env := &Envelope{From: authUser, To: []string{"rcpt@example.test", "other@example.test"}}
	res, err := c.Send(testCtx(t), env, strings.NewReader(testMessage))
	if err != nil || res.State != DeliveryComplete {
		t.Fatalf("Send to a server that wants AUTH = %v, %v; want delivered", res.State, err)
	}
	if len(res.Recovered) != 1 || !reply.IsAuthRequired(res.Recovered[0]) || reply.RetryFor(res.Recovered[0]) != reply.RetryAfterAuth {
		t.Errorf("Recovered = %v; want the 530 (auth required, retry after auth)", res.Recovered)
	}
	if res.Auth.Code != reply.CodeAuthSucceeded {
		t.Errorf("Result.Auth = %v, want 235", res.Auth)
	}
	if res.Final.Code != reply.CodeOK || !strings.Contains(res.Final.Text(), "queued as Q0001") {
		t.Errorf("Result.Final = %v, want 250 with the queue id", res.Final)
	}
	if res.Mail.Code != reply.CodeOK || len(res.Recipients) != 2 || res.Recipients[1].Reply.Code != reply.CodeOK {
		t.Errorf("Result = %+v; want MAIL and both RCPT accepted", res)
	}
	msgs := srv.messages()
	if len(msgs) != 1 || !slices.Equal(msgs[0].Rcpts, env.To) || string(msgs[0].Data) != testMessage {
		t.Fatalf("server got %+v; want the message once, to %v", msgs, env.To)
	}
	if _, mails, _, ok := srv.counts(); mails != 2 || !slices.Equal(ok, []string{"PLAIN"}) {
		t.Errorf("server saw %d MAIL and AUTH successes %v; want 2 and [PLAIN]", mails, ok)
	}

	// PIPELINING: MAIL, both RCPT and the message (BDAT by default, as the
	// server offers CHUNKING) leave together, before any reply.
	lines := strings.Split(log.text(), "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "C: MAIL FROM:") })
	// The attempt after AUTH (the first, which may have to authenticate,
	// keeps the body until the envelope is accepted).
	i += 1 + slices.IndexFunc(lines[i+1:], func(l string) bool { return strings.HasPrefix(l, "C: MAIL FROM:") })
	if i < 0 || len(lines) < i+4 || !strings.HasPrefix(lines[i+1], "C: RCPT TO:") ||
		!strings.HasPrefix(lines[i+2], "C: RCPT TO:") || !strings.HasPrefix(lines[i+3], "C: BDAT ") {
		t.Errorf("transcript does not show MAIL, RCPT, RCPT, BDAT in one batch:\n%s", log.text())
	}
}

func TestSendWithoutCredentials(t *testing.T) {
	srv := startAuthServer(t, &authBackend{mechs: []string{"PLAIN"}})
	c := dialAuth(t, srv, secureOpts(nil))
	ctx := testCtx(t)
	res, err := c.Send(ctx, &Envelope{From: authUser, To: []string{"rcpt@example.test"}}, strings.NewReader(testMessage))
	if !reply.IsAuthRequired(err) || reply.RetryFor(err) != reply.RetryAfterAuth || res.State != DeliveryRejected {
		t.Errorf("Send without credentials = %v, %v (retry %v); want rejected, IsAuthRequired, retry after auth",
			res.State, err, reply.RetryFor(err))
	}
	if re, ok := errors.AsType[*reply.Error](err); !ok || re.Command != "MAIL FROM" || re.Reply.Code != reply.CodeAuthRequired {
		t.Errorf("Send error = %v; want the *reply.Error 530 to MAIL FROM", err)
	}
	if res.Mail.Code != reply.CodeAuthRequired {
		t.Errorf("Result.Mail = %v, want the 530", res.Mail)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Errorf("Noop = %v; want the session usable", err)
	}
	if _, _, auths, _ := srv.counts(); len(auths) != 0 || len(srv.messages()) != 0 {
		t.Errorf("server saw AUTH %v and %d messages; want none", auths, len(srv.messages()))
	}
}

func TestSendAuthenticationFails(t *testing.T) {
	srv := startAuthServer(t, &authBackend{mechs: []string{"PLAIN"}})
	opts := secureOpts(nil)
	opts.Auth = sasl.Password(authUser, "wrong-password")
	opts.AuthMode = AuthOnDemand // the server asks, with a 530 or a relay refusal
	c := dialAuth(t, srv, opts)
	res, err := c.Send(testCtx(t), &Envelope{From: authUser, To: []string{"rcpt@example.test"}}, strings.NewReader(testMessage))
	if !reply.IsAuthFailed(err) || !reply.IsAuthRequired(err) || res.State != DeliveryRejected {
		t.Errorf("Send with wrong credentials = %v, %v; want rejected, IsAuthFailed and IsAuthRequired", res.State, err)
	}
	if reply.RetryFor(err) != reply.RetryNever {
		t.Errorf("RetryFor(%v) = %v, want never: the credentials are wrong", err, reply.RetryFor(err))
	}
	if re, ok := errors.AsType[*reply.Error](err); !ok || re.Command != "AUTH" {
		t.Errorf("errors.AsType[*reply.Error](%v) = %v; want the AUTH refusal first", err, re)
	}
	for _, s := range secrets() {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains secret %q", err, s)
		}
	}
}

func TestSendPartialDelivery(t *testing.T) {
	to := []string{"a@example.test", "nosuch@example.test", "tempfail@example.test", "b@example.test"}
	tests := []struct {
		name       string
		to         []string
		requireAll bool
		state      DeliveryState
		delivered  []string
		refused    int
	}{
		{"deliver to accepted", to, false, DeliveryPartial, []string{"a@example.test", "b@example.test"}, 2},
		{"require all", to, true, DeliveryRejected, nil, 2},
		{"all refused", []string{"nosuch@example.test", "tempfail@example.test"}, false, DeliveryRejected, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startAuthServer(t, &authBackend{noAuthCheck: true})
			c := dialAuth(t, srv, secureOpts(nil))
			ctx := testCtx(t)
			res, err := c.Send(ctx, &Envelope{From: authUser, To: tt.to, RequireAllRecipients: tt.requireAll}, strings.NewReader(testMessage))
			if res.State != tt.state {
				t.Errorf("Send to %v = %v, %v; want %v", tt.to, res.State, err, tt.state)
			}
			re, ok := errors.AsType[*RecipientsError](err)
			if !ok || len(re.Refused) != tt.refused || re.Total != len(tt.to) {
				t.Fatalf("Send error = %v; want *RecipientsError with %d refused of %d", err, tt.refused, len(tt.to))
			}
			if first, ok := errors.AsType[*RecipientError](err); !ok || first.Address != "nosuch@example.test" {
				t.Errorf("errors.AsType[*RecipientError](%v) = %v; want nosuch@", err, first)
			}
			if !reply.IsMailboxUnavailable(err) || !reply.IsTemporary(err) || !reply.IsPermanent(err) {
				t.Errorf("Send error %v: want each refusal found (550 mailbox unavailable, 451 transient)", err)
			}
			if reply.RetryFor(err) != reply.RetryNever {
				t.Errorf("RetryFor(%v) = %v; want never (a permanent refusal among them)", err, reply.RetryFor(err))
			}
			if got := res.Accepted(); tt.state == DeliveryPartial && !slices.Equal(got, tt.delivered) {
				t.Errorf("Accepted() = %v, want %v", got, tt.delivered)
			}
			msgs := srv.messages()
			switch {
			case tt.delivered == nil && len(msgs) != 0:
				t.Errorf("server got %d messages, want none", len(msgs))
			case tt.delivered != nil && (len(msgs) != 1 || !slices.Equal(msgs[0].Rcpts, tt.delivered)):
				t.Errorf("server got %+v, want one message to %v", msgs, tt.delivered)
			}
			// After an aborted transaction the session takes a new one.
			res, err = c.Send(ctx, &Envelope{From: authUser, To: []string{"c@example.test"}}, strings.NewReader(testMessage))
			if err != nil || res.State != DeliveryComplete {
				t.Errorf("second Send = %v, %v; want delivered", res.State, err)
			}
		})
	}
}

func TestSendTransientRecipients(t *testing.T) {
	srv := startAuthServer(t, &authBackend{noAuthCheck: true})
	c := dialAuth(t, srv, secureOpts(nil))
	_, err := c.Send(testCtx(t), &Envelope{From: authUser, To: []string{"tempfail@example.test"}}, strings.NewReader(testMessage))
	if reply.RetryFor(err) != reply.RetryLater {
		t.Errorf("RetryFor(%v) = %v; want later (every refusal transient)", err, reply.RetryFor(err))
	}
}

// pipelinedOK answers a pipelined MAIL, RCPT, DATA batch.
var pipelinedOK = []smtptest.Step{
	smtptest.Expect("MAIL FROM:<user@example.test>"),
	smtptest.ExpectLine("RCPT TO:<rcpt@example.test>"),
	smtptest.ExpectLine("DATA"),
	smtptest.Send("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"),
}

func TestSendUnknownAfterFinalDot(t *testing.T) {
	srv := smtptest.Start(t, nil, tlsOpening([]string{"STARTTLS"}, []string{"PIPELINING"},
		append(pipelinedOK, smtptest.ExpectData(), smtptest.Close())...))
	c := dialScripted(t, srv, scriptedOpts(srv, TLSStartTLS, nil))
	res, err := c.Send(testCtx(t), &Envelope{From: authUser, To: []string{"rcpt@example.test"}}, strings.NewReader(testMessage))
	if res.State != DeliveryUnknown || !errors.Is(err, ErrDeliveryUnknown) {
		t.Errorf("Send cut after the final dot = %v, %v; want unknown, ErrDeliveryUnknown", res.State, err)
	}
	if err := srv.Wait(); err != nil {
		t.Errorf("server script: %v", err)
	}
	if d := srv.Data(); len(d) != 1 || !strings.HasSuffix(string(d[0]), "\r\n.\r\n") {
		t.Errorf("server got %q; want the whole message with its final dot", d)
	}
}

func TestSendWithoutPipelining(t *testing.T) {
	// One command at a time; a 530 to MAIL, AUTH, and the transaction again.
	srv := smtptest.Start(t, nil, tlsOpening([]string{"STARTTLS"}, []string{"AUTH PLAIN", "ENHANCEDSTATUSCODES"},
		smtptest.ExpectLine("MAIL FROM:<user@example.test>"),
		smtptest.Send("530 5.7.0 Authentication required\r\n"),
		smtptest.ExpectLine("AUTH PLAIN "+b64("\x00"+authUser+"\x00"+authPassword)),
		smtptest.Send("235 2.7.0 Authentication successful\r\n"),
		smtptest.ExpectLine("MAIL FROM:<user@example.test>"),
		smtptest.Send("250 2.1.0 Ok\r\n"),
		smtptest.ExpectLine("RCPT TO:<nosuch@example.test>"),
		smtptest.Send("550 5.1.1 <nosuch@example.test>: Recipient address rejected: User unknown\r\n"),
		smtptest.ExpectLine("RCPT TO:<rcpt@example.test>"),
		smtptest.Send("250 2.1.5 Ok\r\n"),
		smtptest.ExpectLine("DATA"),
		smtptest.Send("354 End data with <CR><LF>.<CR><LF>\r\n"),
		smtptest.ExpectData(),
		smtptest.Send("250 2.0.0 Ok: queued as 4F2A1C0123\r\n"),
		smtptest.ExpectLine("QUIT"),
		smtptest.Send("221 2.0.0 Bye\r\n"),
	))
	opts := scriptedOpts(srv, TLSStartTLS, nil)
	opts.Auth = []sasl.Mechanism{sasl.Plain("", authUser, authPassword)}
	opts.AuthMode = AuthOnDemand // the server asks, with a 530 or a relay refusal
	c := dialScripted(t, srv, opts)
	res, err := c.Send(testCtx(t), &Envelope{From: authUser, To: []string{"nosuch@example.test", "rcpt@example.test"}},
		strings.NewReader("Subject: x\n\n.dot\nbare LF\n"))
	if res.State != DeliveryPartial || !reply.IsMailboxUnavailable(err) {
		t.Errorf("Send = %v, %v; want partially delivered, mailbox unavailable", res.State, err)
	}
	if len(res.Recovered) != 1 || res.Final.Text() != "Ok: queued as 4F2A1C0123" {
		t.Errorf("Result: recovered %v, final %v", res.Recovered, res.Final)
	}
	c.Quit(testCtx(t))
	if err := srv.Wait(); err != nil {
		t.Errorf("server script: %v", err)
	}
	if d := srv.Data(); len(d) != 1 || string(d[0]) != "Subject: x\r\n\r\n..dot\r\nbare LF\r\n.\r\n" {
		t.Errorf("server got %q; want the body normalised and dot-stuffed", d)
	}
}

func TestSendAuthRequiredAtRcpt(t *testing.T) {
	srv := smtptest.Start(t, nil, tlsOpening([]string{"STARTTLS"}, []string{"PIPELINING", "AUTH PLAIN"},
		smtptest.Expect("MAIL FROM:"),
		smtptest.Expect("RCPT TO:"),
		smtptest.ExpectLine("DATA"),
		smtptest.Send("250 2.1.0 Ok\r\n530 5.7.0 Authentication required\r\n554 5.5.1 Error: no valid recipients\r\n"),
		smtptest.ExpectLine("RSET"),
		smtptest.Send("250 2.0.0 Ok\r\n"),
		smtptest.Expect("AUTH PLAIN "),
		smtptest.Send("235 2.7.0 Authentication successful\r\n"),
		pipelinedOK[0], pipelinedOK[1], pipelinedOK[2], pipelinedOK[3],
		smtptest.ExpectData(),
		smtptest.Send("250 2.0.0 Ok: queued as 77\r\n"),
	))
	opts := scriptedOpts(srv, TLSStartTLS, nil)
	opts.Auth = sasl.Password(authUser, authPassword)
	opts.AuthMode = AuthOnDemand // the server asks, with a 530 or a relay refusal
	c := dialScripted(t, srv, opts)
	res, err := c.Send(testCtx(t), &Envelope{From: authUser, To: []string{"rcpt@example.test"}}, strings.NewReader(testMessage))
	if err != nil || res.State != DeliveryComplete || len(res.Recovered) != 1 {
		t.Fatalf("Send with a 530 to RCPT = %v, %v (recovered %v); want delivered after AUTH", res.State, err, res.Recovered)
	}
	if re, ok := errors.AsType[*reply.Error](res.Recovered[0]); !ok || re.Command != "RCPT TO" {
		t.Errorf("Recovered = %v; want the 530 to RCPT TO", res.Recovered)
	}
	if err := srv.Wait(); err != nil {
		t.Errorf("server script: %v", err)
	}
}

func TestSendStartsTLSWhenRequired(t *testing.T) {
	// Opportunistic: the server first refuses STARTTLS, then asks for it.
	srv := smtptest.Start(t, nil, smtptest.Script{
		smtptest.Send("220 mx.example.test ESMTP\r\n"),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send(ehloLines("STARTTLS", "ENHANCEDSTATUSCODES")),
		smtptest.ExpectLine("STARTTLS"),
		smtptest.Send("454 4.7.0 TLS not available due to temporary reason\r\n"),
		smtptest.Expect("MAIL FROM:"),
		smtptest.Send("530 5.7.0 Must issue a STARTTLS command first\r\n"),
		smtptest.ExpectLine("STARTTLS"),
		smtptest.Send("220 2.0.0 Ready to start TLS\r\n"),
		smtptest.StartTLS(),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send(ehloLines("PIPELINING")),
		pipelinedOK[0], pipelinedOK[1], pipelinedOK[2], pipelinedOK[3],
		smtptest.ExpectData(),
		smtptest.Send("250 2.0.0 Ok: queued as 78\r\n"),
	})
	c := dialScripted(t, srv, scriptedOpts(srv, TLSOpportunistic, nil))
	if c.Secure() {
		t.Fatal("session secure before the retry; the script is wrong")
	}
	res, err := c.Send(testCtx(t), &Envelope{From: authUser, To: []string{"rcpt@example.test"}}, strings.NewReader(testMessage))
	if err != nil || res.State != DeliveryComplete || len(res.Recovered) != 1 || !reply.IsTLSRequired(res.Recovered[0]) {
		t.Errorf("Send = %v, %v (recovered %v); want delivered after STARTTLS", res.State, err, res.Recovered)
	}
	if !c.Secure() {
		t.Error("Secure() = false after the STARTTLS retry")
	}
	if err := srv.Wait(); err != nil {
		t.Errorf("server script: %v", err)
	}
}

// failingReader returns some bytes, then an error.
type failingReader struct{ n int }

var errReader = errors.New("disk on fire")

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		n := copy(p, "Subject: x\r\n\r\npartial")
		r.n = 0
		return n, nil
	}
	return 0, errReader
}

func TestSendBodyReadErrorAbandonsMessage(t *testing.T) {
	srv := smtptest.Start(t, nil, tlsOpening([]string{"STARTTLS"}, []string{"PIPELINING"},
		append(pipelinedOK, smtptest.StallUntilClosed())...))
	c := dialScripted(t, srv, scriptedOpts(srv, TLSStartTLS, nil))
	res, err := c.Send(testCtx(t), &Envelope{From: authUser, To: []string{"rcpt@example.test"}}, &failingReader{n: 1})
	if !errors.Is(err, errReader) || res.State != DeliveryRejected {
		t.Errorf("Send with a failing body = %v, %v; want rejected, wrapping the reader's error", res.State, err)
	}
	if _, err := c.Noop(testCtx(t)); !errors.Is(err, ErrBroken) {
		t.Errorf("Noop = %v; want ErrBroken (connection dropped)", err)
	}
	if err := srv.Wait(); err != nil {
		t.Errorf("server script: %v", err)
	}
	if got := string(srv.Received()); strings.Contains(got, "\r\n.\r\n") {
		t.Errorf("client sent %q: a final dot would deliver a truncated message", got)
	}
}

func TestSendInputRefusedBeforeSending(t *testing.T) {
	tests := []struct {
		name string
		env  *Envelope
		body io.Reader
	}{
		{"nil envelope", nil, strings.NewReader("x")},
		{"no recipients", &Envelope{From: authUser}, strings.NewReader("x")},
		{"nil body", &Envelope{To: []string{"a@example.test"}}, nil},
		{"bad recipient", &Envelope{To: []string{"a@example.test", "b@example.test\r\nRSET"}}, strings.NewReader("x")},
		{"bad sender", &Envelope{From: "no at sign", To: []string{"a@example.test"}}, strings.NewReader("x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, nil, tlsOpening([]string{"STARTTLS"}, []string{"PIPELINING"}, quitting...))
			c := dialScripted(t, srv, scriptedOpts(srv, TLSStartTLS, nil))
			_, err := c.Send(testCtx(t), tt.env, tt.body)
			if _, ok := errors.AsType[*InputError](err); !ok {
				t.Errorf("Send(%s) = %v; want *InputError", tt.name, err)
			}
			usable(t, c)
			if err := srv.Wait(); err != nil {
				t.Errorf("server script: %v", err)
			}
		})
	}
}

func TestDeliveryStateString(t *testing.T) {
	for s, want := range map[DeliveryState]string{
		DeliveryRejected: "rejected", DeliveryComplete: "delivered", DeliveryPartial: "partially delivered",
		DeliveryUnknown: "unknown", 9: "DeliveryState(9)",
	} {
		if got := s.String(); got != want {
			t.Errorf("DeliveryState(%d).String() = %q, want %q", s, got, want)
		}
	}
}
