package client

import (
	"errors"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// Postfix 3.7 on the submission port with the stock relay policy
// (smtpd_relay_restrictions = permit_sasl_authenticated,
// reject_unauth_destination), as recorded in
// ../shared/mta/transcripts/postfix-summary.txt.
const (
	postfixGreeting = "220 postfix.example.test ESMTP Postfix\r\n"
	// postfixEHLOTLS is the EHLO reply over TLS (postfixEHLO, of
	// ext_test.go, is the one before).
	postfixEHLOTLS = "250-postfix.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n" +
		"250-AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n" +
		"250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n"
	postfixRelayDenied = "554 5.7.1 <someone@elsewhere.test>: Relay access denied\r\n"
	postfixNoValidRcpt = "554 5.5.1 Error: no valid recipients\r\n"
	postfixDataGo      = "354 End data with <CR><LF>.<CR><LF>\r\n"
	postfixQueued      = "250 2.0.0 Ok: queued as C0C9B984042\r\n"
)

// postfixOpening is Postfix's greeting, EHLO, STARTTLS and EHLO over TLS
// (ehlo, or postfixEHLOTLS when empty).
func postfixOpening(ehlo string, tail ...smtptest.Step) smtptest.Script {
	if ehlo == "" {
		ehlo = postfixEHLOTLS
	}
	s := smtptest.Script{
		smtptest.Send(postfixGreeting),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send(postfixEHLO),
		smtptest.ExpectLine("STARTTLS"),
		smtptest.Send("220 2.0.0 Ready to start TLS\r\n"),
		smtptest.StartTLS(),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send(ehlo),
	}
	return append(s, tail...)
}

// relayEnvelope is a pipelined MAIL, RCPT to an outside domain and DATA,
// answered as Postfix answers an unauthenticated client.
var relayEnvelope = []smtptest.Step{
	smtptest.ExpectLine("MAIL FROM:<user@example.test>"),
	smtptest.ExpectLine("RCPT TO:<someone@elsewhere.test>"),
	smtptest.ExpectLine("DATA"),
	smtptest.Send("250 2.1.0 Ok\r\n" + postfixRelayDenied + postfixNoValidRcpt),
	smtptest.ExpectLine("RSET"),
	smtptest.Send("250 2.0.0 Ok\r\n"),
}

var relayTo = &Envelope{From: authUser, To: []string{"someone@elsewhere.test"}}

func TestSendAuthenticatesAfterRelayDenied(t *testing.T) {
	s := postfixOpening("", append(relayEnvelope,
		smtptest.ExpectLine("AUTH PLAIN "+b64("\x00"+authUser+"\x00"+authPassword)),
		smtptest.Send("235 2.7.0 Authentication successful\r\n"),
		smtptest.ExpectLine("MAIL FROM:<user@example.test>"),
		smtptest.ExpectLine("RCPT TO:<someone@elsewhere.test>"),
		smtptest.ExpectLine("DATA"),
		smtptest.Send("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"+postfixDataGo),
		smtptest.ExpectData(),
		smtptest.Send(postfixQueued),
		smtptest.ExpectLine("QUIT"),
		smtptest.Send("221 2.0.0 Bye\r\n"),
	)...)
	srv := smtptest.Start(t, nil, s)
	opts := scriptedOpts(srv, TLSStartTLS, nil)
	opts.DisableChunking = true // the scripts answer DATA
	opts.Auth = sasl.Password(authUser, authPassword)
	opts.AuthMode = AuthOnDemand // the server asks, with a 530 or a relay refusal
	c := dialScripted(t, srv, opts)
	res, err := c.Send(testCtx(t), relayTo, strings.NewReader(testMessage))
	if err != nil || res.State != DeliveryComplete {
		t.Fatalf("Send through Postfix refusing to relay = %v, %v; want delivered after AUTH", res.State, err)
	}
	if len(res.Recovered) != 1 {
		t.Fatalf("Recovered = %v, want the relay refusal", res.Recovered)
	}
	re, ok := errors.AsType[*reply.Error](res.Recovered[0])
	if !ok || re.Command != "RCPT TO" || re.Reply.Code != reply.CodeTransactionFailed || re.Reply.Enhanced.String() != "5.7.1" {
		t.Errorf("Recovered[0] = %v; want the 554 5.7.1 to RCPT TO", res.Recovered[0])
	}
	if res.Auth.Code != reply.CodeAuthSucceeded || !strings.Contains(res.Final.Text(), "queued as C0C9B984042") {
		t.Errorf("Result: Auth %v, Final %v; want 235 and the queue id", res.Auth, res.Final)
	}
	c.Quit(testCtx(t))
	waitScript(t, srv)
	if d := srv.Data(); len(d) != 1 {
		t.Errorf("server got %d messages, want 1", len(d))
	}
}

func TestRelayRefused(t *testing.T) {
	tests := []struct {
		command string
		wire    string // the reply as the server sends it
		want    bool
	}{
		{"RCPT TO", "554 5.7.1 <x@elsewhere.test>: Relay access denied", true}, // Postfix
		{"RCPT TO", "550 5.7.1 Relay not permitted", true},                     // Exim
		{"RCPT TO", "550 5.7.1 <b@example.test>: Recipient address rejected: Recipient blocked by policy", true},
		{"RCPT TO", "554 <x@elsewhere.test>: Relay access denied", true}, // no ENHANCEDSTATUSCODES
		{"RCPT TO", "550 relay not permitted", true},
		{"RCPT TO", "550 Unable to relay for x@elsewhere.test", true},
		{"RCPT TO", "550 We do not relay non-local mail", true},
		{"RCPT TO", "550 5.1.1 <nosuch@example.test>: Recipient address rejected: User unknown", false},
		{"RCPT TO", "554 5.7.0 Relay access denied", false},                     // an enhanced code, not 5.7.1
		{"RCPT TO", "550 5.7.54 Unable to relay recipient", false},              // idem
		{"RCPT TO", "454 4.7.1 <x@elsewhere.test>: Relay access denied", false}, // transient (soft_bounce)
		{"RCPT TO", "450 4.7.1 Greylisted, please try again later", false},
		{"RCPT TO", "553 relay denied", false},       // neither 550 nor 554
		{"RCPT TO", "550 No such user here", false},  // no relay text
		{"RCPT TO", "550 relay host is down", false}, // relay without a refusal
		{"MAIL FROM", "554 5.7.1 Relay access denied", false},
	}
	for _, tt := range tests {
		r, err := reply.Parse([]byte(tt.wire+"\r\n"), nil)
		if err != nil {
			t.Fatalf("Parse(%q) = %v", tt.wire, err)
		}
		err = &RecipientError{Address: "x@elsewhere.test", Err: &reply.Error{Command: tt.command, Reply: r}}
		if got := relayRefused(err); got != tt.want {
			t.Errorf("relayRefused(%s: %q) = %v, want %v", tt.command, tt.wire, got, tt.want)
		}
	}
}

func TestSendRelayDeniedWithoutAuth(t *testing.T) {
	denied := append([]smtptest.Step(nil), relayEnvelope...)
	tests := []struct {
		name    string
		ehlo    string
		auth    bool
		to      []string
		steps   []smtptest.Step
		state   DeliveryState
		refused int
	}{
		{"no credentials", "", false, relayTo.To, denied, DeliveryRejected, 1},
		{"AUTH not advertised", ehloLines("PIPELINING", "ENHANCEDSTATUSCODES"), true, relayTo.To, denied, DeliveryRejected, 1},
		{"another recipient accepted", "", true, []string{"someone@elsewhere.test", "b@example.test"}, steps(
			smtptest.ExpectLine("MAIL FROM:<user@example.test>"),
			smtptest.ExpectLine("RCPT TO:<someone@elsewhere.test>"),
			smtptest.ExpectLine("RCPT TO:<b@example.test>"),
			smtptest.ExpectLine("DATA"),
			smtptest.Send("250 2.1.0 Ok\r\n"+postfixRelayDenied+"250 2.1.5 Ok\r\n"+postfixDataGo),
			smtptest.ExpectData(),
			smtptest.Send(postfixQueued),
		), DeliveryPartial, 1},
		{"another refusal is not about relaying", "", true, []string{"someone@elsewhere.test", "nosuch@example.test"}, steps(
			smtptest.ExpectLine("MAIL FROM:<user@example.test>"),
			smtptest.ExpectLine("RCPT TO:<someone@elsewhere.test>"),
			smtptest.ExpectLine("RCPT TO:<nosuch@example.test>"),
			smtptest.ExpectLine("DATA"),
			smtptest.Send("250 2.1.0 Ok\r\n"+postfixRelayDenied+
				"550 5.1.1 <nosuch@example.test>: Recipient address rejected: User unknown in virtual mailbox table\r\n"+postfixNoValidRcpt),
			smtptest.ExpectLine("RSET"),
			smtptest.Send("250 2.0.0 Ok\r\n"),
		), DeliveryRejected, 2},
		{"transient relay refusal", "", true, relayTo.To, steps(
			smtptest.ExpectLine("MAIL FROM:<user@example.test>"),
			smtptest.ExpectLine("RCPT TO:<someone@elsewhere.test>"),
			smtptest.ExpectLine("DATA"),
			smtptest.Send("250 2.1.0 Ok\r\n454 4.7.1 <someone@elsewhere.test>: Relay access denied\r\n"+postfixNoValidRcpt),
			smtptest.ExpectLine("RSET"),
			smtptest.Send("250 2.0.0 Ok\r\n"),
		), DeliveryRejected, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The script fails if the client says AUTH where it expects
			// NOOP.
			srv := smtptest.Start(t, nil, postfixOpening(tt.ehlo, append(tt.steps, quitting...)...))
			opts := scriptedOpts(srv, TLSStartTLS, nil)
			opts.DisableChunking = true // the scripts answer DATA
			opts.DisableChunking = true // the scripts answer DATA
			if tt.auth {
				opts.Auth = sasl.Password(authUser, authPassword)
				opts.AuthMode = AuthOnDemand // the server asks, with a 530 or a relay refusal
			}
			c := dialScripted(t, srv, opts)
			res, err := c.Send(testCtx(t), &Envelope{From: authUser, To: tt.to}, strings.NewReader(testMessage))
			re, ok := errors.AsType[*RecipientsError](err)
			if res.State != tt.state || !ok || len(re.Refused) != tt.refused {
				t.Errorf("Send to %v = %v, %v; want %v and a *RecipientsError with %d refused", tt.to, res.State, err, tt.state, tt.refused)
			}
			if len(res.Recovered) != 0 || res.Auth.Code != 0 {
				t.Errorf("Result: Recovered %v, Auth %v; want no authentication", res.Recovered, res.Auth)
			}
			usable(t, c)
			waitScript(t, srv)
			if strings.Contains(string(srv.Received()), "AUTH") {
				t.Errorf("client sent AUTH:\n%s", srv.Received())
			}
		})
	}
}

