// Command quickstart sends one message and tells, step by step, what the
// server answered and what each reply means.
//
// With no flags it needs no network: it starts an SMTP server on 127.0.0.1
// that refuses mail until the client authenticates, and shows the client,
// set to authenticate when the server asks (client.AuthOnDemand),
// authenticating by itself and trying again:
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -lang es
//
// With -addr it sends a real message to a real server:
//
//	SMTP_PASSWORD=... go run ./examples/quickstart -addr smtp.example.com:587 \
//		-user me@example.com -from me@example.com -to you@example.org
package main

import (
	"context"
	"flag"
	"io"
	"os"
	"strings"
	"time"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/internal/demo"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// The embedded server's only account.
const (
	demoUser     = "learner@example.test"
	demoPassword = "correct horse battery staple"
)

// config is what the flags say.
type config struct {
	addr, user, password, tls, from, to, lang string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "", "server host:port; empty starts an embedded server on 127.0.0.1")
	flag.StringVar(&cfg.user, "user", os.Getenv("SMTP_USER"), "user name (default $SMTP_USER)")
	flag.StringVar(&cfg.password, "password", os.Getenv("SMTP_PASSWORD"), "password (default $SMTP_PASSWORD)")
	flag.StringVar(&cfg.tls, "tls", "starttls", "TLS with -addr: implicit, starttls or none")
	flag.StringVar(&cfg.from, "from", "learner@example.test", "sender address")
	flag.StringVar(&cfg.to, "to", "friend@example.test", "recipient address")
	flag.StringVar(&cfg.lang, "lang", "en", "language of the explanations: en or es")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, cfg); err != nil {
		os.Exit(1) // run has explained the error
	}
}

func run(ctx context.Context, w io.Writer, cfg config) error {
	p := &printer{w: w, lang: cfg.lang}
	// Credentials are configured once: the client authenticates with them
	// before the first MAIL FROM (client.AuthEager, the default).
	opts := &client.Options{}
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
		// A server that refuses mail until the client authenticates.
		srv, err := demo.Start(&demo.Options{Domain: "quickstart.example.test", User: demoUser, Password: demoPassword})
		if err != nil {
			return p.failed(err)
		}
		defer srv.Close()
		cfg.addr, opts.Auth = srv.Addr(), sasl.Password(demoUser, demoPassword)
		// The embedded server speaks cleartext on the loopback interface:
		// nothing leaves this machine. Only for that reason we allow the
		// password without TLS; the client refuses it otherwise.
		opts.TLS, opts.AllowInsecureAuth = client.TLSNone, true
		// To tell the whole story (220, 530, AUTH, 250) the client waits
		// for the server to ask. Against a real server (-addr) it keeps
		// the default, AuthEager: it authenticates before MAIL FROM, and
		// refuses to send at all when the server offers no AUTH.
		opts.AuthMode = client.AuthOnDemand
		p.say("server", srv.Addr(), demoUser)
		p.say("on demand")
	}

	c, err := client.Dial(ctx, cfg.addr, opts)
	if err != nil {
		return p.failed(err)
	}
	defer c.Close()
	p.reply("greeting", c.Greeting())

	msg := "From: <" + cfg.from + ">\r\nTo: <" + cfg.to + ">\r\nSubject: Hello from the quickstart\r\n" +
		"Date: " + time.Now().Format(time.RFC1123Z) + "\r\n\r\nIt works.\r\n"
	res, err := c.Send(ctx, &client.Envelope{From: cfg.from, To: []string{cfg.to}}, strings.NewReader(msg))
	for _, e := range res.Recovered {
		p.refusal(e) // what Send overcame by itself, such as the 530
	}
	if res.Auth.Code != 0 {
		p.reply("AUTH", res.Auth)
	}
	if err != nil {
		return p.failed(err)
	}
	p.reply("end of data", res.Final)
	p.say("delivered", res.State)
	return c.Quit(ctx)
}
