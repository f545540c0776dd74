package client

// DATA against BDAT through Client.Send, on the same servers:
//
//	go test -run '^$' -bench 'SendChunking' -benchmem ./client/
//
// One b.N iteration is one message. With PIPELINING, DATA takes two round
// trips (MAIL, RCPT, DATA, then the body and the final dot) and BDAT one
// for a message smaller than a chunk (MAIL, RCPT, BDAT LAST and the body).

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
)

func BenchmarkSendChunking(b *testing.B) {
	big := bytes.Repeat(benchBody, 64) // 64 KiB
	for _, server := range []string{"gosmtp", "chunk-sink"} {
		b.Run("server="+server, func(b *testing.B) {
			var addr string
			if server == "gosmtp" {
				addr = benchServer(b, "gosmtp") // go-smtp always offers CHUNKING
			} else {
				addr = chunkSinkServer(b)
			}
			for _, size := range []struct {
				name string
				body []byte
			}{{"1KiB", benchBody}, {"64KiB", big}} {
				for _, chunking := range []bool{false, true} {
					cmd := "DATA"
					if chunking {
						cmd = "BDAT"
					}
					b.Run("body="+size.name+"/"+cmd, func(b *testing.B) {
						benchSendChunking(b, addr, size.body, chunking, nil)
					})
				}
			}
		})
	}
}

// benchSendChunking sends body with Send, with BDAT if chunking. l is the
// latency link between the client and addr, or nil.
func benchSendChunking(b *testing.B, addr string, body []byte, chunking bool, l *latencyLink) {
	ctx := context.Background()
	c, err := Dial(ctx, addr, &Options{TLS: TLSNone, LocalName: "bench.example.test"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Quit(ctx)
	if !c.Extensions().Chunking() || !c.Extensions().Pipelining() {
		b.Fatal("the server must offer CHUNKING and PIPELINING")
	}
	env := &Envelope{From: "a@example.test", To: []string{"b@example.test"}, Chunking: chunking}
	r := bytes.NewReader(body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	l.start()
	for b.Loop() {
		r.Reset(body)
		if _, err := c.Send(ctx, env, r); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
	l.report(b)
}

// chunkSinkServer starts a minimal server like sink (bench_test.go) that
// also offers CHUNKING, and returns its address.
func chunkSinkServer(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
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
				chunkSink(c)
			}()
		}
	}()
	b.Cleanup(func() {
		ln.Close()
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		wg.Wait()
	})
	return ln.Addr().String()
}

// chunkSink answers everything with fixed replies, reads BDAT chunks and
// DATA bodies, and flushes only when it has no more input buffered.
func chunkSink(c net.Conn) {
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
		verb := string(line[:min(len(line), 4)])
		switch verb {
		case "EHLO":
			bw.WriteString("250-sink.example.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-CHUNKING\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE 10240000\r\n")
		case "MAIL":
			bw.WriteString("250 2.1.0 Ok\r\n")
		case "RCPT":
			bw.WriteString("250 2.1.5 Ok\r\n")
		case "DATA":
			bw.WriteString("354 End data with <CR><LF>.<CR><LF>\r\n")
			bw.Flush()
			for {
				l, err := br.ReadSlice('\n')
				if err != nil && err != bufio.ErrBufferFull {
					return
				}
				if string(l) == ".\r\n" {
					break
				}
			}
			bw.WriteString("250 2.0.0 Ok: queued as 80753984042\r\n")
		case "BDAT":
			// "BDAT <size>[ LAST]\r\n", parsed without allocating.
			arg := bytes.TrimSpace(line[4:])
			size, last, _ := bytes.Cut(arg, []byte(" "))
			n := 0
			for _, d := range size {
				n = n*10 + int(d-'0')
			}
			if _, err := br.Discard(n); err != nil {
				return
			}
			if len(last) > 0 {
				bw.WriteString("250 2.0.0 Ok: queued as 80753984042\r\n")
			} else {
				bw.WriteString("250 2.0.0 Ok\r\n")
			}
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
