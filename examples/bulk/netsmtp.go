package main

import (
	"io"
	"net/smtp"
	"time"

	"github.com/seed-e4e66a4f/smtp/client"
)

// comparison says what the two rates mean.
const comparison = `
A rough illustration, not a benchmark: one run, the server in this process,
a loopback round trip of microseconds. For each message net/smtp waits for
4 replies one after the other (MAIL, RCPT, DATA, end of data);
client.SendAll with PIPELINING waits once (the message with BDAT, or its
final dot with the next MAIL+RCPT+DATA). Over a network every round trip
saved is a whole RTT. Measure with:
	go run ./internal/bench
`

// netSMTP sends n messages over one connection with net/smtp and returns
// the time it took, from the first MAIL FROM to the last reply.
func netSMTP(addr string, n int, env *client.Envelope, msg string) (time.Duration, error) {
	c, err := smtp.Dial(addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.Hello("bulk.example.test"); err != nil {
		return 0, err
	}
	start := time.Now()
	for range n {
		if err := c.Mail(env.From); err != nil {
			return 0, err
		}
		if err := c.Rcpt(env.To[0]); err != nil {
			return 0, err
		}
		w, err := c.Data()
		if err != nil {
			return 0, err
		}
		if _, err := io.WriteString(w, msg); err != nil {
			return 0, err
		}
		if err := w.Close(); err != nil {
			return 0, err
		}
	}
	d := time.Since(start)
	return d, c.Quit()
}
