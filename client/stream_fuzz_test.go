package client

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fuzzServer is an SMTP server on loopback whose every answer comes from
// a script of bytes: accept, refuse (4xx or 5xx), 421 and close, or (after
// the data) close without a reply. It records the messages whose data it
// accepted, by their Subject, which is the truth the client's outcomes are
// checked against.
type fuzzServer struct {
	ln       net.Listener
	script   []byte
	chunking bool

	mu       sync.Mutex
	accepted []string
	done     chan struct{}
}

func startFuzzServer(t *testing.T, script []byte, chunking bool) *fuzzServer {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fuzzServer{ln: ln, script: script, chunking: chunking, done: make(chan struct{})}
	go s.serve()
	return s
}

func (s *fuzzServer) serve() {
	defer close(s.done)
	c, err := s.ln.Accept()
	s.ln.Close()
	if err != nil {
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	k := 0
	next := func() byte { // the script's next decision; accept once it runs out
		if k >= len(s.script) {
			return 0xff
		}
		k++
		return s.script[k-1]
	}
	say := func(r string) bool { _, err := io.WriteString(c, r+"\r\n"); return err == nil }
	ehlo := "250-fuzz.example.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
	if s.chunking {
		ehlo += "250-CHUNKING\r\n"
	}
	if !say("220 fuzz.example.test ESMTP") {
		return
	}
	mail, rcpts := false, 0
	// end answers the end of a message's data: true to go on.
	end := func(data []byte) bool {
		switch next() % 8 {
		case 0:
			return say("554 5.7.1 message refused")
		case 1:
			return say("451 4.3.0 try again later")
		case 2:
			return false // closed without a reply: delivery unknown
		case 3:
			say("421 4.3.2 closing")
			return false
		}
		subject := ""
		if _, rest, ok := strings.Cut(string(data), "Subject: "); ok {
			subject, _, _ = strings.Cut(rest, "\r\n")
		}
		s.mu.Lock()
		s.accepted = append(s.accepted, subject)
		s.mu.Unlock()
		mail, rcpts = false, 0
		return say("250 2.0.0 queued")
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			return
		}
		ok := true
		switch strings.ToUpper(f[0]) {
		case "EHLO":
			ok = say(strings.TrimSuffix(ehlo, "\r\n") + "\r\n250 SIZE 1000000")
		case "MAIL":
			switch b := next() % 8; {
			case mail:
				ok = say("503 5.5.1 nested MAIL command")
			case b == 0:
				ok = say("550 5.1.8 sender refused")
			case b == 1:
				ok = say("451 4.3.0 try again later")
			case b == 2:
				say("421 4.3.2 closing")
				return
			default:
				mail = true
				ok = say("250 2.1.0 ok")
			}
		case "RCPT":
			switch b := next() % 8; {
			case !mail:
				ok = say("503 5.5.1 need MAIL")
			case b == 0:
				ok = say("550 5.1.1 no such user")
			case b == 1:
				ok = say("452 4.2.2 mailbox full")
			case b == 2:
				say("421 4.3.2 closing")
				return
			default:
				rcpts++
				ok = say("250 2.1.5 ok")
			}
		case "DATA":
			switch b := next() % 8; {
			case !mail || rcpts == 0:
				ok = say("554 5.5.1 no valid recipients")
			case b == 0:
				ok = say("554 5.7.1 refused")
			case b == 2:
				say("421 4.3.2 closing")
				return
			default:
				if !say("354 go ahead") {
					return
				}
				var data []byte
				for {
					l, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if l == ".\r\n" {
						break
					}
					data = append(data, l...)
				}
				ok = end(data)
			}
		case "BDAT":
			n, err := strconv.Atoi(f[1])
			if err != nil {
				return
			}
			data := make([]byte, n)
			if _, err := io.ReadFull(br, data); err != nil {
				return
			}
			switch {
			case !mail || rcpts == 0:
				ok = say("554 5.5.1 no valid recipients")
			case len(f) > 2:
				ok = end(data)
			default:
				ok = say("250 2.0.0 chunk ok")
			}
		case "RSET":
			mail, rcpts = false, 0
			ok = say("250 2.0.0 ok")
		case "QUIT":
			say("221 2.0.0 bye")
			return
		default:
			ok = say("250 2.0.0 ok")
		}
		if !ok {
			return
		}
	}
}

