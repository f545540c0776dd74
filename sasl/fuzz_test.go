package sasl_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/seed-e4e66a4f/smtp/sasl"
)

func FuzzDecodeChallenge(f *testing.F) {
	for _, s := range []string{"", "VXNlcm5hbWU6", "dGVzdA", "dGVzdA=", " AQ== ", "*", "=", "dGVzdB=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		b, err := sasl.DecodeChallenge(text)
		if err != nil {
			if !errors.Is(err, sasl.ErrMalformedChallenge) {
				t.Fatalf("DecodeChallenge(%q) = %v, want ErrMalformedChallenge", text, err)
			}
			return
		}
		again, err := sasl.DecodeChallenge(sasl.EncodeResponse(b))
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("DecodeChallenge(EncodeResponse(%q)) = %q, %v", b, again, err)
		}
	})
}

// FuzzConversation feeds arbitrary challenges to every mechanism: it must
// never panic, every error must be a *sasl.Error naming the mechanism, and
// no mechanism may answer more than a bounded number of challenges.
func FuzzConversation(f *testing.F) {
	f.Add(uint8(0), []byte("Username:"), []byte("Password:"), []byte("x"))
	f.Add(uint8(1), []byte("<1896.697170952@postoffice.reston.mci.net>"), []byte{}, []byte{})
	f.Add(uint8(2), []byte(`{"status":"invalid_token"}`), []byte{1}, []byte{})
	f.Add(uint8(3), []byte(`{"status":"400","schemes":"Bearer"}`), []byte{}, []byte{})
	f.Add(uint8(4), []byte("r=abc,s=c2FsdA==,i=4096"), []byte("v=AAAA"), []byte{})
	f.Add(uint8(5), []byte{}, []byte{}, []byte{})
	f.Add(uint8(8), []byte("e=other-error"), []byte{}, []byte{})
	mechs := []sasl.Mechanism{
		sasl.Login("u", "p"),
		sasl.CRAMMD5("u", "p"),
		sasl.OAuthBearer("u", sasl.StaticToken("t")),
		sasl.XOAuth2("u", sasl.StaticToken("t")),
		sasl.SCRAMSHA256("u", "p"),
		sasl.Plain("", "u", "p"),
		sasl.External(""),
		sasl.Anonymous(""),
		sasl.SCRAMSHA1("u", "p"),
	}
	f.Fuzz(func(t *testing.T, which uint8, c1, c2, c3 []byte) {
		m := mechs[int(which)%len(mechs)]
		conv, err := m.Start(context.Background(), &sasl.Session{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := conv.Start(); err != nil {
			t.Fatal(err)
		}
		answered := 0
		for _, ch := range [][]byte{c1, c2, c3} {
			_, err := conv.Next(ch)
			if err != nil {
				if e, ok := errors.AsType[*sasl.Error](err); !ok || e.Mechanism != m.Name() {
					t.Fatalf("%s: Next(%q) error %#v, want *sasl.Error for the mechanism", m.Name(), ch, err)
				}
				break
			}
			answered++
		}
		if answered > 2 {
			t.Fatalf("%s answered %d challenges %q %q %q", m.Name(), answered, c1, c2, c3)
		}
		_ = conv.Finish(true)
		_ = conv.Finish(false)
	})
}
