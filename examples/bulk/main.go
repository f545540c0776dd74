// Command bulk sends many messages over one connection with
// client.SendAll and prints how many it sent per second. SendAll sends a
// stream of messages at one round trip each when the server offers
// PIPELINING (RFC 2920): the whole of a small message with BDAT when it
// offers CHUNKING (RFC 3030), or each final dot together with the next
// message's MAIL FROM, RCPT TO and DATA. Every message still gets its own
// result. (From several goroutines, use a client.Pool.)
//
// With no flags it needs no network: it starts an SMTP server on 127.0.0.1
// and, for comparison, sends the same messages with the standard library's
// net/smtp, which waits for each reply before the next command:
//
//	go run ./examples/bulk
//	go run ./examples/bulk -n 10000
//
// This is a rough illustration, one run against a server in the same
// process; the measurement is the benchmark program:
//
//	go run ./internal/bench
//
// With -addr it sends -n real messages to a real server (no comparison):
//
//	SMTP_PASSWORD=... go run ./examples/bulk -n 3 -addr smtp.example.com:587 \
//		-user me@example.com -from me@example.com -to you@example.org
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/internal/demo"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// config is what the flags say.
type config struct {
	addr, user, password, tls, from, to string
	n                                   int
}

func main() {
	var cfg config
	flag.IntVar(&cfg.n, "n", 1000, "number of messages")
	flag.StringVar(&cfg.addr, "addr", "", "server host:port; empty starts an embedded server on 127.0.0.1")
	flag.StringVar(&cfg.user, "user", os.Getenv("SMTP_USER"), "user name (default $SMTP_USER)")
	flag.StringVar(&cfg.password, "password", os.Getenv("SMTP_PASSWORD"), "password (default $SMTP_PASSWORD)")
	flag.StringVar(&cfg.tls, "tls", "starttls", "TLS with -addr: implicit, starttls or none")
	flag.StringVar(&cfg.from, "from", "learner@example.test", "sender address")
	flag.StringVar(&cfg.to, "to", "friend@example.test", "recipient address")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, cfg config) error {
	opts := &client.Options{}
	if cfg.user != "" {
		opts.Auth = sasl.Password(cfg.user, cfg.password) // AUTH before the first MAIL FROM
	}
	switch cfg.tls {
	case "implicit":
		opts.TLS = client.TLSImplicit
	case "none":
		opts.TLS = client.TLSNone
	}
	offline := cfg.addr == ""
	if offline {
		srv, err := demo.Start(nil)
		if err != nil {
			return err
		}
		defer srv.Close()
		// Cleartext on the loopback interface: nothing leaves this machine.
		cfg.addr, opts.TLS = srv.Addr(), client.TLSNone
		fmt.Fprintf(w, "Embedded SMTP server on %s.\n\n", cfg.addr)
	}

	c, err := client.Dial(ctx, cfg.addr, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	env := &client.Envelope{From: cfg.from, To: []string{cfg.to}}
	msg := "From: <" + cfg.from + ">\r\nTo: <" + cfg.to + ">\r\nSubject: bulk\r\n\r\nOne of many.\r\n"
	// The stream: SendAll takes the next message before it reads the
	// reply to the last one, so each message costs one round trip.
	msgs := func(yield func(*client.Message) bool) {
		for range cfg.n {
			if !yield(&client.Message{Envelope: *env, Body: strings.NewReader(msg)}) {
				return
			}
		}
	}
	sent, refused, i, start := 0, 0, 0, time.Now()
	for _, err := range c.SendAll(ctx, msgs) {
		i++
		_, rcpt := errors.AsType[*client.RecipientsError](err)
		switch {
		case err == nil:
			sent++
		case rcpt && reply.IsPermanent(err):
			refused++ // a recipient refused for good costs this message only
		default:
			// Anything else would fail the next message too: a 4xx (the
			// server slows us down; reply.RetryFor says when to resume),
			// authentication, TLS, a lost connection, or
			// client.ErrDeliveryUnknown (do not resend that one). Stop:
			// breaking out lets SendAll finish the message in flight.
			return fmt.Errorf("message %d of %d: %w", i, cfg.n, err)
		}
	}
	d := time.Since(start)
	fmt.Fprintf(w, "client.SendAll, one connection: %d sent, %d refused in %v: %.0f messages/s (PIPELINING: %t)\n",
		sent, refused, d.Round(time.Millisecond), float64(cfg.n)/d.Seconds(), c.Extensions().Pipelining())
	if err := c.Quit(ctx); err != nil {
		return err
	}
	if !offline {
		return nil
	}

	d, err = netSMTP(cfg.addr, cfg.n, env, msg)
	if err != nil {
		return fmt.Errorf("net/smtp: %w", err)
	}
	fmt.Fprintf(w, "net/smtp,       one connection: %d sent in %v: %.0f messages/s\n",
		cfg.n, d.Round(time.Millisecond), float64(cfg.n)/d.Seconds())
	fmt.Fprint(w, comparison)
	return nil
}
