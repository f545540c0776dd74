// Command smtpcheck probes an SMTP server the way administrators use
// swaks: it connects with the TLS mode asked for, shows the greeting, the
// EHLO capabilities before and after TLS, the TLS version, cipher and
// certificate (names, issuer, expiry), the AUTH mechanisms on each side of
// STARTTLS, optionally authenticates and sends a test message, explains
// every refusal, and ends with a one-line verdict.
//
//	go run ./examples/smtpcheck -addr smtp.example.com:587
//	SMTP_PASSWORD=... go run ./examples/smtpcheck -addr smtp.example.com:587 -user me@example.com
//	go run ./examples/smtpcheck -addr smtp.example.com:465 -user me@example.com -to you@example.org -json
//
// The password comes from $SMTP_PASSWORD or, when that is empty and
// standard input is a terminal, from a prompt; never from a flag, and it is
// never printed. The exit status says what went wrong: 0 ready, 1 another
// failure, 2 usage, 3 TLS, 4 authentication, 5 connection, 6 the server
// refused the test message.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// config is what the flags say.
type config struct {
	addr, mode, user, password, from, to, lang string
	asJSON                                     bool
	tlsConfig                                  *tls.Config // nil: the system's roots
	// warnBefore is how long before the certificate's expiry the verdict
	// warns; zero means 14 days.
	warnBefore time.Duration
}

// Exit statuses.
const (
	exitOK      = 0
	exitOther   = 1
	exitUsage   = 2
	exitTLS     = 3
	exitAuth    = 4
	exitConn    = 5
	exitRefused = 6
)

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "", "server host:port (required)")
	flag.StringVar(&cfg.mode, "tls", "", "starttls, implicit or none; default implicit on port 465, starttls otherwise")
	flag.StringVar(&cfg.user, "user", "", "authenticate as this user (password from $SMTP_PASSWORD or a prompt)")
	flag.StringVar(&cfg.from, "from", "", "sender of the test message (default: -user)")
	flag.StringVar(&cfg.to, "to", "", "send a test message to this address")
	flag.StringVar(&cfg.lang, "lang", "en", "language of the explanations: en or es")
	flag.BoolVar(&cfg.asJSON, "json", false, "print the report as JSON")
	ca := flag.String("ca", "", "PEM file of the certificate authorities to trust instead of the system's")
	flag.Parse()
	if cfg.addr == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(exitUsage)
	}
	if *ca != "" {
		pem, err := os.ReadFile(*ca)
		pool := x509.NewCertPool()
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			fmt.Fprintln(os.Stderr, "smtpcheck: cannot read certificates from", *ca)
			os.Exit(exitUsage)
		}
		cfg.tlsConfig = &tls.Config{RootCAs: pool}
	}
	if cfg.user != "" {
		cfg.password = os.Getenv("SMTP_PASSWORD")
		if cfg.password == "" {
			cfg.password = prompt()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep := check(ctx, cfg)
	if cfg.asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		rep.print(os.Stdout)
	}
	os.Exit(rep.Exit)
}

// prompt reads a password from the terminal, without echo when stty is
// there to turn it off; "" when standard input is not a terminal.
func prompt() string {
	fi, err := os.Stdin.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return ""
	}
	fmt.Fprint(os.Stderr, "password: ")
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	fmt.Fprintln(os.Stderr)
	return strings.TrimRight(line, "\r\n")
}

