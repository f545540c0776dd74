package reply

import (
	"bytes"
	"errors"
	"strings"
)

// Sentinel errors for [errors.Is]. No function returns them: an [*Error]
// answers errors.Is for each one that describes its reply, and the
// predicates ([IsTemporary], [IsAuthRequired], ...) are errors.Is with the
// matching sentinel. Other error types may answer for them too, through
// an Is method of their own.
//
// ErrTransient and ErrPermanent follow the class of the reply code alone:
// 4xx is transient, 5xx is permanent; ErrServiceClosing is exactly 421.
// The other kinds follow the classification table (rules.go), whose every
// row cites where the replies it reads come from; RULES.md in this
// package's directory lists the rows predicate by predicate, generated
// from the table. In short:
//
//   - The reply's text, enhanced status code, basic code and the command
//     that received it ([Error.Command]; empty means unknown, as for a
//     reply quoted in a bounce) are all read. An enhanced code whose class
//     differs from the reply code's is ignored; a qmail-style code at the
//     end of the text ("(#5.1.1)") stands in for a missing one.
//   - When the text names a cause that contradicts the enhanced code, the
//     text wins: "550 5.7.1 No such user!" is [ErrMailboxUnavailable],
//     "552 5.1.1 ... overquota" [ErrMailboxFull], "450 4.2.1 ... too
//     quickly" [ErrRateLimited].
//   - A reply may have several kinds (Gmail's "421 4.7.29 ... not sent
//     over a TLS connection" is service closing, TLS required and rate
//     limited) or none; a positive reply (2yz, 3yz) has none.
//   - [ErrPolicyRejection] holds only when no authentication, TLS or rate
//     limiting kind does, and at most one of ErrMailboxUnavailable,
//     ErrMailboxFull, ErrMessageTooLarge, ErrDomainUnavailable and
//     ErrPolicyRejection holds.
var (
	// ErrTransient matches a transient negative reply (4xx, RFC 5321
	// section 4.2.1): the same command may succeed later.
	ErrTransient = errors.New("smtp: transient failure")
	// ErrPermanent matches a permanent negative reply (5xx): the same
	// command will fail again unless something changes.
	ErrPermanent = errors.New("smtp: permanent failure")

	// ErrAuthRequired matches a reply that asks the client to authenticate
	// first (530 5.7.0 "Authentication required", 530 5.7.57 "Client not
	// authenticated").
	ErrAuthRequired = errors.New("smtp: authentication required")
	// ErrTLSRequired matches a reply that asks for an encrypted connection
	// first (530 5.7.0 "Must issue a STARTTLS command first", 523, 538).
	ErrTLSRequired = errors.New("smtp: TLS required")
	// ErrAuthFailed matches a reply that refuses an AUTH exchange for its
	// credentials, the account or the mechanism's strength (535, 534,
	// 432 X.7.12, 525 X.7.13, X.7.8, a 4yz to AUTH).
	ErrAuthFailed = errors.New("smtp: authentication failed")
	// ErrAuthTemporary matches a temporary authentication failure (454
	// 4.7.0 in answer to AUTH).
	ErrAuthTemporary = errors.New("smtp: temporary authentication failure")
	// ErrMechanismTooWeak matches a reply that refuses the authentication
	// mechanism as too weak (534, X.7.9).
	ErrMechanismTooWeak = errors.New("smtp: authentication mechanism too weak")
	// ErrPasswordTransition matches a reply that asks for a password
	// transition (432, X.7.12).
	ErrPasswordTransition = errors.New("smtp: password transition needed")
	// ErrServiceClosing matches a 421 reply: the server is closing the
	// connection.
	ErrServiceClosing = errors.New("smtp: service closing")
	// ErrMailboxUnavailable matches a reply saying the addressed mailbox
	// does not exist or is disabled (X.1.1, X.1.6, 5.2.1, 551, "user
	// unknown", "no such user", "account disabled"). Domain-level
	// failures, receive-rate throttling and the more specific causes (over
	// quota, relay, policy, size, authentication) are not.
	ErrMailboxUnavailable = errors.New("smtp: mailbox unavailable")
	// ErrMailboxFull matches a reply saying the recipient's mailbox is
	// over its storage quota (X.2.2, "over quota", "mailbox full"); system
	// storage (X.3.1, X.4.5) is not.
	ErrMailboxFull = errors.New("smtp: mailbox full")
	// ErrMessageTooLarge matches a reply saying the message or its
	// headers are too large (X.3.4, X.2.3, 552 after MAIL FROM or the
	// data, "message size exceeds").
	ErrMessageTooLarge = errors.New("smtp: message too large")
	// ErrRateLimited matches a transient reply that throttles the sender
	// for rate, volume, frequency, connections, login attempts or sending
	// quota, or greylists it (X.7.28, Microsoft's 4.7.500-699, "rate
	// limit", "throttled", "too many connections", "temporarily
	// deferred", "greylisted"). A per-connection cap ("max messages per
	// connection"), server load ("busy") and every 5yz reply are not.
	ErrRateLimited = errors.New("smtp: rate limited")
	// ErrPolicyRejection matches a reply that refuses for a stated
	// security or policy reason (a block list, the sender's reputation,
	// relaying denied, SPF, DKIM, DMARC, PTR or HELO checks, spam or virus
	// content, a sender not authorised), when no more specific kind
	// applies.
	ErrPolicyRejection = errors.New("smtp: rejected by policy")
	// ErrDomainUnavailable matches a reply saying the recipient's or the
	// sender's domain does not exist or accepts no mail (X.1.2, X.1.8,
	// X.1.10, X.7.27, 556, "domain not found").
	ErrDomainUnavailable = errors.New("smtp: domain unavailable")
)

