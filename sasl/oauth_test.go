package sasl_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	gosasl "github.com/emersion/go-sasl"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

func TestXOAuth2Format(t *testing.T) {
	// Google's XOAUTH2 protocol page: the initial client response for
	// someuser@example.com and token ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg.
	const want = "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
	m := sasl.XOAuth2("someuser@example.com", sasl.StaticToken("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"))
	_, ir, err := start(t, m, nil).Start()
	if err != nil {
		t.Fatal(err)
	}
	if got := sasl.EncodeInitialResponse(ir); got != want {
		t.Errorf("XOAUTH2 initial response = %q (%q), want %q", got, ir, want)
	}
}

func TestXOAuth2ErrorChallenge(t *testing.T) {
	// Gmail's answer to an expired token, then 535.
	const errJSON = `{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}`
	step := 0
	srv := serverFunc(func(resp []byte) ([]byte, bool, error) {
		step++
		if step == 1 {
			return []byte(errJSON), false, nil
		}
		if len(resp) != 0 {
			t.Errorf("client answered the error challenge with %q, want an empty line", resp)
		}
		return nil, false, errors.New("invalid token")
	})
	o := runAuth(t, start(t, sasl.XOAuth2("u@example.com", sasl.StaticToken("tok")), nil), srv)
	want := []string{
		"C: AUTH XOAUTH2 dXNlcj11QGV4YW1wbGUuY29tAWF1dGg9QmVhcmVyIHRvawEB",
		"S: 334 eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==",
		"C: ",
		"S: 535 5.7.8 authentication failed",
	}
	if !slices.Equal(o.lines, want) {
		t.Errorf("XOAUTH2 failure:\n got %q\nwant %q", o.lines, want)
	}
	oe, ok := errors.AsType[*sasl.OAuthError](o.err)
	if !ok || oe.Status != "400" || oe.Scope != "https://mail.google.com/" || oe.Schemes != "Bearer" {
		t.Errorf("Finish(false) = %v, want *OAuthError status 400 with scope and schemes", o.err)
	}
}

func TestOAuthBearerRFC7628(t *testing.T) {
	// RFC 7628 section 4.1: the initial response, shown unencoded there.
	const want = "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
	m := sasl.OAuthBearer("user@example.com", sasl.StaticToken("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="))
	s := &sasl.Session{ServerName: "server.example.com", Port: 143}
	_, ir, err := start(t, m, s).Start()
	if err != nil || string(ir) != want {
		t.Errorf("OAUTHBEARER initial response = %q, %v; want %q", ir, err, want)
	}

	// go-sasl's server parses it back.
	var got gosasl.OAuthBearerOptions
	srv := gosasl.NewOAuthBearerServer(func(opts gosasl.OAuthBearerOptions) *gosasl.OAuthBearerError {
		got = opts
		return nil
	})
	o := runAuth(t, start(t, m, s), srv)
	if !o.success || o.err != nil {
		t.Fatalf("OAUTHBEARER against go-sasl: %q, %v", o.lines, o.err)
	}
	if got.Username != "user@example.com" || got.Host != "server.example.com" || got.Port != 143 ||
		got.Token != "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==" {
		t.Errorf("go-sasl server parsed %+v", got)
	}

	// Without authorization identity, host and port.
	_, ir, _ = start(t, sasl.OAuthBearer("", sasl.StaticToken("abc")), nil).Start()
	if string(ir) != "n,,\x01auth=Bearer abc\x01\x01" {
		t.Errorf("OAUTHBEARER minimal initial response = %q", ir)
	}
	// saslname escapes "," and "=" (RFC 5801).
	_, ir, _ = start(t, sasl.OAuthBearer("a,b=c", sasl.StaticToken("abc")), nil).Start()
	if string(ir) != "n,a=a=2Cb=3Dc,\x01auth=Bearer abc\x01\x01" {
		t.Errorf("OAUTHBEARER escaped authzid = %q", ir)
	}
}

func TestOAuthBearerFailure(t *testing.T) {
	// RFC 7628 section 4.3 (SMTP): the error challenge is answered with
	// %x01 ("AQ==") and the server then fails the exchange.
	srv := gosasl.NewOAuthBearerServer(func(gosasl.OAuthBearerOptions) *gosasl.OAuthBearerError {
		return &gosasl.OAuthBearerError{Status: "invalid_token", Scope: "example_scope"}
	})
	o := runAuth(t, start(t, sasl.OAuthBearer("user@example.com", sasl.StaticToken("tok")), nil), srv)
	if len(o.lines) != 4 || o.lines[2] != "C: AQ==" || o.success {
		t.Fatalf("OAUTHBEARER failure exchange %q, success %v; want the error challenge answered with AQ==", o.lines, o.success)
	}
	oe, ok := errors.AsType[*sasl.OAuthError](o.err)
	if !ok || oe.Status != "invalid_token" || oe.Scope != "example_scope" {
		t.Errorf("Finish(false) = %v, want *OAuthError invalid_token/example_scope", o.err)
	}
	if e, ok := errors.AsType[*sasl.Error](o.err); !ok || e.Mechanism != "OAUTHBEARER" {
		t.Errorf("Finish(false) = %v, want inside *sasl.Error for OAUTHBEARER", o.err)
	}
}

