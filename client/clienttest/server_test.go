package clienttest_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/client/clienttest"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	user = "me@example.com"
	pass = "s3cret-Passw0rd"
	body = "Subject: test\r\n\r\nHello.\r\n"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func options(srv *clienttest.Server) *client.Options {
	return &client.Options{LocalName: "client.test", TLSConfig: srv.ClientTLSConfig(),
		Retry: client.RetryPolicy{InitialDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}}
}

func envelope(to ...string) *client.Envelope {
	if len(to) == 0 {
		to = []string{"you@example.org"}
	}
	return &client.Envelope{From: user, To: to}
}

func TestSendOverStartTLS(t *testing.T) {
	srv := clienttest.Start(t, nil)
	res, err := client.SendMail(ctx(t), srv.Addr(), options(srv), envelope(), strings.NewReader(body))
	require.NoError(t, err)
	assert.Equal(t, client.DeliveryComplete, res.State)
	assert.Contains(t, res.Final.Text(), "queued as CT000001")

	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, clienttest.Message{From: user, To: []string{"you@example.org"}, Data: []byte(body), TLS: true, Conn: 1}, msgs[0])
	assert.Equal(t, []string{"EHLO client.test", "STARTTLS", "EHLO client.test", "MAIL FROM:<me@example.com>",
		"RCPT TO:<you@example.org>", "DATA", "<25 octets of message data>", ".", "QUIT"}, srv.Commands())
	assert.Contains(t, srv.Transcript(), "1 S: 220 mx.clienttest.example ESMTP clienttest\n")
	assert.Contains(t, srv.Transcript(), "1 S: 250-PIPELINING\n")
	assert.Equal(t, 1, srv.Connections())
}

func TestImplicitTLSAndDotStuffing(t *testing.T) {
	srv := clienttest.Start(t, &clienttest.Options{TLS: clienttest.TLSImplicit})
	opts := options(srv)
	opts.TLS = client.TLSImplicit
	msg := "Subject: dots\r\n\r\n.leading dot\r\n..two\r\n"
	_, err := client.SendMail(ctx(t), srv.Addr(), opts, envelope(), strings.NewReader(msg))
	require.NoError(t, err)
	require.Len(t, srv.Messages(), 1)
	assert.Equal(t, msg, string(srv.Messages()[0].Data), "dot-unstuffed as sent")
	assert.True(t, srv.Messages()[0].TLS)
}

func TestAuthRequired(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mode   client.AuthMode
		mech   string
		see530 bool
	}{
		{"eager PLAIN", client.AuthEager, "", false},
		{"eager LOGIN", client.AuthEager, "LOGIN", false},
		{"on demand", client.AuthOnDemand, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := clienttest.Start(t, &clienttest.Options{Users: map[string]string{user: pass}, RequireAuth: true, AuthAfterTLS: true})
			opts := options(srv)
			opts.Auth, opts.AuthMode, opts.AuthMechanism = sasl.Password(user, pass), tt.mode, tt.mech
			res, err := client.SendMail(ctx(t), srv.Addr(), opts, envelope(), strings.NewReader(body))
			require.NoError(t, err)
			assert.Equal(t, reply.CodeAuthSucceeded, res.Auth.Code)
			require.Len(t, srv.Messages(), 1)
			assert.Equal(t, user, srv.Messages()[0].User)
			tr := srv.Transcript()
			assert.Equal(t, tt.see530, strings.Contains(tr, "S: 530 5.7.0 Authentication required"), tr)
			assert.NotContains(t, tr, pass)
			assert.NotContains(t, strings.Join(srv.Commands(), "\n"), "AHN") // no base64 of "\x00me@..."
		})
	}
}

func TestAuthRefused(t *testing.T) {
	srv := clienttest.Start(t, &clienttest.Options{Users: map[string]string{user: pass}, RequireAuth: true})
	opts := options(srv)
	opts.Auth = sasl.Password(user, "wrong")
	_, err := client.SendMail(ctx(t), srv.Addr(), opts, envelope(), strings.NewReader(body))
	assert.True(t, reply.IsAuthFailed(err), "%v", err)
	assert.Empty(t, srv.Messages())
	assert.Equal(t, 1, srv.Connections(), "a wrong password is not retried")
}

// The retry loop of client.SendMail against a greylisting server.
func TestGreylist(t *testing.T) {
	srv := clienttest.Start(t, &clienttest.Options{Rules: []clienttest.Rule{clienttest.Greylist(1)}})
	_, err := client.SendMail(ctx(t), srv.Addr(), options(srv), envelope(), strings.NewReader(body))
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Connections())
	require.Len(t, srv.Messages(), 1)
	assert.Equal(t, 2, srv.Messages()[0].Conn)
}

func TestCloseAfterMessages(t *testing.T) {
	srv := clienttest.Start(t, &clienttest.Options{Rules: []clienttest.Rule{clienttest.CloseAfterMessages(2)}})
	c, err := client.Dial(ctx(t), srv.Addr(), options(srv))
	require.NoError(t, err)
	defer c.Close()
	for i := 0; i < 2; i++ {
		_, err := c.Send(ctx(t), envelope(), strings.NewReader(body))
		require.NoError(t, err, "message %d", i+1)
	}
	_, err = c.Send(ctx(t), envelope(), strings.NewReader(body))
	assert.True(t, reply.IsServiceClosing(err), "%v", err)
	assert.Equal(t, reply.RetryNewConnection, reply.RetryFor(err))
	assert.Len(t, srv.Messages(), 2)
}