// IsTemporary reports whether err is or wraps a transient (4xx) reply:
// errors.Is(err, [ErrTransient]).
func IsTemporary(err error) bool { return errors.Is(err, ErrTransient) }

// IsPermanent reports whether err is or wraps a permanent (5xx) reply:
// errors.Is(err, [ErrPermanent]).
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }

// IsAuthRequired reports whether err is or wraps a reply asking the client
// to authenticate first: errors.Is(err, [ErrAuthRequired]). A 530 that asks
// for STARTTLS is [IsTLSRequired] instead. See [ErrTransient] for the
// classification rules.
func IsAuthRequired(err error) bool { return errors.Is(err, ErrAuthRequired) }

// IsTLSRequired reports whether err is or wraps a reply asking for TLS
// before the command (or the authentication mechanism) may be used:
// errors.Is(err, [ErrTLSRequired]). See [ErrTransient] for the
// classification rules.
func IsTLSRequired(err error) bool { return errors.Is(err, ErrTLSRequired) }

// IsAuthFailed reports whether err is or wraps a reply refusing an AUTH
// exchange for its credentials, the account or the mechanism's strength
// (535, 534, 432 X.7.12, 525 X.7.13, a 4yz to AUTH): errors.Is(err,
// [ErrAuthFailed]). 504 (unknown mechanism) and replies asking for
// encryption first are not. See [ErrTransient] for the classification
// rules.
func IsAuthFailed(err error) bool { return errors.Is(err, ErrAuthFailed) }

// IsAuthTemporary reports whether err is or wraps a temporary
// authentication failure (454 in answer to AUTH): errors.Is(err,
// [ErrAuthTemporary]). See [ErrTransient] for the classification rules.
func IsAuthTemporary(err error) bool { return errors.Is(err, ErrAuthTemporary) }

// IsMechanismTooWeak reports whether err is or wraps a reply refusing the
// authentication mechanism as too weak (534, X.7.9): errors.Is(err,
// [ErrMechanismTooWeak]). See [ErrTransient] for the classification rules.
func IsMechanismTooWeak(err error) bool { return errors.Is(err, ErrMechanismTooWeak) }

// IsPasswordTransition reports whether err is or wraps a reply asking for a
// password transition (432, X.7.12): errors.Is(err,
// [ErrPasswordTransition]). See [ErrTransient] for the classification
// rules.
func IsPasswordTransition(err error) bool { return errors.Is(err, ErrPasswordTransition) }

// IsServiceClosing reports whether err is or wraps a 421 reply, after which
// the server closes the connection: errors.Is(err, [ErrServiceClosing]).
func IsServiceClosing(err error) bool { return errors.Is(err, ErrServiceClosing) }

// IsMailboxUnavailable reports whether err is or wraps a reply saying the
// addressed mailbox does not exist or is disabled: errors.Is(err,
// [ErrMailboxUnavailable]). A bulk sender may stop mailing an address on
// a permanent one. Relay denials, policy rejections, unknown domains and
// receive-rate throttling are not. See [ErrTransient] for the
// classification rules.
func IsMailboxUnavailable(err error) bool { return errors.Is(err, ErrMailboxUnavailable) }

// IsMailboxFull reports whether err is or wraps a reply saying the
// recipient's mailbox is full: errors.Is(err, [ErrMailboxFull]). See
// [ErrTransient] for the classification rules.
func IsMailboxFull(err error) bool { return errors.Is(err, ErrMailboxFull) }

// IsMessageTooLarge reports whether err is or wraps a reply saying the
// message is too large: errors.Is(err, [ErrMessageTooLarge]). See
// [ErrTransient] for the classification rules.
func IsMessageTooLarge(err error) bool { return errors.Is(err, ErrMessageTooLarge) }

