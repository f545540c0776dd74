package sasl

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"
	"strings"

	gosasl "github.com/emersion/go-sasl"
)

// Mechanism is a SASL mechanism the client can authenticate with. The
// mechanisms of this package are safe for concurrent use, and each call to
// Start begins an independent attempt.
type Mechanism interface {
	// Name returns the mechanism's name as sent in the AUTH command,
	// such as "SCRAM-SHA-256". It is constant and valid per [ValidateName].
	Name() string
	// Strength ranks the mechanism for [Negotiate].
	Strength() Strength
	// ExposesSecret reports whether the exchange reveals a reusable secret
	// to anyone who can read the connection: true for PLAIN, LOGIN,
	// XOAUTH2, OAUTHBEARER and CRAM-MD5.
	ExposesSecret() bool
	// ChannelBinding reports whether the mechanism needs TLS channel
	// binding (SCRAM-SHA-256-PLUS).
	ChannelBinding() bool
	// Start begins one authentication attempt in session s (nil means a
	// zero Session). It may block, for example to fetch an OAuth token,
	// and honours ctx while doing so. Nothing has been sent when it fails.
	Start(ctx context.Context, s *Session) (Conversation, error)
}

// Conversation is the client's side of one authentication attempt. It is a
// [github.com/emersion/go-sasl.Client], so it also works with libraries that
// take one. A Conversation is used by one goroutine and is not reusable. The
// conversations of this package print as their mechanism's name only.
//
// Start returns the mechanism's name and its initial response: nil when the
// mechanism has none (the client waits for a first challenge), non-nil and
// possibly empty otherwise. Next returns the response to one decoded
// challenge; an empty response, nil or not, is sent as an empty line. Errors
// from Start and Next are [*Error] values; the client cancels with "*".
type Conversation interface {
	gosasl.Client
	// Finish ends the conversation once the server's final reply arrived;
	// success reports whether it was 235. After success, a non-nil error
	// (wrapping [ErrIncomplete]) means the server did not prove its
	// identity although the mechanism requires it: the authentication
	// must be treated as failed. After a failure, Finish returns the
	// mechanism's own account of it, if any (such as an [*OAuthError] from
	// the server's error challenge), or nil.
	Finish(success bool) error
}

// Refresher is implemented by mechanisms whose credential expires and can
// be renewed: [XOAuth2] and [OAuthBearer]. After the server rejected the
// credential (535), the client starts the mechanism returned by Refresh,
// once; its Start asks the [TokenSource] for a new token. If that Start
// fails (for instance with [ErrCannotRefresh]), the client reports the
// original rejection.
type Refresher interface {
	Mechanism
	// Refresh returns a mechanism like the receiver whose Start asks for a
	// fresh credential instead of a cached one.
	Refresh() Mechanism
}

// Session is what a mechanism may know about the connection it runs on.
// The zero value is a connection without TLS whose offered mechanisms are
// unknown.
type Session struct {
	// ServerName is the host name the client connected to. OAUTHBEARER
	// sends it as "host"; empty omits it.
	ServerName string
	// Port is the server's TCP port. OAUTHBEARER sends it as "port"; zero
	// omits it.
	Port int
	// TLS is the connection's TLS state, or nil without TLS. Channel
	// binding (SCRAM-SHA-256-PLUS) is computed from it.
	TLS *tls.ConnectionState
	// VerifiedTLS reports that TLS is active and the server's certificate
	// was verified, by crypto/tls or by the caller's own check (for
	// instance DANE). It is ignored when TLS is nil. Mechanisms that expose
	// a secret are negotiated only when it is true, unless
	// [Policy.AllowInsecure] is set.
	VerifiedTLS bool
	// Offered holds the mechanisms the server advertised in its EHLO AUTH
	// keyword after TLS (never the pre-TLS list, which an attacker can
	// forge). Matching is case-insensitive. [Negotiate] treats nil as
	// empty; for SCRAM, nil means unknown, and the conversation then does
	// not announce channel binding support ("y" flag).
	Offered []string
}

