package client

import (
	"context"
	"net"
	"os"
	"strings"
	"time"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// open runs the opening of the session: implicit TLS, greeting, EHLO and
// the STARTTLS policy.
func (c *Client) open(ctx context.Context) error {
	if c.mode == TLSImplicit {
		if err := c.handshake(stageGreeting); err != nil {
			return err
		}
	}
	if err := c.greet(ctx); err != nil {
		return err
	}
	if err := c.hello(ctx); err != nil {
		return err
	}
	if c.mode == TLSStartTLS || c.mode == TLSOpportunistic {
		return c.startTLS(ctx)
	}
	return nil
}

// greet reads the greeting. 2xx is success. 5xx (554: "no SMTP service
// here") is answered with QUIT, as RFC 5321 section 3.1 asks; 4xx (421) ends
// the session.
func (c *Client) greet(ctx context.Context) error {
	r, err := c.read(ctx, expect{verb: reply.CommandGreeting, stage: stageGreeting})
	if r != nil {
		c.greeting = r.Clone()
	}
	if err != nil && r != nil && r.Code.Class() == reply.ClassPermanent {
		c.quitQuietly(ctx)
	}
	return err
}

// quitTimeout bounds the courtesy QUIT sent on failure paths.
const quitTimeout = 10 * time.Second

// quitQuietly sends QUIT and waits briefly for the reply, ignoring errors;
// only for failure paths where the session ends anyway.
func (c *Client) quitQuietly(ctx context.Context) {
	if c.err != nil {
		return
	}
	d := quitTimeout
	if t := c.opts.Timeouts.timeout(stageCommand); t > 0 && t < d {
		d = t
	}
	c.raw.SetDeadline(time.Now().Add(d))
	c.pending.reset()
	if c.queue(ctx, expect{verb: reply.CommandQuit, stage: stageCommand}, c.cmdLine(reply.CommandQuit, "")) != nil {
		return
	}
	if c.bw.Flush() != nil {
		return
	}
	c.pending.reset()
	if c.rr.ReadReply(&c.buf) == nil && c.logging(ctx) {
		c.logRecv(ctx, &c.buf)
	}
}

// hello says EHLO, and HELO when EHLO is answered 500 or 502 (RFC 5321
// section 3.2). Any other failure, 421 included, is returned as is.
func (c *Client) hello(ctx context.Context) error {
	// A new EHLO resets the session (RFC 5321 section 4.1.4): no transaction
	// survives it, and after STARTTLS no authentication either (RFC 3207 4.2).
	c.authed, c.stale = false, false
	r, err := c.roundTrip(ctx, expect{verb: reply.CommandEHLO, stage: stageCommand}, c.cmdLine(reply.CommandEHLO, c.localName))
	if err == nil {
		c.ext = parseExtensions(r)
		return nil
	}
	if r == nil || c.err != nil || (r.Code != reply.CodeSyntaxError && r.Code != reply.CodeNotImplemented) {
		return err
	}
	if _, err := c.roundTrip(ctx, expect{verb: reply.CommandHELO, stage: stageCommand}, c.cmdLine(reply.CommandHELO, c.localName)); err != nil {
		return err
	}
	c.ext = Extensions{}
	return nil
}

// checkLocalName validates o.LocalName and converts it to ASCII.
func checkLocalName(o *Options) error {
	if o.LocalName == "" {
		return nil
	}
	name, err := checkHelloName(o.LocalName)
	if err != nil {
		return err
	}
	o.LocalName = name
	return nil
}

// defaultLocalName returns the host name when it is fully qualified, and
// otherwise the address literal of local (RFC 5321 section 4.1.4).
func defaultLocalName(local net.Addr) string {
	if h, err := os.Hostname(); err == nil {
		h = strings.TrimSuffix(h, ".")
		if strings.Contains(h, ".") && !strings.EqualFold(h, "localhost.localdomain") {
			if name, err := checkHelloName(h); err == nil {
				return name
			}
		}
	}
	if a, ok := local.(*net.TCPAddr); ok && a.IP != nil && !a.IP.IsUnspecified() {
		if ip4 := a.IP.To4(); ip4 != nil {
			return "[" + ip4.String() + "]"
		}
		return "[IPv6:" + a.IP.String() + "]"
	}
	if h, err := os.Hostname(); err == nil {
		if name, err := checkHelloName(h); err == nil {
			return name
		}
	}
	return "localhost"
}
