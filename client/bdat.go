package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/seed-e4e66a4f/smtp/internal/wire"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// BDATOptions configures [Client.BDAT]. A nil *BDATOptions is equivalent to
// the zero value.
type BDATOptions struct {
	// ChunkSize is the size in octets of every BDAT chunk but the last,
	// which has what is left (RFC 3030 section 2). The client holds one
	// chunk in memory. Zero or less means 128 KiB; more than 16 MiB is an
	// [*InputError].
	ChunkSize int
}

// maxChunkSize is the largest BDATOptions.ChunkSize.
const maxChunkSize = 16 << 20

// maxChunksInFlight is how many BDAT chunks may be sent, with PIPELINING,
// before the client waits for the reply to the oldest. Replies are short,
// so the server can never block on writing them while the client blocks on
// writing chunks; a refused chunk stops the message within this many
// chunks.
const maxChunksInFlight = 8

// BDAT starts sending the message body with BDAT commands (CHUNKING,
// RFC 3030) in place of DATA, and returns a writer for it (headers and
// body, as RFC 5322 text). Call it after [Client.Mail] and [Client.Rcpt],
// as [Client.Data]. ctx bounds the whole transfer, until
// [DataWriter.Close] returns: cancelling it closes the connection.
//
// Each chunk is sent as "BDAT <size>" followed by exactly size octets, and
// Close sends the last one as "BDAT <size> LAST". Without PIPELINING the
// client reads the reply to each chunk before sending the next; with
// PIPELINING it sends up to 8 chunks ahead of their replies. The first
// 4xx/5xx reply to a chunk stops the message: nothing more is sent, the
// replies to chunks already in flight are read, RSET makes the server
// discard what it has, and Write and Close return the refusal (a
// [*reply.Error] with Command "BDAT", or "BDAT LAST" for the last chunk's
// reply). A message that cannot be completed (a [*BodyError]) is abandoned
// the same way. Since BDAT frames the body by length, either leaves the
// session usable, unlike a failure during DATA.
//
// When the transaction was declared BODY=BINARYMIME ([MailOptions].Body),
// the body is sent exactly as written: any octet, NUL, bare CR and bare LF
// included, lines of any length, and no CRLF added at the end (RFC 3030
// section 3). BDAT frames it by length, so no content can end the message
// early. Otherwise (no BODY, BODY=7BIT or BODY=8BITMIME) the body is
// normalised and checked exactly as after DATA (bare CR and LF become
// CRLF; NUL octets and lines over 998 octets are refused with a
// [*BodyError]), only not dot-stuffed: the message has the same content
// whichever command carries it.
//
// Timeouts: Timeouts.DataBlock bounds the writing of each chunk and the
// wait for each reply but the last; Timeouts.DataTermination bounds the
// wait for the reply to the LAST chunk. A connection lost after the LAST
// chunk has been sent and before its reply is read is reported as
// [ErrDeliveryUnknown], as after the final "." of DATA.
//
// Errors, before anything is sent: an [*UnsupportedError] when the server
// did not advertise CHUNKING; an [*InputError] when no transaction was
// started with Mail or opts.ChunkSize is too large. Otherwise the errors
// of a broken connection (see [Client]).
func (c *Client) BDAT(ctx context.Context, opts *BDATOptions) (*DataWriter, error) {
	var o BDATOptions
	if opts != nil {
		o = *opts
	}
	stop, err := c.enter(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case !c.ext.Chunking():
		err = &UnsupportedError{Extension: "CHUNKING", Option: "BDAT"}
	case o.ChunkSize > maxChunkSize:
		err = &InputError{Field: "chunk size", Value: strconv.Itoa(o.ChunkSize), Reason: "over 16 MiB"}
	case !c.tx.active:
		err = &InputError{Field: "call", Value: "BDAT", Reason: "no mail transaction: call Mail first"}
	}
	if err != nil {
		return nil, c.leave(ctx, stop, reply.CommandBDAT, err)
	}
	return c.chunkStart(ctx, stop, o.ChunkSize, nil, false), nil
}

// chunkStart returns the open DataWriter for a BDAT body; it owns stop. The
// body is sent raw when the transaction declared BODY=BINARYMIME (c.tx,
// which Mail or Send set when MAIL FROM carried it). With
// pre (Send with PIPELINING), the envelope commands of pre are queued but
// not flushed: they leave with the first chunk, and their replies are read
// into *pre (the client's own txn, c.cur) before the first chunk's. For
// Send, the DataWriter is the client's reused one and the final reply is
// cloned into c.arena.
func (c *Client) chunkStart(ctx context.Context, stop func() bool, size int, pre *txn, send bool) *DataWriter {
	ch := getChunker(size)
	w := c.newDataWriter(ctx, stop, send)
	w.ch = ch
	ch.start(w, pre, c.tx.body == BodyBinaryMIME)
	if c.ext.Pipelining() {
		ch.window = maxChunksInFlight
	}
	c.dw = w
	return w
}

