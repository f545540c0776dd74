package client

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// mechFor returns the client mechanism name with the test credentials;
// tokens come from ts for the OAuth mechanisms.
func mechFor(name, password string, ts sasl.TokenSource) sasl.Mechanism {
	switch name {
	case "PLAIN":
		return sasl.Plain("", authUser, password)
	case "LOGIN":
		return sasl.Login(authUser, password)
	case "XOAUTH2":
		return sasl.XOAuth2(authUser, ts)
	case "OAUTHBEARER":
		return sasl.OAuthBearer(authUser, ts)
	case "SCRAM-SHA-1":
		return sasl.SCRAMSHA1(authUser, password)
	case "SCRAM-SHA-256":
		return sasl.SCRAMSHA256(authUser, password)
	case "SCRAM-SHA-256-PLUS":
		return sasl.SCRAMSHA256Plus(authUser, password)
	}
	panic("unknown mechanism " + name)
}

var allMechs = []string{"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"}

func TestAuthEachMechanism(t *testing.T) {
	for _, name := range allMechs {
		t.Run(name, func(t *testing.T) {
			srv := startAuthServer(t, &authBackend{mechs: []string{name}})
			c := dialAuth(t, srv, secureOpts(nil))
			ctx := testCtx(t)

			r, err := c.Auth(ctx, mechFor(name, authPassword, sasl.StaticToken(authToken)))
			if err != nil || r.Code != reply.CodeAuthSucceeded {
				t.Fatalf("Auth(%s) = %v, %v; want 235", name, r, err)
			}
			_, _, auths, ok := srv.counts()
			if want := []string{name}; !slices.Equal(auths, want) || !slices.Equal(ok, want) {
				t.Errorf("server saw AUTH %v, successes %v; want %v", auths, ok, want)
			}
			if name == "SCRAM-SHA-256-PLUS" && !slices.Equal(srv.scramCB, []bool{true}) {
				t.Errorf("channel binding used = %v, want [true]", srv.scramCB)
			}
			// The server now takes mail without a 530.
			res, err := c.Send(ctx, &Envelope{From: authUser, To: []string{"rcpt@example.test"}}, strings.NewReader(testMessage))
			if err != nil || res.State != DeliveryComplete || len(res.Recovered) != 0 {
				t.Errorf("Send after Auth = %v (recovered %v), %v; want delivered at once", res.State, res.Recovered, err)
			}
		})
	}
}

func TestAuthRefusedStaysUsable(t *testing.T) {
	for _, name := range allMechs {
		t.Run(name, func(t *testing.T) {
			srv := startAuthServer(t, &authBackend{mechs: []string{name}})
			c := dialAuth(t, srv, secureOpts(nil))
			ctx := testCtx(t)

			r, err := c.Auth(ctx, mechFor(name, "wrong-password", sasl.StaticToken(staleToken)))
			if !reply.IsAuthFailed(err) {
				t.Fatalf("Auth(%s, wrong) = %v, %v; want IsAuthFailed", name, r, err)
			}
			re, ok := errors.AsType[*reply.Error](err)
			if !ok || re.Command != "AUTH" || re.Reply.Code != reply.CodeAuthCredentialsInvalid || r.Code != reply.CodeAuthCredentialsInvalid {
				t.Errorf("Auth(%s, wrong): reply %v, error %#v; want a *reply.Error for AUTH 535", name, r, re)
			}
			if reply.RetryFor(err) != reply.RetryNever {
				t.Errorf("RetryFor(%v) = %v, want never", err, reply.RetryFor(err))
			}
			if name == "XOAUTH2" || name == "OAUTHBEARER" {
				// The server's error challenge comes back too.
				if _, ok := errors.AsType[*sasl.OAuthError](err); !ok {
					t.Errorf("Auth(%s, stale token) = %v; want it to carry the *sasl.OAuthError", name, err)
				}
			}
			if _, err := c.Noop(ctx); err != nil {
				t.Fatalf("Noop after a refused AUTH = %v; want the session usable", err)
			}
			if _, err := c.Auth(ctx, mechFor(name, authPassword, sasl.StaticToken(authToken))); err != nil {
				t.Fatalf("Auth(%s) after a refusal = %v; want success", name, err)
			}
			// A static token cannot be refreshed: one attempt per call.
			if _, _, auths, _ := srv.counts(); len(auths) != 2 {
				t.Errorf("server saw AUTH %v; want 2 attempts", auths)
			}
		})
	}
}

