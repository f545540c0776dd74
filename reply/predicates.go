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
// 4xx is transient, 5xx is permanent. The kind sentinels follow the
// classification rules below. A reply may have several kinds (a 421 that
// says "too many connections" is both ErrServiceClosing and
// ErrRateLimited) or none; only replies of class 4 and 5 have kinds.
//
// # Classification
//
// A reply is classified from its enhanced status code first, then from its
// basic reply code, then from its text; a later step is used only when the
// earlier ones did not decide. The command that received the reply
// ([Error.Command]) refines some rules; an empty command means unknown. An
// enhanced code whose class differs from the reply code's is ignored.
// Text is matched case-insensitively, as substrings.
//
// Authentication and TLS (at most one of ErrAuthRequired, ErrTLSRequired,
// ErrAuthFailed, ErrAuthTemporary, ErrMechanismTooWeak,
// ErrPasswordTransition):
//
//  1. Enhanced code: X.7.8 is ErrAuthFailed, X.7.9 ErrMechanismTooWeak,
//     X.7.10 and X.7.11 ErrTLSRequired, X.7.12 ErrPasswordTransition, and
//     X.7.57 (a Microsoft code outside the IANA registry: "client not
//     authenticated") ErrAuthRequired. X.7.30 (REQUIRETLS on a later hop)
//     is none of them. RFC 4954 defines X.7.8, X.7.9 and X.7.12 for
//     answers to AUTH: in answer to any other known command they are none
//     of them, and the later steps are skipped (Yahoo's "554 5.7.9
//     Message not accepted for policy reasons" after the data is a policy
//     refusal).
//  2. Basic code: 530 is ErrTLSRequired if its text asks for TLS (see
//     below) and ErrAuthRequired otherwise (RFC 3207 and RFC 4954 both
//     use 530); 523 and 538 are ErrTLSRequired; 535 is ErrAuthFailed; 534
//     ErrMechanismTooWeak; 432 is ErrPasswordTransition in answer to AUTH
//     or an unknown command, with no enhanced code or an X.7.x one
//     (Microsoft's "432 4.3.2 STOREDRV.Deliver; recipient thread limit
//     exceeded" after the data is a throttle, see rate limiting); 454 is
//     ErrAuthTemporary in answer to AUTH, or to an unknown command when the
//     text contains "authenticat". A 454 in answer to STARTTLS ("TLS not
//     available due to temporary reason") or any other command is none of
//     them, and its text is not looked at.
//  3. Text, only when the enhanced code is absent, X.0.0, X.7.0 or X.7.1
//     and the command is not STARTTLS: ErrTLSRequired if the text contains
//     "starttls", "tls required", "tls is required", "requires tls",
//     "must use tls", "encryption required", "encryption is required",
//     "encryption needed", "requires encryption" or "must be encrypted";
//     otherwise, unless the command is AUTH, ErrAuthRequired if it
//     contains "authentication required", "authentication is required",
//     "requires authentication", "authentication needed",
//     "authenticate first", "must authenticate", "please authenticate",
//     "not authenticated" or "auth required" (go-smtp's
//     "502 5.7.0 Please authenticate first").
//
// Service closing: ErrServiceClosing is exactly the basic code 421, which
// RFC 5321 defines as "closing transmission channel".
//
// Mailbox and message (at most one of ErrMailboxUnavailable,
// ErrMailboxFull, ErrMessageTooLarge):
//
//  1. Enhanced code with a detail other than 0 decides alone: X.1.x
//     (except X.1.5, "address valid") and X.2.1 are
//     ErrMailboxUnavailable; X.2.2 is ErrMailboxFull; X.2.3, X.3.4 and
//     X.7.16 are ErrMessageTooLarge; any other code is none of them. So a
//     policy rejection such as "550 5.7.1 Relay access denied" or
//     "550 5.7.1 Message content rejected" is not ErrMailboxUnavailable,
//     and "552 5.2.2" is ErrMailboxFull, not ErrMessageTooLarge. Except
//     X.4.1 ("no answer from host") and X.4.4 ("unable to route"): the
//     destination cannot be reached, so they allow ErrMailboxUnavailable
//     and the next steps decide (Microsoft's "550 5.4.1 Recipient address
//     rejected: Access denied" for an unknown recipient). An
//     enhanced code with detail 0 names only a subject: X.1.0 allows
//     ErrMailboxUnavailable, X.2.0 all three kinds, X.3.0
//     ErrMessageTooLarge, X.0.0 all three, and any other subject none;
//     the next steps decide among the allowed kinds.
//  2. Basic code, for MAIL FROM, RCPT TO, VRFY, DATA, BDAT, end of data or
//     an unknown command: 550, 551 and 553 are ErrMailboxUnavailable in
//     answer to MAIL FROM, RCPT TO, VRFY or an unknown command (after DATA
//     a 550 refuses the message, not a mailbox); 552 is ErrMessageTooLarge
//     in answer to MAIL FROM (RFC 1870 SIZE), DATA, BDAT or end of data.
//     A 450 is not ErrMailboxUnavailable by its code alone.
//  3. Text, for the same commands when the code did not decide:
//     ErrMailboxFull if it contains "mailbox full", "mailbox is full",
//     "over quota" or "mailbox quota"; else ErrMessageTooLarge if it
//     contains "too big", "too large", "message size", "size limit",
//     "size exceeds" or "exceeds size"; else ErrMailboxUnavailable if it
//     contains "user unknown", "unknown user", "no such user",
//     "no such mailbox", "mailbox unavailable", "mailbox not found",
//     "mailbox is disabled", "mailbox disabled", "recipient unknown",
//     "unrouteable address" or "does not exist".
//
// Rate limiting: ErrRateLimited only for the transient codes 421, 450, 451,
// 452 and 454, and 432 when it is not ErrPasswordTransition.
//
//  1. Enhanced code: X.7.28 (mail flood) is rate limited and X.5.3 (too
//     many recipients) is not. Any other X.7.x is rate limited unless the
//     command is AUTH or STARTTLS or the reply is of an authentication or
//     TLS kind: a transient policy refusal is in practice greylisting or
//     throttling (Postfix's soft-bounced "454 4.7.1 Relay access denied"
//     matches too).
//  2. Text, when the enhanced code did not decide: "throttl", "rate limit",
//     "rate-limit", "ratelimit", "sending rate", "at a rate", "greylist",
//     "graylist", "grey-list", "gray-list", "slow down", "too fast",
//     "too quickly", "too frequent", "concurren" (concurrent connections,
//     concurrency limit), "per connection", "per minute", "per hour",
//     "this hour" or "per day" (Amazon SES's "454 Throttling failure:
//     Maximum sending rate exceeded.", Gmail's "450 4.2.1 ... receiving
//     mail too quickly", SendGrid's "452 Too many recipients received
//     this hour"); "limit exceeded" unless the reply is of a mailbox or
//     message kind (Microsoft's "recipient thread limit exceeded", not
//     "size limit exceeded"); "too many", but not "too many recipients"
//     (a per-message limit).
//  3. Text, only with no enhanced code or X.0.0, and not for AUTH, STARTTLS
//     or a reply of an authentication or TLS kind: "try again later",
//     "try later", "retry later", "come back later", unless the text also
//     contains "problem" or "error" (SendGrid's "451 Temporary local
//     problem - please try later" is a fault of the server, not a
//     throttle). With a specific enhanced code such as 4.3.0 these words
//     are ordinary advice of a transient failure, not a sign of rate
//     limiting.
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
	// ErrAuthFailed matches a reply that rejects the credentials (535,
	// X.7.8).
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
	// ErrMailboxUnavailable matches a reply saying the mailbox does not
	// exist or cannot be used (550, 551 and 553 for an address, X.1.x,
	// X.2.1).
	ErrMailboxUnavailable = errors.New("smtp: mailbox unavailable")
	// ErrMailboxFull matches a reply saying the recipient's mailbox is
	// full (X.2.2).
	ErrMailboxFull = errors.New("smtp: mailbox full")
	// ErrMessageTooLarge matches a reply saying the message is too large
	// (X.3.4, X.2.3, 552 after MAIL FROM or the data).
	ErrMessageTooLarge = errors.New("smtp: message too large")
	// ErrRateLimited matches a transient reply that throttles or greylists
	// the client.
	ErrRateLimited = errors.New("smtp: rate limited")
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

