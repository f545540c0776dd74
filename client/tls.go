package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// tlsConfig returns the TLS configuration of the session: a clone of
// Options.TLSConfig with ServerName and MinVersion filled in.
func (c *Client) tlsConfig() *tls.Config {
	var cfg *tls.Config
	if c.opts.TLSConfig != nil {
		cfg = c.opts.TLSConfig.Clone()
	} else {
		cfg = new(tls.Config)
	}
	if cfg.ServerName == "" {
		cfg.ServerName = c.serverName
	}
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

// errOldTLS is the cause of a TLSReasonHandshake error when a *tls.Conn
// given to New negotiated a version below TLS 1.2.
var errOldTLS = errors.New("smtp: TLS version below 1.2 negotiated")

// handshake runs the TLS client handshake on the connection within the
// timeout of stage s and switches the buffered reader and writer to it.
// Both buffers are empty: the caller checked the reader, the writer is
// always flushed between commands.
//
// A *tls.Conn given to New keeps its own configuration (its ServerName,
// its verification), but the TLS 1.2 floor is checked after its handshake.
func (c *Client) handshake(s stage) error {
	tc, ok := c.raw.(*tls.Conn)
	if !ok {
		c.tlsT = &transport{Conn: c.raw, peek: c.peek}
		tc = tls.Client(c.tlsT, c.tlsConfig())
	}
	c.raw.SetDeadline(c.deadline(s))
	if err := tc.Handshake(); err != nil {
		return c.fail(&TLSError{Reason: TLSReasonHandshake, Mode: c.mode, Err: err})
	}
	if v := tc.ConnectionState().Version; v < tls.VersionTLS12 {
		return c.fail(&TLSError{Reason: TLSReasonHandshake, Mode: c.mode,
			Err: fmt.Errorf("%w: %s", errOldTLS, tls.VersionName(v))})
	}
	c.conn = tc
	c.br.Reset(tc)
	c.bw.Reset(tc)
	st := tc.ConnectionState()
	c.tlsState = &st
	return nil
}

// startTLS applies the STARTTLS policy (RFC 3207) after the first EHLO.
func (c *Client) startTLS(ctx context.Context) error {
	if !c.ext.StartTLS() {
		if c.mode == TLSOpportunistic {
			c.note(ctx, "STARTTLS not offered; going on without TLS")
			return nil
		}
		return c.fail(&TLSError{Reason: TLSReasonNotOffered, Mode: c.mode})
	}
	if _, err := c.roundTrip(ctx, expect{verb: reply.CommandStartTLS, stage: stageCommand, want: want220}, c.cmdLine(reply.CommandStartTLS, "")); err != nil {
		if c.mode == TLSOpportunistic && c.err == nil {
			c.note(ctx, "STARTTLS refused; going on without TLS")
			return nil
		}
		// In required mode nothing else is sent: fail closes the connection.
		return c.fail(&TLSError{Reason: TLSReasonRefused, Mode: c.mode, Err: err})
	}
	if c.br.Buffered() > 0 || c.peek.peek() == peekData {
		// Bytes that arrived with the 220 would be read as if they came
		// over TLS: a response injection (CVE-2011-0411 and kin). Those
		// still in the socket would go to the TLS handshake, which would
		// fail on them; say what they are instead.
		return c.fail(&reply.ProtocolError{Kind: reply.ViolationUnsolicited, Err: ErrResponseInjection})
	}
	if err := c.handshake(stageCommand); err != nil {
		return err
	}
	// RFC 3207 section 4.2: forget what the server said before TLS (but
	// whether it offered AUTH, for an error message).
	c.authPreTLS = c.ext.Has("AUTH")
	c.ext = Extensions{}
	return c.hello(ctx)
}

// transport is the connection under a *tls.Conn that the client made. While
// polling is set (see Client.quiet), Read does not wait: when the socket
// has nothing (or cannot be looked into), it returns errWouldBlock at once.
// That error is a timeout, which crypto/tls passes on without breaking the
// session, exactly as for a read deadline; records already read from the
// socket are decrypted first, so a read while polling returns data the
// server sent, or reports the end of the stream, without waiting and
// without changing any deadline.
type transport struct {
	net.Conn
	peek    *sockPeeker
	polling bool
}

// errWouldBlock is what transport.Read returns while polling when no byte
// is waiting: a read timeout (errors.Is(err, os.ErrDeadlineExceeded)).
var errWouldBlock error = &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}

func (t *transport) Read(p []byte) (int, error) {
	if t.polling && t.peek.peek() == peekNothing {
		return 0, errWouldBlock
	}
	return t.Conn.Read(p)
}

// note logs an event of the session (not a command or reply) at debug level.
func (c *Client) note(ctx context.Context, msg string) {
	if c.logging(ctx) {
		c.log.LogAttrs(ctx, slog.LevelDebug, "smtp "+msg)
	}
}
