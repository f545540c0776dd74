package reply

// The classification table.
//
// Every rule that decides what a reply means is one row of rules below,
// with the document it comes from. classify (predicates.go) reads the
// table; RULES.md is generated from it by TestRulesDoc (go test ./reply
// -run TestRulesDoc -update), so the documentation cannot drift from the
// code.
//
// A reply is classified in four independent decisions (groups). In each
// group the rows are tried in order and the first row whose conditions all
// hold decides the group; a row with no kinds decides "none of this
// group" and stops it. Text rows come before code rows in the group of
// causes, so that a text naming a cause overrides an enhanced code that
// says something else ("550 5.7.1 No such user!" is an unknown mailbox).
// After the four decisions, a policy rejection is dropped when an
// authentication, TLS or rate limiting kind holds: those are the more
// specific reading of the same refusal.

// group is one of the four decisions of the classification.
type group uint8

const (
	groupAccess  group = iota + 1 // authentication and TLS
	groupCause                    // mailbox, domain, size, policy
	groupRate                     // rate limiting (4yz only)
	groupClosing                  // 421
)

var groupNames = [...]string{
	groupAccess:  "Authentication and TLS",
	groupCause:   "Cause of the refusal: mailbox, domain, size, policy",
	groupRate:    "Rate limiting",
	groupClosing: "Service closing",
}

// verbs is a set of verbs; the zero set means any command.
type verbs uint16

func vs(v ...verb) verbs {
	var s verbs
	for _, x := range v {
		s |= 1 << x
	}
	return s
}

// has reports whether the set holds v; the empty set holds every verb.
func (s verbs) has(v verb) bool { return s == 0 || s&(1<<v) != 0 }

// Verb sets the rules use.
var (
	vAuth     = vs(verbAuth)
	vStartTLS = vs(verbStartTLS)
	vUnknown  = vs(verbUnknown)
	// vNotAuth is every command but AUTH and STARTTLS, including an
	// unknown one.
	vNotAuth = vs(verbUnknown, verbOther, verbGreeting, verbMail, verbRcpt, verbVrfy, verbData, verbEndOfData)
	// vEnvelope is the mail transaction, and an unknown command (a reply
	// quoted in a bounce or a log).
	vEnvelope = vs(verbUnknown, verbMail, verbRcpt, verbVrfy, verbData, verbEndOfData)
	// vMessage is the commands that carry or size the message.
	vMessage = vs(verbUnknown, verbMail, verbData, verbEndOfData)
	// vRecipient is RCPT TO and VRFY, and an unknown command.
	vRecipient = vs(verbUnknown, verbRcpt, verbVrfy)
)

// enhPattern is a pattern of enhanced codes: class (0 for either failure class),
// subject, and an inclusive range of details (lo > hi... never; anyDetail
// for every detail).
type enhPattern struct {
	class  Class
	sub    Subject
	lo, hi uint16
}

const anyDetail = 0xffff

// ep returns the pattern X.sub.detail; class 0 means 4 or 5.
func ep(class Class, sub Subject, detail uint16) enhPattern {
	if detail == anyDetail {
		return enhPattern{class, sub, 0, maxDetail}
	}
	return enhPattern{class, sub, detail, detail}
}

func (p enhPattern) match(c EnhancedCode) bool {
	return !c.IsZero() && (p.class == 0 || p.class == c.Class) && c.Subject == p.sub &&
		p.lo <= c.Detail && c.Detail <= p.hi
}

// rule is one row of the classification table. Every condition that is
// set must hold; an unset condition holds for every reply.
type rule struct {
	group group
	kinds kind // what the row decides; 0 stops the group with no kind

	class  Class        // 4 or 5; 0: either
	codes  []Code       // the basic code is one of these
	enh    []enhPattern // the enhanced code matches one of these
	noEnh  bool         // there is no enhanced code, or it is X.0.0
	verbs  verbs        // the command is one of these
	text   []string     // the lower-cased text contains one of these
	unless []string     // the lower-cased text contains none of these

	source string // where replies of this kind come from
}

