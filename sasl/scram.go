package sasl

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/xdg-go/scram"
)

// SCRAM PBKDF2 iteration count bounds: RFC 7677 section 4 asks for at
// least 4096; the ceiling keeps a hostile server from burning the client's
// CPU (Next cannot be interrupted).
const (
	minIterations = 4096
	maxIterations = 2_000_000
)

// tls-exporter channel binding parameters (RFC 9266 section 2).
const (
	exporterLabel  = "EXPORTER-Channel-Binding"
	exporterLength = 32
)

// SCRAMSHA1 returns the SCRAM-SHA-1 mechanism (RFC 5802). SCRAM proves
// knowledge of the password without sending it, and verifies that the
// server knows it too. Prefer [SCRAMSHA256].
//
// When the session could provide channel binding but the server did not
// offer a -PLUS variant, the conversation says so (GS2 flag "y"), so that a
// server which does support channel binding detects a downgrade.
//
// Start fails with [ErrInvalidCredentials] when SASLprep rejects username
// or password. Derived keys are cached in the mechanism, so reusing it
// (rather than building a new one per connection) saves the PBKDF2 work.
func SCRAMSHA1(username, password string) Mechanism {
	return newSCRAM("SCRAM-SHA-1", StrengthSCRAMSHA1, false, newSCRAMCredentials(scram.SHA1, username, password))
}

// SCRAMSHA256 returns the SCRAM-SHA-256 mechanism (RFC 7677). It behaves
// like [SCRAMSHA1] with SHA-256.
func SCRAMSHA256(username, password string) Mechanism {
	return newSCRAM("SCRAM-SHA-256", StrengthSCRAMSHA256, false, newSCRAMCredentials(scram.SHA256, username, password))
}

// SCRAMSHA256Plus returns the SCRAM-SHA-256-PLUS mechanism (RFC 7677, RFC
// 5802 section 6): SCRAM-SHA-256 with the tls-exporter channel binding of
// RFC 9266, which ties the authentication to the TLS connection so that a
// man in the middle cannot relay it. It needs [Session.TLS] with TLS 1.3,
// or TLS 1.2 with the extended master secret; otherwise Start fails with
// [ErrChannelBinding] and [Negotiate] skips it.
func SCRAMSHA256Plus(username, password string) Mechanism {
	return newSCRAM("SCRAM-SHA-256-PLUS", StrengthChannelBound, true, newSCRAMCredentials(scram.SHA256, username, password))
}

// scramCredentials holds a SCRAM client, built once, whose cache of derived
// keys is shared by every conversation (and by SCRAM-SHA-256 and its -PLUS
// variant in [Password]).
type scramCredentials struct {
	hash               scram.HashGeneratorFcn
	username, password string

	once   sync.Once
	client *scram.Client
	err    error
}

func newSCRAMCredentials(h scram.HashGeneratorFcn, username, password string) *scramCredentials {
	return &scramCredentials{hash: h, username: username, password: password}
}

func (c *scramCredentials) get() (*scram.Client, error) {
	c.once.Do(func() {
		c.client, c.err = c.hash.NewClient(c.username, c.password, "")
		if c.err == nil {
			c.client.WithMinIterations(minIterations)
		}
	})
	return c.client, c.err
}

func newSCRAM(name string, strength Strength, plus bool, creds *scramCredentials) Mechanism {
	return &mechanism{
		name:     name,
		strength: strength,
		binding:  plus,
		start: func(_ context.Context, s *Session) (Conversation, error) {
			client, err := creds.get()
			if err != nil {
				// xdg-go/scram's message never contains the password.
				return nil, &Error{Mechanism: name, Err: fmt.Errorf("%v: %w", err, ErrInvalidCredentials)}
			}
			var conv *scram.ClientConversation
			switch {
			case plus:
				if err := s.channelBinding(); err != nil {
					return nil, &Error{Mechanism: name, Err: err}
				}
				cb, err := scram.NewTLSExporterBinding(s.TLS)
				if err != nil {
					return nil, &Error{Mechanism: name, Err: fmt.Errorf("%v: %w", err, ErrChannelBinding)}
				}
				conv = client.NewConversationWithChannelBinding(cb)
			case s.channelBinding() == nil && plusNotOffered(s, name):
				conv = client.NewConversationAdvertisingChannelBinding()
			default:
				conv = client.NewConversation()
			}
			return &scramConv{convName: convName(name), conv: conv}, nil
		},
	}
}

// plusNotOffered reports whether the server's list is known and lacks the
// -PLUS variant of name.
func plusNotOffered(s *Session, name string) bool {
	offered, known := s.offers(name + "-PLUS")
	return known && !offered
}

type scramConv struct {
	convName
	conv   *scram.ClientConversation
	step   int
	nonce  string // the client nonce, from the client-first message
	failed bool
}