func TestAuthTokenRefreshedOnce(t *testing.T) {
	for _, name := range []string{"XOAUTH2", "OAUTHBEARER"} {
		t.Run(name, func(t *testing.T) {
			srv := startAuthServer(t, &authBackend{mechs: []string{name}})
			c := dialAuth(t, srv, secureOpts(nil))
			var mu sync.Mutex
			var asked []bool
			ts := sasl.TokenFunc(func(_ context.Context, refresh bool) (string, error) {
				mu.Lock()
				defer mu.Unlock()
				asked = append(asked, refresh)
				if refresh {
					return authToken, nil
				}
				return staleToken, nil
			})
			r, err := c.Auth(testCtx(t), mechFor(name, "", ts))
			if err != nil || r.Code != reply.CodeAuthSucceeded {
				t.Fatalf("Auth(%s) with a stale then a fresh token = %v, %v; want 235", name, r, err)
			}
			if !slices.Equal(asked, []bool{false, true}) {
				t.Errorf("token source asked with refresh = %v, want [false true]", asked)
			}
			if _, _, auths, ok := srv.counts(); len(auths) != 2 || len(ok) != 1 {
				t.Errorf("server saw AUTH %v, successes %v; want 2 attempts, 1 success", auths, ok)
			}
		})
	}

	t.Run("still refused", func(t *testing.T) {
		srv := startAuthServer(t, &authBackend{mechs: []string{"XOAUTH2"}})
		c := dialAuth(t, srv, secureOpts(nil))
		calls := 0
		ts := sasl.TokenFunc(func(context.Context, bool) (string, error) { calls++; return staleToken, nil })
		_, err := c.Auth(testCtx(t), sasl.XOAuth2(authUser, ts))
		if !reply.IsAuthFailed(err) || calls != 2 {
			t.Errorf("Auth with a token refused twice = %v after %d token calls; want IsAuthFailed after 2", err, calls)
		}
		if _, _, auths, _ := srv.counts(); len(auths) != 2 {
			t.Errorf("server saw AUTH %v; want exactly 2 attempts (one refresh)", auths)
		}
	})
}

func TestAuthNegotiation(t *testing.T) {
	tests := []struct {
		offered []string
		pin     string
		want    string
	}{
		{[]string{"PLAIN", "LOGIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"}, "", "SCRAM-SHA-256-PLUS"},
		{[]string{"PLAIN", "LOGIN", "SCRAM-SHA-1", "SCRAM-SHA-256"}, "", "SCRAM-SHA-256"},
		{[]string{"LOGIN", "PLAIN"}, "", "PLAIN"},
		{[]string{"PLAIN", "LOGIN", "SCRAM-SHA-256"}, "LOGIN", "LOGIN"},
	}
	for _, tt := range tests {
		srv := startAuthServer(t, &authBackend{mechs: tt.offered})
		opts := secureOpts(nil)
		opts.Auth = sasl.Password(authUser, authPassword)
		opts.AuthMechanism = tt.pin
		c := dialAuth(t, srv, opts)
		if _, err := c.Auth(testCtx(t)); err != nil {
			t.Errorf("server offers %v, pin %q: Auth() = %v", tt.offered, tt.pin, err)
			continue
		}
		if _, _, auths, _ := srv.counts(); !slices.Equal(auths, []string{tt.want}) {
			t.Errorf("server offers %v, pin %q: client used %v, want [%s]", tt.offered, tt.pin, auths, tt.want)
		}
	}
}

func TestAuthRefusedWithoutVerifiedTLS(t *testing.T) {
	insecureTLS := &Options{TLS: TLSStartTLS, TLSConfig: &tls.Config{InsecureSkipVerify: true}}
	tests := []struct {
		name string
		opts *Options
	}{
		{"cleartext", &Options{TLS: TLSNone}},
		{"opportunistic without STARTTLS", &Options{TLS: TLSNone}},
		{"TLS with an unverified certificate", insecureTLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startAuthServer(t, &authBackend{mechs: []string{"PLAIN", "LOGIN", "XOAUTH2"}})
			opts := *tt.opts
			opts.Auth = append(sasl.Password(authUser, authPassword), sasl.XOAuth2(authUser, sasl.StaticToken(authToken)))
			c := dialAuth(t, srv, &opts)
			_, err := c.Auth(testCtx(t))
			te, ok := errors.AsType[*TLSError](err)
			if !ok || te.Reason != TLSReasonNotSecure || !reply.IsTLSRequired(err) {
				t.Fatalf("Auth on a session that is not verified TLS = %v; want a *TLSError, not secure", err)
			}
			if ne, ok := errors.AsType[*sasl.NegotiationError](err); !ok || !ne.Insecure() {
				t.Errorf("Auth error %v: want it to wrap the *sasl.NegotiationError", err)
			}
			if _, _, auths, _ := srv.counts(); len(auths) != 0 {
				t.Errorf("server saw AUTH %v; want nothing sent", auths)
			}

			// Only the explicit option lifts the refusal.
			opts.AllowInsecureAuth = true
			c2 := dialAuth(t, srv, &opts)
			if _, err := c2.Auth(testCtx(t)); err != nil {
				t.Errorf("Auth with AllowInsecureAuth = %v, want success", err)
			}
		})
	}
}

