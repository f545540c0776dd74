package client

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
)

// TestTranscriptRedaction drives the command layer the way auth.go does and
// checks that no secret reaches the log.
func TestTranscriptRedaction(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, steps(
		smtptest.ExpectLine("AUTH PLAIN AHVzZXIAc2VjcmV0"),
		smtptest.Send("535 5.7.8 Authentication failed\r\n"),
		smtptest.ExpectLine("AUTH LOGIN"),
		smtptest.Send("334 VXNlcm5hbWU6\r\n"),
		smtptest.ExpectLine("dXNlcg=="),
		smtptest.Send("334 UGFzc3dvcmQ6\r\n"),
		smtptest.ExpectLine("c2VjcmV0"),
		smtptest.Send("235 2.7.0 Authentication successful\r\n"),
		smtptest.ExpectLine("MAIL FROM:<user@example.test>"),
		smtptest.Send("250 2.1.0 Ok\r\n"),
		smtptest.ExpectLine("RCPT TO:<nosuch@example.test>"),
		smtptest.Send("550 5.1.1 <nosuch@example.test>: Recipient address rejected\r\n"),
		smtptest.ExpectLine("QUIT"),
		smtptest.Send("221 bye\r\n"),
	)))
	log := &logCollector{}
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr(), &Options{TLS: TLSNone, LocalName: "client.test", Logger: slog.New(log), MaskAddresses: true})
	if err != nil {
		t.Fatal(err)
	}
	auth := expect{verb: "AUTH", stage: stageCommand, want: wantAuth}
	for _, line := range []string{"AUTH PLAIN AHVzZXIAc2VjcmV0", "AUTH LOGIN", "dXNlcg==", "c2VjcmV0"} {
		stop, err := c.enter(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c.line = append(c.line[:0], line...)
		_, err = c.roundTrip(ctx, auth, c.line)
		c.leave(ctx, stop, "AUTH", err)
	}
	c.Mail(ctx, "user@example.test", nil)
	c.Rcpt(ctx, "nosuch@example.test", nil)
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
	waitScript(t, srv)

	got := log.text()
	want := `S: 220 mx.example.test ESMTP
C: EHLO client.test
S: 250 mx.example.test\nPIPELINING\n8BITMIME\nSIZE 10240000
C: AUTH PLAIN <redacted>
S: 535 5.7.8 Authentication failed
C: AUTH LOGIN
S: 334 VXNlcm5hbWU6
C: <redacted>
S: 334 UGFzc3dvcmQ6
C: <redacted>
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<***@example.test>
S: 250 2.1.0 Ok
C: RCPT TO:<***@example.test>
S: 550 5.1.1 <***@example.test>: Recipient address rejected
C: QUIT
S: 221 bye
`
	if got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
	for _, secret := range []string{"AHVzZXIAc2VjcmV0", "dXNlcg==", "c2VjcmV0", "nosuch", "user@"} {
		if strings.Contains(got, secret) {
			t.Errorf("transcript contains %q", secret)
		}
	}
}

// TestTranscriptDisabledLevel checks that nothing is logged when the
// handler does not enable the Debug level.
func TestTranscriptDisabledLevel(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, steps(
		smtptest.ExpectLine("NOOP"), smtptest.Send("250 ok\r\n"),
		smtptest.ExpectLine("QUIT"), smtptest.Send("221 bye\r\n"),
	)))
	log := &levelCollector{logCollector: &logCollector{}, min: slog.LevelInfo}
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr(), &Options{TLS: TLSNone, LocalName: "client.test", Logger: slog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	c.Noop(ctx)
	c.Quit(ctx)
	waitScript(t, srv)
	if got := log.text(); got != "" {
		t.Errorf("transcript at Info level = %q, want nothing (it is Debug)", got)
	}
}

type levelCollector struct {
	*logCollector
	min slog.Level
}

func (h *levelCollector) Enabled(_ context.Context, l slog.Level) bool { return l >= h.min }