// chunker is the state of a message sent with BDAT: a wire.ChunkWriter and
// the function it calls with each chunk, made once (a message reuses them,
// so that BDAT does not allocate a chunk buffer per message; those of the
// default size are pooled), and where the message stands.
type chunker struct {
	cw   *wire.ChunkWriter
	emit func(chunk []byte, last bool) error // ch.send, bound once
	size int

	w        *DataWriter // the message being sent
	pre      *txn        // Send's envelope pipelined with the first chunk, until its replies are read
	window   int         // chunk replies that may stay unread (PIPELINING)
	unread   int         // BDAT commands whose replies are not read yet
	lastSent bool        // the LAST chunk has left: a lost connection is "unknown"
	lastRead bool        // the reply to the LAST chunk has been read
	refused  error       // the first 4xx/5xx reply to a chunk
	iov      net.Buffers // a chunk and its command, for one write
	iovArr   [2][]byte   // iov's array, kept so that no write allocates
}

// start makes ch send the body of w, unchanged when raw (BINARYMIME) and
// normalised otherwise.
func (ch *chunker) start(w *DataWriter, pre *txn, raw bool) {
	*ch = chunker{cw: ch.cw, emit: ch.emit, size: ch.size, w: w, pre: pre}
	ch.cw.Reset(ch.emit)
	if ch.cw.Raw() != raw {
		ch.cw.SetRaw(raw)
	}
}

var chunkers sync.Pool // of *chunker of wire.DefaultChunkSize

func getChunker(size int) *chunker {
	if size <= 0 {
		size = wire.DefaultChunkSize
	}
	if size == wire.DefaultChunkSize {
		if ch, ok := chunkers.Get().(*chunker); ok {
			return ch
		}
	}
	ch := &chunker{size: size}
	ch.emit = ch.send
	ch.cw = wire.NewChunkWriter(size, ch.emit)
	return ch
}

// release gives the chunker of w back, once the message is over.
func (w *DataWriter) release() {
	ch := w.ch
	if ch == nil {
		return
	}
	w.ch = nil
	ch.w, ch.pre, ch.refused = nil, nil, nil
	if ch.size == wire.DefaultChunkSize {
		chunkers.Put(ch)
	}
}

func (ch *chunker) send(chunk []byte, last bool) error { return ch.w.sendChunk(chunk, last) }

// errEnvelopeRefused stops the chunks of a message that Send pipelined with
// its envelope when the envelope turned out to be refused (MAIL FROM, or
// every RCPT TO). Send replaces it with the refusals.
var errEnvelopeRefused = errors.New("smtp: internal: envelope refused")

// sendChunk sends one chunk and reads the replies that must be read now:
// all of them after the LAST chunk, and otherwise those beyond the window
// or already arriving. It returns a refusal, or the error that broke the
// client.
func (w *DataWriter) sendChunk(chunk []byte, last bool) error {
	c, ctx := w.c, w.ctx
	ch := w.ch
	if c.err != nil {
		return c.errOut
	}
	exp := expect{verb: reply.CommandBDAT, stage: stageDataBlock}
	if last {
		exp = expect{verb: reply.CommandBDATLast, stage: stageDataEnd}
	}
	if c.pending.idle() {
		// Nothing is owed by the server: anything it sent is
		// unsolicited, and if it hung up the chunk is not sent.
		if err := c.quiet(ctx, exp.verb); err != nil {
			return err
		}
	}
	c.line = append(c.line[:0], "BDAT "...)
	c.line = strconv.AppendInt(c.line, int64(len(chunk)), 10)
	if last {
		c.line = append(c.line, " LAST"...)
	}
	c.raw.SetWriteDeadline(c.deadline(stageDataBlock))
	var err error
	if c.bw.Buffered() == 0 && len(chunk) >= c.bw.Size() {
		// A large chunk with nothing queued before it: the command and
		// the chunk in one write (writev), without copying the chunk.
		if err := c.record(ctx, exp, c.line); err != nil {
			return err
		}
		c.line = append(c.line, "\r\n"...)
		ch.iovArr = [2][]byte{c.line, chunk}
		ch.iov = ch.iovArr[:] // WriteTo consumes the slice, not the array
		_, err = ch.iov.WriteTo(c.conn)
		ch.iovArr = [2][]byte{}
	} else {
		if err := c.queue(ctx, exp, c.line); err != nil {
			return err
		}
		c.bw.Write(chunk)
		err = c.bw.Flush()
	}
	if err != nil {
		// Some octets of the chunk did not leave: the server cannot have
		// completed the message, even when this is the LAST chunk.
		return c.fail(&ConnError{Op: exp.verb, Err: err})
	}
	c.pending.flushed()
	ch.unread++
	ch.lastSent = last
	if t := ch.pre; t != nil {
		ch.pre = nil
		if err := t.readReplies(ctx); err != nil {
			if _, ok := errors.AsType[*reply.Error](err); ok {
				// A 421 to the envelope: the server closed before it
				// read the chunk, so it cannot have the message.
				ch.refused = err
			}
			return err
		}
		if !t.deliverable() {
			return errEnvelopeRefused
		}
	}
	keep := ch.window
	if last {
		keep = 0
	}
	for ch.unread > keep || (ch.unread > 0 && c.br.Buffered() > 0) {
		if err := w.readChunkReply(); err != nil {
			return err
		}
	}
	return ch.refused
}

