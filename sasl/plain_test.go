package sasl_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	gosasl "github.com/emersion/go-sasl"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

func TestPlainRFCExamples(t *testing.T) {
	tests := []struct {
		identity, user, pass string
		want                 string // AUTH line
	}{
		// RFC 4616 section 4, "\0tim\0tanstaaftanstaaf".
		{"", "tim", "tanstaaftanstaaf", "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm"},
		// RFC 4954 section 5, "test\0test\01234".
		{"test", "test", "1234", "AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ="},
		// RFC 4616 section 4, authorization identity "Ursel".
		{"Ursel", "Kurt", "xipj3plmq", "AUTH PLAIN VXJzZWwAS3VydAB4aXBqM3BsbXE="},
	}
	for _, tt := range tests {
		var gotID, gotUser, gotPass string
		srv := gosasl.NewPlainServer(func(identity, username, password string) error {
			gotID, gotUser, gotPass = identity, username, password
			return nil
		})
		o := runAuth(t, start(t, sasl.Plain(tt.identity, tt.user, tt.pass), nil), srv)
		if !o.success || o.err != nil || o.lines[0] != "C: "+tt.want {
			t.Errorf("Plain(%q, %q, %q): lines %q, success %v, err %v; want first line %q and success",
				tt.identity, tt.user, tt.pass, o.lines, o.success, o.err, tt.want)
		}
		if gotID != tt.identity || gotUser != tt.user || gotPass != tt.pass {
			t.Errorf("Plain(%q, %q, %q): server decoded (%q, %q, %q)", tt.identity, tt.user, tt.pass, gotID, gotUser, gotPass)
		}
	}
}

func TestPlainRejectsChallengeAndBadCredentials(t *testing.T) {
	conv := start(t, sasl.Plain("", "u", "p"), nil)
	if _, _, err := conv.Start(); err != nil {
		t.Fatal(err)
	}
	_, err := conv.Next([]byte{})
	if !errors.Is(err, sasl.ErrUnexpectedChallenge) {
		t.Errorf("PLAIN Next(empty) after initial response = %v, want ErrUnexpectedChallenge", err)
	}
	if e, ok := errors.AsType[*sasl.Error](err); !ok || e.Mechanism != "PLAIN" {
		t.Errorf("PLAIN Next error %#v, want *sasl.Error for PLAIN", err)
	}

	for _, c := range [][3]string{{"", "u\x00x", "p"}, {"a\x00", "u", "p"}, {"", "u", "p\x00"}, {"", "", "p"}, {"", "u", ""}} {
		_, err := sasl.Plain(c[0], c[1], c[2]).Start(context.Background(), nil)
		if !errors.Is(err, sasl.ErrInvalidCredentials) {
			t.Errorf("Plain(%q, %q, %q).Start = %v, want ErrInvalidCredentials", c[0], c[1], c[2], err)
		}
	}
}

func TestLogin(t *testing.T) {
	tests := []struct {
		name    string
		prompts []string // server challenges, in order
		want    []string // client responses, decoded
	}{
		// Exim and Postfix (transcripts in /work/shared/mta).
		{"exim", []string{"Username:", "Password:"}, []string{"user@example.test", "secret"}},
		// draft-murchison-sasl-login section 2 example.
		{"draft", []string{"User Name\x00", "Password\x00"}, []string{"user@example.test", "secret"}},
		// Unknown prompts are answered in order.
		{"localised", []string{"Benutzer:", "Kennwort:"}, []string{"user@example.test", "secret"}},
		{"empty prompts", []string{"", ""}, []string{"user@example.test", "secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conv := start(t, sasl.Login("user@example.test", "secret"), nil)
			mech, ir, err := conv.Start()
			if mech != "LOGIN" || ir != nil || err != nil {
				t.Fatalf("Start() = %q, %q, %v; want LOGIN, nil, nil", mech, ir, err)
			}
			var got []string
			for _, p := range tt.prompts {
				r, err := conv.Next([]byte(p))
				if err != nil {
					t.Fatalf("Next(%q): %v", p, err)
				}
				got = append(got, string(r))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("answers to %q = %q, want %q", tt.prompts, got, tt.want)
			}
			if _, err := conv.Next([]byte("Password:")); !errors.Is(err, sasl.ErrUnexpectedChallenge) {
				t.Errorf("third prompt: err %v, want ErrUnexpectedChallenge", err)
			}
		})
	}
}

