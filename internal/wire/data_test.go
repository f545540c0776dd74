package wire_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/seed-e4e66a4f/smtp/internal/wire"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// writeAll writes each part with its own Write call, then closes.
func writeAll(w io.WriteCloser, parts []string) error {
	for _, p := range parts {
		if _, err := w.Write([]byte(p)); err != nil {
			return err
		}
	}
	return w.Close()
}

func TestDataWriter(t *testing.T) {
	tests := []struct {
		parts []string // one Write each
		want  string
	}{
		{nil, ".\r\n"},
		{[]string{""}, ".\r\n"},
		{[]string{"a"}, "a\r\n.\r\n"},
		{[]string{"a\r\n"}, "a\r\n.\r\n"},
		{[]string{"a\n"}, "a\r\n.\r\n"},
		{[]string{"a\r"}, "a\r\n.\r\n"},
		{[]string{"a\r\nb\r\n"}, "a\r\nb\r\n.\r\n"},
		{[]string{"a\nb\rc\r\nd"}, "a\r\nb\r\nc\r\nd\r\n.\r\n"},
		{[]string{"a\r\r\nb"}, "a\r\n\r\nb\r\n.\r\n"},
		{[]string{"a\n\rb"}, "a\r\n\r\nb\r\n.\r\n"},
		{[]string{"a\n\n"}, "a\r\n\r\n.\r\n"},
		{[]string{"\r\n"}, "\r\n.\r\n"},

		// Dot-stuffing.
		{[]string{"."}, "..\r\n.\r\n"},
		{[]string{".\r\n"}, "..\r\n.\r\n"},
		{[]string{"..x\r\n"}, "...x\r\n.\r\n"},
		{[]string{"x.\r\n.y\r\n"}, "x.\r\n..y\r\n.\r\n"},
		{[]string{"a\r\n.\r\nb"}, "a\r\n..\r\nb\r\n.\r\n"},

		// SMTP smuggling shapes: none may end the data early.
		{[]string{"a\n.\nb"}, "a\r\n..\r\nb\r\n.\r\n"},
		{[]string{"a\r.\rb"}, "a\r\n..\r\nb\r\n.\r\n"},
		{[]string{"a\r\n.\rb"}, "a\r\n..\r\nb\r\n.\r\n"},
		{[]string{"a\n.\r\nb"}, "a\r\n..\r\nb\r\n.\r\n"},
		{[]string{"a\r.\r\nb"}, "a\r\n..\r\nb\r\n.\r\n"},
		{[]string{"a\r\n.\nb"}, "a\r\n..\r\nb\r\n.\r\n"},
		{[]string{"\n.\n"}, "\r\n..\r\n.\r\n"},
		{[]string{"\r.\r"}, "\r\n..\r\n.\r\n"},

		// Line endings and dots split across writes.
		{[]string{"a\r", "\nb"}, "a\r\nb\r\n.\r\n"},
		{[]string{"a\r", "", "\nb"}, "a\r\nb\r\n.\r\n"},
		{[]string{"a\r", "\r\n"}, "a\r\n\r\n.\r\n"},
		{[]string{"a\r", "\n", "\n"}, "a\r\n\r\n.\r\n"},
		{[]string{"a\r", ".b"}, "a\r\n..b\r\n.\r\n"},
		{[]string{"a\r", "\n.", "\r", "\n"}, "a\r\n..\r\n.\r\n"},
		{[]string{"a\n", ".", "\n"}, "a\r\n..\r\n.\r\n"},
		{[]string{"a", ".", "\r\n"}, "a.\r\n.\r\n"},
		{[]string{"\r", "\n", "\r", "\n"}, "\r\n\r\n.\r\n"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		w := wire.NewDataWriter(&out)
		if err := writeAll(w, tt.parts); err != nil {
			t.Errorf("writes %q: %v", tt.parts, err)
			continue
		}
		if got := out.String(); got != tt.want {
			t.Errorf("writes %q: got %q, want %q", tt.parts, got, tt.want)
		}
		// The same input in one Write, and one octet at a time through
		// ReadFrom, gives the same output.
		whole := strings.Join(tt.parts, "")
		out.Reset()
		w.Reset(&out)
		if _, err := io.Copy(w, iotest.OneByteReader(strings.NewReader(whole))); err != nil {
			t.Errorf("ReadFrom(%q): %v", whole, err)
		}
		if err := w.Close(); err != nil || out.String() != tt.want {
			t.Errorf("ReadFrom(%q) then Close = %v: got %q, want %q", whole, err, out.String(), tt.want)
		}
	}
}

func TestDataWriterInfo(t *testing.T) {
	tests := []struct {
		body     string
		size     int64
		eightBit bool
	}{
		{"", 0, false},
		{"a", 3, false},
		{"a\nb\n", 6, false},
		{".a\r\n", 4, false}, // stuffed dot not counted
		{"caf\xc3\xa9\r\n", 7, true},
		{strings.Repeat("x", 100) + "\x80", 103, true},
		{"\x7f\x01", 4, false},
	}
	for _, tt := range tests {
		w := wire.NewDataWriter(io.Discard)
		if err := writeAll(w, []string{tt.body}); err != nil {
			t.Fatalf("body %q: %v", tt.body, err)
		}
		if got := w.Size(); got != tt.size {
			t.Errorf("body %q: Size() = %d, want %d", tt.body, got, tt.size)
		}
		if got := w.EightBit(); got != tt.eightBit {
			t.Errorf("body %q: EightBit() = %v, want %v", tt.body, got, tt.eightBit)
		}
		info, err := wire.Check([]byte(tt.body))
		if err != nil || info.Size != tt.size || info.EightBit != tt.eightBit {
			t.Errorf("Check(%q) = %+v, %v; want Size %d, EightBit %v", tt.body, info, err, tt.size, tt.eightBit)
		}
	}
}

func TestBodyErrors(t *testing.T) {
	long := strings.Repeat("x", wire.MaxLineLength)
	tests := []struct {
		name    string
		parts   []string
		kind    wire.BodyErrorKind
		line    int
		offset  int64
		written string // output when the error is returned
	}{
		{"NUL", []string{"ab\x00c"}, wire.BodyNUL, 1, 2, "ab"},
		{"NUL line 3", []string{"a\nb\r\n\x00"}, wire.BodyNUL, 3, 5, "a\r\nb\r\n"},
		{"NUL second write", []string{"ab\r", "\n\x00"}, wire.BodyNUL, 2, 4, "ab\r\n"},
		{"999 octets", []string{long + "y\r\n"}, wire.BodyLineTooLong, 1, 998, long},
		{"999 split", []string{long[:500], long[500:] + "y"}, wire.BodyLineTooLong, 1, 998, long},
		{"long line 2", []string{"a\n" + long + "yy"}, wire.BodyLineTooLong, 2, 1000, "a\r\n" + long},
		{"NUL after long", []string{long + "y\x00"}, wire.BodyLineTooLong, 1, 998, long},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			w := wire.NewDataWriter(&out)
			err := writeAll(w, tt.parts)
			be, ok := errors.AsType[*wire.BodyError](err)
			if !ok || be.Kind != tt.kind || be.Line != tt.line || be.Offset != tt.offset {
				t.Fatalf("writes %.60q: error %v (%+v), want %v on line %d at offset %d", tt.parts, err, be, tt.kind, tt.line, tt.offset)
			}
			if got := out.String(); got != tt.written {
				t.Errorf("writes %.60q: wrote %.60q, want %.60q", tt.parts, got, tt.written)
			}
			if got := reply.RetryFor(err); got != reply.RetryNever {
				t.Errorf("RetryFor(%v) = %v, want %v", err, got, reply.RetryNever)
			}
			// Sticky: nothing more is written, Close does not terminate.
			if n, err2 := w.Write([]byte("more\r\n")); n != 0 || err2 != err {
				t.Errorf("Write after error = %d, %v; want 0, %v", n, err2, err)
			}
			if err2 := w.Close(); err2 != err {
				t.Errorf("Close after error = %v, want %v", err2, err)
			}
			if got := out.String(); got != tt.written {
				t.Errorf("after the error the output grew to %.60q", got)
			}
			// Check and ChunkWriter agree.
			whole := []byte(strings.Join(tt.parts, ""))
			if _, cerr := wire.Check(whole); !sameBodyError(cerr, be) {
				t.Errorf("Check = %v, want %v", cerr, be)
			}
			cw := wire.NewChunkWriter(16, func([]byte, bool) error { return nil })
			if cerr := writeAll(cw, tt.parts); !sameBodyError(cerr, be) {
				t.Errorf("ChunkWriter = %v, want %v", cerr, be)
			}
		})
	}
}

