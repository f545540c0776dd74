package client

// Internal command layer (for auth.go, send.go and future BDAT code).
//
// Every public method follows the same shape:
//
//	stop, err := c.enter(ctx)  // fails at once if broken/closed/a DataWriter
//	if err != nil {            // is open/ctx done; arms
//		return reply.Reply{}, err // context.AfterFunc(ctx, close conn)
//	}
//	r, err := c.roundTrip(ctx, expect{verb: reply.CommandNoop, stage: stageCommand}, line)
//	err = c.leave(ctx, stop, reply.CommandNoop, err) // a fired ctx becomes ctx.Err()
//
// c.simple(ctx, exp, line) does all of that and returns a clone of the reply.
//
// Issuing commands:
//   - c.line is a scratch buffer: c.line = append(c.line[:0], "MAIL FROM:<"...);
//     build the line without CRLF, then pass it on (c.cmdLine(verb, arg)
//     builds simple ones; c.mailLine/c.rcptLine validate and build MAIL and
//     RCPT). Callers must have validated every piece of caller input (see
//     address.go); queue refuses a line containing CR, LF or NUL as a last
//     line of defence.
//   - c.queue(ctx, exp, line) appends line+CRLF to the write buffer, logs it
//     and records exp (verb, timeout stage, acceptable reply) in the FIFO
//     c.pending. Nothing reaches the wire yet.
//   - c.flush(ctx) writes everything queued in one write. When no reply is
//     outstanding it first calls c.quiet: the server must not have sent
//     anything, neither buffered in c.br nor waiting in the socket (a
//     *reply.ProtocolError ViolationUnsolicited; client broken). Code that
//     writes without c.flush (a message body after 354, the final dot)
//     calls c.quiet(ctx, verb) itself before writing.
//   - c.next(ctx) reads the reply for the oldest pending command into the
//     shared buffer c.buf and returns a pointer to it (valid only until the
//     next read: Clone it before handing it to a caller). A 4xx/5xx reply is
//     returned together with a *reply.Error (holding its own clone); a 421,
//     an I/O error, a timeout, a protocol error or a reply of a class the
//     command cannot get (c.unexpected) also breaks the client, and then
//     the *reply.Reply may be nil.
//   - c.roundTrip(ctx, exp, line) = queue + flush + next.
//   - c.fail(err) breaks the client (closes the connection, later calls get
//     ErrBroken + err); c.err != nil means broken. Wrap an I/O failure as
//     &ConnError{Op: verb, Err: err} (fail does it, with Op "", for an I/O
//     error that reaches it untyped), so that reply.RetryFor advises a new
//     connection; a failure after the final dot must match
//     ErrDeliveryUnknown instead.
//
// Pipelining (RFC 2920), only when c.ext.Pipelining(): queue several
// commands, flush once, then call next once per queued command, in order,
// even after error replies, so the FIFO stays matched. If next breaks the
// client, stop: the connection is closed and the rest cannot be read. DATA
// (or BDAT) must be the last command of a batch. After a 354, check
// c.br.Buffered() == 0 (else c.unsolicited), then reset c.wire onto c.bw
// and hand out a *DataWriter{c, ctx, stop} with c.dw set (see Client.Data).
//
// AUTH (RFC 4954), for auth.go:
//   - expect{verb: reply.CommandAuth, stage: stageCommand, want: wantAuth} accepts both
//     2xx and 334. After a 334, c.await334 is true, and the next line queued
//     is logged as "<redacted>" whatever it is; queue clears it.
//   - A line starting "AUTH " is logged as "AUTH <MECH> <redacted>"; set
//     expect.sensitive to redact a line entirely in other cases.
//   - c.Secure() reports TLS with a verified certificate; c.mode is the
//     resolved TLS policy.
//
// Streams (stream.go, SendAll and Pool): with c.deferEnd, transact ends a
// DATA message with closeDeferred, which leaves the final dot in c.bw and
// its "end of data" expect in c.pending, and records the message in c.end
// (one of the two slots of c.ends). The next transact enters with begin
// (not enter), queues RSET, MAIL FROM, RCPT TO and DATA behind the dot
// (one write), and its readReplies reads the dot's reply first (readEnd). Every
// other call's enter settles c.end first (settle: flush, readEnd), so no
// reply is ever taken for another command's. c.record is queue without
// the write, for BDAT's command and chunk in one writev.
//
// Transaction state: c.tx holds what MAIL declared (SMTPUTF8, BODY, SIZE) so
// that RCPT and DATA can check it; Reset and a completed DATA clear it.
// c.stale is set when the server refused the end of a message (a 4xx/5xx
// to the final dot): some servers (Postfix with
// smtpd_end_of_data_restrictions) keep the transaction open then, so the
// next transaction must start with RSET. Code that starts one (Mail, Send)
// calls c.queueReset before queuing MAIL FROM (RSET in the same flight,
// with PIPELINING) and, when it returned true, c.readReset before reading
// MAIL's reply; without PIPELINING, c.resetFirst does the RSET round trip
// first. A 2xx to RSET (also from Reset) or to MAIL FROM clears it. c.endTx
// ends a transaction that will not be completed with an RSET round trip.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/idna"

	"github.com/seed-e4e66a4f/smtp/internal/wire"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// Client is an SMTP session with one server. Create it with [Dial] or [New];
