package client

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// holdConn keeps what is written while hold is set, and release sends it in
// one write: several TLS records then reach the client in one segment.
type holdConn struct {
	net.Conn
	mu   sync.Mutex
	hold bool
	buf  []byte
}

func (h *holdConn) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hold {
		h.buf = append(h.buf, p...)
		return len(p), nil
	}
	return h.Conn.Write(p)
}

func (h *holdConn) setHold() {
	h.mu.Lock()
	h.hold = true
	h.mu.Unlock()
}

func (h *holdConn) release() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hold = false
	_, err := h.Conn.Write(h.buf)
	h.buf = nil
	return err
}

// serveCoalesced plays a session on ln, with STARTTLS or, when implicit,
// TLS from the start: after TLS it answers NOOP with two replies, two TLS
// records sent in one write, then returns what the client sent after NOOP
// until it closed the connection.
func serveCoalesced(ln net.Listener, implicit bool) (string, error) {
	raw, err := ln.Accept()
	if err != nil {
		return "", err
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(hang))
	hc := &holdConn{Conn: raw}
	cert, _ := testCert()
	tc := tls.Server(hc, &tls.Config{Certificates: []tls.Certificate{cert}})
	var br *bufio.Reader
	var w io.Writer
	expect := func(line string) error {
		got, err := br.ReadString('\n')
		if err != nil || got != line+"\r\n" {
			return fmt.Errorf("got %q, %v; want %q", got, err, line)
		}
		return nil
	}
	say := func(s string) error { _, err := io.WriteString(w, s); return err }
	startTLS := func() error {
		if err := tc.Handshake(); err != nil {
			return err
		}
		br, w = bufio.NewReader(tc), tc
		return nil
	}
	var script []func() error
	if implicit {
		script = []func() error{
			startTLS,
			func() error { return say("220 mx.example.test ESMTP\r\n") },
		}
	} else {
		br, w = bufio.NewReader(raw), raw
		script = []func() error{
			func() error { return say("220 mx.example.test ESMTP\r\n") },
			func() error { return expect("EHLO client.test") },
			func() error { return say("250-mx.example.test\r\n250 STARTTLS\r\n") },
			func() error { return expect("STARTTLS") },
			func() error { return say("220 2.0.0 Ready to start TLS\r\n") },
			startTLS,
		}
	}
	script = append(script,
		func() error { return expect("EHLO client.test") },
		func() error { return say("250 mx.example.test\r\n") },
		func() error { return expect("NOOP") },
		func() error {
			hc.setHold()
			say("250 2.0.0 Ok\r\n")
			say("250 2.0.0 Ok\r\n") // one too many
			return hc.release()
		},
	)
	for _, st := range script {
		if err := st(); err != nil {
			return "", err
		}
	}
	rest, _ := io.ReadAll(br) // until the client closes
	return string(rest), nil
}

// TestUnsolicitedRecordBufferedByTLS: the extra reply is a TLS record that
// crypto/tls read from the socket together with the previous reply, so it
// is neither in the client's buffer nor in the socket: the client must
// still find it before writing MAIL, on a *tls.Conn it made (STARTTLS) as
// on one given to New.
func TestUnsolicitedRecordBufferedByTLS(t *testing.T) {
	for _, implicit := range []bool{false, true} {
		name := "STARTTLS"
		if implicit {
			name = "New with a *tls.Conn"
		}
		t.Run(name, func(t *testing.T) {
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			type result struct {
				rest string
				err  error
			}
			done := make(chan result, 1)
			go func() {
				rest, err := serveCoalesced(ln, implicit)
				done <- result{rest, err}
			}()

			ctx := testCtx(t)
			var c *Client
			if implicit {
				conn, err := tls.Dial("tcp4", ln.Addr().String(), clientTLS())
				if err == nil {
					c, err = New(ctx, conn, &Options{LocalName: "client.test"})
				}
				if err != nil {
					t.Fatal(err)
				}
			} else {
				c, err = Dial(ctx, ln.Addr().String(), &Options{LocalName: "client.test", TLSConfig: clientTLS()})
				if err != nil {
					t.Fatal(err)
				}
			}
			defer c.Close()
			if _, err := c.Noop(ctx); err != nil {
				t.Fatalf("Noop() = %v", err)
			}
			within(t, "Mail", func() { _, err = c.Mail(ctx, "a@example.test", nil) })
			if pe, ok := errors.AsType[*reply.ProtocolError](err); !ok || pe.Kind != reply.ViolationUnsolicited {
				t.Fatalf("Mail() after a coalesced extra reply = %v, want *reply.ProtocolError ViolationUnsolicited", err)
			}
			c.Close()
			res := <-done
			if res.err != nil {
				t.Fatalf("server: %v", res.err)
			}
			if res.rest != "" {
				t.Errorf("client sent %q after NOOP, want nothing", res.rest)
			}
		})
	}
}
