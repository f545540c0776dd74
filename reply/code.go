package reply

import "strconv"

// Code is a three-digit SMTP reply code (RFC 5321 section 4.2).
// The zero value is not a valid code and means "no reply".
//
// Only codes matching [2-5][0-5][0-9] are valid reply codes; see [Code.Valid].
type Code uint16

// Reply codes defined by RFC 5321 section 4.2.2 and 4.2.3.
const (
	CodeSystemStatus          Code = 211 // system status, or system help reply
	CodeHelpMessage           Code = 214 // help message
	CodeServiceReady          Code = 220 // <domain> service ready
	CodeServiceClosing        Code = 221 // <domain> service closing transmission channel
	CodeOK                    Code = 250 // requested mail action okay, completed
	CodeWillForward           Code = 251 // user not local; will forward to <forward-path>
	CodeCannotVerify          Code = 252 // cannot VRFY user, but will accept message and attempt delivery
	CodeStartMailInput        Code = 354 // start mail input; end with <CRLF>.<CRLF>
	CodeServiceNotAvailable   Code = 421 // service not available, closing transmission channel
	CodeMailboxBusy           Code = 450 // mailbox unavailable (busy or temporarily blocked)
	CodeLocalError            Code = 451 // requested action aborted: local error in processing
	CodeInsufficientStorage   Code = 452 // insufficient system storage
	CodeParamsNotAccommodated Code = 455 // server unable to accommodate parameters
	CodeSyntaxError           Code = 500 // syntax error, command unrecognized (also "line too long")
	CodeParamSyntaxError      Code = 501 // syntax error in parameters or arguments
	CodeNotImplemented        Code = 502 // command not implemented
	CodeBadSequence           Code = 503 // bad sequence of commands
	CodeParamNotImplemented   Code = 504 // command parameter not implemented
	CodeMailboxUnavailable    Code = 550 // mailbox unavailable (not found, no access, or rejected for policy)
	CodeUserNotLocal          Code = 551 // user not local; please try <forward-path>
	CodeExceededStorage       Code = 552 // exceeded storage allocation (also message too large, RFC 1870)
	CodeMailboxNameInvalid    Code = 553 // mailbox name not allowed (syntax incorrect)
	CodeTransactionFailed     Code = 554 // transaction failed (or, as a greeting, no SMTP service here)
	CodeParamsNotRecognized   Code = 555 // MAIL FROM/RCPT TO parameters not recognized or not implemented
)

// Reply codes defined by RFC 4954 (SMTP AUTH) and RFC 3207 (STARTTLS).
const (
	CodeAuthSucceeded          Code = 235 // authentication successful
	CodeAuthContinue           Code = 334 // server challenge (base64), continue the exchange
	CodePasswordTransition     Code = 432 // a password transition is needed
	CodeTempAuthFailure        Code = 454 // temporary authentication failure (or TLS not available, RFC 3207)
	CodeAuthRequired           Code = 530 // authentication required (or "must issue a STARTTLS command first", RFC 3207)
	CodeMechanismTooWeak       Code = 534 // authentication mechanism is too weak
	CodeAuthCredentialsInvalid Code = 535 // authentication credentials invalid
	CodeEncryptionRequired     Code = 538 // encryption required for requested authentication mechanism
)

// Reply codes defined by RFC 7504 and RFC 5248. RFC 1870 (SIZE) uses 452
// and 552, RFC 3207 (STARTTLS) 454 and 530, RFC 3030 (CHUNKING) and
// RFC 8689 (REQUIRETLS) define no new basic codes, only enhanced ones.
const (
	CodeNoMailService    Code = 521 // host does not accept mail (RFC 7504)
	CodeEncryptionNeeded Code = 523 // encryption needed (RFC 5248, enhanced code X.7.10)
	CodeAccountDisabled  Code = 525 // user account disabled (RFC 5248, enhanced code X.7.13)
	CodeDomainNoMail     Code = 556 // domain does not accept mail (RFC 7504)
)

var codeNames = map[Code]string{
	CodeSystemStatus:           "CodeSystemStatus",
	CodeHelpMessage:            "CodeHelpMessage",
	CodeServiceReady:           "CodeServiceReady",
	CodeServiceClosing:         "CodeServiceClosing",
	CodeOK:                     "CodeOK",
	CodeWillForward:            "CodeWillForward",
	CodeCannotVerify:           "CodeCannotVerify",
	CodeStartMailInput:         "CodeStartMailInput",
	CodeServiceNotAvailable:    "CodeServiceNotAvailable",
	CodeMailboxBusy:            "CodeMailboxBusy",
	CodeLocalError:             "CodeLocalError",
	CodeInsufficientStorage:    "CodeInsufficientStorage",
	CodeParamsNotAccommodated:  "CodeParamsNotAccommodated",
	CodeSyntaxError:            "CodeSyntaxError",
	CodeParamSyntaxError:       "CodeParamSyntaxError",
	CodeNotImplemented:         "CodeNotImplemented",
	CodeBadSequence:            "CodeBadSequence",
	CodeParamNotImplemented:    "CodeParamNotImplemented",
	CodeMailboxUnavailable:     "CodeMailboxUnavailable",
	CodeUserNotLocal:           "CodeUserNotLocal",
	CodeExceededStorage:        "CodeExceededStorage",
	CodeMailboxNameInvalid:     "CodeMailboxNameInvalid",
	CodeTransactionFailed:      "CodeTransactionFailed",
	CodeParamsNotRecognized:    "CodeParamsNotRecognized",
	CodeAuthSucceeded:          "CodeAuthSucceeded",
	CodeAuthContinue:           "CodeAuthContinue",
	CodePasswordTransition:     "CodePasswordTransition",
	CodeTempAuthFailure:        "CodeTempAuthFailure",
	CodeAuthRequired:           "CodeAuthRequired",
	CodeMechanismTooWeak:       "CodeMechanismTooWeak",
	CodeAuthCredentialsInvalid: "CodeAuthCredentialsInvalid",
	CodeEncryptionRequired:     "CodeEncryptionRequired",
	CodeNoMailService:          "CodeNoMailService",
	CodeEncryptionNeeded:       "CodeEncryptionNeeded",
	CodeAccountDisabled:        "CodeAccountDisabled",
	CodeDomainNoMail:           "CodeDomainNoMail",
}

// Valid reports whether c is a reply code: three digits, the first 2 to 5,
// the second 0 to 5 (RFC 5321 section 4.2).
func (c Code) Valid() bool {
	return c >= 200 && c <= 559 && (c/10)%10 <= 5
}

// Class returns the class of c (its first digit), or the zero Class if c
// is not [Code.Valid].
func (c Code) Class() Class {
	if !c.Valid() {
		return 0
	}
	return Class(c / 100)
}

// String returns c in decimal, such as "250"; codes below 100 are padded
// with zeros to three digits.
func (c Code) String() string {
	return string(c.appendTo(make([]byte, 0, 5)))
}

// appendTo appends c as String formats it to dst.
func (c Code) appendTo(dst []byte) []byte {
	if c < 1000 {
		return append(dst, byte('0'+c/100), byte('0'+c/10%10), byte('0'+c%10))
	}
	return strconv.AppendUint(dst, uint64(c), 10)
}

// GoString returns c as Go syntax, such as "reply.CodeOK" for a named code
// and "reply.Code(299)" for any other.
func (c Code) GoString() string {
	if name, ok := codeNames[c]; ok {
		return "reply." + name
	}
	return "reply.Code(" + strconv.FormatUint(uint64(c), 10) + ")"
}
