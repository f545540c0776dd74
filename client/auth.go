package client

import (
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"strings"

	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// defaultMaxAuthRounds is the default of Options.MaxAuthRounds.
const defaultMaxAuthRounds = 8

// maxCommandLine is the longest command line RFC 5321 section 4.5.3.1.4
// allows, CRLF included. An AUTH line with its initial response must fit
// (RFC 4954 section 4).
const maxCommandLine = 512

// Auth authenticates the session with the AUTH command (RFC 4954). It tries
// mechs, or Options.Auth when mechs is empty, as [sasl.Negotiate] orders
// them: the strongest mechanism that the server advertised in its last EHLO
// reply (the one after STARTTLS, never the list sent before TLS) and that is
// safe on this session; with Options.AuthFallback, the next one when the
// server refuses a mechanism as too weak (534) or unsupported (504).
// Options.AuthMechanism pins one mechanism.
//
// Before sending anything Auth refuses: without mechanisms (an
// [*InputError]); during a mail transaction (an [*InputError]); when the
// server did not advertise AUTH (an [*UnsupportedError]); when no
// mechanism is usable (a [*sasl.NegotiationError]); and when the usable
// mechanisms would expose a reusable secret (PLAIN, LOGIN, XOAUTH2,
// OAUTHBEARER, CRAM-MD5) on a session that is not TLS with a verified
// certificate: a [*TLSError] of reason [TLSReasonNotSecure], which matches
// [reply.ErrTLSRequired] and wraps the [*sasl.NegotiationError]. Only
// Options.AllowInsecureAuth lifts that refusal; there is no exception by
// host name.
//
// The whole exchange, every challenge included, is bounded by
// Timeouts.Command, and at most Options.MaxAuthRounds (default 8)
// challenges are answered. The client sends "*" only in answer to a 334, to
// cancel: after too many challenges or a malformed one (an [*AuthError]).
//
// On success Auth returns the server's 235 reply. The server's refusals are
// [*reply.Error] values (Command "AUTH") recognised by the reply
// predicates: 535 [reply.IsAuthFailed], 534 [reply.IsMechanismTooWeak],
// 538 [reply.IsTLSRequired], 454 [reply.IsAuthTemporary], 432
// [reply.IsPasswordTransition]. After any of them, and after a cancelled
// exchange, the session stays usable. When an XOAUTH2 or OAUTHBEARER token
// is refused (535), Auth asks the token source for a fresh one and tries
// once more. Other failures are those of a broken connection (see
// [Client]).
//
// Credentials never appear in the transcript (the AUTH argument and every
// line answering a 334 are logged as "<redacted>") nor in errors: should
// the server quote a response back, in base64 or decoded (pieces of at
// least 4 octets), that part of its reply is replaced by "<redacted>", in
// the transcript and in the returned reply and error.
func (c *Client) Auth(ctx context.Context, mechs ...sasl.Mechanism) (reply.Reply, error) {
	if c.err != nil || c.closed {
		_, err := c.enter(ctx)
		return reply.Reply{}, err
	}
	if len(mechs) == 0 {
		mechs = c.opts.Auth
	}
	if len(mechs) == 0 {
		return reply.Reply{}, &InputError{Field: "AUTH", Reason: "no mechanisms: pass some or set Options.Auth"}
	}
	if c.tx.active {
		return reply.Reply{}, &InputError{Field: "call", Value: "AUTH", Reason: "not permitted during a mail transaction"}
	}
	if !c.ext.Has("AUTH") {
		return reply.Reply{}, &UnsupportedError{Extension: "AUTH", Option: "authentication"}
	}
	sess := c.saslSession()
	list, err := sasl.Negotiate(sess, mechs, &sasl.Policy{
		Mechanism:     c.opts.AuthMechanism,
		AllowInsecure: c.opts.AllowInsecureAuth,
		AllowFallback: c.opts.AuthFallback,
	})
	if err != nil {
		if ne, ok := errors.AsType[*sasl.NegotiationError](err); ok && ne.Insecure() {
			return reply.Reply{}, &TLSError{Reason: TLSReasonNotSecure, Mode: c.mode, Err: err}
		}
		return reply.Reply{}, err
	}

	if d := c.opts.Timeouts.timeout(stageCommand); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	stop, err := c.enter(ctx)
	if err != nil {
		return reply.Reply{}, err
	}
	// A transaction the server may have kept open after refusing the end
	// of a message would make it refuse AUTH (RFC 4954: 503): end it.
	if err := c.resetFirst(ctx); err != nil {
		return reply.Reply{}, c.leave(ctx, stop, reply.CommandAuth, err)
	}
	r, err := c.authenticate(ctx, sess, list)
	err = c.leave(ctx, stop, reply.CommandAuth, err)
	c.authed = err == nil
	return r, err
}

// authFirst authenticates with Options.Auth before a transaction, in
// AuthEager mode, when the session is not authenticated yet. It returns
// the server's 235, or the zero Reply when it did nothing.
func (c *Client) authFirst(ctx context.Context) (reply.Reply, error) {
	if c.authed || len(c.opts.Auth) == 0 || c.opts.AuthMode == AuthOnDemand || c.err != nil || c.closed || c.tx.active {
		return reply.Reply{}, nil
	}
	if !c.ext.Has("AUTH") {
		detail := "credentials are configured (Options.Auth), so nothing was sent unauthenticated"
		switch {
		case c.authPreTLS:
			detail += "; the server offered AUTH before STARTTLS but not after it: check its TLS and AUTH settings"
		case c.tlsState == nil:
			detail += "; the session has no TLS, and many servers offer AUTH only after STARTTLS"
		default:
			detail += "; check the port (587 with STARTTLS, or 465) and the server's AUTH settings"
		}
		detail += " (Options.AuthMode AuthOnDemand sends without authenticating when the server does not ask)"
		return reply.Reply{}, &UnsupportedError{Extension: "AUTH", Option: "Options.Auth", Detail: detail}
	}
	return c.Auth(ctx)
}

// Authenticated reports whether the server accepted an AUTH exchange
// ([Client.Auth], or Send's own) since the last EHLO. STARTTLS resets it:
// the session after TLS starts unauthenticated.
func (c *Client) Authenticated() bool { return c.authed }

// saslSession describes the session to the mechanisms.
func (c *Client) saslSession() *sasl.Session {
	s := &sasl.Session{
		ServerName:  c.serverName,
		TLS:         c.tlsState,
		VerifiedTLS: c.Secure(),
		Offered:     c.ext.AuthMechanisms(),
	}
	if c.opts.TLSConfig != nil && c.opts.TLSConfig.ServerName != "" {
		s.ServerName = c.opts.TLSConfig.ServerName
	}
	if a, ok := c.raw.RemoteAddr().(*net.TCPAddr); ok {
		s.Port = a.Port
	}
	if s.Offered == nil {
		s.Offered = []string{}
	}
	return s
}

// authenticate tries the negotiated mechanisms in order. See Auth.
func (c *Client) authenticate(ctx context.Context, sess *sasl.Session, list []sasl.Mechanism) (reply.Reply, error) {
	defer func() { c.secrets = c.secrets[:0] }()
	var r reply.Reply
	var err error
	for _, m := range list {
		r, err = c.authWith(ctx, sess, m)
		if err == nil || c.err != nil {
			return r, err
		}
		if rm, ok := m.(sasl.Refresher); ok && reply.IsAuthFailed(err) {
			// A refused token may have expired: ask for a new one, once.
			// If that fails, report the server's refusal.
			r2, err2 := c.authWith(ctx, sess, rm.Refresh())
			if _, startFailed := errors.AsType[*startError](err2); !startFailed {
				r, err = r2, err2
			}
			break
		}
		re, ok := errors.AsType[*reply.Error](err)
		if !ok || !(reply.IsMechanismTooWeak(err) || re.Reply.Code == reply.CodeParamNotImplemented) {
			break
		}
	}
	if se, ok := errors.AsType[*startError](err); ok {
		err = se.err
	}
	return r, err
}

// startError marks a failure of the mechanism's Start: nothing was sent.
type startError struct{ err error }

func (e *startError) Error() string { return e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

// authWith runs one AUTH exchange with m.
func (c *Client) authWith(ctx context.Context, sess *sasl.Session, m sasl.Mechanism) (reply.Reply, error) {
	name := m.Name()
	conv, err := m.Start(ctx, sess)
	if err != nil {
		return reply.Reply{}, &startError{&AuthError{Mechanism: name, Err: err}}
	}
	_, ir, err := conv.Start()
	if err != nil {
		return reply.Reply{}, &startError{&AuthError{Mechanism: name, Err: err}}
	}

	c.line = append(c.line[:0], "AUTH "...)
	c.line = append(c.line, name...)
	var pending []byte // an initial response too long for the AUTH line
	if ir != nil {
		enc := sasl.EncodeInitialResponse(ir)
		c.addSecret(ir, enc)
		if len(c.line)+1+len(enc)+2 <= maxCommandLine {
			c.line = append(c.line, ' ')
			c.line = append(c.line, enc...)
		} else {
			pending = ir
		}
	}
	exp := expect{verb: reply.CommandAuth, stage: stageCommand, want: wantAuth}
	r, err := c.roundTrip(ctx, exp, c.line)

	maxRounds := c.opts.MaxAuthRounds
	if maxRounds <= 0 {
		maxRounds = defaultMaxAuthRounds
	}
	exp.sensitive = true
	for rounds := 1; err == nil && r.Code == reply.CodeAuthContinue; rounds++ {
		if rounds > maxRounds {
			return reply.Reply{}, c.cancelAuth(ctx, name, ErrTooManyChallenges)
		}
		var resp []byte
		if pending != nil {
			// RFC 4954 section 4: the initial response goes in answer to
			// the first (empty) challenge.
			resp, pending = pending, nil
		} else {
			ch, derr := sasl.DecodeChallenge(r.Text())
			if derr != nil {
				return reply.Reply{}, c.cancelAuth(ctx, name, derr)
			}
			var nerr error
			if resp, nerr = conv.Next(ch); nerr != nil {
				return reply.Reply{}, c.cancelAuth(ctx, name, nerr)
			}
		}
		enc := sasl.EncodeResponse(resp)
		c.addSecret(resp, enc)
		c.line = append(c.line[:0], enc...)
		r, err = c.roundTrip(ctx, exp, c.line)
	}
	if err != nil {
		if c.err != nil {
			return reply.Reply{}, err
		}
		if ferr := conv.Finish(false); ferr != nil {
			// The mechanism's account (an OAuth error challenge) next to
			// the server's refusal; both reachable with errors.Is/As.
			err = &authRefusal{reply: err, detail: ferr}
		}
		if r != nil {
			return r.Clone(), err
		}
		return reply.Reply{}, err
	}
	out := r.Clone()
	if ferr := conv.Finish(true); ferr != nil {
		// 235 from a server that did not prove it knows the password:
		// not the server the credentials belong to.
		return out, c.fail(&AuthError{Mechanism: name, Err: ferr})
	}
	return out, nil
}

// cancelAuth answers the pending 334 with "*" (RFC 4954 section 4), reads
// the server's reply and returns an *AuthError for cause. A reply other than
// a 4xx/5xx refusal means client and server no longer agree: the connection
// is closed.
func (c *Client) cancelAuth(ctx context.Context, mech string, cause error) error {
	aerr := &AuthError{Mechanism: mech, Err: cause}
	c.line = append(c.line[:0], '*')
	r, err := c.roundTrip(ctx, expect{verb: reply.CommandAuth, stage: stageCommand, want: wantAuth, sensitive: true}, c.line)
	switch {
	case c.err != nil:
		return err
	case err == nil:
		// 235 or 334 after "*": the server ignored the cancellation.
		return errors.Join(aerr, c.unexpected(expect{verb: reply.CommandAuth}, r))
	}
	return aerr
}

// authRefusal is the server's refusal of an AUTH exchange together with the
// mechanism's account of it.
type authRefusal struct {
	reply  error // the *reply.Error
	detail error // from Conversation.Finish
}

func (e *authRefusal) Error() string   { return e.reply.Error() + " (" + e.detail.Error() + ")" }
func (e *authRefusal) Unwrap() []error { return []error{e.reply, e.detail} }

// minEcho is the length under which a piece of an AUTH response is not
// looked for in the server's replies: shorter ones would redact ordinary
// words.
const minEcho = 4

// addSecret records a response sent in the current AUTH exchange, in its
// base64 form enc and decoded (whole and split at NUL, as PLAIN joins its
// fields), so that redactEcho can remove it from the server's replies.
func (c *Client) addSecret(resp []byte, enc string) {
	add := func(s string) {
		if len(s) >= minEcho && !slices.Contains(c.secrets, s) {
			c.secrets = append(c.secrets, s)
		}
	}
	add(enc)
	add(string(resp))
	for f := range bytes.SplitSeq(resp, []byte{0}) {
		add(string(f))
	}
	// Longest first: a decoded piece may be part of a longer secret.
	slices.SortFunc(c.secrets, func(a, b string) int { return len(b) - len(a) })
}

// redactEcho returns r with every secret of the current AUTH exchange
// replaced by "<redacted>", and whether there was any. A server that
// quotes the client's response back ("535 authentication failed:
// AHVzZXIAcGFzcw==") must not put the credentials into the transcript or
// into the *reply.Error the caller may log.
func (c *Client) redactEcho(r *reply.Reply) (reply.Reply, bool) {
	text := r.Text()
	if !slices.ContainsFunc(c.secrets, func(s string) bool { return strings.Contains(text, s) }) {
		return reply.Reply{}, false
	}
	lines := r.Lines()
	for i := range lines {
		for _, s := range c.secrets {
			lines[i] = strings.ReplaceAll(lines[i], s, redacted)
		}
	}
	return reply.New(r.Code, r.Enhanced, lines...), true
}
