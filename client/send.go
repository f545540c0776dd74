package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// Envelope is what [Client.Send] and [SendMail] tell the server about a
// message: its sender and recipients (RFC 5321 section 2.3.1) and the
// parameters of MAIL FROM and RCPT TO.
type Envelope struct {
	// From is the reverse-path, the address bounces go to; empty sends the
	// null reverse-path "<>".
	From string
	// To lists the recipients, at least one.
	To []string
	// MailOptions are the parameters of MAIL FROM; nil means none. Send
	// uses DATA, so Body must not be BodyBinaryMIME.
	MailOptions *MailOptions
	// RcptOptions are the parameters of every RCPT TO (such as DSN
	// NOTIFY); nil means none. For parameters that differ by recipient,
	// such as ORCPT, use [Client.Mail], [Client.Rcpt] and [Client.Data].
	RcptOptions *RcptOptions
	// RequireAllRecipients aborts the transaction with RSET, sending no
	// message, when the server refuses any recipient. False (the default)
	// delivers to the recipients it accepted.
	RequireAllRecipients bool
}

// DeliveryState is the outcome of [Client.Send] as far as the client can
// know it. The zero value is DeliveryRejected.
type DeliveryState uint8

// The delivery states.
const (
	// DeliveryRejected: no recipient got the message. The server refused
	// the sender, every recipient, DATA or the message itself, or the
	// session failed before the final "." was sent, or nothing was sent
	// at all (invalid input). The error says which and whether a retry
	// can help ([reply.RetryFor]).
	DeliveryRejected DeliveryState = iota
	// DeliveryComplete: the server accepted the message for every
	// recipient (a 2xx reply to the final "."), and took responsibility
	// for delivering it.
	DeliveryComplete
	// DeliveryPartial: the server accepted the message for some
	// recipients and refused the others at RCPT TO. Sending it again to
	// everyone would duplicate it: retry only the refused recipients.
	DeliveryPartial
	// DeliveryUnknown: the connection was lost, timed out or was
	// cancelled after the final "." and before the server's reply. The
	// server may have queued the message; the error matches
	// [ErrDeliveryUnknown]. It is never retried automatically, so no
	// duplicate is ever sent.
	DeliveryUnknown
)

// String returns "rejected", "delivered", "partially delivered" or
// "unknown".
func (s DeliveryState) String() string {
	switch s {
	case DeliveryRejected:
		return "rejected"
	case DeliveryComplete:
		return "delivered"
	case DeliveryPartial:
		return "partially delivered"
	case DeliveryUnknown:
		return "unknown"
	}
	return "DeliveryState(" + strconv.Itoa(int(s)) + ")"
}

// Result is what the server answered to a message sent with [Client.Send]
// or [SendMail]. Replies the server did not send are zero.
type Result struct {
	// State is the outcome.
	State DeliveryState
	// Mail is the reply to MAIL FROM.
	Mail reply.Reply
	// Recipients holds one entry per recipient of the envelope, in order.
	Recipients []RecipientResult
	// Final is the reply to the final "." of the message; with most
	// servers its text carries the queue id, as in Postfix's
	// "250 2.0.0 Ok: queued as 4F2A1C0123".
	Final reply.Reply
	// Auth is the server's 235 reply when Send authenticated by itself.
	Auth reply.Reply
	// Recovered lists the errors Send overcame before the final attempt
	// by authenticating or starting TLS and sending the transaction again,
	// such as a 530 "authentication required" to MAIL FROM.
	Recovered []error
}

// Accepted returns the recipients the server accepted at RCPT TO.
func (r *Result) Accepted() []string {
	var out []string
	for _, rr := range r.Recipients {
		if rr.Err == nil && rr.Reply.Code.Class() == reply.ClassSuccess {
			out = append(out, rr.Address)
		}
	}
	return out
}

// RecipientResult is the server's answer to one RCPT TO.
type RecipientResult struct {
	// Address is the recipient, as given in the envelope.
	Address string
	// Reply is the server's reply; zero when the command was not sent.
	Reply reply.Reply
	// Err is nil when the server accepted the recipient, and otherwise a
	// [*RecipientError].
	Err error
}

// RecipientError is a recipient that the server refused at RCPT TO.
type RecipientError struct {
	// Address is the recipient, as given in the envelope.
	Address string
	// Err is the server's refusal, a [*reply.Error] with Command
	// "RCPT TO", or the reason the command was not sent.
	Err error
}

