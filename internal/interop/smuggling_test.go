package interop

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// TestSmuggling sends bodies that hide an end of data and a second
// transaction behind bare CR, bare LF and the combinations some servers
// (Exim 4.96 among them) take for the end of the message. Each must be
// delivered as one message, with every line ending normalised to CRLF
// (stored as LF) and the lone dots kept as text, and the hidden message
// must never be delivered.
func TestSmuggling(t *testing.T) {
	seqs := []struct{ name, seq string }{
		{"LF.LF", "\n.\n"},
		{"CR.CR", "\r.\r"},
		{"CRLF.CR", "\r\n.\r"},
		{"LF.CRLF", "\n.\r\n"},
		{"CRLF.LF", "\r\n.\n"},
		{"CR.CRLF", "\r.\r\n"},
		{"CR.LF", "\r.\n"},
		{"LF.CR", "\n.\r"},
		{"CRLF.CRLF", "\r\n.\r\n"},
		{"CRCRLF.CRCRLF", "\r\r\n.\r\r\n"},
		{"LFLF.LFLF", "\n\n.\n\n"},
		{"CRLF..CRLF", "\r\n..\r\n"},
	}
	each(t, func(t *testing.T, e *env, s server) {
		ctx := testContext(t)
		id := uniqueID(t)
		domain := e.vars["SMTP_DOMAIN"]
		hiddenRcpt := "box-smuggled-" + id + "@" + domain
		hiddenID := "<smuggled-" + id + "@interop.test>"

		type sent struct{ name, msgID, want string }
		var all []sent
		var c *client.Client
		send := func(name, msgID, body string) {
			// A new session every 8 messages: Exim queues without
			// delivering after 10 messages on one connection.
			if len(all)%8 == 0 {
				if c != nil {
					endSession(t, s, c)
				}
				c = dial(t, s.addr("PLAIN"), e.options(client.TLSNone))
			}
			env := &client.Envelope{From: sender, To: []string{"box-" + id + "@" + domain}}
			res, err := c.Send(ctx, env, strings.NewReader(body))
			if err != nil || res.State != client.DeliveryComplete {
				t.Fatalf("%s: %s: Send = %v, %v, want delivered", s.name, name, res.State, err)
			}
			all = append(all, sent{name, msgID, stored(body)})
		}
		for i, sq := range seqs {
			msgID := fmt.Sprintf("<%s-%d@interop.test>", id, i)
			body := "Message-ID: " + msgID + "\r\n" +
				"Subject: smuggling " + sq.name + "\r\n" +
				"\r\n" +
				"before" + sq.seq +
				"MAIL FROM:<" + sender + ">\r\n" +
				"RCPT TO:<" + hiddenRcpt + ">\r\n" +
				"DATA\r\n" +
				"Message-ID: " + hiddenID + "\r\n" +
				"\r\n" +
				"smuggled" + sq.seq +
				"after\r\n"
			send(sq.name, msgID, body)
		}
		// The message itself ends with the sequence, or with a dot and no
		// line ending: the client must still end it exactly once.
		for i, tail := range []string{"\n.", "\r\n.\r", "\r.", "\n.\n", "."} {
			msgID := fmt.Sprintf("<%s-tail-%d@interop.test>", id, i)
			send(fmt.Sprintf("tail %q", tail), msgID, "Message-ID: "+msgID+"\r\nSubject: tail\r\n\r\nlast"+tail)
		}
		endSession(t, s, c)

		for _, m := range all {
			got := waitDelivered(t, s, "box", "Message-ID: "+m.msgID+"\n")
			if !bytes.HasSuffix(got, []byte(m.want)) {
				t.Errorf("%s: %s: delivered file does not end with the normalised message\n got: %q\nwant suffix: %q", s.name, m.name, got, m.want)
			}
			if n := len(delivered(t, s, "box", "Message-ID: "+m.msgID+"\n")); n != 1 {
				t.Errorf("%s: %s: %d files hold %s, want 1", s.name, m.name, n, m.msgID)
			}
		}
		// Every message above is delivered; a hidden one would have been
		// queued before the next real one. It would be a file of its own,
		// for the hidden recipient, without a real Message-ID.
		rcptHeader := "\nDelivered-To: " + hiddenRcpt + "\n"
		if !s.postfix {
			rcptHeader = "Envelope-to: " + hiddenRcpt + "\n"
		}
		if files := delivered(t, s, "box", rcptHeader); len(files) != 0 {
			t.Errorf("%s: the hidden message was delivered to %s: %q", s.name, hiddenRcpt, files[0])
		}
		for _, f := range delivered(t, s, "box", hiddenID) {
			if !bytes.Contains(f, []byte("\nMessage-ID: <"+id+"-")) {
				t.Errorf("%s: a file holds the hidden message alone: %q", s.name, f)
			}
		}
	})
}

// endSession checks that no reply is left over after the messages sent
// on c (a smuggled transaction would leave some) and quits.
func endSession(t *testing.T, s server, c *client.Client) {
	t.Helper()
	ctx := testContext(t)
	if r, err := c.Noop(ctx); err != nil || r.Code != reply.CodeOK {
		t.Errorf("%s: Noop after the messages = %q, %v, want 250 (no reply left over)", s.name, r.String(), err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Errorf("%s: Quit: %v", s.name, err)
	}
}

// stored returns how a server stores msg once the client has sent it:
// every CRLF, bare CR and bare LF becomes one LF (the client turns each into
// CRLF, the server stores LF), and a message that does not end with a line
// ending gets one.
func stored(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		switch {
		case msg[i] == '\r' && i+1 < len(msg) && msg[i+1] == '\n':
			b.WriteByte('\n')
			i++
		case msg[i] == '\r':
			b.WriteByte('\n')
		default:
			b.WriteByte(msg[i])
		}
	}
	out := b.String()
	if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	return out
}

// delivered returns the contents of every file in the mailbox (user, other
// or box under the server's Maildir root) that contains marker, now.
func delivered(t *testing.T, s server, mailbox, marker string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, sub := range []string{"new", "cur", "tmp"} {
		files, _ := filepath.Glob(filepath.Join(s.get("MAILDIR"), mailbox, sub, "*"))
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte(marker)) {
				out = append(out, b)
			}
		}
	}
	return out
}
