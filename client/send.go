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
	// MailOptions are the parameters of MAIL FROM; nil means none. A
	// Body of BodyBinaryMIME makes Send use BDAT whatever UseDATA says,
	// and send the body unchanged; it needs the BINARYMIME and CHUNKING
	// extensions.
	MailOptions *MailOptions
	// RcptOptions are the parameters of every RCPT TO (such as DSN
	// NOTIFY); nil means none. For parameters that differ by recipient,
	// such as ORCPT, use [Client.Mail], [Client.Rcpt] and [Client.Data].
	RcptOptions *RcptOptions
	// RequireAllRecipients aborts the transaction with RSET, sending no
	// message, when the server refuses any recipient. False (the default)
	// delivers to the recipients it accepted.
	RequireAllRecipients bool
	// UseDATA sends the message after DATA even when the server
	// advertises CHUNKING. False (the default) sends it with BDAT
	// (RFC 3030; see [Client.BDAT]) whenever the server offers CHUNKING,
	// as fewer round trips and no dot-stuffing make it the faster way, and
	// with DATA otherwise. See also Options.DisableChunking.
	UseDATA bool
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

// Send sends one message on a connected client: MAIL FROM, one RCPT TO per
// recipient, then the body in BDAT chunks when the server offers CHUNKING
// (unless Envelope.UseDATA or Options.DisableChunking says otherwise) or
// after DATA, and returns the server's replies and the outcome.
// body is read to its end; it is sent as [Client.Data] or [Client.BDAT]
// sends it: line endings normalised to CRLF (dot-stuffed after DATA), or,
// with BODY=BINARYMIME (always sent with BDAT), octet for octet as read.
//
// When the server advertised PIPELINING (RFC 2920) the envelope goes in
// batches of at most 100 commands, each written at once before its replies
// are read; the last batch takes DATA along (or, with BDAT, the first
// chunk: a message smaller than a chunk then needs a single round trip).
// With Envelope.RequireAllRecipients, and with BDAT when Send may have to
// authenticate or start TLS and try again, DATA or the first chunk waits
// for the replies to RCPT TO instead. When the server announced LIMITS
// RCPTMAX (RFC 9422), Send sends at most that many RCPT TO: the recipients
// beyond it are not attempted, and each is reported with a
// [*RecipientLimitError]; send them in another transaction.
//
// When the server refused the end of the previous message on this session
// (a 4xx/5xx reply to the final "."), Send starts with RSET, since some
// servers keep that transaction open (see [DataWriter.Close]): with
// PIPELINING, RSET leaves in the same flight as MAIL FROM and its reply is
// read first; without, it takes one round trip before MAIL FROM. If the
// server refuses RSET, the transaction goes on and the reply to MAIL FROM
// decides (a server that still holds the old transaction refuses it, and
// its 354 to DATA, if any, is never used: the connection is closed).
// After an accepted message Send sends no RSET.
//
// With Options.Auth set and the default [AuthEager], Send first
// authenticates as [Client.Auth] does, unless the session is already
// authenticated; Result.Auth holds the server's 235. When the server does
// not advertise AUTH, Send returns an [*UnsupportedError] for AUTH and
// sends nothing: no credential, no MAIL FROM, no byte of the message.
//
// Send recovers by itself from these refusals, once each, by ending the
// transaction with RSET (when MAIL FROM was accepted), fixing the session
// and sending the transaction again; Result.Recovered lists them:
//
//   - 530 "authentication required" ([reply.IsAuthRequired]) to MAIL FROM,
//     RCPT TO or DATA, with Options.Auth set and [AuthOnDemand]: Send
//     authenticates as [Client.Auth] does. Without credentials it returns
//     the [*reply.Error], whose [reply.RetryFor] advice is
//     [reply.RetryAfterAuth]: a caller can then authenticate with
//     [Client.Auth] and call Send again.
//   - Relay refused: with Options.Auth set and [AuthOnDemand], when the server advertised
//     AUTH, Send has not authenticated yet in this call, MAIL FROM was
//     accepted and the server refused every recipient it sent RCPT TO
//     for, each with a policy refusal, Send authenticates as above. A
//     policy refusal is a reply to RCPT TO with code 550 or 554 and either
//     the enhanced status code 5.7.1, or no enhanced status code and a text
//     that contains "relay" (in any case) together with "denied", "not
//     permitted", "not allowed", "prohibited", "unable to relay" or "do
//     not relay". This is how Postfix's reject_unauth_destination answers
//     an unauthenticated client ("554 5.7.1 <x@example.org>: Relay access
//     denied"), and Exim ("550 5.7.1 Relay not permitted"). Neither
//     recovery is tried when the session is already authenticated
//     ([Client.Authenticated], after [Client.Auth] or an earlier Send):
//     authenticating again cannot help (RFC 4954 answers a second AUTH
//     with 503), so the refusal is returned as it is.
//   - 530 "must issue a STARTTLS command first" ([reply.IsTLSRequired]) on
//     a [TLSOpportunistic] session without TLS whose server offers
//     STARTTLS: it sends STARTTLS and says EHLO again.
//
// When authentication fails, Send returns an error matching both Auth's
// error (first, for errors.As and RetryFor) and the refusal that led to
// it. Send never authenticates twice in one call, so it never loops.
//
// Recipients the server refuses are reported in Result.Recipients and, as
// a [*RecipientsError], in the error. The message goes to the accepted
// recipients (State [DeliveryPartial]) unless Envelope.RequireAllRecipients
// is set: then Send aborts with RSET (and sends nothing when some
// recipients are over the server's RCPTMAX).
//
// The error is nil only for [DeliveryComplete]. Otherwise it is an
// [*InputError] or [*UnsupportedError] before anything is sent, a
// [*reply.Error] (Command "MAIL FROM", "DATA", "end of data", "BDAT" or
// "BDAT LAST"), a [*RecipientsError], an error matching
// [ErrDeliveryUnknown] (State [DeliveryUnknown]), the error of reading
// body (the message is abandoned: after DATA the connection is closed, so
// the server discards it; with BDAT, RSET discards it and the session
// stays usable), or the errors of a broken connection (see [Client]).
func (c *Client) Send(ctx context.Context, env *Envelope, body io.Reader) (Result, error) {
	var res Result
	if env == nil || len(env.To) == 0 {
		return res, &InputError{Field: "to", Reason: "no recipients"}
	}
	if body == nil {
		return res, &InputError{Field: "body", Reason: "nil reader"}
	}
	var recovered []error
	auth, err := c.authFirst(ctx)
	if err != nil {
		return res, err
	}
	authTried, tlsTried := false, false
	for {
		canAuth := !authTried && !c.authed && len(c.opts.Auth) > 0
		canTLS := !tlsTried && c.mode == TLSOpportunistic && c.tlsState == nil && c.ext.StartTLS()
		out := c.transact(ctx, env, body, canAuth || canTLS)
		res, trigger, err := out.res, out.trigger, out.err
		res.Recovered = recovered
		if auth.Code != 0 {
			res.Auth = auth
		}
		if trigger == nil || c.err != nil || c.closed {
			return res, err
		}
		switch {
		case canAuth && (reply.IsAuthRequired(trigger) || (relayRefused(trigger) && c.ext.Has("AUTH"))):
			authTried = true
			r, aerr := c.Auth(ctx)
			if aerr != nil {
				return res, &autoAuthError{err: aerr, cause: trigger}
			}
			auth, res.Auth = r, r
		case canTLS && reply.IsTLSRequired(trigger):
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
	return c.leave(ctx, stop, reply.CommandStartTLS, c.startTLS(ctx))
}

// useBDAT reports whether Send sends a message of env, whose MAIL FROM
// declares body, with BDAT.
func (c *Client) useBDAT(env *Envelope, body Body) bool {
	if body == BodyBinaryMIME {
		return c.ext.Chunking()
	}
	return c.ext.Chunking() && !env.UseDATA && !c.opts.DisableChunking
}

// maxPipelineBatch caps the commands Send writes at once with PIPELINING
// before reading their replies, so that neither side's buffers grow with
// the number of recipients (RFC 2920 section 3.1 warns of the deadlock of
// a client that writes while the server cannot).
const maxPipelineBatch = 100

// txResult is what one attempt at a transaction ends with: the Result,
// the error Send returns for it, and, when nothing was delivered because
// of a refusal that authenticating or starting TLS may overcome, that
// refusal (trigger; the transaction is then closed with RSET).
type txResult struct {
	res     Result
	err     error
	trigger error
}

// transact runs one mail transaction (see Send) in plain steps: prepare
// (validate the envelope and build every command line, before anything is
// sent), envelope (MAIL FROM and RCPT TO, in batches with PIPELINING),
// then data (DATA and the body) or chunks (BDAT), which both end in
// transfer. retry says whether Send may act on a trigger: BDAT then keeps
// the body until the envelope is accepted, so that the body is never read
// twice. The transaction's state lives in c.cur, one txn reused for every
// message.
func (c *Client) transact(ctx context.Context, env *Envelope, body io.Reader, retry bool) txResult {
	t := &c.cur
	*t = txn{c: c, env: env, n: len(env.To), retry: retry, lines: t.lines[:0], ends: t.ends[:0]}
	t.res.Recipients = make([]RecipientResult, len(env.To))
	for i, to := range env.To {
		t.res.Recipients[i].Address = to
	}
	// begin, not enter: the reply to a stream's last final dot is read
	// with this transaction's replies.
	stop, err := c.begin(ctx)
	if err != nil {
		return txResult{res: t.res, err: err}
	}
	t.stop = stop
	if verb, err := t.prepare(); err != nil {
		return t.fail(ctx, verb, err)
	}
	c.arena = make([]byte, 0, 192) // this message's: see Client.arena
	if verb, err := t.envelope(ctx); err != nil {
		return t.fail(ctx, verb, err)
	}
	if t.bdat {
		return t.chunks(ctx, body)
	}
	return t.data(ctx, body)
}

// txn is the transaction Send is sending: its command lines, which are
// queued, which replies are read, and what they said.
type txn struct {
	c     *Client
	env   *Envelope
	retry bool        // Send may act on a trigger
	stop  func() bool // from enter; the DataWriter's once there is one
	res   Result      // what transact returns
	n     int         // recipients to send RCPT TO for (RCPTMAX)
	bdat  bool        // the body goes with BDAT

	// lines holds the MAIL FROM line and one RCPT TO line per recipient,
	// validated and built once by prepare; line k ends at ends[k].
	lines []byte
	ends  []int

	rset    bool // RSET is queued before MAIL FROM and its reply is not read yet
	queued  int  // commands queued: MAIL FROM, then RCPT TO for env.To[:queued-1]
	read    int  // replies read, in the same order
	mailErr error
	refused []*RecipientError // refused by the server, in envelope order
	notSent []*RecipientError // over the server's RCPTMAX
	relay   int               // how many of refused are relay refusals
	ok      int               // recipients accepted
	auth530 error             // the first RCPT TO refusal that Send may recover from
}

// line returns command line k: MAIL FROM for 0, then the RCPT TO lines.
func (t *txn) line(k int) []byte {
	start := 0
	if k > 0 {
		start = t.ends[k-1]
	}
	return t.lines[start:t.ends[k]]
}

// prepare validates the envelope and builds its command lines (nothing is
// sent: invalid input leaves nothing half-sent), applies the server's
// LIMITS RCPTMAX and chooses DATA or BDAT. On error it returns the command
// the error is about.
func (t *txn) prepare() (string, error) {
	c, env := t.c, t.env
	var tx txState
	var err error
	if t.lines, tx, err = appendMail(t.lines, c.ext, c.Secure(), c.mode, env.From, env.MailOptions); err != nil {
		return reply.CommandMail, err
	}
	t.ends = append(t.ends, len(t.lines))
	for _, to := range env.To {
		if t.lines, err = appendRcpt(t.lines, c.ext, tx.utf8, to, env.RcptOptions); err != nil {
			return reply.CommandRcpt, err
		}
		t.ends = append(t.ends, len(t.lines))
	}
	if max := c.ext.limits.RcptMax; max > 0 && t.n > max {
		// RFC 9422 section 4.2: the server would refuse the excess with
		// 452; do not send them at all.
		t.n = max
		for i := max; i < len(env.To); i++ {
			re := &RecipientError{Address: env.To[i], Err: &RecipientLimitError{Limit: max}}
			t.res.Recipients[i].Err = re
			t.notSent = append(t.notSent, re)
		}
		if env.RequireAllRecipients {
			return reply.CommandRcpt, &RecipientsError{Refused: t.notSent, Total: len(env.To)}
		}
	}
	c.tx = tx
	t.bdat = c.useBDAT(env, tx.body)
	return "", nil
}

// envelope sends MAIL FROM and RCPT TO and reads their replies, in batches
// of up to maxPipelineBatch commands with PIPELINING and one by one
// without. With PIPELINING the last batch is held (left queued: it leaves
// with DATA or the first chunk, whose step reads its replies) unless all
// recipients are required or BDAT must keep the body for a retry. On
// error it returns the command the error is about; the error broke the
// client.
func (t *txn) envelope(ctx context.Context) (string, error) {
	c := t.c
	pipe := c.ext.Pipelining()
	if c.end != nil && (!pipe || t.bdat) {
		// A stream's last final dot: its reply is read with DATA's
		// pipelined envelope only (readReplies).
		c.settle(ctx)
		if c.err != nil {
			return reply.CommandMail, c.errOut
		}
	}
	if !pipe {
		// After a refused end of data: RSET before MAIL FROM. With
		// PIPELINING, queue sends it with MAIL FROM instead.
		if err := c.resetFirst(ctx); err != nil {
			return reply.CommandRset, err
		}
	}
	hold := pipe && !t.env.RequireAllRecipients && !(t.bdat && t.retry)
	batch := 1
	if pipe {
		batch = maxPipelineBatch
	}
	for {
		t.queue(ctx, batch)
		if t.queued == t.n+1 && hold {
			return "", nil
		}
		if err := c.flush(ctx); err != nil {
			return t.verb(), err
		}
		if err := t.readReplies(ctx); err != nil {
			return t.verb(), err
		}
		if t.mailErr != nil || t.queued == t.n+1 {
			return "", nil
		}
	}
}

// data sends DATA (with the envelope's last batch when it is held) and,
// after a 354 for a deliverable envelope, the body.
func (t *txn) data(ctx context.Context, body io.Reader) txResult {
	c := t.c
	dataExp := expect{verb: reply.CommandData, stage: stageDataInit, want: wantData}
	var dataR *reply.Reply
	var dataErr error
	sent := false
	if t.read < t.queued {
		c.queue(ctx, dataExp, c.cmdLine(reply.CommandData, ""))
		if err := c.flush(ctx); err != nil {
			return t.fail(ctx, t.verb(), err)
		}
		if err := t.readReplies(ctx); err != nil {
			return t.fail(ctx, t.verb(), err)
		}
		dataR, dataErr = c.next(ctx)
		if c.err != nil {
			return t.fail(ctx, reply.CommandData, dataErr)
		}
		sent = true
	}
	if !t.deliverable() {
		if sent && dataErr == nil {
			// 354 with no transaction or no recipient: RFC 2920 section
			// 3.1 forbids it, and the only way out without sending a
			// message is to drop the connection.
			return t.fail(ctx, reply.CommandData, c.unexpected(dataExp, dataR))
		}
		return t.refuse(ctx)
	}
	if !sent {
		_, dataErr = c.roundTrip(ctx, dataExp, c.cmdLine(reply.CommandData, ""))
		if c.err != nil {
			return t.fail(ctx, reply.CommandData, dataErr)
		}
	}
	if dataErr != nil {
		// The transaction stays open after a refused DATA: clear it.
		if err := c.endTx(ctx); err != nil {
			return t.fail(ctx, reply.CommandRset, err)
		}
		out := t.fail(ctx, reply.CommandData, dataErr)
		if canRecover(dataErr) {
			out.trigger = dataErr
		}
		return out
	}
	// 354: the body. From here on the DataWriter owns t.stop.
	w, err := c.dataStart(ctx, t.stop, true)
	if err != nil {
		return txResult{res: t.res, err: err}
	}
	return t.transfer(w, body)
}

// chunks starts the BDAT body: its first chunk leaves with the envelope's
// last batch when it is held, whose replies are then read after it.
func (t *txn) chunks(ctx context.Context, body io.Reader) txResult {
	c := t.c
	var w *DataWriter
	switch {
	case t.read < t.queued:
		w = c.chunkStart(ctx, t.stop, 0, t, true)
	case !t.deliverable():
		return t.refuse(ctx)
	default:
		w = c.chunkStart(ctx, t.stop, 0, nil, true)
	}
	return t.transfer(w, body)
}

// transfer sends body through w and ends the message: with the final dot
// and its reply, or, in a stream (c.deferEnd, DATA with PIPELINING), with
// the final dot left for the next message's write (errEndDeferred).
func (t *txn) transfer(w *DataWriter, body io.Reader) txResult {
	c := t.c
	if _, err := w.ReadFrom(body); err != nil && w.err == nil {
		// body failed: the message cannot be completed, and ending it
		// would deliver a truncated one. Abandon it instead.
		w.setErr(fmt.Errorf("reading the message body: %w", err))
	}
	if c.deferEnd && w.ch == nil && c.ext.Pipelining() && w.err == nil {
		// A stream: the final dot leaves with the next message's
		// envelope, and its reply is read with theirs (stream.go).
		if err := w.closeDeferred(); err != nil {
			return txResult{res: t.res, err: err}
		}
		c.end = c.nextEnd()
		*c.end = endPending{res: t.res, rcptErr: t.recipientsError(), arena: c.arena}
		return txResult{res: t.res, err: errEndDeferred}
	}
	err := w.Close()
	if err == errEnvelopeRefused {
		// BDAT pipelined with the envelope, which the server refused;
		// the chunks were discarded with RSET. The body has been read
		// in part, so the refusal is final: no trigger.
		err, _ = t.outcome()
		return txResult{res: t.res, err: err}
	}
	t.res.Final = w.Reply()
	return txResult{res: t.res, err: settleState(&t.res, t.recipientsError(), err)}
}

// fail ends the attempt before any body was sent, with err about verb.
func (t *txn) fail(ctx context.Context, verb string, err error) txResult {
	return txResult{res: t.res, err: t.c.leave(ctx, t.stop, verb, err)}
}

// settleState sets res.State from the error of the end of the message and
// the recipients refused, and returns the error of the whole message.
func settleState(res *Result, rcptErr, err error) error {
	switch {
	case err == nil && rcptErr == nil:
		res.State = DeliveryComplete
	case err == nil:
		res.State = DeliveryPartial
		err = rcptErr
	case errors.Is(err, ErrDeliveryUnknown):
		res.State = DeliveryUnknown
	default:
		res.State = DeliveryRejected
	}
	return err
}

// queue queues up to max more commands of the envelope.
func (t *txn) queue(ctx context.Context, max int) {
	c := t.c
	for k := 0; k < max && t.queued <= t.n; k++ {
		if t.queued == 0 {
			t.rset = c.queueReset(ctx) // after a refused end of data
			c.queue(ctx, mailExp, t.line(0))
		} else {
			c.queue(ctx, expect{verb: reply.CommandRcpt, stage: stageRcpt}, t.line(t.queued))
		}
		t.queued++
	}
}

// verb names the command whose reply comes next, for errors.
func (t *txn) verb() string {
	if t.rset {
		return reply.CommandRset
	}
	if t.read == 0 {
		return reply.CommandMail
	}
	return reply.CommandRcpt
}

// readReplies reads the replies to every command queued and flushed. It
// returns only an error that broke the client.
func (t *txn) readReplies(ctx context.Context) error {
	c := t.c
	if c.end != nil {
		// The reply to the last message's final dot comes first.
		if err := c.readEnd(ctx); err != nil {
			return err
		}
	}
	if t.rset {
		t.rset = false
		if err := c.readReset(ctx); err != nil {
			return err
		}
	}
	for t.read < t.queued {
		r, err := c.next(ctx)
		i := t.read
		t.read++
		if i == 0 {
			if r != nil {
				t.res.Mail, c.arena = r.CloneAppend(c.arena)
			}
			if c.err != nil {
				return err
			}
			if err != nil {
				t.mailErr = err
				c.tx = txState{}
			} else {
				c.stale = false // a new transaction: the old one is gone
			}
			continue
		}
		rr := &t.res.Recipients[i-1]
		if r != nil {
			rr.Reply, c.arena = r.CloneAppend(c.arena)
		}
		if c.err != nil {
			return err
		}
		switch {
		case err != nil:
			re := &RecipientError{Address: rr.Address, Err: err}
			rr.Err = re
			t.refused = append(t.refused, re)
			if t.auth530 == nil && canRecover(err) {
				t.auth530 = err
			}
			if relayRefused(err) {
				t.relay++
			}
		case t.mailErr == nil:
			t.ok++
		}
	}
	return nil
}

// deliverable reports whether the message may be sent: MAIL FROM accepted,
// a recipient accepted, and none refused if all are required.
func (t *txn) deliverable() bool {
	return t.mailErr == nil && t.ok > 0 && !(t.env.RequireAllRecipients && len(t.refused) > 0)
}

// recipientsError returns the *RecipientsError for the refused and
// not-attempted recipients, or nil.
func (t *txn) recipientsError() error {
	if t.mailErr != nil || len(t.refused)+len(t.notSent) == 0 {
		return nil
	}
	all := t.refused
	if len(t.notSent) > 0 {
		all = append(t.refused[:len(t.refused):len(t.refused)], t.notSent...)
	}
	return &RecipientsError{Refused: all, Total: len(t.env.To)}
}

// outcome returns the error of an envelope that cannot be delivered and
// the refusal that Send may overcome, if any: a recoverable refusal of
// MAIL FROM; when no recipient was accepted, the first recoverable
// refusal of RCPT TO, or the first refusal if all were relay refusals.
func (t *txn) outcome() (err, trigger error) {
	if t.mailErr != nil {
		if canRecover(t.mailErr) {
			trigger = t.mailErr
		}
		return t.mailErr, trigger
	}
	err = t.recipientsError()
	if t.ok == 0 {
		switch {
		case t.auth530 != nil:
			trigger = t.auth530
		case len(t.refused) > 0 && t.relay == len(t.refused):
			trigger = t.refused[0].Err
		}
	}
	return err, trigger
}

// refuse ends an envelope that cannot be delivered, before any body was
// sent: RSET when MAIL FROM was accepted, then the call's end.
func (t *txn) refuse(ctx context.Context) txResult {
	c := t.c
	if t.mailErr == nil {
		// Close the transaction (no RSET is needed when MAIL failed).
		if err := c.endTx(ctx); err != nil {
			return t.fail(ctx, reply.CommandRset, err)
		}
	}
	err, trigger := t.outcome()
	out := t.fail(ctx, reply.CommandMail, err)
	out.trigger = trigger
	return out
}

// relayRefused reports whether err is a refusal of RCPT TO that Send may
// overcome by authenticating; see the rule in Send's documentation.
func relayRefused(err error) bool {
	re, ok := errors.AsType[*reply.Error](err)
	if !ok || re.Command != reply.CommandRcpt {
		return false
	}
	r := re.Reply
	if r.Code != reply.CodeMailboxUnavailable && r.Code != reply.CodeTransactionFailed {
		return false
	}
	if !r.Enhanced.IsZero() {
		return r.Enhanced == reply.EnhancedCode{Class: reply.ClassPermanent, Subject: reply.SubjectPolicy, Detail: 1}
	}
	text := strings.ToLower(r.Text())
	if !strings.Contains(text, "relay") {
		return false
	}
	for _, s := range [...]string{"denied", "not permitted", "not allowed", "prohibited", "unable to relay", "do not relay"} {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

// canRecover reports whether Send may overcome err by authenticating or
// starting TLS.
func canRecover(err error) bool {
	return err != nil && (reply.IsAuthRequired(err) || reply.IsTLSRequired(err))
}