// FuzzSendAll checks that a stream's outcomes are the server's: whatever
// the server refuses, accepts or drops, a message is delivered or partly
// delivered only if the server accepted its data, rejected only if it did
// not, unknown only when the connection failed after its end, and no
// message is accepted twice or taken from the sequence without being
// yielded back.
func FuzzSendAll(f *testing.F) {
	for _, seed := range []string{"", "\xff\xff\xff\xff\x00", "\x03\x03\x03\x03\x02", "\x00\x01\x02\x03\x04\x05\x06\x07", "\x07\x07\x07\x07\x07\x07\x07\x01"} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, script []byte, chunking bool) {
		if len(script) > 48 {
			script = script[:48]
		}
		srv := startFuzzServer(t, script, chunking)
		defer func() { <-srv.done }()
		opts := &Options{TLS: TLSNone, LocalName: "client.test",
			Timeouts: Timeouts{Command: 5 * time.Second, Mail: 5 * time.Second, Rcpt: 5 * time.Second,
				DataInit: 5 * time.Second, DataBlock: 5 * time.Second, DataTermination: 5 * time.Second}}
		c, err := Dial(testCtx(t), srv.ln.Addr().String(), opts)
		if err != nil {
			return // refused at the greeting or EHLO: nothing to check
		}
		defer c.Close()
		const n = 6
		taken := 0
		var sent []*Message
		msgs := func(yield func(*Message) bool) {
			for i := range n {
				to := []string{fmt.Sprintf("r%d@example.test", i)}
				if i%2 == 1 {
					to = append(to, fmt.Sprintf("s%d@example.test", i))
				}
				taken++
				m := &Message{Envelope: Envelope{From: "a@example.test", To: to},
					Body: strings.NewReader(fmt.Sprintf("Subject: m%d\r\n\r\nbody\r\n", i))}
				sent = append(sent, m)
				if !yield(m) {
					return
				}
			}
		}
		var got []*Message
		for m, err := range c.SendAll(testCtx(t), msgs) {
			if m.Err != err || !m.Done {
				t.Fatalf("yielded error %v, Message.Err %v, Done %v", err, m.Err, m.Done)
			}
			got = append(got, m)
		}
		c.Close()
		<-srv.done
		if len(got) != taken {
			t.Fatalf("%d messages taken from the sequence, %d yielded", taken, len(got))
		}
		count := map[string]int{}
		for _, s := range srv.accepted {
			count[s]++
		}
		for i, m := range got {
			if m != sent[i] {
				t.Fatalf("message %d yielded out of order", i)
			}
			k := count[fmt.Sprintf("m%d", i)]
			switch m.Result.State {
			case DeliveryComplete, DeliveryPartial:
				if k != 1 || m.Result.Final.Code != 250 {
					t.Errorf("message %d: %v (final %q) but the server accepted it %d times", i, m.Result.State, m.Result.Final.String(), k)
				}
			case DeliveryRejected:
				if k != 0 {
					t.Errorf("message %d: rejected (%v) but the server accepted it", i, m.Err)
				}
			case DeliveryUnknown:
				if k > 1 {
					t.Errorf("message %d: unknown but accepted %d times", i, k)
				}
			}
			if (m.Err == nil) != (m.Result.State == DeliveryComplete) {
				t.Errorf("message %d: state %v with error %v", i, m.Result.State, m.Err)
			}
		}
		for s, k := range count {
			if k > 1 {
				t.Errorf("%s accepted %d times", s, k)
			}
		}
	})
}
