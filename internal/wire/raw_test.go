package wire_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/seed-e4e66a4f/smtp/internal/wire"
)

// rawRecorder records what a raw ChunkWriter emits and checks the framing:
// every chunk but the last is exactly size octets, and nothing follows the
// last.
type rawRecorder struct {
	t    *testing.T
	name string
	size int
	body []byte
	lens []int
	last bool
}

func (r *rawRecorder) emit(b []byte, last bool) error {
	if r.last {
		r.t.Errorf("%s: chunk of %d octets after the last", r.name, len(b))
	}
	if !last && len(b) != r.size {
		r.t.Errorf("%s: chunk of %d octets before the last, want %d", r.name, len(b), r.size)
	}
	r.last = last
	r.lens = append(r.lens, len(b))
	r.body = append(r.body, b...)
	return nil
}

// wantChunks returns the chunk lengths a body of n octets must be cut into.
func wantChunks(n, size int) []int {
	if n == 0 {
		return []int{0}
	}
	var lens []int
	for ; n > size; n -= size {
		lens = append(lens, size)
	}
	return append(lens, n)
}

func allOctets() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

var rawBodies = []struct {
	name string
	body []byte
}{
	{"empty", nil},
	{"NUL", []byte("a\x00b\x00")},
	{"bare CR", []byte("a\rb\r")},
	{"bare LF", []byte("a\nb\n")},
	{"CR at end", []byte("abc\r")},
	{"no final CRLF", []byte("abc")},
	{"dot line", []byte("x\r\n.\r\ny")},
	{"end of data only", []byte("\r\n.\r\n")},
	{"all octets", allOctets()},
	{"5000-octet line", bytes.Repeat([]byte{'z'}, 5000)},
	{"mixed", append(append([]byte("Content-Type: application/octet-stream\r\n\r\n\x00\r\r\n\n.\n"), allOctets()...), bytes.Repeat([]byte{0xff}, 1200)...)},
}

func TestRawChunkWriter(t *testing.T) {
	for _, tt := range rawBodies {
		for _, size := range []int{1, 3, 7, 256, 4096} {
			for _, step := range []int{1, 2, 5, 1000, 1 << 20} {
				name := tt.name
				rec := &rawRecorder{t: t, name: name, size: size}
				w := wire.NewRawChunkWriter(size, rec.emit)
				for p := tt.body; len(p) > 0; {
					k := min(step, len(p))
					if n, err := w.Write(p[:k]); n != k || err != nil {
						t.Fatalf("%s (chunk size %d, writes of %d): Write = %d, %v; want %d, nil", name, size, step, n, err, k)
					}
					p = p[k:]
				}
				if err := w.Close(); err != nil {
					t.Fatalf("%s (chunk size %d, writes of %d): Close = %v", name, size, step, err)
				}
				checkRaw(t, rec, w, tt.body, size, step)
			}
		}
	}
}