func TestSendRelayDeniedAfterAuthDoesNotLoop(t *testing.T) {
	// A 530 to MAIL makes Send authenticate; the relay is still refused
	// after AUTH: Send must not authenticate again.
	s := postfixOpening("", append(steps(
		smtptest.ExpectLine("MAIL FROM:<user@example.test>"),
		smtptest.ExpectLine("RCPT TO:<someone@elsewhere.test>"),
		smtptest.ExpectLine("DATA"),
		smtptest.Send("530 5.7.0 Authentication required\r\n503 5.5.1 Error: need MAIL command\r\n503 5.5.1 Error: need RCPT command\r\n"),
		smtptest.Expect("AUTH PLAIN "),
		smtptest.Send("235 2.7.0 Authentication successful\r\n"),
	), append(relayEnvelope, quitting...)...)...)
	srv := smtptest.Start(t, nil, s)
	opts := scriptedOpts(srv, TLSStartTLS, nil)
	opts.DisableChunking = true // the scripts answer DATA
	opts.Auth = sasl.Password(authUser, authPassword)
	opts.AuthMode = AuthOnDemand // the server asks, with a 530 or a relay refusal
	c := dialScripted(t, srv, opts)
	res, err := c.Send(testCtx(t), relayTo, strings.NewReader(testMessage))
	if res.State != DeliveryRejected || !reply.IsPermanent(err) || reply.IsAuthRequired(err) {
		t.Errorf("Send = %v, %v; want rejected with the relay refusal", res.State, err)
	}
	if re, ok := errors.AsType[*reply.Error](err); !ok || re.Command != "RCPT TO" || re.Reply.Enhanced.String() != "5.7.1" {
		t.Errorf("Send error = %v; want the 554 5.7.1 to RCPT TO", err)
	}
	if len(res.Recovered) != 1 || !reply.IsAuthRequired(res.Recovered[0]) || res.Auth.Code != reply.CodeAuthSucceeded {
		t.Errorf("Result: Recovered %v, Auth %v; want the 530 only, and the 235", res.Recovered, res.Auth)
	}
	usable(t, c)
	waitScript(t, srv)
	if n := strings.Count(string(srv.Received()), "AUTH "); n != 1 {
		t.Errorf("client sent AUTH %d times, want once", n)
	}
}

