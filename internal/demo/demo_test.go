package demo

import (
	"context"
	"errors"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func start(t *testing.T, opts *Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func dial(t *testing.T, s *Server, auth []sasl.Mechanism) (context.Context, *client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	c, err := client.Dial(ctx, s.Addr(), &client.Options{
		TLS: client.TLSNone, AllowInsecureAuth: true, Auth: auth, LocalName: "test.example",
	})
	if err != nil {
		t.Fatalf("Dial(%s) = %v", s.Addr(), err)
	}
	t.Cleanup(func() { c.Close() })
	return ctx, c
}

func send(ctx context.Context, c *client.Client, to ...string) (client.Result, error) {
	return c.Send(ctx, &client.Envelope{From: "a@example.test", To: to}, strings.NewReader("Subject: t\r\n\r\nt\r\n"))
}

var queued = regexp.MustCompile(`^OK: queued as [0-9A-F]{10}$`)

func TestAcceptsWithQueueID(t *testing.T) {
	s := start(t, nil)
	ctx, c := dial(t, s, nil)
	if got := c.Greeting().Text(); !strings.HasPrefix(got, DefaultDomain+" ") {
		t.Errorf("greeting text = %q, want it to start with %q", got, DefaultDomain)
	}
	if _, ok := c.Extension("AUTH"); ok {
		t.Error("server without User advertises AUTH")
	}
	for i := range 2 {
		res, err := send(ctx, c, "b@example.test")
		if err != nil {
			t.Fatalf("Send #%d = %v", i+1, err)
		}
		if res.Final.Code != reply.CodeOK || res.Final.Enhanced.String() != "2.0.0" || !queued.MatchString(res.Final.Text()) {
			t.Errorf("Send #%d final reply = %q, want 250 2.0.0 OK: queued as <10 hex digits>", i+1, res.Final)
		}
	}
	if got := s.Messages(); got != 2 {
		t.Errorf("Messages() = %d after two messages, want 2", got)
	}
}

func TestDomain(t *testing.T) {
	s := start(t, &Options{Domain: "quickstart.example.test"})
	_, c := dial(t, s, nil)
	if got := c.Greeting().Text(); !strings.HasPrefix(got, "quickstart.example.test ") {
		t.Errorf("greeting text = %q, want the configured domain", got)
	}
}

func TestRequiresAuth(t *testing.T) {
	s := start(t, &Options{User: "u@example.test", Password: "pw"})

	// Without credentials: the 530 from MAIL FROM.
	ctx, c := dial(t, s, nil)
	_, err := send(ctx, c, "b@example.test")
	if re, ok := errors.AsType[*reply.Error](err); !ok || re.Command != "MAIL FROM" || re.Reply.String() != "530 5.7.0 Authentication required" {
		t.Errorf("Send without AUTH = %v, want MAIL FROM: 530 5.7.0 Authentication required", err)
	}
	if !reply.IsAuthRequired(err) {
		t.Errorf("reply.IsAuthRequired(%v) = false", err)
	}

	// Wrong password: 535.
	ctx, c = dial(t, s, sasl.Password("u@example.test", "wrong"))
	if _, err := c.Auth(ctx); !reply.IsAuthFailed(err) {
		t.Errorf("Auth with a wrong password = %v, want a 535", err)
	}

	// The right one: Send authenticates by itself.
	ctx, c = dial(t, s, sasl.Password("u@example.test", "pw"))
	res, err := send(ctx, c, "b@example.test")
	if err != nil || res.Auth.Code != reply.CodeAuthSucceeded {
		t.Errorf("Send with credentials = %v (AUTH reply %q), want delivery after 235", err, res.Auth)
	}
}

func TestGreylist(t *testing.T) {
	s := start(t, &Options{Greylist: 2})
	for i, want := range []bool{true, true, false} {
		// A new connection each time, as a retrying client does.
		ctx, c := dial(t, s, nil)
		_, err := send(ctx, c, "b@example.test", "c@example.test")
		if !want {
			if err != nil {
				t.Errorf("transaction %d: Send = %v, want delivery", i+1, err)
			}
			continue
		}
		re, ok := errors.AsType[*client.RecipientsError](err)
		if !ok || len(re.Refused) != 2 {
			t.Fatalf("transaction %d: Send = %v, want both recipients refused", i+1, err)
		}
		for _, r := range re.Refused {
			if e, ok := errors.AsType[*reply.Error](r); !ok || e.Reply.String() != "451 4.7.1 Greylisted, please try again later" {
				t.Errorf("transaction %d: refusal of %s = %v, want 451 4.7.1 Greylisted, please try again later", i+1, r.Address, r.Err)
			}
		}
		if !reply.IsRateLimited(err) || reply.RetryFor(err) != reply.RetryLater {
			t.Errorf("transaction %d: IsRateLimited = %t, RetryFor = %v; want true, later", i+1, reply.IsRateLimited(err), reply.RetryFor(err))
		}
	}
	if got := s.Messages(); got != 1 {
		t.Errorf("Messages() = %d, want 1", got)
	}
}

func TestUnknownRecipient(t *testing.T) {
	s := start(t, &Options{Unknown: []string{"Nobody@example.test"}})
	ctx, c := dial(t, s, nil)
	res, err := send(ctx, c, "nobody@EXAMPLE.test", "b@example.test")
	if res.State != client.DeliveryPartial {
		t.Errorf("Send state = %v, want partially delivered", res.State)
	}
	re, ok := errors.AsType[*reply.Error](err)
	want := "550 5.1.1 <nobody@EXAMPLE.test>: Recipient address rejected: User unknown in local recipient table"
	if !ok || re.Reply.String() != want {
		t.Errorf("Send = %v, want the refusal %q", err, want)
	}
	if !reply.IsMailboxUnavailable(err) {
		t.Errorf("reply.IsMailboxUnavailable(%v) = false", err)
	}
}

// Close ends the connections still open, even one that has not said a
// word; goleak (TestMain) checks that nothing is left running.
func TestCloseWithOpenConnections(t *testing.T) {
	s, err := Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, c := dial(t, s, nil)
	raw, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := s.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Noop(ctx); err == nil {
		t.Error("Noop after Close succeeded; want a lost connection")
	}
	raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 512)
	for {
		if _, err := raw.Read(buf); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Error("raw connection still open 10 s after Close")
			}
			break
		}
	}
}
