package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	netsmtp "net/smtp"
	"strconv"
	"sync"
	"sync/atomic"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/seed-e4e66a4f/smtp/client"
)

// config is one measurement's parameters.
type config struct {
	addr     string
	n        int // messages, over all connections
	conns    int
	senders  int // goroutines on the Pool
	body     []byte
	chunking bool // the sink offers CHUNKING
	newConn  bool
	count    *turns // non-nil: count round trips
}

// contender is one way of sending the messages of a config.
type contender struct {
	name    string
	applies func(config) bool
	run     func(context.Context, config) error
}

const (
	from     = "a@example.test"
	to       = "b@example.test"
	helo     = "bench.example.test"
	envelope = "MAIL FROM:<" + from + ">\r\nRCPT TO:<" + to + ">\r\n"
)

var clientList = []contender{
	{name: "raw", applies: func(c config) bool { return !c.newConn }, run: perConn(rawDATA)},
	{name: "raw-bdat", applies: func(c config) bool { return c.chunking && !c.newConn }, run: perConn(rawBDAT)},
	{name: "ours-send", run: perConn(oursSend)},
	{name: "ours-send-data", applies: func(c config) bool { return c.chunking }, run: perConn(oursSendDATA)},
	{name: "ours-stream", applies: func(c config) bool { return !c.newConn }, run: perConn(oursStream)},
	{name: "ours-pool", applies: func(c config) bool { return !c.newConn }, run: oursPool},
	{name: "net-smtp", run: perConn(netSMTP)},
	{name: "go-smtp", run: perConn(goSMTP)},
}

// perConn runs f on cfg.conns goroutines, each with its share of the
// messages.
func perConn(f func(ctx context.Context, cfg config, n int) error) func(context.Context, config) error {
	return func(ctx context.Context, cfg config) error {
		errs := make([]error, cfg.conns)
		var wg sync.WaitGroup
		for i := range cfg.conns {
			n := cfg.n / cfg.conns
			if i < cfg.n%cfg.conns {
				n++
			}
			wg.Go(func() { errs[i] = f(ctx, cfg, n) })
		}
		wg.Wait()
		return errors.Join(errs...)
	}
}

// turns counts round trips: reads that follow a write.
type turns struct{ n atomic.Int64 }

type countConn struct {
	net.Conn
	t     *turns
	wrote bool
}

func (c *countConn) Write(p []byte) (int, error) {
	c.wrote = true
	return c.Conn.Write(p)
}

func (c *countConn) Read(p []byte) (int, error) {
	if c.wrote {
		c.wrote = false
		c.t.n.Add(1)
	}
	return c.Conn.Read(p)
}

// dialer dials cfg.addr, wrapping the connection when counting. It is
// also the client.Options.Dialer.
type dialer struct{ t *turns }

func (d dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil || d.t == nil {
		return c, err
	}
	return &countConn{Conn: c, t: d.t}, nil
}

func dial(ctx context.Context, cfg config) (net.Conn, error) {
	return dialer{cfg.count}.DialContext(ctx, "tcp", cfg.addr)
}

func oursOpts(cfg config) *client.Options {
	return &client.Options{TLS: client.TLSNone, LocalName: helo, Dialer: dialer{cfg.count}}
}

