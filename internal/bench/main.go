// Command bench measures how fast SMTP clients send: N messages of a given
// size over C connections, with this module's client (Client.Send, the
// Client.SendAll stream and a Pool), net/smtp, emersion/go-smtp's client
// and a raw writer that shows what the wire allows (the final dot and the
// next MAIL, RCPT and DATA in one write; with CHUNKING, MAIL, RCPT, BDAT
// LAST and the body in one write), side by side in the same run:
//
//	go run ./internal/bench -n 20000 -size 1024 -conns 1 -runs 3
//
// It prints, for each client, the median over the runs of messages per
// second, the client's CPU time per message (user and system, from
// getrusage; the sink runs in another process), heap allocations and
// bytes per message, and round trips per message (the times the client
// read after writing, counted in a separate pass on wrapped
// connections), with the ratio of its rate to each peer's.
//
// The server is Postfix's smtp-sink when it is installed (-sink auto;
// started with -u nobody when run as root; -pipelining=false passes -p),
// and otherwise (or with -sink inproc, needed for -chunking) an
// in-process sink run as a separate process of this program. With
// taskset installed the sink runs on CPU -sink-cpu and this program on
// -client-cpu, so that the two never share a core (-pin=false turns it
// off).
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	flagN          = flag.Int("n", 20000, "messages per client and run")
	flagSize       = flag.Int("size", 1024, "message size in octets (headers and body)")
	flagConns      = flag.Int("conns", 1, "connections (and sending goroutines)")
	flagSenders    = flag.Int("senders", 0, "goroutines sending through the Pool of -conns connections (default: -conns)")
	flagRuns       = flag.Int("runs", 3, "runs; the figures are medians")
	flagClients    = flag.String("clients", "", "comma-separated clients to run (default: all that apply)")
	flagSink       = flag.String("sink", "auto", "auto, smtp-sink, inproc, or host:port of a running server")
	flagPipelining = flag.Bool("pipelining", true, "the sink offers PIPELINING")
	flagChunking   = flag.Bool("chunking", false, "the sink offers CHUNKING (in-process sink)")
	flagNewConn    = flag.Bool("newconn", false, "a new connection per message")
	flagPin        = flag.Bool("pin", true, "pin the sink and this program to different CPUs with taskset")
	flagSinkCPU    = flag.Int("sink-cpu", 0, "CPU of the sink")
	flagClientCPU  = flag.Int("client-cpu", 1, "CPU of the clients")
	flagRTTPass    = flag.Int("rtt-n", 500, "messages of the pass that counts round trips")
	flagServe      = flag.String("serve", "", "internal: serve the in-process sink on this address")
	flagProfile    = flag.String("cpuprofile", "", "write a CPU profile of the measured runs to this file")
	flagMemProfile = flag.String("memprofile", "", "write a profile of every allocation of the measured runs to this file")
)

