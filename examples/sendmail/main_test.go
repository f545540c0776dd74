package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/internal/demo"
	"github.com/seed-e4e66a4f/smtp/reply"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// inOrder fails unless out matches the regular expressions one after
// the other.
func inOrder(t *testing.T, out string, pats ...string) {
	t.Helper()
	rest := out
	for _, pat := range pats {
		loc := regexp.MustCompile(pat).FindStringIndex(rest)
		if loc == nil {
			t.Fatalf("output lacks %q after the previous lines:\n%s", pat, out)
		}
		rest = rest[loc[1]:]
	}
}

func offline(greylist int) config {
	return config{tls: "starttls", from: "learner@example.test", to: "friend@example.test", greylist: greylist, delay: 10 * time.Millisecond}
}

func TestGreylistedThenDelivered(t *testing.T) {
	var out bytes.Buffer
	cfg := offline(1)
	if err := run(testCtx(t), &out, cfg); err != nil {
		t.Fatalf("run(%+v) = %v\n%s", cfg, err, out.String())
	}
	inOrder(t, out.String(),
		`(?m)^Embedded SMTP server on 127\.0\.0\.1:\d+; it greylists the first 1 attempt\(s\)\.$`,
		`(?m)^attempt 1, at [0-9.]+s: connecting to 127\.0\.0\.1:\d+$`,
		`(?m)^   S: 220 demo\.example\.test `,
		`(?m)^   S: 451 4\.7\.1 Greylisted, please try again later$`,
		`(?m)^attempt 2, at [0-9.]+s: connecting to `,
		`(?m)^   S: 250 2\.0\.0 I'll make sure <friend@example\.test> gets this$`,
		`(?m)^   S: 250 2\.0\.0 OK: queued as [0-9A-F]{10}$`,
		`(?m)^Delivered: 250 2\.0\.0 OK: queued as [0-9A-F]{10}$`,
	)
	if strings.Contains(out.String(), "attempt 3") {
		t.Errorf("a third attempt after the delivery:\n%s", out.String())
	}
}

func TestGivesUpAfterThreeAttempts(t *testing.T) {
	var out bytes.Buffer
	cfg := offline(5)
	err := run(testCtx(t), &out, cfg)
	if _, ok := errors.AsType[*client.RecipientsError](err); !ok || !reply.IsRateLimited(err) || reply.RetryFor(err) != reply.RetryLater {
		t.Errorf("run(%+v) = %v; want the greylisted recipient, rate limited, retry later", cfg, err)
	}
	inOrder(t, out.String(),
		`(?m)^attempt 1,`, `(?m)^   S: 451 4\.7\.1 `,
		`(?m)^attempt 2,`, `(?m)^   S: 451 4\.7\.1 `,
		`(?m)^attempt 3,`, `(?m)^   S: 451 4\.7\.1 `,
		`(?m)^Not delivered yet: keep the message and try again later\.$`,
		`(?m)^error: smtp: 1 of 1 recipients refused: recipient <friend@example\.test>: RCPT TO: 451 4\.7\.1 Greylisted`,
	)
	if strings.Contains(out.String(), "attempt 4") {
		t.Errorf("more than 3 attempts:\n%s", out.String())
	}
}

// With -addr: no embedded server, and no retry of a permanent refusal.
func TestRealServerModeNoRetryOfPermanent(t *testing.T) {
	srv, err := demo.Start(&demo.Options{Unknown: []string{"nobody@example.test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var out bytes.Buffer
	cfg := config{addr: srv.Addr(), tls: "none", from: "learner@example.test", to: "nobody@example.test", delay: 10 * time.Millisecond}
	err = run(testCtx(t), &out, cfg)
	if !reply.IsMailboxUnavailable(err) || reply.RetryFor(err) != reply.RetryNever {
		t.Errorf("run(%+v) = %v; want the 550 5.1.1, never retried", cfg, err)
	}
	inOrder(t, out.String(),
		`(?m)^attempt 1,`,
		`(?m)^   S: 550 5\.1\.1 <nobody@example\.test>: Recipient address rejected`,
		`(?m)^Refused: sending it again unchanged will not help\.$`,
	)
	if o := out.String(); strings.Contains(o, "Embedded") || strings.Contains(o, "attempt 2") {
		t.Errorf("an embedded server or a second attempt with -addr:\n%s", o)
	}
}