// verifiedTLS reports whether s has TLS with a verified certificate.
func (s *Session) verifiedTLS() bool {
	return s != nil && s.TLS != nil && s.VerifiedTLS
}

// channelBinding reports whether s can provide tls-exporter channel
// binding, and why not as an error wrapping [ErrChannelBinding].
func (s *Session) channelBinding() error {
	switch {
	case s == nil || s.TLS == nil:
		return fmt.Errorf("no TLS: %w", ErrChannelBinding)
	case !s.TLS.HandshakeComplete:
		return fmt.Errorf("TLS handshake not complete: %w", ErrChannelBinding)
	}
	// crypto/tls refuses exporters for TLS 1.2 and earlier without the
	// extended master secret (RFC 9266 section 4.2).
	if _, err := exportKeyingMaterial(s.TLS); err != nil {
		return fmt.Errorf("%v: %w", err, ErrChannelBinding)
	}
	return nil
}

// exportKeyingMaterial returns the tls-exporter channel binding of cs. A
// ConnectionState built by hand rather than by crypto/tls has no exporter
// and makes ExportKeyingMaterial panic; that is reported as an error.
func exportKeyingMaterial(cs *tls.ConnectionState) (b []byte, err error) {
	defer func() {
		if recover() != nil {
			b, err = nil, errors.New("connection state has no keying material exporter")
		}
	}()
	return cs.ExportKeyingMaterial(exporterLabel, nil, exporterLength)
}

// offers reports whether the session's server advertised name. The result
// is unknown (false, false) when Offered is nil.
func (s *Session) offers(name string) (offered, known bool) {
	if s == nil || s.Offered == nil {
		return false, false
	}
	for _, o := range s.Offered {
		if strings.EqualFold(strings.TrimSpace(o), name) {
			return true, true
		}
	}
	return false, true
}

// Strength ranks mechanisms for [Negotiate]; greater is stronger. The zero
// value, StrengthUnknown, ranks below every rated mechanism.
type Strength uint8

// Strengths, weakest first.
const (
	// StrengthUnknown: not rated, such as a non-secret custom mechanism
	// made with [From].
	StrengthUnknown Strength = iota
	// StrengthAnonymous: ANONYMOUS, no authentication at all.
	StrengthAnonymous
	// StrengthWeak: CRAM-MD5; a reader of the exchange can test passwords
	// offline, and the server must keep the password in the clear.
	StrengthWeak
	// StrengthCleartext: PLAIN and LOGIN, the password itself is sent.
	StrengthCleartext
	// StrengthBearer: OAUTHBEARER and XOAUTH2, a bearer token is sent; it
	// expires and has a limited scope, unlike a password.
	StrengthBearer
	// StrengthSCRAMSHA1: SCRAM-SHA-1, mutual authentication without
	// sending the password.
	StrengthSCRAMSHA1
	// StrengthSCRAMSHA256: SCRAM-SHA-256.
	StrengthSCRAMSHA256
	// StrengthChannelBound: SCRAM-SHA-256-PLUS, SCRAM bound to the TLS
	// connection.
	StrengthChannelBound
	// StrengthExternal: EXTERNAL, authentication by the TLS client
	// certificate; chosen first because a caller who configures it means
	// it.
	StrengthExternal
)

// String returns the strength's name.
func (s Strength) String() string {
	switch s {
	case StrengthUnknown:
		return "unknown"
	case StrengthAnonymous:
		return "anonymous"
	case StrengthWeak:
		return "weak"
	case StrengthCleartext:
		return "cleartext"
	case StrengthBearer:
		return "bearer token"
	case StrengthSCRAMSHA1:
		return "SCRAM-SHA-1"
	case StrengthSCRAMSHA256:
		return "SCRAM-SHA-256"
	case StrengthChannelBound:
		return "channel-bound"
	case StrengthExternal:
		return "external"
	}
	return "Strength(" + strconv.Itoa(int(s)) + ")"
}

// maxNameLen is the longest mechanism name RFC 4422 section 3.1 allows.
const maxNameLen = 20

