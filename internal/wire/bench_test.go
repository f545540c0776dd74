package wire_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"net/textproto"
	"testing"

	"github.com/seed-e4e66a4f/smtp/internal/wire"
)

// typicalMessage returns a deterministic message of about size octets with
// the given line ending: headers, a quoted-printable text part with some
// lines starting with "." and some UTF-8, then a base64 attachment in
// 76-column lines.
func typicalMessage(size int, eol string) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for _, h := range []string{
		"From: Alice <alice@example.org>", "To: Bob <bob@example.net>",
		"Subject: quarterly figures", "Date: Mon, 2 Jun 2025 10:00:00 +0000",
		"Message-ID: <1234.5678@example.org>", "MIME-Version: 1.0",
		"Content-Type: multipart/mixed; boundary=\"b1\"",
	} {
		b.WriteString(h + eol)
	}
	b.WriteString(eol + "--b1" + eol + "Content-Type: text/plain; charset=utf-8" + eol + eol)
	words := []string{"the", "report", "numbers", "señor", "über", "deadline", "...", "ok", "figures", "Q3"}
	for range 200 {
		n := 0
		if rng.IntN(20) == 0 {
			b.WriteString(".")
		}
		for n < 70 {
			w := words[rng.IntN(len(words))]
			b.WriteString(w + " ")
			n += len(w) + 1
		}
		b.WriteString(eol)
	}
	b.WriteString("--b1" + eol + "Content-Type: application/pdf" + eol + "Content-Transfer-Encoding: base64" + eol + eol)
	raw := make([]byte, 57)
	for b.Len() < size-len(eol)-80 {
		for i := range raw {
			raw[i] = byte(rng.Uint32())
		}
		b.WriteString(base64.StdEncoding.EncodeToString(raw) + eol)
	}
	b.WriteString("--b1--" + eol)
	return b.Bytes()
}

// writeInBlocks writes msg to w in 32 KiB writes, as io.Copy would.
func writeInBlocks(w io.Writer, msg []byte) {
	for len(msg) > 0 {
		n := min(len(msg), 32<<10)
		w.Write(msg[:n])
		msg = msg[n:]
	}
}

func BenchmarkDataWriter(b *testing.B) {
	for _, eol := range []struct{ name, eol string }{{"CRLF", "\r\n"}, {"LF", "\n"}} {
		msg := typicalMessage(1<<20, eol.eol)
		b.Run("wire/"+eol.name, func(b *testing.B) {
			bw := bufio.NewWriterSize(io.Discard, 4096)
			w := wire.NewDataWriter(bw)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				w.Reset(bw)
				writeInBlocks(w, msg)
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				bw.Flush()
			}
		})
		// net/textproto's DotWriter, as net/smtp uses it: LF to CRLF and
		// dot-stuffing, but no checks.
		b.Run("textproto/"+eol.name, func(b *testing.B) {
			bw := bufio.NewWriterSize(io.Discard, 4096)
			tw := textproto.NewWriter(bw)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				w := tw.DotWriter()
				writeInBlocks(w, msg)
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkChunkWriter(b *testing.B) {
	msg := typicalMessage(1<<20, "\r\n")
	emit := func([]byte, bool) error { return nil }
	w := wire.NewChunkWriter(0, emit)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		w.Reset(emit)
		writeInBlocks(w, msg)
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	msg := typicalMessage(1<<20, "\r\n")
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wire.Check(msg); err != nil {
			b.Fatal(err)
		}
	}
}
