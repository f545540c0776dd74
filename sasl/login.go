package sasl

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"fmt"
)

// Login returns the LOGIN mechanism (draft-murchison-sasl-login), which
// answers the server's prompts with username and then password. It sends no
// initial response. A prompt that names the user ("Username:", "User
// Name\x00") gets the username, one that names the password gets the
// password, and other prompts get them in that order; a third prompt is
// [ErrUnexpectedChallenge]. LOGIN exposes the password: prefer PLAIN, and
// use either only over verified TLS.
func Login(username, password string) Mechanism {
	return &mechanism{
		name:     "LOGIN",
		strength: StrengthCleartext,
		exposes:  true,
		start: func(context.Context, *Session) (Conversation, error) {
			return &loginConv{convName: "LOGIN", username: username, password: password}, nil
		},
	}
}

type loginConv struct {
	convName
	username, password string
	rounds             int
	sentUser           bool
}

func (c *loginConv) Start() (string, []byte, error) { return string(c.convName), nil, nil }

func (c *loginConv) Next(challenge []byte) ([]byte, error) {
	if c.rounds == 2 {
		return nil, c.fail(ErrUnexpectedChallenge)
	}
	c.rounds++
	prompt := bytes.ToLower(challenge)
	switch {
	case bytes.Contains(prompt, []byte("pass")):
		return []byte(c.password), nil
	case bytes.Contains(prompt, []byte("user")), !c.sentUser:
		c.sentUser = true
		return []byte(c.username), nil
	default:
		return []byte(c.password), nil
	}
}

func (c *loginConv) Finish(bool) error { return nil }

// CRAMMD5 returns the CRAM-MD5 mechanism (RFC 2195), which answers the
// server's challenge with username and the HMAC-MD5 of the challenge keyed
// by secret. It does not send the secret, but a reader of the exchange can
// test passwords offline and the server must store the secret in a
// reversible form, so it counts as exposing the secret and ranks below
// PLAIN.
func CRAMMD5(username, secret string) Mechanism {
	return &mechanism{
		name:     "CRAM-MD5",
		strength: StrengthWeak,
		exposes:  true,
		start: func(context.Context, *Session) (Conversation, error) {
			return &cramConv{convName: "CRAM-MD5", username: username, secret: secret}, nil
		},
	}
}

type cramConv struct {
	convName
	username, secret string
	done             bool
}

func (c *cramConv) Start() (string, []byte, error) { return string(c.convName), nil, nil }

func (c *cramConv) Next(challenge []byte) ([]byte, error) {
	if c.done {
		return nil, c.fail(ErrUnexpectedChallenge)
	}
	if len(challenge) == 0 {
		return nil, c.fail(fmt.Errorf("empty challenge: %w", ErrMalformedChallenge))
	}
	c.done = true
	mac := hmac.New(md5.New, []byte(c.secret))
	mac.Write(challenge)
	resp := make([]byte, 0, len(c.username)+1+2*md5.Size)
	resp = append(resp, c.username...)
	resp = append(resp, ' ')
	return hex.AppendEncode(resp, mac.Sum(nil)), nil
}

func (c *cramConv) Finish(bool) error { return nil }