func TestAuthSCRAMServerWithoutProof(t *testing.T) {
	srv := startAuthServer(t, &authBackend{mechs: []string{"SCRAM-SHA-256"}, scramNoEnd: true})
	c := dialAuth(t, srv, secureOpts(nil))
	ctx := testCtx(t)
	_, err := c.Auth(ctx, sasl.SCRAMSHA256(authUser, authPassword))
	ae, ok := errors.AsType[*AuthError](err)
	if !ok || ae.Mechanism != "SCRAM-SHA-256" || !errors.Is(err, sasl.ErrIncomplete) {
		t.Fatalf("Auth against a server claiming 235 without its proof = %v; want *AuthError wrapping sasl.ErrIncomplete", err)
	}
	if _, err := c.Noop(ctx); !errors.Is(err, ErrBroken) {
		t.Errorf("Noop after an unproven 235 = %v; want ErrBroken (connection closed)", err)
	}
}

// secrets lists what must never be logged or put in an error: the
// password and token, and the base64 forms the wire carries.
func secrets() []string {
	b64 := base64.StdEncoding.EncodeToString
	return []string{
		authPassword, authToken, staleToken, "wrong-password",
		b64([]byte(authPassword)), b64([]byte("wrong-password")),
		b64([]byte("\x00" + authUser + "\x00" + authPassword)),
		b64([]byte("\x00" + authUser + "\x00wrong-password")),
		b64([]byte(authUser)), // LOGIN's first answer: not a secret, still redacted
	}
}

func TestAuthNoSecretsInTranscriptOrErrors(t *testing.T) {
	for _, name := range allMechs {
		t.Run(name, func(t *testing.T) {
			srv := startAuthServer(t, &authBackend{mechs: []string{name}})
			log := &logCollector{}
			c := dialAuth(t, srv, secureOpts(log))
			ctx := testCtx(t)

			_, err := c.Auth(ctx, mechFor(name, "wrong-password", sasl.StaticToken(staleToken)))
			if err == nil {
				t.Fatalf("Auth(%s) with wrong credentials succeeded", name)
			}
			if _, err := c.Auth(ctx, mechFor(name, authPassword, sasl.StaticToken(authToken))); err != nil {
				t.Fatalf("Auth(%s) = %v", name, err)
			}
			text := log.text()
			if !strings.Contains(text, "C: AUTH "+name) {
				t.Errorf("transcript lacks the AUTH command:\n%s", text)
			}
			for _, s := range secrets() {
				if strings.Contains(text, s) {
					t.Errorf("transcript contains secret %q:\n%s", s, text)
				}
				if strings.Contains(err.Error(), s) || strings.Contains(slog.AnyValue(err).String(), s) {
					t.Errorf("error %q contains secret %q", err, s)
				}
			}
		})
	}
}

func TestErrorStrings(t *testing.T) {
	refusal := func(code reply.Code, enh reply.EnhancedCode, text string) error {
		return &reply.Error{Command: "RCPT TO", Reply: reply.New(code, enh, text)}
	}
	tests := []struct {
		err  error
		want string
	}{
		{&AuthError{Mechanism: "LOGIN", Err: &sasl.Error{Mechanism: "LOGIN", Err: sasl.ErrMalformedChallenge}},
			"smtp: AUTH LOGIN: malformed challenge"},
		{&AuthError{Mechanism: "X-ECHO", Err: ErrTooManyChallenges}, "smtp: AUTH X-ECHO: too many AUTH challenges"},
		{&RecipientError{Address: "b@example.test", Err: refusal(550, reply.EnhancedCode{Class: 5, Subject: 1, Detail: 1}, "No such user")},
			"smtp: recipient <b@example.test>: RCPT TO: 550 5.1.1 No such user"},
		{&RecipientsError{Total: 3, Refused: []*RecipientError{
			{Address: "b@example.test", Err: refusal(550, reply.EnhancedCode{Class: 5, Subject: 1, Detail: 1}, "No such user")},
			{Address: "c@example.test", Err: refusal(451, reply.EnhancedCode{}, "Try\x1b later")},
		}}, `smtp: 2 of 3 recipients refused: recipient <b@example.test>: RCPT TO: 550 5.1.1 No such user; ` +
			`recipient <c@example.test>: RCPT TO: 451 Try\x1b later`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%#v.Error() =\n%q, want\n%q", tt.err, got, tt.want)
		}
	}
}
