package client

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// ContextDialer opens network connections. *net.Dialer, *tls.Dialer and the
// SOCKS5 dialer of golang.org/x/net/proxy (which implements
// proxy.ContextDialer) all satisfy it.
type ContextDialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Options configures a [Client]. A nil *Options is equivalent to a zero
// Options, and the zero value of every field selects its documented default.
// Dial and New copy the Options: changing them afterwards has no effect on
// the Client.
type Options struct {
	// Dialer opens the TCP connection in [Dial]. Nil means a *net.Dialer.
	// Timeouts.Dial bounds the dial in both cases.
	//
	// To connect through a SOCKS5 proxy, use golang.org/x/net/proxy:
	//
	//	d, err := proxy.SOCKS5("tcp", "127.0.0.1:1080", nil, proxy.Direct)
	//	// handle err; d implements proxy.ContextDialer
	//	c, err := client.Dial(ctx, "mail.example.com:587", &client.Options{
	//		Dialer: d.(proxy.ContextDialer),
	//	})
	//
	// The proxy resolves the server name; the TLS certificate is still
	// verified against the host of the address given to Dial.
	Dialer ContextDialer

	// LocalName is the domain name (or address literal such as
	// "[192.0.2.1]") the client sends in EHLO and HELO. A non-ASCII name is
	// converted to its IDNA A-label form. An invalid name makes Dial and New
	// fail with an [*InputError] before anything is sent.
	//
	// Empty means the host name of this machine (os.Hostname) when it is a
	// fully qualified domain name, and otherwise the address literal of the
	// local end of the connection, as RFC 5321 section 4.1.4 asks; never
	// "localhost".
	LocalName string

	// TLS selects the TLS policy. The zero value, [TLSDefault], means
	// [TLSImplicit] when the port is 465 and [TLSStartTLS] (required)
	// otherwise.
	TLS TLSMode

	// TLSConfig configures TLS. Nil means a zero tls.Config. The Client uses
	// a clone: ServerName defaults to the host given to Dial (for New, the
	// IP address of the remote end), and MinVersion is raised to TLS 1.2
	// when it is lower. Certificates are verified unless the caller's config
	// says otherwise.
	TLSConfig *tls.Config

	// Timeouts bounds each stage of the session. Zero fields take the
	// defaults of RFC 5321 section 4.5.3.2; see [Timeouts].
	Timeouts Timeouts

	// ReplyLimits bounds the size of each reply read from the server. Nil
	// means the defaults of [reply.Limits].
	ReplyLimits *reply.Limits

	// Logger, when not nil, receives a transcript of the session at
	// slog.LevelDebug: one record "smtp send" (attribute "line") per
	// command sent and one "smtp recv" (attribute "reply", escaped as by
	// [reply.Reply.String]) per reply received. AUTH arguments and every
	// line sent while a 334 challenge is pending are replaced by
	// "<redacted>"; message bodies are not logged, only their size
	// (attribute "octets"). Nil means no transcript.
	Logger *slog.Logger

	// MaskAddresses, when true, replaces the local part of every mail
	// address in the transcript (commands and replies) with "***".
	MaskAddresses bool

	// Auth holds the credentials, as SASL mechanisms, that [Client.Auth]
	// uses when called without mechanisms, and that [Client.Send],
	// [Client.Mail] and [SendMail] authenticate with before the first
	// MAIL FROM of the session (or, with [AuthOnDemand], when the server
	// answers 530 "authentication required"; see AuthMode).
	// For a password, sasl.Password(user, password) offers every password
	// mechanism and the strongest one the server advertises (after TLS)
	// is chosen. Nil means no credentials: Send returns the 530 error.
	Auth []sasl.Mechanism

	// AuthMode says when a Client with credentials authenticates. The zero
	// value, [AuthEager], authenticates before the first transaction and
	// refuses to send unauthenticated; [AuthOnDemand] waits for the server
	// to ask.
	AuthMode AuthMode

	// DisableChunking makes Send and SendAll send every message after
	// DATA, even when the server advertises CHUNKING (see
	// Envelope.UseDATA); a BODY=BINARYMIME message still goes with BDAT.
	DisableChunking bool

	// AuthMechanism, when not empty, pins the mechanism (such as "PLAIN")
	// that authentication must use; empty means the strongest usable one.
	AuthMechanism string

	// AuthFallback lets authentication try the next weaker usable
	// mechanism when the server refuses one as too weak (534) or
	// unsupported (504). False (the default) never falls back.
	AuthFallback bool

	// AllowInsecureAuth permits mechanisms that expose a reusable secret
	// (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, CRAM-MD5) on a session that is
	// not TLS with a verified certificate. Anyone who can read the
	// connection then learns the password or token. False (the default)
	// refuses them, whatever the host name.
	AllowInsecureAuth bool

	// MaxAuthRounds caps the 334 challenges one AUTH exchange may take
	// before the client cancels it. Zero means 8.
	MaxAuthRounds int

	// Retry is the retry policy of [SendMail]; its zero value selects the
	// defaults documented on [RetryPolicy]. Client methods ignore it.
	Retry RetryPolicy
}

// TLSMode is the TLS policy of a session.
type TLSMode uint8

