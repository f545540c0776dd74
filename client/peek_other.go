//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris)

package client

import "net"

// sockPeeker is not implemented on this platform: only bytes already read
// from the connection are checked for unsolicited data.
type sockPeeker struct{}

func newSockPeeker(*net.TCPConn) *sockPeeker { return nil }

func (p *sockPeeker) peek() peekResult { return peekNothing }
