package clienttest_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/client/clienttest"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// sendWithRetry is the code under test: it sends a message and, when the
// server refuses it for now, tries again on a new connection.
func sendWithRetry(ctx context.Context, addr string, opts *client.Options, msg string) (int, error) {
	env := &client.Envelope{From: "me@example.com", To: []string{"you@example.org"}}
	for attempt := 1; ; attempt++ {
		_, err := client.SendMail(ctx, addr, opts, env, strings.NewReader(msg))
		if err == nil || attempt == 3 || reply.RetryFor(err) != reply.RetryLater && reply.RetryFor(err) != reply.RetryNewConnection {
			return attempt, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Test a retry loop against a server that wants authentication and
// greylists the first attempt. (In a test, clienttest.Start(t, opts)
// starts the server and closes it at the end of the test.)
func Example_retryLoop() {
	srv, err := clienttest.NewServer(&clienttest.Options{
		Users:       map[string]string{"me@example.com": "secret"},
		RequireAuth: true,
		Rules:       []clienttest.Rule{clienttest.Greylist(1)},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	opts := &client.Options{
		TLSConfig: srv.ClientTLSConfig(), // trusts the server's throw-away CA
		Auth:      sasl.Password("me@example.com", "secret"),
		Retry:     client.RetryPolicy{MaxAttempts: 1}, // the loop under test retries, not SendMail
	}
	attempts, err := sendWithRetry(context.Background(), srv.Addr(), opts, "Subject: hi\r\n\r\nHello.\r\n")
	fmt.Println("attempts:", attempts, "error:", err)
	fmt.Println("connections:", srv.Connections())
	for _, m := range srv.Messages() {
		fmt.Printf("delivered on connection %d, as %s, TLS %v: %q\n", m.Conn, m.User, m.TLS, m.Data)
	}
	for _, l := range strings.Split(srv.Transcript(), "\n") {
		if strings.Contains(l, " S: 451") {
			fmt.Println(l)
		}
	}
	// Output:
	// attempts: 2 error: <nil>
	// connections: 2
	// delivered on connection 2, as me@example.com, TLS true: "Subject: hi\r\n\r\nHello.\r\n"
	// 1 S: 451 4.7.1 Greylisted, please try again later
}
