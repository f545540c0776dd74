package smtptest_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// dial connects a raw client to srv.
func dial(t *testing.T, srv *smtptest.Server) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", srv.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// readN reads exactly n bytes.
func readN(t *testing.T, r io.Reader, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatalf("reading %d bytes: %v", n, err)
	}
	return string(b)
}

func write(t *testing.T, w io.Writer, s string) {
	t.Helper()
	if _, err := io.WriteString(w, s); err != nil {
		t.Fatalf("writing %q: %v", s, err)
	}
}

func stepError(t *testing.T, err error) *smtptest.StepError {
	t.Helper()
	se, ok := errors.AsType[*smtptest.StepError](err)
	if !ok {
		t.Fatalf("Wait() = %v, want a *StepError", err)
	}
	return se
}

func TestDialogue(t *testing.T) {
	srv := smtptest.Start(t, nil, smtptest.Script{
		smtptest.Send("220 mx ESMTP\r\n"),
		smtptest.Expect("EHLO "),
		smtptest.SendSplit(time.Millisecond, "250-mx\r\n250-PIPE", "LINING\r\n", "250 8BITMIME\r\n"),
		smtptest.ExpectRegexp(`^MAIL FROM:<[^>]*>$`),
		smtptest.Dribble("250 ok\r\n", time.Millisecond),
		smtptest.ExpectLine("QUIT"),
		smtptest.Send("221 bye\r\n"),
	})
	c := dial(t, srv)
	const greeting = "220 mx ESMTP\r\n"
	if got := readN(t, c, len(greeting)); got != greeting {
		t.Errorf("greeting = %q, want %q", got, greeting)
	}
	write(t, c, "EHLO client\r\n")
	const ehlo = "250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
	if got := readN(t, c, len(ehlo)); got != ehlo {
		t.Errorf("EHLO reply = %q, want %q", got, ehlo)
	}
	write(t, c, "MAIL FROM:<a@b>\r\n")
	if got := readN(t, c, 8); got != "250 ok\r\n" {
		t.Errorf("MAIL reply = %q, want %q", got, "250 ok\r\n")
	}
	write(t, c, "QUIT\r\n")
	if got := readN(t, c, 9); got != "221 bye\r\n" {
		t.Errorf("QUIT reply = %q", got)
	}
	// The server closes after the last step.
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("read after script = %d, %v; want 0, EOF", n, err)
	}
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
	const want = "EHLO client\r\nMAIL FROM:<a@b>\r\nQUIT\r\n"
	if got := string(srv.Received()); got != want {
		t.Errorf("Received() = %q, want %q", got, want)
	}
	if got := string(srv.ReceivedOn(0)); got != want {
		t.Errorf("ReceivedOn(0) = %q, want %q", got, want)
	}
}

func TestExpectFailures(t *testing.T) {
	tests := []struct {
		name   string
		step   smtptest.Step
		client string
		want   string // in the error text
	}{
		{"prefix", smtptest.Expect("EHLO "), "HELO x\r\n", `got "HELO x", want a line starting with "EHLO "`},
		{"exact", smtptest.ExpectLine("QUIT"), "QUITX\r\n", `got "QUITX", want "QUIT"`},
		{"regexp", smtptest.ExpectRegexp(`^RCPT TO:<.+>$`), "RCPT TO:<>\r\n", `want a match`},
		{"bare LF", smtptest.Expect("NOOP"), "NOOP\n", "does not end in CRLF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, nil, smtptest.Script{smtptest.Send("220 x\r\n"), tt.step, smtptest.Send("250 ok\r\n")})
			c := dial(t, srv)
			readN(t, c, 7)
			write(t, c, tt.client)
			se := stepError(t, srv.Wait())
			if se.Conn != 0 || se.Step != 1 || !strings.Contains(se.Error(), tt.want) {
				t.Errorf("client sent %q: Wait() = %v (conn %d step %d), want conn 0 step 1 containing %q",
					tt.client, se, se.Conn, se.Step, tt.want)
			}
		})
	}
}

func TestExpectTimeoutAndHangUp(t *testing.T) {
	t.Run("silent client", func(t *testing.T) {
		srv := smtptest.Start(t, &smtptest.Options{Timeout: 50 * time.Millisecond}, smtptest.Script{smtptest.Expect("EHLO")})
		dial(t, srv)
		if err := srv.Wait(); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Wait() = %v, want os.ErrDeadlineExceeded", err)
		}
	})
	t.Run("client hangs up", func(t *testing.T) {
		srv := smtptest.Start(t, nil, smtptest.Script{smtptest.Expect("EHLO")})
		dial(t, srv).Close()
		if err := srv.Wait(); !errors.Is(err, io.EOF) {
			t.Errorf("Wait() = %v, want io.EOF", err)
		}
	})
	t.Run("nobody connects", func(t *testing.T) {
		srv := smtptest.Start(t, &smtptest.Options{Timeout: 50 * time.Millisecond}, smtptest.Script{smtptest.Send("220 x\r\n")})
		if se := stepError(t, srv.Wait()); se.Step != -1 || !errors.Is(se, os.ErrDeadlineExceeded) {
			t.Errorf("Wait() = %v, want an accept timeout", se)
		}
	})
}