// ValidateName returns a [*NameError] unless name is a valid SASL mechanism
// name (RFC 4422 section 3.1): 1 to 20 characters of upper-case A-Z, digits,
// "-" and "_". Lower-case letters are rejected: names are sent as given.
func ValidateName(name string) error {
	if !validName(name) {
		return &NameError{Name: name}
	}
	return nil
}

func validName(name string) bool {
	if len(name) == 0 || len(name) > maxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// mechanism is the common implementation of Mechanism. Credentials live in
// the start closure, so that printing a mechanism never shows them.
type mechanism struct {
	name     string
	strength Strength
	exposes  bool
	binding  bool
	start    func(ctx context.Context, s *Session) (Conversation, error)
}

func (m *mechanism) Name() string         { return m.name }
func (m *mechanism) Strength() Strength   { return m.strength }
func (m *mechanism) ExposesSecret() bool  { return m.exposes }
func (m *mechanism) ChannelBinding() bool { return m.binding }

func (m *mechanism) Start(ctx context.Context, s *Session) (Conversation, error) {
	if s == nil {
		s = &Session{}
	}
	return m.start(ctx, s)
}

// String returns the mechanism's name, and never its credentials.
func (m *mechanism) String() string { return m.name }

// GoString is like String, for the %#v verb.
func (m *mechanism) GoString() string { return "sasl.Mechanism(" + m.name + ")" }

// From adapts a go-sasl client into a Mechanism named name, for mechanisms
// this package lacks. exposesSecret says whether the exchange reveals a
// reusable secret on a cleartext channel (see [Mechanism.ExposesSecret]);
// such a mechanism ranks as [StrengthCleartext], any other as
// [StrengthUnknown], so it is chosen automatically only when nothing rated
// is offered: pin it with [Policy.Mechanism].
//
// The client is reused by every attempt, so its Start must begin afresh
// each time, as go-sasl's own clients do. If its Start reports a mechanism
// name other than name, the attempt fails. The returned Mechanism's
// Finish always returns nil: the adapter cannot tell whether the exchange
// completed.
//
// From returns a [*NameError] when name is not a valid mechanism name.
func From(name string, c gosasl.Client, exposesSecret bool) (Mechanism, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	if c == nil {
		return nil, &Error{Mechanism: name, Err: errors.New("nil go-sasl client")}
	}
	strength := StrengthUnknown
	if exposesSecret {
		strength = StrengthCleartext
	}
	return &mechanism{
		name:     name,
		strength: strength,
		exposes:  exposesSecret,
		start: func(context.Context, *Session) (Conversation, error) {
			return &adapter{convName: convName(name), c: c}, nil
		},
	}, nil
}

// adapter turns a go-sasl client into a Conversation.
type adapter struct {
	convName
	c gosasl.Client
}

func (a *adapter) Start() (string, []byte, error) {
	mech, ir, err := a.c.Start()
	if err != nil {
		return "", nil, a.fail(err)
	}
	if mech != "" && !strings.EqualFold(mech, string(a.convName)) {
		return "", nil, a.fail(fmt.Errorf("go-sasl client started mechanism %q", mech))
	}
	return string(a.convName), ir, nil
}

func (a *adapter) Next(challenge []byte) ([]byte, error) {
	resp, err := a.c.Next(challenge)
	if errors.Is(err, gosasl.ErrUnexpectedServerChallenge) {
		return nil, a.fail(ErrUnexpectedChallenge)
	}
	if err != nil {
		return nil, a.fail(err)
	}
	return resp, nil
}

func (a *adapter) Finish(bool) error { return nil }

// convName is embedded in conversations so that printing one shows only
// its mechanism's name, never the credentials it holds. It is also the
// name their Start returns and their errors carry.
type convName string

func (n convName) String() string   { return "sasl.Conversation(" + string(n) + ")" }
func (n convName) GoString() string { return n.String() }

// fail returns err as an [*Error] of the conversation's mechanism.
func (n convName) fail(err error) error { return &Error{Mechanism: string(n), Err: err} }
