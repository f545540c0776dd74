package demo

import (
	"crypto/rand"
	"fmt"
	"io"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The replies of the server's policies.
var (
	errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	errGreylisted   = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted, please try again later"}
)

// session is one SMTP session of a Server.
type session struct {
	s        *Server
	authed   bool
	greylist bool // the current transaction is greylisted
}

// AuthMechanisms offers PLAIN when the server has an account, and
// nothing (no AUTH extension) otherwise.
func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(string) (sasl.Server, error) {
	if ss.s.opts.User == "" {
		return nil, smtp.ErrAuthUnsupported
	}
	return sasl.NewPlainServer(func(identity, user, password string) error {
		if user != ss.s.opts.User || password != ss.s.opts.Password || (identity != "" && identity != user) {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(string, *smtp.MailOptions) error {
	if ss.s.opts.User != "" && !ss.authed {
		return errAuthRequired
	}
	n := ss.s.transactions.Add(1)
	ss.greylist = n <= int64(ss.s.opts.Greylist)
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	// Like Postfix: unknown recipients first, then the greylisting policy.
	if ss.s.unknown(to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
			Message: fmt.Sprintf("<%s>: Recipient address rejected: User unknown in local recipient table", to)}
	}
	if ss.greylist {
		return errGreylisted
	}
	return nil
}

func (ss *session) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	ss.s.messages.Add(1)
	id := make([]byte, 5)
	rand.Read(id)
	// go-smtp sends an *SMTPError as the final reply whatever its code:
	// the way to put a queue id in the 250.
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: fmt.Sprintf("OK: queued as %X", id)}
}

func (ss *session) Reset()        { ss.greylist = false }
func (ss *session) Logout() error { return nil }