// both return a Client that has been greeted, has said EHLO and has applied
// the TLS policy. End it with [Client.Quit] (or [Client.Close] to drop the
// connection without QUIT).
//
// After a 421 reply, a timeout, a protocol error, a lost connection or a
// cancelled context the connection is closed and every later call returns
// at once an error matching both [ErrBroken] and the original error.
//
// A Client is not safe for concurrent use.
type Client struct {
	raw  net.Conn    // the network connection; closing it aborts any call
	conn net.Conn    // raw, or the *tls.Conn over it
	peek *sockPeeker // looks into the TCP socket; nil when there is none
	tlsT *transport  // under the *tls.Conn the client made, or nil
	br   *bufio.Reader
	bw   *bufio.Writer
	rr   *reply.Reader
	buf  reply.Reply // every reply is read into this one

	opts       Options
	mode       TLSMode // resolved: never TLSDefault
	serverName string  // for TLS verification
	localName  string  // EHLO/HELO argument
	log        *slog.Logger
	abortFn    func()

	greeting reply.Reply
	ext      Extensions
	tlsState *tls.ConnectionState
	authed   bool // a 235 to AUTH since the last EHLO or HELO
	// authPreTLS: the EHLO reply before STARTTLS advertised AUTH (for the
	// error AuthEager gives when the one after it does not).
	authPreTLS bool

	pending  pendingQueue // commands whose replies are not read yet (pending.go)
	line     []byte       // scratch buffer for building command lines
	await334 bool         // the last reply was 334: the next client line is secret
	secrets  []string     // what the current AUTH exchange sent: redacted from replies (redactEcho)

	tx       txState
	stale    bool          // the server refused the end of a message and may keep its transaction: RSET first
	end      *endPending   // a message whose final dot is written and whose reply is not read (stream.go)
	ends     [2]endPending // what end points to, in turn (nextEnd)
	endFlip  bool
	deferEnd bool        // Send leaves its final dot's reply for the next message (SendAll)
	dw       *DataWriter // open DataWriter, if any
	txw      DataWriter  // Send's, reused for every message
	cur      txn         // Send's transaction, reused for every message (send.go)
	// arena holds the texts of the replies of the message Send is
	// sending, in one allocation per message: its Result's replies are
	// sub-slices (reply.CloneAppend), so it is replaced, never reused.
	arena []byte
	wire  *wire.DataWriter // reused for every message

	err    error // first fatal error; non-nil means broken
	errOut error // what calls return once broken
	closed bool
}

// txState is what the current mail transaction declared at MAIL.
type txState struct {
	active bool
	utf8   bool // SMTPUTF8 requested
	body   Body
	size   int64
}

// want says which replies complete a command successfully.
type want uint8

const (
	wantOK   want = iota // any 2xx; 3xx is a protocol error
	wantData             // 354 only; 2xx is a protocol error (DATA)
	wantAuth             // 2xx or 334 (AUTH and its continuation lines)
	want220              // exactly 220 (STARTTLS)
)

// expect records a command whose reply is still to be read.
type expect struct {
	verb      string // "MAIL FROM": for errors and the transcript
	stage     stage  // which timeout applies
	want      want
	sensitive bool // log the line as "<redacted>"
}

