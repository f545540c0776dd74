package interop

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/proxy"

	"github.com/seed-e4e66a4f/smtp/client"
)

// TestSOCKS5 delivers a message through microsocks, without and with
// username/password authentication (RFC 1928, RFC 1929).
func TestSOCKS5(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		proxies := []struct {
			name string
			addr string
			auth *proxy.Auth
		}{
			{"no-auth", e.vars["SMTP_SOCKS5"], nil},
			{"user-pass", e.vars["SMTP_SOCKS5_AUTH"], &proxy.Auth{User: e.vars["SMTP_SOCKS5_USER"], Password: e.vars["SMTP_SOCKS5_PASS"]}},
		}
		for _, p := range proxies {
			d, err := proxy.SOCKS5("tcp", p.addr, p.auth, &net.Dialer{Timeout: 5 * time.Second})
			if err != nil {
				t.Fatalf("proxy.SOCKS5(%s): %v", p.addr, err)
			}
			cd, ok := d.(proxy.ContextDialer)
			if !ok {
				t.Fatalf("proxy.SOCKS5 returned a %T without DialContext", d)
			}
			opts := e.options(client.TLSStartTLS) // STARTTLS through the tunnel, verified for localhost
			counted := &countingDialer{d: cd}
			opts.Dialer = counted
			c := dial(t, s.addr("PLAIN"), opts)
			if !c.Secure() {
				t.Errorf("%s via %s: Secure() = false after STARTTLS", s.name, p.name)
			}
			id := uniqueID(t)
			body := fmt.Sprintf("Message-ID: <%s@interop.test>\r\nSubject: via SOCKS5 %s\r\n\r\nhello\r\n", id, p.name)
			env := &client.Envelope{From: sender, To: []string{"box-" + id + "@" + e.vars["SMTP_DOMAIN"]}}
			res, err := c.Send(testContext(t), env, strings.NewReader(body))
			if err != nil || res.State != client.DeliveryComplete {
				t.Fatalf("%s via %s (%s): Send = %v, %v, want delivered", s.name, p.name, p.addr, res.State, err)
			}
			got := waitDelivered(t, s, "box", "<"+id+"@interop.test>")
			if want := strings.ReplaceAll(body, "\r\n", "\n"); !strings.HasSuffix(string(got), want) {
				t.Errorf("%s via %s: delivered %q, want it to end with %q", s.name, p.name, got, want)
			}
			if counted.n != 1 {
				t.Errorf("%s via %s: the proxy dialer was used %d times, want 1", s.name, p.name, counted.n)
			}
		}
	})
}

// TestSOCKS5AuthRequired: the authenticating proxy refuses a client
// without credentials or with a wrong password and lets the right one
// through, so the delivery through it in TestSOCKS5 did authenticate.
func TestSOCKS5AuthRequired(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		user, pass := e.vars["SMTP_SOCKS5_USER"], e.vars["SMTP_SOCKS5_PASS"]
		for _, tt := range []struct {
			name string
			auth *proxy.Auth
			ok   bool
		}{
			{"no credentials", nil, false},
			{"wrong password", &proxy.Auth{User: user, Password: "wrong-" + pass}, false},
			{"right password", &proxy.Auth{User: user, Password: pass}, true},
		} {
			d, err := proxy.SOCKS5("tcp", e.vars["SMTP_SOCKS5_AUTH"], tt.auth, &net.Dialer{Timeout: 5 * time.Second})
			if err != nil {
				t.Fatalf("proxy.SOCKS5: %v", err)
			}
			opts := e.options(client.TLSNone)
			opts.Dialer = d.(proxy.ContextDialer)
			c, err := client.Dial(testContext(t), s.addr("PLAIN"), opts)
			if err == nil {
				c.Close()
			}
			if (err == nil) != tt.ok {
				t.Errorf("%s: Dial through %s with %s: %v, want success %v", s.name, e.vars["SMTP_SOCKS5_AUTH"], tt.name, err, tt.ok)
			}
		}
	})
}

// countingDialer counts the connections made through d, to show that the
// client dialled through the proxy rather than directly.
type countingDialer struct {
	d proxy.ContextDialer
	n int
}

func (c *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c.n++
	return c.d.DialContext(ctx, network, addr)
}