// readChunkReply reads the reply to the oldest BDAT command in flight. A
// 4xx/5xx reply is recorded in ch.refused (the first one) and w.reply; the
// error returned is one that broke the client (which may be a 421 reply).
func (w *DataWriter) readChunkReply() error {
	c := w.c
	ch := w.ch
	isLast := c.pending.oldest().verb == reply.CommandBDATLast
	r, err := c.next(w.ctx)
	ch.unread--
	if re, ok := err.(*reply.Error); ok {
		ch.lastRead = ch.lastRead || isLast
		if ch.refused == nil {
			ch.refused = err
			w.reply = re.Reply
		}
	} else if err == nil && isLast {
		ch.lastRead = true
		if ch.refused == nil {
			w.keepReply(r)
		}
	}
	if c.err != nil {
		return err
	}
	return nil
}

// chunkFailed handles err, which ends a BDAT message before it is complete:
// a refusal, a body error, a failure to read the body (from Send), or the
// error of a broken connection.
//
// While the session is in step, it reads the replies still in flight and
// sends RSET, so that the server discards the message whatever it has
// received, and returns err: the session stays usable (Close disarms the
// context). Otherwise the client is broken: chunkFailed disarms the context
// and returns the server's refusal if there was one, else delivery unknown
// if the LAST chunk had left and its reply was not read, else err (or the
// context's error if it fired).
func (w *DataWriter) chunkFailed(err error) error {
	c, ctx := w.c, w.ctx
	ch := w.ch
	if c.err == nil {
		if t := ch.pre; t != nil {
			// The body failed before the first chunk: the envelope is
			// queued but not sent. Send it and read its replies, so that
			// Send can report them.
			ch.pre = nil
			if c.flush(ctx) == nil {
				t.readReplies(ctx)
			}
		}
		for ch.unread > 0 && c.err == nil {
			w.readChunkReply()
		}
		// Also after a refused LAST chunk: some servers keep the
		// transaction (MAIL FROM) open after refusing a chunk.
		if c.err == nil && c.endTx(ctx) == nil {
			return err
		}
	}
	fired := w.disarm()
	cerr := fmt.Errorf("smtp: BDAT: %w", ctx.Err())
	switch {
	case ch.refused != nil:
		// The server refused the message before the connection failed.
		err = ch.refused
		if fired {
			c.setBroken(cerr)
		}
	case ch.lastSent && !ch.lastRead:
		if fired {
			err = cerr
		}
		err = c.deliveryUnknown(err, w.endName())
	case fired:
		err = cerr
		c.setBroken(cerr)
	}
	return err
}

// closeChunks is Close for BDAT: it sends the LAST chunk and reads every
// reply still due.
func (w *DataWriter) closeChunks() error {
	c := w.c
	switch {
	case w.err != nil:
		// A Write failed; the message is abandoned already.
	case c.closed:
		w.err = ErrClosed
	default:
		if err := w.ch.cw.Close(); err != nil {
			w.err = w.chunkFailed(err)
		} else {
			c.tx = txState{}
			w.err = w.endCtx(reply.CommandBDATLast, nil)
		}
	}
	// The message is over. If ctx fired meanwhile, it closed the
	// connection: the client is broken.
	if w.disarm() && c.err == nil {
		c.setBroken(fmt.Errorf("smtp: BDAT: %w", w.ctx.Err()))
	}
	w.release()
	return w.err
}
