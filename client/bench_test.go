package client

// Benchmarks: N messages over one connection, this client against net/smtp
// and go-smtp's client, side by side, on the same in-process servers:
//
//	go test -run '^$' -bench '^BenchmarkSend$' -benchmem ./client/
//
// One b.N iteration is one message (MAIL, RCPT, DATA, a 1 KiB body, the
// final dot and its reply). Two servers: go-smtp's (what the tests use) and
// a minimal sink (internal/sink), whose per-message cost is close to
// nothing, so that allocs/op with the sink are (almost) the client's own.
// With go-smtp, allocs/op include the server's, since it runs in-process.
//
// Round trips on loopback take microseconds, which hides what pipelining
// is for: a real server is 1 to 50 ms away. The same clients, and Send
// with BDAT, run in BenchmarkSendRTT against the sink directly (rtt=0) and
// through a latency link (rtt=1ms: each way, every chunk of bytes arrives
// 500 µs after it left):
//
//	go test -run '^$' -bench '^BenchmarkSendRTT$' -benchmem -benchtime 300x ./client/
//
// Its metric rtts/msg counts the round trips the client waited for, per
// message, as the link sees them; hop-µs is the one-way delay the link
// achieved (the mean time from reading a chunk to writing it). The test
// flag -rtt sets the link's round trip, after -args:
//
//	go test -run '^$' -bench '^BenchmarkSendRTT$' -benchtime 20x ./client/ -args -rtt 20ms

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net"
	netsmtp "net/smtp"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"

	"github.com/seed-e4e66a4f/smtp/internal/sink"
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

// benchServer starts a server kind ("gosmtp", "sink" or "chunk-sink")
// and returns its address.
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
	case "sink", "chunk-sink":
		chunking := kind == "chunk-sink"
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
					sink.Serve(c, sink.Options{Pipelining: true, Chunking: chunking})
				}()
			}
		}()
		b.Cleanup(func() {
			ln.Close()
			conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
			wg.Wait()
		})
	default:
		b.Fatalf("benchServer(%q): unknown kind", kind)
	}
	return ln.Addr().String()
}

func BenchmarkSend(b *testing.B) {
	for _, server := range []string{"gosmtp", "sink"} {
		b.Run("server="+server, func(b *testing.B) {
			addr := benchServer(b, server)
			b.Run("client=ours", func(b *testing.B) { benchOurs(b, addr, nil) })
			b.Run("client=ours-Send", func(b *testing.B) { benchOursSend(b, addr, nil) })
			b.Run("client=net-smtp", func(b *testing.B) { benchNetSMTP(b, addr, nil) })
			b.Run("client=go-smtp", func(b *testing.B) { benchGoSMTP(b, addr, nil) })
		})
	}
}

// benchRTT is the round trip that BenchmarkSendRTT adds with its latency
// link.
var benchRTT = flag.Duration("rtt", time.Millisecond, "round trip of the latency link in BenchmarkSendRTT")