func TestSendRelayDeniedCallerAuthenticated(t *testing.T) {
	// After Client.Auth the session is authenticated: a relay refusal is
	// the server's last word, and Send must not send a second AUTH (RFC
	// 4954 section 4 answers it with 503).
	opening := steps(
		smtptest.Expect("AUTH PLAIN "),
		smtptest.Send("235 2.7.0 Authentication successful\r\n"),
	)
	s := postfixOpening("", append(append(opening, relayEnvelope...), quitting...)...)
	srv := smtptest.Start(t, nil, s)
	opts := scriptedOpts(srv, TLSStartTLS, nil)
	opts.DisableChunking = true // the scripts answer DATA
	opts.Auth = sasl.Password(authUser, authPassword)
	c := dialScripted(t, srv, opts)
	ctx := testCtx(t)
	if c.Authenticated() {
		t.Errorf("Authenticated() before Auth = true, want false")
	}
	if _, err := c.Auth(ctx); err != nil {
		t.Fatalf("Auth = %v", err)
	}
	if !c.Authenticated() {
		t.Errorf("Authenticated() after a 235 = false, want true")
	}
	res, err := c.Send(ctx, relayTo, strings.NewReader(testMessage))
	if res.State != DeliveryRejected {
		t.Errorf("Send state = %v, want rejected", res.State)
	}
	if _, ok := errors.AsType[*RecipientsError](err); !ok || !relayRefused(err) {
		t.Errorf("Send error = %v; want the relay refusal as a *RecipientsError", err)
	}
	if _, ok := errors.AsType[*autoAuthError](err); ok || len(res.Recovered) != 0 {
		t.Errorf("Send error = %v, recovered %v; want no second AUTH", err, res.Recovered)
	}
	usable(t, c)
	waitScript(t, srv)
}
