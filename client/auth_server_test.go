package client

// An in-process go-smtp server for the tests of Auth, Send and SendMail:
// real SASL servers (go-sasl's PLAIN and OAUTHBEARER, xdg-go/scram's SCRAM
// with tls-exporter channel binding, small LOGIN and XOAUTH2 servers
// written from their specifications), a 530 to MAIL before AUTH, queue ids
// in the final reply, and counters of what reached it.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	gosasl "github.com/emersion/go-sasl"
	smtp "github.com/emersion/go-smtp"
	"github.com/xdg-go/scram"
)

// Test credentials. The secrets are distinctive so that a test can look
// for them (and their base64 forms) in transcripts and errors.
const (
	authUser     = "user@example.test"
	authPassword = "pa55-W0rd-s3cr3t"
	authToken    = "ya29.fresh-T0KEN-abc"
	staleToken   = "ya29.stale-T0KEN-xyz"
)

// authBackend is a go-smtp backend that requires authentication.
type authBackend struct {
	// Set before the server starts.
	mechs       []string // AUTH mechanisms advertised
	noAuthCheck bool     // accept MAIL without AUTH
	mail421     int      // answer 421 to the first mail421 MAIL commands
	mailErr     *smtp.SMTPError
	scramNoEnd  bool // SCRAM: claim success without the server-final message
	data451     int  // answer 451 to the end of the first data451 messages

	mu       sync.Mutex
	sessions int
	mails    int
	auths    []string // mechanism of each AUTH attempt
	ok       []string // mechanism of each successful AUTH
	msgs     []gsMessage
	scramCB  []bool // per SCRAM success: channel binding used
}

func (b *authBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.mu.Lock()
	b.sessions++
	b.mu.Unlock()
	return &authSession{b: b, conn: c}, nil
}

func (b *authBackend) counts() (sessions, mails int, auths, ok []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sessions, b.mails, append([]string(nil), b.auths...), append([]string(nil), b.ok...)
}

func (b *authBackend) messages() []gsMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]gsMessage(nil), b.msgs...)
}

type authSession struct {
	b      *authBackend
	conn   *smtp.Conn
	authed bool
	cur    gsMessage
}

func (s *authSession) AuthMechanisms() []string { return s.b.mechs }

// Auth returns the SASL server for mech; go-smtp answers 235 when it is
// done, and an *smtp.SMTPError it returns as is (535 for bad credentials).
func (s *authSession) Auth(mech string) (gosasl.Server, error) {
	s.b.mu.Lock()
	s.b.auths = append(s.b.auths, mech)
	s.b.mu.Unlock()
	success := func() error {
		s.authed = true
		s.b.mu.Lock()
		s.b.ok = append(s.b.ok, mech)
		s.b.mu.Unlock()
		return nil
	}
	switch mech {
	case "PLAIN":
		return gosasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user || user != authUser || pass != authPassword {
				return smtp.ErrAuthFailed
			}
			return success()
		}), nil
	case "LOGIN":
		return &loginServer{check: func(user, pass string) error {
			if user != authUser || pass != authPassword {
				return smtp.ErrAuthFailed
			}
			return success()
		}}, nil
	case "XOAUTH2":
		return &xoauth2Server{check: func(user, token string) bool {
			return user == authUser && token == authToken && success() == nil
		}}, nil
	case "OAUTHBEARER":
		return as535{gosasl.NewOAuthBearerServer(func(o gosasl.OAuthBearerOptions) *gosasl.OAuthBearerError {
			if o.Token != authToken {
				return &gosasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			success()
			return nil
		})}, nil
	case "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS":
		return s.scram(mech, success)
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *authSession) Reset()        { s.cur = gsMessage{} }
func (s *authSession) Logout() error { return nil }

