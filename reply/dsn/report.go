package dsn

import (
	"strconv"
	"strings"
	"time"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// Format is the kind of message a [Report] was read from.
type Format uint8

// The formats Parse reads.
const (
	// FormatDSN is an RFC 3464 message/delivery-status report.
	FormatDSN Format = iota + 1
	// FormatGlobalDSN is an RFC 6533 message/global-delivery-status
	// report (UTF-8).
	FormatGlobalDSN
	// FormatQmail is a qmail bounce in QSBMF (cr.yp.to/proto/qsbmf.txt),
	// read as a best effort.
	FormatQmail
	// FormatText is a plain-text bounce that quotes the remote server's
	// SMTP reply, read as a best effort.
	FormatText
	// FormatSES is an Amazon SES bounce notification: the JSON document
	// SES publishes to SNS, received as an email.
	FormatSES
)

var formatNames = [...]string{FormatDSN: "dsn", FormatGlobalDSN: "global-dsn", FormatQmail: "qmail", FormatText: "text", FormatSES: "ses"}

// String returns "dsn", "global-dsn", "qmail", "text" or "ses", and "Format(N)"
// for any other value.
func (f Format) String() string {
	if int(f) < len(formatNames) && formatNames[f] != "" {
		return formatNames[f]
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// Action is what the reporting MTA did for a recipient (RFC 3464 section
// 2.3.3). The zero value, ActionUnknown, means the field was missing or
// not one of the five the RFC defines.
type Action uint8

// The actions of RFC 3464.
const (
	ActionUnknown   Action = iota
	ActionFailed           // delivery failed; the MTA gave up
	ActionDelayed          // not delivered yet; the MTA keeps trying
	ActionDelivered        // delivered to the recipient's mailbox
	ActionRelayed          // passed on to a system that sends no reports
	ActionExpanded         // delivered to a list or alias, which passed it on
)

var actionNames = [...]string{ActionUnknown: "unknown", ActionFailed: "failed", ActionDelayed: "delayed",
	ActionDelivered: "delivered", ActionRelayed: "relayed", ActionExpanded: "expanded"}

// String returns the action as RFC 3464 writes it ("failed", "delayed",
// ...), "unknown" for ActionUnknown, and "Action(N)" for any other value.
func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// parseAction reads an action-field value, ignoring case and a trailing
// comment.
func parseAction(v string) Action {
	w := strings.ToLower(firstWord(v))
	for a, n := range actionNames {
		if a != int(ActionUnknown) && w == n {
			return Action(a)
		}
	}
	return ActionUnknown
}

// Address is a typed address of a DSN field (RFC 3464 section 2.3.1):
// "rfc822; user@example.com" is Type "rfc822" and Addr "user@example.com".
// RFC 6533's "utf-8" type holds a UTF-8 address, with \x{HEX} escapes
// decoded. The zero value means the field was absent.
type Address struct {
	Type string // the address type as sent, such as "rfc822" or "utf-8"
	Addr string // the address, without angle brackets
}

// IsZero reports whether a is the zero Address.
func (a Address) IsZero() bool { return a == Address{} }

// MTA is a typed host name of a DSN field (RFC 3464 section 2.2.2):
// "dns; mx.example.com" is Type "dns" and Name "mx.example.com". The zero
// value means the field was absent.
type MTA struct {
	Type string // the name type as sent, such as "dns"
	Name string // the name, without a trailing comment
}

// IsZero reports whether m is the zero MTA.
func (m MTA) IsZero() bool { return m == MTA{} }

// Field is one field of a report as it was read: the name as sent and the
// value unfolded, with leading and trailing white space removed.
type Field struct {
	Name  string
	Value string
}

// Diagnostic is a recipient's Diagnostic-Code field (RFC 3464 section
// 2.3.6), or for a best-effort report the reply quoted in the text.
type Diagnostic struct {
	// Type is the diagnostic type as sent, such as "smtp", "X-Postfix"
	// or "X-Unix"; empty when the field had none, or was absent.
	Type string
	// Text is the diagnostic as sent, unfolded.
	Text string
	// Reply is the SMTP reply of an "smtp" diagnostic (or of any
	// diagnostic whose text is an SMTP reply), its lines split where the
	// MTA folded a multi-line reply into one field. Its Code is zero when
	// the diagnostic holds no reply.
	Reply reply.Reply
	// Command is the SMTP command the reply answered, when the report
	// says ("in reply to RCPT TO command", "SMTP error from remote mail
	// server after RCPT TO"), as the reply package names commands
	// (reply.CommandRcpt, ...); empty when it does not.
	Command string
}

// Recipient is the report on one recipient (RFC 3464 section 2.3).
type Recipient struct {
	FinalRecipient    Address // the address the reporting MTA tried
	OriginalRecipient Address // the address the sender gave (ORCPT), if reported
	Action            Action
	// Status is the RFC 3463 status code; the zero EnhancedCode when it
	// was missing or malformed (then Problems says so).
	Status     reply.EnhancedCode
	RemoteMTA  MTA
	Diagnostic Diagnostic
	// LastAttemptDate and WillRetryUntil are the zero Time when absent.
	LastAttemptDate time.Time
	WillRetryUntil  time.Time
	FinalLogID      string
	// Fields are all the recipient's fields in order, unknown ones
	// included.
	Fields []Field
}

// Report is a delivery status notification, read by [Parse].
type Report struct {
	Format Format
	// ReportingMTA is the MTA that wrote the report.
	ReportingMTA    MTA
	DSNGateway      MTA
	ReceivedFromMTA MTA
	ArrivalDate     time.Time
	// OriginalEnvelopeID is the ENVID the sender gave with MAIL FROM
	// (client.MailOptions.EnvelopeID), xtext decoded; empty when absent.
	OriginalEnvelopeID string
	// Original holds headers of the message that bounced, from the
	// report's text/rfc822-headers or message/rfc822 part.
	Original Original
	// Recipients has one entry per reported recipient, in order.
	Recipients []Recipient
	// Fields are all the per-message fields in order, unknown ones
	// included.
	Fields []Field
	// Problems lists what could not be parsed ([*FieldError],
	// [*LimitError]); the rest of the report stands.
	Problems []error
}

// Original is what a report returns of the message that bounced.
type Original struct {
	MessageID string // without angle brackets
	Subject   string // decoded (RFC 2047)
	From      string
	To        string
	Date      time.Time
}

// BestEffort reports whether r was read from a bounce that is not a
// standard DSN (qmail, plain text): its actions and status codes were
// inferred from the text.
func (r *Report) BestEffort() bool {
	return r.Format == FormatQmail || r.Format == FormatText
}

// Failed returns the recipients whose Action is failed.
func (r *Report) Failed() []*Recipient {
	var out []*Recipient
	for i := range r.Recipients {
		if r.Recipients[i].Action == ActionFailed {
			out = append(out, &r.Recipients[i])
		}
	}
	return out
}

// firstWord returns v up to its first space, tab, '(' or ';'.
func firstWord(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, " \t(;"); i >= 0 {
		v = v[:i]
	}
	return v
}