// Phrase lists shared by several rows.
var (
	tlsPhrases = []string{"starttls", "tls required", "tls is required", "requires tls", "require tls",
		"must use tls", "use tls", "tls connection", "tls/ssl", "tls 1.", "tlsv1", "tls version",
		"encryption required", "encryption is required", "encryption needed", "requires encryption",
		"must be encrypted", "encrypted connection", "secure connection", "cipher", "ssl required"}
	// tlsNot are texts that mention TLS without asking for it: a
	// protocol violation around STARTTLS, or a failed handshake.
	tlsNot = []string{"pipelin", "protocol violation", "not available", "handshake failed", "negotiation failed",
		"starttls failed", "already", "not supported by"}

	authPhrases = []string{"authentication required", "authentication is required", "requires authentication",
		"require authentication", "authentication needed", "authenticate first", "must authenticate",
		"please authenticate", "need to authenticate", "not authenticated", "auth required", "smtp auth",
		"smtp authentication", "login required", "log in first", "login first", "not logged in",
		"must be authenticated", "authorization required", "authentication first", "unauthenticated senders",
		"authentification requise"}
	// authNot are texts about the message's own authentication (SPF,
	// DKIM, DMARC, ARC), never about SMTP AUTH.
	authNot = []string{"spf", "dkim", "dmarc", "arc ", "unauthenticated email", "unauthenticated mail",
		"unauthenticated message", "authentication check", "authentication information",
		"authentication results", "sender authentication", "message authentication", "email authentication"}

	fullPhrases = []string{"mailbox full", "mailbox is full", "mailbox was full", "mailbox quota", "mailbox size limit",
		"over quota", "overquota", "over its quota", "quota exceeded", "exceeded quota", "exceeds quota",
		"quota full", "exceeded storage allocation", "exceeded its storage", "storage is full", "storage full",
		"inbox is full", "inbox full", "full mailbox", "mailbox exceeded", "mailbox has exceeded", "disk quota",
		"insufficient space in mailbox", "boîte pleine", "boite pleine", "destinataire pleine", "buzón lleno",
		"quota dépassé"}
	// fullNot are quotas of the sender, not of the recipient's mailbox.
	fullNot = []string{"sending quota", "message quota", "send quota", "sending limit", "daily", "per day",
		"per hour", "rate"}

	largePhrases = []string{"too big", "too large", "message size", "size limit", "size exceeds", "exceeds size",
		"exceeds the size", "size exceeded", "exceeded the size", "exceeds maximum size", "maximum size",
		"max message size", "message length exceeds", "message is larger", "larger than the", "header too long",
		"headers too long", "header too large", "headers too large", "header size", "too much mail data",
		"databytes limit", "taille maximale"}
	largeNot = []string{"recipients", "mailbox size"}

	domainPhrases = []string{"domain not found", "domain does not exist", "domain doesn't exist", "no such domain",
		"unknown domain", "domain name not found", "host or domain name not found", "host not found",
		"nxdomain", "null mx", "domain does not accept mail", "does not accept mail", "find the recipient domain",
		"no mx record", "unroutable domain", "unrouteable domain", "non-existent domain", "nonexistent domain",
		"domain could not be found", "domain of sender address", "domain is not valid", "invalid domain",
		"domain must exist", "sender domain must resolve", "domain has no", "does not resolve", "domaine inexistant"}

	mailboxPhrases = []string{"user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient",
		"no such account", "no such address", "no such person", "mailbox unavailable", "mailbox not found",
		"mailbox does not exist", "mailbox doesn't exist", "mailbox is disabled", "mailbox disabled",
		"mailbox inactive", "mailbox is inactive", "mailbox unknown", "mailbox not available", "recipient unknown",
		"unknown recipient", "recipient not found", "recipient does not exist", "recipient doesn't exist",
		"user not found", "user does not exist", "user doesn't exist",
		"address does not exist", "address doesn't exist", "account does not exist", "account doesn't exist",
		"invalid recipient", "invalid mailbox", "account disabled", "account is disabled",
		"account has been disabled", "account inactive", "account is inactive", "account expired",
		"account closed", "no mailbox here", "no mailbox by that name", "unrouteable address",
		"unroutable address", "unknown local part", "not our customer", "unknown or illegal alias",
		"not a valid recipient", "not a valid mailbox", "not a valid user", "bad destination mailbox",
		"recipnotfound", "recipientnotfound", "inactive email address", "recipient account is",
		"compte du destinataire", "boite du destinataire archiv", "does not exist", "destinataire inconnu",
		"utilisateur inconnu", "adresse inconnue", "usuario desconocido", "no existe", "user doesn't have a"}
	// mailboxNot are texts about a domain, or about the sender's own
	// address or account: not the recipient's mailbox.
	mailboxNot = []string{"domain", "host ", "sender account", "sender address rejected", "sender verify"}

	relayPhrases = []string{"relay access denied", "relaying denied", "relay denied", "relay not permitted",
		"relaying not permitted", "relaying disallowed", "relay not allowed", "relaying not allowed",
		"not permitted to relay", "unable to relay", "we do not relay", "open relay", "cannot relay",
		"relay prohibited", "relaying prohibited", "allowed rcpthosts", "cannot deliver mail for"}
	policyPhrases = []string{"blocked", "block list", "blocklist", "blacklist", "black list", "denylist",
		"deny list", "dnsbl", "spamhaus", "spamcop", "sorbs", "listed", "reputation", "spam", "virus",
		"malware", "phishing", "unsolicited", "policy", "policies", "prohibited", "spf", "dkim", "dmarc",
		"ptr record", "reverse dns", "rdns", "reverse lookup", "find your hostname", "helo command rejected",
		"invalid helo", "bad helo", "helo name", "not authorized", "not authorised", "unauthorized",
		"unauthorised", "access denied", "permission denied", "sender denied", "rejected due to",
		"service refus", "message refused", "mail refused", "suspicious", "banned", "client host rejected",
		"administrative prohibition", "not allowed", "not permitted", "content rejected", "content filter",
		"security", "abuse", "complaint", "forbidden", "not accepted", "permanently deferred",
		"will not succeed", "dynamic ip", "residential", "dialup", "dial-up", "junk", "quarantine", "threat",
		"spoof", "impersonat", "sender verify failed", "unauthenticated", "badmailfrom", "not whitelisted",
		"send as", "no permission", "denied by", "rejected by", "refusé", "interdit", "not welcome",
		"helo denied", "ehlo denied", "dns ptr", "verified sender", "sending paused", "content denied",
		"whitelist", "allowlist", "allow list"}
	// senderRejected is Postfix's and others' generic prefix for a refused
	// sender: a policy rejection when no code names a cause.
	senderRejected = []string{"sender address rejected", "sender rejected"}
	// formatPhrases are refusals of a malformed message or address: a
	// cause of their own, not a policy, whatever X.7 code they carry.
	formatPhrases = []string{"rfc 5322", "rfc5322", "rfc 822", "rfc compliant", "not compliant",
		"rfc 5321 address", "missing a valid", "duplicate header", "malformed", "number of attachments",
		"mailbox name not allowed", "non-ascii", "syntax error", "address syntax", "protocol violation",
		"verification problem", "verification in progress"}

	ratePhrases = []string{"throttl", "rate limit", "rate-limit", "ratelimit", "sending rate", "at a rate",
		"unusual rate", "greylist", "graylist", "grey-list", "gray-list", "grey list", "gray list",
		"slow down", "too fast", "too quickly", "too frequent", "too often", "concurren", "connection limit",
		"connection rate", "temporarily deferred", "deferred due to", "excessive volume", "unexpected volume",
		"high volume", "sending quota", "message quota", "daily limit", "daily quota", "hourly limit",
		"sending limit", "thread limit", "relay limit", "limit exceeded", "per minute", "per hour", "this hour",
		"per day", "credits exceeded", "login attempts", "too much mail from", "rate overlimit", "frequency",
		"too many"}
	// rateNotCap are per-connection and per-message caps: the server
	// closes or refuses this connection or transaction, not the rate.
	rateNotCap = []string{"per connection", "this connection", "per session", "this session",
		"too many recipients", "too many hops", "too many received", "too many header", "too many invalid",
		"size limit", "message size", "mailbox size", "recipient limit", "too many errors"}
	// rateNotCapUnless turn a cap back into a rate: a count per unit of
	// time, or per client.
	rateNotCapUnless = []string{"this hour", "per hour", "per day", "per minute", "recipients from"}
	// noRetry are texts that say retrying will not help.
	noRetry = []string{"will not succeed", "retrying will not", "permanently deferred", "do not retry",
		"don't retry", "not retry"}
	// serverLoad are texts about the server's own state.
	serverLoad = []string{"busy", "resources", "overloaded", "system load", "load average", "out of memory"}
)