// Dial connects to the SMTP server at addr ("host:port"), reads its
// greeting, says EHLO (or HELO when EHLO is answered 500 or 502), applies
// the TLS policy of opts (saying EHLO again after STARTTLS) and returns the
// ready Client. A nil opts is equivalent to a zero Options.
//
// The host of addr is the name the server's certificate is verified
// against, unless opts.TLSConfig.ServerName is set. A non-ASCII host name
// is converted to its IDNA A-label form ("xn--...") both for dialling and
// for verification.
//
// ctx bounds the whole of Dial; cancelling it closes the connection and Dial
// returns the context's error. Each stage is also bounded by
// opts.Timeouts.
//
// Errors: an [*InputError] for a bad addr or Options.LocalName (nothing is
// dialled); a [*ConnError] with Op "dial" wrapping the dialer's error; a
// [*reply.Error] for a greeting or EHLO reply of class 4 or 5 (Command
// "greeting", "EHLO" or "HELO"); a [*TLSError] when the TLS policy cannot
// be met; a [*reply.ProtocolError] for a malformed or unexpected reply or
// unsolicited data; a [*ConnError] for a connection lost or timed out
// (errors.Is(err, os.ErrDeadlineExceeded) for a timeout); the context's
// error when ctx ends. Each answers [reply.RetryFor]. On error the
// connection is closed.
func Dial(ctx context.Context, addr string, opts *Options) (*Client, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &InputError{Field: "address", Value: addr, Reason: err.Error()}
	}
	if host == "" || port == "" {
		return nil, &InputError{Field: "address", Value: addr, Reason: "want host:port"}
	}
	if !isASCII(host) {
		// Resolvers and certificates know the A-label form only.
		a, err := idna.Lookup.ToASCII(host)
		if err != nil || !validLDHDomain(strings.TrimSuffix(a, ".")) {
			return nil, &InputError{Field: "address", Value: addr, Reason: "bad internationalized domain name"}
		}
		host, addr = a, net.JoinHostPort(a, port)
	}
	if o.TLS == TLSDefault {
		o.TLS = TLSStartTLS
		if port == "465" || port == "smtps" || port == "submissions" {
			o.TLS = TLSImplicit
		}
	}
	if err := checkLocalName(&o); err != nil {
		return nil, err
	}
	dctx := ctx
	if d := o.Timeouts.dial(); d > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	var conn net.Conn
	if o.Dialer != nil {
		conn, err = o.Dialer.DialContext(dctx, "tcp", addr)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(dctx, "tcp", addr)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("smtp: dial %s: %w", addr, ctx.Err())
		}
		return nil, &ConnError{Op: "dial", Addr: addr, Err: err}
	}
	return newClient(ctx, conn, o, host)
}

// New starts an SMTP session on conn, an open connection to a server, as
// [Dial] does after dialling: greeting, EHLO, TLS policy. A nil opts is
// equivalent to a zero Options.
//
// With the default TLS mode, New uses implicit TLS when conn is already a
// *tls.Conn or its remote port is 465, and requires STARTTLS otherwise.
// Without Options.TLSConfig.ServerName, the certificate is verified against
// the IP address of conn's remote end: set ServerName when conn goes
// through a proxy or when the certificate names a host.
//
// New returns the errors Dial does. On error it closes conn.
func New(ctx context.Context, conn net.Conn, opts *Options) (*Client, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	var host string
	if a, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		host = a.IP.String()
		if o.TLS == TLSDefault && a.Port == 465 {
			o.TLS = TLSImplicit
		}
	}
	if _, ok := conn.(*tls.Conn); ok && o.TLS == TLSDefault {
		o.TLS = TLSImplicit
	}
	if o.TLS == TLSDefault {
		o.TLS = TLSStartTLS
	}
	if err := checkLocalName(&o); err != nil {
		conn.Close()
		return nil, err
	}
	return newClient(ctx, conn, o, host)
}

