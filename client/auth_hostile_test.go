package client

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// b64 is the base64 of s, as SASL lines carry it.
func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// ehloLines formats an EHLO reply with the given keywords.
func ehloLines(keywords ...string) string {
	var b strings.Builder
	b.WriteString("250")
	if len(keywords) > 0 {
		b.WriteString("-mx.example.test\r\n")
	} else {
		b.WriteString(" mx.example.test\r\n")
	}
	for i, k := range keywords {
		if i == len(keywords)-1 {
			b.WriteString("250 " + k + "\r\n")
		} else {
			b.WriteString("250-" + k + "\r\n")
		}
	}
	return b.String()
}

// tlsOpening is greeting, EHLO answered with pre (which must offer
// STARTTLS), STARTTLS, TLS, and EHLO answered with post.
func tlsOpening(pre, post []string, tail ...smtptest.Step) smtptest.Script {
	s := smtptest.Script{
		smtptest.Send("220 mx.example.test ESMTP\r\n"),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send(ehloLines(pre...)),
		smtptest.ExpectLine("STARTTLS"),
		smtptest.Send("220 2.0.0 Ready to start TLS\r\n"),
		smtptest.StartTLS(),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send(ehloLines(post...)),
	}
	return append(s, tail...)
}

// plainOpening is greeting and EHLO answered with ext, without TLS.
func plainOpening(ext []string, tail ...smtptest.Step) smtptest.Script {
	s := smtptest.Script{
		smtptest.Send("220 mx.example.test ESMTP\r\n"),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send(ehloLines(ext...)),
	}
	return append(s, tail...)
}

// quitting ends a script: NOOP (to show the session is usable), QUIT.
var quitting = []smtptest.Step{
	smtptest.ExpectLine("NOOP"),
	smtptest.Send("250 2.0.0 OK\r\n"),
	smtptest.ExpectLine("QUIT"),
	smtptest.Send("221 2.0.0 Bye\r\n"),
	smtptest.ExpectClosed(),
}

// scriptedOpts returns Options for srv: STARTTLS verified with its CA, or
// no TLS at all when mode is TLSNone.
func scriptedOpts(srv *smtptest.Server, mode TLSMode, log *logCollector) *Options {
	o := &Options{LocalName: "client.test", TLS: mode, TLSConfig: srv.ClientTLSConfig()}
	if log != nil {
		o.Logger = slogNew(log)
	}
	return o
}