func main() {
	flag.Parse()
	if *flagServe != "" {
		serveSink(*flagServe, *flagPipelining, *flagChunking)
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	_, errTaskset := exec.LookPath("taskset")
	pin := *flagPin && errTaskset == nil
	if pin && os.Getenv("BENCH_PINNED") == "" {
		// Run again on the client's CPU.
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		cmd := exec.Command("taskset", append([]string{"-c", strconv.Itoa(*flagClientCPU), exe}, os.Args[1:]...)...)
		cmd.Env = append(os.Environ(), "BENCH_PINNED=1")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				os.Exit(ee.ExitCode())
			}
			return err
		}
		return nil
	}
	addr, sinkName, stop, err := startSink(pin)
	if err != nil {
		return err
	}
	defer stop()

	body := makeBody(*flagSize)
	cfg := config{addr: addr, n: *flagN, conns: *flagConns, senders: *flagSenders, body: body, chunking: *flagChunking, newConn: *flagNewConn}
	if cfg.senders <= 0 {
		cfg.senders = cfg.conns
	}
	clients := selectClients(cfg)
	if len(clients) == 0 {
		return errors.New("no client selected")
	}
	fmt.Printf("# %d messages of %d octets, %d connection(s), %d goroutines on the Pool, %d runs (medians), sink %s (PIPELINING %v, CHUNKING %v), new connection per message %v, pinned %v\n",
		cfg.n, len(body), cfg.conns, cfg.senders, *flagRuns, sinkName, *flagPipelining, cfg.chunking, cfg.newConn, pin)
	fmt.Printf("# go run ./internal/bench %s\n", strings.Join(os.Args[1:], " "))

	// Round trips first, on wrapped connections.
	rtts := map[string]float64{}
	for _, c := range clients {
		rc := cfg
		rc.n = min(*flagRTTPass, cfg.n)
		rc.count = new(turns)
		if err := c.run(context.Background(), rc); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		rtts[c.name] = float64(rc.count.n.Load()) / float64(rc.n)
	}
	if *flagProfile != "" {
		f, err := os.Create(*flagProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *flagMemProfile != "" {
		runtime.MemProfileRate = 1
		defer func() {
			runtime.GC()
			f, err := os.Create(*flagMemProfile)
			if err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	samples := map[string][]sample{}
	for r := 0; r < *flagRuns; r++ {
		for _, c := range clients {
			s, err := measure(c, cfg)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			samples[c.name] = append(samples[c.name], s)
		}
	}
	report(clients, samples, rtts)
	return nil
}

// startSink starts the server the clients send to and returns its
// address, a name for it and a function that stops it.
func startSink(pin bool) (addr, name string, stop func(), err error) {
	kind := *flagSink
	if kind == "auto" {
		kind = "inproc"
		if _, err := exec.LookPath("smtp-sink"); err == nil && !*flagChunking {
			kind = "smtp-sink"
		}
	}
	var cmd *exec.Cmd
	wrap := func(args ...string) *exec.Cmd {
		if pin {
			args = append([]string{"taskset", "-c", strconv.Itoa(*flagSinkCPU)}, args...)
		}
		return exec.Command(args[0], args[1:]...)
	}
	switch kind {
	case "smtp-sink":
		port, err := freePort()
		if err != nil {
			return "", "", nil, err
		}
		args := []string{"smtp-sink"}
		if os.Geteuid() == 0 {
			args = append(args, "-u", "nobody")
		}
		if !*flagPipelining {
			args = append(args, "-p")
		}
		addr = "127.0.0.1:" + strconv.Itoa(port)
		args = append(args, "-h", "sink.example.test", "-m", "256", addr, "256")
		cmd = wrap(args...)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return "", "", nil, err
		}
		if err := waitListening(addr); err != nil {
			cmd.Process.Kill()
			return "", "", nil, err
		}
	case "inproc":
		exe, err := os.Executable()
		if err != nil {
			return "", "", nil, err
		}
		cmd = wrap(exe, "-serve", "127.0.0.1:0", "-pipelining="+strconv.FormatBool(*flagPipelining), "-chunking="+strconv.FormatBool(*flagChunking))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return "", "", nil, err
		}
		if err := cmd.Start(); err != nil {
			return "", "", nil, err
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			cmd.Process.Kill()
			return "", "", nil, fmt.Errorf("in-process sink: %w", err)
		}
		addr = strings.TrimSpace(line)
		kind = "in-process sink"
	default:
		return kind, kind, func() {}, nil
	}
	return addr, kind, func() { cmd.Process.Kill(); cmd.Wait() }, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitListening(addr string) error {
	for range 100 {
		c, err := net.DialTimeout("tcp4", addr, time.Second)
		if err == nil {
			// Read the greeting so that the sink's session ends cleanly.
			c.SetReadDeadline(time.Now().Add(time.Second))
			io.ReadAtLeast(c, make([]byte, 64), 1)
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no server on %s", addr)
}

// makeBody returns a message of size octets: a header and lines of text,
// none starting with a dot, ending with CRLF.
func makeBody(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: a@example.test\r\nTo: b@example.test\r\nSubject: benchmark\r\n\r\n")
	const line = "The quick brown fox jumps over the lazy dog. 0123456789\r\n"
	for b.Len()+len(line) <= size {
		b.WriteString(line)
	}
	if rest := size - b.Len(); rest >= 2 {
		b.WriteString(strings.Repeat("x", rest-2) + "\r\n")
	}
	return b.Bytes()
}

func selectClients(cfg config) []contender {
	var all []contender
	for _, c := range clientList {
		if c.applies == nil || c.applies(cfg) {
			all = append(all, c)
		}
	}
	if *flagClients == "" {
		return all
	}
	want := strings.Split(*flagClients, ",")
	return slices.DeleteFunc(all, func(c contender) bool { return !slices.Contains(want, c.name) })
}
