package reply

import (
	"bufio"
	"net/textproto"
	"strings"
	"testing"
)

// Benchmarks of Reader.ReadReply against net/textproto's
// Reader.ReadResponse on the same bytes:
//
//	go test -run=^$ -bench=. -benchmem ./reply

const (
	benchOneLine = "250 2.1.0 Ok\r\n"
	benchEHLO    = "250-postfix.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n" +
		"250-STARTTLS\r\n250-AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 CHUNKING\r\n"
)

// loop is an endless stream that repeats one reply, delivered in large
// reads as a network connection would.
type loop struct {
	data []byte // the reply repeated to at least 64 KiB
	off  int
}

func newLoop(wire string) *loop {
	return &loop{data: []byte(strings.Repeat(wire, 65536/len(wire)+1))}
}

func (l *loop) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	if l.off += n; l.off == len(l.data) {
		l.off = 0
	}
	return n, nil
}

func benchmarkReadReply(b *testing.B, wire string) {
	br := bufio.NewReader(newLoop(wire))
	r := NewReader(br, nil)
	var rep Reply
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		if err := r.ReadReply(&rep); err != nil {
			b.Fatal(err)
		}
	}
	if rep.Code != CodeOK {
		b.Fatalf("ReadReply = %v, want code 250", rep)
	}
}

func benchmarkTextproto(b *testing.B, wire string) {
	tr := textproto.NewReader(bufio.NewReader(newLoop(wire)))
	var (
		code int
		msg  string
		err  error
	)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		if code, msg, err = tr.ReadResponse(250); err != nil {
			b.Fatal(err)
		}
	}
	if code != 250 || msg == "" {
		b.Fatalf("ReadResponse = %d %q, want code 250", code, msg)
	}
}

func BenchmarkReadReply(b *testing.B) {
	b.Run("OneLine/reply", func(b *testing.B) { benchmarkReadReply(b, benchOneLine) })
	b.Run("OneLine/textproto", func(b *testing.B) { benchmarkTextproto(b, benchOneLine) })
	b.Run("EHLO10/reply", func(b *testing.B) { benchmarkReadReply(b, benchEHLO) })
	b.Run("EHLO10/textproto", func(b *testing.B) { benchmarkTextproto(b, benchEHLO) })
}

func BenchmarkParse(b *testing.B) {
	wire := []byte(benchEHLO)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(wire, nil); err != nil {
			b.Fatal(err)
		}
	}
}
