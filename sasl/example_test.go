package sasl_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"

	gosasl "github.com/emersion/go-sasl"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// This example drives a LOGIN conversation the way the SMTP client does,
// against the 334 replies Exim sends.
func Example() {
	ctx := context.Background()
	conv, err := sasl.Login("user@example.test", "secret").Start(ctx, &sasl.Session{})
	if err != nil {
		log.Fatal(err)
	}
	name, ir, err := conv.Start()
	if err != nil {
		log.Fatal(err)
	}
	line := "AUTH " + name
	if ir != nil {
		line += " " + sasl.EncodeInitialResponse(ir)
	}
	fmt.Println("C:", line)

	for _, text := range []string{"VXNlcm5hbWU6", "UGFzc3dvcmQ6"} { // the server's 334 replies
		fmt.Println("S: 334", text)
		challenge, err := sasl.DecodeChallenge(text)
		if err != nil {
			fmt.Println("C: *") // cancel; the server answers 501
			return
		}
		resp, err := conv.Next(challenge)
		if err != nil {
			fmt.Println("C: *")
			return
		}
		fmt.Println("C:", sasl.EncodeResponse(resp))
	}
	fmt.Println("S: 235 2.7.0 Authentication succeeded")
	if err := conv.Finish(true); err != nil {
		log.Fatal(err) // the server did not prove its identity
	}
	// Output:
	// C: AUTH LOGIN
	// S: 334 VXNlcm5hbWU6
	// C: dXNlckBleGFtcGxlLnRlc3Q=
	// S: 334 UGFzc3dvcmQ6
	// C: c2VjcmV0
	// S: 235 2.7.0 Authentication succeeded
}

// Negotiate picks the strongest mechanism the server offers after TLS.
func ExampleNegotiate() {
	session := &sasl.Session{
		ServerName: "mail.example.test",
		// In a client: the state of the TLS connection, whose certificate
		// was verified.
		TLS:         &tls.ConnectionState{},
		VerifiedTLS: true,
		// Dovecot's list behind Postfix's submission port.
		Offered: []string{"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"},
	}
	mechs, err := sasl.Negotiate(session, sasl.Password("user@example.test", "secret"), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(mechs[0].Name())

	// With fallback allowed, the client tries the next one when the
	// server answers 534 (mechanism too weak) or 504.
	mechs, _ = sasl.Negotiate(session, sasl.Password("user@example.test", "secret"), &sasl.Policy{AllowFallback: true})
	for _, m := range mechs {
		fmt.Print(m.Name(), " ")
	}
	fmt.Println()
	// Output:
	// SCRAM-SHA-256
	// SCRAM-SHA-256 SCRAM-SHA-1 PLAIN LOGIN CRAM-MD5
}

// Without TLS, a server that only offers password mechanisms gets nothing.
func ExampleNegotiate_insecure() {
	session := &sasl.Session{Offered: []string{"PLAIN", "LOGIN"}}
	_, err := sasl.Negotiate(session, sasl.Password("user@example.test", "secret"), &sasl.Policy{Mechanism: "PLAIN"})
	if ne, ok := errors.AsType[*sasl.NegotiationError](err); ok && ne.Insecure() {
		fmt.Println("use STARTTLS first:", err)
	}
	// Output:
	// use STARTTLS first: smtp: sasl: no usable mechanism (server offers PLAIN LOGIN): PLAIN would expose a secret without verified TLS
}

// An OAuth token source that can refresh an expired token. The client
// retries once with the refreshed mechanism after a 535.
func ExampleXOAuth2() {
	ts := sasl.TokenFunc(func(ctx context.Context, refresh bool) (string, error) {
		if refresh {
			return "new-token", nil // for example from an OAuth 2.0 refresh token
		}
		return "cached-token", nil
	})
	var m sasl.Mechanism = sasl.XOAuth2("user@example.com", ts)

	// ... AUTH XOAUTH2 failed with 535 ...
	if r, ok := m.(sasl.Refresher); ok {
		m = r.Refresh()
	}
	conv, err := m.Start(context.Background(), nil)
	if err != nil {
		log.Fatal(err)
	}
	_, ir, _ := conv.Start()
	fmt.Printf("%q\n", ir)
	// Output:
	// "user=user@example.com\x01auth=Bearer new-token\x01\x01"
}

// tokenClient is a custom go-sasl client.
type tokenClient struct{ token string }

func (c tokenClient) Start() (string, []byte, error) { return "X-TOKEN", []byte(c.token), nil }
func (c tokenClient) Next([]byte) ([]byte, error)    { return nil, gosasl.ErrUnexpectedServerChallenge }

// From turns any go-sasl client into a Mechanism, after checking its name.
func ExampleFrom() {
	m, err := sasl.From("X-TOKEN", tokenClient{"abc"}, true)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Name(), m.Strength(), m.ExposesSecret())

	_, err = sasl.From("PLAIN\r\nMAIL FROM:<spam@example.com>", tokenClient{"abc"}, true)
	fmt.Println(err)
	// Output:
	// X-TOKEN cleartext true
	// smtp: sasl: invalid mechanism name "PLAIN\r\nMAIL FROM:<spam@example.com>": want 1 to 20 characters of A-Z, 0-9, - and _
}

func ExampleDecodeChallenge() {
	challenge, err := sasl.DecodeChallenge("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+")
	fmt.Printf("%s %v\n", challenge, err)

	_, err = sasl.DecodeChallenge("not base64!")
	fmt.Println(errors.Is(err, sasl.ErrMalformedChallenge))
	// Output:
	// <1896.697170952@postoffice.reston.mci.net> <nil>
	// true
}
