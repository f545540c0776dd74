package smtptest

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/seed-e4e66a4f/smtp/internal/testca"
)

// DefaultTimeout is the bound on every wait on the client when
// [Options.Timeout] is zero.
const DefaultTimeout = 10 * time.Second

// Options configures a [Server]. The zero value is a plain-text server with
// [DefaultTimeout].
type Options struct {
	// ImplicitTLS makes the server run the TLS handshake as soon as it
	// accepts a connection, before the first step (RFC 8314 implicit TLS,
	// as on port 465).
	ImplicitTLS bool

	// Timeout bounds every wait on the client: accepting each connection,
	// reading in Expect, ExpectData, ExpectBDAT, ExpectClosed and
	// StallUntilClosed, each write, and the TLS handshake. Zero means
	// DefaultTimeout.
	Timeout time.Duration

	// ReadBuffer, if positive, is the receive buffer size set on every
	// accepted connection (SO_RCVBUF), so that a test can make a client's
	// writes block once the server stops reading instead of landing in
	// kernel buffers.
	ReadBuffer int

	// TLSConfig, if not nil, is the server side TLS configuration used by
	// StartTLS and ImplicitTLS, for example to cap the protocol version. If
	// it has no certificate, the server's own certificate is used. The
	// Server uses a clone and does not modify it.
	TLSConfig *tls.Config
}

// Server is a scripted SMTP server listening on 127.0.0.1. It serves one
// connection per script, sequentially. Its methods are safe for concurrent
// use.
type Server struct {
	ln      net.Listener
	scripts []Script
	timeout time.Duration
	rcvbuf  int
	implTLS bool
	tlsConf *tls.Config
	ca      *testca.Authority

	done     chan struct{} // closed by Close
	finished chan struct{} // closed when the serving goroutine returns
	once     sync.Once

	mu       sync.Mutex
	conn     net.Conn // connection being served, nil between connections
	received []byte
	perConn  [][]byte
	data     [][]byte
	errs     []error
}

// NewServer starts a server that plays scripts[i] on the i-th connection it
// accepts. It returns an error only when it cannot listen or make its
// certificates. Call [Server.Close] when done.
func NewServer(opts *Options, scripts ...Script) (*Server, error) {
	if opts == nil {
		opts = &Options{}
	}
	ca, err := testca.New()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtptest: listen: %w", err)
	}
	s := &Server{
		ln:       ln,
		scripts:  scripts,
		timeout:  opts.Timeout,
		rcvbuf:   opts.ReadBuffer,
		implTLS:  opts.ImplicitTLS,
		ca:       ca,
		done:     make(chan struct{}),
		finished: make(chan struct{}),
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if opts.TLSConfig != nil {
		s.tlsConf = opts.TLSConfig.Clone()
	} else {
		s.tlsConf = &tls.Config{}
	}
	if len(s.tlsConf.Certificates) == 0 && s.tlsConf.GetCertificate == nil && s.tlsConf.GetConfigForClient == nil {
		s.tlsConf.Certificates = []tls.Certificate{ca.Leaf}
	}
	go s.serve()
	return s, nil
}

// Start is NewServer for tests: it fails the test at once if the server
// cannot start and registers [Server.Close] with t.Cleanup. It does not
// check the scripts' outcome; call [Server.Wait] for that.
func Start(t testing.TB, opts *Options, scripts ...Script) *Server {
	t.Helper()
	s, err := NewServer(opts, scripts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Addr returns the server's address, "127.0.0.1:port".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// CertPool returns a pool holding the server's throw-away certificate
// authority, the only one that can verify its certificate.
func (s *Server) CertPool() *x509.CertPool { return s.ca.Pool }

// ClientTLSConfig returns a new client TLS configuration that trusts the
// server's certificate authority and requires TLS 1.2 or later. ServerName is
// left empty; the certificate is valid for 127.0.0.1, ::1 and localhost.
func (s *Server) ClientTLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.ca.Pool, MinVersion: tls.VersionTLS12}
}

// Received returns a copy of every byte read from clients so far, all
// connections concatenated in order.
func (s *Server) Received() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.received...)
}

// ReceivedOn returns a copy of the bytes read so far on the i-th connection
// (0-based), or nil if there was no such connection.
func (s *Server) ReceivedOn(i int) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < 0 || i >= len(s.perConn) {
		return nil
	}
	return append([]byte(nil), s.perConn[i]...)
}

// Data returns copies of the message bodies read by ExpectData and
// ExpectBDAT, in order. A DATA body is kept exactly as sent, dot-stuffing and
// the final ".\r\n" included; a BDAT message is its chunks concatenated.
func (s *Server) Data() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(s.data))
	for i, d := range s.data {
		out[i] = append([]byte(nil), d...)
	}
	return out
}

// Wait blocks until every script has run to its end or failed, or the
// server was closed, and returns the failures joined, each a [*StepError].
// A script that never got a connection within the timeout is a failure too.
// Wait returns nil when every script ran to its end.
func (s *Server) Wait() error {
	<-s.finished
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

// Close stops the listener, closes the connection being served and waits
// for the server's goroutine to return. Scripts interrupted by Close are
// reported by Wait. Close may be called more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.done)
		s.ln.Close()
		s.mu.Lock()
		if s.conn != nil {
			s.conn.Close()
		}
		s.mu.Unlock()
	})
	<-s.finished
}

func (s *Server) closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *Server) fail(err error) {
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
}

