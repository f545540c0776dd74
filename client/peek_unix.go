//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris

package client

import (
	"net"
	"syscall"
)

// sockPeeker looks at the receive queue of a TCP socket without taking
// anything from it. It allocates only when it is made.
type sockPeeker struct {
	rc  syscall.RawConn
	fn  func(fd uintptr) // made once: a closure per call would allocate
	buf [1]byte
	n   int
	err error
}

// newSockPeeker returns a peeker for tcp, or nil when tcp is nil or has no
// file descriptor.
func newSockPeeker(tcp *net.TCPConn) *sockPeeker {
	if tcp == nil {
		return nil
	}
	rc, err := tcp.SyscallConn()
	if err != nil {
		return nil
	}
	p := &sockPeeker{rc: rc}
	p.fn = func(fd uintptr) {
		// MSG_PEEK leaves the bytes in the queue; the socket is
		// non-blocking (Go's netpoller), and MSG_DONTWAIT says so again
		// for this call.
		p.n, _, p.err = syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	}
	return p
}

// peek reports whether a byte, or the end of the stream, is waiting in the
// socket. It never blocks, and read deadlines do not apply (RawConn.Control,
// not RawConn.Read, which would first wait for a deadline). Errors (a
// reset, a closed socket) are left for the next write or read to report:
// they give peekNothing.
func (p *sockPeeker) peek() peekResult {
	if p == nil {
		return peekNothing
	}
	p.n, p.err = 0, nil
	if err := p.rc.Control(p.fn); err != nil {
		return peekNothing
	}
	switch {
	case p.err != nil:
		return peekNothing // EAGAIN: nothing there
	case p.n > 0:
		return peekData
	}
	return peekEOF
}