func TestExpectData(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // in the error; "" for none
	}{
		{"clean", "Subject: x\r\n\r\n..hidden dot\r\n.\r\n", ""},
		{"bare LF", "a\nb\r\n.\r\n", "data line 1 ends in a bare LF"},
		{"bare CR", "a\rb\r\n.\r\n", "data line 1 has a bare CR"},
		{"NUL", "ok\r\na\x00\r\n.\r\n", "data line 2 has a NUL"},
		{"long", strings.Repeat("x", 999) + "\r\n.\r\n", "data line 1 is 999 octets"},
		{"long stuffed ok", "." + strings.Repeat(".", 998) + "\r\n.\r\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, nil, smtptest.Script{smtptest.ExpectData(), smtptest.Send("250 queued\r\n")})
			c := dial(t, srv)
			write(t, c, tt.body)
			err := srv.Wait()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("body %.40q: Wait() = %v, want error containing %q", tt.body, err, tt.want)
			}
			if got := srv.Data(); len(got) != 1 || string(got[0]) != tt.body {
				t.Errorf("body %.40q: Data() = %.40q, want it recorded as sent", tt.body, got)
			}
		})
	}
}

func TestExpectBDAT(t *testing.T) {
	srv := smtptest.Start(t, nil, smtptest.Script{
		smtptest.ExpectBDAT(), smtptest.Send("250 1\r\n"),
		smtptest.ExpectBDAT(), smtptest.Send("250 2\r\n"),
	})
	c := dial(t, srv)
	write(t, c, "BDAT 5\r\nab\r\nc")
	readN(t, c, 7)
	write(t, c, "BDAT 3 LAST\r\n\n\r\n")
	readN(t, c, 7)
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.Data(), "ab\r\nc\n\r\n"; len(got) != 1 || string(got[0]) != want {
		t.Errorf("Data() = %q, want [%q]", got, want)
	}
}