func TestLoginWire(t *testing.T) {
	// The exchange Exim shows in transcripts/exim-summary.txt.
	step := 0
	srv := serverFunc(func(resp []byte) ([]byte, bool, error) {
		step++
		switch step {
		case 1:
			return []byte("Username:"), false, nil
		case 2:
			if string(resp) != "user@example.test" {
				return nil, false, fmt.Errorf("username %q", resp)
			}
			return []byte("Password:"), false, nil
		default:
			if string(resp) != "secret" {
				return nil, false, fmt.Errorf("password %q", resp)
			}
			return nil, true, nil
		}
	})
	o := runAuth(t, start(t, sasl.Login("user@example.test", "secret"), nil), srv)
	want := []string{
		"C: AUTH LOGIN",
		"S: 334 VXNlcm5hbWU6",
		"C: dXNlckBleGFtcGxlLnRlc3Q=",
		"S: 334 UGFzc3dvcmQ6",
		"C: c2VjcmV0",
		"S: 235 2.7.0 accepted",
	}
	if !slices.Equal(o.lines, want) || o.err != nil {
		t.Errorf("LOGIN exchange:\n got %q, err %v\nwant %q", o.lines, o.err, want)
	}
}

func TestCRAMMD5RFC2195(t *testing.T) {
	// RFC 2195 section 2.
	const challenge = "<1896.697170952@postoffice.reston.mci.net>"
	srv := serverFunc(func(resp []byte) ([]byte, bool, error) {
		if resp == nil {
			return []byte(challenge), false, nil
		}
		if string(resp) != "tim b913a602c7eda7a495b4e6e7334d3890" {
			return nil, false, fmt.Errorf("response %q", resp)
		}
		return nil, true, nil
	})
	o := runAuth(t, start(t, sasl.CRAMMD5("tim", "tanstaaftanstaaf"), nil), srv)
	want := []string{
		"C: AUTH CRAM-MD5",
		"S: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+",
		"C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw",
		"S: 235 2.7.0 accepted",
	}
	if !slices.Equal(o.lines, want) || !o.success || o.err != nil {
		t.Errorf("CRAM-MD5 exchange:\n got %q, success %v, err %v\nwant %q", o.lines, o.success, o.err, want)
	}
}

func TestCRAMMD5Errors(t *testing.T) {
	conv := start(t, sasl.CRAMMD5("tim", "x"), nil)
	if _, err := conv.Next(nil); !errors.Is(err, sasl.ErrMalformedChallenge) {
		t.Errorf("CRAM-MD5 Next(empty) = %v, want ErrMalformedChallenge", err)
	}
	conv = start(t, sasl.CRAMMD5("tim", "x"), nil)
	r, err := conv.Next([]byte("<1.2@x>"))
	if err != nil {
		t.Fatal(err)
	}
	if _, digest, _ := bytes.Cut(r, []byte(" ")); len(digest) != 32 {
		t.Errorf("CRAM-MD5 response %q: digest is not 32 hex digits", r)
	} else if _, err := hex.DecodeString(string(digest)); err != nil {
		t.Errorf("CRAM-MD5 response %q: %v", r, err)
	}
	if _, err := conv.Next([]byte("<1.2@x>")); !errors.Is(err, sasl.ErrUnexpectedChallenge) {
		t.Errorf("CRAM-MD5 second challenge: %v, want ErrUnexpectedChallenge", err)
	}
}

func TestExternalAndAnonymous(t *testing.T) {
	var gotIdentity, gotTrace string
	ext := gosasl.NewExternalServer(func(identity string) error { gotIdentity = identity; return nil })
	o := runAuth(t, start(t, sasl.External(""), nil), ext)
	if !o.success || o.lines[0] != "C: AUTH EXTERNAL =" || gotIdentity != "" {
		t.Errorf("External(\"\"): lines %q, identity %q; want AUTH EXTERNAL = and success", o.lines, gotIdentity)
	}
	ext = gosasl.NewExternalServer(func(identity string) error { gotIdentity = identity; return nil })
	o = runAuth(t, start(t, sasl.External("admin"), nil), ext)
	if !o.success || gotIdentity != "admin" {
		t.Errorf("External(\"admin\"): lines %q, identity %q", o.lines, gotIdentity)
	}

	anon := gosasl.NewAnonymousServer(func(trace string) error { gotTrace = trace; return nil })
	// RFC 4505 section 4 example trace.
	o = runAuth(t, start(t, sasl.Anonymous("sirhc"), nil), anon)
	if !o.success || o.lines[0] != "C: AUTH ANONYMOUS c2lyaGM=" || gotTrace != "sirhc" {
		t.Errorf("Anonymous(\"sirhc\"): lines %q, trace %q", o.lines, gotTrace)
	}

	for _, trace := range []string{strings.Repeat("é", 256), "a\x00b", "\xff"} {
		if _, err := sasl.Anonymous(trace).Start(context.Background(), nil); !errors.Is(err, sasl.ErrInvalidCredentials) {
			t.Errorf("Anonymous(%q).Start = %v, want ErrInvalidCredentials", trace, err)
		}
	}
	if _, err := sasl.Anonymous(strings.Repeat("é", 255)).Start(context.Background(), nil); err != nil {
		t.Errorf("Anonymous(255 characters).Start = %v, want nil", err)
	}
	if _, err := sasl.External("a\x00b").Start(context.Background(), nil); !errors.Is(err, sasl.ErrInvalidCredentials) {
		t.Errorf("External(NUL).Start = %v, want ErrInvalidCredentials", err)
	}
}

