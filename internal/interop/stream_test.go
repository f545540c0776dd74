package interop

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

// TestSendAllStream: a stream of messages on one session, with DATA (the
// final dot leaves with the next RSET, MAIL, RCPT and DATA) and with BDAT,
// where the server refuses some at the end of data (Postfix keeps that
// transaction open) and others at MAIL FROM. Each outcome belongs to its
// own message, and every accepted message is delivered once.
func TestSendAllStream(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		for _, useDATA := range []bool{true, false} {
			c := dial(t, s.addr("PLAIN"), e.options(client.TLSNone))
			const n = 12
			msgs := make([]*client.Message, n)
			ids := make([]string, n)
			for i := range msgs {
				ids[i] = uniqueID(t)
				from := sender
				switch i % 4 {
				case 1:
					from = "eod-554-5.7.1@codes.test" // refused after the data
				case 2:
					from = "550-5.1.8@codes.test" // refused at MAIL FROM
				}
				msgs[i] = &client.Message{
					Envelope: client.Envelope{From: from, To: []string{"box-" + ids[i] + "@" + e.vars["SMTP_DOMAIN"]}, UseDATA: useDATA},
					Body:     strings.NewReader(fmt.Sprintf("Message-ID: <%s@interop.test>\r\nSubject: stream %d\r\n\r\nhello\r\n", ids[i], i)),
				}
			}
			i := 0
			for m, err := range c.SendAll(testContext(t), func(yield func(*client.Message) bool) {
				for _, m := range msgs {
					if !yield(m) {
						return
					}
				}
			}) {
				what := fmt.Sprintf("%s: UseDATA %v, message %d", s.name, useDATA, i)
				if m != msgs[i] {
					t.Fatalf("%s: yielded out of order", what)
				}
				switch i % 4 {
				case 1:
					if m.Result.State != client.DeliveryRejected || !reply.IsPermanent(err) || m.Result.Final.Code != reply.CodeTransactionFailed {
						t.Errorf("%s: %v, final %q, %v; want rejected at the end of data with 554", what, m.Result.State, m.Result.Final.String(), err)
					}
				case 2:
					if m.Result.State != client.DeliveryRejected || m.Result.Mail.Code/100 != 5 {
						t.Errorf("%s: %v, MAIL %q, %v; want rejected at MAIL FROM", what, m.Result.State, m.Result.Mail.String(), err)
					}
				default:
					if err != nil || m.Result.State != client.DeliveryComplete {
						t.Errorf("%s: %v, %v; want delivered", what, m.Result.State, err)
					}
				}
				i++
			}
			if i != n {
				t.Fatalf("%s: SendAll yielded %d of %d messages", s.name, i, n)
			}
			if err := c.Quit(testContext(t)); err != nil {
				t.Errorf("%s: Quit: %v", s.name, err)
			}
			for i := range msgs {
				if i%4 == 0 || i%4 == 3 {
					waitDelivered(t, s, "box", "<"+ids[i]+"@interop.test>")
				}
			}
		}
	})
}

// TestPool: 40 messages from 8 goroutines through a Pool of 3
// authenticated connections to the submission port: all delivered. Each
// connection retires after 10 messages (MaxMessages): Exim stops
// delivering at once after that many on one connection
// (smtp_accept_queue_per_connection), so new connections take over.
func TestPool(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		user := e.vars["SMTP_USER"]
		opts := e.options(client.TLSStartTLS)
		opts.Auth = sasl.Password(user, e.vars["SMTP_PASS"])
		p, err := client.NewPool(client.PoolOptions{Addr: s.addr("SUBMISSION"), Client: opts, MaxConns: 3, MaxMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		const n = 40
		ids := make([]string, n)
		for i := range ids {
			ids[i] = uniqueID(t)
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for g := range 8 {
			wg.Go(func() {
				for i := g; i < n; i += 8 {
					env := &client.Envelope{From: user, To: []string{"box-" + ids[i] + "@" + e.vars["SMTP_DOMAIN"]}}
					body := fmt.Sprintf("Message-ID: <%s@interop.test>\r\nSubject: pool %d\r\n\r\nhello\r\n", ids[i], i)
					_, errs[i] = p.Send(context.Background(), env, strings.NewReader(body))
				}
			})
		}
		wg.Wait()
		st := p.Stats()
		if err := p.Close(); err != nil {
			t.Errorf("%s: Close: %v", s.name, err)
		}
		for i, err := range errs {
			if err != nil {
				t.Errorf("%s: message %d: %v", s.name, i, err)
			}
		}
		// 40 messages, at most 10 per connection and at most 3 open (each
		// with at most 9 before Close): at least 4 dials and 2 retired.
		if st.Dials < 4 || st.DialErrors != 0 || st.RetiredMax < 2 || st.Messages != n {
			t.Errorf("%s: pool stats %+v; want at least 4 dials, none failed, 2 retired after 10 messages, %d messages", s.name, st, n)
		}
		for i := range ids {
			waitDelivered(t, s, "box", "<"+ids[i]+"@interop.test>")
		}
	})
}
