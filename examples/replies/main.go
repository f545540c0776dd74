// Command replies reads a few real SMTP replies, copied from well-known
// servers, and prints what a program can learn from each with package
// reply: the class, the enhanced status code and its description, the
// predicates that hold, the retry advice (with the pause worth waiting)
// and a one-line explanation.
//
// It needs no network:
//
//	go run ./examples/replies
//	go run ./examples/replies -lang es
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// samples are replies as servers send them, with the command they answer:
// some rules depend on it (a 454 means one thing after AUTH, another after
// MAIL FROM).
var samples = []struct{ server, command, wire string }{
	{"Gmail", "MAIL FROM", "530-5.7.0 Authentication Required. Learn more at\r\n" +
		"530 5.7.0  https://support.google.com/mail/?p=WantAuthError 5b1f17b1804b1-43b4d2ce0f3sm1234567f8f.23 - gsmtp\r\n"},
	{"Microsoft 365", "AUTH", "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. " +
		"Visit https://aka.ms/smtp_auth_disabled for more information. [MN2PR20CA0012.namprd20.prod.outlook.com]\r\n"},
	{"Amazon SES", "MAIL FROM", "454 Throttling failure: Maximum sending rate exceeded.\r\n"},
	{"Postfix", "RCPT TO", "550 5.1.1 <nosuch@example.test>: Recipient address rejected: User unknown in virtual mailbox table\r\n"},
	{"milter-greylist", "RCPT TO", "451 4.7.1 Greylisting in action, please come back later\r\n"},
	{"Postfix", "greeting", "421 4.7.0 postfix.example.test Error: too many connections from 127.0.0.1\r\n"},
	// The text names the cause, whatever the enhanced code says.
	{"Yandex", "RCPT TO", "550 5.7.1 No such user!\r\n"},
	{"Orange", "RCPT TO", "552 5.1.1 Boite du destinataire pleine. Recipient overquota. OFR_417 [417]\r\n"},
	// Refused for a stated policy reason, and a domain that does not exist.
	{"Yahoo", "greeting", "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.1, because the ip is in Spamhaus's list; " +
		"see https://postmaster.yahooinc.com/error-codes\r\n"},
	{"Gmail", "RCPT TO", "553 5.1.2 We weren't able to find the recipient domain. Please check for any spelling errors. gsmtp\r\n"},
	// Several kinds at once: closing, TLS required and rate limited.
	{"Gmail", "end of data", "421-4.7.29 Your email has been rate limited because this message wasn't sent over a TLS\r\n" +
		"421 4.7.29 connection. Gmail requires all bulk email senders to use TLS/SSL for SMTP connections. gsmtp\r\n"},
}

// predicates are the questions a program asks about a failure.
var predicates = []struct {
	name string
	is   func(error) bool
}{
	{"IsTemporary", reply.IsTemporary}, {"IsPermanent", reply.IsPermanent},
	{"IsAuthRequired", reply.IsAuthRequired}, {"IsTLSRequired", reply.IsTLSRequired},
	{"IsAuthFailed", reply.IsAuthFailed}, {"IsAuthTemporary", reply.IsAuthTemporary},
	{"IsMechanismTooWeak", reply.IsMechanismTooWeak}, {"IsPasswordTransition", reply.IsPasswordTransition},
	{"IsServiceClosing", reply.IsServiceClosing}, {"IsMailboxUnavailable", reply.IsMailboxUnavailable},
	{"IsMailboxFull", reply.IsMailboxFull}, {"IsMessageTooLarge", reply.IsMessageTooLarge},
	{"IsRateLimited", reply.IsRateLimited}, {"IsPolicyRejection", reply.IsPolicyRejection},
	{"IsDomainUnavailable", reply.IsDomainUnavailable},
}

func main() {
	lang := flag.String("lang", "en", "language of the explanations: en or es")
	flag.Parse()
	if err := run(os.Stdout, *lang); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(w io.Writer, lang string) error {
	for _, s := range samples {
		r, err := reply.Parse([]byte(s.wire), nil)
		if err != nil {
			return fmt.Errorf("%s: %w", s.server, err) // a *reply.ProtocolError
		}
		// A client returns a 4xx/5xx reply as a *reply.Error that names the
		// command; the predicates and RetryFor take any error wrapping one.
		e := &reply.Error{Command: s.command, Reply: r}

		var holds []string
		for _, p := range predicates {
			if p.is(e) {
				holds = append(holds, p.name)
			}
		}
		// Error.Explain knows the command: a 454 after MAIL FROM is a rate
		// limit, not the temporary AUTH failure it would be after AUTH.
		x := e.Explain(lang)
		fmt.Fprintf(w, "%s, %s: %s\n", s.server, s.command, r) // r.String() is safe to print
		fmt.Fprintf(w, "  class:      %dxx %s\n", r.Class(), r.Class())
		if r.Enhanced.IsZero() {
			fmt.Fprintf(w, "  enhanced:   none\n")
		} else {
			fmt.Fprintf(w, "  enhanced:   %s %s\n", r.Enhanced, r.Enhanced.Description())
		}
		fmt.Fprintf(w, "  predicates: %s\n", strings.Join(holds, " "))
		// RetryDelay is the shortest pause worth waiting: longer for a
		// rate limit than for another transient failure.
		if d := reply.RetryDelay(e); d > 0 {
			fmt.Fprintf(w, "  retry:      %s, after at least %s\n", reply.RetryFor(e), d)
		} else {
			fmt.Fprintf(w, "  retry:      %s\n", reply.RetryFor(e))
		}
		fmt.Fprintf(w, "  explain:    %s. %s\n\n", x.Title, x.Fix)
	}
	return nil
}
