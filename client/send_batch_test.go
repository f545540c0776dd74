package client

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	smtp "github.com/emersion/go-smtp"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
	"github.com/seed-e4e66a4f/smtp/reply"
)

func TestSendRcptMaxGoSMTP(t *testing.T) {
	to := []string{"a@example.test", "b@example.test", "c@example.test", "d@example.test"}
	tests := []struct {
		name       string
		requireAll bool
		state      DeliveryState
		delivered  []string
		rcpts      int // RCPT TO commands sent
	}{
		{"deliver to the first ones", false, DeliveryPartial, to[:2], 2},
		{"require all", true, DeliveryRejected, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// go-smtp announces LIMITS RCPTMAX=2 and answers 452 to a
			// third RCPT TO.
			s, c, log := dialBDATGoSMTP(t, func(s *smtp.Server) { s.MaxRecipients = 2 })
			ctx := testCtx(t)
			if lim, ok := c.Extensions().Limits(); !ok || lim.RcptMax != 2 {
				t.Fatalf("Limits() = %+v, %v; want RCPTMAX 2", lim, ok)
			}
			res, err := c.Send(ctx, &Envelope{From: "s@example.test", To: to, RequireAllRecipients: tt.requireAll}, strings.NewReader(testMessage))
			if res.State != tt.state {
				t.Errorf("Send to %d recipients = %v, %v; want %v", len(to), res.State, err, tt.state)
			}
			re, ok := errors.AsType[*RecipientsError](err)
			if !ok || len(re.Refused) != 2 || re.Refused[0].Address != "c@example.test" || re.Refused[1].Address != "d@example.test" {
				t.Fatalf("Send error = %v; want a *RecipientsError for c and d", err)
			}
			le, ok := errors.AsType[*RecipientLimitError](err)
			if !ok || le.Limit != 2 {
				t.Errorf("errors.AsType[*RecipientLimitError](%v) = %v; want limit 2", err, le)
			}
			if !reply.IsTemporary(err) || reply.RetryFor(err) != reply.RetryLater {
				t.Errorf("Send error %v: IsTemporary %v, RetryFor %v; want true, later", err, reply.IsTemporary(err), reply.RetryFor(err))
			}
			for _, rr := range res.Recipients[2:] {
				if rr.Reply.Code != 0 || !errors.Is(rr.Err, reply.ErrTransient) {
					t.Errorf("Recipients[%s] = %v, %v; want no reply, not attempted", rr.Address, rr.Reply, rr.Err)
				}
			}
			if n := strings.Count(log.text(), "C: RCPT TO:"); n != tt.rcpts {
				t.Errorf("client sent %d RCPT TO, want %d:\n%s", n, tt.rcpts, log.text())
			}
			msgs := s.messages()
			switch {
			case tt.delivered == nil && len(msgs) != 0:
				t.Errorf("server got %+v, want nothing", msgs)
			case tt.delivered != nil && (len(msgs) != 1 || !slices.Equal(msgs[0].Rcpts, tt.delivered)):
				t.Errorf("server got %+v, want one message to %v", msgs, tt.delivered)
			}
			if _, err := c.Noop(ctx); err != nil {
				t.Errorf("Noop = %v; want the session usable", err)
			}
		})
	}
}

func TestSendPipelineBatches(t *testing.T) {
	// 150 recipients: MAIL and 99 RCPT TO, their replies, then 51 RCPT TO
	// with DATA, their replies.
	const n = 150
	var to []string
	var s smtptest.Script
	s = append(s, hello...)
	s = append(s, smtptest.ExpectLine("MAIL FROM:<a@example.test>"))
	for i := range n {
		to = append(to, fmt.Sprintf("r%d@example.test", i))
		s = append(s, smtptest.ExpectLine("RCPT TO:<"+to[i]+">"))
		if i == maxPipelineBatch-2 {
			s = append(s, smtptest.Send("250 2.1.0 Ok\r\n"+strings.Repeat("250 2.1.5 Ok\r\n", maxPipelineBatch-1)))
		}
	}
	s = append(s,
		smtptest.ExpectLine("DATA"),
		smtptest.Send(strings.Repeat("250 2.1.5 Ok\r\n", n-(maxPipelineBatch-1))+"354 go ahead\r\n"),
		smtptest.ExpectData(),
		smtptest.Send("250 2.0.0 Ok: queued as B\r\n"),
	)
	srv := smtptest.Start(t, nil, append(s, quitting...))
	log := &logCollector{}
	c := dialScripted(t, srv, plain(&Options{Logger: slog.New(log)}))
	res, err := c.Send(testCtx(t), &Envelope{From: "a@example.test", To: to}, strings.NewReader(testMessage))
	if err != nil || res.State != DeliveryComplete {
		t.Fatalf("Send to %d recipients = %v, %v; want delivered", n, res.State, err)
	}
	usable(t, c)
	waitScript(t, srv)
	// The transcript logs each command when it is queued and each reply
	// when it is read: a batch is a run of commands, then its replies.
	var runs []string
	for _, l := range strings.Split(strings.TrimSpace(log.text()), "\n") {
		kind := l[:2]
		if len(runs) > 0 && strings.HasPrefix(runs[len(runs)-1], kind) {
			var k int
			fmt.Sscanf(runs[len(runs)-1][3:], "%d", &k)
			runs[len(runs)-1] = fmt.Sprintf("%s %d", kind, k+1)
			continue
		}
		runs = append(runs, kind+" 1")
	}
	want := []string{"S: 1", "C: 1", "S: 1", // greeting, EHLO
		"C: 100", "S: 100", // MAIL and 99 RCPT
		"C: 52", "S: 52", // 51 RCPT and DATA
		"C: 2", "S: 1", // the body and the final dot
		"C: 1", "S: 1", "C: 1", "S: 1"} // NOOP, QUIT
	if !slices.Equal(runs, want) {
		t.Errorf("transcript runs %q, want %q", runs, want)
	}
}

func TestSendRcptMaxScripted(t *testing.T) {
	// Without PIPELINING, one command at a time: two RCPT TO, then DATA.
	srv := smtptest.Start(t, nil, script(steps(
		smtptest.Send("220 mx.example.test ESMTP\r\n"),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send(ehloLines("LIMITS RCPTMAX=2 MAILMAX=10")),
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"), smtptest.Send("250 ok\r\n"),
		smtptest.ExpectLine("RCPT TO:<b@example.test>"), smtptest.Send("250 ok\r\n"),
		smtptest.ExpectLine("RCPT TO:<c@example.test>"), smtptest.Send("250 ok\r\n"),
		smtptest.ExpectLine("DATA"), smtptest.Send("354 go\r\n"),
		smtptest.ExpectData(), smtptest.Send("250 queued\r\n"),
	), quitting))
	c := dialScripted(t, srv, plain(nil))
	res, err := c.Send(testCtx(t), &Envelope{From: "a@example.test", To: []string{"b@example.test", "c@example.test", "d@example.test"}}, strings.NewReader(testMessage))
	if res.State != DeliveryPartial || !slices.Equal(res.Accepted(), []string{"b@example.test", "c@example.test"}) {
		t.Errorf("Send = %v (accepted %v), %v; want partial to b and c", res.State, res.Accepted(), err)
	}
	if _, ok := errors.AsType[*RecipientLimitError](err); !ok {
		t.Errorf("Send error = %v; want a *RecipientLimitError", err)
	}
	usable(t, c)
	waitScript(t, srv)
}