func checkRaw(t *testing.T, rec *rawRecorder, w *wire.ChunkWriter, body []byte, size, step int) {
	t.Helper()
	if !bytes.Equal(rec.body, body) {
		t.Errorf("%s (chunk size %d, writes of %d): emitted %q, want %q unchanged", rec.name, size, step, rec.body, body)
	}
	if !rec.last {
		t.Errorf("%s (chunk size %d, writes of %d): no last chunk", rec.name, size, step)
	}
	if want := wantChunks(len(body), size); !equalInts(rec.lens, want) {
		t.Errorf("%s (chunk size %d, writes of %d): chunk sizes %v, want %v", rec.name, size, step, rec.lens, want)
	}
	if w.Size() != int64(len(body)) {
		t.Errorf("%s: Size() = %d, want %d", rec.name, w.Size(), len(body))
	}
	if got, want := w.EightBit(), has8bit(body); got != want {
		t.Errorf("%s: EightBit() = %v, want %v", rec.name, got, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRawChunkWriterReadFrom(t *testing.T) {
	for _, tt := range rawBodies {
		for name, r := range map[string]func() io.Reader{
			"whole":    func() io.Reader { return bytes.NewReader(tt.body) },
			"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(tt.body)) },
			"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(tt.body)) },
		} {
			rec := &rawRecorder{t: t, name: tt.name + " via ReadFrom " + name, size: 100}
			w := wire.NewRawChunkWriter(100, rec.emit)
			n, err := w.ReadFrom(r())
			if n != int64(len(tt.body)) || err != nil {
				t.Fatalf("%s: ReadFrom = %d, %v; want %d, nil", rec.name, n, err, len(tt.body))
			}
			if err := w.Close(); err != nil {
				t.Fatalf("%s: Close = %v", rec.name, err)
			}
			checkRaw(t, rec, w, tt.body, 100, 0)
		}
	}
}

// TestRawChunkWriterReadFromError: an error from the reader is returned as
// is and is not sticky.
func TestRawChunkWriterReadFromError(t *testing.T) {
	boom := errors.New("boom")
	rec := &rawRecorder{t: t, name: "read error", size: 4}
	w := wire.NewRawChunkWriter(4, rec.emit)
	r := io.MultiReader(strings.NewReader("a\x00\rb"), iotest.ErrReader(boom))
	if n, err := w.ReadFrom(r); n != 4 || !errors.Is(err, boom) {
		t.Fatalf("ReadFrom = %d, %v; want 4, %v", n, err, boom)
	}
	if _, err := w.Write([]byte("\n")); err != nil {
		t.Fatalf("Write after a read error = %v, want nil", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkRaw(t, rec, w, []byte("a\x00\rb\n"), 4, 0)
}

func TestRawChunkWriterEmitError(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	w := wire.NewRawChunkWriter(2, func([]byte, bool) error {
		calls++
		return boom
	})
	if n, err := w.Write([]byte("\x00\r\n.\r\n")); n != 2 || !errors.Is(err, boom) {
		t.Errorf("Write = %d, %v; want 2, %v", n, err, boom)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, boom) {
		t.Errorf("Write after the error = %v, want %v (sticky)", err, boom)
	}
	if err := w.Close(); !errors.Is(err, boom) {
		t.Errorf("Close = %v, want %v", err, boom)
	}
	if calls != 1 {
		t.Errorf("emit called %d times, want 1 (the error is sticky)", calls)
	}
	if w.Size() != 2 {
		t.Errorf("Size() = %d, want 2 (the octets consumed)", w.Size())
	}
}

func TestRawChunkWriterClosed(t *testing.T) {
	w := wire.NewRawChunkWriter(4, func([]byte, bool) error { return nil })
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("a")); !errors.Is(err, wire.ErrClosed) {
		t.Errorf("Write after Close = %v, want %v", err, wire.ErrClosed)
	}
	if err := w.Close(); !errors.Is(err, wire.ErrClosed) {
		t.Errorf("second Close = %v, want %v", err, wire.ErrClosed)
	}
}

// TestChunkWriterMode: Reset keeps the mode, SetRaw changes it.
func TestChunkWriterMode(t *testing.T) {
	const body = "a\rb\x00"
	var c chunks
	w := wire.NewRawChunkWriter(100, c.emit)
	steps := []struct {
		do      func()
		raw     bool
		want    string
		wantErr bool
	}{
		{func() {}, true, "4:a\rb\x00 LAST", false},
		{func() { w.Reset(c.emit) }, true, "4:a\rb\x00 LAST", false},
		{func() { w.SetRaw(false) }, false, "", true},
		{func() { w.Reset(c.emit) }, false, "", true},
		{func() { w.SetRaw(true) }, true, "4:a\rb\x00 LAST", false},
	}
	for i, s := range steps {
		c.got = nil
		s.do()
		if w.Raw() != s.raw {
			t.Errorf("step %d: Raw() = %v, want %v", i, w.Raw(), s.raw)
		}
		_, err := w.Write([]byte(body))
		if err == nil {
			err = w.Close()
		}
		if be, ok := errors.AsType[*wire.BodyError](err); s.wantErr != ok {
			t.Errorf("step %d (raw %v): Write(%q) = %v; want a BodyError: %v", i, s.raw, body, err, s.wantErr)
		} else if ok && be.Kind != wire.BodyNUL {
			t.Errorf("step %d: error kind %v, want %v", i, be.Kind, wire.BodyNUL)
		}
		if got := strings.Join(c.got, "|"); got != s.want {
			t.Errorf("step %d (raw %v): chunks %q, want %q", i, s.raw, got, s.want)
		}
	}
}

func TestRawChunkWriterAllocs(t *testing.T) {
	msg := bytes.Repeat(allOctets(), 1<<10) // 256 KiB
	var n int
	emit := func(b []byte, _ bool) error { n += len(b); return nil }
	w := wire.NewRawChunkWriter(64<<10, emit)
	r := bytes.NewReader(msg)
	w.ReadFrom(r) // allocates the ReadFrom buffer once
	var err error
	keep := func(e error) {
		if err == nil {
			err = e
		}
	}
	allocs := testing.AllocsPerRun(10, func() {
		n, err = 0, nil
		w.Reset(emit)
		for p := msg; len(p) > 0; p = p[min(len(p), 1000):] {
			_, e := w.Write(p[:min(len(p), 1000)])
			keep(e)
		}
		keep(w.Close())
		w.Reset(emit)
		r.Reset(msg)
		_, e := w.ReadFrom(r)
		keep(e)
		keep(w.Close())
	})
	if allocs != 0 {
		t.Errorf("raw ChunkWriter: %v allocations per message, want 0", allocs)
	}
	// Zero allocations count only if both copies went through.
	if err != nil || n != 2*len(msg) {
		t.Errorf("raw ChunkWriter, a %d-octet message by Write then by ReadFrom: emitted %d octets, error %v; want %d, nil", len(msg), n, err, 2*len(msg))
	}
}

// FuzzRawChunkWriter: whatever the body, the chunk size and the way it is
// split into writes, a raw ChunkWriter emits the body unchanged, in chunks
// of exactly the chunk size but the last.
func FuzzRawChunkWriter(f *testing.F) {
	for _, tt := range rawBodies {
		f.Add(tt.body, []byte{}, uint8(7))
		f.Add(tt.body, []byte{1, 0, 2, 1}, uint8(3))
	}
	f.Fuzz(func(t *testing.T, data, cuts []byte, size uint8) {
		s := int(size%64) + 1
		rec := &rawRecorder{t: t, name: "raw", size: s}
		w := wire.NewRawChunkWriter(s, rec.emit)
		for _, p := range split(data, cuts) {
			if n, err := w.Write(p); n != len(p) || err != nil {
				t.Fatalf("Write(%q) = %d, %v", p, n, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close = %v", err)
		}
		checkRaw(t, rec, w, data, s, len(cuts))
	})
}

func BenchmarkRawChunkWriter(b *testing.B) {
	msg := typicalMessage(1<<20, "\r\n")
	emit := func([]byte, bool) error { return nil }
	w := wire.NewRawChunkWriter(0, emit)
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
