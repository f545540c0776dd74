package client

import (
	"context"
	"errors"
	"io"
	"iter"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// Message is one message of a stream sent with [Client.SendAll]: its
// envelope and body as [Client.Send] takes them, and, once the stream has
// sent it, what the server answered.
type Message struct {
	// Envelope is the sender, the recipients and their parameters.
	Envelope
	// Body is the message, read to its end as Send reads it.
	Body io.Reader

	// Result and Err are set by SendAll when the message is done: they are
	// what Send would return for it. Err is nil only for
	// [DeliveryComplete].
	Result Result
	Err    error
	// Done reports that SendAll has set Result and Err.
	Done bool
}

// SendAll sends a stream of messages on the session, each as [Client.Send]
// would (authenticating, starting TLS and retrying by the same rules), and
// yields each message with its error once the server has answered it, in
// the order of msgs. Result and Err are also left in the Message.
//
// When the server offers PIPELINING (RFC 2920) and a message goes with
// DATA, SendAll does not wait for the reply to its final dot: the dot
// leaves in one write with the next message's RSET, MAIL FROM, RCPT TO
// and DATA, and its reply is read with theirs, so that each message costs
// one round trip (RFC 2920 section 3.1 lets the end of data start the next
// group). The RSET, answered at no extra round trip, ends a transaction
// that a server may keep after refusing the end of a message (see
// [DataWriter.Close]), so that a refusal never spills into the next
// message. A message sent with BDAT (the default with CHUNKING, see
// Envelope.UseDATA) needs one round trip by itself when it fits in one
// chunk. Without PIPELINING, SendAll sends the messages one after another
// as Send does.
//
// SendAll takes the next message from msgs before the reply to the
// current one is read, so a message is yielded only once msgs has yielded
// the next one or ended: msgs should yield promptly (from memory, a file,
// a database cursor). To send messages as they arrive from several
// goroutines, use a [Pool], which ends the message in flight whenever none
// is waiting.
//
// The outcome of every message is its own: a refusal, or a connection lost
// after a final dot, is reported for the message it ended, never for the
// next one. When the client breaks (a 421, a lost connection, a timeout,
// a cancelled ctx), the message in flight and the one being sent are
// yielded with their errors (the first as [DeliveryUnknown] when its dot
// may have reached the server; it is never sent again), and the stream
// ends without taking another message from msgs: every message msgs
// yielded was either yielded back or, when the loop broke first, finished
// with Done set.
//
// Breaking out of the loop ends the stream: the message in flight, if any,
// is finished before the loop statement returns, with Result, Err and
// Done set in its Message, and no other message is taken from msgs. Calls
// on the Client from the loop body are allowed; one that needs the
// connection first finishes the message in flight.
func (c *Client) SendAll(ctx context.Context, msgs iter.Seq[*Message]) iter.Seq2[*Message, error] {
	return func(yield func(*Message, error) bool) {
		var inFlight *endPending // a message whose final dot's reply is due
		more := true
		emit := func(m *Message) {
			m.Done = true
			if more && !yield(m, m.Err) {
				more = false
			}
		}
		for m := range msgs {
			if m == nil {
				continue
			}
			c.deferEnd = true
			res, err := c.Send(ctx, &m.Envelope, m.Body)
			c.deferEnd = false
			prev := inFlight
			inFlight = nil
			if prev != nil && !prev.done && c.end == prev {
				// This message went without reading the last reply
				// (invalid input, a broken client): read it first.
				c.settle(ctx)
			}
			if err == errEndDeferred {
				inFlight = c.end
				inFlight.msg = m
			} else {
				m.Result, m.Err = res, err
			}
			if prev != nil {
				emit(prev.msg)
			}
			if inFlight == nil {
				emit(m)
			}
			if !more || c.err != nil || c.closed {
				break
			}
		}
		if inFlight != nil {
			c.settle(ctx)
			emit(inFlight.msg)
		}
	}
}

// errEndDeferred is what transact returns for a message of a stream whose
// final dot is written and whose reply is left for later (c.end).
var errEndDeferred = errors.New("smtp: internal: end of data deferred")

// endPending is a message of a stream whose final dot is written (into
// the write buffer, or further) and whose reply is not read yet. The
// "end of data" expect is in c.pending, ahead of the next commands.
type endPending struct {
	res     Result // what the envelope got; State and Final once done
	rcptErr error  // the refused recipients, for a partial delivery
	flushed bool   // a flush has been tried since the dot: it may have left
	done    bool   // res and err are final
	err     error
	msg     *Message // of SendAll, which gets res and err once done
	arena   []byte   // where the final reply's text goes (see txn.arena)
}

// nextEnd returns the client's endPending that is not the one most
// recently handed out: a stream holds at most two, the message in flight
// and the one before it, until it has read the outcome of the latter.
func (c *Client) nextEnd() *endPending {
	c.endFlip = !c.endFlip
	if c.endFlip {
		return &c.ends[1]
	}
	return &c.ends[0]
}

// readEnd reads the reply to the final dot of c.end, which must be the
// oldest pending command and flushed, and settles it. It returns only an
// error that broke the client.
func (c *Client) readEnd(ctx context.Context) error {
	r, err := c.next(ctx)
	c.resolveEnd(r, err)
	if c.err != nil {
		return c.err
	}
	return nil
}

// resolveEnd settles c.end with the reply to its final dot (r, err as next
// returns them), or with the failure that kept it from being read.
func (c *Client) resolveEnd(r *reply.Reply, err error) {
	e := c.end
	c.end = nil
	e.done = true
	re, refused := errors.AsType[*reply.Error](err)
	switch {
	case err == nil:
		e.res.Final, e.arena = r.CloneAppend(e.arena)
	case refused:
		// A refusal (a 421 included: the reply was read).
		e.res.Final = re.Reply
		c.stale = true
	case e.flushed:
		// The dot may have reached the server: never "failed".
		err = &deliveryUnknownError{err: err, after: "the final dot"}
	}
	e.err = settleState(&e.res, e.rcptErr, err)
	if m := e.msg; m != nil {
		m.Result, m.Err, m.Done = e.res, e.err, true
	}
}

// settle reads the reply to the final dot of c.end, flushing it first: a
// stream has no next message to send it with. On failure c.end is settled
// with the error (delivery unknown when the dot may have left).
func (c *Client) settle(ctx context.Context) {
	e := c.end
	if e == nil {
		return
	}
	var err error
	switch {
	case c.err != nil:
		err = c.errOut
	case c.closed:
		err = ErrClosed
	case ctx.Err() != nil:
		// The server holds a message without its end; a later command
		// would be taken for its text. Drop the connection.
		err = c.fail(ctx.Err())
	}
	if err != nil {
		c.resolveEnd(nil, err)
		return
	}
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, c.abortFn)
	}
	if err = c.flush(ctx); err == nil {
		err = c.readEnd(ctx)
	}
	err = c.leave(ctx, stop, reply.CommandEndOfData, err)
	if c.end == e {
		c.resolveEnd(nil, err)
	}
}