// Report is what smtpcheck found, as printed with -json.
type Report struct {
	Server       string   `json:"server"`
	TLSMode      string   `json:"tls_mode"`
	Greeting     string   `json:"greeting,omitempty"`
	BeforeTLS    []string `json:"ehlo_before_tls,omitempty"`
	AfterTLS     []string `json:"ehlo_after_tls,omitempty"`
	AuthBefore   []string `json:"auth_before_tls,omitempty"`
	AuthAfter    []string `json:"auth_after_tls,omitempty"`
	TLSVersion   string   `json:"tls_version,omitempty"`
	Cipher       string   `json:"tls_cipher,omitempty"`
	CertNames    []string `json:"cert_names,omitempty"`
	CertIssuer   string   `json:"cert_issuer,omitempty"`
	CertExpires  string   `json:"cert_expires,omitempty"`
	CertDaysLeft int      `json:"cert_days_left,omitempty"`
	Auth         string   `json:"auth,omitempty"`
	Sent         string   `json:"sent,omitempty"`
	Error        string   `json:"error,omitempty"`
	Explanation  string   `json:"explanation,omitempty"`
	Verdict      string   `json:"verdict"`
	Exit         int      `json:"exit"`
}

// check runs the probe. It never returns an error: what fails is in the
// Report, with its exit status.
func check(ctx context.Context, cfg config) *Report {
	mode, modeName := client.TLSStartTLS, cfg.mode
	switch cfg.mode {
	case "implicit":
		mode = client.TLSImplicit
	case "none":
		mode = client.TLSNone
	case "starttls":
	case "":
		modeName = "starttls"
		if _, port, _ := net.SplitHostPort(cfg.addr); port == "465" {
			mode, modeName = client.TLSImplicit, "implicit"
		}
	default:
		return &Report{Server: cfg.addr, Error: "unknown -tls " + cfg.mode, Verdict: "usage: -tls starttls, implicit or none", Exit: exitUsage}
	}
	rep := &Report{Server: cfg.addr, TLSMode: modeName}
	opts := func(m client.TLSMode) *client.Options {
		return &client.Options{TLS: m, TLSConfig: cfg.tlsConfig, AuthMode: client.AuthOnDemand}
	}

	// STARTTLS: what the server says before TLS, on a first connection
	// (a client forgets it once TLS starts, as RFC 3207 asks).
	if mode == client.TLSStartTLS {
		c, err := client.Dial(ctx, cfg.addr, opts(client.TLSNone))
		if err != nil {
			return rep.fail(err, cfg.lang)
		}
		rep.Greeting = c.Greeting().String()
		rep.BeforeTLS, rep.AuthBefore = c.Extensions().Names(), c.Extensions().AuthMechanisms()
		c.Quit(ctx)
	}
	c, err := client.Dial(ctx, cfg.addr, opts(mode))
	if err != nil {
		return rep.fail(err, cfg.lang)
	}
	defer c.Close()
	rep.Greeting = c.Greeting().String()
	if mode == client.TLSNone {
		rep.BeforeTLS, rep.AuthBefore = c.Extensions().Names(), c.Extensions().AuthMechanisms()
	} else {
		rep.AfterTLS, rep.AuthAfter = c.Extensions().Names(), c.Extensions().AuthMechanisms()
	}
	if st, ok := c.TLSConnectionState(); ok {
		rep.TLSVersion, rep.Cipher = tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite)
		if len(st.PeerCertificates) > 0 {
			leaf := st.PeerCertificates[0]
			rep.CertNames = append(append([]string(nil), leaf.DNSNames...), ipNames(leaf)...)
			rep.CertIssuer = leaf.Issuer.CommonName
			rep.CertExpires = leaf.NotAfter.UTC().Format(time.RFC3339)
			rep.CertDaysLeft = int(time.Until(leaf.NotAfter).Hours() / 24)
		}
	}

	if cfg.user != "" {
		r, err := c.Auth(ctx, sasl.Password(cfg.user, cfg.password)...)
		if err != nil {
			return rep.fail(err, cfg.lang)
		}
		rep.Auth = r.String()
	}
	if cfg.to != "" {
		from := cfg.from
		if from == "" {
			from = cfg.user
		}
		msg := "From: <" + from + ">\r\nTo: <" + cfg.to + ">\r\nSubject: smtpcheck test message\r\n" +
			"Date: " + time.Now().Format(time.RFC1123Z) + "\r\n\r\nA test message sent by smtpcheck.\r\n"
		res, err := c.Send(ctx, &client.Envelope{From: from, To: []string{cfg.to}}, strings.NewReader(msg))
		if err != nil {
			return rep.fail(err, cfg.lang)
		}
		rep.Sent = res.Final.String()
	}
	c.Quit(ctx)
	warn := cfg.warnBefore
	if warn <= 0 {
		warn = 14 * 24 * time.Hour
	}
	rep.verdict(warn)
	return rep
}

