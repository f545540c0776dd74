package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The embedded server's only account.
const (
	demoUser     = "learner@example.test"
	demoPassword = "correct horse battery staple"
)

// server is go-smtp's server on 127.0.0.1 with a backend that requires
// AUTH PLAIN before MAIL, as a submission server does, and discards the
// messages it accepts.
type server struct {
	srv  *smtp.Server
	addr string
	done chan struct{}
}

func startServer() (*server, error) {
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{}, nil }))
	s.Domain = "quickstart.example.test"
	s.AllowInsecureAuth = true // loopback only: see run
	s.ReadTimeout, s.WriteTimeout = time.Minute, time.Minute
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sv := &server{srv: s, addr: ln.Addr().String(), done: make(chan struct{})}
	go func() {
		defer close(sv.done)
		s.Serve(ln)
	}()
	return sv, nil
}

// Close stops the server and waits for it.
func (s *server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
	s.srv.Close()
	<-s.done
}

type session struct{ authed bool }

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, password string) error {
		if user != demoUser || password != demoPassword {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(string, *smtp.MailOptions) error {
	if !s.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	return nil
}

func (s *session) Rcpt(string, *smtp.RcptOptions) error { return nil }

func (s *session) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	id := make([]byte, 5)
	rand.Read(id)
	// go-smtp sends an *SMTPError as the final reply whatever its code:
	// the way to include a queue id in the 250.
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: fmt.Sprintf("OK: queued as %X", id)}
}

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }
