package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
	"github.com/seed-e4e66a4f/smtp/internal/wire"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// smugglingBody mixes every line ending, lines of a single dot and a body
// that does not end with a line ending; want is what must be delivered.
const (
	smugglingBody = "Subject: chunks\n\nbare LF\nbare CR\rCRLF\r\n.\n..x\r.\r\nend"
	smugglingWant = "Subject: chunks\r\n\r\nbare LF\r\nbare CR\r\nCRLF\r\n.\r\n..x\r\n.\r\nend\r\n"
)

// bdatOpts is a STARTTLS session with the test CA, as against go-smtp.
func bdatOpts(log *logCollector) *Options {
	o := secureOpts(log)
	o.LocalName = "client.example.test"
	return o
}

// dialBDATGoSMTP starts go-smtp (configure as for startGoSMTP) and dials
// it with bdatOpts, logging to log; the client is closed when the test ends.
func dialBDATGoSMTP(t *testing.T, configure func(*smtp.Server)) (s *gsServer, c *Client, log *logCollector) {
	t.Helper()
	s = startGoSMTP(t, false, configure)
	log = &logCollector{}
	c, err := Dial(testCtx(t), s.addr, bdatOpts(log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return s, c, log
}

// openBDAT sends MAIL FROM:<a@example.test> and RCPT TO:<b@example.test>
// (their replies are the server's to check) and returns the BDAT writer,
// failing the test if BDAT does.
func openBDAT(t *testing.T, ctx context.Context, c *Client, opts *BDATOptions) *DataWriter {
	t.Helper()
	c.Mail(ctx, "a@example.test", nil)
	c.Rcpt(ctx, "b@example.test", nil)
	w, err := c.BDAT(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestBDATGoSMTP(t *testing.T) {
	big := strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz\n", 300) // 11100 octets, LF only
	tests := []struct {
		name      string
		body      string
		chunkSize int
		mail      *MailOptions
		want      string
	}{
		{"one chunk", smugglingBody, 0, nil, smugglingWant},
		{"many chunks", big, 1000, nil, strings.ReplaceAll(big, "\n", "\r\n")},
		{"chunk boundary inside CRLF", "a\r\nb\r\nc", 2, nil, "a\r\nb\r\nc\r\n"},
		{"empty body", "", 0, nil, ""},
		{"BINARYMIME", "Content-Transfer-Encoding: binary\r\n\r\n\xff\xfe\x80\r\n", 0,
			&MailOptions{Body: BodyBinaryMIME}, "Content-Transfer-Encoding: binary\r\n\r\n\xff\xfe\x80\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c, log := dialBDATGoSMTP(t, nil)
			ctx := testCtx(t)
			if _, err := c.Mail(ctx, "a@example.test", tt.mail); err != nil {
				t.Fatalf("Mail = %v", err)
			}
			if _, err := c.Rcpt(ctx, "b@example.test", nil); err != nil {
				t.Fatalf("Rcpt = %v", err)
			}
			w, err := c.BDAT(ctx, &BDATOptions{ChunkSize: tt.chunkSize})
			if err != nil {
				t.Fatalf("BDAT = %v", err)
			}
			if _, err := io.Copy(w, strings.NewReader(tt.body)); err != nil {
				t.Fatalf("Write = %v", err)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("Close = %v", err)
			}
			if r := w.Reply(); r.Code != reply.CodeOK {
				t.Errorf("Reply() = %v, want 250", r)
			}
			msgs := s.messages()
			if len(msgs) != 1 || string(msgs[0].Data) != tt.want {
				t.Fatalf("server got %+v; want one message %q", msgs, tt.want)
			}
			if tt.mail != nil && msgs[0].MailOpts.Body != smtp.BodyBinaryMIME {
				t.Errorf("server got BODY=%q, want BINARYMIME", msgs[0].MailOpts.Body)
			}
			// The chunks are of the requested size but the last.
			size := tt.chunkSize
			if size == 0 {
				size = wire.DefaultChunkSize
			}
			var sizes []string
			for _, l := range strings.Split(log.text(), "\n") {
				if rest, ok := strings.CutPrefix(l, "C: BDAT "); ok {
					sizes = append(sizes, rest)
				}
			}
			n := len(tt.want)
			var want []string
			for n > size {
				want = append(want, strconv.Itoa(size))
				n -= size
			}
			want = append(want, strconv.Itoa(n)+" LAST")
			if !slices.Equal(sizes, want) {
				t.Errorf("BDAT commands %q, want %q", sizes, want)
			}
			// The session goes on: a second message with DATA.
			if r := send(t, c, "a@example.test", []string{"b@example.test"}, "Subject: 2\r\n\r\nagain\r\n"); r.Code != reply.CodeOK {
				t.Errorf("DATA after BDAT: %v", r)
			}
		})
	}
}

func TestSendChunkingGoSMTP(t *testing.T) {
	s, c, log := dialBDATGoSMTP(t, nil)
	ctx := testCtx(t)
	env := &Envelope{From: "a@example.test", To: []string{"b@example.test", "nosuch@example.test", "c@example.test"}}
	res, err := c.Send(ctx, env, strings.NewReader(smugglingBody))
	if res.State != DeliveryPartial || !reply.IsMailboxUnavailable(err) {
		t.Fatalf("Send = %v, %v; want partial delivery and the 550", res.State, err)
	}
	if res.Final.Code != reply.CodeOK {
		t.Errorf("Result.Final = %v, want the 250 to BDAT LAST", res.Final)
	}
	msgs := s.messages()
	if len(msgs) != 1 || string(msgs[0].Data) != smugglingWant || !slices.Equal(msgs[0].Rcpts, []string{"b@example.test", "c@example.test"}) {
		t.Fatalf("server got %+v; want one message %q to b and c", msgs, smugglingWant)
	}
	// PIPELINING: MAIL, the RCPTs and the one and only chunk in one flight.
	lines := strings.Split(log.text(), "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "C: MAIL FROM:") })
	if i < 0 || len(lines) < i+6 || lines[i+4] != "C: BDAT "+strconv.Itoa(len(smugglingWant))+" LAST" || !strings.HasPrefix(lines[i+5], "S: 250") {
		t.Errorf("transcript does not show MAIL, 3 RCPT and BDAT LAST in one flight:\n%s", log.text())
	}
	if strings.Contains(log.text(), "C: DATA") {
		t.Errorf("Send with Chunking used DATA:\n%s", log.text())
	}
}

func TestBDATChunkRefusedGoSMTP(t *testing.T) {
	// go-smtp answers 552 to the chunk that takes the message over
	// MaxMessageBytes, and forgets the transaction.
	s, c, log := dialBDATGoSMTP(t, func(s *smtp.Server) { s.MaxMessageBytes = 1500 })
	ctx := testCtx(t)
	w := openBDAT(t, ctx, c, &BDATOptions{ChunkSize: 1000})
	_, werr := io.Copy(w, strings.NewReader(strings.Repeat("x\r\n", 10000)))
	cerr := w.Close()
	re, ok := errors.AsType[*reply.Error](werr)
	if !ok || re.Command != "BDAT" || re.Reply.Code != reply.CodeExceededStorage || !reply.IsMessageTooLarge(werr) {
		t.Fatalf("Write = %v; want the *reply.Error 552 to BDAT", werr)
	}
	if cerr != werr {
		t.Errorf("Close = %v, want the Write error %v", cerr, werr)
	}
	if w.Reply().Code != reply.CodeExceededStorage {
		t.Errorf("Reply() = %v, want the 552", w.Reply())
	}
	if n := strings.Count(log.text(), "C: BDAT"); n > 2+maxChunksInFlight {
		t.Errorf("client sent %d chunks after a refusal at the second; want at most %d", n, 2+maxChunksInFlight)
	}
	if strings.Contains(log.text(), "LAST") || !strings.Contains(log.text(), "C: RSET") {
		t.Errorf("transcript: want no LAST chunk and an RSET:\n%s", log.text())
	}
	if len(s.messages()) != 0 {
		t.Errorf("server got %d messages, want none", len(s.messages()))
	}
	if r := send(t, c, "a@example.test", []string{"b@example.test"}, "Subject: small\r\n\r\nok\r\n"); r.Code != reply.CodeOK {
		t.Errorf("DATA after a refused BDAT: %v", r)
	}
}

// chunkingHello is the opening of a plain script whose server offers
// CHUNKING (and PIPELINING when pipe).
func chunkingHello(pipe bool) []smtptest.Step {
	ext := []string{"8BITMIME", "CHUNKING", "BINARYMIME"}
	if pipe {
		ext = append(ext, "PIPELINING")
	}
	return []smtptest.Step{
		smtptest.Send("220 mx.example.test ESMTP\r\n"),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send(ehloLines(ext...)),
	}
}

func TestSendChunkingOneFlight(t *testing.T) {
	// The server reads MAIL, RCPT and the whole chunk before it answers
	// anything: the client must have sent them without waiting.
	srv := smtptest.Start(t, nil, script(chunkingHello(true), steps(
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
		smtptest.ExpectLine("RCPT TO:<b@example.test>"),
		smtptest.ExpectBDAT(),
		smtptest.Send("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok: queued as 4F2A1C0123\r\n"),
	), quitting))
	c := dialScripted(t, srv, plain(nil))
	res, err := c.Send(testCtx(t), &Envelope{From: "a@example.test", To: []string{"b@example.test"}}, strings.NewReader(smugglingBody))
	if err != nil || res.State != DeliveryComplete || !strings.Contains(res.Final.Text(), "queued as 4F2A1C0123") {
		t.Fatalf("Send = %+v, %v; want delivered with the queue id", res, err)
	}
	usable(t, c)
	waitScript(t, srv)
	if d := srv.Data(); len(d) != 1 || string(d[0]) != smugglingWant {
		t.Errorf("server got %q, want %q", d, smugglingWant)
	}
	want := "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nBDAT " + strconv.Itoa(len(smugglingWant)) + " LAST\r\n" + smugglingWant + "NOOP\r\n"
	if got := after(srv.Received(), "EHLO client.test\r\n"); !strings.HasPrefix(got, want) {
		t.Errorf("wire after EHLO = %q, want it to start with %q", got, want)
	}
}

func TestSendChunkingEnvelopeRefused(t *testing.T) {
	// Pipelined with the envelope, the chunk is sent even though every
	// recipient is refused; the server discards it, the client says RSET.
	srv := smtptest.Start(t, nil, script(chunkingHello(true), steps(
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
		smtptest.ExpectLine("RCPT TO:<nosuch@example.test>"),
		smtptest.ExpectBDAT(),
		smtptest.Send("250 2.1.0 Ok\r\n550 5.1.1 No such user\r\n554 5.5.1 Error: no valid recipients\r\n"),
		smtptest.ExpectLine("RSET"),
		smtptest.Send("250 2.0.0 Ok\r\n"),
	), quitting))
	c := dialScripted(t, srv, plain(nil))
	res, err := c.Send(testCtx(t), &Envelope{From: "a@example.test", To: []string{"nosuch@example.test"}}, strings.NewReader("x\r\n"))
	re, ok := errors.AsType[*RecipientsError](err)
	if res.State != DeliveryRejected || !ok || len(re.Refused) != 1 || !reply.IsMailboxUnavailable(err) {
		t.Fatalf("Send = %v, %v; want rejected, a *RecipientsError with the 550", res.State, err)
	}
	if errors.Is(err, errEnvelopeRefused) {
		t.Errorf("Send = %v: the internal sentinel leaked", err)
	}
	if res.Final.Code != 0 {
		t.Errorf("Result.Final = %v, want none", res.Final)
	}
	usable(t, c)
	waitScript(t, srv)
}

func TestBDATChunkRefused(t *testing.T) {
	tests := []struct {
		name   string
		pipe   bool
		server []smtptest.Step
		chunks int // BDAT commands the client may send
	}{
		{"lock-step", false, steps(
			smtptest.ExpectBDAT(), smtptest.Send("250 2.0.0 Continue\r\n"),
			smtptest.ExpectBDAT(), smtptest.Send("554 5.6.0 Chunk refused\r\n"),
		), 2},
		{"pipelined", true, steps(
			// Nine chunks leave before the client must read a reply.
			smtptest.ExpectBDAT(), smtptest.ExpectBDAT(), smtptest.ExpectBDAT(),
			smtptest.ExpectBDAT(), smtptest.ExpectBDAT(), smtptest.ExpectBDAT(),
			smtptest.ExpectBDAT(), smtptest.ExpectBDAT(), smtptest.ExpectBDAT(),
			smtptest.Send("554 5.6.0 Chunk refused\r\n"+strings.Repeat("503 5.5.1 Discarded\r\n", 8)),
		), 1 + maxChunksInFlight},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := script(chunkingHello(tt.pipe), steps(
				smtptest.ExpectLine("MAIL FROM:<a@example.test>"), smtptest.Send("250 2.1.0 Ok\r\n"),
				smtptest.ExpectLine("RCPT TO:<b@example.test>"), smtptest.Send("250 2.1.5 Ok\r\n"),
			), tt.server, steps(
				smtptest.ExpectLine("RSET"), smtptest.Send("250 2.0.0 Ok\r\n"),
			), quitting)
			srv := smtptest.Start(t, nil, s)
			c := dialScripted(t, srv, plain(nil))
			ctx := testCtx(t)
			w := openBDAT(t, ctx, c, &BDATOptions{ChunkSize: 4})
			body := strings.Repeat("abc\n", 20) // 20 chunks of 4 octets
			var werr error
			within(t, "Write", func() { _, werr = io.WriteString(w, body) })
			re, ok := errors.AsType[*reply.Error](werr)
			if !ok || re.Command != "BDAT" || re.Reply.Code != reply.CodeTransactionFailed {
				t.Fatalf("Write = %v; want the *reply.Error 554 to BDAT", werr)
			}
			if err := w.Close(); err != werr {
				t.Errorf("Close = %v, want %v", err, werr)
			}
			usable(t, c)
			waitScript(t, srv)
			got := after(srv.Received(), "RCPT TO:<b@example.test>\r\n")
			if n := strings.Count(got, "BDAT 4\r\n"); n != tt.chunks || strings.Contains(got, "LAST") {
				t.Errorf("client sent %d chunks (LAST: %v), want %d and no LAST", n, strings.Contains(got, "LAST"), tt.chunks)
			}
		})
	}
}

func TestBDATBodyErrorKeepsSession(t *testing.T) {
	srv := smtptest.Start(t, nil, script(chunkingHello(false), steps(
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"), smtptest.Send("250 2.1.0 Ok\r\n"),
		smtptest.ExpectLine("RCPT TO:<b@example.test>"), smtptest.Send("250 2.1.5 Ok\r\n"),
		smtptest.ExpectBDAT(), smtptest.Send("250 2.0.0 Continue\r\n"),
		smtptest.ExpectLine("RSET"), smtptest.Send("250 2.0.0 Ok\r\n"),
	), quitting))
	c := dialScripted(t, srv, plain(nil))
	ctx := testCtx(t)
	w := openBDAT(t, ctx, c, &BDATOptions{ChunkSize: 4})
	_, err := io.WriteString(w, "abcdefgh\x00")
	if be, ok := errors.AsType[*BodyError](err); !ok || be.Kind != BodyErrorNUL {
		t.Fatalf("Write(NUL) = %v; want a *BodyError for the NUL", err)
	}
	if cerr := w.Close(); cerr != err {
		t.Errorf("Close = %v, want %v", cerr, err)
	}
	usable(t, c)
	waitScript(t, srv)
	if got := after(srv.Received(), "RCPT TO:<b@example.test>\r\n"); got != "BDAT 4\r\nabcdRSET\r\nNOOP\r\nQUIT\r\n" {
		t.Errorf("wire after RCPT = %q; want one chunk, then RSET", got)
	}
}

func TestSendChunkingBodyReadError(t *testing.T) {
	// The reader fails before the first chunk: the pipelined envelope still
	// leaves, its replies are reported, and RSET discards the transaction.
	srv := smtptest.Start(t, nil, script(chunkingHello(true), steps(
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
		smtptest.ExpectLine("RCPT TO:<b@example.test>"),
		smtptest.Send("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"),
		smtptest.ExpectLine("RSET"), smtptest.Send("250 2.0.0 Ok\r\n"),
	), quitting))
	c := dialScripted(t, srv, plain(nil))
	res, err := c.Send(testCtx(t), &Envelope{From: "a@example.test", To: []string{"b@example.test"}}, &failingReader{n: 1})
	if !errors.Is(err, errReader) || res.State != DeliveryRejected {
		t.Fatalf("Send = %v, %v; want rejected with the reader's error", res.State, err)
	}
	if res.Mail.Code != reply.CodeOK || res.Recipients[0].Reply.Code != reply.CodeOK {
		t.Errorf("Result = %+v; want the envelope replies", res)
	}
	usable(t, c)
	waitScript(t, srv)
	if got := srv.Received(); strings.Contains(string(got), "BDAT") {
		t.Errorf("client sent %q; want no chunk", got)
	}
}

func TestBDATDeliveryUnknown(t *testing.T) {
	tests := []struct {
		name  string
		after smtptest.Step
		opts  *Options
		cause func(error) bool
	}{
		{"connection cut", smtptest.Close(), nil, func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
		{"reply times out", smtptest.StallUntilClosed(), &Options{Timeouts: Timeouts{DataTermination: 100 * time.Millisecond}},
			func(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }},
		{"half a reply", smtptest.Send("250 2.0.0 Ok: que"), nil, func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
	}
	for _, tt := range tests {
		for _, api := range []string{"BDAT", "Send"} {
			t.Run(tt.name+"/"+api, func(t *testing.T) {
				s := script(chunkingHello(false), steps(
					smtptest.ExpectLine("MAIL FROM:<a@example.test>"), smtptest.Send("250 ok\r\n"),
					smtptest.ExpectLine("RCPT TO:<b@example.test>"), smtptest.Send("250 ok\r\n"),
				))
				if api == "BDAT" {
					// Two chunks: the first one answered, then the LAST.
					s = append(s, smtptest.ExpectBDAT(), smtptest.Send("250 2.0.0 Continue\r\n"))
				}
				s = append(s, smtptest.ExpectBDAT(), tt.after)
				if tt.name == "half a reply" {
					s = append(s, smtptest.Close())
				}
				srv := smtptest.Start(t, nil, s)
				ctx := testCtx(t)
				c := dialScripted(t, srv, plain(tt.opts))
				body := "Subject: x\r\n\r\n" + strings.Repeat("y", 200) + "\r\n"
				var err error
				within(t, api, func() {
					if api == "Send" {
						var res Result
						res, err = c.Send(ctx, &Envelope{From: "a@example.test", To: []string{"b@example.test"}}, strings.NewReader(body))
						if res.State != DeliveryUnknown {
							t.Errorf("Send state = %v, want unknown", res.State)
						}
						return
					}
					c.Mail(ctx, "a@example.test", nil)
					c.Rcpt(ctx, "b@example.test", nil)
					w, berr := c.BDAT(ctx, &BDATOptions{ChunkSize: 128})
					if berr != nil {
						t.Fatal(berr)
					}
					if _, werr := io.WriteString(w, body); werr != nil {
						t.Fatalf("Write = %v", werr)
					}
					err = w.Close()
				})
				if !errors.Is(err, ErrDeliveryUnknown) || !tt.cause(err) {
					t.Fatalf("%s = %v, want ErrDeliveryUnknown and its cause", api, err)
				}
				if _, ok := errors.AsType[*reply.Error](err); ok {
					t.Errorf("%s = %v: a lost connection is not a server refusal", api, err)
				}
				if !strings.Contains(err.Error(), "after the LAST chunk") {
					t.Errorf("%s = %q; want it to say after the LAST chunk", api, err)
				}
				if _, err := c.Noop(ctx); !errors.Is(err, ErrBroken) || !errors.Is(err, ErrDeliveryUnknown) {
					t.Errorf("Noop() after = %v, want ErrBroken and the stored error", err)
				}
				waitScript(t, srv)
			})
		}
	}
}

func TestSendBinaryMIMEUsesBDAT(t *testing.T) {
	s, c, log := dialBDATGoSMTP(t, nil)
	ctx := testCtx(t)
	body := "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\xff\x80\x01\r\n"
	env := &Envelope{From: "a@example.test", To: []string{"b@example.test"}, MailOptions: &MailOptions{Body: BodyBinaryMIME}}
	res, err := c.Send(ctx, env, strings.NewReader(body))
	if err != nil || res.State != DeliveryComplete {
		t.Fatalf("Send(BINARYMIME) = %v, %v; want delivered", res.State, err)
	}
	msgs := s.messages()
	if len(msgs) != 1 || msgs[0].MailOpts.Body != smtp.BodyBinaryMIME || string(msgs[0].Data) != body {
		t.Errorf("server got %+v; want one BINARYMIME message %q", msgs, body)
	}
	if strings.Contains(log.text(), "C: DATA") || !strings.Contains(log.text(), "LAST") {
		t.Errorf("Send(BINARYMIME) did not use BDAT:\n%s", log.text())
	}
}

func TestSendChunkingFallsBackToDATA(t *testing.T) {
	// No CHUNKING: BDAT is a preference, DATA is used.
	srv := smtptest.Start(t, nil, script(hello, steps(
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
		smtptest.ExpectLine("RCPT TO:<b@example.test>"),
		smtptest.ExpectLine("DATA"),
		smtptest.Send("250 ok\r\n250 ok\r\n354 go\r\n"),
		smtptest.ExpectData(),
		smtptest.Send("250 2.0.0 Ok: queued as D\r\n"),
	), quitting))
	c := dialScripted(t, srv, plain(nil))
	res, err := c.Send(testCtx(t), &Envelope{From: "a@example.test", To: []string{"b@example.test"}}, strings.NewReader(smugglingBody))
	if err != nil || res.State != DeliveryComplete {
		t.Fatalf("Send = %v, %v; want delivered with DATA", res.State, err)
	}
	usable(t, c)
	waitScript(t, srv)
}

func TestBDATRefusedBeforeSending(t *testing.T) {
	tests := []struct {
		name   string
		ext    []string
		mail   bool
		bdat   *BDATOptions
		env    *Envelope // for Send; nil: call BDAT
		checks func(error) bool
	}{
		{"no CHUNKING", []string{"PIPELINING"}, true, nil, nil, isUnsupported("CHUNKING")},
		{"no transaction", []string{"CHUNKING"}, false, nil, nil, isInput("call")},
		{"chunk too large", []string{"CHUNKING"}, true, &BDATOptions{ChunkSize: maxChunkSize + 1}, nil, isInput("chunk size")},
		{"Send BINARYMIME without CHUNKING", []string{"BINARYMIME", "PIPELINING"}, false, nil,
			&Envelope{To: []string{"b@example.test"}, MailOptions: &MailOptions{Body: BodyBinaryMIME}}, isUnsupported("BINARYMIME and CHUNKING")},
		{"Send BINARYMIME without BINARYMIME", []string{"CHUNKING", "PIPELINING"}, false, nil,
			&Envelope{To: []string{"b@example.test"}, MailOptions: &MailOptions{Body: BodyBinaryMIME}}, isUnsupported("BINARYMIME and CHUNKING")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := plainOpening(tt.ext)
			if tt.mail {
				s = append(s, smtptest.ExpectLine("MAIL FROM:<a@example.test>"), smtptest.Send("250 ok\r\n"))
			}
			srv := smtptest.Start(t, nil, append(s, quitting...))
			c := dialScripted(t, srv, plain(nil))
			ctx := testCtx(t)
			var err error
			if tt.env != nil {
				_, err = c.Send(ctx, tt.env, strings.NewReader("x\r\n"))
			} else {
				if tt.mail {
					if _, err := c.Mail(ctx, "a@example.test", nil); err != nil {
						t.Fatal(err)
					}
				}
				var w *DataWriter
				w, err = c.BDAT(ctx, tt.bdat)
				if w != nil {
					t.Errorf("BDAT returned a writer with %v", err)
				}
			}
			if !tt.checks(err) {
				t.Errorf("%s: error %v", tt.name, err)
			}
			// The script fails if anything but NOOP comes next.
			usable(t, c)
			waitScript(t, srv)
		})
	}
}

func isUnsupported(ext string) func(error) bool {
	return func(err error) bool {
		e, ok := errors.AsType[*UnsupportedError](err)
		return ok && e.Extension == ext
	}
}

func isInput(field string) func(error) bool {
	return func(err error) bool {
		e, ok := errors.AsType[*InputError](err)
		return ok && e.Field == field
	}
}

func TestBDATChunkReplyTimeout(t *testing.T) {
	// The reply to a chunk before the last is bounded by DataBlock; the
	// message is not delivered (no LAST chunk left), so it is a timeout,
	// not delivery unknown.
	srv := smtptest.Start(t, nil, script(chunkingHello(false), steps(
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"), smtptest.Send("250 ok\r\n"),
		smtptest.ExpectLine("RCPT TO:<b@example.test>"), smtptest.Send("250 ok\r\n"),
		smtptest.ExpectBDAT(),
		smtptest.StallUntilClosed(),
	)))
	c := dialScripted(t, srv, plain(&Options{Timeouts: Timeouts{DataBlock: 100 * time.Millisecond}}))
	ctx := testCtx(t)
	w := openBDAT(t, ctx, c, &BDATOptions{ChunkSize: 8})
	var err error
	within(t, "Write", func() { _, err = io.WriteString(w, "0123456789abcdef\r\n") })
	if !errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, ErrDeliveryUnknown) {
		t.Fatalf("Write = %v; want a timeout, not delivery unknown", err)
	}
	if cerr := w.Close(); cerr != err {
		t.Errorf("Close = %v, want %v", cerr, err)
	}
	if _, err := c.Noop(ctx); !errors.Is(err, ErrBroken) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Noop() after = %v, want ErrBroken and the timeout", err)
	}
	waitScript(t, srv)
	if got := string(srv.Received()); strings.Contains(got, "LAST") {
		t.Errorf("client sent %q; want no LAST chunk", got)
	}
}

func TestBDATContextCancelAfterLast(t *testing.T) {
	got := make(chan struct{})
	srv := smtptest.Start(t, nil, script(chunkingHello(true), steps(
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"), smtptest.Send("250 ok\r\n"),
		smtptest.ExpectLine("RCPT TO:<b@example.test>"), smtptest.Send("250 ok\r\n"),
		smtptest.ExpectBDAT(),
		smtptest.Func(func() error { close(got); return nil }),
		smtptest.StallUntilClosed(),
	)))
	c := dialScripted(t, srv, plain(nil))
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	w := openBDAT(t, ctx, c, nil)
	io.WriteString(w, "Subject: x\r\n\r\nhello\r\n")
	go func() {
		<-got // the server has the LAST chunk
		cancel()
	}()
	var err error
	within(t, "Close", func() { err = w.Close() })
	if !errors.Is(err, ErrDeliveryUnknown) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Close() cancelled while waiting for the reply to LAST = %v, want ErrDeliveryUnknown and context.Canceled", err)
	}
	if _, err := c.Noop(testCtx(t)); !errors.Is(err, ErrBroken) {
		t.Errorf("Noop() after = %v, want ErrBroken", err)
	}
	waitScript(t, srv)
}