// IsRateLimited reports whether err is or wraps a transient reply that
// throttles or greylists the client: errors.Is(err, [ErrRateLimited]). See
// [ErrTransient] for the classification rules.
func IsRateLimited(err error) bool { return errors.Is(err, ErrRateLimited) }

// IsPolicyRejection reports whether err is or wraps a reply refusing for a
// stated security or policy reason, such as a block list, relaying denied,
// or failed SPF, DKIM or DMARC checks: errors.Is(err,
// [ErrPolicyRejection]). See [ErrTransient] for the classification rules.
func IsPolicyRejection(err error) bool { return errors.Is(err, ErrPolicyRejection) }

// IsDomainUnavailable reports whether err is or wraps a reply saying the
// recipient's or sender's domain does not exist or accepts no mail:
// errors.Is(err, [ErrDomainUnavailable]). See [ErrTransient] for the
// classification rules.
func IsDomainUnavailable(err error) bool { return errors.Is(err, ErrDomainUnavailable) }

// kind is a set of the kinds a reply belongs to.
type kind uint16

const (
	kindAuthRequired kind = 1 << iota
	kindTLSRequired
	kindAuthFailed
	kindAuthTemporary
	kindMechanismTooWeak
	kindPasswordTransition
	kindServiceClosing
	kindMailboxUnavailable
	kindMailboxFull
	kindMessageTooLarge
	kindRateLimited
	kindPolicy
	kindDomainUnavailable

	// kindAccess is the authentication and TLS group.
	kindAccess = kindAuthRequired | kindTLSRequired | kindAuthFailed | kindAuthTemporary |
		kindMechanismTooWeak | kindPasswordTransition
	// kindMailbox is the mailbox and message group.
	kindMailbox = kindMailboxUnavailable | kindMailboxFull | kindMessageTooLarge
)

// kindSentinels maps each kind to its sentinel and its name in RULES.md
// and the explanation catalogs.
var kindSentinels = []struct {
	k    kind
	err  error
	name string
	pred string // the predicate's name, for RULES.md
}{
	{kindAuthRequired, ErrAuthRequired, "auth-required", "IsAuthRequired"},
	{kindTLSRequired, ErrTLSRequired, "tls-required", "IsTLSRequired"},
	{kindAuthFailed, ErrAuthFailed, "auth-failed", "IsAuthFailed"},
	{kindAuthTemporary, ErrAuthTemporary, "auth-temporary", "IsAuthTemporary"},
	{kindMechanismTooWeak, ErrMechanismTooWeak, "mechanism-too-weak", "IsMechanismTooWeak"},
	{kindPasswordTransition, ErrPasswordTransition, "password-transition", "IsPasswordTransition"},
	{kindServiceClosing, ErrServiceClosing, "service-closing", "IsServiceClosing"},
	{kindMailboxUnavailable, ErrMailboxUnavailable, "mailbox-unavailable", "IsMailboxUnavailable"},
	{kindMailboxFull, ErrMailboxFull, "mailbox-full", "IsMailboxFull"},
	{kindMessageTooLarge, ErrMessageTooLarge, "message-too-large", "IsMessageTooLarge"},
	{kindRateLimited, ErrRateLimited, "rate-limited", "IsRateLimited"},
	{kindPolicy, ErrPolicyRejection, "policy-rejection", "IsPolicyRejection"},
	{kindDomainUnavailable, ErrDomainUnavailable, "domain-unavailable", "IsDomainUnavailable"},
}

// kindOf returns the kind a sentinel stands for.
func kindOf(target error) (kind, bool) {
	for _, s := range kindSentinels {
		if s.err == target {
			return s.k, true
		}
	}
	return 0, false
}

// verb is the command a reply answered, as far as classification cares.
type verb uint8

const (
	verbUnknown  verb = iota // no command given
	verbOther                // a command no rule looks at
	verbGreeting             // the server's opening reply
	verbStartTLS
	verbAuth
	verbMail
	verbRcpt
	verbVrfy
	verbData      // DATA itself
	verbEndOfData // the reply after the final dot, or to BDAT
)

// verbOf maps an Error.Command ("MAIL FROM", "auth", "end of data") to its
// verb, ignoring case and everything after the first word.
func verbOf(cmd string) verb {
	cmd = strings.TrimSpace(cmd)
	if cmd == "" {
		return verbUnknown
	}
	word := cmd
	if i := strings.IndexAny(cmd, " \t:"); i >= 0 {
		word = cmd[:i]
	}
	switch {
	case strings.EqualFold(word, CommandMail[:4]):
		return verbMail
	case strings.EqualFold(word, CommandRcpt[:4]):
		return verbRcpt
	case strings.EqualFold(word, CommandVrfy):
		return verbVrfy
	case strings.EqualFold(word, CommandData):
		return verbData
	case strings.EqualFold(word, CommandBDAT), strings.EqualFold(word, "end"), strings.EqualFold(word, "."):
		return verbEndOfData
	case strings.EqualFold(word, CommandAuth):
		return verbAuth
	case strings.EqualFold(word, CommandStartTLS):
		return verbStartTLS
	case strings.EqualFold(word, CommandGreeting):
		return verbGreeting
	}
	return verbOther
}