// rawDATA writes what the wire allows with DATA and PIPELINING: after
// the first envelope, one write per message carries its body, the final
// dot and the next MAIL, RCPT and DATA; one read takes their replies.
func rawDATA(ctx context.Context, cfg config, n int) error {
	conn, br, err := rawOpen(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	env := []byte(envelope + "DATA\r\n")
	dot := []byte(".\r\n")
	if _, err := conn.Write(env); err != nil {
		return err
	}
	if err := expect(br, 250, 250, 354); err != nil {
		return err
	}
	var arr [3][]byte
	var bufs net.Buffers
	for i := range n {
		last := i == n-1
		arr[0], arr[1], arr[2] = cfg.body, dot, env
		bufs = arr[:3]
		if last {
			bufs = arr[:2]
		}
		if _, err := bufs.WriteTo(conn); err != nil {
			return err
		}
		if last {
			err = expect(br, 250)
		} else {
			err = expect(br, 250, 250, 250, 354)
		}
		if err != nil {
			return err
		}
	}
	return rawQuit(conn, br)
}

// rawBDAT writes MAIL, RCPT, BDAT <size> LAST and the body in one write
// and reads the three replies: one round trip per message.
func rawBDAT(ctx context.Context, cfg config, n int) error {
	conn, br, err := rawOpen(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	head := []byte(envelope + "BDAT " + strconv.Itoa(len(cfg.body)) + " LAST\r\n")
	var arr [2][]byte
	var bufs net.Buffers
	for range n {
		arr[0], arr[1] = head, cfg.body
		bufs = arr[:]
		if _, err := bufs.WriteTo(conn); err != nil {
			return err
		}
		if err := expect(br, 250, 250, 250); err != nil {
			return err
		}
	}
	return rawQuit(conn, br)
}

func rawOpen(ctx context.Context, cfg config) (net.Conn, *bufio.Reader, error) {
	conn, err := dial(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(conn, 4096)
	if err := expect(br, 220); err == nil {
		if _, err = conn.Write([]byte("EHLO " + helo + "\r\n")); err == nil {
			err = expect(br, 250)
		}
		if err == nil {
			return conn, br, nil
		}
	}
	conn.Close()
	return nil, nil, err
}

func rawQuit(conn net.Conn, br *bufio.Reader) error {
	if _, err := conn.Write([]byte("QUIT\r\n")); err != nil {
		return err
	}
	return expect(br, 221)
}

// expect reads one reply per code and checks each.
func expect(br *bufio.Reader, codes ...int) error {
	for _, want := range codes {
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return err
			}
			if len(line) < 4 {
				return fmt.Errorf("short reply %q", line)
			}
			if got, _ := strconv.Atoi(string(line[:3])); got != want {
				return fmt.Errorf("reply %q, want %d", bytes.TrimSpace(line), want)
			}
			if line[3] == ' ' {
				break
			}
		}
	}
	return nil
}

func oursSend(ctx context.Context, cfg config, n int) error {
	return oursSendEnv(ctx, cfg, n, &client.Envelope{From: from, To: []string{to}})
}

func oursSendDATA(ctx context.Context, cfg config, n int) error {
	return oursSendEnv(ctx, cfg, n, &client.Envelope{From: from, To: []string{to}, UseDATA: true})
}

func oursSendEnv(ctx context.Context, cfg config, n int, env *client.Envelope) error {
	return runPeer(cfg, n, func() (peer, error) {
		c, err := client.Dial(ctx, cfg.addr, oursOpts(cfg))
		return &oursPeer{ctx: ctx, c: c, env: env}, err
	})
}

// oursPeer sends with Client.Send, one message at a time.
type oursPeer struct {
	ctx context.Context
	c   *client.Client
	env *client.Envelope
	r   bytes.Reader
}

func (p *oursPeer) send(body []byte) error {
	p.r.Reset(body)
	_, err := p.c.Send(p.ctx, p.env, &p.r)
	return err
}

func (p *oursPeer) quit() error { return p.c.Quit(p.ctx) }

// oursStream sends the messages with Client.SendAll, reusing a ring of
// Message values (at most two are in flight).
func oursStream(ctx context.Context, cfg config, n int) error {
	c, err := client.Dial(ctx, cfg.addr, oursOpts(cfg))
	if err != nil {
		return err
	}
	defer c.Close()
	var ring [4]client.Message
	var readers [4]bytes.Reader
	msgs := func(yield func(*client.Message) bool) {
		for i := range n {
			m := &ring[i%len(ring)]
			readers[i%len(ring)].Reset(cfg.body)
			*m = client.Message{Envelope: client.Envelope{From: from, To: m.To[:0]}, Body: &readers[i%len(ring)]}
			m.To = append(m.To, to)
			if !yield(m) {
				return
			}
		}
	}
	got := 0
	for _, err := range c.SendAll(ctx, msgs) {
		if err != nil {
			return err
		}
		got++
	}
	if got != n {
		return fmt.Errorf("stream yielded %d of %d", got, n)
	}
	return c.Quit(ctx)
}

// oursPool sends from cfg.senders goroutines through one Pool of
// cfg.conns connections.
func oursPool(ctx context.Context, cfg config) error {
	p, err := client.NewPool(client.PoolOptions{Addr: cfg.addr, Client: oursOpts(cfg), MaxConns: cfg.conns})
	if err != nil {
		return err
	}
	gcfg := cfg
	gcfg.conns = cfg.senders
	err = perConn(func(ctx context.Context, cfg config, n int) error {
		env := &client.Envelope{From: from, To: []string{to}}
		r := bytes.NewReader(cfg.body)
		for range n {
			r.Reset(cfg.body)
			if _, err := p.Send(ctx, env, r); err != nil {
				return err
			}
		}
		return nil
	})(ctx, gcfg)
	return errors.Join(err, p.Close())
}

// peer is a session of a client measured for comparison, which sends one
// message at a time, waiting for each reply.
type peer interface {
	send(body []byte) error
	quit() error
}

// runPeer sends n messages with sessions from open: all on one, or each
// on its own with cfg.newConn.
func runPeer(cfg config, n int, open func() (peer, error)) error {
	per := n
	if cfg.newConn {
		per = 1
	}
	for sent := 0; sent < n; sent += per {
		s, err := open()
		if err != nil {
			return err
		}
		for range per {
			if err := s.send(cfg.body); err != nil {
				return err
			}
		}
		if err := s.quit(); err != nil {
			return err
		}
	}
	return nil
}

type netSMTPPeer struct{ c *netsmtp.Client }

func (p netSMTPPeer) send(body []byte) error {
	if err := p.c.Mail(from); err != nil {
		return err
	}
	if err := p.c.Rcpt(to); err != nil {
		return err
	}
	w, err := p.c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	return w.Close()
}

func (p netSMTPPeer) quit() error { return p.c.Quit() }

type goSMTPPeer struct{ c *gosmtp.Client }

func (p goSMTPPeer) send(body []byte) error {
	if err := p.c.Mail(from, nil); err != nil {
		return err
	}
	if err := p.c.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := p.c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	return w.Close()
}

func (p goSMTPPeer) quit() error { return p.c.Quit() }

func netSMTP(ctx context.Context, cfg config, n int) error {
	return runPeer(cfg, n, func() (peer, error) {
		conn, err := dial(ctx, cfg)
		if err != nil {
			return nil, err
		}
		c, err := netsmtp.NewClient(conn, "127.0.0.1")
		if err != nil {
			return nil, err
		}
		return netSMTPPeer{c}, c.Hello(helo)
	})
}

func goSMTP(ctx context.Context, cfg config, n int) error {
	return runPeer(cfg, n, func() (peer, error) {
		conn, err := dial(ctx, cfg)
		if err != nil {
			return nil, err
		}
		c := gosmtp.NewClient(conn)
		return goSMTPPeer{c}, c.Hello(helo)
	})
}