func ipNames(c *x509.Certificate) []string {
	var out []string
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

// verdict sums up a probe that did not fail.
func (r *Report) verdict(warn time.Duration) {
	tlsOn := r.TLSVersion != ""
	expires, _ := time.Parse(time.RFC3339, r.CertExpires)
	switch {
	case tlsOn && time.Until(expires) < warn:
		r.Verdict = fmt.Sprintf("TLS certificate expires in %d days", r.CertDaysLeft)
	case len(r.AuthBefore) > 0 && tlsOn && len(r.AuthAfter) == 0:
		r.Verdict = "AUTH only before STARTTLS: credentials cannot be sent safely"
	case !tlsOn && len(r.AuthBefore) > 0:
		r.Verdict = "AUTH offered without TLS: use STARTTLS or port 465"
	case tlsOn && len(r.AuthAfter) > 0 && r.Auth != "":
		r.Verdict = "ready for authenticated submission (authenticated)"
	case tlsOn && len(r.AuthAfter) > 0:
		r.Verdict = "ready for authenticated submission"
	case tlsOn:
		r.Verdict = "TLS works, no AUTH offered: a relay or MX port, not for submission"
	default:
		r.Verdict = "no TLS: do not send credentials here"
	}
}

// fail records an error, its explanation and its exit status.
func (r *Report) fail(err error, lang string) *Report {
	r.Error = err.Error()
	var re *reply.Error
	if errors.As(err, &re) {
		x := re.Explain(lang)
		r.Explanation = x.Title + ": " + x.Fix
	}
	var te *client.TLSError
	var ce *client.ConnError
	switch {
	case errors.As(err, &te):
		r.Exit, r.Verdict = exitTLS, "TLS failed: "+te.Reason.String()
	case reply.IsAuthFailed(err), errors.As(err, new(*client.AuthError)), errors.As(err, new(*sasl.NegotiationError)):
		r.Exit, r.Verdict = exitAuth, "authentication failed"
	case errors.As(err, &ce):
		r.Exit, r.Verdict = exitConn, "cannot talk to the server"
	case re != nil && re.Command != "AUTH":
		r.Exit, r.Verdict = exitRefused, "the server refused: "+re.Reply.String()
	default:
		r.Exit, r.Verdict = exitOther, "failed"
	}
	return r
}

func (r *Report) print(w io.Writer) {
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-16s %s\n", k+":", v)
		}
	}
	line("server", r.Server+" ("+r.TLSMode+")")
	line("greeting", r.Greeting)
	line("ehlo before TLS", strings.Join(r.BeforeTLS, " "))
	line("auth before TLS", strings.Join(r.AuthBefore, " "))
	line("tls", strings.TrimSpace(r.TLSVersion+" "+r.Cipher))
	line("certificate", strings.Join(r.CertNames, ", "))
	line("issuer", r.CertIssuer)
	if r.CertExpires != "" {
		line("expires", fmt.Sprintf("%s (%d days)", r.CertExpires, r.CertDaysLeft))
	}
	line("ehlo after TLS", strings.Join(r.AfterTLS, " "))
	line("auth after TLS", strings.Join(r.AuthAfter, " "))
	line("auth", r.Auth)
	line("sent", r.Sent)
	line("error", r.Error)
	line("explanation", r.Explanation)
	line("verdict", r.Verdict)
}
