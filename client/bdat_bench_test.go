package client

// DATA against BDAT through Client.Send, on the same servers:
//
//	go test -run '^$' -bench 'SendChunking' -benchmem ./client/
//
// One b.N iteration is one message. With PIPELINING, DATA takes two round
// trips (MAIL, RCPT, DATA, then the body and the final dot) and BDAT one
// for a message smaller than a chunk (MAIL, RCPT, BDAT LAST and the body).

import (
	"bytes"
	"context"
	"testing"
)

func BenchmarkSendChunking(b *testing.B) {
	big := bytes.Repeat(benchBody, 64) // 64 KiB
	for _, server := range []string{"gosmtp", "chunk-sink"} {
		b.Run("server="+server, func(b *testing.B) {
			addr := benchServer(b, server) // go-smtp always offers CHUNKING
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
	env := &Envelope{From: "a@example.test", To: []string{"b@example.test"}, UseDATA: !chunking}
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
