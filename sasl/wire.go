package sasl

import (
	"encoding/base64"
	"fmt"
)

// DecodeChallenge decodes the text of a 334 reply into a challenge for
// the Conversation's Next method (RFC 4954 section 4). An empty text is an empty
// challenge. Surrounding spaces are ignored and missing "=" padding is
// tolerated; anything else that is not base64 is an [*Error] wrapping
// [ErrMalformedChallenge], upon which the client cancels the exchange.
func DecodeChallenge(text string) ([]byte, error) {
	for len(text) > 0 && text[0] == ' ' {
		text = text[1:]
	}
	for len(text) > 0 && text[len(text)-1] == ' ' {
		text = text[:len(text)-1]
	}
	enc := base64.StdEncoding
	if len(text)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	b, err := enc.Strict().DecodeString(text)
	if err != nil {
		return nil, &Error{Err: fmt.Errorf("%v: %w", err, ErrMalformedChallenge)}
	}
	return b, nil
}

// EncodeResponse returns the line that answers a challenge with resp: its
// base64 encoding, empty for an empty (or nil) response.
func EncodeResponse(resp []byte) string {
	return base64.StdEncoding.EncodeToString(resp)
}

// EncodeInitialResponse returns the AUTH command's argument for the initial
// response ir, which must not be nil: its base64 encoding, or "=" when ir is
// empty (RFC 4954 section 4).
func EncodeInitialResponse(ir []byte) string {
	if len(ir) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(ir)
}
