package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// The credentials of the adversarial AUTH cases. None of their forms may
// appear in a transcript record or an error string.
const (
	advUser = "alice"
	advPass = "s3cr3t-Pa55"
)

// advSecrets are the forms of the credentials a leak would show.
func advSecrets() []string {
	return []string{advPass, b64(advPass), b64("\x00" + advUser + "\x00" + advPass), b64(advUser + "\x00" + advUser + "\x00" + advPass)}
}

// advOpts are Options for the adversarial cases: no TLS, insecure AUTH
// allowed (the point is what the client does with a hostile server), and
// short timeouts so that a hang is a timeout.
func advOpts(log *logCollector) *Options {
	const d = 500 * time.Millisecond
	return &Options{
		TLS:               TLSNone,
		LocalName:         "client.test",
		AllowInsecureAuth: true,
		Logger:            slogNew(log),
		Timeouts:          Timeouts{Greeting: d, Command: d, Mail: d, Rcpt: d, DataInit: d, DataBlock: d, DataTermination: d},
	}
}

// isViolation returns a check for a *reply.ProtocolError of kind k.
func isViolation(k reply.Violation) func(error) bool {
	return func(err error) bool {
		pe, ok := errors.AsType[*reply.ProtocolError](err)
		return ok && pe.Kind == k
	}
}

// isReplyCode returns a check for a *reply.Error with code.
func isReplyCode(code reply.Code) func(error) bool {
	return func(err error) bool {
		re, ok := errors.AsType[*reply.Error](err)
		return ok && re.Reply.Code == code
	}
}

// isLost checks a *ConnError for a connection lost before the end of a
// message: never ErrDeliveryUnknown.
func isLost(err error) bool {
	_, ok := errors.AsType[*ConnError](err)
	return ok && !errors.Is(err, ErrDeliveryUnknown)
}

func isTLSHandshake(err error) bool {
	te, ok := errors.AsType[*TLSError](err)
	return ok && te.Reason == TLSReasonHandshake
}

func isAuthError(cause error) func(error) bool {
	return func(err error) bool {
		_, ok := errors.AsType[*AuthError](err)
		return ok && (cause == nil || errors.Is(err, cause))
	}
}

func either(a, b func(error) bool) func(error) bool {
	return func(err error) bool { return a(err) || b(err) }
}

// advCase is one hostile server and what the client must do against it.
type advCase struct {
	name   string
	script smtptest.Script
	// run drives the client on a connected session; nil means Dial alone
	// is the action.
	run   func(ctx context.Context, c *Client) error
	check func(error) bool
	want  string // describes check
	// sent is what the client must have sent in all, exactly, unless
	// sentHas is set, in which case sent must be a prefix and every one
	// of sentNot absent.
	sent    string
	prefix  bool
	sentNot []string
	// mode, when set, replaces TLSNone (with the server's CA trusted).
	mode TLSMode
	// scriptFails: the script is expected to fail (the client hangs up
	// while the server still writes).
	scriptFails bool
}

// repeat returns n copies of s.
func repeat(s string, n int) string { return strings.Repeat(s, n) }

const ehloSent = "EHLO client.test\r\n"

func advNoop(ctx context.Context, c *Client) error { _, err := c.Noop(ctx); return err }

func mailFrom(ctx context.Context, c *Client) error {
	_, err := c.Mail(ctx, "a@example.test", nil)
	return err
}

func authPlain(ctx context.Context, c *Client) error {
	_, err := c.Auth(ctx, sasl.Plain("", advUser, advPass))
	return err
}

func authLogin(ctx context.Context, c *Client) error {
	_, err := c.Auth(ctx, sasl.Login(advUser, advPass))
	return err
}

func authSCRAM(ctx context.Context, c *Client) error {
	_, err := c.Auth(ctx, sasl.SCRAMSHA256(advUser, advPass))
	return err
}

// dataBody runs MAIL, RCPT, DATA and writes body, then closes the writer.
func dataBody(body string) func(ctx context.Context, c *Client) error {
	return func(ctx context.Context, c *Client) error {
		if err := mailFrom(ctx, c); err != nil {
			return err
		}
		if _, err := c.Rcpt(ctx, "b@example.test", nil); err != nil {
			return err
		}
		w, err := c.Data(ctx)
		if err != nil {
			return err
		}
		_, werr := io.WriteString(w, body)
		cerr := w.Close()
		if werr != nil {
			return werr
		}
		return cerr
	}
}

