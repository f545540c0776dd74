package client

import (
	"context"
	"strconv"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// Body is the BODY parameter of MAIL FROM: the kind of content the message
// has (RFC 6152, RFC 3030). The zero value sends no BODY parameter, which
// means 7-bit content.
type Body uint8

// The body types.
const (
	// Body7Bit sends BODY=7BIT (only when the server advertised 8BITMIME;
	// otherwise 7 bit is the default and nothing is sent).
	Body7Bit Body = iota + 1
	// Body8BitMIME sends BODY=8BITMIME; it needs 8BITMIME. Request it only
	// when the message has octets above 127.
	Body8BitMIME
	// BodyBinaryMIME sends BODY=BINARYMIME (RFC 3030 section 3); it needs
	// BINARYMIME and CHUNKING, and the message must then be sent with
	// [Client.BDAT], not [Client.Data] ([Client.Send] does so by itself).
	// The body is sent as is, octet for octet: NUL, bare CR and bare LF
	// octets and lines of any length are allowed, nothing is normalised,
	// and no CRLF is added at the end (see [Client.BDAT]).
	BodyBinaryMIME
)

// String returns the parameter value, such as "8BITMIME", or "" for the
// zero value.
func (b Body) String() string {
	switch b {
	case Body7Bit:
		return "7BIT"
	case Body8BitMIME:
		return "8BITMIME"
	case BodyBinaryMIME:
		return "BINARYMIME"
	case 0:
		return ""
	}
	return "Body(" + strconv.Itoa(int(b)) + ")"
}

// DSNReturn is the RET parameter of MAIL FROM (RFC 3461 section 4.3): how
// much of the message a delivery status notification returns. The zero
// value sends no RET parameter.
type DSNReturn uint8

// The RET values.
const (
	DSNReturnFull    DSNReturn = iota + 1 // RET=FULL: the whole message
	DSNReturnHeaders                      // RET=HDRS: the headers only
)

// String returns the parameter value, such as "HDRS", or "" for the zero
// value.
func (r DSNReturn) String() string {
	switch r {
	case DSNReturnFull:
		return "FULL"
	case DSNReturnHeaders:
		return "HDRS"
	case 0:
		return ""
	}
	return "DSNReturn(" + strconv.Itoa(int(r)) + ")"
}

// DSNNotify is the NOTIFY parameter of RCPT TO (RFC 3461 section 4.1): a
// set of conditions for a delivery status notification. The zero value
// sends no NOTIFY parameter (the server's default, usually FAILURE).
// DSNNotifyNever cannot be combined with the others.
type DSNNotify uint8

// The NOTIFY conditions.
const (
	DSNNotifySuccess DSNNotify = 1 << iota // NOTIFY=SUCCESS
	DSNNotifyFailure                       // NOTIFY=FAILURE
	DSNNotifyDelay                         // NOTIFY=DELAY
	DSNNotifyNever                         // NOTIFY=NEVER
)

// String returns the parameter value, such as "SUCCESS,FAILURE", or "" for
// the zero value.
func (n DSNNotify) String() string {
	return string(n.appendTo(nil))
}

func (n DSNNotify) appendTo(dst []byte) []byte {
	start := len(dst)
	for _, f := range [...]struct {
		bit  DSNNotify
		name string
	}{{DSNNotifyNever, "NEVER"}, {DSNNotifySuccess, "SUCCESS"}, {DSNNotifyFailure, "FAILURE"}, {DSNNotifyDelay, "DELAY"}} {
		if n&f.bit != 0 {
			if len(dst) > start {
				dst = append(dst, ',')
			}
			dst = append(dst, f.name...)
		}
	}
	return dst
}

// MailOptions are the parameters of MAIL FROM. A nil *MailOptions is
// equivalent to the zero value, which sends no parameters. Each option that
// needs an extension the server did not advertise makes Mail fail with an
// [*UnsupportedError] before anything is sent.
type MailOptions struct {
	// Size is the message size in octets, sent as SIZE= when the server
	// advertised SIZE (RFC 1870). When the server advertised a limit and
	// Size exceeds it, Mail fails with a [*SizeError] before sending
	// anything. Zero sends nothing.
	Size int64

	// Body is the BODY= parameter; see [Body]. Zero sends nothing.
	Body Body

	// UTF8 requests SMTPUTF8 (RFC 6531): addresses may then have non-ASCII
	// local parts and domains, and the message may have UTF-8 headers.
	// Request it only when the message or an address needs it.
	UTF8 bool

	// RequireTLS sends REQUIRETLS (RFC 8689): every hop must use verified
	// TLS. It needs the REQUIRETLS extension and a session that
	// [Client.Secure] reports secure; otherwise Mail fails with a
	// [*TLSError] (TLSReasonNotSecure) or an [*UnsupportedError].
	RequireTLS bool

	// Return is the DSN RET= parameter; it needs DSN (RFC 3461).
	Return DSNReturn

	// EnvelopeID is the DSN ENVID= parameter, sent xtext-encoded; it needs
	// DSN. It must be printable ASCII, at most 100 characters. Empty sends
	// nothing.
	EnvelopeID string

	// Auth, when not nil, is sent as the AUTH= parameter (RFC 4954
	// section 5): the mailbox that submitted the message, xtext-encoded, or
	// "<>" when *Auth is empty (identity unknown). It needs AUTH.
	Auth *string
}

// RcptOptions are the parameters of RCPT TO. A nil *RcptOptions is
// equivalent to the zero value, which sends no parameters.
type RcptOptions struct {
	// Notify is the DSN NOTIFY= parameter; it needs DSN.
	Notify DSNNotify

	// OriginalRecipient is the DSN ORCPT= parameter (RFC 3461 section
	// 4.2): the recipient address as first given, sent as "rfc822;" and its
	// xtext encoding ("utf-8;" and RFC 6533 encoding for a non-ASCII
	// address in an SMTPUTF8 transaction). It needs DSN. Empty sends
	// nothing.
	OriginalRecipient string
}

// Mail starts a mail transaction with MAIL FROM:<from> and the parameters
// of opts (nil means none). An empty from sends the null reverse-path "<>",
// used for bounces.
//
// from must be a valid RFC 5321 mailbox (RFC 6531 with opts.UTF8); a
// non-ASCII domain is converted to IDNA A-labels when opts.UTF8 is false.
//
// After the server refused the end of the previous message (a 4xx/5xx to
// the final "." of [DataWriter.Close]), Mail first sends RSET: some servers
// keep that transaction open and would answer MAIL FROM with 503 (Postfix
// with smtpd_end_of_data_restrictions: "503 5.5.1 Error: nested MAIL
// command"). With PIPELINING, RSET and MAIL FROM leave together, with no
// extra round trip. If the server refuses RSET, MAIL FROM is sent all the
// same and its reply decides. After a message the server accepted, no RSET
// is sent: the transaction is over (RFC 5321 section 4.1.1.4).
//
// With Options.Auth set and the default [AuthEager], Mail authenticates
// first, as [Client.Send] does, when the session is not authenticated yet.
//
// Errors: before anything is sent, an [*InputError] for an invalid address
// or option, an [*UnsupportedError] (AUTH, with credentials and a server
// that does not offer it), a [*SizeError] or a [*TLSError]; the errors of
// [Client.Auth] when the authentication first fails;
// a [*reply.Error] (Command "MAIL FROM") for a 4xx/5xx reply, returned
// together with the reply; otherwise the errors of a broken connection
// (see [Client]).
func (c *Client) Mail(ctx context.Context, from string, opts *MailOptions) (reply.Reply, error) {
	var tx txState
	if c.err == nil && !c.closed {
		// Invalid input is refused before AUTH too.
		if _, err := c.mailLine(from, opts); err != nil {
			return reply.Reply{}, err
		}
		if _, err := c.authFirst(ctx); err != nil {
			return reply.Reply{}, err
		}
	}
	if c.err == nil && !c.closed {
		var err error
		if tx, err = c.mailLine(from, opts); err != nil {
			return reply.Reply{}, err
		}
	}
	stop, err := c.enter(ctx)
	if err != nil {
		return reply.Reply{}, err
	}
	r, err := c.mail(ctx)
	if err == nil {
		c.tx = tx
	}
	err = c.leave(ctx, stop, mailExp.verb, err)
	if r == nil {
		return reply.Reply{}, err
	}
	return r.Clone(), err
}

// mail sends the MAIL FROM line built in c.line and reads its reply, after
// an RSET when the server may still hold a transaction (c.stale): in the
// same flight with PIPELINING, in a round trip of its own otherwise.
func (c *Client) mail(ctx context.Context) (*reply.Reply, error) {
	rset := c.queueReset(ctx)
	if !rset {
		if err := c.resetFirst(ctx); err != nil {
			return nil, err
		}
	}
	c.queue(ctx, mailExp, c.line)
	if err := c.flush(ctx); err != nil {
		return nil, err
	}
	if rset {
		if err := c.readReset(ctx); err != nil {
			return nil, err
		}
	}
	r, err := c.next(ctx)
	if err == nil {
		c.stale = false // a new transaction: the old one is gone
	}
	return r, err
}

// What MAIL FROM and RSET expect.
var (
	mailExp  = expect{verb: reply.CommandMail, stage: stageMail}
	resetExp = expect{verb: reply.CommandRset, stage: stageCommand}
)

// rsetLine is the RSET command. Queuing it leaves c.line alone.
var rsetLine = []byte("RSET")

// queueReset queues RSET when the server may still hold a transaction
// (c.stale) and offers PIPELINING, and reports whether it did. The caller
// queues MAIL FROM after it and calls readReset before reading MAIL's
// reply.
func (c *Client) queueReset(ctx context.Context) bool {
	if !(c.stale || c.end != nil) || !c.ext.Pipelining() {
		// After a final dot whose reply is not read yet (a stream), the
		// server may refuse that message and keep its transaction, as
		// after any refused end of data: RSET, at no round trip's cost.
		return false
	}
	c.queue(ctx, resetExp, rsetLine)
	return true
}

// readReset reads the reply to the RSET that queueReset queued. A 2xx
// clears c.stale. A refusal is not returned: MAIL FROM follows all the
// same, and its reply says whether the server started a new transaction.
// The error returned is one that broke the client.
func (c *Client) readReset(ctx context.Context) error {
	_, err := c.next(ctx)
	if c.err != nil {
		return err
	}
	if err == nil {
		c.stale = false
	}
	return nil
}

// resetFirst is queueReset and readReset in one round trip, when c.stale:
// for a server without PIPELINING before MAIL FROM is written, and before
// AUTH.
func (c *Client) resetFirst(ctx context.Context) error {
	if !c.stale {
		return nil
	}
	c.queue(ctx, resetExp, rsetLine)
	if err := c.flush(ctx); err != nil {
		return err
	}
	return c.readReset(ctx)
}

// endTx ends the current transaction with RSET (after a refused DATA, an
// envelope that cannot be delivered, an abandoned BDAT message): whatever
// the server answers, the client forgets the transaction. The error
// returned is one that broke the client.
func (c *Client) endTx(ctx context.Context) error {
	_, err := c.roundTrip(ctx, resetExp, rsetLine)
	if c.err != nil {
		return err
	}
	c.tx = txState{}
	if err == nil {
		c.stale = false
	}
	return nil
}

// mailLine validates from and opts and builds the MAIL FROM line in c.line,
// for Mail.
func (c *Client) mailLine(from string, opts *MailOptions) (txState, error) {
	var tx txState
	var err error
	c.line, tx, err = appendMail(c.line[:0], c.ext, c.Secure(), c.mode, from, opts)
	return tx, err
}

// appendMail validates from and opts against the server's extensions ext
// (and, for REQUIRETLS, whether the session is secure; mode is its TLS
// policy, for the error) and appends the MAIL FROM line, without CRLF, to
// dst. It returns what the transaction declares. On error dst may hold
// part of the line.
func appendMail(dst []byte, ext Extensions, secure bool, mode TLSMode, from string, opts *MailOptions) ([]byte, txState, error) {
	var o MailOptions
	if opts != nil {
		o = *opts
	}
	tx := txState{active: true, utf8: o.UTF8, body: o.Body, size: o.Size}
	if o.UTF8 && !ext.SMTPUTF8() {
		return dst, tx, &UnsupportedError{Extension: "SMTPUTF8", Option: "SMTPUTF8"}
	}
	path := ""
	if from != "" {
		var err error
		if path, err = checkMailbox("from", from, o.UTF8); err != nil {
			return dst, tx, err
		}
	}
	dst = append(dst, "MAIL FROM:<"...)
	dst = append(dst, path...)
	dst = append(dst, '>')

	switch o.Body {
	case 0:
	case Body7Bit:
		if ext.EightBitMIME() {
			dst = append(dst, " BODY=7BIT"...)
		}
	case Body8BitMIME:
		if !ext.EightBitMIME() {
			return dst, tx, &UnsupportedError{Extension: "8BITMIME", Option: "BODY=8BITMIME"}
		}
		dst = append(dst, " BODY=8BITMIME"...)
	case BodyBinaryMIME:
		if !ext.BinaryMIME() || !ext.Chunking() {
			return dst, tx, &UnsupportedError{Extension: "BINARYMIME and CHUNKING", Option: "BODY=BINARYMIME"}
		}
		dst = append(dst, " BODY=BINARYMIME"...)
	default:
		return dst, tx, &InputError{Field: "BODY", Value: o.Body.String(), Reason: "unknown body type"}
	}

	if o.Size < 0 {
		return dst, tx, &InputError{Field: "SIZE", Value: strconv.FormatInt(o.Size, 10), Reason: "negative"}
	}
	if limit, ok := ext.Size(); ok && o.Size > 0 {
		if limit > 0 && o.Size > limit {
			return dst, tx, &SizeError{Size: o.Size, Limit: limit}
		}
		dst = append(dst, " SIZE="...)
		dst = strconv.AppendInt(dst, o.Size, 10)
	}

	if o.UTF8 {
		dst = append(dst, " SMTPUTF8"...)
	}

	if o.RequireTLS {
		if !secure {
			return dst, tx, &TLSError{Reason: TLSReasonNotSecure, Mode: mode}
		}
		if !ext.RequireTLS() {
			return dst, tx, &UnsupportedError{Extension: "REQUIRETLS", Option: "REQUIRETLS"}
		}
		dst = append(dst, " REQUIRETLS"...)
	}

	if len(o.EnvelopeID) > 100 {
		return dst, tx, &InputError{Field: "ENVID", Value: o.EnvelopeID, Reason: "longer than 100 characters"}
	}
	for i := 0; i < len(o.EnvelopeID); i++ {
		if b := o.EnvelopeID[i]; b < 0x20 || b > 0x7e {
			return dst, tx, &InputError{Field: "ENVID", Value: o.EnvelopeID, Reason: "not printable ASCII"}
		}
	}
	if o.Return != 0 || o.EnvelopeID != "" {
		if !ext.DSN() {
			opt := "RET"
			if o.Return == 0 {
				opt = "ENVID"
			}
			return dst, tx, &UnsupportedError{Extension: "DSN", Option: opt}
		}
	}
	switch o.Return {
	case 0:
	case DSNReturnFull, DSNReturnHeaders:
		dst = append(dst, " RET="...)
		dst = append(dst, o.Return.String()...)
	default:
		return dst, tx, &InputError{Field: "RET", Value: o.Return.String(), Reason: "unknown value"}
	}
	if o.EnvelopeID != "" {
		dst = append(dst, " ENVID="...)
		dst = appendXtext(dst, o.EnvelopeID)
	}

	if o.Auth != nil {
		if !ext.Has("AUTH") {
			return dst, tx, &UnsupportedError{Extension: "AUTH", Option: "AUTH="}
		}
		dst = append(dst, " AUTH="...)
		if *o.Auth == "" {
			dst = append(dst, "<>"...)
		} else {
			a, err := checkMailbox("AUTH", *o.Auth, false)
			if err != nil {
				return dst, tx, err
			}
			dst = appendXtext(dst, a)
		}
	}
	return dst, tx, nil
}

// Rcpt adds a recipient to the transaction with RCPT TO:<to> and the
// parameters of opts (nil means none). Call it once per recipient after
// [Client.Mail].
//
// to must be a valid RFC 5321 mailbox (RFC 6531 when Mail requested
// SMTPUTF8); a non-ASCII domain is converted to IDNA A-labels otherwise.
//
// Errors: an [*InputError] or [*UnsupportedError] before anything is sent;
// a [*reply.Error] (Command "RCPT TO") for a 4xx/5xx reply, returned with
// the reply (the transaction goes on: other recipients may still be
// accepted); otherwise the errors of a broken connection.
func (c *Client) Rcpt(ctx context.Context, to string, opts *RcptOptions) (reply.Reply, error) {
	if c.err == nil && !c.closed {
		if err := c.rcptLine(to, opts); err != nil {
			return reply.Reply{}, err
		}
	}
	return c.simple(ctx, expect{verb: reply.CommandRcpt, stage: stageRcpt}, c.line)
}

// rcptLine validates to and opts and builds the RCPT TO line in c.line,
// for Rcpt.
func (c *Client) rcptLine(to string, opts *RcptOptions) error {
	var err error
	c.line, err = appendRcpt(c.line[:0], c.ext, c.tx.utf8, to, opts)
	return err
}

// appendRcpt validates to and opts against the server's extensions ext
// (utf8: the transaction declared SMTPUTF8) and appends the RCPT TO line,
// without CRLF, to dst. On error dst may hold part of the line.
func appendRcpt(dst []byte, ext Extensions, utf8 bool, to string, opts *RcptOptions) ([]byte, error) {
	var o RcptOptions
	if opts != nil {
		o = *opts
	}
	path, err := checkMailbox("to", to, utf8)
	if err != nil {
		return dst, err
	}
	if (o.Notify != 0 || o.OriginalRecipient != "") && !ext.DSN() {
		opt := "NOTIFY"
		if o.Notify == 0 {
			opt = "ORCPT"
		}
		return dst, &UnsupportedError{Extension: "DSN", Option: opt}
	}
	dst = append(dst, "RCPT TO:<"...)
	dst = append(dst, path...)
	dst = append(dst, '>')
	if o.Notify != 0 {
		if o.Notify&DSNNotifyNever != 0 && o.Notify != DSNNotifyNever || o.Notify >= DSNNotifyNever<<1 {
			return dst, &InputError{Field: "NOTIFY", Value: o.Notify.String(), Reason: "NEVER cannot be combined with other conditions"}
		}
		dst = append(dst, " NOTIFY="...)
		dst = o.Notify.appendTo(dst)
	}
	if a := o.OriginalRecipient; a != "" {
		if len(a) > 500 {
			return dst, &InputError{Field: "ORCPT", Value: a, Reason: "too long"}
		}
		for i := 0; i < len(a); i++ {
			if b := a[i]; b < 0x20 || b == 0x7f {
				return dst, &InputError{Field: "ORCPT", Value: a, Reason: "contains a control character"}
			}
		}
		if isASCII(a) {
			dst = append(dst, " ORCPT=rfc822;"...)
			dst = appendXtext(dst, a)
		} else {
			if !utf8 {
				return dst, &InputError{Field: "ORCPT", Value: a, Reason: "non-ASCII address needs SMTPUTF8"}
			}
			dst = append(dst, " ORCPT=utf-8;"...)
			dst = appendUTF8AddrXtext(dst, a)
		}
	}
	return dst, nil
}

// Reset aborts the current mail transaction with RSET. The session stays
// open. A successful Reset also spares the next [Client.Mail] or
// [Client.Send] the RSET they send after a refused end of data. Errors: a
// [*reply.Error] (Command "RSET") for a 4xx/5xx reply, or the errors of a
// broken connection.
func (c *Client) Reset(ctx context.Context) (reply.Reply, error) {
	r, err := c.simple(ctx, resetExp, rsetLine)
	if err == nil {
		c.tx = txState{}
		c.stale = false
	}
	return r, err
}

// Noop sends NOOP, which does nothing but check that the server answers.
// Errors: a [*reply.Error] (Command "NOOP"), or the errors of a broken
// connection.
func (c *Client) Noop(ctx context.Context) (reply.Reply, error) {
	return c.simple(ctx, expect{verb: reply.CommandNoop, stage: stageCommand}, c.cmdLine(reply.CommandNoop, ""))
}

// Verify asks the server with VRFY whether addr (a mailbox or user name,
// printable ASCII) names a user. Most servers answer 252 ("cannot verify,
// but will accept") or refuse with 502; a 2xx reply is returned without
// error. Errors: an [*InputError] for a bad addr, a [*reply.Error] (Command
// "VRFY"), or the errors of a broken connection.
func (c *Client) Verify(ctx context.Context, addr string) (reply.Reply, error) {
	if err := checkText("VRFY", addr); err != nil {
		return reply.Reply{}, err
	}
	return c.simple(ctx, expect{verb: reply.CommandVrfy, stage: stageCommand}, c.cmdLine(reply.CommandVrfy, addr))
}

// Quit ends the session: it sends QUIT, waits for the reply and closes the
// connection. The Client cannot be used afterwards. On a broken client it
// closes the connection and returns the stored error.
//
// Errors: a [*reply.Error] (Command "QUIT") for a 4xx/5xx reply, or the
// errors of a broken connection (a server that closes the connection
// without answering QUIT gives one matching io.ErrUnexpectedEOF).
func (c *Client) Quit(ctx context.Context) error {
	_, err := c.simple(ctx, expect{verb: reply.CommandQuit, stage: stageCommand}, c.cmdLine(reply.CommandQuit, ""))
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	return err
}