func TestMechanismProperties(t *testing.T) {
	ts := sasl.StaticToken("t")
	tests := []struct {
		m        sasl.Mechanism
		name     string
		strength sasl.Strength
		exposes  bool
		binding  bool
	}{
		{sasl.Plain("", "u", "p"), "PLAIN", sasl.StrengthCleartext, true, false},
		{sasl.Login("u", "p"), "LOGIN", sasl.StrengthCleartext, true, false},
		{sasl.CRAMMD5("u", "p"), "CRAM-MD5", sasl.StrengthWeak, true, false},
		{sasl.XOAuth2("u", ts), "XOAUTH2", sasl.StrengthBearer, true, false},
		{sasl.OAuthBearer("u", ts), "OAUTHBEARER", sasl.StrengthBearer, true, false},
		{sasl.SCRAMSHA1("u", "p"), "SCRAM-SHA-1", sasl.StrengthSCRAMSHA1, false, false},
		{sasl.SCRAMSHA256("u", "p"), "SCRAM-SHA-256", sasl.StrengthSCRAMSHA256, false, false},
		{sasl.SCRAMSHA256Plus("u", "p"), "SCRAM-SHA-256-PLUS", sasl.StrengthChannelBound, false, true},
		{sasl.External(""), "EXTERNAL", sasl.StrengthExternal, false, false},
		{sasl.Anonymous(""), "ANONYMOUS", sasl.StrengthAnonymous, false, false},
	}
	for _, tt := range tests {
		if tt.m.Name() != tt.name || tt.m.Strength() != tt.strength || tt.m.ExposesSecret() != tt.exposes || tt.m.ChannelBinding() != tt.binding {
			t.Errorf("%s: got (%s, %v, exposes %v, binding %v), want (%s, %v, %v, %v)",
				tt.name, tt.m.Name(), tt.m.Strength(), tt.m.ExposesSecret(), tt.m.ChannelBinding(),
				tt.name, tt.strength, tt.exposes, tt.binding)
		}
		if err := sasl.ValidateName(tt.m.Name()); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func TestMechanismsDoNotPrintSecrets(t *testing.T) {
	const secret = "hunter2-secret"
	ms := append(sasl.Password("user", secret),
		sasl.XOAuth2("user", sasl.StaticToken(secret)), sasl.OAuthBearer("user", sasl.StaticToken(secret)))
	for _, m := range ms {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			if s := fmt.Sprintf(verb, m); strings.Contains(s, secret) {
				t.Errorf("fmt.Sprintf(%q, %s) = %q, shows the secret", verb, m.Name(), s)
			}
		}
	}
	for _, m := range ms {
		if m.ChannelBinding() {
			continue
		}
		conv, err := m.Start(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _, _ = conv.Start()
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			if s := fmt.Sprintf(verb, conv); strings.Contains(s, secret) || !strings.Contains(s, m.Name()) {
				t.Errorf("fmt.Sprintf(%q, conversation of %s) = %q, shows the secret or not the name", verb, m.Name(), s)
			}
		}
	}
	if s := fmt.Sprintf("%#v", sasl.StaticToken(secret)); strings.Contains(s, secret) {
		t.Errorf("StaticToken prints as %q", s)
	}
}

func TestStrengthString(t *testing.T) {
	for s, want := range map[sasl.Strength]string{
		sasl.StrengthUnknown: "unknown", sasl.StrengthCleartext: "cleartext",
		sasl.StrengthChannelBound: "channel-bound", sasl.Strength(200): "Strength(200)",
	} {
		if got := s.String(); got != want {
			t.Errorf("Strength(%d).String() = %q, want %q", uint8(s), got, want)
		}
	}
}
