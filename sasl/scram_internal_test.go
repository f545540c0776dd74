package sasl

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/xdg-go/scram"
)

// fixedNonceSCRAM returns a SCRAM mechanism whose client nonce is nonce.
func fixedNonceSCRAM(t testing.TB, name string, h scram.HashGeneratorFcn, user, pass, nonce string) Mechanism {
	creds := newSCRAMCredentials(h, user, pass)
	creds.once.Do(func() {
		creds.client, creds.err = h.NewClient(user, pass, "")
		if creds.err == nil {
			creds.client.WithMinIterations(minIterations).WithNonceGenerator(func() string { return nonce })
		}
	})
	if creds.err != nil {
		t.Fatal(creds.err)
	}
	return newSCRAM(name, StrengthSCRAMSHA256, false, creds)
}

// TestSCRAMKnownAnswers replays the examples of RFC 5802 section 5 and RFC
// 7677 section 3.
func TestSCRAMKnownAnswers(t *testing.T) {
	tests := []struct {
		name   string
		hash   scram.HashGeneratorFcn
		nonce  string
		wire   [4]string // client-first, server-first, client-final, server-final
		client string
	}{
		{"SCRAM-SHA-1", scram.SHA1, "fyko+d2lbbFgONRv9qkxdawL", [4]string{
			"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
			"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
			"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
			"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
		}, ""},
		{"SCRAM-SHA-256", scram.SHA256, "rOprNGfwEbeRWgbNEkqO", [4]string{
			"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
			"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
			"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
			"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		}, ""},
	}
	for _, tt := range tests {
		m := fixedNonceSCRAM(t, tt.name, tt.hash, "user", "pencil", tt.nonce)
		conv, err := m.Start(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, first, err := conv.Start()
		if err != nil || string(first) != tt.wire[0] {
			t.Fatalf("%s client-first = %q, %v; want %q", tt.name, first, err, tt.wire[0])
		}
		final, err := conv.Next([]byte(tt.wire[1]))
		if err != nil || string(final) != tt.wire[2] {
			t.Fatalf("%s client-final = %q, %v; want %q", tt.name, final, err, tt.wire[2])
		}
		if err := conv.Finish(true); !errors.Is(err, ErrIncomplete) {
			t.Errorf("%s Finish(true) before v= = %v, want ErrIncomplete", tt.name, err)
		}
		last, err := conv.Next([]byte(tt.wire[3]))
		if err != nil || last == nil || len(last) != 0 {
			t.Fatalf("%s answer to v= = %#v, %v; want a non-nil empty response", tt.name, last, err)
		}
		if err := conv.Finish(true); err != nil {
			t.Errorf("%s Finish(true) = %v", tt.name, err)
		}
	}
}

// FuzzSCRAMServerFirst checks that the client's own validation of the
// server-first message never panics and accepts nothing that xdg-go/scram
// then refuses.
func FuzzSCRAMServerFirst(f *testing.F) {
	const nonce = "rOprNGfwEbeRWgbNEkqO"
	f.Add("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
	f.Add("r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,x=ext")
	f.Add("m=x,r=rOprNGfwEbeRWgbNEkqOx,s=W22Z,i=4096")
	f.Add("r=rOprNGfwEbeRWgbNEkqOx,s=W22Z,i=99999999999999999999")
	f.Add("r=rOprNGfwEbeRWgbNEkqO,,,")
	f.Add("")
	m := fixedNonceSCRAM(f, "SCRAM-SHA-256", scram.SHA256, "user", "pencil", nonce)
	f.Fuzz(func(t *testing.T, msg string) {
		conv, err := m.Start(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := conv.Start(); err != nil {
			t.Fatal(err)
		}
		checkErr := checkServerFirst([]byte(msg), nonce)
		if checkErr == nil {
			// Keep PBKDF2 cheap while fuzzing.
			fields := strings.Split(msg, ",")
			if n, _ := strconv.Atoi(strings.TrimPrefix(fields[2], "i=")); n > 20000 {
				return
			}
		}
		resp, err := conv.Next([]byte(msg))
		if checkErr != nil {
			if !errors.Is(err, ErrMalformedChallenge) && !errors.Is(err, ErrIterationCount) {
				t.Fatalf("Next(%q) = %v, want a malformed or iteration-count error", msg, err)
			}
			return
		}
		if err != nil || !strings.HasPrefix(string(resp), "c=biws,r="+nonce) {
			t.Fatalf("Next(%q) = %q, %v, after checkServerFirst accepted it", msg, resp, err)
		}
		// Whatever the server-final message, no panic and a typed error.
		if _, err := conv.Next([]byte(msg)); err == nil {
			t.Fatalf("server-final %q accepted", msg)
		}
	})
}