func (s *authSession) Mail(from string, opts *smtp.MailOptions) error {
	s.b.mu.Lock()
	s.b.mails++
	n := s.b.mails
	s.b.mu.Unlock()
	switch {
	case n <= s.b.mail421:
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service shutting down, closing channel"}
	case s.b.mailErr != nil:
		return s.b.mailErr
	case !s.authed && !s.b.noAuthCheck:
		// What Exim and Postfix submission ports say (go-smtp's own
		// ErrAuthRequired is a 502).
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	s.cur = gsMessage{From: from}
	return nil
}

func (s *authSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	switch {
	case strings.HasPrefix(to, "nosuch@"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	case strings.HasPrefix(to, "tempfail@"):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary local problem, try again later"}
	}
	s.cur.Rcpts = append(s.cur.Rcpts, to)
	return nil
}

func (s *authSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = b
	s.b.mu.Lock()
	if s.b.data451 > 0 {
		s.b.data451--
		s.b.mu.Unlock()
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary local problem"}
	}
	s.b.msgs = append(s.b.msgs, s.cur)
	n := len(s.b.msgs)
	s.b.mu.Unlock()
	// go-smtp sends an *SMTPError as the reply, whatever its code: the way
	// to give a queue id.
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: fmt.Sprintf("OK: queued as Q%04d", n)}
}

// scram returns an xdg-go/scram server for mech, with tls-exporter channel
// binding for the -PLUS variant.
func (s *authSession) scram(mech string, success func() error) (gosasl.Server, error) {
	hash := scram.SHA256
	if mech == "SCRAM-SHA-1" {
		hash = scram.SHA1
	}
	salt := []byte("0123456789abcdef")
	kf := scram.KeyFactors{Salt: string(salt), Iters: 4096}
	cl, err := hash.NewClient(authUser, authPassword, "")
	if err != nil {
		return nil, err
	}
	stored, err := cl.GetStoredCredentialsWithError(kf)
	if err != nil {
		return nil, err
	}
	srv, err := hash.NewServer(func(user string) (scram.StoredCredentials, error) {
		if user != authUser {
			return scram.StoredCredentials{}, errors.New("unknown user")
		}
		return stored, nil
	})
	if err != nil {
		return nil, err
	}
	var conv *scram.ServerConversation
	plus := strings.HasSuffix(mech, "-PLUS")
	if plus {
		st, ok := s.conn.TLSConnectionState()
		if !ok {
			return nil, smtp.ErrAuthUnknownMechanism
		}
		cb, err := scram.NewTLSExporterBinding(&st)
		if err != nil {
			return nil, err
		}
		conv = srv.NewConversationWithChannelBindingRequired(cb)
	} else {
		conv = srv.NewConversation()
	}
	return &scramServer{conv: conv, noEnd: s.b.scramNoEnd, done: func() error {
		s.b.mu.Lock()
		s.b.scramCB = append(s.b.scramCB, plus)
		s.b.mu.Unlock()
		return success()
	}}, nil
}

// scramServer adapts a SCRAM server conversation to go-sasl: the
// server-final message goes in a 334 that the client answers with an empty
// line (RFC 4954 section 4), then the server says 235.
type scramServer struct {
	conv  *scram.ServerConversation
	noEnd bool
	step  int
	done  func() error
}

func (s *scramServer) Next(response []byte) ([]byte, bool, error) {
	s.step++
	switch s.step {
	case 1, 2:
		if s.step == 1 && response == nil {
			return []byte{}, false, nil // no initial response: ask for it
		}
		out, err := s.conv.Step(string(response))
		if err != nil || (s.step == 2 && !s.conv.Valid()) {
			return nil, false, smtp.ErrAuthFailed
		}
		if s.step == 2 && s.noEnd {
			// A server that never proves it knows the password.
			return nil, true, s.done()
		}
		return []byte(out), false, nil
	case 3:
		if len(response) != 0 {
			return nil, false, smtp.ErrAuthFailed
		}
		return nil, true, s.done()
	}
	return nil, false, smtp.ErrAuthFailed
}

// loginServer is the server side of LOGIN (draft-murchison-sasl-login):
// "Username:" and "Password:" prompts.
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (s *loginServer) Next(response []byte) ([]byte, bool, error) {
	s.step++
	switch s.step {
	case 1:
		if response != nil {
			s.user = string(response)
			s.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		s.user = string(response)
		return []byte("Password:"), false, nil
	case 3:
		if err := s.check(s.user, string(response)); err != nil {
			return nil, false, err
		}
		return nil, true, nil
	}
	return nil, false, smtp.ErrAuthFailed
}

// xoauth2Server is the server side of XOAUTH2 as Google documents it: on a
// bad token, a JSON error challenge, then 535 after the client's empty
// response.
type xoauth2Server struct {
	check  func(user, token string) bool
	failed bool
}

func (s *xoauth2Server) Next(response []byte) ([]byte, bool, error) {
	if s.failed {
		return nil, false, smtp.ErrAuthFailed
	}
	if response == nil {
		return []byte{}, false, nil
	}
	var user, token string
	for _, f := range bytes.Split(response, []byte{1}) {
		if v, ok := bytes.CutPrefix(f, []byte("user=")); ok {
			user = string(v)
		}
		if v, ok := bytes.CutPrefix(f, []byte("auth=Bearer ")); ok {
			token = string(v)
		}
	}
	if s.check(user, token) {
		return nil, true, nil
	}
	s.failed = true
	ch, _ := json.Marshal(map[string]string{"status": "401", "schemes": "Bearer", "scope": "https://mail.google.com/"})
	return ch, false, nil
}

// as535 turns the errors of a go-sasl server (go-smtp would answer 454)
// into 535 5.7.8.
type as535 struct{ gosasl.Server }

func (s as535) Next(response []byte) ([]byte, bool, error) {
	ch, done, err := s.Server.Next(response)
	if err != nil {
		err = smtp.ErrAuthFailed
	}
	return ch, done, err
}

// authServer is a running go-smtp server with an authBackend.
type authServer struct {
	*authBackend
	addr string
}

// startAuthServer serves be on 127.0.0.1:0 with STARTTLS (the test CA's
// certificate) and AUTH allowed without TLS too, so that tests can show
// that the client refuses it.
func startAuthServer(t testing.TB, be *authBackend) *authServer {
	t.Helper()
	s := smtp.NewServer(be)
	s.Domain = "auth.example.test"
	s.AllowInsecureAuth = true
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	cert, _ := testCert()
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(ln)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		s.Close()
		<-done
	})
	return &authServer{authBackend: be, addr: ln.Addr().String()}
}

// secureOpts returns Options for a STARTTLS session that verifies the
// server's certificate with the test CA.
func secureOpts(log *logCollector) *Options {
	o := &Options{TLS: TLSStartTLS, TLSConfig: clientTLS()}
	if log != nil {
		o.Logger = slog.New(log)
	}
	return o
}

// dialAuth connects to srv with opts and closes the client at cleanup.
func dialAuth(t *testing.T, srv *authServer, opts *Options) *Client {
	t.Helper()
	c, err := Dial(testCtx(t), srv.addr, opts)
	if err != nil {
		t.Fatalf("Dial(%s) = %v", srv.addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testMessage is a small message with CRLF line endings.
const testMessage = "From: user@example.test\r\nTo: rcpt@example.test\r\nSubject: hello\r\n\r\nHello.\r\n"

// slogNew returns a logger writing to h.
func slogNew(h slog.Handler) *slog.Logger { return slog.New(h) }
