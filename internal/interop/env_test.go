package interop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed-e4e66a4f/smtp/client"
)

// server is one MTA of the env file, keyed by its variable prefix
// (SMTP_POSTFIX_DOVECOT_, SMTP_POSTFIX_CYRUS_, SMTP_EXIM_).
type server struct {
	name     string // postfix-dovecot, postfix-cyrus, exim
	prefix   string
	hostname string
	postfix  bool
	vars     map[string]string
}

// addr returns the host:port of a role (PLAIN, SUBMISSION, SMTPS, REJECT,
// SMALLSIZE, ...) or "" when the server has no such listener.
func (s server) addr(role string) string { return s.vars[s.prefix+role] }

// get returns the server's variable with the given suffix.
func (s server) get(suffix string) string { return s.vars[s.prefix+suffix] }

// env is the parsed SMTP_INTEROP_ENV file.
type env struct {
	vars    map[string]string
	roots   *x509.CertPool
	servers []server
}

var (
	envOnce sync.Once
	envVal  *env
	envErr  string
)

// loadEnv returns the servers' description, or skips the test (fails it
// when CI is set) when there is none.
func loadEnv(t testing.TB) *env {
	t.Helper()
	envOnce.Do(func() { envVal, envErr = readEnv(os.Getenv("SMTP_INTEROP_ENV")) })
	if envVal == nil {
		missing(t, "%s", envErr)
	}
	return envVal
}

// missing skips the test, or fails it when CI is set: in CI the servers
// must be there (.ci/run starts them).
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("interop: "+format+" (CI is set: the real servers are required; see internal/mta/README.md)", args...)
	}
	t.Skipf("interop: "+format+" (run internal/mta/setup.sh and up.sh, then set SMTP_INTEROP_ENV)", args...)
}

func readEnv(path string) (*env, string) {
	if path == "" {
		return nil, "SMTP_INTEROP_ENV is not set"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "cannot read SMTP_INTEROP_ENV: " + err.Error()
	}
	e := &env{vars: make(map[string]string)}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			return nil, "malformed line in " + path + ": " + line
		}
		e.vars[k] = v
	}
	pem, err := os.ReadFile(e.vars["SMTP_TLS_CERT"])
	if err != nil {
		return nil, "cannot read SMTP_TLS_CERT: " + err.Error()
	}
	e.roots = x509.NewCertPool()
	if !e.roots.AppendCertsFromPEM(pem) {
		return nil, "no certificate in " + e.vars["SMTP_TLS_CERT"]
	}
	for _, name := range strings.Split(e.vars["SMTP_SERVERS"], ",") {
		if name == "" {
			continue
		}
		prefix := "SMTP_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_"
		e.servers = append(e.servers, server{
			name:     name,
			prefix:   prefix,
			hostname: e.vars[prefix+"HOSTNAME"],
			postfix:  strings.HasPrefix(name, "postfix"),
			vars:     e.vars,
		})
	}
	if len(e.servers) == 0 {
		return nil, "SMTP_SERVERS is empty in " + path
	}
	return e, ""
}

// each runs f as a parallel subtest for every server whose PLAIN port
// answers; a server that does not answer is missing (skip, or fail in CI).
func each(t *testing.T, f func(t *testing.T, e *env, s server)) {
	e := loadEnv(t)
	run(t, e, e.servers, f)
}

// run runs f in a parallel subtest for each of servers, after checking
// that the server answers.
func run(t *testing.T, e *env, servers []server, f func(t *testing.T, e *env, s server)) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.DialTimeout("tcp", s.addr("PLAIN"), 2*time.Second)
			if err != nil {
				missing(t, "%s does not answer on %s: %v", s.name, s.addr("PLAIN"), err)
			}
			conn.Close()
			f(t, e, s)
		})
	}
}

// eachWith runs f like each, but only on the servers that have a listener
// for role (such as "SOFTBOUNCE", which only Postfix has): a flow a server
// does not offer is not a subtest at all, rather than a skipped one. When no
// server has the listener, the servers are missing (a failure under CI).
func eachWith(t *testing.T, role string, f func(t *testing.T, e *env, s server)) {
	e := loadEnv(t)
	var with []server
	for _, s := range e.servers {
		if s.addr(role) != "" {
			with = append(with, s)
		}
	}
	if len(with) == 0 {
		missing(t, "no server has a %s listener", role)
	}
	run(t, e, with, f)
}

// tlsConfig trusts the servers' self-signed certificate.
func (e *env) tlsConfig() *tls.Config {
	return &tls.Config{RootCAs: e.roots, ServerName: e.vars["SMTP_TLS_SERVER_NAME"]}
}

// options returns client options with the given TLS mode, the servers'
// certificate trusted and a name of our own for EHLO.
func (e *env) options(mode client.TLSMode) *client.Options {
	return &client.Options{TLS: mode, TLSConfig: e.tlsConfig(), LocalName: "interop.test"}
}

// dial opens a session or fails the test; the session is closed at cleanup.
func dial(t *testing.T, addr string, opts *client.Options) *client.Client {
	t.Helper()
	c, err := client.Dial(testContext(t), addr, opts)
	if err != nil {
		t.Fatalf("Dial(%s, TLS %v): %v", addr, opts.TLS, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testContext bounds a test's calls; no real server needs this long.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// uniqueID returns a fresh token for Message-IDs and box-<id> addresses.
func uniqueID(t *testing.T) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// waitDelivered polls mailbox (user, other or box under the server's
// Maildir root) for the message whose contents include marker, and returns
// its bytes. Delivery follows the server's 250 by a moment.
func waitDelivered(t *testing.T, s server, mailbox, marker string) []byte {
	t.Helper()
	dir := filepath.Join(s.get("MAILDIR"), mailbox, "new")
	deadline := time.Now().Add(15 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err == nil && bytes.Contains(b, []byte(marker)) {
				return b
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no message with %q in %s after 15 s (server log: %s)", s.name, marker, dir, s.get("LOG"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