// The TLS policies.
const (
	// TLSDefault is TLSImplicit for port 465 and TLSStartTLS otherwise.
	TLSDefault TLSMode = iota
	// TLSImplicit starts TLS as soon as the connection is open, before the
	// greeting (RFC 8314 section 3.3, "submissions" on port 465).
	TLSImplicit
	// TLSStartTLS requires STARTTLS (RFC 3207): when the server does not
	// offer it, refuses it or the handshake fails, Dial fails with a
	// [*TLSError] and nothing more is sent.
	TLSStartTLS
	// TLSOpportunistic uses STARTTLS when the server offers it and goes on
	// in plain text when it is not offered or is refused with a 4xx/5xx
	// reply (other than 421). It is open to downgrade by an active
	// attacker, so such a session is insecure ([Client.Secure] reports
	// false) unless TLS was actually established with a verified
	// certificate. A failed handshake still fails Dial with a [*TLSError]:
	// the connection cannot go back to plain text. For relaying to servers
	// with self-signed certificates, set TLSConfig.InsecureSkipVerify; the
	// session then counts as not secure.
	TLSOpportunistic
	// TLSNone never uses TLS: the whole session, including any credentials,
	// travels in plain text. Use it only for a trusted local relay.
	TLSNone
)

// String returns the name of the mode, such as "STARTTLS".
func (m TLSMode) String() string {
	switch m {
	case TLSDefault:
		return "default"
	case TLSImplicit:
		return "implicit"
	case TLSStartTLS:
		return "STARTTLS"
	case TLSOpportunistic:
		return "opportunistic"
	case TLSNone:
		return "none"
	}
	return "TLSMode(" + strconv.Itoa(int(m)) + ")"
}

// Timeouts bounds how long each stage of a session may take. A zero field
// means its default; a negative field means no limit for that stage (the
// context still applies).
type Timeouts struct {
	// Dial bounds connecting, including a proxy handshake. Default 1 minute.
	Dial time.Duration
	// Greeting bounds waiting for the server's greeting, including the TLS
	// handshake of implicit TLS. Default 5 minutes (RFC 5321 "Initial
	// 220 Message").
	Greeting time.Duration
	// Command bounds each command without a stage of its own (EHLO, HELO,
	// STARTTLS and its handshake, AUTH, RSET, NOOP, VRFY, QUIT): writing it
	// and waiting for its reply. Default 5 minutes.
	Command time.Duration
	// Mail bounds MAIL FROM. Default 5 minutes.
	Mail time.Duration
	// Rcpt bounds each RCPT TO. Default 5 minutes.
	Rcpt time.Duration
	// DataInit bounds DATA and its 354 reply. Default 2 minutes.
	DataInit time.Duration
	// DataBlock bounds each write of message data. Default 3 minutes.
	DataBlock time.Duration
	// DataTermination bounds waiting for the reply to the final ".".
	// Default 10 minutes.
	DataTermination time.Duration
}

// The RFC 5321 section 4.5.3.2 defaults, and the dial timeout.
const (
	defaultDialTimeout      = 1 * time.Minute
	defaultGreetingTimeout  = 5 * time.Minute
	defaultCommandTimeout   = 5 * time.Minute
	defaultMailTimeout      = 5 * time.Minute
	defaultRcptTimeout      = 5 * time.Minute
	defaultDataInitTimeout  = 2 * time.Minute
	defaultDataBlockTimeout = 3 * time.Minute
	defaultDataTermTimeout  = 10 * time.Minute
)

// stage selects which timeout applies to an exchange.
type stage uint8

const (
	stageGreeting stage = iota
	stageCommand
	stageMail
	stageRcpt
	stageDataInit
	stageDataBlock
	stageDataEnd
)

// timeout returns the timeout of stage s; 0 means none.
func (t *Timeouts) timeout(s stage) time.Duration {
	var d, def time.Duration
	switch s {
	case stageGreeting:
		d, def = t.Greeting, defaultGreetingTimeout
	case stageMail:
		d, def = t.Mail, defaultMailTimeout
	case stageRcpt:
		d, def = t.Rcpt, defaultRcptTimeout
	case stageDataInit:
		d, def = t.DataInit, defaultDataInitTimeout
	case stageDataBlock:
		d, def = t.DataBlock, defaultDataBlockTimeout
	case stageDataEnd:
		d, def = t.DataTermination, defaultDataTermTimeout
	default:
		d, def = t.Command, defaultCommandTimeout
	}
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

func (t *Timeouts) dial() time.Duration {
	switch {
	case t.Dial == 0:
		return defaultDialTimeout
	case t.Dial < 0:
		return 0
	}
	return t.Dial
}

// AuthMode says when a Client that has credentials ([Options].Auth)
// authenticates.
type AuthMode uint8

const (
	// AuthEager, the default, authenticates right after the session is
	// set up, after TLS and before the first MAIL FROM ([Client.Send],
	// [Client.Mail], [SendMail]), unless the session is already
	// authenticated. A user who configured credentials expects
	// authenticated submission: when the server does not advertise AUTH,
	// the call fails with an [*UnsupportedError] for AUTH before any
	// credential or any byte of the message is sent, and its text says
	// whether AUTH was offered only before STARTTLS. It costs no round
	// trip over waiting for the server's 530, and saves the two the
	// refusal and the retry would take.
	AuthEager AuthMode = iota
	// AuthOnDemand authenticates only when the server asks: after a 530
	// "authentication required", or a relay refusal from a server that
	// advertised AUTH (see [Client.Send]). A server that never asks gets
	// the message unauthenticated.
	AuthOnDemand
)