// newClient runs the opening of the session on conn. o.TLS is resolved and
// o.LocalName validated (possibly empty).
func newClient(ctx context.Context, conn net.Conn, o Options, host string) (*Client, error) {
	c := &Client{
		raw:        conn,
		conn:       conn,
		opts:       o,
		mode:       o.TLS,
		serverName: host,
		localName:  o.LocalName,
		log:        o.Logger,
		line:       make([]byte, 0, 256),
		pending:    pendingQueue{items: make([]expect, 0, 8)},
	}
	c.abortFn = c.abort
	c.peek = newSockPeeker(tcpConn(conn))
	if c.localName == "" {
		c.localName = defaultLocalName(conn.LocalAddr())
	}
	c.br = readers.Get().(*bufio.Reader)
	c.br.Reset(conn)
	c.bw = writers.Get().(*bufio.Writer)
	c.bw.Reset(conn)
	c.rr = reply.NewReader(c.br, o.ReplyLimits)

	stop, err := c.enter(ctx)
	if err == nil {
		err = c.open(ctx)
		err = c.leave(ctx, stop, "connect", err)
	}
	if err != nil {
		c.closed = true
		c.raw.Close()
		c.putBuffers()
		return nil, err
	}
	return c, nil
}

// The buffered readers and writers of closed Clients, for the next ones: a
// program that opens a connection per message allocates them once.
var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufSize) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, writeBufSize) }}
)

// putBuffers gives c's buffered reader and writer back, once c is closed
// (every call then returns before touching them).
func (c *Client) putBuffers() {
	if c.br != nil {
		c.br.Reset(nil)
		readers.Put(c.br)
		c.br = nil
	}
	if c.bw != nil {
		c.bw.Reset(nil)
		writers.Put(c.bw)
		c.bw = nil
	}
}

// The sizes of the buffered reader and writer of a Client.
const (
	readBufSize  = 4096
	writeBufSize = 4096
)

// abort closes the network connection; context.AfterFunc calls it.
func (c *Client) abort() { c.raw.Close() }

// enter starts a call: it fails at once when the client is broken or closed,
// a DataWriter is open or ctx is done, and otherwise arms ctx to close the
// connection. The returned stop function (nil when ctx can never be done)
// goes to leave. A message of a stream whose final reply is still due is
// settled first (see settle), unless a transaction pipelines that reply
// with its own commands (it calls begin).
func (c *Client) enter(ctx context.Context) (func() bool, error) {
	if c.end != nil {
		c.settle(ctx)
	}
	return c.begin(ctx)
}

