package client

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/seed-e4e66a4f/smtp/internal/wire"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// DataWriter streams a message body, after DATA ([Client.Data]) or with
// BDAT chunks ([Client.BDAT]). Write normalises every bare CR and bare LF to
// CRLF (RFC 5321 section 2.3.8) and refuses NUL octets and lines over 998
// octets; after DATA it also dot-stuffs lines that start with ".". A
// BODY=BINARYMIME body, always sent with BDAT, passes unchanged. Nothing
// is buffered beyond a fixed-size buffer (one chunk for BDAT). Close ends
// the message (the line "." after DATA, the chunk marked LAST with BDAT)
// and reads the server's final reply, available from [DataWriter.Reply]:
// with most servers it carries the queue id.
//
// A DataWriter is not safe for concurrent use. Until it is closed, every
// other call on its Client fails.
type DataWriter struct {
	c      *Client
	ctx    context.Context // the context of Data; bounds the whole transfer
	stop   func() bool     // disarms ctx; nil when ctx can never be done
	reply  reply.Reply
	err    error // sticky: the first error, returned by later calls
	closed bool

	ch *chunker // BDAT (see bdat.go) while open; nil for DATA

	send bool // Send's: the final reply is cloned into c.arena (keepReply)
}

// errWriteAfterClose is returned by Write after Close.
var errWriteAfterClose = &InputError{Field: "call", Reason: "write to a closed DataWriter"}

// Data sends DATA and, after the server's 354, returns a writer for the
// message body (headers and body, as RFC 5322 text). Call it after
// [Client.Mail] and [Client.Rcpt]. ctx bounds the whole transfer, until
// [DataWriter.Close] returns: cancelling it closes the connection.
//
// A reply other than 354 sends no body: a 4xx/5xx gives a [*reply.Error]
// (Command "DATA"); a 2xx (such as 250) is a [*reply.ProtocolError] of kind
// ViolationUnexpectedReply and breaks the client, since the server would
// read the body as commands. Bytes the server sends after its 354 and
// before the body are a ViolationUnsolicited protocol error. A transaction
// declared with BODY=BINARYMIME gives an [*InputError]: it needs
// [Client.BDAT]. After a refusal of DATA itself the transaction stays open:
// end it with [Client.Reset]. After a refusal of the message, by the reply
// to the final ".", the client sends RSET before the next MAIL FROM (see
// [DataWriter.Close]).
func (c *Client) Data(ctx context.Context) (*DataWriter, error) {
	stop, err := c.enter(ctx)
	if err != nil {
		return nil, err
	}
	if c.tx.body == BodyBinaryMIME {
		return nil, c.leave(ctx, stop, reply.CommandData, &InputError{Field: "call", Value: "DATA",
			Reason: "a BODY=BINARYMIME message must be sent with BDAT"})
	}
	if _, err := c.roundTrip(ctx, expect{verb: reply.CommandData, stage: stageDataInit, want: wantData}, c.cmdLine(reply.CommandData, "")); err != nil {
		return nil, c.leave(ctx, stop, reply.CommandData, err)
	}
	return c.dataStart(ctx, stop, false)
}

// dataStart is what follows a 354 reply to DATA, for Data and Send: it
// refuses bytes the server sent after its 354 (they would be taken for the
// reply to the final dot) and returns the open DataWriter, which now owns
// stop (from enter). On error the call is over: dataStart has called leave.
// Close checks again, with c.quiet, before the final dot.
func (c *Client) dataStart(ctx context.Context, stop func() bool, send bool) (*DataWriter, error) {
	if c.br.Buffered() > 0 {
		return nil, c.leave(ctx, stop, reply.CommandData, c.unsolicited(ctx, reply.CommandData))
	}
	return c.bodyWriter(ctx, stop, send), nil
}

// bodyWriter resets the reused wire writer onto c.bw and returns the open
// DataWriter for a body after a 354, owning stop; see dataStart. For
// Send, the DataWriter is the client's own, reused for every message, and
// the final reply is cloned into c.arena.
func (c *Client) bodyWriter(ctx context.Context, stop func() bool, send bool) *DataWriter {
	if c.wire == nil {
		c.wire = wire.NewDataWriter(c.bw)
	} else {
		c.wire.Reset(c.bw)
	}
	w := c.newDataWriter(ctx, stop, send)
	c.dw = w
	return w
}

// newDataWriter returns a DataWriter for a body: a new one for Data and
// BDAT, whose caller may keep it, and the client's reused one for Send
// (send), whose DataWriter never leaves the call.
func (c *Client) newDataWriter(ctx context.Context, stop func() bool, send bool) *DataWriter {
	if !send {
		return &DataWriter{c: c, ctx: ctx, stop: stop}
	}
	c.txw = DataWriter{c: c, ctx: ctx, stop: stop, send: true}
	return &c.txw
}

// keepReply stores r, the final reply, in w.reply: a clone, in the
// client's arena for Send.
func (w *DataWriter) keepReply(r *reply.Reply) {
	if w.send {
		w.reply, w.c.arena = r.CloneAppend(w.c.arena)
		return
	}
	w.reply = r.Clone()
}

