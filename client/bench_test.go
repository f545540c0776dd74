package client

// Benchmarks: N messages over one connection, this client against net/smtp
// and go-smtp's client, side by side, on the same in-process servers:
//
//	go test -run '^$' -bench 'Send' -benchmem ./client/
//
// One b.N iteration is one message (MAIL, RCPT, DATA, a 1 KiB body, the
// final dot and its reply). Two servers: go-smtp's (what the tests use) and
// a minimal sink written for this file, whose per-message cost is close to
// nothing, so that allocs/op with the sink are (almost) the client's own.
// With go-smtp, allocs/op include the server's, since it runs in-process.

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	netsmtp "net/smtp"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"
)

var benchBody = func() []byte {
	var b bytes.Buffer
	b.WriteString("From: a@example.test\r\nTo: b@example.test\r\nSubject: benchmark\r\n\r\n")
	for b.Len() < 1024 {
		b.WriteString("The quick brown fox jumps over the lazy dog. 0123456789\r\n")
	}
	return b.Bytes()
}()

type discardBackend struct{}

func (discardBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return discardSession{}, nil }

type discardSession struct{}

func (discardSession) Reset()                               { /* nothing */ }
func (discardSession) Logout() error                        { return nil }
func (discardSession) Mail(string, *smtp.MailOptions) error { return nil }
func (discardSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (discardSession) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }

// benchServer starts a server kind ("gosmtp" or "sink") and returns its
// address.
func benchServer(b *testing.B, kind string) string {
	b.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	switch kind {
	case "gosmtp":
		s := smtp.NewServer(discardBackend{})
		s.Domain = "bench.example.test"
		s.AllowInsecureAuth = true
		s.MaxMessageBytes = 1 << 20
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Serve(ln)
		}()
		b.Cleanup(func() {
			s.Close()
			wg.Wait()
		})
	case "sink":
		var conns sync.Map
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				conns.Store(c, true)
				wg.Add(1)
				go func() {
					defer wg.Done()
					sink(c)
				}()
			}
		}()
		b.Cleanup(func() {
			ln.Close()
			conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
			wg.Wait()
		})
	}
	return ln.Addr().String()
}

// sink is a minimal SMTP server: it answers everything with fixed replies,
// pipelining-aware (it flushes only when it has no more input buffered).
func sink(c net.Conn) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 64<<10)
	bw := bufio.NewWriterSize(c, 4096)
	bw.WriteString("220 sink.example.test ESMTP\r\n")
	bw.Flush()
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		verb := line
		if len(verb) > 4 {
			verb = verb[:4]
		}
		switch string(verb) { // the clients measured send upper case

		case "EHLO":
			bw.WriteString("250-sink.example.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE 10240000\r\n")
		case "HELO":
			bw.WriteString("250 sink.example.test\r\n")
		case "MAIL":
			bw.WriteString("250 2.1.0 Ok\r\n")
		case "RCPT":
			bw.WriteString("250 2.1.5 Ok\r\n")
		case "DATA":
			bw.WriteString("354 End data with <CR><LF>.<CR><LF>\r\n")
			bw.Flush()
			for {
				l, err := br.ReadSlice('\n')
				if err != nil {
					return
				}
				if string(l) == ".\r\n" {
					break
				}
			}
			bw.WriteString("250 2.0.0 Ok: queued as 80753984042\r\n")
		case "QUIT":
			bw.WriteString("221 2.0.0 Bye\r\n")
			bw.Flush()
			return
		default:
			bw.WriteString("250 2.0.0 Ok\r\n")
		}
		if br.Buffered() == 0 {
			if bw.Flush() != nil {
				return
			}
		}
	}
}

func BenchmarkSend(b *testing.B) {
	for _, server := range []string{"gosmtp", "sink"} {
		b.Run("server="+server, func(b *testing.B) {
			addr := benchServer(b, server)
			b.Run("client=ours", func(b *testing.B) { benchOurs(b, addr) })
			b.Run("client=ours-Send", func(b *testing.B) { benchOursSend(b, addr) })
			b.Run("client=net-smtp", func(b *testing.B) { benchNetSMTP(b, addr) })
			b.Run("client=go-smtp", func(b *testing.B) { benchGoSMTP(b, addr) })
		})
	}
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// benchOurs uses the step-by-step API: Mail, Rcpt, Data, Write, Close.
func benchOurs(b *testing.B, addr string) {
	ctx := context.Background()
	c, err := Dial(ctx, addr, &Options{TLS: TLSNone, LocalName: "bench.example.test"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Quit(ctx)
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Mail(ctx, "a@example.test", nil); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Rcpt(ctx, "b@example.test", nil); err != nil {
			b.Fatal(err)
		}
		w, err := c.Data(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Write(benchBody); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// benchOursSend uses Client.Send: with PIPELINING, one round trip for
// MAIL, RCPT and DATA, one for the body.
func benchOursSend(b *testing.B, addr string) {
	ctx := context.Background()
	c, err := Dial(ctx, addr, &Options{TLS: TLSNone, LocalName: "bench.example.test"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Quit(ctx)
	env := &Envelope{From: "a@example.test", To: []string{"b@example.test"}}
	r := bytes.NewReader(benchBody)
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r.Reset(benchBody)
		if _, err := c.Send(ctx, env, r); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

func benchNetSMTP(b *testing.B, addr string) {
	c, err := netsmtp.Dial(addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Quit()
	if err := c.Hello("bench.example.test"); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := c.Mail("a@example.test"); err != nil {
			b.Fatal(err)
		}
		if err := c.Rcpt("b@example.test"); err != nil {
			b.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Write(benchBody); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

func benchGoSMTP(b *testing.B, addr string) {
	c, err := smtp.Dial(addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Quit()
	c.CommandTimeout = time.Minute
	if err := c.Hello("bench.example.test"); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := c.Mail("a@example.test", nil); err != nil {
			b.Fatal(err)
		}
		if err := c.Rcpt("b@example.test", nil); err != nil {
			b.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Write(benchBody); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}
