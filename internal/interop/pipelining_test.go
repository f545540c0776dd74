package interop

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// TestPipelining: every server advertises PIPELINING (RFC 2920), so Send
// must write MAIL FROM, every RCPT TO and DATA in one flight, a single
// write to the connection; with CHUNKING (RFC 3030, BDAT by default) the
// envelope, BDAT LAST and the whole of a small body go in that one write.
// Either way the message must still arrive intact.
func TestPipelining(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		d := &recordingDialer{wrap: true}
		opts := e.options(client.TLSNone)
		opts.Dialer = d
		c := dial(t, s.addr("PLAIN"), opts)
		if !c.Extensions().Pipelining() {
			t.Fatalf("%s: PIPELINING not advertised: %v", s.name, c.Extensions().Names())
		}
		if !c.Extensions().Chunking() {
			t.Fatalf("%s: CHUNKING not advertised: %v", s.name, c.Extensions().Names())
		}
		conn := d.last().(*recordingConn)

		for _, useDATA := range []bool{true, false} {
			id := uniqueID(t)
			to := []string{"box-" + id + "@" + e.vars["SMTP_DOMAIN"], "box-" + id + "-2@" + e.vars["SMTP_DOMAIN"]}
			body := fmt.Sprintf("Message-ID: <%s@interop.test>\r\nSubject: pipelined\r\n\r\none flight\r\n", id)
			before := len(conn.Writes())
			res, err := c.Send(testContext(t), &client.Envelope{From: sender, To: to, UseDATA: useDATA}, strings.NewReader(body))
			if err != nil || res.State != client.DeliveryComplete {
				t.Fatalf("%s: Send(UseDATA %v) = %v, %v, want delivered", s.name, useDATA, res.State, err)
			}
			for i, rr := range res.Recipients {
				if rr.Reply.Code != reply.CodeOK {
					t.Errorf("%s: RCPT %s = %q, want 250", s.name, to[i], rr.Reply.String())
				}
			}

			writes := conn.Writes()[before:]
			want := "MAIL FROM:<" + sender + ">\r\nRCPT TO:<" + to[0] + ">\r\nRCPT TO:<" + to[1] + ">\r\n"
			if useDATA {
				want += "DATA\r\n"
			} else {
				want += fmt.Sprintf("BDAT %d LAST\r\n", len(body)) + body
			}
			if len(writes) == 0 || string(writes[0]) != want {
				t.Errorf("%s: Send's first write = %q, want the whole envelope and DATA or the message in one write: %q (all writes: %q)",
					s.name, first(writes), want, writes)
			}
			got := waitDelivered(t, s, "box", "<"+id+"@interop.test>")
			if w := strings.ReplaceAll(body, "\r\n", "\n"); !bytes.HasSuffix(got, []byte(w)) {
				t.Errorf("%s: delivered %q, want it to end with %q", s.name, got, w)
			}
		}
		if err := c.Quit(testContext(t)); err != nil {
			t.Errorf("Quit: %v", err)
		}
	})
}

func first(b [][]byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b[0]
}
