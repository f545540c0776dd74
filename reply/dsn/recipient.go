package dsn

import (
	"github.com/seed-e4e66a4f/smtp/reply"
)

// Err returns nil when the recipient's Action is delivered, relayed or
// expanded, and a [*RecipientError] otherwise (failed, delayed, or an
// unknown action with a failure status). The error wraps a
// [*reply.Error] so that the predicates of package reply,
// [reply.RetryFor] and [reply.Error.Explain] answer for the recipient as
// they do for the same refusal in a live session:
//
//   - the diagnostic's SMTP reply when there is one, with the command it
//     answered when the report says, and the Status as its enhanced code
//     when the reply carries none;
//   - otherwise a reply made from the Status alone: code 451 for a 4.x.x
//     status, 554 for a 5.x.x one (RFC 5321's generic failure codes,
//     which no rule reads a kind from), with the diagnostic text, so that
//     the enhanced code and the text decide the kinds.
//
// A recipient with neither a failure status nor a failure reply (an
// unknown action with a 2.x.x status) gives nil.
func (r *Recipient) Err() error {
	switch r.Action {
	case ActionDelivered, ActionRelayed, ActionExpanded:
		return nil
	}
	re := r.replyError()
	if re == nil {
		return nil
	}
	return &RecipientError{Recipient: r, Reply: re}
}

// replyError builds the reply error Err wraps, or nil when nothing says
// the recipient failed.
func (r *Recipient) replyError() *reply.Error {
	d := &r.Diagnostic
	if class := d.Reply.Code.Class(); class == reply.ClassTransient || class == reply.ClassPermanent {
		rr := d.Reply.Clone()
		if rr.Enhanced.IsZero() && r.Status.Class == class {
			rr = reply.New(rr.Code, r.Status, rr.Text())
		}
		return &reply.Error{Command: d.Command, Reply: rr}
	}
	var code reply.Code
	switch r.Status.Class {
	case reply.ClassTransient:
		code = reply.CodeLocalError
	case reply.ClassPermanent:
		code = reply.CodeTransactionFailed
	default:
		if r.Action != ActionFailed && r.Action != ActionDelayed {
			return nil
		}
		// A failure with no usable status: the class from the action.
		code = reply.CodeTransactionFailed
		if r.Action == ActionDelayed {
			code = reply.CodeLocalError
		}
	}
	return &reply.Error{Command: d.Command, Reply: reply.New(code, r.Status, d.Text)}
}

// RecipientError is a failed or delayed recipient of a report, as an
// error. It wraps the recipient's reply as a [*reply.Error].
type RecipientError struct {
	Recipient *Recipient
	Reply     *reply.Error
}

// Error returns a message such as
//
//	dsn: user@example.com: failed: smtp: RCPT TO: 550 5.1.1 User unknown
//
// with the server's text escaped as in [reply.Error.Error].
func (e *RecipientError) Error() string {
	addr := e.Recipient.FinalRecipient.Addr
	if addr == "" {
		addr = e.Recipient.OriginalRecipient.Addr
	}
	return "dsn: " + addr + ": " + e.Recipient.Action.String() + ": " + e.Reply.Error()
}

// Unwrap returns the recipient's reply error, so that errors.Is,
// errors.As and the predicates of package reply see it.
func (e *RecipientError) Unwrap() error { return e.Reply }