// begin is enter without settling a stream's message in flight: for a
// transaction, which reads that reply with its own (see transact).
func (c *Client) begin(ctx context.Context) (func() bool, error) {
	switch {
	case c.err != nil:
		return nil, c.errOut
	case c.closed:
		return nil, ErrClosed
	case c.dw != nil:
		return nil, &InputError{Field: "call", Reason: "the DataWriter from Data must be closed first"}
	}
	if ctx.Done() == nil {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return context.AfterFunc(ctx, c.abortFn), nil
}

// leave ends a call started by enter. When ctx fired during the call (so
// the connection was closed), the client is broken with the context's error,
// which is returned in place of err when the call failed.
func (c *Client) leave(ctx context.Context, stop func() bool, verb string, err error) error {
	if stop == nil || stop() {
		return err
	}
	cerr := fmt.Errorf("smtp: %s: %w", verb, ctx.Err())
	c.setBroken(cerr)
	if err == nil {
		return nil
	}
	return cerr
}

// fail makes the client broken with err (unless it already is), closes the
// connection and returns err. An I/O failure that carries no retry advice
// is wrapped in a *ConnError first.
func (c *Client) fail(err error) error {
	if _, ok := errors.AsType[retrier](err); !ok && isConnFailure(err) {
		err = &ConnError{Err: err}
	}
	if c.err == nil {
		c.setBroken(err)
	}
	return err
}

// retrier is an error with retry advice, as reply.RetryFor looks for.
type retrier interface {
	error
	Retry() reply.Retry
}

func (c *Client) setBroken(err error) {
	c.err = err
	c.errOut = &brokenError{err}
	c.raw.Close()
}

// deadline returns the deadline for stage s starting now (zero: none).
func (c *Client) deadline(s stage) time.Time {
	if d := c.opts.Timeouts.timeout(s); d > 0 {
		return time.Now().Add(d)
	}
	return time.Time{}
}

// queue appends line and CRLF to the write buffer and records exp. See the
// comment at the top of this file.
func (c *Client) queue(ctx context.Context, exp expect, line []byte) error {
	if err := c.record(ctx, exp, line); err != nil {
		return err
	}
	c.bw.Write(line)
	c.bw.WriteString("\r\n")
	return nil
}

// record is queue but for the write: it checks line, logs it and records
// exp, for a caller that writes line itself.
func (c *Client) record(ctx context.Context, exp expect, line []byte) error {
	for _, b := range line {
		if b == '\r' || b == '\n' || b == 0 {
			// Unreachable when callers validate their input; refuse anyway
			// rather than let a line turn into two commands.
			return &InputError{Field: "command", Value: string(line), Reason: "contains CR, LF or NUL"}
		}
	}
	secret := exp.sensitive || c.await334
	c.await334 = false
	if c.logging(ctx) {
		c.logSend(ctx, line, secret)
	}
	c.pending.add(exp)
	return nil
}

// flush writes the queued commands. With nothing in flight, anything the
// server sent is unsolicited (see quiet).
func (c *Client) flush(ctx context.Context) error {
	verb := "command"
	st := stageCommand
	if c.pending.len() > 0 {
		last := c.pending.newest()
		verb, st = last.verb, last.stage
	}
	if c.pending.idle() {
		first := verb
		if c.pending.len() > 0 {
			first = c.pending.oldest().verb
		}
		if err := c.quiet(ctx, first); err != nil {
			return err
		}
	}
	c.raw.SetWriteDeadline(c.deadline(st))
	if c.end != nil {
		// From here on the final dot may have reached the server.
		c.end.flushed = true
	}
	if err := c.bw.Flush(); err != nil {
		return c.fail(&ConnError{Op: verb, Err: err})
	}
	c.pending.flushed()
	return nil
}

// tlsDrainWait bounds how long quiet reads through a *tls.Conn given to New
// to learn whether the bytes waiting in the socket carry data. It is only
// spent when they do not (a TLS 1.3 session ticket sent after the
// handshake): bytes of data end the read at once.
const tlsDrainWait = 10 * time.Millisecond

// longAgo is a read deadline that has passed: a read under it returns what
// is already buffered, or a timeout at once, without a system call.
var longAgo = time.Unix(1, 0)

// quiet checks, before the client writes with no reply outstanding, that
// the server has sent nothing: no byte buffered in c.br, none in a TLS
// record already read from the socket and, when the connection is a TCP
// socket, none waiting in the socket (recv with MSG_PEEK|MSG_DONTWAIT: it
// never blocks and consumes nothing). Bytes are a *reply.ProtocolError
// ViolationUnsolicited; a connection that the server has closed is a
// *ConnError for verb. Both break the client.
//
// Under TLS some records carry no data (session tickets, key updates,
// close_notify), so quiet reads through TLS what has arrived and only data
// counts. On a *tls.Conn the client made, the transport under it returns a
// timeout at once instead of waiting (see transport); on one given to New,
// quiet reads first under a deadline that has passed (what crypto/tls has
// buffered) and, when the socket holds more, for at most tlsDrainWait.
func (c *Client) quiet(ctx context.Context, verb string) error {
	if c.br.Buffered() > 0 {
		return c.unsolicited(ctx, verb)
	}
	if t := c.tlsT; t != nil {
		t.polling = true
		err := c.drain(ctx, verb)
		t.polling = false
		return err
	}
	_, isTLS := c.conn.(*tls.Conn)
	if isTLS {
		c.raw.SetReadDeadline(longAgo)
		if err := c.drain(ctx, verb); err != nil {
			return err
		}
	}
	switch c.peek.peek() {
	case peekNothing:
		return nil
	case peekEOF:
		return c.fail(&ConnError{Op: verb, Err: io.ErrUnexpectedEOF})
	}
	if isTLS {
		c.raw.SetReadDeadline(time.Now().Add(tlsDrainWait))
		return c.drain(ctx, verb)
	}
	// The bytes are in the socket and reading them cannot block. Read them
	// anyway under a deadline, for the transcript.
	c.raw.SetReadDeadline(time.Now().Add(time.Second))
	if err := c.drain(ctx, verb); err != nil {
		return err
	}
	return c.unsolicited(ctx, verb)
}

// drain reads into c.br what arrives without waiting (see quiet). Data is
// unsolicited; a timeout means there was none; the end of the stream or
// another error is a lost connection.
func (c *Client) drain(ctx context.Context, verb string) error {
	_, err := c.br.Peek(1)
	switch {
	case c.br.Buffered() > 0:
		return c.unsolicited(ctx, verb)
	case err == nil || errors.Is(err, os.ErrDeadlineExceeded):
		return nil
	case err == io.EOF:
		err = io.ErrUnexpectedEOF
	}
	return c.fail(&ConnError{Op: verb, Err: err})
}

// unsolicited reports bytes the server sent when it owed no reply, before
// the client wrote verb, and breaks the client. Two complete replies are
// taken for what they say rather than as a desynchronised server:
//
//   - 421, which a server may send unasked before it closes (RFC 5321
//     section 3.8, typically after an idle timeout), so that
//     reply.IsServiceClosing holds;
//   - a 4xx or 5xx sent during a message body, before the final dot
//     (verb "end of data"): the server refused the message early, as some
//     do when it grows over their size limit. The dot is never sent.
//
// Anything else is a *reply.ProtocolError of kind ViolationUnsolicited.
func (c *Client) unsolicited(ctx context.Context, verb string) error {
	n := c.br.Buffered()
	buf, _ := c.br.Peek(n)
	if len(buf) > 0 && (bytes.HasPrefix(buf, []byte("421")) || (verb == reply.CommandEndOfData && (buf[0] == '4' || buf[0] == '5'))) {
		var r reply.Reply
		rd := reply.NewReader(bufio.NewReader(bytes.NewReader(buf)), c.opts.ReplyLimits)
		if rd.ReadReply(&r) == nil && (r.Code == reply.CodeServiceNotAvailable || verb == reply.CommandEndOfData) {
			if c.logging(ctx) {
				c.logRecv(ctx, &r)
			}
			return c.fail(&reply.Error{Command: verb, Reply: r})
		}
	}
	if c.logging(ctx) {
		c.log.LogAttrs(ctx, slog.LevelDebug, "smtp unsolicited data",
			slog.Int("bytes", n), slog.String("start", fmt.Sprintf("%q", buf[:min(n, 64)])))
	}
	return c.fail(&reply.ProtocolError{Kind: reply.ViolationUnsolicited})
}

// peekResult is what a look into the socket found.
type peekResult uint8

const (
	peekNothing peekResult = iota // no byte waiting, or no way to tell
	peekData                      // at least one byte waiting
	peekEOF                       // the server closed its side
)

// tcpConn returns the TCP connection under conn (directly, or under a
// *tls.Conn), or nil. Other wrappers are not looked through: their bytes on
// the socket need not be the SMTP stream.
func tcpConn(conn net.Conn) *net.TCPConn {
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	tcp, _ := conn.(*net.TCPConn)
	return tcp
}

// next reads the reply to the oldest pending command into c.buf. See the
// comment at the top of this file.
func (c *Client) next(ctx context.Context) (*reply.Reply, error) {
	exp, ok := c.pending.take()
	if !ok {
		// A bug in this package; never block on a reply nobody asked for.
		return nil, c.fail(errors.New("smtp: internal error: reading a reply to no command"))
	}
	return c.read(ctx, exp)
}

// read reads one reply for exp and classifies it.
func (c *Client) read(ctx context.Context, exp expect) (*reply.Reply, error) {
	c.raw.SetReadDeadline(c.deadline(exp.stage))
	r := &c.buf
	if err := c.rr.ReadReply(r); err != nil {
		if _, ok := errors.AsType[*reply.ProtocolError](err); ok {
			return nil, c.fail(fmt.Errorf("smtp: reply to %s: %w", exp.verb, err))
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, c.fail(&ConnError{Op: exp.verb, Err: err})
	}
	logged := r
	if len(c.secrets) > 0 {
		if red, ok := c.redactEcho(r); ok {
			// A challenge goes to the mechanism as it came; only its
			// transcript is redacted. A final reply is redacted itself.
			logged = &red
			if r.Code != reply.CodeAuthContinue {
				*r = red
			}
		}
	}
	if c.logging(ctx) {
		c.logRecv(ctx, logged)
	}
	switch r.Code.Class() {
	case reply.ClassSuccess:
		if exp.want == wantData || (exp.want == want220 && r.Code != reply.CodeServiceReady) {
			return r, c.unexpected(exp, r)
		}
	case reply.ClassIntermediate:
		switch {
		case exp.want == wantData && r.Code == reply.CodeStartMailInput:
		case exp.want == wantAuth && r.Code == reply.CodeAuthContinue:
			c.await334 = true
		default:
			return r, c.unexpected(exp, r)
		}
	case reply.ClassTransient, reply.ClassPermanent:
		err := &reply.Error{Command: exp.verb, Reply: r.Clone()}
		if r.Code == reply.CodeServiceNotAvailable {
			// 421: the server is closing the connection.
			return r, c.fail(err)
		}
		return r, err
	default:
		return r, c.unexpected(exp, r)
	}
	return r, nil
}

// unexpected breaks the client after a reply of a class the command cannot
// receive (250 to DATA, 334 to MAIL...): client and server disagree on where
// they are, and going on could turn data into commands.
func (c *Client) unexpected(exp expect, r *reply.Reply) error {
	return c.fail(fmt.Errorf("smtp: %s: unexpected reply %s: %w", exp.verb, r.String(),
		&reply.ProtocolError{Kind: reply.ViolationUnexpectedReply}))
}

// roundTrip queues line, flushes and reads its reply. The client must have
// nothing pending.
func (c *Client) roundTrip(ctx context.Context, exp expect, line []byte) (*reply.Reply, error) {
	if err := c.queue(ctx, exp, line); err != nil {
		return nil, err
	}
	if err := c.flush(ctx); err != nil {
		return nil, err
	}
	return c.next(ctx)
}

// simple runs a public single-command call: enter, roundTrip, leave, and
// returns a clone of the reply.
func (c *Client) simple(ctx context.Context, exp expect, line []byte) (reply.Reply, error) {
	stop, err := c.enter(ctx)
	if err != nil {
		return reply.Reply{}, err
	}
	r, err := c.roundTrip(ctx, exp, line)
	err = c.leave(ctx, stop, exp.verb, err)
	if r == nil {
		return reply.Reply{}, err
	}
	return r.Clone(), err
}

// cmdLine builds verb + " " + arg in c.line.
func (c *Client) cmdLine(verb, arg string) []byte {
	c.line = append(c.line[:0], verb...)
	if arg != "" {
		c.line = append(c.line, ' ')
		c.line = append(c.line, arg...)
	}
	return c.line
}

// Greeting returns the server's opening reply (220). With STARTTLS it was
// received before TLS, so it is informative only.
func (c *Client) Greeting() reply.Reply { return c.greeting }

// Extensions returns the extensions the server advertised in its last EHLO
// reply (empty after a HELO fallback). After STARTTLS they are those of the
// EHLO sent over TLS.
func (c *Client) Extensions() Extensions { return c.ext }

// Extension reports whether the server advertised the EHLO keyword name
// (case-insensitive), and its parameters ("10240000" for "SIZE 10240000",
// "" when there are none).
func (c *Client) Extension(name string) (param string, ok bool) {
	return c.ext.Param(name)
}

// TLSConnectionState returns the state of the TLS connection and true when
// the session runs over TLS (implicit or after STARTTLS), or false.
func (c *Client) TLSConnectionState() (tls.ConnectionState, bool) {
	if c.tlsState == nil {
		return tls.ConnectionState{}, false
	}
	return *c.tlsState, true
}

// Secure reports whether the session runs over TLS with a certificate that
// crypto/tls verified (the connection state has verified chains). A session
// that is not secure does not send credentials and refuses REQUIRETLS.
func (c *Client) Secure() bool {
	return c.tlsState != nil && len(c.tlsState.VerifiedChains) > 0
}

// LocalName returns the name the client sent in EHLO or HELO.
func (c *Client) LocalName() string { return c.localName }

// Close closes the connection without sending QUIT. It is safe to call
// more than once; later calls return nil. After Close every call returns
// [ErrClosed] (or, if the client was broken, the broken error).
func (c *Client) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if c.dw != nil {
		// The message was not terminated: the server discards it.
		c.dw.closed = true
		c.dw.err = ErrClosed
		c.dw.disarm()
		c.dw = nil
	}
	err := c.raw.Close()
	c.putBuffers()
	if c.err != nil || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
