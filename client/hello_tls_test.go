package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// TestNewTLSConnBelow12: a *tls.Conn given to New keeps its own
// configuration, but a session below TLS 1.2 is refused before anything is
// sent on it.
func TestNewTLSConnBelow12(t *testing.T) {
	tests := []struct {
		name       string
		max        uint16 // the server's highest version
		wantRefuse bool
	}{
		{"TLS 1.1", tls.VersionTLS11, true},
		{"TLS 1.2", tls.VersionTLS12, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := smtptest.Script{smtptest.Send("220 mx.example.test ESMTP\r\n")}
			if !tt.wantRefuse {
				s = append(s,
					smtptest.ExpectLine("EHLO client.test"), smtptest.Send("250 mx.example.test\r\n"),
					smtptest.ExpectLine("QUIT"), smtptest.Send("221 bye\r\n"))
			}
			s = append(s, smtptest.ExpectClosed())
			srv := smtptest.Start(t, &smtptest.Options{
				ImplicitTLS: true,
				TLSConfig:   &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tt.max},
			}, s)
			cfg := srv.ClientTLSConfig()
			cfg.MinVersion = tls.VersionTLS10 // the caller's choice, too low
			conn, err := tls.Dial("tcp4", srv.Addr(), cfg)
			if err != nil {
				t.Fatalf("tls.Dial(%s) = %v", tt.name, err)
			}
			if v := conn.ConnectionState().Version; v != tt.max {
				t.Fatalf("negotiated %s, want %s", tls.VersionName(v), tls.VersionName(tt.max))
			}
			ctx := testCtx(t)
			var c *Client
			within(t, "New", func() { c, err = New(ctx, conn, &Options{LocalName: "client.test"}) })
			if !tt.wantRefuse {
				if err != nil {
					t.Fatalf("New(%s) = %v", tt.name, err)
				}
				if err := c.Quit(ctx); err != nil {
					t.Errorf("Quit() = %v", err)
				}
				waitScript(t, srv)
				return
			}
			te, ok := errors.AsType[*TLSError](err)
			if !ok || te.Reason != TLSReasonHandshake || te.Mode != TLSImplicit || !errors.Is(err, errOldTLS) {
				t.Fatalf("New(%s) = %v, want *TLSError TLSReasonHandshake in implicit mode, for the version", tt.name, err)
			}
			if got := reply.RetryFor(err); got != reply.RetryNever {
				t.Errorf("RetryFor(%v) = %v, want %v", err, got, reply.RetryNever)
			}
			waitScript(t, srv)
			if got := srv.Received(); len(got) != 0 {
				t.Errorf("client sent %q over %s", got, tt.name)
			}
		})
	}
}

// leafFor returns a certificate for names, signed by a new throw-away CA,
// and a pool that trusts that CA.
func leafFor(t *testing.T, names ...string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	now := time.Now()
	caKey, leafKey := key(), key()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "leafFor CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		DNSNames: names, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}, pool
}

// TestServerNameFromDialHost: the certificate is verified against the host
// given to Dial (in A-label form for an internationalized name), unless
// the caller's TLSConfig names another; the caller's TLSConfig is not
// modified.
func TestServerNameFromDialHost(t *testing.T) {
	const idnHost, aLabel = "bücher.example", "xn--bcher-kva.example"
	tests := []struct {
		name       string
		host       string // dialled host; the port is the server's
		serverName string // Options.TLSConfig.ServerName
		certNames  []string
		wantDial   string // host the dialer was asked for
		wantSNI    string
	}{
		{"DNS name", "localhost", "", []string{"localhost"}, "localhost", "localhost"},
		{"internationalized name", idnHost, "", []string{aLabel}, aLabel, aLabel},
		{"caller's ServerName", "127.0.0.1", "mx.example.test", []string{"mx.example.test"}, "127.0.0.1", "mx.example.test"},
		{"IP address: no SNI", "127.0.0.1", "", nil, "127.0.0.1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srvOpts := &smtptest.Options{}
			var pool *x509.CertPool
			if tt.certNames != nil {
				var cert tls.Certificate
				cert, pool = leafFor(t, tt.certNames...)
				srvOpts.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
			}
			srv := smtptest.Start(t, srvOpts, startTLSScript(
				smtptest.Send("220 2.0.0 Ready to start TLS\r\n"),
				smtptest.StartTLS(),
				smtptest.ExpectLine("EHLO client.test"),
				smtptest.Send("250 mx.example.test\r\n"),
				smtptest.ExpectLine("QUIT"),
				smtptest.Send("221 bye\r\n"),
			))
			cfg := srv.ClientTLSConfig()
			if pool != nil {
				cfg.RootCAs = pool
			}
			cfg.MinVersion = 0
			cfg.ServerName = tt.serverName
			_, port, _ := net.SplitHostPort(srv.Addr())
			var dialled string
			opts := &Options{LocalName: "client.test", TLSConfig: cfg, Dialer: funcDialer(
				func(ctx context.Context, network, addr string) (net.Conn, error) {
					dialled = addr
					var d net.Dialer
					return d.DialContext(ctx, network, srv.Addr())
				})}
			ctx := testCtx(t)
			c, err := Dial(ctx, net.JoinHostPort(tt.host, port), opts)
			if err != nil {
				t.Fatalf("Dial(%s) = %v", tt.host, err)
			}
			if want := net.JoinHostPort(tt.wantDial, port); dialled != want {
				t.Errorf("dialled %q, want %q", dialled, want)
			}
			st, _ := c.TLSConnectionState()
			if st.ServerName != tt.wantSNI || !c.Secure() {
				t.Errorf("TLS ServerName %q, Secure() %v; want %q, true", st.ServerName, c.Secure(), tt.wantSNI)
			}
			if cfg.ServerName != tt.serverName || cfg.MinVersion != 0 {
				t.Errorf("caller's TLSConfig modified: ServerName %q, MinVersion %x", cfg.ServerName, cfg.MinVersion)
			}
			if err := c.Quit(ctx); err != nil {
				t.Errorf("Quit() = %v", err)
			}
			waitScript(t, srv)
		})
	}
}

func TestDialBadInternationalizedHost(t *testing.T) {
	for _, host := range []string{"bü cher.example", "xn--ü.example", "bücher..example"} {
		_, err := Dial(testCtx(t), net.JoinHostPort(host, "25"), &Options{Dialer: failDialer(errors.New("dialled"))})
		if e, ok := errors.AsType[*InputError](err); !ok || e.Field != "address" {
			t.Errorf("Dial(%q) = %v, want an *InputError for the address, before dialling", host, err)
		}
	}
}