// Reply code sets.
var (
	protocolCodes = []Code{CodeSyntaxError, CodeParamSyntaxError, CodeNotImplemented, CodeBadSequence,
		CodeParamNotImplemented}
)

// The rows of the table, group by group, in the order they are tried.
var rules = []rule{
	// Authentication and TLS.
	{group: groupAccess, verbs: vStartTLS,
		source: "RFC 3207 section 4: a reply to STARTTLS reports on TLS itself (454 TLS not available), not a requirement"},
	{group: groupAccess, enh: []enhPattern{ep(0, SubjectPolicy, 30)},
		source: "RFC 8689 section 5: X.7.30 REQUIRETLS support required is about a later hop, not this connection"},
	{group: groupAccess, kinds: kindTLSRequired, verbs: vAuth, codes: []Code{CodeEncryptionNeeded, CodeEncryptionRequired},
		source: "RFC 4954 section 6 (538), RFC 5248 (523 X.7.10)"},
	{group: groupAccess, kinds: kindTLSRequired, verbs: vAuth, enh: []enhPattern{ep(0, SubjectPolicy, 10), ep(0, SubjectPolicy, 11)},
		source: "RFC 4954 section 6, RFC 5248: X.7.10, X.7.11"},
	{group: groupAccess, verbs: vAuth, codes: []Code{CodeParamNotImplemented},
		source: "RFC 4954 section 4: 504 unrecognized mechanism is not a failed authentication"},
	{group: groupAccess, verbs: vAuth, codes: []Code{CodeSyntaxError, CodeParamSyntaxError, CodeBadSequence},
		source: "RFC 4954 section 4: 501 cancelled or malformed exchange, 503 already authenticated, 500 line too long"},
	{group: groupAccess, kinds: kindAuthFailed | kindMechanismTooWeak, verbs: vs(verbAuth, verbUnknown), codes: []Code{CodeMechanismTooWeak},
		source: "RFC 4954 section 6: 534 5.7.9"},
	{group: groupAccess, kinds: kindAuthFailed | kindMechanismTooWeak, verbs: vAuth, enh: []enhPattern{ep(0, SubjectPolicy, 9)},
		source: "RFC 4954 section 6: X.7.9; Gmail 534 5.7.9 Application-specific password required"},
	{group: groupAccess, kinds: kindAuthFailed | kindPasswordTransition, verbs: vAuth, codes: []Code{CodePasswordTransition},
		source: "RFC 4954 section 6: 432 4.7.12"},
	{group: groupAccess, kinds: kindAuthFailed | kindPasswordTransition, verbs: vAuth, enh: []enhPattern{ep(0, SubjectPolicy, 12)},
		source: "RFC 4954 section 6: X.7.12"},
	{group: groupAccess, kinds: kindAuthFailed | kindPasswordTransition, verbs: vUnknown, enh: []enhPattern{ep(0, SubjectPolicy, 12)},
		text:   []string{"password", "transition", "mechanism"},
		source: "RFC 4954 section 6: X.7.12 quoted in a log; not Microsoft's 550 5.7.12 sender was not authenticated (a group restriction)"},
	{group: groupAccess, kinds: kindAuthFailed, verbs: vs(verbAuth, verbUnknown), codes: []Code{CodeAuthCredentialsInvalid, CodeAccountDisabled},
		source: "RFC 4954 section 6 (535 5.7.8), RFC 5248 (525 5.7.13 user account disabled)"},
	{group: groupAccess, kinds: kindAuthFailed, verbs: vAuth, enh: []enhPattern{ep(0, SubjectPolicy, 8), ep(0, SubjectPolicy, 13)},
		source: "RFC 4954 section 6 (X.7.8), RFC 5248 (X.7.13)"},
	{group: groupAccess, kinds: kindAuthFailed | kindAuthTemporary, verbs: vAuth, class: ClassTransient, codes: []Code{CodeTempAuthFailure},
		source: "RFC 4954 section 6: 454 4.7.0 temporary authentication failure"},
	{group: groupAccess, kinds: kindAuthFailed | kindAuthTemporary, verbs: vUnknown, codes: []Code{CodeTempAuthFailure}, text: []string{"authenticat"},
		source: "RFC 4954 section 6: 454 4.7.0 Temporary authentication failure, quoted in a log"},
	{group: groupAccess, verbs: vAuth, codes: []Code{CodeServiceNotAvailable},
		source: "RFC 5321 section 4.2.3: 421 closes the session, whatever the command"},
	{group: groupAccess, kinds: kindAuthFailed | kindAuthTemporary, verbs: vAuth, class: ClassTransient,
		source: "RFC 4954 section 4: any 4yz to AUTH is a failed exchange (Exim 435 Unable to authenticate at present)"},
	{group: groupAccess, kinds: kindAuthFailed, verbs: vAuth, class: ClassPermanent, enh: []enhPattern{ep(0, SubjectPolicy, anyDetail)},
		source: "Microsoft 365: 535 5.7.3 / 5.7.139 Authentication unsuccessful"},
	{group: groupAccess, kinds: kindAuthFailed | kindMechanismTooWeak, verbs: vUnknown, enh: []enhPattern{ep(0, SubjectPolicy, 9)},
		text:   []string{"authenticat", "mechanism", "password", "credential"},
		source: "RFC 4954 section 6: X.7.9, quoted in a log with a text about authentication"},
	{group: groupAccess, kinds: kindAuthFailed, verbs: vUnknown, enh: []enhPattern{ep(0, SubjectPolicy, 8)},
		text:   []string{"authenticat", "password", "credential", "username"},
		source: "RFC 4954 section 6: X.7.8, quoted in a log with a text about authentication"},
	{group: groupAccess, kinds: kindAuthRequired, codes: protocolCodes, text: []string{"authenticate first", "please authenticate", "authentication required", "must authenticate"},
		source: "go-smtp server: 502 5.7.0 Please authenticate first"},
	{group: groupAccess, codes: protocolCodes,
		source: "RFC 5321 section 4.2.4: 500-504 report a syntax or sequence error, whatever enhanced code they carry"},
	{group: groupAccess, kinds: kindTLSRequired, codes: []Code{CodeEncryptionNeeded, CodeEncryptionRequired}, unless: tlsNot,
		source: "RFC 4954 section 6 (538), RFC 5248 (523); not Gmail's 523 5.7.10 SMTP protocol violation, no commands allowed to pipeline after STARTTLS"},
	{group: groupAccess, kinds: kindTLSRequired, enh: []enhPattern{ep(0, SubjectPolicy, 10), ep(0, SubjectPolicy, 11)}, unless: tlsNot,
		source: "RFC 5248: X.7.10 encryption needed, X.7.11 encryption required"},
	{group: groupAccess, kinds: kindTLSRequired, codes: []Code{CodeAuthRequired}, text: tlsPhrases, unless: tlsNot,
		source: "RFC 3207 section 4: 530 5.7.0 Must issue a STARTTLS command first (Postfix, Exim)"},
	{group: groupAccess, kinds: kindAuthRequired, codes: []Code{CodeAuthRequired}, unless: authNot,
		source: "RFC 4954 section 6: 530 5.7.0 Authentication required"},
	{group: groupAccess, kinds: kindAuthRequired, enh: []enhPattern{ep(0, SubjectPolicy, 57)}, verbs: vNotAuth,
		source: "Microsoft 365 (learn.microsoft.com, Exchange Online NDR 5.7.57): Client not authenticated to send mail"},
	{group: groupAccess, kinds: kindTLSRequired, text: tlsPhrases, unless: tlsNot, verbs: vNotAuth,
		source: "Microsoft 365 451 5.7.3 STARTTLS is required; 421 4.7.66 TLS 1.0 and 1.1 are not supported; Gmail 421 4.7.0 TLS required for RCPT domain, 421 4.7.29 not sent over a TLS connection"},
	{group: groupAccess, kinds: kindAuthRequired, text: authPhrases, unless: authNot, verbs: vNotAuth,
		source: "sendmail 550 5.7.1 Relaying denied. Proper authentication required; Exchange 550 5.7.1 Client was not authenticated; Postfix reject_sender_login_mismatch 553 5.7.1 not logged in (src/smtpd/smtpd_check.c)"},

	// Cause of the refusal.
	{group: groupCause, verbs: vs(verbAuth, verbStartTLS),
		source: "replies to AUTH and STARTTLS are about the session (see the first group)"},
	{group: groupCause, codes: protocolCodes, unless: []string{"helo command rejected"},
		source: "RFC 5321 section 4.2.4: 500-504 are syntax and sequence errors (501 5.1.3 Bad recipient address syntax); Postfix's 504 5.5.2 Helo command rejected is a HELO check"},
	{group: groupCause, enh: []enhPattern{ep(0, SubjectProtocol, 3)},
		source: "RFC 3463 X.5.3 too many recipients: a per-transaction limit (Gmail 452 4.5.3 Domain policy size per transaction exceeded)"},
	{group: groupCause, kinds: kindMailboxUnavailable, enh: []enhPattern{ep(0, SubjectNetwork, 1)}, text: []string{"recipient address rejected: access denied"}, verbs: vRecipient,
		source: "Microsoft 365 directory-based edge blocking: 550 5.4.1 Recipient address rejected: Access denied (learn.microsoft.com, Exchange Online NDR 5.4.1)"},
	{group: groupCause, kinds: kindMailboxFull, text: fullPhrases, unless: fullNot, verbs: vEnvelope,
		source: "Gmail 452 4.2.2 over quota; Postfix/Dovecot 552 5.2.2 Mailbox full; Yahoo 552 over quota; Microsoft 554 5.2.2 mailbox full; RFC 5321 552 exceeded storage allocation"},
	{group: groupCause, kinds: kindMessageTooLarge, text: largePhrases, unless: largeNot, verbs: vEnvelope,
		source: "Postfix 552 5.3.4 Message size exceeds fixed limit (src/smtpd/smtpd.c); Exim 552 Message size exceeds maximum permitted; Gmail 552 5.2.3; qmail 552 databytes limit"},
	{group: groupCause, kinds: kindDomainUnavailable, codes: []Code{CodeNoMailService}, text: []string{"does not accept mail", "no mail service", "does not receive mail"},
		source: "RFC 7504 section 3: 521 host does not accept mail"},
	{group: groupCause, kinds: kindDomainUnavailable, text: domainPhrases, verbs: vEnvelope,
		unless: []string{"helo", "ehlo", "client host", "try again", "unable to look up", "temporar"},
		source: "Postfix 450/550 Domain not found, Host or domain name not found (src/smtpd/smtpd_check.c); Gmail 553 5.1.2; Microsoft 550 5.4.4 nonexistent domain; RFC 7505 null MX"},
	{group: groupCause, kinds: kindMailboxUnavailable, text: mailboxPhrases, unless: mailboxNot, verbs: vEnvelope,
		source: "Postfix User unknown in virtual mailbox table; Exim Unrouteable address; qmail no mailbox here by that name; Gmail 550 5.1.1; Yandex 550 5.7.1 No such user!; Comcast Not our Customer; Microsoft RecipientNotFound"},
	{group: groupCause, text: formatPhrases,
		source: "Gmail 550 5.7.1 not RFC 5322 compliant, missing a valid From: header; Yahoo 554 5.7.1 Headers are not RFC compliant; RFC 6531 553 5.6.7 non-ASCII addresses; RFC 5321 553 mailbox name not allowed"},
	{group: groupCause, kinds: kindPolicy, text: relayPhrases,
		source: "Postfix 554 5.7.1 Relay access denied; Exim 550 relay not permitted; qmail 553 not in my list of allowed rcpthosts; Haraka 550 I cannot deliver mail for"},
	{group: groupCause, kinds: kindPolicy, text: policyPhrases, unless: []string{"connection refused"},
		source: "Gmail 550 5.7.1 unsolicited, 5.7.26 SPF/DKIM/DMARC; Microsoft 5.7.606-649 banned IP; Yahoo 553 5.7.1 [BL21]; Spamhaus listings; Postfix client host rejected; Exim administrative prohibition"},
	{group: groupCause, kinds: kindMailboxFull, enh: []enhPattern{ep(0, SubjectMailbox, 2)}, verbs: vEnvelope,
		source: "RFC 3463 X.2.2 mailbox full"},
	{group: groupCause, kinds: kindMessageTooLarge, enh: []enhPattern{ep(0, SubjectMailSystem, 4), ep(0, SubjectMailbox, 3), ep(0, SubjectPolicy, 16)}, verbs: vEnvelope,
		source: "RFC 3463 X.3.4 message too big for system, X.2.3 message length exceeds administrative limit; RFC 6710 X.7.16"},
	{group: groupCause, kinds: kindMailboxUnavailable, enh: []enhPattern{ep(0, SubjectAddressing, 1), ep(0, SubjectAddressing, 6), ep(ClassPermanent, SubjectMailbox, 1)}, verbs: vEnvelope,
		source: "RFC 3463 X.1.1 bad destination mailbox, X.1.6 mailbox moved, 5.2.1 mailbox disabled (4.2.1 is Gmail's receiving-rate deferral)"},
	{group: groupCause, kinds: kindDomainUnavailable, enh: []enhPattern{ep(0, SubjectAddressing, 2), ep(0, SubjectAddressing, 10), ep(0, SubjectAddressing, 8), ep(0, SubjectPolicy, 27), ep(ClassPermanent, SubjectNetwork, 4)}, verbs: vEnvelope,
		source: "RFC 3463 X.1.2 bad destination system, X.1.8 bad sender system, 5.4.4 unable to route; RFC 7505 X.1.10 and X.7.27 null MX"},
	{group: groupCause, kinds: kindPolicy, class: ClassPermanent, enh: []enhPattern{ep(0, SubjectPolicy, anyDetail)}, verbs: vNotAuth,
		source: "RFC 3463 X.7.x security or policy status (5.7.1 delivery not authorized, message refused); a 4.7.x with no stated reason is a deferral, not a rejection"},
	{group: groupCause, kinds: kindPolicy, text: senderRejected, verbs: vNotAuth,
		source: "Postfix check_sender_access and reject_unlisted_sender: <addr>: Sender address rejected: ... (src/smtpd/smtpd_check.c 2433, 5420)"},
	{group: groupCause, kinds: kindDomainUnavailable, codes: []Code{CodeDomainNoMail}, verbs: vEnvelope,
		source: "RFC 7504 section 3: 556 domain does not accept mail"},
	{group: groupCause, kinds: kindMailboxUnavailable, codes: []Code{CodeUserNotLocal}, verbs: vRecipient,
		source: "RFC 5321 section 3.4: 551 user not local"},
	{group: groupCause, kinds: kindMessageTooLarge, codes: []Code{CodeExceededStorage}, noEnh: true, verbs: vMessage,
		source: "RFC 1870 section 6: 552 to MAIL FROM with SIZE or after the data"},

	// Rate limiting.
	{group: groupRate, class: ClassPermanent,
		source: "RFC 5321 section 4.2.1: a 5yz is permanent; a sending limit that says 5yz is not a throttle to wait out"},
	{group: groupRate, verbs: vStartTLS,
		source: "RFC 3207 section 4: 454 to STARTTLS is about TLS"},
	{group: groupRate, kinds: kindRateLimited, enh: []enhPattern{ep(ClassTransient, SubjectPolicy, 28)},
		source: "draft-levine-mailbomb-header, IANA registry: X.7.28 mail flood; Gmail 421 4.7.28 unusual rate of unsolicited mail"},
	{group: groupRate, kinds: kindRateLimited, enh: []enhPattern{{ClassTransient, SubjectPolicy, 500, 699}},
		source: "Microsoft 365 (learn.microsoft.com, Fix error code 451 4.7.500-699): access denied for now, throttled by IP reputation or volume"},
	{group: groupRate, text: noRetry,
		source: "Yahoo 421 4.7.0 [TSS09] All messages from ... will be permanently deferred; Retrying will NOT succeed (senders.yahooinc.com/smtp-error-codes)"},
	{group: groupRate, enh: []enhPattern{ep(0, SubjectProtocol, 3)},
		source: "RFC 3463 X.5.3 too many recipients in one transaction"},
	{group: groupRate, text: rateNotCap, unless: rateNotCapUnless,
		source: "Exim smtp_accept_max_per_connection: 421 too many messages in this connection; Yahoo 421 Max message per connection reached; RFC 5321 452 4.5.3 too many recipients"},
	{group: groupRate, text: serverLoad,
		source: "Gmail 421 4.4.5 Server busy; Exim 421 too many connections is a limit, server load is not"},
	{group: groupRate, kinds: kindRateLimited, text: ratePhrases,
		source: "Amazon SES 454 Throttling failure; Gmail 450 4.2.1 receiving mail too quickly; Yahoo 421 4.7.0 [TSS04] temporarily deferred; Postfix 421 too many connections; SendGrid 450 too frequent connects; postgrey Greylisted"},

	// Service closing.
	{group: groupClosing, kinds: kindServiceClosing, codes: []Code{CodeServiceNotAvailable},
		source: "RFC 5321 section 4.2.3: 421 service not available, closing transmission channel"},
}

// matches reports whether every condition of r holds for c.
func (r *rule) matches(c *classifier) bool {
	if r.class != 0 && c.code.Class() != r.class {
		return false
	}
	if !r.verbs.has(c.v) {
		return false
	}
	if r.codes != nil && !hasCode(r.codes, c.code) {
		return false
	}
	if r.noEnh && !c.enhGeneric() {
		return false
	}
	if r.enh != nil {
		ok := false
		for _, p := range r.enh {
			if p.match(c.enh) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if r.text != nil && !c.has(r.text...) {
		return false
	}
	if r.unless != nil && c.has(r.unless...) {
		return false
	}
	return true
}

func hasCode(codes []Code, c Code) bool {
	for _, x := range codes {
		if x == c {
			return true
		}
	}
	return false
}
