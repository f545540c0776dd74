package interop

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// bdatMessage returns a message of several kilobytes whose lines would
// need dot-stuffing and line-ending repair after DATA: with BDAT the dots
// travel as they are, the line endings are still normalised.
func bdatMessage(id string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Message-ID: <%s@interop.test>\r\nSubject: BDAT\r\n\r\n", id)
	b.WriteString(".\r\n..two dots\r\nbare LF\nbare CR\rend of data in DATA:\r\n.\r\nstill the same message\r\n")
	for i := 0; b.Len() < 5000; i++ {
		fmt.Fprintf(&b, "line %04d of a message sent in chunks; .dots. stay\r\n", i)
	}
	b.WriteString("last line\r\n")
	return b.String()
}

// bdatChunks parses the BDAT commands and their data out of what the
// client wrote, after the last RCPT TO: the chunk sizes, whether the last
// one said LAST, and the data. It fails the test on a malformed stream.
func bdatChunks(t *testing.T, wire []byte) (sizes []int, last bool, data []byte) {
	t.Helper()
	i := bytes.LastIndex(wire, []byte("RCPT TO:"))
	if i < 0 {
		t.Fatalf("no RCPT TO on the wire: %q", wire)
	}
	rest := wire[i:]
	rest = rest[bytes.Index(rest, []byte("\r\n"))+2:]
	for len(rest) > 0 && !bytes.HasPrefix(rest, []byte("QUIT")) && !bytes.HasPrefix(rest, []byte("RSET")) {
		line, after, ok := bytes.Cut(rest, []byte("\r\n"))
		f := strings.Fields(string(line))
		if !ok || len(f) < 2 || f[0] != "BDAT" || last {
			t.Fatalf("expected a BDAT command, got %q", rest[:min(len(rest), 80)])
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n > len(after) {
			t.Fatalf("bad BDAT command %q (%d octets follow)", line, len(after))
		}
		last = len(f) == 3 && f[2] == "LAST"
		sizes = append(sizes, n)
		data = append(data, after[:n]...)
		rest = after[n:]
	}
	return sizes, last, data
}

// TestBDAT sends a message with BDAT in 1000-octet chunks (Client.BDAT),
// then one with Send (BDAT by default with CHUNKING), and reads them back: the
// chunks on the wire carry the CRLF-normalised message without
// dot-stuffing, and the delivered file holds exactly that message.
func TestBDAT(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		ctx := testContext(t)
		d := &recordingDialer{wrap: true}
		opts := e.options(client.TLSNone)
		opts.Dialer = d
		c := dial(t, s.addr("PLAIN"), opts)
		if !c.Extensions().Chunking() {
			t.Fatalf("%s: CHUNKING not advertised: %v", s.name, c.Extensions().Names())
		}
		conn := d.last().(*recordingConn)

		id := uniqueID(t)
		msg := bdatMessage(id)
		if _, err := c.Mail(ctx, sender, nil); err != nil {
			t.Fatalf("%s: Mail: %v", s.name, err)
		}
		if _, err := c.Rcpt(ctx, "box-"+id+"@"+e.vars["SMTP_DOMAIN"], nil); err != nil {
			t.Fatalf("%s: Rcpt: %v", s.name, err)
		}
		w, err := c.BDAT(ctx, &client.BDATOptions{ChunkSize: 1000})
		if err != nil {
			t.Fatalf("%s: BDAT: %v", s.name, err)
		}
		// Several writes that do not line up with the chunks or the lines.
		for rest := msg; rest != ""; {
			n := min(len(rest), 777)
			if _, err := w.Write([]byte(rest[:n])); err != nil {
				t.Fatalf("%s: Write: %v", s.name, err)
			}
			rest = rest[n:]
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: DataWriter.Close: %v", s.name, err)
		}
		if r := w.Reply(); r.Code != reply.CodeOK {
			t.Errorf("%s: reply to BDAT LAST = %q, want 250", s.name, r.String())
		}

		sizes, last, data := bdatChunks(t, bytes.Join(conn.Writes(), nil))
		want := strings.ReplaceAll(stored(msg), "\n", "\r\n")
		if string(data) != want {
			t.Errorf("%s: BDAT data on the wire\n got: %q\nwant: %q", s.name, data, want)
		}
		if !last || len(sizes) < 5 {
			t.Errorf("%s: BDAT chunk sizes %v, LAST %v; want at least 5 chunks, the last marked LAST", s.name, sizes, last)
		}
		for i, n := range sizes[:max(len(sizes)-1, 0)] {
			if n != 1000 {
				t.Errorf("%s: chunk %d has %d octets, want 1000 (ChunkSize)", s.name, i, n)
			}
		}

		// The same through Send, pipelined.
		id2 := uniqueID(t)
		msg2 := bdatMessage(id2)
		env := &client.Envelope{From: sender, To: []string{"box-" + id2 + "@" + e.vars["SMTP_DOMAIN"]}}
		res, err := c.Send(ctx, env, strings.NewReader(msg2))
		if err != nil || res.State != client.DeliveryComplete || res.Final.Code != reply.CodeOK {
			t.Fatalf("%s: Send with Chunking = %v, %q, %v; want delivered, 250", s.name, res.State, res.Final.String(), err)
		}
		if err := c.Quit(ctx); err != nil {
			t.Errorf("Quit: %v", err)
		}
		wire := bytes.Join(conn.Writes(), nil)
		if bytes.Contains(wire, []byte("\r\nDATA\r\n")) {
			t.Errorf("%s: DATA on the wire, want only BDAT", s.name)
		}

		for _, m := range []struct{ id, msg string }{{id, msg}, {id2, msg2}} {
			got := waitDelivered(t, s, "box", "<"+m.id+"@interop.test>")
			if want := stored(m.msg); !bytes.HasSuffix(got, []byte(want)) {
				t.Errorf("%s: delivered file does not end with the message sent\n got: %q\nwant suffix: %q", s.name, got, want)
			}
		}
	})
}

// TestBDATRefused: a message refused after its last chunk (the end-of-data
// access map or ACL) comes back from Send as the "BDAT LAST" reply, and
// the session goes on (see TestEndOfDataCodes).
func TestBDATRefused(t *testing.T) {
	each(t, func(t *testing.T, e *env, s server) {
		ctx := testContext(t)
		c := dial(t, s.addr("PLAIN"), e.options(client.TLSNone))
		id := uniqueID(t)
		env := &client.Envelope{From: "eod-554-5.7.1@codes.test", To: []string{"box-" + id + "@" + e.vars["SMTP_DOMAIN"]}}
		res, err := c.Send(ctx, env, strings.NewReader(bdatMessage(id)))
		if res.State != client.DeliveryRejected {
			t.Errorf("%s: Send: state %v, want rejected", s.name, res.State)
		}
		re := checkRefusal(t, s, "Send with BDAT (eod-554)", err, "BDAT LAST", reply.CodeTransactionFailed, "5.7.1", reply.RetryNever)
		if re != nil && !errors.Is(err, reply.ErrPermanent) {
			t.Errorf("%s: %v does not match ErrPermanent", s.name, err)
		}
		if r, err := c.Noop(ctx); err != nil || r.Code != reply.CodeOK {
			t.Errorf("%s: Noop after the refusal = %q, %v, want 250", s.name, r.String(), err)
		}
		sendAfterRefusal(t, e, s, c, "a refused BDAT LAST", true)
	})
}