// BodyError gives its own retry advice to reply.RetryFor.
var _ interface{ Retry() reply.Retry } = (*wire.BodyError)(nil)

func sameBodyError(err error, want *wire.BodyError) bool {
	be, ok := errors.AsType[*wire.BodyError](err)
	return ok && *be == *want
}

func TestBodyErrorText(t *testing.T) {
	tests := []struct {
		err  *wire.BodyError
		want string
	}{
		{&wire.BodyError{Kind: wire.BodyNUL, Line: 3, Offset: 57}, "smtp: message body: NUL octet on line 3 (offset 57)"},
		{&wire.BodyError{Kind: wire.BodyLineTooLong, Line: 7, Offset: 9000}, "smtp: message body: line 7 longer than 998 octets"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q, want %q", *tt.err, got, tt.want)
		}
	}
}

// failWriter accepts limit octets, then fails.
type failWriter struct {
	limit int
	buf   bytes.Buffer
}

var errBroken = errors.New("broken pipe")

func (f *failWriter) Write(p []byte) (int, error) {
	if room := f.limit - f.buf.Len(); len(p) > room {
		f.buf.Write(p[:room])
		return room, errBroken
	}
	return f.buf.Write(p)
}

func TestWriteErrorIsSticky(t *testing.T) {
	for limit := 0; limit < 12; limit++ {
		f := &failWriter{limit: limit}
		w := wire.NewDataWriter(f)
		err := writeAll(w, []string{"ab\nc", "d\r", "\n.e"})
		if !errors.Is(err, errBroken) {
			t.Errorf("limit %d: error %v, want %v", limit, err, errBroken)
		}
		if _, err := w.Write([]byte("x")); !errors.Is(err, errBroken) {
			t.Errorf("limit %d: Write after failure: %v, want %v", limit, err, errBroken)
		}
		if err := w.Close(); !errors.Is(err, errBroken) {
			t.Errorf("limit %d: Close after failure: %v, want %v", limit, err, errBroken)
		}
		if f.buf.Len() > limit {
			t.Errorf("limit %d: %d octets written", limit, f.buf.Len())
		}
	}
}