func TestStartTLS(t *testing.T) {
	script := smtptest.Script{
		smtptest.ExpectLine("STARTTLS"),
		smtptest.Send("220 go ahead\r\n"),
		smtptest.StartTLS(),
		smtptest.ExpectLine("EHLO secret"),
		smtptest.Send("250 ok\r\n"),
	}
	t.Run("handshake", func(t *testing.T) {
		srv := smtptest.Start(t, nil, script)
		c := dial(t, srv)
		write(t, c, "STARTTLS\r\n")
		readN(t, c, 14)
		conf := srv.ClientTLSConfig()
		conf.ServerName = "localhost"
		tc := tls.Client(c, conf)
		write(t, tc, "EHLO secret\r\n")
		if got := readN(t, tc, 8); got != "250 ok\r\n" {
			t.Errorf("reply over TLS = %q", got)
		}
		if err := srv.Wait(); err != nil {
			t.Fatal(err)
		}
		if got, want := string(srv.Received()), "STARTTLS\r\nEHLO secret\r\n"; got != want {
			t.Errorf("Received() = %q, want %q (plain text of both phases)", got, want)
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		srv := smtptest.Start(t, nil, script)
		c := dial(t, srv)
		write(t, c, "STARTTLS\r\n")
		readN(t, c, 14)
		tc := tls.Client(c, &tls.Config{ServerName: "127.0.0.1"}) // system roots only
		if err := tc.Handshake(); err == nil {
			t.Error("handshake with a CA the client does not trust succeeded")
		}
		c.Close()
		if srv.Wait() == nil {
			t.Error("Wait() = nil after a failed handshake")
		}
	})
	t.Run("bytes before handshake", func(t *testing.T) {
		srv := smtptest.Start(t, nil, script)
		c := dial(t, srv)
		write(t, c, "STARTTLS\r\nEHLO injected\r\n")
		se := stepError(t, srv.Wait())
		if se.Step != 2 || !strings.Contains(se.Error(), `"EHLO injected\r\n" before the TLS handshake`) {
			t.Errorf("Wait() = %v, want StartTLS to refuse the pipelined plain text", se)
		}
	})
}

func TestImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, &smtptest.Options{ImplicitTLS: true}, smtptest.Script{
		smtptest.Send("220 tls\r\n"),
		smtptest.ExpectLine("QUIT"),
	})
	tc, err := tls.Dial("tcp", srv.Addr(), srv.ClientTLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if got := readN(t, tc, 9); got != "220 tls\r\n" {
		t.Errorf("greeting = %q", got)
	}
	if v := tc.ConnectionState().Version; v < tls.VersionTLS12 {
		t.Errorf("TLS version %x, want >= 1.2", v)
	}
	write(t, tc, "QUIT\r\n")
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestClosing(t *testing.T) {
	t.Run("CloseWrite", func(t *testing.T) {
		srv := smtptest.Start(t, nil, smtptest.Script{
			smtptest.Send("421 bye\r\n"), smtptest.CloseWrite(), smtptest.ExpectLine("QUIT"),
		})
		c := dial(t, srv)
		b, err := io.ReadAll(c) // ends at the FIN
		if string(b) != "421 bye\r\n" || err != nil {
			t.Errorf("ReadAll = %q, %v; want the reply then EOF", b, err)
		}
		write(t, c, "QUIT\r\n") // the server still reads
		if err := srv.Wait(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ExpectClosed", func(t *testing.T) {
		srv := smtptest.Start(t, nil, smtptest.Script{smtptest.ExpectClosed()}, smtptest.Script{smtptest.ExpectClosed()})
		dial(t, srv).Close()
		c := dial(t, srv)
		write(t, c, "QUIT\r\n")
		se := stepError(t, srv.Wait())
		if se.Conn != 1 || !strings.Contains(se.Error(), `client sent "QUIT\r\n"`) {
			t.Errorf("Wait() = %v, want connection 1 to fail on QUIT", se)
		}
	})
	t.Run("StallUntilClosed records", func(t *testing.T) {
		srv := smtptest.Start(t, nil, smtptest.Script{smtptest.StallUntilClosed()})
		c := dial(t, srv)
		write(t, c, "RSET\r\nQUIT\r\n")
		c.Close()
		if err := srv.Wait(); err != nil {
			t.Fatal(err)
		}
		if got, want := string(srv.Received()), "RSET\r\nQUIT\r\n"; got != want {
			t.Errorf("Received() = %q, want %q", got, want)
		}
	})
	t.Run("Close interrupts Stall", func(t *testing.T) {
		stalling := make(chan struct{})
		srv := smtptest.Start(t, nil, smtptest.Script{
			smtptest.Func(func() error { close(stalling); return nil }),
			smtptest.Stall(time.Hour),
		})
		dial(t, srv)
		<-stalling
		srv.Close()
		if se := stepError(t, srv.Wait()); se.Step != 1 || !strings.Contains(se.Error(), "server closed") {
			t.Errorf("Wait() = %v, want step 1 interrupted by Close", se)
		}
	})
	t.Run("Func error", func(t *testing.T) {
		boom := errors.New("boom")
		srv := smtptest.Start(t, nil, smtptest.Script{smtptest.Func(func() error { return boom })})
		dial(t, srv)
		if err := srv.Wait(); !errors.Is(err, boom) {
			t.Errorf("Wait() = %v, want %v", err, boom)
		}
	})
	t.Run("Close step", func(t *testing.T) {
		srv := smtptest.Start(t, nil, smtptest.Script{smtptest.Send("554 no\r\n"), smtptest.Close(), smtptest.Send("x")})
		c := dial(t, srv)
		if b, _ := io.ReadAll(bufio.NewReader(c)); string(b) != "554 no\r\n" {
			t.Errorf("read %q, want %q", b, "554 no\r\n")
		}
		if se := stepError(t, srv.Wait()); se.Step != 2 {
			t.Errorf("Wait() = %v, want step 2 to fail on the closed connection", se)
		}
	})
}

func TestSequentialConnections(t *testing.T) {
	srv := smtptest.Start(t, nil,
		smtptest.Script{smtptest.Send("421 busy\r\n")},
		smtptest.Script{smtptest.Send("220 ready\r\n"), smtptest.ExpectLine("QUIT")},
	)
	c := dial(t, srv)
	if got := readN(t, c, 10); got != "421 busy\r\n" {
		t.Errorf("first greeting = %q", got)
	}
	c2 := dial(t, srv)
	if got := readN(t, c2, 11); got != "220 ready\r\n" {
		t.Errorf("second greeting = %q", got)
	}
	write(t, c2, "QUIT\r\n")
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := string(srv.ReceivedOn(1)); got != "QUIT\r\n" {
		t.Errorf("ReceivedOn(1) = %q, want %q", got, "QUIT\r\n")
	}
}
