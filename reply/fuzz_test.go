package reply

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

func FuzzReadReply(f *testing.F) {
	for _, tt := range readTests {
		f.Add([]byte(tt.in))
	}
	for _, tt := range realReplies {
		f.Add([]byte(tt.wire))
	}
	f.Add([]byte("250 OK\r\n250 next\r\n"))
	f.Add([]byte("250-a\r\n250-b\r\n250-c\r\n250-d\r\n250-e\r\n250-f\r\n250-g\r\n250-h\r\n250 i\r\n"))
	f.Add([]byte("250 " + string(bytes.Repeat([]byte("x"), 100)) + "\r\n"))
	f.Add([]byte("550-5.1.1 a\r\n550-5.1.1\r\n550 5.1.1 5.1.1 b\r\n"))

	small := &Limits{MaxLineLength: 64, MaxLines: 8, MaxReplySize: 256}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, limits := range []*Limits{nil, small} {
			l := limits.withDefaults()
			for _, size := range []int{16, 4096} {
				checkReadReply(t, data, limits, l, size)
			}
		}
	})
}

// checkReadReply reads one reply from data through a bufio.Reader of the
// given size and checks it against the limits and against Parse.
func checkReadReply(t *testing.T, data []byte, limits *Limits, l Limits, size int) {
	src := bytes.NewReader(data)
	br := bufio.NewReaderSize(src, size)
	r := NewReader(br, limits)
	got := New(CodeOK, EnhancedCode{}, "stale")
	err := r.ReadReply(&got)
	consumed := len(data) - src.Len() - br.Buffered()
	parsed, perr := Parse(data, limits)

	if err != nil {
		if got.Code != 0 || got.lines != 0 || len(got.text) != 0 {
			t.Fatalf("ReadReply(%q) = %q with error %v, want an empty reply", data, got.String(), err)
		}
		if err == io.EOF {
			if len(data) != 0 {
				t.Fatalf("ReadReply(%q) = io.EOF, want it only for empty input", data)
			}
			return
		}
		pe, ok := errors.AsType[*ProtocolError](err)
		if !ok {
			t.Fatalf("ReadReply(%q) error = %v, want a *ProtocolError", data, err)
		}
		// Parse agrees on the first violation.
		ppe, ok := errors.AsType[*ProtocolError](perr)
		if !ok || ppe.Kind != pe.Kind || ppe.Line != pe.Line {
			t.Fatalf("ReadReply(%q) error = %v, but Parse error = %v", data, err, perr)
		}
		if consumed > l.MaxReplySize+size {
			t.Fatalf("ReadReply(%q) read %d bytes before failing, limits %+v", data, consumed, l)
		}
		return
	}

	// Limits hold.
	lines := got.Lines()
	if len(lines) == 0 || len(lines) > l.MaxLines || consumed > l.MaxReplySize || len(got.text) > l.MaxReplySize {
		t.Fatalf("ReadReply(%q) = %d lines from %d bytes, limits %+v", data, len(lines), consumed, l)
	}
	for _, line := range lines {
		if len(line) > l.MaxLineLength-len("250\n") {
			t.Fatalf("ReadReply(%q) line %q longer than %d", data, line, l.MaxLineLength)
		}
	}
	if !got.Code.Valid() || (!got.Enhanced.IsZero() && (!got.Enhanced.Valid() || got.Enhanced.Class != got.Class())) {
		t.Fatalf("ReadReply(%q) = code %d, enhanced %#v", data, got.Code, got.Enhanced)
	}
	// Nothing beyond the reply was consumed: the reply is the consumed
	// bytes, exactly.
	if consumed == 0 || data[consumed-1] != '\n' {
		t.Fatalf("ReadReply(%q) consumed %d bytes, not ending a line", data, consumed)
	}
	exact, err := Parse(data[:consumed], limits)
	if err != nil || !sameReply(exact, got) {
		t.Fatalf("ReadReply(%q) = %q, but Parse(first %d bytes) = %q, %v", data, got.String(), consumed, exact.String(), err)
	}
	if consumed < len(data) {
		pe, ok := errors.AsType[*ProtocolError](perr)
		if !ok || pe.Kind != ViolationTrailingData || pe.Line != len(lines)+1 {
			t.Fatalf("Parse(%q) error = %v, want trailing data on line %d", data, perr, len(lines)+1)
		}
	} else if perr != nil || !sameReply(parsed, got) {
		t.Fatalf("ReadReply(%q) = %q, but Parse = %q, %v", data, got.String(), parsed.String(), perr)
	}

	// String is safe to print.
	if s := got.String(); !safeString(s) {
		t.Fatalf("String() of %q = %q has control bytes or invalid UTF-8", data, s)
	}

	// Parse → AppendWire → Parse is stable. The wire form may be longer
	// than the input (the enhanced code is repeated on every line), so the
	// second parse has room for it.
	wire := got.AppendWire(nil)
	roomy := &Limits{MaxLineLength: l.MaxLineLength + 16, MaxLines: l.MaxLines, MaxReplySize: l.MaxReplySize + 16*l.MaxLines}
	again, err := Parse(wire, roomy)
	if err != nil || !sameReply(again, got) {
		t.Fatalf("Parse(AppendWire(Parse(%q))) = Parse(%q) = %q, %v; want %q", data, wire, again.String(), err, got.String())
	}
	if wire2 := again.AppendWire(nil); !bytes.Equal(wire2, wire) {
		t.Fatalf("AppendWire not stable for %q: %q then %q", data, wire, wire2)
	}
}

func sameReply(a, b Reply) bool {
	return a.Code == b.Code && a.Enhanced == b.Enhanced && slices.Equal(a.Lines(), b.Lines())
}

var enhancedSyntax = regexp.MustCompile(`^([245])\.([0-9]{1,3})\.([0-9]{1,3})$`)

func FuzzParseEnhancedCode(f *testing.F) {
	for _, s := range []string{"2.0.0", "5.7.139", "4.7.500", "5.01.001", "5.8.0", "3.1.1", "5.1.1000",
		"5.1.1 ", "", "5..1", "5.1", "4.7.1.", "９.1.1", "2.0.0\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseEnhancedCode(s)
		// An independent reading of RFC 3463's syntax.
		var want EnhancedCode
		if m := enhancedSyntax.FindStringSubmatch(s); m != nil {
			c, _ := strconv.Atoi(m[1])
			sub, _ := strconv.Atoi(m[2])
			d, _ := strconv.Atoi(m[3])
			if sub <= 7 {
				want = EnhancedCode{Class(c), Subject(sub), uint16(d)}
			}
		}
		if want.IsZero() {
			if pe, ok := errors.AsType[*ProtocolError](err); !ok || pe.Kind != ViolationBadEnhancedCode || !got.IsZero() {
				t.Fatalf("ParseEnhancedCode(%q) = %#v, %v; want an error", s, got, err)
			}
			return
		}
		if err != nil || got != want || !got.Valid() {
			t.Fatalf("ParseEnhancedCode(%q) = %#v, %v; want %#v", s, got, err, want)
		}
		if back, err := ParseEnhancedCode(got.String()); err != nil || back != got {
			t.Fatalf("ParseEnhancedCode(%q) = %#v, %v; want %#v", got.String(), back, err, got)
		}
	})
}
