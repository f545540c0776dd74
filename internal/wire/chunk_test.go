package wire_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/internal/wire"
)

// chunks records what a ChunkWriter emits as "BDAT"-like strings.
type chunks struct{ got []string }

func (c *chunks) emit(b []byte, last bool) error {
	s := fmt.Sprintf("%d:%s", len(b), b)
	if last {
		s += " LAST"
	}
	c.got = append(c.got, s)
	return nil
}

func TestChunkWriter(t *testing.T) {
	tests := []struct {
		size  int
		parts []string
		want  []string
	}{
		{4, nil, []string{"0: LAST"}},
		{4, []string{"ab\r\n"}, []string{"4:ab\r\n LAST"}},
		{4, []string{"abc"}, []string{"4:abc\r", "1:\n LAST"}},
		{4, []string{"a\nb\n"}, []string{"4:a\r\nb", "2:\r\n LAST"}},
		{4, []string{".x\r", "\n.\n"}, []string{"4:.x\r\n", "3:.\r\n LAST"}}, // no dot-stuffing
		{3, []string{"a\r", "\nb\rc"}, []string{"3:a\r\n", "3:b\r\n", "3:c\r\n LAST"}},
		{100, []string{"x\n.\ny"}, []string{"9:x\r\n.\r\ny\r\n LAST"}},
	}
	for _, tt := range tests {
		var c chunks
		w := wire.NewChunkWriter(tt.size, c.emit)
		if err := writeAll(w, tt.parts); err != nil {
			t.Errorf("size %d, writes %q: %v", tt.size, tt.parts, err)
			continue
		}
		if strings.Join(c.got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("size %d, writes %q: chunks %q, want %q", tt.size, tt.parts, c.got, tt.want)
		}
	}
}

func TestChunkWriterEmitError(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	w := wire.NewChunkWriter(2, func([]byte, bool) error {
		calls++
		return boom
	})
	if _, err := w.Write([]byte("abcdef")); !errors.Is(err, boom) {
		t.Errorf("Write = %v, want %v", err, boom)
	}
	if err := w.Close(); !errors.Is(err, boom) {
		t.Errorf("Close = %v, want %v", err, boom)
	}
	if calls != 1 {
		t.Errorf("emit called %d times, want 1 (the error is sticky)", calls)
	}

	// Reset clears the error and keeps the chunk size.
	var c chunks
	w.Reset(c.emit)
	if err := writeAll(w, []string{"abc"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"2:ab", "2:c\r", "1:\n LAST"}; strings.Join(c.got, "|") != strings.Join(want, "|") {
		t.Errorf("after Reset: chunks %q, want %q", c.got, want)
	}
	if w.Size() != 5 {
		t.Errorf("Size() = %d, want 5", w.Size())
	}
}

func TestChunkWriterAllocs(t *testing.T) {
	msg := typicalMessage(256<<10, "\n")
	var n int
	emit := func(b []byte, last bool) error { n += len(b); return nil }
	w := wire.NewChunkWriter(64<<10, emit)
	var err error
	allocs := testing.AllocsPerRun(10, func() {
		n = 0
		w.Reset(emit)
		_, err = w.Write(msg)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	})
	if allocs != 0 {
		t.Errorf("ChunkWriter: %v allocations per message, want 0", allocs)
	}
	// Zero allocations count only if the message went through.
	if info, _ := wire.Check(msg); err != nil || int64(n) != info.Size {
		t.Errorf("ChunkWriter of a %d-octet message: emitted %d octets, error %v; want %d, nil", len(msg), n, err, info.Size)
	}
}
