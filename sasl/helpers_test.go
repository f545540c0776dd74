package sasl_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	gosasl "github.com/emersion/go-sasl"
	"github.com/seed-e4e66a4f/smtp/sasl"
	"github.com/xdg-go/scram"
)

// outcome is the result of runAuth: the lines each side sent, whether the
// server said 235, and the client-side error.
type outcome struct {
	lines   []string // "C: ..." and "S: ..." lines, without CRLF
	success bool
	err     error // from the client's conversation; nil on 235 with Finish nil
}

// maxRounds caps challenges like the SMTP client will.
const maxRounds = 8

// runAuth drives conv against srv the way the SMTP client (RFC 4954) and a
// go-smtp style server do, with base64 on the wire in between.
func runAuth(t *testing.T, conv sasl.Conversation, srv gosasl.Server) outcome {
	t.Helper()
	var o outcome
	client := func(s string) { o.lines = append(o.lines, "C: "+s) }
	server := func(s string) { o.lines = append(o.lines, "S: "+s) }

	name, ir, err := conv.Start()
	if err != nil {
		o.err = err
		return o
	}
	if err := sasl.ValidateName(name); err != nil {
		t.Fatalf("Conversation.Start returned name %q: %v", name, err)
	}
	var resp []byte // what the server decodes
	if ir == nil {
		client("AUTH " + name)
	} else {
		arg := sasl.EncodeInitialResponse(ir)
		client("AUTH " + name + " " + arg)
		resp = decodeResponse(t, arg)
	}
	for round := 0; ; round++ {
		challenge, done, err := srv.Next(resp)
		if err != nil {
			server("535 5.7.8 authentication failed")
			o.err = conv.Finish(false)
			return o
		}
		if done {
			server("235 2.7.0 accepted")
			o.success = true
			o.err = conv.Finish(true)
			return o
		}
		server("334 " + base64.StdEncoding.EncodeToString(challenge))
		if round == maxRounds {
			client("*")
			server("501 5.7.0 cancelled")
			o.err = errors.New("too many rounds")
			return o
		}
		text := o.lines[len(o.lines)-1][len("S: 334 "):]
		ch, err := sasl.DecodeChallenge(text)
		if err == nil {
			var r []byte
			r, err = conv.Next(ch)
			if err == nil {
				line := sasl.EncodeResponse(r)
				client(line)
				resp = decodeResponse(t, line)
				continue
			}
		}
		client("*")
		server("501 5.7.0 cancelled")
		o.err = err
		return o
	}
}

func decodeResponse(t *testing.T, s string) []byte {
	t.Helper()
	if s == "=" {
		return []byte{}
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("client sent invalid base64 %q: %v", s, err)
	}
	return b
}

// start starts m in session s and fails the test on error.
func start(t *testing.T, m sasl.Mechanism, s *sasl.Session) sasl.Conversation {
	t.Helper()
	conv, err := m.Start(context.Background(), s)
	if err != nil {
		t.Fatalf("%s: Start: %v", m.Name(), err)
	}
	return conv
}

// serverFunc adapts a function to a go-sasl server.
type serverFunc func(resp []byte) ([]byte, bool, error)

func (f serverFunc) Next(resp []byte) ([]byte, bool, error) { return f(resp) }

// scramServer adapts an xdg-go/scram server conversation to go-sasl: the
// server-final message "v=..." is a 334 challenge that the client answers
// with an empty line, as Dovecot does.
type scramServer struct {
	conv *scram.ServerConversation
	// tamper, if set, rewrites the server's final message.
	tamper func(string) string
	// skipFinal says 235 at once instead of sending v=.
	skipFinal bool
	// lastErr is the server's last error, for assertions.
	lastErr error
}

func (s *scramServer) Next(resp []byte) ([]byte, bool, error) {
	if resp == nil {
		return []byte{}, false, nil
	}
	if s.conv.Done() {
		if len(resp) != 0 {
			return nil, false, errors.New("non-empty answer to server-final")
		}
		return nil, true, nil
	}
	out, err := s.conv.Step(string(resp))
	if err != nil {
		s.lastErr = err
		return nil, false, err
	}
	if s.conv.Done() {
		if s.skipFinal {
			return nil, true, nil
		}
		if s.tamper != nil {
			out = s.tamper(out)
		}
	}
	return []byte(out), false, nil
}

// newSCRAMServer returns an xdg-go/scram server that knows user with
// password at iters iterations.
func newSCRAMServer(t *testing.T, h scram.HashGeneratorFcn, user, password string, iters int) *scram.Server {
	t.Helper()
	c, err := h.NewClient(user, password, "")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := c.GetStoredCredentialsWithError(scram.KeyFactors{Salt: "pepper and salt", Iters: iters})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := h.NewServer(func(name string) (scram.StoredCredentials, error) {
		if name != user {
			return scram.StoredCredentials{}, errors.New("unknown user")
		}
		return creds, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

var (
	certOnce sync.Once
	certPEM  tls.Certificate
	certPool *x509.CertPool
)

// testCert returns a throw-away self-signed certificate for
// mx.example.test and a pool that trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "mx.example.test"},
			DNSNames:              []string{"mx.example.test"},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(time.Hour),
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true,
			IsCA:                  true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		leaf, err := x509.ParseCertificate(der)
		if err != nil {
			panic(err)
		}
		certPEM = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
		certPool = x509.NewCertPool()
		certPool.AddCert(leaf)
	})
	return certPEM, certPool
}

// tlsPair runs a real TLS handshake over net.Pipe with the given maximum
// version and returns the client's and the server's connection state.
func tlsPair(t *testing.T, maxVersion uint16) (client, server tls.ConnectionState) {
	t.Helper()
	cert, pool := testCert(t)
	c1, c2 := net.Pipe()
	tc := tls.Client(c1, &tls.Config{ServerName: "mx.example.test", RootCAs: pool, MaxVersion: maxVersion})
	ts := tls.Server(c2, &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: maxVersion})
	// Close the pipe, not the TLS connections: a close_notify alert would
	// block on the synchronous pipe until its 5 s deadline.
	t.Cleanup(func() {
		c1.Close()
		c2.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- ts.HandshakeContext(ctx) }()
	if err := tc.HandshakeContext(ctx); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	return tc.ConnectionState(), ts.ConnectionState()
}
