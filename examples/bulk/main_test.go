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

func TestOffline(t *testing.T) {
	var out bytes.Buffer
	cfg := config{n: 20, tls: "starttls", from: "learner@example.test", to: "friend@example.test"}
	if err := run(testCtx(t), &out, cfg); err != nil {
		t.Fatalf("run(%+v) = %v\n%s", cfg, err, out.String())
	}
	for _, pat := range []string{
		`(?m)^Embedded SMTP server on 127\.0\.0\.1:\d+\.$`,
		`(?m)^client\.SendAll, one connection: 20 sent, 0 refused in \S+: \d+ messages/s \(PIPELINING: true\)$`,
		`(?m)^net/smtp,       one connection: 20 sent in \S+: \d+ messages/s$`,
		`(?m)^A rough illustration, not a benchmark`,
		`(?m)^\tgo run \./internal/bench$`,
	} {
		if !regexp.MustCompile(pat).MatchString(out.String()) {
			t.Errorf("output lacks %q:\n%s", pat, out.String())
		}
	}
}

// startDemo starts a demo server for the -addr mode.
func startDemo(t *testing.T, opts *demo.Options) *demo.Server {
	t.Helper()
	srv, err := demo.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// With -addr: the messages go to that server, with credentials when it
// asks for them, and there is no net/smtp comparison.
func TestRealServerMode(t *testing.T) {
	srv := startDemo(t, &demo.Options{User: "u@example.test", Password: "pw"})
	var out bytes.Buffer
	cfg := config{n: 5, addr: srv.Addr(), user: "u@example.test", password: "pw", tls: "none",
		from: "u@example.test", to: "friend@example.test"}
	// -tls none with a password: the client refuses to authenticate in
	// cleartext, and says why.
	err := run(testCtx(t), &out, cfg)
	if te, ok := errors.AsType[*client.TLSError](err); !ok || te.Reason != client.TLSReasonNotSecure {
		t.Errorf("run(-tls none, -user) = %v, want the cleartext refusal", err)
	}
	if got := srv.Messages(); got != 0 {
		t.Errorf("server got %d messages, want 0", got)
	}

	// Without credentials on a server that needs none: delivered.
	srv = startDemo(t, nil)
	out.Reset()
	cfg = config{n: 5, addr: srv.Addr(), tls: "none", from: "u@example.test", to: "friend@example.test"}
	if err := run(testCtx(t), &out, cfg); err != nil {
		t.Fatalf("run(%+v) = %v", cfg, err)
	}
	if got := srv.Messages(); got != 5 {
		t.Errorf("server got %d messages, want 5", got)
	}
	if o := out.String(); strings.Contains(o, "net/smtp") || strings.Contains(o, "Embedded") {
		t.Errorf("comparison or embedded server with -addr:\n%s", o)
	}
}

// A permanent refusal costs one message; a transient one stops the run.
func TestRefusals(t *testing.T) {
	srv := startDemo(t, &demo.Options{Unknown: []string{"nobody@example.test"}})
	var out bytes.Buffer
	cfg := config{n: 3, addr: srv.Addr(), tls: "none", from: "u@example.test", to: "nobody@example.test"}
	if err := run(testCtx(t), &out, cfg); err != nil {
		t.Fatalf("run(%+v) = %v", cfg, err)
	}
	if !strings.Contains(out.String(), ": 0 sent, 3 refused in ") {
		t.Errorf("run(%+v) output does not count 3 refusals:\n%s", cfg, out.String())
	}

	srv = startDemo(t, &demo.Options{Greylist: 1})
	cfg = config{n: 3, addr: srv.Addr(), tls: "none", from: "u@example.test", to: "friend@example.test"}
	err := run(testCtx(t), &out, cfg)
	if !reply.IsRateLimited(err) || reply.RetryFor(err) != reply.RetryLater || !strings.HasPrefix(err.Error(), "message 1 of 3: ") {
		t.Errorf("run(%+v) = %v; want message 1 greylisted, retry later", cfg, err)
	}
	if got := srv.Messages(); got != 0 {
		t.Errorf("server got %d messages after the 451, want 0", got)
	}
}