func TestClosed(t *testing.T) {
	var out bytes.Buffer
	w := wire.NewDataWriter(&out)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, wire.ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	if err := w.Close(); !errors.Is(err, wire.ErrClosed) {
		t.Errorf("second Close: %v, want ErrClosed", err)
	}
	if out.String() != ".\r\n" {
		t.Errorf("output %q, want one terminator", out.String())
	}
	w.Reset(&out)
	if err := writeAll(w, []string{"again"}); err != nil {
		t.Errorf("after Reset: %v", err)
	}
}

func TestDataWriterAllocs(t *testing.T) {
	msg := typicalMessage(64<<10, "\r\n")
	bw := bufio.NewWriter(io.Discard)
	w := wire.NewDataWriter(bw)
	// Zero allocations count only if the message went through: the last
	// run's error and size are checked after each measure.
	want, _ := wire.Check(msg)
	var err error
	keep := func(e error) {
		if err == nil {
			err = e
		}
	}
	allocs := testing.AllocsPerRun(20, func() {
		err = nil
		w.Reset(bw)
		for p := msg; len(p) > 0; p = p[min(len(p), 4096):] {
			_, e := w.Write(p[:min(len(p), 4096)])
			keep(e)
		}
		keep(w.Close())
	})
	if allocs != 0 {
		t.Errorf("a 64 KiB message in 4 KiB writes: %v allocations, want 0", allocs)
	}
	if err != nil || w.Size() != want.Size {
		t.Errorf("a 64 KiB message in 4 KiB writes: Size() = %d, error %v; want %d, nil", w.Size(), err, want.Size)
	}
	r := bytes.NewReader(msg)
	w.ReadFrom(r) // allocates the ReadFrom buffer once
	allocs = testing.AllocsPerRun(20, func() {
		err = nil
		w.Reset(bw)
		r.Reset(msg)
		_, e := w.ReadFrom(r)
		keep(e)
		keep(w.Close())
	})
	if allocs != 0 {
		t.Errorf("ReadFrom a 64 KiB message: %v allocations, want 0", allocs)
	}
	if err != nil || w.Size() != want.Size {
		t.Errorf("ReadFrom a 64 KiB message: Size() = %d, error %v; want %d, nil", w.Size(), err, want.Size)
	}
}