// serve accepts one connection per script and plays it.
func (s *Server) serve() {
	defer close(s.finished)
	defer s.ln.Close()
	for i, script := range s.scripts {
		if tl, ok := s.ln.(*net.TCPListener); ok {
			tl.SetDeadline(time.Now().Add(s.timeout))
		}
		c, err := s.ln.Accept()
		if err != nil {
			if s.closed() {
				err = errClosed
			}
			s.fail(&StepError{Conn: i, Step: -1, Name: "accept", Err: err})
			return
		}
		s.mu.Lock()
		if s.closed() {
			s.mu.Unlock()
			c.Close()
			s.fail(&StepError{Conn: i, Step: -1, Name: "accept", Err: errClosed})
			return
		}
		s.conn = c
		s.perConn = append(s.perConn, nil)
		s.mu.Unlock()
		if tc, ok := c.(*net.TCPConn); ok && s.rcvbuf > 0 {
			if err := tc.SetReadBuffer(s.rcvbuf); err != nil {
				s.fail(&StepError{Conn: i, Step: -1, Name: "accept", Err: err})
				return
			}
		}

		if err := s.play(i, c, script); err != nil {
			s.fail(err)
		}

		s.mu.Lock()
		s.conn.Close()
		s.conn = nil
		s.mu.Unlock()
	}
}

// session is the state of one connection being played.
type session struct {
	s    *Server
	idx  int
	raw  net.Conn  // the TCP connection
	conn net.Conn  // raw, or the TLS connection over it
	tls  *tls.Conn // nil before TLS
	br   *bufio.Reader
	msg  []byte // BDAT message being assembled
}

func (s *Server) play(idx int, c net.Conn, script Script) error {
	ss := &session{s: s, idx: idx, raw: c, conn: c}
	ss.br = bufio.NewReaderSize(recorder{ss}, 64<<10)
	if s.implTLS {
		if err := ss.startTLS(); err != nil {
			return &StepError{Conn: idx, Step: -1, Name: "implicit TLS handshake", Err: ss.cause(err)}
		}
	}
	for i, st := range script {
		if err := st.run(ss); err != nil {
			return &StepError{Conn: idx, Step: i, Name: st.name, Err: ss.cause(err)}
		}
	}
	return nil
}

// cause replaces the error of an operation interrupted by Close with
// errClosed so that Wait says why.
func (ss *session) cause(err error) error {
	if ss.s.closed() && !errors.Is(err, errClosed) {
		return fmt.Errorf("%w (%v)", errClosed, err)
	}
	return err
}

// recorder reads from the session's current connection and records what it
// read.
type recorder struct{ ss *session }

func (r recorder) Read(p []byte) (int, error) {
	n, err := r.ss.conn.Read(p)
	if n > 0 {
		s := r.ss.s
		s.mu.Lock()
		s.received = append(s.received, p[:n]...)
		s.perConn[r.ss.idx] = append(s.perConn[r.ss.idx], p[:n]...)
		s.mu.Unlock()
	}
	return n, err
}

func (ss *session) startTLS() error {
	if n := ss.br.Buffered(); n > 0 {
		b, _ := ss.br.Peek(n)
		return fmt.Errorf("client sent %q before the TLS handshake", clip(b))
	}
	tc := tls.Server(ss.raw, ss.s.tlsConf)
	tc.SetDeadline(time.Now().Add(ss.s.timeout))
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	tc.SetDeadline(time.Time{})
	ss.tls = tc
	ss.conn = tc
	ss.br = bufio.NewReaderSize(recorder{ss}, 64<<10)
	return nil
}

func (ss *session) write(b []byte) error {
	ss.conn.SetWriteDeadline(time.Now().Add(ss.s.timeout))
	_, err := ss.conn.Write(b)
	return err
}

// pause sleeps for d or until the server is closed.
func (ss *session) pause(d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ss.s.done:
		return errClosed
	}
}

// maxLine bounds a command line read by Expect.
const maxLine = 64 << 10

// readLine reads one line, LF included, within the timeout.
func (ss *session) readLine() ([]byte, error) {
	ss.conn.SetReadDeadline(time.Now().Add(ss.s.timeout))
	line, err := ss.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("line longer than %d bytes", maxLine)
	}
	if err != nil {
		if len(line) > 0 {
			return nil, fmt.Errorf("after %q: %w", clip(line), err)
		}
		return nil, err
	}
	return line, nil
}

// readCommand reads a line that must end in CRLF and returns it without
// the CRLF.
func (ss *session) readCommand() (string, error) {
	line, err := ss.readLine()
	if err != nil {
		return "", err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return "", fmt.Errorf("line %q does not end in CRLF", clip(line))
	}
	return string(line[:len(line)-2]), nil
}

// errClosed reports a step interrupted by Server.Close.
var errClosed = errors.New("smtptest: server closed")

// StepError is a script failure: the step that failed and why. Err wraps
// the cause, so errors.Is(err, io.EOF) tells that the client hung up and
// errors.Is(err, os.ErrDeadlineExceeded) that it was silent for too long.
type StepError struct {
	Conn int    // connection index, 0-based
	Step int    // step index in the script, 0-based; -1 for accept and implicit TLS
	Name string // the step, for example `Expect("EHLO ")`
	Err  error  // the cause
}

// Error returns "smtptest: connection C step S Name: cause".
func (e *StepError) Error() string {
	return fmt.Sprintf("smtptest: connection %d step %d %s: %v", e.Conn, e.Step, e.Name, e.Err)
}

// Unwrap returns the cause.
func (e *StepError) Unwrap() error { return e.Err }

// clip shortens b for error messages.
func clip(b []byte) []byte {
	const max = 200
	if len(b) > max {
		return b[:max]
	}
	return b
}

var _ io.Reader = recorder{}
