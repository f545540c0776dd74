package interop

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// mechanism returns the client mechanism called name for user and pass, or
// nil when the client has none (DIGEST-MD5, offered by Cyrus).
func mechanism(name, user, pass string) sasl.Mechanism {
	switch name {
	case "PLAIN":
		return sasl.Plain("", user, pass)
	case "LOGIN":
		return sasl.Login(user, pass)
	case "CRAM-MD5":
		return sasl.CRAMMD5(user, pass)
	case "SCRAM-SHA-1":
		return sasl.SCRAMSHA1(user, pass)
	case "SCRAM-SHA-256":
		return sasl.SCRAMSHA256(user, pass)
	}
	return nil
}

// TestAuthEachMechanism authenticates with every mechanism each server
// advertises (after STARTTLS on the submission port) and then opens a
// transaction, which the server refuses before AUTH. A wrong password gets
// 535 and leaves the session usable.
func TestAuthEachMechanism(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		user, pass := e.vars["SMTP_USER"], e.vars["SMTP_PASS"]
		tried := 0
		for _, name := range strings.Split(s.get("AUTH_MECHS"), ",") {
			if mechanism(name, user, pass) == nil {
				continue
			}
			tried++
			t.Run(name, func(t *testing.T) {
				ctx := testContext(t)
				c := dial(t, s.addr("SUBMISSION"), e.options(client.TLSStartTLS))
				if !slices.Contains(c.Extensions().AuthMechanisms(), name) {
					t.Fatalf("%s does not advertise %s after STARTTLS: %v", s.name, name, c.Extensions().AuthMechanisms())
				}

				_, err := c.Auth(ctx, mechanism(name, user, "wrong-"+pass))
				re, ok := errors.AsType[*reply.Error](err)
				if !ok || re.Reply.Code != reply.CodeAuthCredentialsInvalid || !reply.IsAuthFailed(err) {
					t.Fatalf("%s: Auth(%s, wrong password) = %v, want a 535 error with IsAuthFailed", s.name, name, err)
				}
				if _, err := c.Noop(ctx); err != nil {
					t.Fatalf("%s: Noop after a refused %s: %v, want the session still usable", s.name, name, err)
				}

				r, err := c.Auth(ctx, mechanism(name, user, pass))
				if err != nil || r.Code != reply.CodeAuthSucceeded {
					t.Fatalf("%s: Auth(%s) = %q, %v, want 235", s.name, name, r.String(), err)
				}
				if r, err := c.Mail(ctx, user, nil); err != nil || r.Code != reply.CodeOK {
					t.Errorf("%s: Mail after AUTH %s = %q, %v, want 250", s.name, name, r.String(), err)
				}
				if err := c.Quit(ctx); err != nil {
					t.Errorf("Quit: %v", err)
				}
			})
		}
		if tried == 0 {
			t.Fatalf("%s: %sAUTH_MECHS = %q names no mechanism the client has; nothing was authenticated", s.name, s.prefix, s.get("AUTH_MECHS"))
		}
	})
}

// TestAuthRefusedInCleartext: on a session without TLS the client refuses
// to send a reusable secret unless told to (AllowInsecureAuth); the plain
// port of each server accepts it when allowed.
func TestAuthRefusedInCleartext(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		ctx := testContext(t)
		user, pass := e.vars["SMTP_USER"], e.vars["SMTP_PASS"]
		for _, name := range []string{"PLAIN", "LOGIN", "CRAM-MD5"} {
			c := dial(t, s.addr("PLAIN"), e.options(client.TLSNone))
			_, err := c.Auth(ctx, mechanism(name, user, pass))
			if _, ok := errors.AsType[*client.TLSError](err); !ok || !reply.IsTLSRequired(err) {
				t.Errorf("%s: Auth(%s) in cleartext = %v, want a *client.TLSError matching IsTLSRequired", s.name, name, err)
			}
			if _, err := c.Noop(ctx); err != nil {
				t.Errorf("%s: Noop after the refused %s: %v", s.name, name, err)
			}

			opts := e.options(client.TLSNone)
			opts.AllowInsecureAuth = true
			c = dial(t, s.addr("PLAIN"), opts)
			if r, err := c.Auth(ctx, mechanism(name, user, pass)); err != nil || r.Code != reply.CodeAuthSucceeded {
				t.Errorf("%s: Auth(%s) with AllowInsecureAuth = %q, %v, want 235", s.name, name, r.String(), err)
			}
		}
	})
}