func sendPipelined(ctx context.Context, c *Client) error {
	_, err := c.Send(ctx, &Envelope{From: "a@example.test", To: []string{"b@example.test"}}, strings.NewReader("Subject: x\r\n\r\nhi\r\n"))
	return err
}

func TestAdversarial(t *testing.T) {
	greet := smtptest.Send("220 mx.example.test ESMTP\r\n")
	open := func(ext ...string) []smtptest.Step {
		return steps(greet, smtptest.ExpectLine("EHLO client.test"), smtptest.Send(ehloLines(ext...)))
	}
	closed := smtptest.StallUntilClosed()
	plainIR := "AUTH PLAIN " + b64("\x00"+advUser+"\x00"+advPass) + "\r\n"
	bigBody := repeat("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n", 20000)

	tests := []advCase{
		// --- wrong class of reply ---
		{name: "greeting 334", script: script(steps(smtptest.Send("334 go\r\n"), closed)),
			check: isViolation(reply.ViolationUnexpectedReply), want: "ViolationUnexpectedReply", sent: ""},
		{name: "greeting 354", script: script(steps(smtptest.Send("354 go\r\n"), closed)),
			check: isViolation(reply.ViolationUnexpectedReply), want: "ViolationUnexpectedReply", sent: ""},
		{name: "greeting 199", script: script(steps(smtptest.Send("199 hi\r\n"), closed)),
			check: isViolation(reply.ViolationBadCode), want: "ViolationBadCode", sent: ""},
		{name: "greeting 699", script: script(steps(smtptest.Send("699 hi\r\n"), closed)),
			check: isViolation(reply.ViolationBadCode), want: "ViolationBadCode", sent: ""},
		{name: "EHLO 334", script: script(steps(greet, smtptest.ExpectLine("EHLO client.test"), smtptest.Send("334 VXNlcm5hbWU6\r\n"), closed)),
			check: isViolation(reply.ViolationUnexpectedReply), want: "ViolationUnexpectedReply", sent: ehloSent},
		{name: "EHLO 354", script: script(steps(greet, smtptest.ExpectLine("EHLO client.test"), smtptest.Send("354 go\r\n"), closed)),
			check: isViolation(reply.ViolationUnexpectedReply), want: "ViolationUnexpectedReply", sent: ehloSent},
		{name: "MAIL 334", script: script(open(), steps(smtptest.Expect("MAIL FROM:"), smtptest.Send("334 \r\n"), closed)),
			run: mailFrom, check: isViolation(reply.ViolationUnexpectedReply), want: "ViolationUnexpectedReply",
			sent: ehloSent + "MAIL FROM:<a@example.test>\r\n"},
		{name: "NOOP 354", script: script(open(), steps(smtptest.ExpectLine("NOOP"), smtptest.Send("354 go\r\n"), closed)),
			run: advNoop, check: isViolation(reply.ViolationUnexpectedReply), want: "ViolationUnexpectedReply",
			sent: ehloSent + "NOOP\r\n"},
		{name: "DATA 220 sends no body", script: script(open(), steps(
			smtptest.Expect("MAIL FROM:"), smtptest.Send("250 ok\r\n"),
			smtptest.Expect("RCPT TO:"), smtptest.Send("250 ok\r\n"),
			smtptest.ExpectLine("DATA"), smtptest.Send("220 mx.example.test ESMTP\r\n"), closed)),
			run: dataBody("secret body\r\n"), check: isViolation(reply.ViolationUnexpectedReply), want: "ViolationUnexpectedReply",
			sent: ehloSent + "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n"},
		{name: "code mismatch mid multi-line", script: script(steps(greet, smtptest.ExpectLine("EHLO client.test"),
			smtptest.Send("250-mx.example.test\r\n251-PIPELINING\r\n250 SIZE 10\r\n"), closed)),
			check: isViolation(reply.ViolationCodeMismatch), want: "ViolationCodeMismatch", sent: ehloSent},
		{name: "STARTTLS 334", mode: TLSStartTLS, script: script(open("STARTTLS"), steps(smtptest.ExpectLine("STARTTLS"), smtptest.Send("334 \r\n"), closed)),
			check: isViolation(reply.ViolationUnexpectedReply), want: "ViolationUnexpectedReply", sent: ehloSent + "STARTTLS\r\n"},
		{name: "AUTH 354", script: script(open("AUTH PLAIN"), steps(smtptest.Expect("AUTH PLAIN"), smtptest.Send("354 go\r\n"), closed)),
			run: authPlain, check: isViolation(reply.ViolationUnexpectedReply), want: "ViolationUnexpectedReply",
			sent: ehloSent + plainIR},

		// --- pipelined batches ---
		{name: "354 to RCPT in a pipelined batch", script: script(open("PIPELINING"), steps(
			smtptest.Expect("MAIL FROM:"), smtptest.Expect("RCPT TO:"), smtptest.ExpectLine("DATA"),
			smtptest.Send("250 ok\r\n354 go\r\n354 go\r\n"), closed)),
			run: sendPipelined, check: isViolation(reply.ViolationUnexpectedReply), want: "ViolationUnexpectedReply",
			sent: ehloSent + "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n"},
		{name: "250 to DATA in a pipelined batch sends no body", script: script(open("PIPELINING"), steps(
			smtptest.Expect("MAIL FROM:"), smtptest.Expect("RCPT TO:"), smtptest.ExpectLine("DATA"),
			smtptest.Send("250 ok\r\n250 ok\r\n250 2.0.0 queued as FAKE\r\n"), closed)),
			run: sendPipelined, check: isViolation(reply.ViolationUnexpectedReply), want: "ViolationUnexpectedReply",
			sent: ehloSent + "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n"},
		{name: "more replies than commands in one segment", script: script(open("PIPELINING"), steps(
			smtptest.Expect("MAIL FROM:"), smtptest.Expect("RCPT TO:"), smtptest.ExpectLine("DATA"),
			smtptest.Send("250 ok\r\n250 ok\r\n354 go\r\n250 2.0.0 queued as FAKE\r\n"), closed)),
			run: sendPipelined, check: isViolation(reply.ViolationUnsolicited), want: "ViolationUnsolicited",
			sent: ehloSent + "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n"},
		{name: "fewer replies then close", script: script(open("PIPELINING"), steps(
			smtptest.Expect("MAIL FROM:"), smtptest.Expect("RCPT TO:"), smtptest.ExpectLine("DATA"),
			smtptest.Send("250 ok\r\n"), smtptest.Close())),
			run: sendPipelined, check: isLost, want: "*ConnError, not ErrDeliveryUnknown",
			sent: ehloSent + "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n"},
		{name: "replies split at every byte", script: script(steps(
			smtptest.Dribble("220 mx.example.test ESMTP\r\n", time.Millisecond),
			smtptest.ExpectLine("EHLO client.test"),
			smtptest.Dribble(ehloLines("PIPELINING", "SIZE 100"), time.Millisecond),
			smtptest.ExpectLine("NOOP"), smtptest.Dribble("250 2.0.0 ok\r\n", time.Millisecond), closed)),
			run: advNoop, check: func(err error) bool { return err == nil }, want: "nil", sent: ehloSent + "NOOP\r\n"},

		// --- unbounded replies ---
		{name: "greeting dribbled forever", script: script(steps(smtptest.Dribble(repeat("220-mx\r\n", 10000), 2*time.Millisecond))),
			check: isTimeout, want: "a timeout", sent: "", scriptFails: true},
		{name: "greeting one enormous line", script: script(steps(smtptest.Send("220 " + repeat("a", 1<<20)))),
			check: isViolation(reply.ViolationLineTooLong), want: "ViolationLineTooLong", sent: "", scriptFails: true},
		{name: "EHLO with 10^6 lines", script: script(steps(greet, smtptest.ExpectLine("EHLO client.test"),
			smtptest.Send("250-mx\r\n"+repeat("250-X\r\n", 1000000)+"250 Y\r\n"))),
			check: isViolation(reply.ViolationTooManyLines), want: "ViolationTooManyLines", sent: ehloSent, scriptFails: true},
		{name: "EHLO never ends", script: script(steps(greet, smtptest.ExpectLine("EHLO client.test"),
			smtptest.Send("250-mx\r\n250-X\r\n"), closed)),
			check: isTimeout, want: "a timeout", sent: ehloSent},

		{name: "EHLO keywords with junk and a huge SIZE", script: script(steps(greet, smtptest.ExpectLine("EHLO client.test"),
			smtptest.Send("250-mx\r\n250-SI\x00ZE 5\r\n250-\xff\xfeAUTH PLAIN\r\n250-AUTH\x01 PLAIN\r\n250-LIMITS RCPTMAX=0 MAILMAX=-5 RCPTDOMAINMAX=99999999999\r\n250 SIZE 99999999999999999999\r\n"),
			smtptest.ExpectLine("MAIL FROM:<a@example.test> SIZE=100"), smtptest.Send("250 ok\r\n"), closed)),
			run: func(ctx context.Context, c *Client) error {
				if n, ok := c.Extensions().Size(); !ok || n != 0 {
					return fmt.Errorf("Size() = %d, %v, want 0, true", n, ok)
				}
				if l, _ := c.Extensions().Limits(); l != (ServerLimits{}) {
					return fmt.Errorf("Limits() = %+v, want zero", l)
				}
				if got := c.Extensions().Names(); !slices.Equal(got, []string{"LIMITS", "SIZE"}) {
					return fmt.Errorf("Names() = %q, want [LIMITS SIZE]", got)
				}
				_, err := c.Mail(ctx, "a@example.test", &MailOptions{Size: 100})
				return err
			}, check: func(err error) bool { return err == nil }, want: "nil",
			sent: ehloSent + "MAIL FROM:<a@example.test> SIZE=100\r\n"},
		{name: "AUTH with 5000 mechanisms", script: script(steps(greet, smtptest.ExpectLine("EHLO client.test"),
			smtptest.Send("250-mx\r\n"+repeat("250-AUTH "+strings.TrimSpace(repeat("X-MECH ", 50))+"\r\n", 100)+"250 AUTH PLAIN\r\n"),
			smtptest.Expect("AUTH PLAIN "), smtptest.Send("235 ok\r\n"), closed)),
			run: authPlain, check: func(err error) bool { return err == nil }, want: "nil", sent: ehloSent + plainIR},
		{name: "reply with bare CR and control bytes", script: script(open(), steps(smtptest.Expect("MAIL FROM:"),
			smtptest.Send("550 5.1.1 no\rFAKE: 250 ok\x1b[2J\x00\r\n"), closed)),
			run: mailFrom, check: isReplyCode(550), want: "the 550", sent: ehloSent + "MAIL FROM:<a@example.test>\r\n"},
		{name: "421 in a pipelined batch", script: script(open("PIPELINING"), steps(
			smtptest.Expect("MAIL FROM:"), smtptest.Expect("RCPT TO:"), smtptest.ExpectLine("DATA"),
			smtptest.Send("421 4.3.2 shutting down\r\n"), smtptest.Close())),
			run: sendPipelined, check: reply.IsServiceClosing, want: "IsServiceClosing",
			sent: ehloSent + "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n"},
		{name: "QUIT never answered", script: script(open(), steps(smtptest.ExpectLine("QUIT"), closed)),
			run: func(ctx context.Context, c *Client) error { return c.Quit(ctx) }, check: isTimeout, want: "a timeout", sent: ehloSent + "QUIT\r\n"},

		// --- DATA ---
		{name: "354 with extra bytes in the same segment", script: script(open(), steps(
			smtptest.Expect("MAIL FROM:"), smtptest.Send("250 ok\r\n"),
			smtptest.Expect("RCPT TO:"), smtptest.Send("250 ok\r\n"),
			smtptest.ExpectLine("DATA"), smtptest.Send("354 go\r\n250 2.0.0 queued as FAKE\r\n"), closed)),
			run: dataBody("body\r\n"), check: isViolation(reply.ViolationUnsolicited), want: "ViolationUnsolicited",
			sent: ehloSent + "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n"},
		{name: "server closes in the middle of the body", script: script(open(), steps(
			smtptest.Expect("MAIL FROM:"), smtptest.Send("250 ok\r\n"),
			smtptest.Expect("RCPT TO:"), smtptest.Send("250 ok\r\n"),
			smtptest.ExpectLine("DATA"), smtptest.Send("354 go\r\n"), smtptest.Expect("0123"), smtptest.Close())),
			// Whether the final dot left before the reset depends on the
			// kernel's buffers: a lost connection either way, and "unknown"
			// only if the dot was written.
			run: dataBody(bigBody), check: either(isLost, func(err error) bool { return errors.Is(err, ErrDeliveryUnknown) }),
			want:   "*ConnError or ErrDeliveryUnknown",
			prefix: true, sent: ehloSent + "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n", sentNot: []string{"\r\n.\r\n"}},
		// The server may read the whole body before its 554 reaches the
		// client, so the final dot may or may not be sent; the unix test
		// TestAdversarialEarlyReplyDuringBody pins the order.
		{name: "early 554 during the body", script: script(open(), steps(
			smtptest.Expect("MAIL FROM:"), smtptest.Send("250 ok\r\n"),
			smtptest.Expect("RCPT TO:"), smtptest.Send("250 ok\r\n"),
			smtptest.ExpectLine("DATA"), smtptest.Send("354 go\r\n"), smtptest.Expect("0123"),
			smtptest.Send("554 5.7.1 go away\r\n"), closed)),
			run:   dataBody(bigBody),
			check: either(isViolation(reply.ViolationUnsolicited), isReplyCode(554)), want: "ViolationUnsolicited or the 554",
			prefix: true, sent: ehloSent + "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n"},

		{name: "BDAT LAST answered 354", script: script(open("CHUNKING"), steps(
			smtptest.Expect("MAIL FROM:"), smtptest.Send("250 ok\r\n"),
			smtptest.Expect("RCPT TO:"), smtptest.Send("250 ok\r\n"),
			smtptest.ExpectBDAT(), smtptest.Send("354 go on\r\n"), closed)),
			run: func(ctx context.Context, c *Client) error {
				_, err := c.Send(ctx, &Envelope{From: "a@example.test", To: []string{"b@example.test"}}, strings.NewReader("hi\r\n"))
				return err
			}, check: isViolation(reply.ViolationUnexpectedReply), want: "ViolationUnexpectedReply",
			sent: ehloSent + "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nBDAT 4 LAST\r\nhi\r\n"},

		// --- STARTTLS ---
		{name: "STARTTLS 220 then plaintext", mode: TLSStartTLS, script: script(open("STARTTLS"), steps(smtptest.ExpectLine("STARTTLS"),
			smtptest.Send("220 go ahead\r\n"), smtptest.Stall(50*time.Millisecond), smtptest.Send("250 plaintext\r\n"), closed)),
			check: isTLSHandshake, want: "*TLSError TLSReasonHandshake", sent: ehloSent + "STARTTLS\r\n", prefix: true},
		{name: "opportunistic STARTTLS 220 then plaintext", mode: TLSOpportunistic, script: script(open("STARTTLS"), steps(smtptest.ExpectLine("STARTTLS"),
			smtptest.Send("220 go ahead\r\n"), smtptest.Stall(50*time.Millisecond), smtptest.Send("250 plaintext\r\n"), closed)),
			check: isTLSHandshake, want: "*TLSError TLSReasonHandshake", sent: ehloSent + "STARTTLS\r\n", prefix: true,
			sentNot: []string{"EHLO client.test\r\nSTARTTLS\r\nEHLO"}},
		{name: "STARTTLS 220 then nothing", mode: TLSStartTLS, script: script(open("STARTTLS"), steps(smtptest.ExpectLine("STARTTLS"),
			smtptest.Send("220 go ahead\r\n"), closed)),
			check: either(isTimeout, isTLSHandshake), want: "a timeout", sent: ehloSent + "STARTTLS\r\n", prefix: true},

		// --- AUTH ---
		{name: "AUTH 334 with 1 MiB challenge", script: script(open("AUTH LOGIN"), steps(smtptest.ExpectLine("AUTH LOGIN"),
			smtptest.Send("334 "+repeat("QUFB", 1<<18)+"\r\n"), closed)),
			run: authLogin, check: isViolation(reply.ViolationLineTooLong), want: "ViolationLineTooLong", sent: ehloSent + "AUTH LOGIN\r\n", scriptFails: true},
		{name: "AUTH 334 invalid base64", script: script(open("AUTH LOGIN"), steps(smtptest.ExpectLine("AUTH LOGIN"),
			smtptest.Send("334 !!not base64!!\r\n"), smtptest.ExpectLine("*"), smtptest.Send("501 5.7.0 cancelled\r\n"), closed)),
			run: authLogin, check: isAuthError(sasl.ErrMalformedChallenge), want: "*AuthError ErrMalformedChallenge",
			sent: ehloSent + "AUTH LOGIN\r\n*\r\n"},
		{name: "AUTH 334 forever", script: script(open("AUTH LOGIN"), steps(smtptest.ExpectLine("AUTH LOGIN"),
			smtptest.Send("334 VXNlcm5hbWU6\r\n"), smtptest.Expect(""), smtptest.Send("334 UGFzc3dvcmQ6\r\n"), smtptest.Expect(""),
			smtptest.Send("334 UGFzc3dvcmQ6\r\n"), smtptest.ExpectLine("*"), smtptest.Send("501 cancelled\r\n"), closed)),
			run: authLogin, check: isAuthError(nil), want: "*AuthError",
			sent: ehloSent + "AUTH LOGIN\r\n" + b64(advUser) + "\r\n" + b64(advPass) + "\r\n*\r\n"},
		{name: "AUTH 535 echoing the response", script: script(open("AUTH PLAIN"), steps(smtptest.Expect("AUTH PLAIN"),
			smtptest.Send("535 5.7.8 authentication failed: "+b64("\x00"+advUser+"\x00"+advPass)+" "+advPass+"\r\n"), smtptest.ExpectLine("QUIT"), smtptest.Send("221 bye\r\n"), closed)),
			run: func(ctx context.Context, c *Client) error {
				err := authPlain(ctx, c)
				c.Quit(ctx)
				return err
			}, check: reply.IsAuthFailed, want: "IsAuthFailed",
			sent: ehloSent + plainIR + "QUIT\r\n"},
		{name: "AUTH LOGIN 535 echoing the password", script: script(open("AUTH LOGIN"), steps(smtptest.ExpectLine("AUTH LOGIN"),
			smtptest.Send("334 VXNlcm5hbWU6\r\n"), smtptest.Expect(""), smtptest.Send("334 UGFzc3dvcmQ6\r\n"), smtptest.Expect(""),
			smtptest.Send("535-5.7.8 bad password "+advPass+"\r\n535 5.7.8 for "+b64(advPass)+"\r\n"), closed)),
			run: authLogin, check: reply.IsAuthFailed, want: "IsAuthFailed",
			sent: ehloSent + "AUTH LOGIN\r\n" + b64(advUser) + "\r\n" + b64(advPass) + "\r\n"},
		{name: "AUTH LOGIN prompts swapped", script: script(open("AUTH LOGIN"), steps(smtptest.ExpectLine("AUTH LOGIN"),
			smtptest.Send("334 UGFzc3dvcmQ6\r\n"), smtptest.Expect(""), smtptest.Send("334 VXNlcm5hbWU6\r\n"), smtptest.Expect(""),
			smtptest.Send("235 ok\r\n"), closed)),
			run: authLogin, check: func(err error) bool { return err == nil }, want: "nil",
			sent: ehloSent + "AUTH LOGIN\r\n" + b64(advPass) + "\r\n" + b64(advUser) + "\r\n"},
		{name: "SCRAM 235 without server proof", script: script(open("AUTH SCRAM-SHA-256"), steps(smtptest.Expect("AUTH SCRAM-SHA-256 "),
			smtptest.Send("235 ok\r\n"), closed)),
			run: authSCRAM, check: isAuthError(nil), want: "*AuthError", prefix: true, sent: ehloSent + "AUTH SCRAM-SHA-256 "},
		{name: "SCRAM 250 without server proof", script: script(open("AUTH SCRAM-SHA-256"), steps(smtptest.Expect("AUTH SCRAM-SHA-256 "),
			smtptest.Send("250 ok\r\n"), closed)),
			run: authSCRAM, check: isAuthError(nil), want: "*AuthError", prefix: true, sent: ehloSent + "AUTH SCRAM-SHA-256 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, &smtptest.Options{Timeout: 3 * time.Second}, tt.script)
			log := &logCollector{}
			opts := advOpts(log)
			if tt.mode != TLSDefault {
				opts.TLS, opts.TLSConfig = tt.mode, srv.ClientTLSConfig()
			}
			var err error
			within(t, tt.name, func() {
				ctx := testCtx(t)
				var c *Client
				c, err = Dial(ctx, srv.Addr(), opts)
				if err != nil || tt.run == nil {
					if c != nil {
						c.Close()
					}
					return
				}
				err = tt.run(ctx, c)
				c.Close()
			})
			if !tt.check(err) {
				t.Errorf("got error %v (%T), want %s", err, err, tt.want)
			}
			if serr := srv.Wait(); serr != nil && !tt.scriptFails {
				t.Errorf("server script: %v", serr)
			}
			got := string(srv.Received())
			if tt.prefix {
				if !strings.HasPrefix(got, tt.sent) {
					t.Errorf("client sent %.300q, want it to start with %q", got, tt.sent)
				}
			} else if got != tt.sent {
				t.Errorf("client sent %q, want %q", got, tt.sent)
			}
			for _, s := range tt.sentNot {
				if strings.Contains(got, s) {
					t.Errorf("client sent %q, which it must not", s)
				}
			}
			if err != nil && strings.ContainsFunc(err.Error(), func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Errorf("error %q contains control characters", err)
			}
			text := log.text()
			if strings.ContainsFunc(text, func(r rune) bool { return r != '\n' && (r < 0x20 || r == 0x7f) }) {
				t.Errorf("transcript contains control characters:\n%q", text)
			}
			for _, s := range advSecrets() {
				if strings.Contains(text, s) {
					t.Errorf("transcript contains the secret %q:\n%s", s, text)
				}
				if err != nil && strings.Contains(err.Error(), s) {
					t.Errorf("error %q contains the secret %q", err, s)
				}
			}
		})
	}
}

