// Package demo runs a small SMTP server on 127.0.0.1 for the examples, so
// that they show real server behaviour without a network: go-smtp's server
// (github.com/emersion/go-smtp) with a backend that can require
// authentication, greylist, refuse unknown recipients and put a queue id in
// its reply to the message, as real mail servers do.
//
// The server speaks cleartext SMTP on the loopback interface only; it keeps
// no message (it counts them).
package demo

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// DefaultDomain is the name the server gives in its greeting when
// Options.Domain is empty.
const DefaultDomain = "demo.example.test"

// Options configures a Server. A nil *Options is equivalent to a zero
// Options: a server that accepts every message.
type Options struct {
	// Domain is the server's name, given in its greeting ("220 <Domain>
	// ESMTP Service Ready"). Empty means DefaultDomain.
	Domain string

	// User and Password, when User is not empty, make the server offer
	// AUTH PLAIN and refuse MAIL FROM with "530 5.7.0 Authentication
	// required" until the client authenticates with them, as a submission
	// server does. The server has no TLS, so a client must allow
	// cleartext authentication to log in.
	User, Password string

	// Greylist is the number of transactions, counted from the server's
	// start across all connections, whose recipients are all refused with
	// "451 4.7.1 Greylisted, please try again later", as a greylisting
	// server refuses a sender it has not seen before. Zero greylists
	// nothing.
	Greylist int

	// Unknown lists recipients that do not exist (compared without regard
	// to case): RCPT TO answers them "550 5.1.1 <address>: Recipient
	// address rejected: User unknown in local recipient table", as
	// Postfix does.
	Unknown []string
}

// Server is a running demo server. Its methods are safe for concurrent
// use.
type Server struct {
	opts Options
	srv  *smtp.Server
	ln   *listener
	done chan struct{} // closed when Serve has returned

	transactions atomic.Int64 // MAIL FROM commands accepted or greylisted
	messages     atomic.Int64 // messages accepted
}

// Start starts a server on 127.0.0.1 on a port chosen by the system.
// Stop it with Server.Close.
func Start(opts *Options) (*Server, error) {
	s := &Server{done: make(chan struct{})}
	if opts != nil {
		s.opts = *opts
		s.opts.Unknown = append([]string(nil), opts.Unknown...)
	}
	if s.opts.Domain == "" {
		s.opts.Domain = DefaultDomain
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.ln = &listener{Listener: ln, conns: make(map[*conn]struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{s: s}, nil
	}))
	s.srv.Domain = s.opts.Domain
	s.srv.AllowInsecureAuth = true // loopback only, see Options.User
	s.srv.ReadTimeout, s.srv.WriteTimeout = time.Minute, time.Minute
	go func() {
		defer close(s.done)
		s.srv.Serve(s.ln)
	}()
	return s, nil
}

// Addr returns the server's address, such as "127.0.0.1:41234".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Messages returns the number of messages the server has accepted.
func (s *Server) Messages() int { return int(s.messages.Load()) }

// Close stops the server: it closes the listener and every connection,
// and waits for the server to stop accepting. It returns the error of
// closing the listener.
func (s *Server) Close() error {
	// Not go-smtp's Shutdown: its WaitGroup races with Serve accepting a
	// connection. Close closes the listener and the connections go-smtp
	// knows; the listener closes those go-smtp has accepted but not yet
	// registered.
	err := s.srv.Close()
	<-s.done
	s.ln.closeAll()
	return err
}

// listener keeps track of the connections it accepted, so that Close can
// close every one of them.
type listener struct {
	net.Listener
	mu    sync.Mutex
	conns map[*conn]struct{}
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &conn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[tc] = struct{}{}
	l.mu.Unlock()
	return tc, nil
}

// closeAll closes every connection not closed yet.
func (l *listener) closeAll() {
	l.mu.Lock()
	conns := make([]*conn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

type conn struct {
	net.Conn
	l *listener
}

func (c *conn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// unknown reports whether the recipient addr does not exist.
func (s *Server) unknown(addr string) bool {
	for _, u := range s.opts.Unknown {
		if strings.EqualFold(u, addr) {
			return true
		}
	}
	return false
}
