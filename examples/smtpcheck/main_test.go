package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e4e66a4f/smtp/client/clienttest"
)

const (
	user = "me@example.com"
	pass = "Pr0be-s3cret"
)

func probe(t *testing.T, opts *clienttest.Options, cfg config) (*Report, *clienttest.Server) {
	t.Helper()
	srv := clienttest.Start(t, opts)
	cfg.addr, cfg.tlsConfig = srv.Addr(), srv.ClientTLSConfig()
	if cfg.lang == "" {
		cfg.lang = "en"
	}
	if cfg.warnBefore == 0 {
		cfg.warnBefore = time.Hour // the throw-away certificate lives a day
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep := check(ctx, cfg)
	var out bytes.Buffer
	rep.print(&out)
	assert.NotContains(t, out.String(), pass, "the password is never printed")
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	assert.NotContains(t, string(b), pass)
	return rep, srv
}

func TestReadyForSubmission(t *testing.T) {
	rep, srv := probe(t, &clienttest.Options{Users: map[string]string{user: pass}, AuthAfterTLS: true},
		config{user: user, password: pass, to: "you@example.org"})
	assert.Equal(t, exitOK, rep.Exit, "%+v", rep)
	assert.Equal(t, "ready for authenticated submission (authenticated)", rep.Verdict)
	assert.Contains(t, rep.BeforeTLS, "STARTTLS")
	assert.Empty(t, rep.AuthBefore)
	assert.Equal(t, []string{"PLAIN", "LOGIN"}, rep.AuthAfter)
	assert.Equal(t, "TLS 1.3", rep.TLSVersion)
	assert.Contains(t, rep.CertNames, "127.0.0.1")
	assert.Equal(t, "throw-away test CA", rep.CertIssuer)
	assert.Contains(t, rep.Auth, "235")
	assert.Contains(t, rep.Sent, "queued as")
	require.Len(t, srv.Messages(), 1)
	assert.Equal(t, user, srv.Messages()[0].User)
}

func TestVerdicts(t *testing.T) {
	rep, _ := probe(t, &clienttest.Options{TLS: clienttest.TLSNone, Users: map[string]string{user: pass}}, config{mode: "none"})
	assert.Equal(t, "AUTH offered without TLS: use STARTTLS or port 465", rep.Verdict)

	rep, _ = probe(t, &clienttest.Options{TLS: clienttest.TLSImplicit}, config{mode: "implicit", warnBefore: 48 * time.Hour})
	assert.Equal(t, "TLS certificate expires in 0 days", rep.Verdict, "the throw-away certificate lives a day")
	assert.Empty(t, rep.BeforeTLS)

	rep, _ = probe(t, &clienttest.Options{Users: map[string]string{user: pass}}, config{})
	assert.Equal(t, "ready for authenticated submission", rep.Verdict)

	rep, _ = probe(t, nil, config{})
	assert.Equal(t, "TLS works, no AUTH offered: a relay or MX port, not for submission", rep.Verdict)
}

func TestFailures(t *testing.T) {
	rep, _ := probe(t, &clienttest.Options{Users: map[string]string{user: pass}}, config{user: user, password: "wrong"})
	assert.Equal(t, exitAuth, rep.Exit, "%+v", rep)
	assert.Equal(t, "authentication failed", rep.Verdict)
	assert.NotEmpty(t, rep.Explanation)

	rep, _ = probe(t, &clienttest.Options{Rules: []clienttest.Rule{clienttest.RefuseRecipient("you@", "550 5.1.1 User unknown")}},
		config{from: user, to: "you@example.org", lang: "es"})
	assert.Equal(t, exitRefused, rep.Exit, "%+v", rep)
	assert.Contains(t, rep.Explanation, "buzón")

	rep, _ = probe(t, &clienttest.Options{TLS: clienttest.TLSNone}, config{mode: "starttls"})
	assert.Equal(t, exitTLS, rep.Exit, "%+v", rep)

	rep = check(context.Background(), config{addr: "127.0.0.1:1", lang: "en"})
	assert.Equal(t, exitConn, rep.Exit, "%+v", rep)

	rep = check(context.Background(), config{addr: "127.0.0.1:1", mode: "ssl"})
	assert.Equal(t, exitUsage, rep.Exit)
}