// dotFailConn fails the write that carries the end of a message's final
// dot, as a connection reset in the middle of that write would.
type dotFailConn struct{ net.Conn }

var errReset = errors.New("connection reset (test)")

func (c dotFailConn) Write(p []byte) (int, error) {
	if i := strings.Index(string(p), "\r\n.\r\n"); i >= 0 {
		n, _ := c.Conn.Write(p[:i])
		return n, errReset
	}
	return c.Conn.Write(p)
}

// TestAdversarialFinalDotNotWritten: when the write of the final dot
// fails, the dot did not leave: the server cannot have the message, so the
// error is a lost connection, never ErrDeliveryUnknown.
func TestAdversarialFinalDotNotWritten(t *testing.T) {
	srv := smtptest.Start(t, nil, script(hello, steps(
		smtptest.Expect("MAIL FROM:"), smtptest.Send("250 ok\r\n"),
		smtptest.Expect("RCPT TO:"), smtptest.Send("250 ok\r\n"),
		smtptest.ExpectLine("DATA"), smtptest.Send("354 go\r\n"),
		smtptest.StallUntilClosed(),
	)))
	ctx := testCtx(t)
	var err error
	within(t, "DATA", func() {
		raw, derr := net.Dial("tcp", srv.Addr())
		if derr != nil {
			t.Fatal(derr)
		}
		c, derr := New(ctx, dotFailConn{raw}, plain(nil))
		if derr != nil {
			t.Fatalf("New = %v", derr)
		}
		defer c.Close()
		err = dataBody("hello\r\n")(ctx, c)
	})
	if !isLost(err) || !errors.Is(err, errReset) {
		t.Errorf("Close = %v, want a *ConnError wrapping the write error, not ErrDeliveryUnknown", err)
	}
	if got := reply.RetryFor(err); got != reply.RetryNewConnection {
		t.Errorf("RetryFor(%v) = %v, want %v", err, got, reply.RetryNewConnection)
	}
	waitScript(t, srv)
	if got, want := after(srv.Received(), "DATA\r\n"), "hello"; got != want {
		t.Errorf("client sent %q after DATA, want %q", got, want)
	}
}