// Error returns a message like "smtp: recipient <a@example.com>: RCPT TO:
// 550 5.1.1 No such user".
func (e *RecipientError) Error() string {
	msg := "unknown error"
	if e.Err != nil {
		msg = strings.TrimPrefix(e.Err.Error(), "smtp: ")
	}
	return "smtp: recipient <" + e.Address + ">: " + msg
}

// Unwrap returns e.Err, so that the reply predicates (such as
// [reply.IsMailboxUnavailable]) see the server's reply.
func (e *RecipientError) Unwrap() error { return e.Err }

// RecipientsError reports the recipients the server refused, when it
// refused all of them, or some of them (partial delivery, or a transaction
// aborted by Envelope.RequireAllRecipients). errors.Is and errors.As find
// each [*RecipientError], and through it each [*reply.Error].
type RecipientsError struct {
	// Refused lists the refused recipients in envelope order.
	Refused []*RecipientError
	// Total is the number of recipients in the envelope.
	Total int
}

// Error returns a message like "smtp: 1 of 2 recipients refused: recipient
// <b@example.com>: RCPT TO: 550 5.1.1 No such user".
func (e *RecipientsError) Error() string {
	var b strings.Builder
	b.WriteString("smtp: ")
	b.WriteString(strconv.Itoa(len(e.Refused)))
	b.WriteString(" of ")
	b.WriteString(strconv.Itoa(e.Total))
	b.WriteString(" recipients refused")
	for i, r := range e.Refused {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(strings.TrimPrefix(r.Error(), "smtp: "))
	}
	return b.String()
}

// Unwrap returns the [*RecipientError] values.
func (e *RecipientsError) Unwrap() []error {
	out := make([]error, len(e.Refused))
	for i, r := range e.Refused {
		out[i] = r
	}
	return out
}

// Retry returns [reply.RetryLater] when every refusal is transient (4xx),
// and [reply.RetryNever] otherwise. After a partial delivery the advice is
// about the refused recipients only.
func (e *RecipientsError) Retry() reply.Retry {
	if len(e.Refused) == 0 {
		return reply.RetryNever
	}
	for _, r := range e.Refused {
		if !reply.IsTemporary(r) {
			return reply.RetryNever
		}
	}
	return reply.RetryLater
}

// Send sends one message on a connected client: MAIL FROM, one RCPT TO per
// recipient, DATA and body, and returns the server's replies and the
// outcome. When the server advertised PIPELINING (RFC 2920) the envelope
// and DATA go in a single round trip (DATA waits for the RCPT replies when
// Envelope.RequireAllRecipients is set). body is read to its end after the
// server's 354; it is sent as [Client.Data] sends it (line endings
// normalised to CRLF, dot-stuffed).
//
// Send recovers by itself from two refusals of MAIL FROM, RCPT TO or DATA,
// once each, and lists them in Result.Recovered:
//
//   - 530 "authentication required" ([reply.IsAuthRequired]) with
//     Options.Auth set: it ends the transaction with RSET (when MAIL FROM
//     was accepted), authenticates as [Client.Auth] does and sends the
//     transaction again. Without credentials it returns the
//     [*reply.Error], whose [reply.RetryFor] advice is
//     [reply.RetryAfterAuth]. When authentication fails it returns an
//     error matching both Auth's error (first, for errors.As and
//     RetryFor) and the 530.
//   - 530 "must issue a STARTTLS command first" ([reply.IsTLSRequired]) on
//     a [TLSOpportunistic] session without TLS whose server offers
//     STARTTLS: it ends the transaction as above, sends STARTTLS, says
//     EHLO again and sends the transaction again.
//
// Recipients the server refuses are reported in Result.Recipients and, as
// a [*RecipientsError], in the error. The message goes to the accepted
// recipients (State [DeliveryPartial]) unless Envelope.RequireAllRecipients
// is set: then Send aborts with RSET.
//
// The error is nil only for [DeliveryComplete]. Otherwise it is an
// [*InputError] or [*UnsupportedError] before anything is sent, a
// [*reply.Error] (Command "MAIL FROM", "DATA" or "end of data"), a
// [*RecipientsError], an error matching [ErrDeliveryUnknown] (State
// [DeliveryUnknown]), the error of reading body (the message is abandoned
// and the connection closed, so the server discards it), or the errors of
// a broken connection (see [Client]).
func (c *Client) Send(ctx context.Context, env *Envelope, body io.Reader) (Result, error) {
	var res Result
	if env == nil || len(env.To) == 0 {
		return res, &InputError{Field: "to", Reason: "no recipients"}
	}
	if body == nil {
		return res, &InputError{Field: "body", Reason: "nil reader"}
	}
	if env.MailOptions != nil && env.MailOptions.Body == BodyBinaryMIME {
		return res, &InputError{Field: "BODY", Value: "BINARYMIME", Reason: "Send uses DATA; a BINARYMIME message needs BDAT"}
	}
	var recovered []error
	var auth reply.Reply
	authTried, tlsTried := false, false
	for {
		res, trigger, err := c.transact(ctx, env, body)
		res.Recovered, res.Auth = recovered, auth
		if trigger == nil || c.err != nil || c.closed {
			return res, err
		}
		switch {
		case !authTried && len(c.opts.Auth) > 0 && reply.IsAuthRequired(trigger):
			authTried = true
			r, aerr := c.Auth(ctx)
			if aerr != nil {
				return res, &autoAuthError{err: aerr, cause: trigger}
			}
			auth, res.Auth = r, r
		case !tlsTried && reply.IsTLSRequired(trigger) && c.mode == TLSOpportunistic &&
			c.tlsState == nil && c.ext.StartTLS():
			tlsTried = true
			if err := c.upgrade(ctx); err != nil {
				return res, err
			}
			if c.tlsState == nil {
				// The server refused STARTTLS again.
				return res, err
			}
		default:
			return res, err
		}
		recovered = append(recovered, trigger)
	}
}

