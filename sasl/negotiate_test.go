package sasl_test

import (
	"context"
	"crypto/tls"
	"errors"
	"slices"
	"strings"
	"testing"

	gosasl "github.com/emersion/go-sasl"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

func names(ms []sasl.Mechanism) []string {
	var out []string
	for _, m := range ms {
		if m == nil {
			out = append(out, "<nil>")
			continue
		}
		out = append(out, m.Name())
	}
	return out
}

func TestNegotiate(t *testing.T) {
	cs, _ := tlsPair(t, tls.VersionTLS13)
	verified := func(offered string) *sasl.Session {
		return &sasl.Session{TLS: &cs, VerifiedTLS: true, Offered: strings.Fields(offered)}
	}
	unverified := func(offered string) *sasl.Session {
		return &sasl.Session{TLS: &cs, Offered: strings.Fields(offered)}
	}
	cleartext := func(offered string) *sasl.Session {
		// VerifiedTLS without TLS is ignored.
		return &sasl.Session{VerifiedTLS: true, Offered: strings.Fields(offered)}
	}
	const (
		dovecot = "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256" // README section F
		exim    = "PLAIN LOGIN CRAM-MD5"                           // transcripts/exim-summary.txt
	)
	pw := sasl.Password("user@example.test", "secret")
	custom, err := sasl.From("X-CUSTOM", gosasl.NewAnonymousClient("t"), false)
	if err != nil {
		t.Fatal(err)
	}
	tok := sasl.StaticToken("t")

	tests := []struct {
		name      string
		sess      *sasl.Session
		available []sasl.Mechanism
		policy    *sasl.Policy
		want      []string // nil: a *NegotiationError
		rejected  []sasl.Rejection
	}{
		{"dovecot strongest", verified(dovecot), pw, nil, []string{"SCRAM-SHA-256"}, nil},
		{"dovecot fallback", verified(dovecot), pw, &sasl.Policy{AllowFallback: true},
			[]string{"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "LOGIN", "CRAM-MD5"}, nil},
		{"dovecot without TLS: SCRAM exposes nothing", cleartext(dovecot), pw, &sasl.Policy{AllowFallback: true},
			[]string{"SCRAM-SHA-256", "SCRAM-SHA-1"}, nil},
		{"exim verified", verified(exim), pw, nil, []string{"PLAIN"}, nil},
		{"exim unverified TLS", unverified(exim), pw, nil, nil, []sasl.Rejection{
			{"SCRAM-SHA-256-PLUS", sasl.ReasonNotOffered}, {"SCRAM-SHA-256", sasl.ReasonNotOffered},
			{"SCRAM-SHA-1", sasl.ReasonNotOffered}, {"PLAIN", sasl.ReasonInsecure},
			{"LOGIN", sasl.ReasonInsecure}, {"CRAM-MD5", sasl.ReasonInsecure}}},
		{"exim cleartext allowed", cleartext(exim), pw, &sasl.Policy{AllowInsecure: true}, []string{"PLAIN"}, nil},
		{"PLUS with TLS 1.3", verified("SCRAM-SHA-256 SCRAM-SHA-256-PLUS PLAIN"), pw, &sasl.Policy{AllowFallback: true},
			[]string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN"}, nil},
		{"PLUS without TLS", cleartext("SCRAM-SHA-256-PLUS SCRAM-SHA-256"), pw, nil, []string{"SCRAM-SHA-256"}, nil},
		{"PLUS only, without TLS", cleartext("SCRAM-SHA-256-PLUS"), pw[:1], nil, nil,
			[]sasl.Rejection{{"SCRAM-SHA-256-PLUS", sasl.ReasonNoChannelBinding}}},
		{"case-insensitive offer", verified("plain Login"), pw, nil, []string{"PLAIN"}, nil},
		{"pinned, lower case", verified(dovecot), pw, &sasl.Policy{Mechanism: "login"}, []string{"LOGIN"}, nil},
		{"pinned with fallback is still one", verified(dovecot), pw, &sasl.Policy{Mechanism: "CRAM-MD5", AllowFallback: true},
			[]string{"CRAM-MD5"}, nil},
		{"pinned not offered", verified(exim), pw, &sasl.Policy{Mechanism: "SCRAM-SHA-1"}, nil,
			[]sasl.Rejection{{"SCRAM-SHA-1", sasl.ReasonNotOffered}}},
		{"pinned insecure", cleartext(exim), pw, &sasl.Policy{Mechanism: "PLAIN"}, nil,
			[]sasl.Rejection{{"PLAIN", sasl.ReasonInsecure}}},
		{"pinned unavailable", verified(exim), pw, &sasl.Policy{Mechanism: "XOAUTH2"}, nil, nil},
		{"bearer beats password", verified("PLAIN XOAUTH2 OAUTHBEARER"),
			append([]sasl.Mechanism{sasl.XOAuth2("u", tok), sasl.OAuthBearer("u", tok)}, pw...), &sasl.Policy{AllowFallback: true},
			[]string{"XOAUTH2", "OAUTHBEARER", "PLAIN"}, nil},
		{"ties keep caller order", verified(exim), []sasl.Mechanism{sasl.Login("u", "p"), sasl.Plain("", "u", "p")}, nil,
			[]string{"LOGIN"}, nil},
		{"EXTERNAL first", verified("EXTERNAL SCRAM-SHA-256-PLUS ANONYMOUS"),
			append([]sasl.Mechanism{sasl.Anonymous(""), sasl.External("")}, pw...), &sasl.Policy{AllowFallback: true},
			[]string{"EXTERNAL", "SCRAM-SHA-256-PLUS", "ANONYMOUS"}, nil},
		{"weak ranks", verified("X-CUSTOM ANONYMOUS CRAM-MD5"),
			[]sasl.Mechanism{custom, sasl.Anonymous(""), sasl.CRAMMD5("u", "p")}, &sasl.Policy{AllowFallback: true},
			[]string{"CRAM-MD5", "ANONYMOUS", "X-CUSTOM"}, nil},
		{"nothing offered", verified(""), pw[3:4], nil, nil, []sasl.Rejection{{"PLAIN", sasl.ReasonNotOffered}}},
		{"nil session", nil, pw[3:4], nil, nil, []sasl.Rejection{{"PLAIN", sasl.ReasonNotOffered}}},
		{"no mechanisms", verified(exim), nil, nil, nil, nil},
		{"nil entries skipped", verified(exim), []sasl.Mechanism{nil, sasl.Login("u", "p"), nil}, nil, []string{"LOGIN"}, nil},
		{"duplicate names: first wins", verified(exim), []sasl.Mechanism{sasl.Plain("", "a", "p"), sasl.Plain("", "b", "p")},
			&sasl.Policy{AllowFallback: true}, []string{"PLAIN"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := names(tt.available)
			got, err := sasl.Negotiate(tt.sess, tt.available, tt.policy)
			if !slices.Equal(names(tt.available), before) {
				t.Errorf("Negotiate modified available: %v -> %v", before, names(tt.available))
			}
			if tt.want != nil {
				if err != nil || !slices.Equal(names(got), tt.want) {
					t.Errorf("Negotiate(offered %v, %v, %+v) = %v, %v; want %v",
						offered(tt.sess), names(tt.available), tt.policy, names(got), err, tt.want)
				}
				return
			}
			ne, ok := errors.AsType[*sasl.NegotiationError](err)
			if !ok || got != nil {
				t.Fatalf("Negotiate(offered %v, %v, %+v) = %v, %v; want a *NegotiationError",
					offered(tt.sess), names(tt.available), tt.policy, names(got), err)
			}
			if !slices.Equal(ne.Rejected, tt.rejected) {
				t.Errorf("Negotiate(offered %v, %v, %+v): rejected %v, want %v",
					offered(tt.sess), names(tt.available), tt.policy, ne.Rejected, tt.rejected)
			}
		})
	}
}

func offered(s *sasl.Session) []string {
	if s == nil {
		return nil
	}
	return s.Offered
}

func TestNegotiationError(t *testing.T) {
	s := &sasl.Session{Offered: []string{"plain", "LOGIN", "PLAIN", "BAD\r\nRSET"}}
	_, err := sasl.Negotiate(s, sasl.Password("u", "p"), nil)
	ne, ok := errors.AsType[*sasl.NegotiationError](err)
	if !ok {
		t.Fatalf("Negotiate = %v, want *NegotiationError", err)
	}
	if !slices.Equal(ne.Offered, []string{"PLAIN", "LOGIN"}) {
		t.Errorf("Offered = %q, want upper-cased, deduplicated, invalid names dropped", ne.Offered)
	}
	if !ne.Insecure() {
		t.Error("Insecure() = false for PLAIN refused without TLS")
	}
	const want = "smtp: sasl: no usable mechanism (server offers PLAIN LOGIN): " +
		"SCRAM-SHA-256-PLUS not offered by the server; SCRAM-SHA-256 not offered by the server; " +
		"SCRAM-SHA-1 not offered by the server; PLAIN would expose a secret without verified TLS; " +
		"LOGIN would expose a secret without verified TLS; CRAM-MD5 not offered by the server"
	if err.Error() != want {
		t.Errorf("Error() =\n%q\nwant\n%q", err.Error(), want)
	}

	_, err = sasl.Negotiate(&sasl.Session{}, sasl.Password("u", "p"), &sasl.Policy{Mechanism: "X-NONE"})
	if ne, ok := errors.AsType[*sasl.NegotiationError](err); !ok || ne.Pinned != "X-NONE" || ne.Insecure() ||
		err.Error() != "smtp: sasl: no usable mechanism: pinned mechanism X-NONE is not among the available mechanisms (server offers none)" {
		t.Errorf("pinned and unavailable: %v", err)
	}
	if got := sasl.Reason(9).String(); got != "Reason(9)" {
		t.Errorf("Reason(9).String() = %q", got)
	}
}

// evilMechanism is a custom Mechanism whose name would inject a command.
type evilMechanism struct{ name string }

func (m evilMechanism) Name() string            { return m.name }
func (m evilMechanism) Strength() sasl.Strength { return sasl.StrengthExternal }
func (m evilMechanism) ExposesSecret() bool     { return false }
func (m evilMechanism) ChannelBinding() bool    { return false }
func (m evilMechanism) Start(context.Context, *sasl.Session) (sasl.Conversation, error) {
	return nil, errors.New("not reached")
}

var badNames = []string{
	"",
	"plain",
	"PLAIN\r\nMAIL FROM:<attacker@example.com>",
	"PLAIN\n",
	"PLAIN ",
	" PLAIN",
	"PLAIN dGVzdA==",
	"X=Y",
	"PLAIN\x00",
	"ÉCLAIR",
	"ABCDEFGHIJKLMNOPQRSTU", // 21
	"SCRAM-SHA-256*",
}

func TestValidateName(t *testing.T) {
	for _, name := range []string{"PLAIN", "SCRAM-SHA-256-PLUS", "X_CUSTOM-2", "ABCDEFGHIJKLMNOPQRST", "9"} {
		if err := sasl.ValidateName(name); err != nil {
			t.Errorf("ValidateName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range badNames {
		err := sasl.ValidateName(name)
		ne, ok := errors.AsType[*sasl.NameError](err)
		if !ok || ne.Name != name {
			t.Errorf("ValidateName(%q) = %v, want *NameError", name, err)
			continue
		}
		if strings.ContainsAny(err.Error(), "\r\n\x00") {
			t.Errorf("ValidateName(%q): message %q has raw control bytes", name, err)
		}
	}
}

func TestNameInjection(t *testing.T) {
	for _, name := range badNames {
		if m, err := sasl.From(name, gosasl.NewPlainClient("", "u", "p"), true); m != nil || !isNameError(err) {
			t.Errorf("From(%q) = %v, %v; want nil, *NameError", name, m, err)
		}
		s := &sasl.Session{Offered: []string{name}}
		if _, err := sasl.Negotiate(s, []sasl.Mechanism{evilMechanism{name}}, nil); !isNameError(err) {
			t.Errorf("Negotiate with a mechanism named %q: %v, want *NameError", name, err)
		}
		if name != "" && name != "plain" {
			_, err := sasl.Negotiate(s, sasl.Password("u", "p"), &sasl.Policy{Mechanism: name})
			if !isNameError(err) {
				t.Errorf("Negotiate pinned to %q: %v, want *NameError", name, err)
			}
		}
	}
}

func isNameError(err error) bool {
	_, ok := errors.AsType[*sasl.NameError](err)
	return ok
}

func TestFrom(t *testing.T) {
	m, err := sasl.From("X-PLAIN", gosasl.NewPlainClient("", "u", "p"), true)
	if err != nil {
		t.Fatal(err)
	}
	if m.Strength() != sasl.StrengthCleartext || !m.ExposesSecret() || m.ChannelBinding() {
		t.Errorf("From(X-PLAIN, exposesSecret) = %v, exposes %v", m.Strength(), m.ExposesSecret())
	}
	// go-sasl's PLAIN client says "PLAIN": a different name fails.
	if _, _, err := start(t, m, nil).Start(); err == nil {
		t.Error("Start with a go-sasl client reporting another mechanism: nil error")
	}

	m, err = sasl.From("PLAIN", gosasl.NewPlainClient("", "u", "p"), true)
	if err != nil {
		t.Fatal(err)
	}
	srv := gosasl.NewPlainServer(func(_, u, p string) error {
		if u != "u" || p != "p" {
			return errors.New("bad")
		}
		return nil
	})
	for range 2 { // reusable
		if o := runAuth(t, start(t, m, nil), srv); !o.success || o.err != nil {
			t.Errorf("From(PLAIN) exchange %q: %v", o.lines, o.err)
		}
		srv = gosasl.NewPlainServer(func(string, string, string) error { return nil })
	}
	conv := start(t, m, nil)
	if _, err := conv.Next([]byte("x")); !errors.Is(err, sasl.ErrUnexpectedChallenge) {
		t.Errorf("adapted go-sasl client, unexpected challenge: %v, want ErrUnexpectedChallenge", err)
	}

	if _, err := sasl.From("X-NIL", nil, false); err == nil {
		t.Error("From with a nil client: nil error")
	}
	if m, _ := sasl.From("X-OTHER", gosasl.NewAnonymousClient(""), false); m.Strength() != sasl.StrengthUnknown || m.ExposesSecret() {
		t.Errorf("From(non-secret) strength %v, want unknown", m.Strength())
	}
}
