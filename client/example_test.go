package client_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"time"

	"golang.org/x/net/proxy"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// A whole session, step by step: connect (STARTTLS is required by
// default), run one mail transaction and keep the queue id.
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	c, err := client.Dial(ctx, "mx.example.org:25", nil)
	if err != nil {
		log.Fatal(err) // a *client.TLSError if the server cannot do TLS
	}
	defer c.Close()

	if _, err := c.Mail(ctx, "me@example.com", nil); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Rcpt(ctx, "you@example.org", nil); err != nil {
		log.Fatal(err) // a *reply.Error: reply.IsMailboxUnavailable(err)...
	}
	w, err := c.Data(ctx)
	if err != nil {
		log.Fatal(err)
	}
	// Line endings are normalised to CRLF and dots are stuffed on the way.
	if _, err := io.WriteString(w, "Subject: Hello\n\nHi!\n"); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		if errors.Is(err, client.ErrDeliveryUnknown) {
			log.Fatalf("the server may have the message; do not resend blindly: %v", err)
		}
		log.Fatal(err)
	}
	log.Printf("queued: %s", w.Reply().Text()) // "2.0.0 Ok: queued as 4F2A1C0123"
	if err := c.Quit(ctx); err != nil {
		log.Print(err)
	}
}

// Submission on port 465 uses implicit TLS by default; a client
// certificate or a private CA goes in TLSConfig.
func ExampleDial_implicitTLS() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "smtp.example.com:465", &client.Options{
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS13},
		LocalName: "client.example.com",
		Timeouts:  client.Timeouts{Greeting: 30 * time.Second},
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	state, _ := c.TLSConnectionState()
	log.Printf("TLS %x, secure %t, extensions %v", state.Version, c.Secure(), c.Extensions().Names())
}

// Connect through a SOCKS5 proxy with golang.org/x/net/proxy. The proxy
// resolves the name; the certificate is still verified against it.
func ExampleOptions_socks5() {
	d, err := proxy.SOCKS5("tcp", "127.0.0.1:1080",
		&proxy.Auth{User: "socksuser", Password: "sockspass"}, &net.Dialer{Timeout: 10 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.Dial(context.Background(), "smtp.example.com:587", &client.Options{
		Dialer: d.(proxy.ContextDialer),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}

// Per-message options are typed: DSN, SIZE checked against the server's
// limit before anything is sent, SMTPUTF8 for internationalised addresses.
func ExampleClient_Mail() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "mx.example.org:25", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.Mail(ctx, "jörg@exämple.com", &client.MailOptions{
		Size:       120_000,
		UTF8:       true,
		Return:     client.DSNReturnHeaders,
		EnvelopeID: "msg-42",
	})
	if se, ok := errors.AsType[*client.SizeError](err); ok {
		log.Fatalf("too big for this server (%d > %d)", se.Size, se.Limit)
	}
	if ue, ok := errors.AsType[*client.UnsupportedError](err); ok {
		log.Fatalf("the server lacks %s", ue.Extension)
	}
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Rcpt(ctx, "you@example.org", &client.RcptOptions{
		Notify:            client.DSNNotifyFailure | client.DSNNotifyDelay,
		OriginalRecipient: "you@example.org",
	})
	if err != nil {
		log.Fatal(err)
	}
}

// A refused recipient comes back as a *reply.Error with the typed reply;
// the transaction goes on for the others. (The server here is a script
// that answers as Postfix does.)
func ExampleClient_Rcpt() {
	addr, stop := postfixLike()
	defer stop()
	ctx := context.Background()
	c, err := client.Dial(ctx, addr, &client.Options{TLS: client.TLSNone, LocalName: "client.example.com"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if _, err := c.Mail(ctx, "me@example.com", nil); err != nil {
		log.Fatal(err)
	}
	for _, to := range []string{"nosuch@example.test", "user@example.test"} {
		r, err := c.Rcpt(ctx, to, nil)
		if e, ok := errors.AsType[*reply.Error](err); ok {
			fmt.Printf("%s: refused: %s %s (permanent %t)\n", to, e.Reply.Code, e.Reply.Enhanced, errors.Is(err, reply.ErrPermanent))
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %s\n", to, r)
	}
	// Bad input never reaches the wire.
	_, err = c.Rcpt(ctx, "x@example.test>\r\nDATA", nil)
	if ie, ok := errors.AsType[*client.InputError](err); ok {
		fmt.Println("refused locally:", ie.Reason)
	}
	if err := c.Quit(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// nosuch@example.test: refused: 550 5.1.1 (permanent true)
	// user@example.test: 250 2.1.5 Ok
	// refused locally: contains '<' or '>'
}

// postfixLike starts a scripted server that answers like Postfix.
func postfixLike() (addr string, stop func()) {
	srv, err := smtptest.NewServer(nil, smtptest.Script{
		smtptest.Send("220 postfix.example.test ESMTP Postfix\r\n"),
		smtptest.Expect("EHLO "),
		smtptest.Send("250-postfix.example.test\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n"),
		smtptest.Expect("MAIL FROM:"),
		smtptest.Send("250 2.1.0 Ok\r\n"),
		smtptest.Expect("RCPT TO:<nosuch@"),
		smtptest.Send("550 5.1.1 <nosuch@example.test>: Recipient address rejected: User unknown in virtual mailbox table\r\n"),
		smtptest.Expect("RCPT TO:<user@"),
		smtptest.Send("250 2.1.5 Ok\r\n"),
		smtptest.ExpectLine("QUIT"),
		smtptest.Send("221 2.0.0 Bye\r\n"),
	})
	if err != nil {
		log.Fatal(err)
	}
	return srv.Addr(), srv.Close
}

// Errors tell what happened and what to do next.
func Example_errors() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "mx.example.org:25", nil)
	if te, ok := errors.AsType[*client.TLSError](err); ok {
		// TLSReasonNotOffered, TLSReasonRefused or TLSReasonHandshake:
		// choose TLSOpportunistic only if plain text is acceptable.
		log.Fatalf("no TLS: %v", te)
	}
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	_, err = c.Mail(ctx, "me@example.com", nil)
	switch {
	case err == nil:
	case errors.Is(err, client.ErrBroken):
		log.Fatalf("connection lost earlier; reconnect: %v", err)
	case reply.IsTemporary(err):
		log.Fatalf("try again later (%v): %v", reply.RetryFor(err), err)
	default:
		log.Fatal(err)
	}
}