func TestOAuthChallengeErrors(t *testing.T) {
	for _, m := range []sasl.Mechanism{sasl.XOAuth2("u", sasl.StaticToken("t")), sasl.OAuthBearer("u", sasl.StaticToken("t"))} {
		for _, ch := range []string{"", "not json", `{"scope":"x"}`, `["status"]`} {
			conv := start(t, m, nil)
			if _, err := conv.Next([]byte(ch)); !errors.Is(err, sasl.ErrMalformedChallenge) {
				t.Errorf("%s: Next(%q) = %v, want ErrMalformedChallenge", m.Name(), ch, err)
			}
		}
		conv := start(t, m, nil)
		if _, err := conv.Next([]byte(`{"status":"401"}`)); err != nil {
			t.Fatalf("%s: error challenge: %v", m.Name(), err)
		}
		if _, err := conv.Next([]byte(`{"status":"401"}`)); !errors.Is(err, sasl.ErrUnexpectedChallenge) {
			t.Errorf("%s: second challenge = %v, want ErrUnexpectedChallenge", m.Name(), err)
		}
		if err := conv.Finish(true); err != nil {
			t.Errorf("%s: Finish(true) = %v, want nil", m.Name(), err)
		}
	}
}

func TestOAuthInvalidCredentials(t *testing.T) {
	tests := []struct{ user, token string }{
		{"u", ""},
		{"u", "tok en"},
		{"u", "tok\x01en"},
		{"u", "tok=en"},
		{"u", "=abc"},
		{"u\x01auth=Bearer evil", "tok"},
		{"u\r\n", "tok"},
	}
	for _, tt := range tests {
		for _, m := range []sasl.Mechanism{sasl.XOAuth2(tt.user, sasl.StaticToken(tt.token)), sasl.OAuthBearer(tt.user, sasl.StaticToken(tt.token))} {
			if _, err := m.Start(context.Background(), nil); !errors.Is(err, sasl.ErrInvalidCredentials) {
				t.Errorf("%s(%q, token %q).Start = %v, want ErrInvalidCredentials", m.Name(), tt.user, tt.token, err)
			}
		}
	}
	// Padding at the end is valid b64token.
	if _, err := sasl.XOAuth2("u", sasl.StaticToken("abc==")).Start(context.Background(), nil); err != nil {
		t.Errorf("XOAuth2 token abc==: %v", err)
	}
	if _, err := sasl.XOAuth2("u", nil).Start(context.Background(), nil); !errors.Is(err, sasl.ErrInvalidCredentials) {
		t.Errorf("XOAuth2 with nil TokenSource: %v, want ErrInvalidCredentials", err)
	}
}

func TestOAuthRefresh(t *testing.T) {
	var calls []bool
	ts := sasl.TokenFunc(func(ctx context.Context, refresh bool) (string, error) {
		calls = append(calls, refresh)
		if refresh {
			return "fresh", nil
		}
		return "stale", nil
	})
	for _, m := range []sasl.Mechanism{sasl.XOAuth2("u", ts), sasl.OAuthBearer("u", ts)} {
		calls = nil
		r, ok := m.(sasl.Refresher)
		if !ok {
			t.Fatalf("%s does not implement Refresher", m.Name())
		}
		_, ir1, _ := start(t, m, nil).Start()
		refreshed := r.Refresh()
		if refreshed.Name() != m.Name() || refreshed.Strength() != m.Strength() || !refreshed.ExposesSecret() {
			t.Errorf("%s.Refresh() = %s with different properties", m.Name(), refreshed.Name())
		}
		_, ir2, _ := start(t, refreshed, nil).Start()
		if !slices.Equal(calls, []bool{false, true}) {
			t.Errorf("%s: token source calls (refresh flag) = %v, want [false true]", m.Name(), calls)
		}
		if !bytes.Contains(ir1, []byte("Bearer stale")) || !bytes.Contains(ir2, []byte("Bearer fresh")) {
			t.Errorf("%s: initial responses %q then %q, want the stale then the fresh token", m.Name(), ir1, ir2)
		}
	}

	// A static token cannot be refreshed; the error names the mechanism.
	m := sasl.XOAuth2("u", sasl.StaticToken("t")).(sasl.Refresher).Refresh()
	_, err := m.Start(context.Background(), nil)
	if !errors.Is(err, sasl.ErrCannotRefresh) {
		t.Errorf("refreshed StaticToken Start = %v, want ErrCannotRefresh", err)
	}
	if e, ok := errors.AsType[*sasl.Error](err); !ok || e.Mechanism != "XOAUTH2" {
		t.Errorf("refreshed StaticToken error = %#v, want *sasl.Error for XOAUTH2", err)
	}

	// The token source sees the context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ctxTS := sasl.TokenFunc(func(ctx context.Context, _ bool) (string, error) { return "", ctx.Err() })
	if _, err := sasl.OAuthBearer("", ctxTS).Start(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Start with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestOAuthErrorMessageEscapes(t *testing.T) {
	e := &sasl.OAuthError{Status: "bad\r\nMAIL FROM:<x>", Scope: "s\x1b[31m"}
	if got, want := e.Error(), `server rejected the token: status "bad\r\nMAIL FROM:<x>", scope "s\x1b[31m"`; got != want {
		t.Errorf("OAuthError.Error() = %q, want %q", got, want)
	}
}