// classifier holds what the rules look at.
type classifier struct {
	code Code
	enh  EnhancedCode // zero if absent or of the wrong class
	v    verb
	text []byte // lower-cased reply text
}

// classify returns the kinds of a reply to cmd, following the table in
// rules.go.
func classify(cmd string, r *Reply) kind {
	class := r.Code.Class()
	if class != ClassTransient && class != ClassPermanent {
		return 0
	}
	var buf [256]byte
	c := classifier{code: r.Code, enh: r.enhancedOfClass(), v: verbOf(cmd), text: appendLower(buf[:0], r.text)}
	if c.enh.IsZero() {
		c.enh = qmailEnhanced(c.text, class)
	}
	var k kind
	var decided [groupClosing + 1]bool
	for i := range rules {
		r := &rules[i]
		if decided[r.group] || !r.matches(&c) {
			continue
		}
		decided[r.group] = true
		k |= r.kinds
	}
	if k&(kindAccess|kindRateLimited) != 0 {
		k &^= kindPolicy
	}
	return k
}

// qmailEnhanced returns the enhanced code that qmail and its patches put at
// the end of the text instead of after the reply code ("553 sorry, that
// domain isn't in my list of allowed rcpthosts (#5.7.1)", qmail-smtpd.c),
// if its class is class, and the zero EnhancedCode otherwise.
func qmailEnhanced(text []byte, class Class) EnhancedCode {
	ec, ok := QmailStatus(string(text))
	if !ok || ec.Class != class {
		return EnhancedCode{}
	}
	return ec
}

// QmailStatus returns the RFC 3463 status code that qmail and the servers
// derived from it write in parentheses in a reply's text or a bounce's
// words instead of an enhanced code: "Sorry, no mailbox here by that name.
// (#5.1.1)" gives 5.1.1 (cr.yp.to/proto/qsbmf.txt). It reads the last
// "(#" in text; ok is false when there is none or it holds no valid code.
func QmailStatus(text string) (ec EnhancedCode, ok bool) {
	i := strings.LastIndex(text, "(#")
	if i < 0 {
		return EnhancedCode{}, false
	}
	s := text[i+2:]
	n := 0
	for n < len(s) && (s[n] == '.' || '0' <= s[n] && s[n] <= '9') {
		n++
	}
	ec, err := ParseEnhancedCode(s[:n])
	if err != nil {
		return EnhancedCode{}, false
	}
	return ec, true
}

// enhancedOfClass returns r's enhanced code if it is valid and of the reply
// code's class, and the zero EnhancedCode otherwise: the classification
// rules and the explanations ignore an enhanced code that contradicts its
// reply code.
func (r *Reply) enhancedOfClass() EnhancedCode {
	if !r.Enhanced.Valid() || r.Enhanced.Class != r.Code.Class() {
		return EnhancedCode{}
	}
	return r.Enhanced
}

// appendLower appends b to dst with ASCII letters in lower case.
func appendLower(dst, b []byte) []byte {
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// has reports whether the text contains any of the phrases.
func (c *classifier) has(phrases ...string) bool {
	for _, p := range phrases {
		if bytes.Contains(c.text, []byte(p)) {
			return true
		}
	}
	return false
}

// enhGeneric reports whether there is no enhanced code or it is X.0.0.
func (c *classifier) enhGeneric() bool {
	return c.enh.IsZero() || (c.enh.Subject == SubjectOther && c.enh.Detail == 0)
}

// authEnhancedKind returns the kind of e if it is one of the X.7.d codes
// that RFC 4954 defines for answers to AUTH (X.7.8, X.7.9, X.7.12), and 0
// otherwise.
func authEnhancedKind(e EnhancedCode) kind {
	if e.IsZero() || e.Subject != SubjectPolicy {
		return 0
	}
	switch e.Detail {
	case 8:
		return kindAuthFailed
	case 9:
		return kindMechanismTooWeak
	case 12:
		return kindPasswordTransition
	}
	return 0
}

// authOnly reports whether e is an enhanced code that RFC 4954 defines for
// answers to AUTH (X.7.8, X.7.9, X.7.12) and the command v is neither AUTH
// nor unknown, so that e says nothing about authentication.
func authOnly(e EnhancedCode, v verb) bool {
	return authEnhancedKind(e) != 0 && v != verbAuth && v != verbUnknown
}