// autoAuthError is a failed authentication that Send attempted after an
// "authentication required" refusal: both errors, the authentication's
// first.
type autoAuthError struct {
	err   error // from Auth
	cause error // the 530 that asked for it
}

func (e *autoAuthError) Error() string {
	return e.err.Error() + " (authenticating after: " + strings.TrimPrefix(e.cause.Error(), "smtp: ") + ")"
}

func (e *autoAuthError) Unwrap() []error { return []error{e.err, e.cause} }

// upgrade runs STARTTLS (and EHLO) on an opportunistic session.
func (c *Client) upgrade(ctx context.Context) error {
	stop, err := c.enter(ctx)
	if err != nil {
		return err
	}
	return c.leave(ctx, stop, "STARTTLS", c.startTLS(ctx))
}

// transact runs one mail transaction. See Send. When nothing was delivered
// because of a refusal that authenticating or starting TLS may overcome,
// trigger is that refusal; the transaction is then closed (RSET).
func (c *Client) transact(ctx context.Context, env *Envelope, body io.Reader) (res Result, trigger, err error) {
	res = Result{Recipients: make([]RecipientResult, len(env.To))}
	for i, to := range env.To {
		res.Recipients[i].Address = to
	}
	stop, err := c.enter(ctx)
	if err != nil {
		return res, nil, err
	}
	fail := func(verb string, err error) (Result, error, error) {
		return res, nil, c.leave(ctx, stop, verb, err)
	}

	// Check every line before sending any, so that invalid input leaves
	// nothing half-sent.
	tx, err := c.mailLine(env.From, env.MailOptions)
	if err != nil {
		return fail("MAIL FROM", err)
	}
	c.tx = tx // rcptLine reads tx.utf8
	for _, to := range env.To {
		if err := c.rcptLine(to, env.RcptOptions); err != nil {
			c.tx = txState{}
			return fail("RCPT TO", err)
		}
	}

	pipe := c.ext.Pipelining()
	withData := pipe && !env.RequireAllRecipients
	mailExp := expect{verb: "MAIL FROM", stage: stageMail}
	rcptExp := expect{verb: "RCPT TO", stage: stageRcpt}
	dataExp := expect{verb: "DATA", stage: stageDataInit, want: wantData}
	if pipe {
		c.mailLine(env.From, env.MailOptions)
		c.queue(ctx, mailExp, c.line)
		for _, to := range env.To {
			c.rcptLine(to, env.RcptOptions)
			c.queue(ctx, rcptExp, c.line)
		}
		if withData {
			c.queue(ctx, dataExp, c.cmdLine("DATA", ""))
		}
		if err := c.flush(ctx); err != nil {
			return fail("MAIL FROM", err)
		}
	}

	// MAIL FROM
	if !pipe {
		c.mailLine(env.From, env.MailOptions)
		if err := c.send(ctx, mailExp, c.line); err != nil {
			return fail("MAIL FROM", err)
		}
	}
	r, mailErr := c.next(ctx)
	if r != nil {
		res.Mail = r.Clone()
	}
	if c.err != nil {
		return fail("MAIL FROM", mailErr)
	}
	if mailErr != nil {
		c.tx = txState{}
	}

	// RCPT TO
	var refused []*RecipientError
	var rcptTrigger error
	for i, to := range env.To {
		if !pipe {
			if mailErr != nil {
				break
			}
			c.rcptLine(to, env.RcptOptions)
			if err := c.send(ctx, rcptExp, c.line); err != nil {
				return fail("RCPT TO", err)
			}
		}
		r, err := c.next(ctx)
		if r != nil {
			res.Recipients[i].Reply = r.Clone()
		}
		if c.err != nil {
			return fail("RCPT TO", err)
		}
		if err != nil {
			re := &RecipientError{Address: to, Err: err}
			res.Recipients[i].Err = re
			refused = append(refused, re)
			if rcptTrigger == nil && canRecover(err) {
				rcptTrigger = err
			}
		}
	}
	accepted := len(env.To) - len(refused)
	if mailErr != nil {
		accepted = 0
	}

	// DATA
	var dataR *reply.Reply
	var dataErr error
	if withData {
		dataR, dataErr = c.next(ctx)
		if c.err != nil {
			return fail("DATA", dataErr)
		}
	}
	var rcptErr error
	if len(refused) > 0 && mailErr == nil {
		rcptErr = &RecipientsError{Refused: refused, Total: len(env.To)}
	}
	if mailErr != nil || accepted == 0 || (env.RequireAllRecipients && len(refused) > 0) {
		if withData && dataErr == nil {
			// 354 with no transaction or no recipient: RFC 2920 section
			// 3.1 forbids it, and the only way out without sending a
			// message is to drop the connection.
			return fail("DATA", c.unexpected(dataExp, dataR))
		}
		if mailErr == nil {
			// Close the transaction (no RSET is needed when MAIL failed).
			if _, err := c.roundTrip(ctx, expect{verb: "RSET", stage: stageCommand}, c.cmdLine("RSET", "")); c.err != nil {
				return fail("RSET", err)
			}
			c.tx = txState{}
		}
		err := mailErr
		trigger = mailErr
		if err == nil {
			err = rcptErr
			if accepted == 0 {
				trigger = rcptTrigger
			}
		}
		if !canRecover(trigger) {
			trigger = nil
		}
		return res, trigger, c.leave(ctx, stop, "MAIL FROM", err)
	}
	if !withData {
		_, dataErr = c.roundTrip(ctx, dataExp, c.cmdLine("DATA", ""))
		if c.err != nil {
			return fail("DATA", dataErr)
		}
	}
	if dataErr != nil {
		// The transaction stays open after a refused DATA: clear it.
		if canRecover(dataErr) {
			trigger = dataErr
		}
		if _, err := c.roundTrip(ctx, expect{verb: "RSET", stage: stageCommand}, c.cmdLine("RSET", "")); c.err != nil {
			return fail("RSET", err)
		}
		c.tx = txState{}
		return res, trigger, c.leave(ctx, stop, "DATA", dataErr)
	}

	// 354: the body. From here on the DataWriter owns stop.
	w, err := c.dataStart(ctx, stop)
	if err != nil {
		return res, nil, err
	}
	if _, err := w.ReadFrom(body); err != nil && w.err == nil {
		// body failed: the message cannot be completed, and ending it
		// would deliver a truncated one. Drop the connection instead.
		w.setErr(fmt.Errorf("reading the message body: %w", err))
	}
	err = w.Close()
	res.Final = w.Reply()
	switch {
	case err == nil && rcptErr == nil:
		res.State = DeliveryComplete
	case err == nil:
		res.State = DeliveryPartial
		err = rcptErr
	case errors.Is(err, ErrDeliveryUnknown):
		res.State = DeliveryUnknown
	}
	return res, nil, err
}

// canRecover reports whether Send may overcome err by authenticating or
// starting TLS.
func canRecover(err error) bool {
	return err != nil && (reply.IsAuthRequired(err) || reply.IsTLSRequired(err))
}

// send queues line and flushes it (no pipelining).
func (c *Client) send(ctx context.Context, exp expect, line []byte) error {
	if err := c.queue(ctx, exp, line); err != nil {
		return err
	}
	return c.flush(ctx)
}
