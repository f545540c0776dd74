package reply_test

import (
	"errors"
	"fmt"
	"io"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// A client wraps every 4xx/5xx reply in a *reply.Error; the predicates see
// through any wrapping added on the way up.
func ExampleIsAuthRequired() {
	r, _ := reply.Parse([]byte("530 5.7.0 Authentication required\r\n"), nil)
	err := fmt.Errorf("send newsletter: %w", &reply.Error{Command: "MAIL FROM", Reply: r})

	fmt.Println(err)
	fmt.Println("auth required:", reply.IsAuthRequired(err))
	fmt.Println("TLS required:", reply.IsTLSRequired(err))
	fmt.Println("permanent:", reply.IsPermanent(err))
	// Output:
	// send newsletter: smtp: MAIL FROM: 530 5.7.0 Authentication required
	// auth required: true
	// TLS required: false
	// permanent: true
}

// The same 530 code asks for STARTTLS instead when its text says so.
func ExampleIsTLSRequired() {
	r, _ := reply.Parse([]byte("530 5.7.0 Must issue a STARTTLS command first\r\n"), nil)
	err := &reply.Error{Command: "MAIL FROM", Reply: r}

	fmt.Println("TLS required:", reply.IsTLSRequired(err))
	fmt.Println("auth required:", reply.IsAuthRequired(err))
	// Output:
	// TLS required: true
	// auth required: false
}

// RetryFor turns any error into advice a sending loop can act on.
func ExampleRetryFor() {
	parse := func(wire string) reply.Reply {
		r, _ := reply.Parse([]byte(wire), nil)
		return r
	}
	errs := []error{
		&reply.Error{Command: "RCPT TO", Reply: parse("450 4.7.1 Greylisted, please try again later\r\n")},
		&reply.Error{Command: "MAIL FROM", Reply: parse("421 4.7.0 Too many connections\r\n")},
		&reply.Error{Command: "MAIL FROM", Reply: parse("530 5.7.0 Must issue a STARTTLS command first\r\n")},
		&reply.Error{Command: "RCPT TO", Reply: parse("550 5.1.1 No such user here\r\n")},
		fmt.Errorf("read reply: %w", io.ErrUnexpectedEOF),
	}
	for _, err := range errs {
		fmt.Printf("%v → retry %v\n", err, reply.RetryFor(err))
	}
	// Output:
	// smtp: RCPT TO: 450 4.7.1 Greylisted, please try again later → retry later
	// smtp: MAIL FROM: 421 4.7.0 Too many connections → retry on a new connection
	// smtp: MAIL FROM: 530 5.7.0 Must issue a STARTTLS command first → retry after STARTTLS
	// smtp: RCPT TO: 550 5.1.1 No such user here → retry never
	// read reply: unexpected EOF → retry on a new connection
}

// errors.AsType recovers the server's reply from a wrapped error.
func ExampleError() {
	r, _ := reply.Parse([]byte("452 4.2.2 Mailbox full\r\n"), nil)
	err := fmt.Errorf("deliver: %w", &reply.Error{Command: "RCPT TO", Reply: r})

	if e, ok := errors.AsType[*reply.Error](err); ok {
		fmt.Println("command:", e.Command)
		fmt.Println("code:", e.Reply.Code, "enhanced:", e.Reply.Enhanced)
		fmt.Println("meaning:", e.Reply.Enhanced.Description())
		fmt.Println("mailbox full:", reply.IsMailboxFull(err), "temporary:", reply.IsTemporary(err))
	}
	// Output:
	// command: RCPT TO
	// code: 452 enhanced: 4.2.2
	// meaning: Recipient mailbox is full
	// mailbox full: true temporary: true
}

func ExampleReply_Explain() {
	r, _ := reply.Parse([]byte("530 5.7.0 Authentication required\r\n"), nil)
	for _, lang := range []string{"en", "es"} {
		x := r.Explain(lang)
		fmt.Println(x.Title)
		fmt.Println(x.Fix)
	}
	// Output:
	// Authentication required
	// Read the text: if it asks for STARTTLS, start TLS first; then authenticate with AUTH and send the command again.
	// Se requiere autenticación
	// Lea el texto: si pide STARTTLS, inicie TLS primero; después autentíquese con AUTH y repita el comando.
}

func ExampleExplainEnhanced() {
	mailboxFull := reply.EnhancedCode{Class: reply.ClassTransient, Subject: reply.SubjectMailbox, Detail: 2}
	for _, lang := range reply.Languages() {
		x, _ := reply.ExplainEnhanced(mailboxFull, lang)
		fmt.Printf("%s: %s\n", x.Title, x.Meaning)
	}
	// Output:
	// Mailbox full: The recipient's mailbox has exceeded its quota.
	// Buzón lleno: El buzón del destinatario ha superado su cuota.
}

// A reply code can mean different things after different commands:
// Error.Explain uses the command and the kind of the reply, so a 454 is
// explained as rate limiting after MAIL FROM and as a TLS problem after
// STARTTLS.
func ExampleError_Explain() {
	parse := func(wire string) reply.Reply {
		r, _ := reply.Parse([]byte(wire), nil)
		return r
	}
	errs := []*reply.Error{
		{Command: "MAIL FROM", Reply: parse("454 4.7.0 Throttling failure: Maximum sending rate exceeded.\r\n")},
		{Command: "STARTTLS", Reply: parse("454 4.7.0 TLS not available due to temporary reason\r\n")},
		{Command: "AUTH", Reply: parse("454 4.7.0 Temporary authentication failure\r\n")},
		{Command: "RCPT TO", Reply: parse("451 4.7.1 Greylisting in action, please come back later\r\n")},
	}
	for _, err := range errs {
		fmt.Printf("%s: %v → %s\n", err.Command, err.Reply.Code, err.Explain("en").Title)
	}

	// An explanation that serves both failure classes ends with a
	// sentence for the reply's class.
	soft := &reply.Error{Command: "RCPT TO", Reply: parse("450 4.1.1 <nosuch@example.test>: User unknown\r\n")}
	for _, lang := range reply.Languages() {
		fmt.Println(soft.Explain(lang).Fix)
	}
	// Output:
	// MAIL FROM: 454 → Rate limited or greylisted
	// STARTTLS: 454 → TLS not available
	// AUTH: 454 → Temporary authentication failure
	// RCPT TO: 451 → Rate limited or greylisted
	// Check the part of the address before the @; remove the address from your lists if it keeps failing. This failure is temporary: try again later.
	// Revise la parte de la dirección anterior a la @; quite la dirección de sus listas si sigue fallando. Este fallo es temporal: vuelva a intentarlo más tarde.
}