// IsAuthFailed reports whether err is or wraps a reply rejecting the
// credentials (535, X.7.8): errors.Is(err, [ErrAuthFailed]). See
// [ErrTransient] for the classification rules.
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
// mailbox does not exist or may not be used: errors.Is(err,
// [ErrMailboxUnavailable]). A policy rejection with an X.7.x enhanced code
// is not. See [ErrTransient] for the classification rules.
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

	// kindAccess is the authentication and TLS group.
	kindAccess = kindAuthRequired | kindTLSRequired | kindAuthFailed | kindAuthTemporary |
		kindMechanismTooWeak | kindPasswordTransition
	// kindMailbox is the mailbox and message group.
	kindMailbox = kindMailboxUnavailable | kindMailboxFull | kindMessageTooLarge
)

// kindOf returns the kind a sentinel stands for.
func kindOf(target error) (kind, bool) {
	switch target {
	case ErrAuthRequired:
		return kindAuthRequired, true
	case ErrTLSRequired:
		return kindTLSRequired, true
	case ErrAuthFailed:
		return kindAuthFailed, true
	case ErrAuthTemporary:
		return kindAuthTemporary, true
	case ErrMechanismTooWeak:
		return kindMechanismTooWeak, true
	case ErrPasswordTransition:
		return kindPasswordTransition, true
	case ErrServiceClosing:
		return kindServiceClosing, true
	case ErrMailboxUnavailable:
		return kindMailboxUnavailable, true
	case ErrMailboxFull:
		return kindMailboxFull, true
	case ErrMessageTooLarge:
		return kindMessageTooLarge, true
	case ErrRateLimited:
		return kindRateLimited, true
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
	case strings.EqualFold(word, "MAIL"):
		return verbMail
	case strings.EqualFold(word, "RCPT"):
		return verbRcpt
	case strings.EqualFold(word, "VRFY"):
		return verbVrfy
	case strings.EqualFold(word, "DATA"):
		return verbData
	case strings.EqualFold(word, "BDAT"), strings.EqualFold(word, "end"), strings.EqualFold(word, "."):
		return verbEndOfData
	case strings.EqualFold(word, "AUTH"):
		return verbAuth
	case strings.EqualFold(word, "STARTTLS"):
		return verbStartTLS
	case strings.EqualFold(word, "greeting"):
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

// classify returns the kinds of a reply to cmd, following the rules
// documented on [ErrTransient].
func classify(cmd string, r *Reply) kind {
	class := r.Code.Class()
	if class != ClassTransient && class != ClassPermanent {
		return 0
	}
	var buf [256]byte
	c := classifier{code: r.Code, enh: r.enhancedOfClass(), v: verbOf(cmd), text: appendLower(buf[:0], r.text)}
	k := c.access()
	if c.code == CodeServiceNotAvailable {
		k |= kindServiceClosing
	}
	k |= c.mailbox()
	if c.rateLimited(k) {
		k |= kindRateLimited
	}
	return k
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

// enhIs reports whether the enhanced code is subject.detail.
func (c *classifier) enhIs(s Subject, detail uint16) bool {
	return !c.enh.IsZero() && c.enh.Subject == s && c.enh.Detail == detail
}

// enhGeneric reports whether there is no enhanced code or it is X.0.0.
func (c *classifier) enhGeneric() bool {
	return c.enh.IsZero() || c.enhIs(SubjectOther, 0)
}

func (c *classifier) asksForTLS() bool {
	return c.has("starttls", "tls required", "tls is required", "requires tls", "must use tls",
		"encryption required", "encryption is required", "encryption needed", "requires encryption",
		"must be encrypted")
}

func (c *classifier) asksForAuth() bool {
	return c.has("authentication required", "authentication is required", "requires authentication",
		"authentication needed", "authenticate first", "must authenticate", "please authenticate",
		"not authenticated", "auth required")
}

// access applies the authentication and TLS rules.
func (c *classifier) access() kind {
	authCmd := c.v == verbAuth || c.v == verbUnknown
	if !c.enh.IsZero() && c.enh.Subject == SubjectPolicy {
		switch c.enh.Detail {
		case 8, 9, 12:
			// RFC 4954 defines these for answers to AUTH; after any other
			// command (Yahoo's "554 5.7.9 Message not accepted for policy
			// reasons" after the data) they are policy refusals.
			if authOnly(c.enh, c.v) {
				return 0
			}
			return authEnhancedKind(c.enh)
		case 10, 11:
			return kindTLSRequired
		case 57: // Microsoft: "530 5.7.57 Client not authenticated"
			return kindAuthRequired
		case 30: // REQUIRETLS: about a later hop, not this connection
			return 0
		}
	}
	switch c.code {
	case CodeAuthRequired:
		if c.asksForTLS() {
			return kindTLSRequired
		}
		return kindAuthRequired
	case CodeEncryptionNeeded, CodeEncryptionRequired:
		return kindTLSRequired
	case CodeAuthCredentialsInvalid:
		return kindAuthFailed
	case CodeMechanismTooWeak:
		return kindMechanismTooWeak
	case CodePasswordTransition:
		// Microsoft sends "432 4.3.2 STOREDRV.Deliver; recipient thread
		// limit exceeded" after the data: a throttle, not RFC 4954's 432.
		if authCmd && (c.enh.IsZero() || c.enh.Subject == SubjectPolicy) {
			return kindPasswordTransition
		}
		return 0
	case CodeTempAuthFailure:
		if c.v == verbAuth || (c.v == verbUnknown && c.has("authenticat")) {
			return kindAuthTemporary
		}
		return 0
	}
	if c.v == verbStartTLS {
		return 0
	}
	if c.enhGeneric() || c.enhIs(SubjectPolicy, 0) || c.enhIs(SubjectPolicy, 1) {
		if c.asksForTLS() {
			return kindTLSRequired
		}
		if c.v != verbAuth && c.asksForAuth() {
			return kindAuthRequired
		}
	}
	return 0
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

// mailbox applies the mailbox and message rules.
func (c *classifier) mailbox() kind {
	allowed := kindMailbox
	if !c.enh.IsZero() && !c.enhIs(SubjectOther, 0) {
		e := c.enh
		if e.Detail != 0 {
			switch {
			case e.Subject == SubjectNetwork && (e.Detail == 1 || e.Detail == 4):
				// "No answer from host", "unable to route": the
				// destination cannot be reached. Microsoft's directory
				// based edge blocking answers "550 5.4.1 Recipient
				// address rejected: Access denied" for an unknown
				// recipient.
				allowed = kindMailboxUnavailable
			case e.Subject == SubjectAddressing && e.Detail != 5,
				e.Subject == SubjectMailbox && e.Detail == 1:
				return kindMailboxUnavailable
			case e.Subject == SubjectMailbox && e.Detail == 2:
				return kindMailboxFull
			case e.Subject == SubjectMailbox && e.Detail == 3,
				e.Subject == SubjectMailSystem && e.Detail == 4,
				e.Subject == SubjectPolicy && e.Detail == 16:
				return kindMessageTooLarge
			default:
				return 0
			}
		} else {
			switch e.Subject {
			case SubjectAddressing:
				allowed = kindMailboxUnavailable
			case SubjectMailbox:
				allowed = kindMailbox
			case SubjectMailSystem:
				allowed = kindMessageTooLarge
			default:
				return 0
			}
		}
	}
	switch c.v {
	case verbMail, verbRcpt, verbVrfy, verbData, verbEndOfData, verbUnknown:
	default:
		return 0
	}
	switch c.code {
	case CodeMailboxUnavailable, CodeUserNotLocal, CodeMailboxNameInvalid:
		switch c.v {
		case verbMail, verbRcpt, verbVrfy, verbUnknown:
			return kindMailboxUnavailable & allowed
		}
	case CodeExceededStorage:
		switch c.v {
		case verbMail, verbData, verbEndOfData:
			return kindMessageTooLarge & allowed
		}
	}
	var k kind
	switch {
	case c.has("mailbox full", "mailbox is full", "over quota", "mailbox quota"):
		k = kindMailboxFull
	case c.has("too big", "too large", "message size", "size limit", "size exceeds", "exceeds size"):
		k = kindMessageTooLarge
	case c.has("user unknown", "unknown user", "no such user", "no such mailbox", "mailbox unavailable",
		"mailbox not found", "mailbox is disabled", "mailbox disabled", "recipient unknown",
		"unrouteable address", "does not exist"):
		k = kindMailboxUnavailable
	}
	return k & allowed
}

// rateLimited applies the rate limiting rules; k holds the kinds found so
// far.
func (c *classifier) rateLimited(k kind) bool {
	switch c.code {
	case CodeServiceNotAvailable, CodeMailboxBusy, CodeLocalError, CodeInsufficientStorage, CodeTempAuthFailure:
	case CodePasswordTransition:
		if k&kindPasswordTransition != 0 {
			return false
		}
	default:
		return false
	}
	access := c.v == verbAuth || c.v == verbStartTLS || k&kindAccess != 0
	if !c.enh.IsZero() {
		switch {
		case c.enhIs(SubjectPolicy, 28):
			return true
		case c.enhIs(SubjectProtocol, 3):
			return false
		case c.enh.Subject == SubjectPolicy && !access:
			return true
		}
	}
	if c.has("throttl", "rate limit", "rate-limit", "ratelimit", "sending rate", "at a rate", "greylist", "graylist",
		"grey-list", "gray-list", "slow down", "too fast", "too quickly", "too frequent", "concurren",
		"per connection", "per minute", "per hour", "this hour", "per day") {
		return true
	}
	if c.has("limit exceeded") && k&kindMailbox == 0 {
		return true
	}
	if c.has("too many") && !c.has("too many recipients") {
		return true
	}
	return c.enhGeneric() && !access && !c.has("problem", "error") &&
		c.has("try again later", "try later", "retry later", "come back later")
}
