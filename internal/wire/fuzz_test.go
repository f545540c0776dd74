package wire_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/seed-e4e66a4f/smtp/internal/wire"
)

// normalise is the reference: a plain octet loop, independent of the
// writers' run-based code. It returns the normalised body (CRLF line
// endings, a final CRLF added), or the error a writer must return and the
// normalised octets before the offending one.
func normalise(in []byte) ([]byte, *wire.BodyError) {
	var out []byte
	line, lineLen := 1, 0
	for i := 0; i < len(in); i++ {
		switch c := in[i]; c {
		case '\r', '\n':
			out = append(out, '\r', '\n')
			if c == '\r' && i+1 < len(in) && in[i+1] == '\n' {
				i++
			}
			line, lineLen = line+1, 0
		case 0:
			return out, &wire.BodyError{Kind: wire.BodyNUL, Line: line, Offset: int64(i)}
		default:
			if lineLen++; lineLen > wire.MaxLineLength {
				return out, &wire.BodyError{Kind: wire.BodyLineTooLong, Line: line, Offset: int64(i)}
			}
			out = append(out, c)
		}
	}
	if lineLen > 0 {
		out = append(out, '\r', '\n')
	}
	return out, nil
}

// split cuts data at the lengths given by cuts (each octet a length, 0
// meaning an empty write), the rest in one write.
func split(data, cuts []byte) [][]byte {
	var parts [][]byte
	for _, c := range cuts {
		n := min(int(c), len(data))
		parts = append(parts, data[:n])
		data = data[n:]
	}
	return append(parts, data)
}

func FuzzDataWriter(f *testing.F) {
	seeds := []string{
		"", ".", "a\r\n.\r\nb", "\n.\n", "\r.\r", "\r\n.\r", "\n.\r\n", "a\r\r\n.\r\r\n",
		"Subject: x\r\n\r\n..\r\n.\r\n", "\x00", "caf\xc3\xa9\n", string(bytes.Repeat([]byte("y"), 999)) + "\n.", string(bytes.Repeat([]byte("y"), 1000)),
	}
	for _, s := range seeds {
		f.Add([]byte(s), []byte{})
		f.Add([]byte(s), []byte{1, 0, 2, 1})
	}
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		norm, wantErr := normalise(data)
		parts := split(data, cuts)

		var out bytes.Buffer
		dw := wire.NewDataWriter(&out)
		var err error
		for _, p := range parts {
			if _, err = dw.Write(p); err != nil {
				break
			}
		}
		if err == nil {
			err = dw.Close()
		}
		var chunked []byte
		lastSeen := false
		cw := wire.NewChunkWriter(7, func(b []byte, last bool) error {
			if lastSeen || (!last && len(b) != 7) {
				t.Errorf("chunk %q (last %v) after the last or of the wrong size", b, last)
			}
			lastSeen = last
			chunked = append(chunked, b...)
			return nil
		})
		var cerr error
		for _, p := range parts {
			if _, cerr = cw.Write(p); cerr != nil {
				break
			}
		}
		if cerr == nil {
			cerr = cw.Close()
		}

		if wantErr != nil {
			for name, e := range map[string]error{"DataWriter": err, "ChunkWriter": cerr} {
				if be, ok := errors.AsType[*wire.BodyError](e); !ok || *be != *wantErr {
					t.Fatalf("%s(%q in %d writes) = %v, want %v", name, data, len(parts), e, wantErr)
				}
			}
			// Written so far: a stuffed prefix of the normalised body,
			// never the terminator.
			if got := unstuff(t, out.Bytes(), false); !bytes.Equal(got, norm) {
				t.Fatalf("DataWriter(%q) wrote %q before the error, want %q", data, got, norm)
			}
			if !bytes.Equal(chunked, norm[:len(chunked)]) || lastSeen {
				t.Fatalf("ChunkWriter(%q) emitted %q (last %v) before the error, want a prefix of %q", data, chunked, lastSeen, norm)
			}
			return
		}
		if err != nil || cerr != nil {
			t.Fatalf("writers(%q) = %v, %v; want success", data, err, cerr)
		}
		if got := unstuff(t, out.Bytes(), true); !bytes.Equal(got, norm) {
			t.Fatalf("DataWriter(%q) unstuffed = %q, want %q", data, got, norm)
		}
		if !bytes.Equal(chunked, norm) || !lastSeen {
			t.Fatalf("ChunkWriter(%q) = %q (last %v), want %q", data, chunked, lastSeen, norm)
		}
		info, _ := wire.Check(data)
		if info.Size != int64(len(norm)) || dw.Size() != info.Size || cw.Size() != info.Size {
			t.Fatalf("sizes of %q: Check %d, DataWriter %d, ChunkWriter %d; want %d", data, info.Size, dw.Size(), cw.Size(), len(norm))
		}
		if want := has8bit(data); info.EightBit != want || dw.EightBit() != want || cw.EightBit() != want {
			t.Fatalf("EightBit of %q: Check %v, DataWriter %v, ChunkWriter %v; want %v", data, info.EightBit, dw.EightBit(), cw.EightBit(), want)
		}
	})
}

// unstuff checks the wire form of a DATA body and returns it with the
// stuffed dots (and, if terminated, the final ".") removed: every line ends
// in CRLF, no CR or LF stands alone, no line is "." before the end, and no
// line is longer than MaxLineLength (+1 for a stuffed dot).
func unstuff(t *testing.T, b []byte, terminated bool) []byte {
	t.Helper()
	if terminated {
		if !bytes.HasSuffix(b, []byte(".\r\n")) || (len(b) > 3 && !bytes.HasSuffix(b, []byte("\r\n.\r\n"))) {
			t.Fatalf("output %q does not end with the terminator", b)
		}
		b = b[:len(b)-3]
	}
	var out []byte
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		switch {
		case i < 0 && terminated:
			t.Fatalf("unterminated last line %q", b)
		case i < 0:
			i = len(b) - 1 // a partial line written before an error
		case i == 0 || b[i-1] != '\r':
			t.Fatalf("bare LF in output at %q", b)
		}
		line := b[:i+1]
		b = b[i+1:]
		content := bytes.TrimSuffix(line, []byte("\r\n"))
		if bytes.ContainsAny(content, "\r\n") {
			t.Fatalf("bare CR in output line %q", line)
		}
		if bytes.HasPrefix(content, []byte(".")) {
			if len(line) == 3 && string(line) == ".\r\n" {
				t.Fatalf("line %q ends the data early", line)
			}
			line, content = line[1:], content[1:]
		}
		if len(content) > wire.MaxLineLength {
			t.Fatalf("output line of %d octets", len(content))
		}
		out = append(out, line...)
	}
	return out
}

func has8bit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