// fail marks the conversation failed and returns err as an [*Error].
func (c *scramConv) fail(err error) error {
	c.failed = true
	return c.convName.fail(err)
}

func (c *scramConv) Start() (string, []byte, error) {
	if c.step != 0 {
		return "", nil, c.fail(fmt.Errorf("conversation already started"))
	}
	first, err := c.conv.Step("")
	if err != nil {
		return "", nil, c.fail(err)
	}
	c.step = 1
	// client-first-message: gs2-header "n=" saslname ",r=" nonce; the
	// nonce is the last attribute and contains no ",".
	c.nonce = first[strings.LastIndex(first, ",r=")+3:]
	return string(c.convName), []byte(first), nil
}

func (c *scramConv) Next(challenge []byte) ([]byte, error) {
	if c.failed {
		return nil, c.fail(ErrUnexpectedChallenge)
	}
	switch c.step {
	case 1:
		if err := checkServerFirst(challenge, c.nonce); err != nil {
			return nil, c.fail(err)
		}
		resp, err := c.conv.Step(string(challenge))
		if err != nil {
			return nil, c.fail(fmt.Errorf("%v: %w", err, ErrMalformedChallenge))
		}
		c.step = 2
		return []byte(resp), nil
	case 2:
		if err := checkServerFinal(challenge); err != nil {
			return nil, c.fail(err)
		}
		if _, err := c.conv.Step(string(challenge)); err != nil || !c.conv.Valid() {
			return nil, c.fail(ErrServerSignature)
		}
		c.step = 3
		// RFC 4954 section 4: the server's additional data comes as a 334
		// challenge that the client answers with an empty line. Non-nil,
		// for go-sasl users such as net/smtp-style loops.
		return []byte{}, nil
	default:
		return nil, c.fail(ErrUnexpectedChallenge)
	}
}

func (c *scramConv) Finish(success bool) error {
	if success && c.step != 3 {
		return c.convName.fail(ErrIncomplete)
	}
	return nil
}

// checkServerFinal validates the form of a SCRAM server-final-message (RFC
// 5802 section 7): "e=" reports the server's failure, otherwise "v=" must
// carry a base64 server signature, which the caller then verifies.
func checkServerFinal(msg []byte) error {
	s := string(msg)
	if e, ok := strings.CutPrefix(s, "e="); ok {
		e, _, _ = strings.Cut(e, ",")
		return fmt.Errorf("server error %q: %w", e, ErrServerFailure)
	}
	v, ok := strings.CutPrefix(s, "v=")
	v, _, _ = strings.Cut(v, ",")
	if _, err := base64.StdEncoding.DecodeString(v); !ok || err != nil || v == "" {
		return fmt.Errorf("server-final-message without a base64 v= attribute: %w", ErrMalformedChallenge)
	}
	return nil
}

// checkServerFirst validates a SCRAM server-first-message (RFC 5802
// section 7): "r=" nonce extending the client's, "s=" base64 salt, "i="
// iteration count in range, no mandatory extension.
func checkServerFirst(msg []byte, clientNonce string) error {
	fields := strings.Split(string(msg), ",")
	if len(fields) < 3 {
		return fmt.Errorf("server-first-message has %d attributes, want r, s, i: %w", len(fields), ErrMalformedChallenge)
	}
	nonce, ok1 := strings.CutPrefix(fields[0], "r=")
	salt, ok2 := strings.CutPrefix(fields[1], "s=")
	iters, ok3 := strings.CutPrefix(fields[2], "i=")
	if !ok1 || !ok2 || !ok3 {
		return fmt.Errorf("server-first-message lacks r=, s=, i= in order: %w", ErrMalformedChallenge)
	}
	if !strings.HasPrefix(nonce, clientNonce) || len(nonce) == len(clientNonce) {
		return fmt.Errorf("server nonce does not extend the client nonce: %w", ErrMalformedChallenge)
	}
	for i := 0; i < len(nonce); i++ {
		if nonce[i] < 0x21 || nonce[i] > 0x7e {
			return fmt.Errorf("server nonce has a non-printable byte: %w", ErrMalformedChallenge)
		}
	}
	if _, err := base64.StdEncoding.DecodeString(salt); err != nil || salt == "" {
		return fmt.Errorf("salt is not base64: %w", ErrMalformedChallenge)
	}
	n, err := strconv.Atoi(iters)
	if err != nil || iters[0] == '+' || iters[0] == '-' {
		return fmt.Errorf("iteration count %q is not a number: %w", iters, ErrMalformedChallenge)
	}
	if n < minIterations || n > maxIterations {
		return fmt.Errorf("server asks for %d iterations, want %d to %d: %w", n, minIterations, maxIterations, ErrIterationCount)
	}
	return nil
}
