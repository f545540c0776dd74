// Command sendmail sends one message with client.SendMail, which connects,
// sends, says QUIT and, when the failure is transient, tries again on a new
// connection after a pause. It prints each attempt, the server's replies
// and the outcome.
//
// With no flags it needs no network: it starts an SMTP server on 127.0.0.1
// that greylists the first attempt ("451 4.7.1 Greylisted, please try again
// later"), as many servers do with a sender they have not seen before:
//
//	go run ./examples/sendmail
//	go run ./examples/sendmail -greylist 3   # more refusals than attempts
//
// With -addr it sends a real message to a real server:
//
//	SMTP_PASSWORD=... go run ./examples/sendmail -addr smtp.example.com:587 \
//		-user me@example.com -from me@example.com -to you@example.org
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
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
	greylist                            int
	delay                               time.Duration
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "", "server host:port; empty starts an embedded server on 127.0.0.1")
	flag.StringVar(&cfg.user, "user", os.Getenv("SMTP_USER"), "user name (default $SMTP_USER)")
	flag.StringVar(&cfg.password, "password", os.Getenv("SMTP_PASSWORD"), "password (default $SMTP_PASSWORD)")
	flag.StringVar(&cfg.tls, "tls", "starttls", "TLS with -addr: implicit, starttls or none")
	flag.StringVar(&cfg.from, "from", "learner@example.test", "sender address")
	flag.StringVar(&cfg.to, "to", "friend@example.test", "recipient address")
	flag.IntVar(&cfg.greylist, "greylist", 1, "attempts the embedded server greylists")
	flag.DurationVar(&cfg.delay, "delay", time.Second, "pause before the first retry; it doubles for each next one")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, cfg); err != nil {
		os.Exit(1) // run has explained the error
	}
}

func run(ctx context.Context, w io.Writer, cfg config) error {
	opts := &client.Options{
		// At most 3 attempts; pauses of cfg.delay, then twice that, with
		// jitter. SendMail retries only what reply.RetryFor calls
		// RetryLater or RetryNewConnection.
		Retry: client.RetryPolicy{MaxAttempts: 3, InitialDelay: cfg.delay},
		// SendMail has no per-attempt callback; the transcript shows the
		// replies (see transcript.go) and each attempt dials anew.
		Logger: slog.New(&replyPrinter{w: w}),
		Dialer: &attemptDialer{w: w, start: time.Now()},
	}
	if cfg.user != "" {
		opts.Auth = sasl.Password(cfg.user, cfg.password)
	}
	switch cfg.tls {
	case "implicit":
		opts.TLS = client.TLSImplicit
	case "none":
		opts.TLS = client.TLSNone
	}
	if cfg.addr == "" {
		srv, err := demo.Start(&demo.Options{Greylist: cfg.greylist})
		if err != nil {
			return err
		}
		defer srv.Close()
		// Cleartext on the loopback interface: nothing leaves this machine.
		cfg.addr, opts.TLS = srv.Addr(), client.TLSNone
		fmt.Fprintf(w, "Embedded SMTP server on %s; it greylists the first %d attempt(s).\n\n", cfg.addr, cfg.greylist)
	}

	env := &client.Envelope{From: cfg.from, To: []string{cfg.to}}
	msg := "From: <" + cfg.from + ">\r\nTo: <" + cfg.to + ">\r\nSubject: Hello from SendMail\r\n" +
		"Date: " + time.Now().Format(time.RFC1123Z) + "\r\n\r\nIt works.\r\n"
	res, err := client.SendMail(ctx, cfg.addr, opts, env, strings.NewReader(msg))
	switch {
	case err == nil:
		fmt.Fprintf(w, "\nDelivered: %s\n", res.Final) // most servers give the queue id
		return nil
	case errors.Is(err, client.ErrDeliveryUnknown):
		fmt.Fprintln(w, "\nUnknown outcome: the server may have the message. Do not send it again blindly.")
	case res.State == client.DeliveryPartial:
		fmt.Fprintf(w, "\nDelivered to %v only; retry the others alone.\n", res.Accepted())
	case reply.RetryFor(err) == reply.RetryLater, reply.RetryFor(err) == reply.RetryNewConnection:
		fmt.Fprintln(w, "\nNot delivered yet: keep the message and try again later.")
	case reply.IsTLSRequired(err):
		fmt.Fprintln(w, "\nTLS is needed first (for the server, or to send a password): use -tls starttls or -tls implicit.")
	case reply.IsAuthRequired(err), reply.IsAuthFailed(err):
		fmt.Fprintln(w, "\nCheck -user and -password ($SMTP_PASSWORD).")
	default:
		fmt.Fprintln(w, "\nRefused: sending it again unchanged will not help.")
	}
	fmt.Fprintf(w, "error: %v\n", err)
	return err
}