func TestRefuseRecipient(t *testing.T) {
	srv := clienttest.Start(t, &clienttest.Options{Rules: []clienttest.Rule{
		clienttest.RefuseRecipient("full@example.org", "452 4.2.2 Mailbox full"),
	}})
	res, err := client.SendMail(ctx(t), srv.Addr(), options(srv), envelope("ok@example.org", "full@example.org"), strings.NewReader(body))
	var re *client.RecipientsError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, client.DeliveryPartial, res.State)
	require.Len(t, re.Refused, 1)
	assert.True(t, reply.IsMailboxFull(re.Refused[0]))
	require.Len(t, srv.Messages(), 1)
	assert.Equal(t, []string{"ok@example.org"}, srv.Messages()[0].To)
}

func TestDropAfterData(t *testing.T) {
	srv := clienttest.Start(t, &clienttest.Options{Rules: []clienttest.Rule{clienttest.DropAfterData(0)}})
	res, err := client.SendMail(ctx(t), srv.Addr(), options(srv), envelope(), strings.NewReader(body))
	assert.ErrorIs(t, err, client.ErrDeliveryUnknown)
	assert.Equal(t, client.DeliveryUnknown, res.State)
	assert.Equal(t, 1, srv.Connections(), "a message the server may have is not sent again")
	assert.Empty(t, srv.Messages())
}

func TestSilence(t *testing.T) {
	srv := clienttest.Start(t, &clienttest.Options{Rules: []clienttest.Rule{clienttest.Silence(clienttest.Data)}})
	opts := options(srv)
	opts.Timeouts.DataInit = 100 * time.Millisecond
	opts.Retry.MaxAttempts = 1
	_, err := client.SendMail(ctx(t), srv.Addr(), opts, envelope(), strings.NewReader(body))
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout(), "%v", err)
}

func TestBDAT(t *testing.T) {
	srv := clienttest.Start(t, &clienttest.Options{Extensions: []string{"CHUNKING"}})
	env := envelope()
	_, err := client.SendMail(ctx(t), srv.Addr(), options(srv), env, strings.NewReader(body))
	require.NoError(t, err)
	require.Len(t, srv.Messages(), 1)
	assert.Equal(t, body, string(srv.Messages()[0].Data))
	assert.Contains(t, srv.Commands(), "BDAT 25 LAST")
}

func TestRulesOnGreetingAndSkip(t *testing.T) {
	// The first connection is refused at the greeting; the second works.
	srv := clienttest.Start(t, &clienttest.Options{Rules: []clienttest.Rule{
		{On: clienttest.Greeting, Times: 1, Reply: "421 4.3.2 Service not available\nTry again later", Then: clienttest.Disconnect},
	}})
	_, err := client.SendMail(ctx(t), srv.Addr(), options(srv), envelope(), strings.NewReader(body))
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Connections())
	assert.Contains(t, srv.Transcript(), "1 S: 421-4.3.2 Service not available\n1 S: 421 Try again later\n")
}

func TestOptionsValidated(t *testing.T) {
	_, err := clienttest.NewServer(&clienttest.Options{Rules: []clienttest.Rule{{On: "HELLO"}}})
	assert.ErrorContains(t, err, "unknown command")
	_, err = clienttest.NewServer(&clienttest.Options{Rules: []clienttest.Rule{{On: clienttest.Rcpt, Reply: "ok"}}})
	assert.ErrorContains(t, err, "reply code")
}

// A client that trusts nothing else cannot be fooled by the test server,
// and a client that does not trust its CA refuses it.
func TestCertificate(t *testing.T) {
	srv := clienttest.Start(t, nil)
	opts := options(srv)
	opts.TLSConfig = &tls.Config{}
	opts.Retry.MaxAttempts = 1
	_, err := client.SendMail(ctx(t), srv.Addr(), opts, envelope(), strings.NewReader(body))
	var te *client.TLSError
	assert.True(t, errors.As(err, &te), "%v", err)
	assert.Empty(t, srv.Messages())
}

// A client that misbehaves gets replies, not a stuck or crashed server.
func TestBadClient(t *testing.T) {
	srv := clienttest.Start(t, &clienttest.Options{TLS: clienttest.TLSNone, Timeout: time.Second})
	conn, err := net.Dial("tcp", srv.Addr())
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("HELLO\r\nMAIL FROM:<a@b.example>\r\nEHLO x\r\nRCPT TO:<c@d.example>\r\n" +
		strings.Repeat("x", 10000) + "\r\nBDAT nonsense\r\n"))
	require.NoError(t, err)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
	}
	out := got.String()
	assert.Contains(t, out, "500 5.5.2 Command unrecognized\r\n")
	assert.Contains(t, out, "503 5.5.1 Send EHLO first\r\n")
	assert.Contains(t, out, "503 5.5.1 Need MAIL command\r\n")
	assert.Contains(t, out, "500 5.5.6 Line too long\r\n")
	assert.Contains(t, out, "501 5.5.4 Syntax: BDAT <size> [LAST]\r\n")
	assert.NotContains(t, srv.Transcript(), strings.Repeat("x", 100))
}
