package client

import (
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	smtp "github.com/emersion/go-smtp"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// send runs MAIL, RCPT for each recipient, DATA with body, and returns the
// final reply.
func send(t *testing.T, c *Client, from string, to []string, body string) reply.Reply {
	t.Helper()
	ctx := testCtx(t)
	if _, err := c.Mail(ctx, from, nil); err != nil {
		t.Fatalf("Mail(%q) = %v", from, err)
	}
	for _, rc := range to {
		if _, err := c.Rcpt(ctx, rc, nil); err != nil {
			t.Fatalf("Rcpt(%q) = %v", rc, err)
		}
	}
	w, err := c.Data(ctx)
	if err != nil {
		t.Fatalf("Data() = %v", err)
	}
	if _, err := io.WriteString(w, body); err != nil {
		t.Fatalf("Write = %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	return w.Reply()
}

func TestGoSMTPStartTLS(t *testing.T) {
	s := startGoSMTP(t, false, nil)
	ctx := testCtx(t)
	log := &logCollector{}
	c, err := Dial(ctx, s.addr, &Options{TLSConfig: clientTLS(), LocalName: "client.example.test", Logger: slog.New(log)})
	if err != nil {
		t.Fatalf("Dial(%s) = %v", s.addr, err)
	}
	defer c.Close()

	if got := c.Greeting(); got.Code != reply.CodeServiceReady {
		t.Errorf("Greeting() = %v, want 220", got)
	}
	if !c.Secure() {
		t.Error("Secure() = false after STARTTLS with a verified certificate")
	}
	if st, ok := c.TLSConnectionState(); !ok || !st.HandshakeComplete || st.Version < 0x0303 {
		t.Errorf("TLSConnectionState() = %v, %v; want a complete TLS >= 1.2 handshake", st.Version, ok)
	}
	ext := c.Extensions()
	if ext.StartTLS() {
		t.Error("STARTTLS still advertised: extensions not re-read after TLS")
	}
	if !ext.RequireTLS() {
		t.Error("REQUIRETLS (only advertised over TLS by go-smtp) missing after STARTTLS")
	}
	if lim, ok := ext.Size(); !ok || lim != 10<<20 {
		t.Errorf("Size() = %d, %v; want %d, true", lim, ok, 10<<20)
	}
	for _, name := range []string{"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "CHUNKING", "SMTPUTF8", "DSN", "BINARYMIME"} {
		if !ext.Has(name) {
			t.Errorf("Extensions().Has(%q) = false; names %v", name, ext.Names())
		}
	}

	body := "Subject: hi\r\n\r\nline one\r\n.leading dot\r\n"
	r := send(t, c, "sender@example.test", []string{"a@example.test", "b@example.test"}, body)
	if r.Code != reply.CodeOK || !strings.Contains(r.Text(), "queued") {
		t.Errorf("final reply = %v, want 250 ... queued", r)
	}
	if err := c.Quit(ctx); err != nil {
		t.Errorf("Quit() = %v", err)
	}
	msgs := s.messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From != "sender@example.test" || !slices.Equal(m.Rcpts, []string{"a@example.test", "b@example.test"}) {
		t.Errorf("envelope = %q -> %q", m.From, m.Rcpts)
	}
	if string(m.Data) != body {
		t.Errorf("server data = %q, want %q", m.Data, body)
	}
	tr := log.text()
	for _, want := range []string{"C: EHLO client.example.test", "C: STARTTLS", "S: 220 2.0.0 Ready to start TLS", "C: MAIL FROM:<sender@example.test>", "C: <message body>", "C: QUIT"} {
		if !strings.Contains(tr, want) {
			t.Errorf("transcript lacks %q:\n%s", want, tr)
		}
	}
	if strings.Contains(tr, "leading dot") {
		t.Errorf("transcript contains the message body:\n%s", tr)
	}
}

func TestGoSMTPImplicitTLS(t *testing.T) {
	s := startGoSMTP(t, true, nil)
	ctx := testCtx(t)
	c, err := Dial(ctx, s.addr, &Options{TLS: TLSImplicit, TLSConfig: clientTLS()})
	if err != nil {
		t.Fatalf("Dial(%s, TLSImplicit) = %v", s.addr, err)
	}
	defer c.Close()
	if !c.Secure() {
		t.Error("Secure() = false over implicit TLS")
	}
	send(t, c, "", []string{"a@example.test"}, "Subject: bounce\r\n\r\nx\r\n")
	if err := c.Quit(ctx); err != nil {
		t.Errorf("Quit() = %v", err)
	}
	if m := s.messages(); len(m) != 1 || m[0].From != "" {
		t.Errorf("messages = %+v, want one with the null sender", m)
	}
}

func TestGoSMTPPlainRcptErrors(t *testing.T) {
	s := startGoSMTP(t, false, nil)
	ctx := testCtx(t)
	c, err := Dial(ctx, s.addr, &Options{TLS: TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Secure() {
		t.Error("Secure() = true without TLS")
	}
	if _, ok := c.TLSConnectionState(); ok {
		t.Error("TLSConnectionState() ok without TLS")
	}
	if _, err := c.Mail(ctx, "s@example.test", nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		to       string
		code     reply.Code
		enhanced string
		sentinel error
	}{
		{"nosuch@example.test", 550, "5.1.1", reply.ErrPermanent},
		{"tempfail@example.test", 451, "4.3.0", reply.ErrTransient},
	}
	for _, tt := range tests {
		r, err := c.Rcpt(ctx, tt.to, nil)
		e, ok := errors.AsType[*reply.Error](err)
		if !ok {
			t.Fatalf("Rcpt(%q) = %v, want a *reply.Error", tt.to, err)
		}
		if e.Command != "RCPT TO" || e.Reply.Code != tt.code || e.Reply.Enhanced.String() != tt.enhanced {
			t.Errorf("Rcpt(%q) error = %+v, want RCPT TO %d %s", tt.to, e, tt.code, tt.enhanced)
		}
		if !errors.Is(err, tt.sentinel) {
			t.Errorf("Rcpt(%q): errors.Is(%v, %v) = false", tt.to, err, tt.sentinel)
		}
		if r.Code != tt.code {
			t.Errorf("Rcpt(%q) reply = %v, want code %d with the error", tt.to, r, tt.code)
		}
	}
	// The session goes on after refused recipients.
	if _, err := c.Rcpt(ctx, "ok@example.test", nil); err != nil {
		t.Fatalf("Rcpt after refusals = %v", err)
	}
	if _, err := c.Reset(ctx); err != nil {
		t.Errorf("Reset() = %v", err)
	}
	if r, err := c.Noop(ctx); err != nil || r.Code != reply.CodeOK {
		t.Errorf("Noop() = %v, %v", r, err)
	}
	if r, err := c.Verify(ctx, "user@example.test"); err != nil || r.Code != reply.CodeCannotVerify {
		t.Errorf("Verify() = %v, %v; want 252", r, err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Errorf("Quit() = %v", err)
	}
	if _, err := c.Noop(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Noop after Quit = %v, want ErrClosed", err)
	}
}

func TestGoSMTPOptions(t *testing.T) {
	s := startGoSMTP(t, false, nil)
	ctx := testCtx(t)
	c, err := Dial(ctx, s.addr, &Options{TLSConfig: clientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	auth := "submitter+1=x@example.test"
	mo := &MailOptions{
		Size:       30,
		Body:       Body8BitMIME,
		UTF8:       true,
		RequireTLS: true,
		Return:     DSNReturnHeaders,
		EnvelopeID: "id+with=specials 1",
		Auth:       &auth,
	}
	if _, err := c.Mail(ctx, "sénder@exämple.test", mo); err != nil {
		t.Fatalf("Mail(UTF-8, all options) = %v", err)
	}
	ro := &RcptOptions{Notify: DSNNotifySuccess | DSNNotifyFailure, OriginalRecipient: "orig+x=y@example.test"}
	if _, err := c.Rcpt(ctx, "rcpt@example.test", ro); err != nil {
		t.Fatalf("Rcpt(DSN) = %v", err)
	}
	if _, err := c.Rcpt(ctx, "ü@example.test", &RcptOptions{OriginalRecipient: "ü@exämple.test"}); err != nil {
		t.Fatalf("Rcpt(UTF-8 ORCPT) = %v", err)
	}
	w, err := c.Data(ctx)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "Subject: é\r\n\r\nbody\r\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit(ctx)

	m := s.messages()[0]
	o := m.MailOpts
	if o.Size != 30 || o.Body != smtp.Body8BitMIME || !o.UTF8 || !o.RequireTLS || o.Return != smtp.DSNReturnHeaders ||
		o.EnvelopeID != "id+with=specials 1" || o.Auth == nil || *o.Auth != auth {
		t.Errorf("server MailOptions = %+v (auth %v)", o, o.Auth)
	}
	if m.From != "sénder@exämple.test" {
		t.Errorf("from = %q, want the UTF-8 form under SMTPUTF8", m.From)
	}
	r0 := m.RcptOpts[0]
	if !slices.Equal(r0.Notify, []smtp.DSNNotify{smtp.DSNNotifySuccess, smtp.DSNNotifyFailure}) ||
		r0.OriginalRecipientType != smtp.DSNAddressTypeRFC822 || r0.OriginalRecipient != "orig+x=y@example.test" {
		t.Errorf("server RcptOptions[0] = %+v", r0)
	}
	r1 := m.RcptOpts[1]
	if r1.OriginalRecipientType != smtp.DSNAddressTypeUTF8 || r1.OriginalRecipient != "ü@exämple.test" {
		t.Errorf("server RcptOptions[1] = %+v", r1)
	}
}

func TestGoSMTPIDNAWithoutSMTPUTF8(t *testing.T) {
	s := startGoSMTP(t, false, nil)
	ctx := testCtx(t)
	c, err := Dial(ctx, s.addr, &Options{TLS: TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	send(t, c, "a@bücher.example", []string{"b@exämple.test"}, "x\r\n")
	c.Quit(ctx)
	m := s.messages()[0]
	if m.From != "a@xn--bcher-kva.example" || m.Rcpts[0] != "b@xn--exmple-cua.test" {
		t.Errorf("envelope = %q -> %q, want A-labels", m.From, m.Rcpts)
	}
}

func TestGoSMTPSizeLimit(t *testing.T) {
	s := startGoSMTP(t, false, func(s *smtp.Server) { s.MaxMessageBytes = 2000 })
	ctx := testCtx(t)
	c, err := Dial(ctx, s.addr, &Options{TLS: TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Mail(ctx, "a@example.test", &MailOptions{Size: 3000})
	se, ok := errors.AsType[*SizeError](err)
	if !ok || se.Size != 3000 || se.Limit != 2000 {
		t.Fatalf("Mail(SIZE=3000) against SIZE 2000 = %v, want *SizeError{3000, 2000}", err)
	}
	if !errors.Is(err, reply.ErrMessageTooLarge) {
		t.Errorf("errors.Is(%v, reply.ErrMessageTooLarge) = false", err)
	}
	// Nothing was sent: the session is usable and at the same point.
	if _, err := c.Mail(ctx, "a@example.test", &MailOptions{Size: 1000}); err != nil {
		t.Errorf("Mail(SIZE=1000) after the refused one = %v", err)
	}
	c.Quit(ctx)
}