// BDAT is the default when the server offers CHUNKING; Envelope.UseDATA
// and Options.DisableChunking choose DATA.
func TestSendChoosesBDAT(t *testing.T) {
	gs := startGoSMTP(t, false, nil)
	tests := []struct {
		name    string
		useDATA bool
		disable bool
		want    string
	}{
		{"default", false, false, "C: BDAT "},
		{"Envelope.UseDATA", true, false, "C: DATA"},
		{"Options.DisableChunking", false, true, "C: DATA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &logCollector{}
			c, err := Dial(testCtx(t), gs.addr, &Options{TLSConfig: clientTLS(), Logger: slog.New(log), DisableChunking: tt.disable})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			env := &Envelope{From: "a@example.test", To: []string{"b@example.test"}, UseDATA: tt.useDATA}
			if _, err := c.Send(testCtx(t), env, strings.NewReader("Subject: x\r\n\r\nhi\r\n")); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(log.text(), tt.want) {
				t.Errorf("transcript has no %q:\n%s", tt.want, log.text())
			}
		})
	}
}

// The replies of a Result share one buffer (txn.arena): each keeps its
// own text, with DATA, with BDAT pipelined with the envelope, and in a
// stream.
func TestSendReplyTextsIntact(t *testing.T) {
	gs := startGoSMTP(t, false, nil)
	c, err := Dial(testCtx(t), gs.addr, &Options{TLSConfig: clientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	check := func(what string, res Result) {
		t.Helper()
		if got := res.Mail.Text(); got != "Roger, accepting mail from <a@example.test>" {
			t.Errorf("%s: Mail = %q", what, got)
		}
		if got := res.Recipients[0].Reply.Text(); got != "I'll make sure <b@example.test> gets this" {
			t.Errorf("%s: RCPT = %q", what, got)
		}
		if got := res.Recipients[1].Reply.Text(); got != "I'll make sure <c@example.test> gets this" {
			t.Errorf("%s: RCPT = %q", what, got)
		}
		if got := res.Final.Text(); !strings.HasPrefix(got, "OK: queued") {
			t.Errorf("%s: Final = %q", what, got)
		}
	}
	for _, useDATA := range []bool{false, true} {
		env := &Envelope{From: "a@example.test", To: []string{"b@example.test", "c@example.test"}, UseDATA: useDATA}
		res, err := c.Send(testCtx(t), env, strings.NewReader("Subject: x\r\n\r\nhi\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("Send(UseDATA %v)", useDATA), res)
	}
	msgs := make([]*Message, 5)
	for i := range msgs {
		msgs[i] = &Message{Envelope: Envelope{From: "a@example.test", To: []string{"b@example.test", "c@example.test"}, UseDATA: i%2 == 0},
			Body: strings.NewReader("Subject: x\r\n\r\nhi\r\n")}
	}
	for m, err := range c.SendAll(testCtx(t), slices.Values(msgs)) {
		if err != nil {
			t.Fatal(err)
		}
		check("SendAll", m.Result)
	}
}
