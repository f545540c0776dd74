package interop

import (
	"bytes"
	"context"
	"net"
	"sync"
)

// recordingDialer dials TCP directly and remembers every connection it
// made, so that a test can find the server process behind one or watch the
// bytes the client wrote. With wrap set, the connections it returns record
// each Write call (a *recordingConn); otherwise they are the plain
// *net.TCPConn, so the client sees exactly what it would without the test.
type recordingDialer struct {
	wrap bool
	// before, when not nil, runs before dial number n (1-based); an error
	// fails that dial.
	before func(n int) error

	mu    sync.Mutex
	conns []net.Conn
	errs  []error // the result of each dial, nil for a connection
}

func (d *recordingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	n := len(d.errs) + 1
	d.mu.Unlock()
	var conn net.Conn
	var err error
	if d.before != nil {
		err = d.before(n)
	}
	if err == nil {
		var nd net.Dialer
		conn, err = nd.DialContext(ctx, network, addr)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.errs = append(d.errs, err)
	if err != nil {
		return nil, err
	}
	if d.wrap {
		conn = &recordingConn{Conn: conn}
	}
	d.conns = append(d.conns, conn)
	return conn, nil
}

// dials returns the result of every dial so far, in order.
func (d *recordingDialer) dials() []error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]error(nil), d.errs...)
}

// last returns the most recent connection, or nil.
func (d *recordingDialer) last() net.Conn {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.conns) == 0 {
		return nil
	}
	return d.conns[len(d.conns)-1]
}

// recordingConn records the bytes of every Write call, one entry per call,
// and calls afterWrite (when set) once each call has returned its bytes to
// the kernel.
type recordingConn struct {
	net.Conn

	mu         sync.Mutex
	writes     [][]byte
	afterWrite func(p []byte)
}

func (c *recordingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	c.writes = append(c.writes, bytes.Clone(p[:n]))
	f := c.afterWrite
	c.mu.Unlock()
	if f != nil {
		f(p[:n])
	}
	return n, err
}

// Writes returns a copy of the recorded Write calls.
func (c *recordingConn) Writes() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.writes...)
}

// setAfterWrite installs f (see recordingConn).
func (c *recordingConn) setAfterWrite(f func(p []byte)) {
	c.mu.Lock()
	c.afterWrite = f
	c.mu.Unlock()
}