// Write writes p as the next part of the message. Each write to the
// connection is bounded by Timeouts.DataBlock.
//
// Errors: a [*BodyError] for content SMTP cannot carry; an I/O error or
// the context's error. After DATA, any error closes the connection without
// ending the message (the server discards it) and the Client is broken.
// With BDAT, a [*reply.Error] (Command "BDAT") when the server refused a
// chunk; after it and after a BodyError the client reads the replies to
// the chunks in flight and sends RSET, so the server discards the message
// and the session stays usable (once the DataWriter is closed). Errors are
// sticky: Close returns them too.
func (w *DataWriter) Write(p []byte) (int, error) {
	if w.closed {
		return 0, errWriteAfterClose
	}
	if w.err != nil {
		return 0, w.err
	}
	if w.ch != nil {
		n, err := w.ch.cw.Write(p)
		if err != nil {
			w.err = w.chunkFailed(err)
		}
		return n, w.err
	}
	c := w.c
	c.raw.SetWriteDeadline(c.deadline(stageDataBlock))
	n, err := c.wire.Write(p)
	if err != nil {
		w.setErr(err)
		return n, w.err
	}
	return n, nil
}

// ReadFrom writes everything read from r until io.EOF, as Write would,
// and returns the number of octets read. io.Copy uses it; its buffer comes
// from a pool shared by every Client, for the duration of the call. An
// error from r is returned as is and leaves the DataWriter usable.
func (w *DataWriter) ReadFrom(r io.Reader) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var total int64
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			m, err := w.Write(buf[:n])
			total += int64(m)
			if err != nil {
				return total, err
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// copyBufs holds the buffers of ReadFrom.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// setErr makes err sticky and breaks the client: the body cannot be
// completed, and ending it would deliver a truncated message.
func (w *DataWriter) setErr(err error) {
	if w.ch != nil {
		if _, ok := err.(*BodyError); !ok {
			err = fmt.Errorf("smtp: BDAT: %w", err)
		}
		w.err = w.chunkFailed(err)
		return
	}
	if _, ok := err.(*BodyError); !ok {
		err = fmt.Errorf("smtp: DATA: %w", err)
	}
	w.err = w.c.fail(err)
	if w.disarm() {
		cerr := fmt.Errorf("smtp: DATA: %w", w.ctx.Err())
		w.c.setBroken(cerr)
		w.err = cerr
	}
}

// Close ends the message with the line "." (DATA) or the chunk marked LAST
// (BDAT), flushes it and waits (at most Timeouts.DataTermination) for the
// server's reply, which [DataWriter.Reply] then returns. A second Close
// returns the result of the first.
//
// Errors: the sticky error of a failed Write; a [*reply.Error] when the
// server refused the message (Command "end of data" after DATA, "BDAT
// LAST" or "BDAT" with BDAT); an error matching [ErrDeliveryUnknown] (and
// the cause: an I/O error, a timeout, a protocol error or the context's
// error) when the connection failed after the final "." or the LAST chunk
// was sent and before a reply was read: the message may or may not have
// been accepted; a [*ConnError] when the connection failed before all of
// the final "." line was written (the server cannot have the message).
// Only a nil error means the server took the message.
//
// After DATA, a refusal of the message (a 4xx/5xx reply to the final ".")
// leaves the server's transaction state uncertain: RFC 5321 section
// 4.1.1.4 ends the transaction, but some servers keep it open (Postfix
// after a refusal by smtpd_end_of_data_restrictions, as quota and rate
// limit policy services give, answers the next MAIL FROM with "503 5.5.1
// Error: nested MAIL command"). So the next transaction, [Client.Mail] or
// [Client.Send], starts with RSET: in the same flight as MAIL FROM when the
// server offers PIPELINING, or one round trip before it otherwise;
// [Client.Reset] makes it unnecessary. A message the server accepted sends
// no RSET. With BDAT, a refused chunk is followed by RSET at once (see
// [Client.BDAT]).
func (w *DataWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	c := w.c
	if c.dw == w {
		c.dw = nil
	}
	if w.ch != nil {
		return w.closeChunks()
	}
	if w.err != nil {
		return w.err
	}
	if c.closed {
		w.err = ErrClosed
		return w.err
	}
	ctx := w.ctx
	if err := w.writeDot(); err != nil {
		return err
	}
	if err := c.bw.Flush(); err != nil {
		// The end of the dot line is still in the buffer: it did not
		// leave, so the server cannot have completed the message. The
		// connection was lost before the end of data, not after it.
		w.setErr(&ConnError{Op: reply.CommandEndOfData, Err: err})
		return w.err
	}
	// Nothing else is pending: Data and Send read every other reply first.
	r, err := c.read(ctx, expect{verb: reply.CommandEndOfData, stage: stageDataEnd})
	if err == nil {
		w.keepReply(r)
		c.tx = txState{}
	} else if re, ok := err.(*reply.Error); ok {
		w.reply = re.Reply
		c.tx = txState{}
		// Some servers keep the transaction open after refusing the
		// message: the next one starts with RSET (see Client.Mail).
		c.stale = true
	} else {
		// The dot may have reached the server: say so, never "failed".
		err = c.deliveryUnknown(err, w.endName())
	}
	w.err = w.endCtx(reply.CommandEndOfData, err)
	return w.err
}

// writeDot ends the body with the final dot line in the write buffer,
// after checking that the server has not spoken or hung up during the
// body (its words would be taken for the reply to the dot, which is then
// not sent). On error the message is over, not delivered, and w.err says
// why.
func (w *DataWriter) writeDot() error {
	c, ctx := w.c, w.ctx
	if err := c.quiet(ctx, reply.CommandEndOfData); err != nil {
		w.err = err
		w.disarm()
		return w.err
	}
	c.raw.SetWriteDeadline(c.deadline(stageDataBlock))
	if err := c.wire.Close(); err != nil {
		// The final "." has not left: the message is not delivered.
		w.setErr(err)
		return w.err
	}
	if c.logging(ctx) {
		c.log.LogAttrs(ctx, slog.LevelDebug, "smtp send", slog.String("line", "<message body>"),
			slog.Int64("octets", c.wire.Size()))
		c.logSend(ctx, []byte("."), false)
	}
	return nil
}

// endCtx disarms the context once the final reply has been read (err is
// nil or a *reply.Error) or the connection has failed after the end of the
// message (err is a delivery-unknown error). When ctx fired during the
// call, the connection is closed: the client is broken, and an err that is
// not the server's answer becomes delivery unknown with the context's
// error as cause.
func (w *DataWriter) endCtx(verb string, err error) error {
	if w.disarm() {
		cerr := fmt.Errorf("smtp: %s: %w", verb, w.ctx.Err())
		if _, answered := err.(*reply.Error); err == nil || answered {
			// The reply was read: the server took or refused the message.
			w.c.setBroken(cerr)
		} else {
			err = &deliveryUnknownError{err: cerr, after: w.endName()}
			w.c.setBroken(err)
		}
	}
	return err
}

// endName names what ends the message, for errors.
func (w *DataWriter) endName() string {
	if w.ch != nil {
		return "the LAST chunk"
	}
	return "the final dot"
}

// disarm stops the context of the transfer from closing the connection,
// and reports whether it had already fired (then it has closed the
// connection). Later calls report false.
func (w *DataWriter) disarm() (fired bool) {
	fired = w.stop != nil && !w.stop()
	w.stop = nil
	return fired
}

// Reply returns the server's reply to the end of the message, once Close
// has read one (success or a 4xx/5xx refusal), and the zero Reply
// otherwise. With BDAT, when the server refused a chunk before the last,
// it is that refusal.
func (w *DataWriter) Reply() reply.Reply { return w.reply }

// deliveryUnknown wraps err, a failure after the end of the message (after
// names it: "the final dot"), and makes it the client's broken error.
func (c *Client) deliveryUnknown(err error, after string) error {
	e := &deliveryUnknownError{err: err, after: after}
	c.err = nil
	c.setBroken(e)
	return e
}

// deliveryUnknownError is a failure after the final dot or the LAST chunk:
// ErrDeliveryUnknown and the cause, both reachable with errors.Is and
// errors.As.
type deliveryUnknownError struct {
	err   error
	after string // "the final dot" or "the LAST chunk"
}

func (e *deliveryUnknownError) Error() string {
	return ErrDeliveryUnknown.Error() + " after " + e.after + ": " + e.err.Error()
}

func (e *deliveryUnknownError) Unwrap() []error { return []error{ErrDeliveryUnknown, e.err} }

// Retry returns reply.RetryNever: the server may have queued the message,
// so sending it again may deliver it twice. Whether a duplicate is better
// than a loss (RFC 5321 section 6.1 prefers duplicates) is the caller's
// decision, never the library's.
func (e *deliveryUnknownError) Retry() reply.Retry { return reply.RetryNever }

// closeDeferred ends the message with the final dot, as Close does, but
// leaves the dot in the write buffer and its reply for later: the "end of
// data" expect is queued, so that the next commands go in the same write
// and the reply is read before theirs (see SendAll). An error means the
// dot was not written: the message is over, as after a failed Close.
func (w *DataWriter) closeDeferred() error {
	w.closed = true
	c := w.c
	if c.dw == w {
		c.dw = nil
	}
	if err := w.writeDot(); err != nil {
		return err
	}
	c.pending.add(expect{verb: reply.CommandEndOfData, stage: stageDataEnd})
	c.tx = txState{}
	if w.disarm() {
		// ctx fired: the connection is closed, and the dot never left.
		w.err = &ConnError{Op: reply.CommandEndOfData, Err: w.ctx.Err()}
		w.c.setBroken(w.err)
		return w.err
	}
	return nil
}
