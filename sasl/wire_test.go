package sasl_test

import (
	"errors"
	"testing"

	"github.com/seed-e4e66a4f/smtp/sasl"
)

func TestDecodeChallenge(t *testing.T) {
	tests := []struct {
		text string
		want string
		ok   bool
	}{
		{"", "", true},
		{"VXNlcm5hbWU6", "Username:", true},
		{"UGFzc3dvcmQ6", "Password:", true},
		{"dGVzdA==", "test", true},
		{"dGVzdA", "test", true}, // missing padding tolerated
		{" dGVzdA== ", "test", true},
		{"dGVzdA=", "", false},
		{"dGVzdA===", "", false},
		{"dGVz dA==", "", false},
		{"*", "", false},
		{"dGVzdA==\r\n", "", false},
		{"dGVzdB==", "", false}, // non-zero padding bits
		{"not base64!", "", false},
	}
	for _, tt := range tests {
		got, err := sasl.DecodeChallenge(tt.text)
		if tt.ok {
			if err != nil || string(got) != tt.want {
				t.Errorf("DecodeChallenge(%q) = %q, %v; want %q", tt.text, got, err, tt.want)
			}
			continue
		}
		if !errors.Is(err, sasl.ErrMalformedChallenge) {
			t.Errorf("DecodeChallenge(%q) = %q, %v; want ErrMalformedChallenge", tt.text, got, err)
		}
		if _, ok := errors.AsType[*sasl.Error](err); !ok {
			t.Errorf("DecodeChallenge(%q) error %T, want *sasl.Error", tt.text, err)
		}
	}
}

func TestEncode(t *testing.T) {
	tests := []struct {
		in          []byte
		resp, initr string
	}{
		{nil, "", "="},
		{[]byte{}, "", "="},
		{[]byte{1}, "AQ==", "AQ=="},
		{[]byte("\x00tim\x00tanstaaftanstaaf"), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"},
	}
	for _, tt := range tests {
		if got := sasl.EncodeResponse(tt.in); got != tt.resp {
			t.Errorf("EncodeResponse(%q) = %q, want %q", tt.in, got, tt.resp)
		}
		if got := sasl.EncodeInitialResponse(tt.in); got != tt.initr {
			t.Errorf("EncodeInitialResponse(%q) = %q, want %q", tt.in, got, tt.initr)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&sasl.Error{Mechanism: "PLAIN", Err: sasl.ErrUnexpectedChallenge}, "smtp: sasl: PLAIN: unexpected challenge"},
		{&sasl.Error{Err: sasl.ErrMalformedChallenge}, "smtp: sasl: malformed challenge"},
		{&sasl.Error{Mechanism: "X"}, "smtp: sasl: X: unknown error"},
		{&sasl.NameError{Name: "A\r\nB"}, `smtp: sasl: invalid mechanism name "A\r\nB": want 1 to 20 characters of A-Z, 0-9, - and _`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
