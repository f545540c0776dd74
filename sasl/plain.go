package sasl

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	gosasl "github.com/emersion/go-sasl"
)

// Plain returns the PLAIN mechanism (RFC 4616), which sends identity,
// username and password in its initial response. identity is the
// authorization identity; leave it empty to act as username. PLAIN exposes
// the password: use it only over verified TLS.
//
// Start fails with [ErrInvalidCredentials] when a field contains a NUL byte
// or username or password is empty.
func Plain(identity, username, password string) Mechanism {
	return &mechanism{
		name:     "PLAIN",
		strength: StrengthCleartext,
		exposes:  true,
		start: func(context.Context, *Session) (Conversation, error) {
			switch {
			case username == "" || password == "":
				return nil, &Error{Mechanism: "PLAIN", Err: fmt.Errorf("empty username or password: %w", ErrInvalidCredentials)}
			case strings.ContainsRune(identity+username+password, 0):
				return nil, &Error{Mechanism: "PLAIN", Err: fmt.Errorf("NUL byte in a field: %w", ErrInvalidCredentials)}
			}
			return &adapter{convName: "PLAIN", c: gosasl.NewPlainClient(identity, username, password)}, nil
		},
	}
}

// External returns the EXTERNAL mechanism (RFC 4422 appendix A), which
// relies on credentials outside SASL, in SMTP a TLS client certificate.
// identity is the authorization identity; leave it empty to act as the
// certificate's identity.
//
// Start fails with [ErrInvalidCredentials] when identity is not valid UTF-8
// or contains a NUL byte.
func External(identity string) Mechanism {
	return &mechanism{
		name:     "EXTERNAL",
		strength: StrengthExternal,
		start: func(context.Context, *Session) (Conversation, error) {
			if !utf8.ValidString(identity) || strings.ContainsRune(identity, 0) {
				return nil, &Error{Mechanism: "EXTERNAL", Err: fmt.Errorf("identity is not valid UTF-8 without NUL: %w", ErrInvalidCredentials)}
			}
			return &adapter{convName: "EXTERNAL", c: gosasl.NewExternalClient(identity)}, nil
		},
	}
}

// maxTrace is the longest ANONYMOUS trace, in characters (RFC 4505 section 2).
const maxTrace = 255

// Anonymous returns the ANONYMOUS mechanism (RFC 4505). trace is optional
// information for the server's logs, such as an email address.
//
// Start fails with [ErrInvalidCredentials] when trace is longer than 255
// characters, not valid UTF-8 or contains a NUL byte.
func Anonymous(trace string) Mechanism {
	return &mechanism{
		name:     "ANONYMOUS",
		strength: StrengthAnonymous,
		start: func(context.Context, *Session) (Conversation, error) {
			if !utf8.ValidString(trace) || strings.ContainsRune(trace, 0) || utf8.RuneCountInString(trace) > maxTrace {
				return nil, &Error{Mechanism: "ANONYMOUS", Err: fmt.Errorf("trace is not 0 to 255 UTF-8 characters without NUL: %w", ErrInvalidCredentials)}
			}
			return &adapter{convName: "ANONYMOUS", c: gosasl.NewAnonymousClient(trace)}, nil
		},
	}
}
