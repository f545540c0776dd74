package client

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	smtp "github.com/emersion/go-smtp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// hang bounds every test that checks a failure: generous, only there to
// turn a hang into a failure, never a timing assertion.
const hang = 10 * time.Second

// testCtx returns a context that ends the test instead of hanging.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// within fails the test when f takes longer than hang.
func within(t testing.TB, what string, f func()) {
	t.Helper()
	start := time.Now()
	f()
	if d := time.Since(start); d > hang {
		t.Errorf("%s took %v, want < %v", what, d, hang)
	}
}

// --- a go-smtp server in process ---

// testCert is a throw-away CA and a leaf for 127.0.0.1/localhost.
var testCert = sync.OnceValues(func() (tls.Certificate, *x509.CertPool) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "client test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		panic(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "gosmtp.example.test"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		DNSNames:     []string{"localhost", "gosmtp.example.test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}, pool
})

// gsMessage is what the go-smtp backend received in one transaction.
type gsMessage struct {
	From     string
	MailOpts smtp.MailOptions
	Rcpts    []string
	RcptOpts []smtp.RcptOptions
	Data     []byte
}

type gsBackend struct {
	mu   sync.Mutex
	msgs []gsMessage
}

func (b *gsBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &gsSession{b: b}, nil }

func (b *gsBackend) messages() []gsMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]gsMessage(nil), b.msgs...)
}

type gsSession struct {
	b   *gsBackend
	cur gsMessage
}

// AuthMechanisms makes go-smtp advertise AUTH (needed for MAIL AUTH=).
func (s *gsSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *gsSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "user@example.test" || password != "secret" {
			return smtp.ErrAuthFailed
		}
		return nil
	}), nil
}

func (s *gsSession) Reset()        { s.cur = gsMessage{} }
func (s *gsSession) Logout() error { return nil }

func (s *gsSession) Mail(from string, opts *smtp.MailOptions) error {
	s.cur = gsMessage{From: from}
	if opts != nil {
		s.cur.MailOpts = *opts
	}
	return nil
}

func (s *gsSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	switch {
	case strings.HasPrefix(to, "nosuch@"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	case strings.HasPrefix(to, "tempfail@"):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary local problem, try again later"}
	}
	s.cur.Rcpts = append(s.cur.Rcpts, to)
	var o smtp.RcptOptions
	if opts != nil {
		o = *opts
	}
	s.cur.RcptOpts = append(s.cur.RcptOpts, o)
	return nil
}

func (s *gsSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = b
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	return nil
}

type gsServer struct {
	*gsBackend
	srv  *smtp.Server
	addr string
}

// startGoSMTP serves go-smtp on 127.0.0.1:0 with STARTTLS (the test CA)
// and DSN, SMTPUTF8, REQUIRETLS, BINARYMIME on; configure may change it.
// With implicit, the listener speaks TLS from the start.
func startGoSMTP(t testing.TB, implicit bool, configure func(*smtp.Server)) *gsServer {
	t.Helper()
	be := &gsBackend{}
	s := smtp.NewServer(be)
	s.Domain = "gosmtp.example.test"
	s.AllowInsecureAuth = true
	s.EnableDSN = true
	s.EnableSMTPUTF8 = true
	s.EnableREQUIRETLS = true
	s.EnableBINARYMIME = true
	s.MaxMessageBytes = 10 << 20
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	cert, _ := testCert()
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	if configure != nil {
		configure(s)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if implicit {
		ln = tls.NewListener(ln, s.TLSConfig)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(ln)
	}()
	t.Cleanup(func() {
		// Not Shutdown: its WaitGroup.Wait races with Serve's Add for a
		// connection being accepted. The per-connection goroutines end
		// once Close has closed their connections; goleak waits for them.
		s.Close()
		<-done
	})
	return &gsServer{gsBackend: be, srv: s, addr: ln.Addr().String()}
}

// clientTLS trusts the test CA.
func clientTLS() *tls.Config {
	_, pool := testCert()
	return &tls.Config{RootCAs: pool}
}

// --- a transcript collector ---

type logRecord struct {
	Msg   string
	Attrs map[string]string
}

type logCollector struct {
	mu      sync.Mutex
	records []logRecord
}

func (h *logCollector) Enabled(context.Context, slog.Level) bool { return true }
func (h *logCollector) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logCollector) WithGroup(string) slog.Handler            { return h }
func (h *logCollector) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{Msg: r.Message, Attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	h.records = append(h.records, rec)
	h.mu.Unlock()
	return nil
}

// text returns the transcript as lines "C: ..." and "S: ...".
func (h *logCollector) text() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b bytes.Buffer
	for _, r := range h.records {
		switch r.Msg {
		case "smtp send":
			b.WriteString("C: " + r.Attrs["line"] + "\n")
		case "smtp recv":
			b.WriteString("S: " + r.Attrs["reply"] + "\n")
		default:
			b.WriteString("-- " + r.Msg + "\n")
		}
	}
	return b.String()
}

// isTimeout reports an error that is a timeout, from a deadline or a
// context.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
