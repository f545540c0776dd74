package client_test

import (
	"context"
	"errors"
	"log"
	"os"
	"strings"
	"time"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// Send a message with a password read from the environment. The client
// authenticates before MAIL FROM, over STARTTLS with a verified
// certificate only (and sends nothing when the server offers no AUTH), and
// retries transient failures on a new connection.
func ExampleSendMail() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	opts := &client.Options{
		Auth: sasl.Password("me@example.com", os.Getenv("SMTP_PASSWORD")),
	}
	env := &client.Envelope{From: "me@example.com", To: []string{"you@example.org"}}
	body := strings.NewReader("Subject: Hello\r\n\r\nHi!\r\n")

	res, err := client.SendMail(ctx, "smtp.example.com:587", opts, env, body)
	switch {
	case err == nil:
		log.Printf("delivered: %s", res.Final) // "250 2.0.0 Ok: queued as ..."
	case res.State == client.DeliveryUnknown:
		log.Printf("the server may have the message; not sending it again: %v", err)
	case reply.IsAuthFailed(err):
		log.Printf("wrong user name or password: %v", err)
	case errors.As(err, new(*client.UnsupportedError)):
		log.Printf("the server offers no AUTH here (wrong port?): %v", err)
	case reply.IsTLSRequired(err):
		log.Printf("the server or our policy needs TLS first: %v", err)
	default:
		log.Printf("not delivered (%v), retry %v: %v", res.State, reply.RetryFor(err), err)
	}
}

// Send one message on an open session and look at each recipient.
func ExampleClient_Send() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "mx.example.org:25", &client.Options{TLS: client.TLSOpportunistic})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	env := &client.Envelope{From: "me@example.com", To: []string{"a@example.org", "b@example.org"}}
	res, err := c.Send(ctx, env, strings.NewReader("Subject: Hello\r\n\r\nHi!\r\n"))
	if re, ok := errors.AsType[*client.RecipientsError](err); ok {
		for _, r := range re.Refused {
			log.Printf("%s refused (mailbox unavailable: %t): %v", r.Address, reply.IsMailboxUnavailable(r), r.Err)
		}
	} else if err != nil {
		log.Fatal(err)
	}
	log.Printf("%s to %v", res.State, res.Accepted())
	c.Quit(ctx)
}

// The caller's own authentication loop: no credentials in Options, so
// Send returns the server's 530, and the caller authenticates with
// Client.Auth and sends again. (With Options.Auth set, Send authenticates
// before MAIL FROM by itself; with AuthMode AuthOnDemand, after the 530.)
func ExampleClient_Auth_ownLoop() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "smtp.example.com:587", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	env := &client.Envelope{From: "me@example.com", To: []string{"you@example.org"}}
	msg := "Subject: Hello\r\n\r\nHi!\r\n"
	_, err = c.Send(ctx, env, strings.NewReader(msg))
	if reply.IsAuthRequired(err) {
		if _, err := c.Auth(ctx, sasl.Password("me@example.com", os.Getenv("SMTP_PASSWORD"))...); err != nil {
			log.Fatal(err)
		}
		_, err = c.Send(ctx, env, strings.NewReader(msg))
	}
	if err != nil {
		log.Fatal(err)
	}
	c.Quit(ctx)
}