// dialScripted connects to srv; the client is closed at cleanup.
func dialScripted(t *testing.T, srv *smtptest.Server, opts *Options) *Client {
	t.Helper()
	c, err := Dial(testCtx(t), srv.Addr(), opts)
	if err != nil {
		t.Fatalf("Dial = %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// usable checks that c still works (NOOP) and quits.
func usable(t *testing.T, c *Client) {
	t.Helper()
	if _, err := c.Noop(testCtx(t)); err != nil {
		t.Errorf("Noop after AUTH = %v; want the session usable", err)
	}
	if err := c.Quit(testCtx(t)); err != nil {
		t.Errorf("Quit = %v", err)
	}
}

// finish checks the script and returns what the client sent after TLS (or
// in all, without TLS) from the first AUTH on.
func finish(t *testing.T, srv *smtptest.Server) string {
	t.Helper()
	if err := srv.Wait(); err != nil {
		t.Errorf("server script: %v", err)
	}
	rec := string(srv.Received())
	if i := strings.Index(rec, "AUTH"); i >= 0 {
		return rec[i:]
	}
	return ""
}

// echo is a go-sasl client that answers every challenge with itself, for
// a mechanism that never ends.
type echo struct{}

func (echo) Start() (string, []byte, error) { return "X-ECHO", nil, nil }
func (echo) Next(ch []byte) ([]byte, error) { return ch, nil }

func TestAuthChallengeRoundsCapped(t *testing.T) {
	for _, max := range []int{0, 3} {
		want := max
		if want == 0 {
			want = defaultMaxAuthRounds
		}
		t.Run("MaxAuthRounds="+strconv.Itoa(max), func(t *testing.T) {
			var loop []smtptest.Step
			loop = append(loop, smtptest.ExpectLine("AUTH X-ECHO"))
			for range want {
				loop = append(loop, smtptest.Send("334 "+b64("again")+"\r\n"), smtptest.ExpectLine(b64("again")))
			}
			loop = append(loop,
				smtptest.Send("334 "+b64("again")+"\r\n"),
				smtptest.ExpectLine("*"),
				smtptest.Send("501 5.7.0 Authentication cancelled\r\n"))
			srv := smtptest.Start(t, nil, tlsOpening(
				[]string{"STARTTLS"}, []string{"AUTH X-ECHO"}, append(loop, quitting...)...))
			opts := scriptedOpts(srv, TLSStartTLS, nil)
			opts.MaxAuthRounds = max
			c := dialScripted(t, srv, opts)

			m, err := sasl.From("X-ECHO", echo{}, false)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Auth(testCtx(t), m)
			ae, ok := errors.AsType[*AuthError](err)
			if !ok || ae.Mechanism != "X-ECHO" || !errors.Is(err, ErrTooManyChallenges) {
				t.Errorf("Auth against an endless exchange = %v; want *AuthError with ErrTooManyChallenges", err)
			}
			usable(t, c)
			finish(t, srv)
		})
	}
}

func TestAuthMalformedChallenge(t *testing.T) {
	for _, bad := range []string{"!!!!", "YW=Jj", "Zm9v YmFy", "\xff\xfe", "VXNlcm5hbWU6Og=="[:10] + "*"} {
		t.Run(strconv.Quote(bad), func(t *testing.T) {
			srv := smtptest.Start(t, nil, tlsOpening([]string{"STARTTLS"}, []string{"AUTH LOGIN"},
				append([]smtptest.Step{
					smtptest.ExpectLine("AUTH LOGIN"),
					smtptest.Send("334 " + bad + "\r\n"),
					smtptest.ExpectLine("*"),
					smtptest.Send("501 5.7.0 Authentication cancelled\r\n"),
				}, quitting...)...))
			c := dialScripted(t, srv, scriptedOpts(srv, TLSStartTLS, nil))
			_, err := c.Auth(testCtx(t), sasl.Login(authUser, authPassword))
			if _, ok := errors.AsType[*AuthError](err); !ok || !errors.Is(err, sasl.ErrMalformedChallenge) {
				t.Errorf("Auth after 334 %q = %v; want *AuthError wrapping sasl.ErrMalformedChallenge", bad, err)
			}
			usable(t, c)
			if got, want := finish(t, srv), "AUTH LOGIN\r\n*\r\nNOOP\r\nQUIT\r\n"; got != want {
				t.Errorf("client sent %q, want %q: only the cancellation", got, want)
			}
		})
	}
}

func TestAuthOutcomes(t *testing.T) {
	tests := []struct {
		reply string
		is    func(error) bool
		name  string
	}{
		{"535 5.7.8 Authentication credentials invalid", reply.IsAuthFailed, "IsAuthFailed"},
		{"534 5.7.9 Authentication mechanism is too weak", reply.IsMechanismTooWeak, "IsMechanismTooWeak"},
		{"538 5.7.11 Encryption required for requested authentication mechanism", reply.IsTLSRequired, "IsTLSRequired"},
		{"454 4.7.0 Temporary authentication failure", reply.IsAuthTemporary, "IsAuthTemporary"},
		{"432 4.7.12 A password transition is needed", reply.IsPasswordTransition, "IsPasswordTransition"},
		{"535 Incorrect authentication data", reply.IsAuthFailed, "IsAuthFailed"}, // Exim
	}
	for _, tt := range tests {
		t.Run(tt.reply[:3], func(t *testing.T) {
			srv := smtptest.Start(t, nil, tlsOpening([]string{"STARTTLS"}, []string{"AUTH PLAIN"},
				append([]smtptest.Step{
					smtptest.Expect("AUTH PLAIN "),
					smtptest.Send(tt.reply + "\r\n"),
				}, quitting...)...))
			c := dialScripted(t, srv, scriptedOpts(srv, TLSStartTLS, nil))
			r, err := c.Auth(testCtx(t), sasl.Plain("", authUser, authPassword))
			if !tt.is(err) {
				t.Errorf("Auth answered %q = %v; want %s", tt.reply, err, tt.name)
			}
			if re, ok := errors.AsType[*reply.Error](err); !ok || re.Command != "AUTH" || r.Code != re.Reply.Code {
				t.Errorf("Auth answered %q: reply %v, error %v; want the *reply.Error for AUTH and its reply", tt.reply, r, err)
			}
			usable(t, c)
			// A final reply is never answered with "*".
			if got, want := finish(t, srv), "AUTH PLAIN "+b64("\x00"+authUser+"\x00"+authPassword)+"\r\nNOOP\r\nQUIT\r\n"; got != want {
				t.Errorf("client sent %q, want %q", got, want)
			}
		})
	}
}

func TestAuthFallbackOn534(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		t.Run("AuthFallback="+strconv.FormatBool(fallback), func(t *testing.T) {
			tail := []smtptest.Step{
				smtptest.Expect("AUTH PLAIN "),
				smtptest.Send("534 5.7.9 Authentication mechanism is too weak\r\n"),
			}
			if fallback {
				tail = append(tail,
					smtptest.ExpectLine("AUTH LOGIN"),
					smtptest.Send("334 VXNlcm5hbWU6\r\n"),
					smtptest.ExpectLine(b64(authUser)),
					smtptest.Send("334 UGFzc3dvcmQ6\r\n"),
					smtptest.ExpectLine(b64(authPassword)),
					smtptest.Send("235 2.7.0 Authentication successful\r\n"))
			}
			srv := smtptest.Start(t, nil, tlsOpening([]string{"STARTTLS"}, []string{"AUTH PLAIN LOGIN"}, append(tail, quitting...)...))
			opts := scriptedOpts(srv, TLSStartTLS, nil)
			opts.Auth = []sasl.Mechanism{sasl.Plain("", authUser, authPassword), sasl.Login(authUser, authPassword)}
			opts.AuthFallback = fallback
			c := dialScripted(t, srv, opts)
			r, err := c.Auth(testCtx(t))
			switch {
			case fallback && (err != nil || r.Code != reply.CodeAuthSucceeded):
				t.Errorf("Auth with fallback after 534 = %v, %v; want 235 with LOGIN", r, err)
			case !fallback && !reply.IsMechanismTooWeak(err):
				t.Errorf("Auth without fallback after 534 = %v; want IsMechanismTooWeak and no second mechanism", err)
			}
			usable(t, c)
			finish(t, srv)
		})
	}
}

func TestAuthCleartextAfterStrippedStartTLS(t *testing.T) {
	// An attacker removed STARTTLS from the EHLO reply; the opportunistic
	// client goes on in cleartext, where the server asks for AUTH.
	srv := smtptest.Start(t, nil, plainOpening([]string{"AUTH PLAIN LOGIN CRAM-MD5", "ENHANCEDSTATUSCODES"},
		smtptest.Expect("MAIL FROM:"),
		smtptest.Send("530 5.7.0 Authentication required\r\n"),
		smtptest.ExpectLine("NOOP"),
		smtptest.Send("250 2.0.0 OK\r\n"),
		smtptest.ExpectLine("QUIT"),
		smtptest.Send("221 2.0.0 Bye\r\n"),
		smtptest.ExpectClosed(),
	))
	log := &logCollector{}
	opts := scriptedOpts(srv, TLSOpportunistic, log)
	opts.Auth = sasl.Password(authUser, authPassword)
	opts.AuthMode = AuthOnDemand // the server asks, with a 530 or a relay refusal
	c := dialScripted(t, srv, opts)

	_, err := c.Auth(testCtx(t))
	if te, ok := errors.AsType[*TLSError](err); !ok || te.Reason != TLSReasonNotSecure {
		t.Errorf("Auth in cleartext = %v; want *TLSError (not secure)", err)
	}
	res, err := c.Send(testCtx(t), &Envelope{From: authUser, To: []string{"rcpt@example.test"}}, strings.NewReader(testMessage))
	if !reply.IsTLSRequired(err) || !reply.IsAuthRequired(err) || res.State != DeliveryRejected {
		t.Errorf("Send in cleartext to a server asking for AUTH = %v, %v; want the TLS refusal and the 530", res.State, err)
	}
	if re, ok := errors.AsType[*reply.Error](err); !ok || re.Reply.Code != reply.CodeAuthRequired {
		t.Errorf("Send error %v: want the 530 reachable with errors.As", err)
	}
	usable(t, c)
	if got := finish(t, srv); got != "" {
		t.Errorf("client sent AUTH in cleartext: %q", got)
	}
	for _, s := range secrets() {
		if strings.Contains(string(srv.Received()), s) || strings.Contains(log.text(), s) || strings.Contains(err.Error(), s) {
			t.Errorf("secret %q reached the wire, the transcript or the error", s)
		}
	}
}

func TestAuthMechanismsOnlyBeforeTLS(t *testing.T) {
	srv := smtptest.Start(t, nil, tlsOpening(
		[]string{"AUTH PLAIN LOGIN", "STARTTLS"}, []string{"SIZE 1000"}, quitting...))
	opts := scriptedOpts(srv, TLSStartTLS, nil)
	opts.Auth = sasl.Password(authUser, authPassword)
	c := dialScripted(t, srv, opts)
	_, err := c.Auth(testCtx(t))
	if ue, ok := errors.AsType[*UnsupportedError](err); !ok || ue.Extension != "AUTH" {
		t.Errorf("Auth when AUTH was offered only before TLS = %v; want *UnsupportedError for AUTH", err)
	}
	usable(t, c)
	if got := finish(t, srv); got != "" {
		t.Errorf("client sent %q; want no AUTH", got)
	}
}

func TestAuthNotAdvertised(t *testing.T) {
	srv := smtptest.Start(t, nil, plainOpening([]string{"SIZE 1000"}, quitting...))
	opts := scriptedOpts(srv, TLSNone, nil)
	opts.AllowInsecureAuth = true
	c := dialScripted(t, srv, opts)
	_, err := c.Auth(testCtx(t), sasl.Plain("", authUser, authPassword))
	if ue, ok := errors.AsType[*UnsupportedError](err); !ok || ue.Extension != "AUTH" {
		t.Errorf("Auth without AUTH advertised = %v; want *UnsupportedError", err)
	}
	usable(t, c)
	if got := finish(t, srv); got != "" {
		t.Errorf("client sent %q; want no AUTH", got)
	}
}

func TestAuthMechanismNotAdvertised(t *testing.T) {
	srv := smtptest.Start(t, nil, tlsOpening([]string{"STARTTLS"}, []string{"AUTH CRAM-MD5"}, quitting...))
	c := dialScripted(t, srv, scriptedOpts(srv, TLSStartTLS, nil))
	_, err := c.Auth(testCtx(t), sasl.Plain("", authUser, authPassword))
	ne, ok := errors.AsType[*sasl.NegotiationError](err)
	if !ok || len(ne.Rejected) != 1 || ne.Rejected[0].Reason != sasl.ReasonNotOffered {
		t.Errorf("Auth(PLAIN) when only CRAM-MD5 is offered = %v; want *sasl.NegotiationError, not offered", err)
	}
	usable(t, c)
	if got := finish(t, srv); got != "" {
		t.Errorf("client sent %q; want no AUTH", got)
	}
}

func TestAuthWholeExchangeDeadline(t *testing.T) {
	// Each challenge comes well within the per-reply timeout, but they never
	// end: the deadline of the whole exchange stops them.
	steps := []smtptest.Step{smtptest.ExpectLine("AUTH X-ECHO")}
	for range 100 {
		steps = append(steps, smtptest.Stall(50*time.Millisecond),
			smtptest.Send("334 "+b64("slow")+"\r\n"), smtptest.ExpectLine(b64("slow")))
	}
	srv := smtptest.Start(t, nil, tlsOpening([]string{"STARTTLS"}, []string{"AUTH X-ECHO"}, steps...))
	opts := scriptedOpts(srv, TLSStartTLS, nil)
	opts.Timeouts.Command = time.Second
	opts.MaxAuthRounds = 1000
	c := dialScripted(t, srv, opts)
	m, _ := sasl.From("X-ECHO", echo{}, false)
	_, err := c.Auth(testCtx(t), m)
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Auth with endless slow challenges = %v; want a deadline error", err)
	}
	if _, err := c.Noop(testCtx(t)); !errors.Is(err, ErrBroken) {
		t.Errorf("Noop after a timed-out AUTH = %v; want ErrBroken", err)
	}
	srv.Close()
	if n := strings.Count(string(srv.Received()), b64("slow")); n >= 100 {
		t.Errorf("client answered %d challenges; want the deadline to stop it", n)
	}
}

func TestAuthDuringTransactionRefused(t *testing.T) {
	srv := smtptest.Start(t, nil, tlsOpening([]string{"STARTTLS"}, []string{"AUTH PLAIN"},
		smtptest.Expect("MAIL FROM:"),
		smtptest.Send("250 2.1.0 Ok\r\n"),
		smtptest.ExpectLine("RSET"),
		smtptest.Send("250 2.0.0 Ok\r\n"),
		smtptest.ExpectLine("QUIT"),
		smtptest.Send("221 2.0.0 Bye\r\n"),
	))
	c := dialScripted(t, srv, scriptedOpts(srv, TLSStartTLS, nil))
	ctx := testCtx(t)
	if _, err := c.Mail(ctx, authUser, nil); err != nil {
		t.Fatal(err)
	}
	_, err := c.Auth(ctx, sasl.Plain("", authUser, authPassword))
	if ie, ok := errors.AsType[*InputError](err); !ok || ie.Value != "AUTH" {
		t.Errorf("Auth during a transaction = %v; want *InputError", err)
	}
	c.Reset(ctx)
	c.Quit(ctx)
	if got := finish(t, srv); got != "" {
		t.Errorf("client sent %q; want no AUTH", got)
	}
}
