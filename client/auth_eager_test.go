package client

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// eagerScript is a STARTTLS session whose EHLO before TLS says before and
// after TLS says after, then the steps of tail.
func eagerScript(before, after string, tail ...smtptest.Step) smtptest.Script {
	return script(steps(
		smtptest.Send("220 mx.example.test ESMTP\r\n"),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send(before),
		smtptest.ExpectLine("STARTTLS"),
		smtptest.Send("220 2.0.0 Ready to start TLS\r\n"),
		smtptest.StartTLS(),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send(after),
	), tail)
}

func eagerDial(t *testing.T, srv *smtptest.Server, mode AuthMode) *Client {
	t.Helper()
	opts := &Options{LocalName: "client.test", TLSConfig: srv.ClientTLSConfig(), AuthMode: mode,
		Auth: []sasl.Mechanism{sasl.Plain("", authUser, authPassword)}}
	c, err := Dial(testCtx(t), srv.Addr(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

var plainLine = "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00"+authUser+"\x00"+authPassword))

// With credentials, Send authenticates before MAIL FROM, unasked.
func TestSendAuthenticatesFirst(t *testing.T) {
	srv := smtptest.Start(t, nil, eagerScript(
		"250-mx.example.test\r\n250 STARTTLS\r\n",
		"250-mx.example.test\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n",
		smtptest.ExpectLine(plainLine),
		smtptest.Send("235 2.7.0 Authentication successful\r\n"),
		smtptest.ExpectLine("MAIL FROM:<"+authUser+">"),
		smtptest.ExpectLine("RCPT TO:<rcpt@example.test>"),
		smtptest.ExpectLine("DATA"),
		smtptest.Send("250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go\r\n"),
		smtptest.ExpectData(),
		smtptest.Send("250 2.0.0 queued as E1\r\n"),
		smtptest.ExpectLine("QUIT"),
		smtptest.Send("221 bye\r\n"),
	))
	c := eagerDial(t, srv, AuthEager)
	ctx := testCtx(t)
	res, err := c.Send(ctx, &Envelope{From: authUser, To: []string{"rcpt@example.test"}}, strings.NewReader(testMessage))
	require.NoError(t, err)
	assert.Equal(t, DeliveryComplete, res.State)
	assert.Equal(t, reply.CodeAuthSucceeded, res.Auth.Code)
	assert.Empty(t, res.Recovered, "nothing to recover from: no 530")
	assert.True(t, c.Authenticated())
	require.NoError(t, c.Quit(ctx))
	require.NoError(t, srv.Wait())
}

// With credentials and a server that does not offer AUTH after STARTTLS,
// Send and Mail fail before any credential or any byte of the message is
// sent, and the session stays usable.
func TestSendRefusesUnauthenticated(t *testing.T) {
	for _, tt := range []struct {
		name, before, detail string
	}{
		{"AUTH only before STARTTLS", "250-mx.example.test\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n", "offered AUTH before STARTTLS but not after it"},
		{"no AUTH at all", "250-mx.example.test\r\n250 STARTTLS\r\n", "check the port"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, nil, eagerScript(tt.before, "250-mx.example.test\r\n250 PIPELINING\r\n",
				smtptest.ExpectLine("NOOP"),
				smtptest.Send("250 2.0.0 ok\r\n"),
				smtptest.ExpectLine("QUIT"),
				smtptest.Send("221 bye\r\n"),
			))
			c := eagerDial(t, srv, AuthEager)
			ctx := testCtx(t)
			res, err := c.Send(ctx, &Envelope{From: authUser, To: []string{"rcpt@example.test"}}, strings.NewReader(testMessage))
			var ue *UnsupportedError
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, "AUTH", ue.Extension)
			assert.Contains(t, err.Error(), "nothing was sent unauthenticated")
			assert.Contains(t, err.Error(), tt.detail)
			assert.Equal(t, reply.RetryNever, reply.RetryFor(err))
			assert.Equal(t, DeliveryRejected, res.State)

			_, err = c.Mail(ctx, authUser, nil)
			require.ErrorAs(t, err, &ue, "Mail refuses the same way")

			_, err = c.Noop(ctx)
			require.NoError(t, err, "the session stays usable")
			require.NoError(t, c.Quit(ctx))
			require.NoError(t, srv.Wait())
			got := string(srv.Received())
			assert.NotContains(t, got, "AUTH")
			assert.NotContains(t, got, base64.StdEncoding.EncodeToString([]byte("\x00"+authUser+"\x00"+authPassword)))
			assert.NotContains(t, got, "MAIL FROM")
			assert.NotContains(t, got, "Subject: hello")
		})
	}
}

// AuthOnDemand keeps the old behaviour: a server that does not ask gets
// the message unauthenticated.
func TestSendOnDemandDoesNotAuthenticateUnasked(t *testing.T) {
	srv := smtptest.Start(t, nil, eagerScript(
		"250-mx.example.test\r\n250 STARTTLS\r\n",
		"250-mx.example.test\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n",
		smtptest.ExpectLine("MAIL FROM:<"+authUser+">"),
		smtptest.ExpectLine("RCPT TO:<rcpt@example.test>"),
		smtptest.ExpectLine("DATA"),
		smtptest.Send("250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go\r\n"),
		smtptest.ExpectData(),
		smtptest.Send("250 2.0.0 queued as E2\r\n"),
		smtptest.ExpectLine("QUIT"),
		smtptest.Send("221 bye\r\n"),
	))
	c := eagerDial(t, srv, AuthOnDemand)
	ctx := testCtx(t)
	res, err := c.Send(ctx, &Envelope{From: authUser, To: []string{"rcpt@example.test"}}, strings.NewReader(testMessage))
	require.NoError(t, err)
	assert.Equal(t, reply.Code(0), res.Auth.Code)
	assert.False(t, c.Authenticated())
	require.NoError(t, c.Quit(ctx))
	require.NoError(t, srv.Wait())
}

// A caller who authenticated with Client.Auth is not authenticated twice.
func TestSendAfterExplicitAuth(t *testing.T) {
	srv := smtptest.Start(t, nil, eagerScript(
		"250-mx.example.test\r\n250 STARTTLS\r\n",
		"250-mx.example.test\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n",
		smtptest.ExpectLine(plainLine),
		smtptest.Send("235 2.7.0 ok\r\n"),
		smtptest.ExpectLine("MAIL FROM:<"+authUser+">"),
		smtptest.Send("250 2.1.0 ok\r\n"),
		smtptest.ExpectLine("QUIT"),
		smtptest.Send("221 bye\r\n"),
	))
	c := eagerDial(t, srv, AuthEager)
	ctx := testCtx(t)
	_, err := c.Auth(ctx)
	require.NoError(t, err)
	_, err = c.Mail(ctx, authUser, nil)
	require.NoError(t, err)
	require.NoError(t, c.Quit(ctx))
	require.NoError(t, srv.Wait())
}