// BenchmarkSendRTT runs the clients of BenchmarkSend, and Send with BDAT,
// against the sink directly (rtt=0) and through a latencyLink (rtt=1ms by
// default, see -rtt). The server is the sink that also offers CHUNKING
// (sink with chunking), for ours-Send-BDAT; the other clients
// ignore CHUNKING. Each client gets a link of its own, so rtts/msg counts
// its connection only.
func BenchmarkSendRTT(b *testing.B) {
	addr := benchServer(b, "chunk-sink")
	clients := []struct {
		name string
		run  func(b *testing.B, addr string, l *latencyLink)
	}{
		{"ours", benchOurs},
		{"ours-Send", benchOursSend},
		{"ours-Send-BDAT", func(b *testing.B, addr string, l *latencyLink) {
			benchSendChunking(b, addr, benchBody, true, l)
		}},
		{"net-smtp", benchNetSMTP},
		{"go-smtp", benchGoSMTP},
	}
	for _, rtt := range []time.Duration{0, *benchRTT} {
		name := "rtt=0"
		if rtt > 0 {
			name = "rtt=" + rtt.String()
		}
		b.Run(name, func(b *testing.B) {
			for _, c := range clients {
				b.Run("client="+c.name, func(b *testing.B) {
					if rtt == 0 {
						c.run(b, addr, nil)
						return
					}
					l := newLatencyLink(b, addr, rtt/2)
					c.run(b, l.Addr(), l)
				})
			}
		})
	}
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// benchOurs uses the step-by-step API: Mail, Rcpt, Data, Write, Close. l
// is the latency link between the client and addr, or nil.
func benchOurs(b *testing.B, addr string, l *latencyLink) {
	ctx := context.Background()
	c, err := Dial(ctx, addr, &Options{TLS: TLSNone, LocalName: "bench.example.test"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Quit(ctx)
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	l.start()
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
	l.report(b)
}

// benchOursSend uses Client.Send: with PIPELINING, one round trip for
// MAIL, RCPT and DATA, one for the body.
func benchOursSend(b *testing.B, addr string, l *latencyLink) {
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
	l.start()
	for b.Loop() {
		r.Reset(benchBody)
		if _, err := c.Send(ctx, env, r); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
	l.report(b)
}

func benchNetSMTP(b *testing.B, addr string, l *latencyLink) {
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
	l.start()
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
	l.report(b)
}

func benchGoSMTP(b *testing.B, addr string, l *latencyLink) {
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
	l.start()
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
	l.report(b)
}

// latencyLink is a TCP proxy on 127.0.0.1 that delays every connection it
// forwards: each chunk of bytes read from one side is written to the other
// delay after it was read, in order. Reading goes on while chunks wait (up
// to linkBuffers of them each way), so the link adds latency without
// limiting throughput. With delay d, a round trip takes 2d plus loopback's.
//
// It counts the client's turnarounds: a chunk from the client that follows
// a delivery to the client. A client that waits for a reply before writing
// again makes one per round trip; commands it pipelines make none.
type latencyLink struct {
	ln     net.Listener
	target string
	delay  time.Duration
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]bool
	closed bool

	turns atomic.Int64 // client turnarounds
	hops  atomic.Int64 // chunks delivered, both ways
	held  atomic.Int64 // the time they were held, in total, in ns
	mark  linkCounts   // at start
}

type linkCounts struct{ turns, hops, held int64 }

const (
	linkBuffers   = 16       // chunks in flight each way, per connection
	linkChunkSize = 32 << 10 // the most read at once
)

// newLatencyLink starts a link to target, closed by tb's cleanup.
func newLatencyLink(tb testing.TB, target string, delay time.Duration) *latencyLink {
	tb.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	l := &latencyLink{ln: ln, target: target, delay: delay, conns: map[net.Conn]bool{}}
	l.wg.Add(1)
	go l.serve()
	tb.Cleanup(l.close)
	return l
}

// Addr returns the address to dial instead of target.
func (l *latencyLink) Addr() string { return l.ln.Addr().String() }

func (l *latencyLink) serve() {
	defer l.wg.Done()
	for {
		client, err := l.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp4", l.target)
		if err != nil {
			client.Close()
			continue
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			client.Close()
			server.Close()
			return
		}
		l.conns[client], l.conns[server] = true, true
		l.mu.Unlock()
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.link(client, server)
		}()
	}
}

// close stops the link and waits for its goroutines.
func (l *latencyLink) close() {
	l.ln.Close()
	l.mu.Lock()
	l.closed = true
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// link forwards one connection both ways until both have ended.
func (l *latencyLink) link(client, server net.Conn) {
	var answered atomic.Bool // delivered to the client since it last wrote
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.pipe(server, client, func() { answered.Store(true) }, nil)
	}()
	l.pipe(client, server, nil, func() {
		if answered.Swap(false) {
			l.turns.Add(1)
		}
	})
	<-done
	client.Close()
	server.Close()
	l.mu.Lock()
	delete(l.conns, client)
	delete(l.conns, server)
	l.mu.Unlock()
}

// pipe copies src to dst, each chunk delay after it was read. arrived, if
// not nil, is called when a chunk is read, and delivering just before one
// is written. At the end of src, dst is half-closed.
func (l *latencyLink) pipe(src, dst net.Conn, delivering, arrived func()) {
	type chunk struct {
		b  []byte
		at time.Time // when it was read
	}
	free := make(chan []byte, linkBuffers)
	for range linkBuffers {
		free <- make([]byte, linkChunkSize)
	}
	queue := make(chan chunk, linkBuffers)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ok := true
		for c := range queue {
			if ok {
				waitUntil(c.at.Add(l.delay))
				if delivering != nil {
					delivering()
				}
				l.hops.Add(1)
				l.held.Add(int64(time.Since(c.at)))
				if _, err := dst.Write(c.b); err != nil {
					// dst is gone: drop the rest, and stop reading.
					ok = false
					src.Close()
				}
			}
			free <- c.b[:cap(c.b)]
		}
		if tc, isTCP := dst.(*net.TCPConn); ok && isTCP {
			tc.CloseWrite()
		}
	}()
	for {
		b := <-free
		n, err := src.Read(b)
		if n > 0 {
			at := time.Now()
			if arrived != nil {
				arrived()
			}
			queue <- chunk{b[:n], at}
		} else {
			free <- b
		}
		if err != nil {
			break
		}
	}
	close(queue)
	<-done
}

// waitUntil returns at t. time.Sleep alone would not do: when the program
// has nothing else to run, Go waits for its next timer in epoll_wait,
// whose timeout is in whole milliseconds, so on Linux time.Sleep(500µs)
// returns after about 1.1 ms. waitUntil sleeps until 2 ms before t, then
// yields in a loop: the link's delay is exact, at the cost of a busy core
// while a chunk waits.
func waitUntil(t time.Time) {
	if d := time.Until(t) - 2*time.Millisecond; d > 0 {
		time.Sleep(d)
	}
	for time.Now().Before(t) {
		runtime.Gosched()
	}
}

func (l *latencyLink) counts() linkCounts {
	return linkCounts{l.turns.Load(), l.hops.Load(), l.held.Load()}
}

// start marks the beginning of a benchmark's loop. l may be nil.
func (l *latencyLink) start() {
	if l != nil {
		l.mark = l.counts()
	}
}

// report reports rtts/msg and hop-µs since start. l may be nil.
func (l *latencyLink) report(b *testing.B) {
	if l == nil || b.N == 0 {
		return
	}
	c := l.counts()
	b.ReportMetric(float64(c.turns-l.mark.turns)/float64(b.N), "rtts/msg")
	if hops := c.hops - l.mark.hops; hops > 0 {
		b.ReportMetric(float64(c.held-l.mark.held)/float64(hops)/1e3, "hop-µs")
	}
}

// TestLatencyLink checks the link that BenchmarkSendRTT relies on: bytes
// cross it intact and in order both ways, a reply never comes back before
// two delays, and a client that waits for every reply makes one
// turnaround per exchange but the first.
func TestLatencyLink(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	echoed := make(chan struct{})
	go func() { // an echo server, for one connection
		defer close(echoed)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	defer func() {
		ln.Close()
		<-echoed
	}()
	const delay = 2 * time.Millisecond
	l := newLatencyLink(t, ln.Addr().String(), delay)
	c, err := net.Dial("tcp4", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	const exchanges = 5
	for i := range exchanges {
		msg := []byte("message " + strconv.Itoa(i) + "\r\n")
		start := time.Now()
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
		if elapsed := time.Since(start); !bytes.Equal(got, msg) || elapsed < 2*delay {
			t.Errorf("echo of %q through the link = %q after %v, want it after at least %v", msg, got, elapsed, 2*delay)
		}
	}
	if got, want := l.turns.Load(), int64(exchanges-1); got != want {
		t.Errorf("after %d write-then-read exchanges, turnarounds = %d, want %d", exchanges, got, want)
	}

	// Much more than the link holds at once, written while it is read.
	bulk := make([]byte, 4<<20)
	for i := range bulk {
		bulk[i] = byte(i * 7 / 3)
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := c.Write(bulk)
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		wrote <- err
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, bulk) {
		t.Errorf("echo of %d bytes through the link: got %d bytes, not the same", len(bulk), len(got))
	}
}
