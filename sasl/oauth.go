package sasl

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// TokenSource supplies OAuth 2.0 access tokens to [XOAuth2] and
// [OAuthBearer]. Implementations must be safe for concurrent use.
type TokenSource interface {
	// Token returns an access token. When refresh is false it may return
	// a cached token. When refresh is true the server rejected the last
	// token: Token must obtain a new one (for example with a refresh
	// token) or fail, wrapping [ErrCannotRefresh] if it has no way to.
	Token(ctx context.Context, refresh bool) (string, error)
}

// TokenFunc adapts a function to a [TokenSource].
type TokenFunc func(ctx context.Context, refresh bool) (string, error)

// Token calls f(ctx, refresh).
func (f TokenFunc) Token(ctx context.Context, refresh bool) (string, error) {
	return f(ctx, refresh)
}

// StaticToken returns a [TokenSource] that always returns token and fails
// with [ErrCannotRefresh] when asked to refresh it.
func StaticToken(token string) TokenSource { return staticToken{token} }

type staticToken struct{ token string }

func (t staticToken) Token(_ context.Context, refresh bool) (string, error) {
	if refresh {
		return "", ErrCannotRefresh
	}
	return t.token, nil
}

// String hides the token.
func (staticToken) String() string { return "sasl.StaticToken(redacted)" }

// GoString hides the token.
func (t staticToken) GoString() string { return t.String() }

// OAuthError is the error a server reports in an OAUTHBEARER (RFC 7628
// section 3.2.2) or XOAUTH2 error challenge. [Conversation.Finish] returns
// it, inside an [*Error], after the server's final failure reply.
type OAuthError struct {
	// Status is the error code, such as "invalid_token", or an HTTP
	// status such as "400" or "401" (XOAUTH2).
	Status string `json:"status"`
	// Scope is the scope the token needs, if given.
	Scope string `json:"scope,omitempty"`
	// Schemes lists the accepted authentication schemes, if given
	// (XOAUTH2).
	Schemes string `json:"schemes,omitempty"`
	// OpenIDConfiguration is the URL of the authorization server's
	// discovery document, if given.
	OpenIDConfiguration string `json:"openid-configuration,omitempty"`
}

// Error describes the server's error; its text is quoted with Go escapes.
func (e *OAuthError) Error() string {
	s := "server rejected the token: status " + strconv.Quote(e.Status)
	if e.Scope != "" {
		s += ", scope " + strconv.Quote(e.Scope)
	}
	return s
}

// XOAuth2 returns Google's and Microsoft's XOAUTH2 mechanism, which sends
// username and an access token from ts in its initial response. If the
// server answers with an error challenge, the conversation acknowledges it
// with an empty response and Finish reports it as an [*OAuthError]. The
// mechanism implements [Refresher]. The token is a bearer secret: use it
// only over verified TLS.
//
// Start fails with the token source's error, or with
// [ErrInvalidCredentials] when username contains a control character or the
// token is not an RFC 6750 b64token.
func XOAuth2(username string, ts TokenSource) Mechanism {
	return newOAuth("XOAUTH2", username, ts, false)
}

// OAuthBearer returns the OAUTHBEARER mechanism (RFC 7628), which sends an
// access token from ts, the optional authorization identity username (empty
// to act as the token's subject), and the session's host and port in its
// initial response. If the server answers with an error challenge, the
// conversation acknowledges it with the required %x01 response and Finish
// reports it as an [*OAuthError]. The mechanism implements [Refresher]. The
// token is a bearer secret: use it only over verified TLS.
//
// Start fails with the token source's error, or with
// [ErrInvalidCredentials] when username contains a control character or the
// token is not an RFC 6750 b64token.
func OAuthBearer(username string, ts TokenSource) Mechanism {
	return newOAuth("OAUTHBEARER", username, ts, false)
}

type oauthMechanism struct {
	mechanism
	username string
	ts       TokenSource
}

func newOAuth(name, username string, ts TokenSource, refresh bool) *oauthMechanism {
	m := &oauthMechanism{
		mechanism: mechanism{name: name, strength: StrengthBearer, exposes: true},
		username:  username,
		ts:        ts,
	}
	m.start = func(ctx context.Context, s *Session) (Conversation, error) {
		return m.begin(ctx, s, refresh)
	}
	return m
}

// Refresh returns a mechanism whose Start asks the token source for a new
// token.
func (m *oauthMechanism) Refresh() Mechanism {
	return newOAuth(m.name, m.username, m.ts, true)
}

func (m *oauthMechanism) begin(ctx context.Context, s *Session, refresh bool) (Conversation, error) {
	fail := convName(m.name).fail
	if m.ts == nil {
		return nil, fail(fmt.Errorf("nil token source: %w", ErrInvalidCredentials))
	}
	if hasControl(m.username) {
		return nil, fail(fmt.Errorf("control character in username: %w", ErrInvalidCredentials))
	}
	token, err := m.ts.Token(ctx, refresh)
	if err != nil {
		return nil, fail(err)
	}
	if !isB64Token(token) {
		return nil, fail(fmt.Errorf("token is not an RFC 6750 b64token: %w", ErrInvalidCredentials))
	}
	if m.name == "XOAUTH2" {
		ir := fmt.Appendf(nil, "user=%s\x01auth=Bearer %s\x01\x01", m.username, token)
		return &oauthConv{convName: "XOAUTH2", ir: ir, ack: []byte{}}, nil
	}
	if hasControl(s.ServerName) {
		return nil, fail(fmt.Errorf("control character in server name %q", s.ServerName))
	}
	ir := []byte("n,")
	if m.username != "" {
		ir = append(ir, "a="...)
		ir = appendSASLName(ir, m.username)
	}
	ir = append(ir, ',')
	if s.ServerName != "" {
		ir = append(ir, "\x01host="...)
		ir = append(ir, s.ServerName...)
	}
	if s.Port > 0 && s.Port <= 65535 {
		ir = append(ir, "\x01port="...)
		ir = strconv.AppendInt(ir, int64(s.Port), 10)
	}
	ir = fmt.Appendf(ir, "\x01auth=Bearer %s\x01\x01", token)
	// RFC 7628 section 3.2.3: the client answers an error with a single
	// %x01 and the server then fails the exchange.
	return &oauthConv{convName: "OAUTHBEARER", ir: ir, ack: []byte{0x01}}, nil
}

type oauthConv struct {
	convName
	ir     []byte      // initial response
	ack    []byte      // response to the server's error challenge
	failed *OAuthError // the server's error challenge, once received
}

func (c *oauthConv) Start() (string, []byte, error) { return string(c.convName), c.ir, nil }

func (c *oauthConv) Next(challenge []byte) ([]byte, error) {
	if c.failed != nil {
		return nil, c.fail(ErrUnexpectedChallenge)
	}
	var e OAuthError
	if err := json.Unmarshal(challenge, &e); err != nil || e.Status == "" {
		return nil, c.fail(fmt.Errorf("error challenge is not a JSON object with a status: %w", ErrMalformedChallenge))
	}
	c.failed = &e
	return c.ack, nil
}

func (c *oauthConv) Finish(success bool) error {
	if success || c.failed == nil {
		return nil
	}
	return c.fail(c.failed)
}

// appendSASLName appends s with "," and "=" escaped as in RFC 5801's
// saslname.
func appendSASLName(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',':
			dst = append(dst, "=2C"...)
		case '=':
			dst = append(dst, "=3D"...)
		default:
			dst = append(dst, s[i])
		}
	}
	return dst
}

// hasControl reports whether s contains an ASCII control character.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// isB64Token reports whether s is an RFC 6750 b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}
