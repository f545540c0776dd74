package reply

import (
	"bufio"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// readTest is one input for both Reader.ReadReply and Parse.
type readTest struct {
	name  string
	in    string
	code  Code
	enh   EnhancedCode
	lines []string  // nil when an error is expected
	kind  Violation // expected ProtocolError kind, 0 for success
	line  int       // expected ProtocolError line
}

func enh(c Class, s Subject, d uint16) EnhancedCode { return EnhancedCode{c, s, d} }

var readTests = []readTest{
	// Well-formed replies.
	{name: "one line", in: "250 OK\r\n", code: 250, lines: []string{"OK"}},
	{name: "no text", in: "250\r\n", code: 250, lines: []string{""}},
	{name: "empty text", in: "250 \r\n", code: 250, lines: []string{""}},
	{name: "bare LF", in: "250 OK\n", code: 250, lines: []string{"OK"}},
	{name: "bare LF multi", in: "250-a\n250 b\n", code: 250, lines: []string{"a", "b"}},
	{name: "mixed endings", in: "250-a\r\n250-b\n250 c\r\n", code: 250, lines: []string{"a", "b", "c"}},
	{name: "bare CR is text", in: "250 a\rb\r\n", code: 250, lines: []string{"a\rb"}},
	{name: "CR CR LF keeps one CR", in: "250 a\r\r\n", code: 250, lines: []string{"a\r"}},
	{name: "CR only at end before LF", in: "250 \r\n", code: 250, lines: []string{""}},
	{name: "control bytes kept", in: "250 a\x00\x1b[31mb\r\n", code: 250, lines: []string{"a\x00\x1b[31mb"}},
	{name: "invalid UTF-8 kept", in: "250 \xff\xfe\r\n", code: 250, lines: []string{"\xff\xfe"}},
	{name: "continuation no text", in: "250-\r\n250 x\r\n", code: 250, lines: []string{"", "x"}},
	{name: "final bare code after continuation", in: "250-x\r\n250\r\n", code: 250, lines: []string{"x", ""}},
	{name: "leading space kept", in: "250  two\r\n", code: 250, lines: []string{" two"}},
	{name: "tab kept", in: "250 \tx\r\n", code: 250, lines: []string{"\tx"}},
	{name: "lowest code", in: "200 x\r\n", code: 200, lines: []string{"x"}},
	{name: "highest code", in: "559 x\r\n", code: 559, lines: []string{"x"}},

	// Enhanced status codes.
	{name: "enhanced", in: "250 2.1.0 Ok\r\n", code: 250, enh: enh(2, 1, 0), lines: []string{"Ok"}},
	{name: "enhanced only", in: "250 2.0.0\r\n", code: 250, enh: enh(2, 0, 0), lines: []string{""}},
	{name: "enhanced then space", in: "250 2.0.0 \r\n", code: 250, enh: enh(2, 0, 0), lines: []string{""}},
	{name: "enhanced repeated stripped", in: "550-5.1.1 a\r\n550 5.1.1 b\r\n", code: 550, enh: enh(5, 1, 1), lines: []string{"a", "b"}},
	{name: "enhanced not repeated", in: "550-5.1.1 a\r\n550 b\r\n", code: 550, enh: enh(5, 1, 1), lines: []string{"a", "b"}},
	{name: "other enhanced on later line kept", in: "550-5.1.1 a\r\n550 5.1.2 b\r\n", code: 550, enh: enh(5, 1, 1), lines: []string{"a", "5.1.2 b"}},
	{name: "enhanced only on later line is text", in: "550-a\r\n550 5.1.1 b\r\n", code: 550, lines: []string{"a", "5.1.1 b"}},
	{name: "class mismatch is text", in: "250 5.1.1 foo\r\n", code: 250, lines: []string{"5.1.1 foo"}},
	{name: "class 3 never enhanced", in: "354 3.0.0 go\r\n", code: 354, lines: []string{"3.0.0 go"}},
	{name: "subject out of range", in: "550 5.8.1 x\r\n", code: 550, lines: []string{"5.8.1 x"}},
	{name: "subject four digits", in: "550 5.1000.1 x\r\n", code: 550, lines: []string{"5.1000.1 x"}},
	{name: "detail four digits", in: "550 5.1.1000 x\r\n", code: 550, lines: []string{"5.1.1000 x"}},
	{name: "detail three digits", in: "550 5.7.139 x\r\n", code: 550, enh: enh(5, 7, 139), lines: []string{"x"}},
	{name: "leading zeros", in: "550 5.01.001 x\r\n", code: 550, enh: enh(5, 1, 1), lines: []string{"x"}},
	{name: "enhanced then tab is text", in: "550 5.1.1\tx\r\n", code: 550, lines: []string{"5.1.1\tx"}},
	{name: "enhanced then dot is text", in: "550 5.1.1. x\r\n", code: 550, lines: []string{"5.1.1. x"}},
	{name: "enhanced then CR is text", in: "550 5.1.1\r\r\n", code: 550, lines: []string{"5.1.1\r"}},
	{name: "missing detail", in: "550 5.1. x\r\n", code: 550, lines: []string{"5.1. x"}},
	{name: "enhanced after double space", in: "550  5.1.1 x\r\n", code: 550, lines: []string{" 5.1.1 x"}},
	{name: "repeated twice strips once", in: "250-2.0.0 a\r\n250 2.0.0 2.0.0 b\r\n", code: 250, enh: enh(2, 0, 0), lines: []string{"a", "2.0.0 b"}},

	// Malformed replies.
	{name: "empty line", in: "\r\n", kind: ViolationBadCode, line: 1},
	{name: "two digits", in: "25\r\n", kind: ViolationBadCode, line: 1},
	{name: "code 600", in: "600 x\r\n", kind: ViolationBadCode, line: 1},
	{name: "code 199", in: "199 x\r\n", kind: ViolationBadCode, line: 1},
	{name: "code 260", in: "260 x\r\n", kind: ViolationBadCode, line: 1},
	{name: "code 2x5", in: "2x5 x\r\n", kind: ViolationBadCode, line: 1},
	{name: "code 000", in: "000 x\r\n", kind: ViolationBadCode, line: 1},
	{name: "letters", in: "abc\r\n", kind: ViolationBadCode, line: 1},
	{name: "four digits", in: "2500 x\r\n", kind: ViolationBadSeparator, line: 1},
	{name: "bad separator", in: "250_x\r\n", kind: ViolationBadSeparator, line: 1},
	{name: "tab separator", in: "250\tx\r\n", kind: ViolationBadSeparator, line: 1},
	{name: "CR separator", in: "250\rx\r\n", kind: ViolationBadSeparator, line: 1},
	{name: "code mismatch", in: "250-a\r\n251 b\r\n", kind: ViolationCodeMismatch, line: 2},
	{name: "code mismatch class", in: "250-a\r\n550 b\r\n", kind: ViolationCodeMismatch, line: 2},
	{name: "bad code on line 3", in: "250-a\r\n250-b\r\nxyz c\r\n", kind: ViolationBadCode, line: 3},
	{name: "bad separator on line 2", in: "250-a\r\n250=b\r\n", kind: ViolationBadSeparator, line: 2},
	{name: "EOF mid line", in: "250 O", kind: ViolationUnexpectedEOF, line: 1},
	{name: "final line without CRLF", in: "250 OK", kind: ViolationUnexpectedEOF, line: 1},
	{name: "final line with CR only", in: "250 OK\r", kind: ViolationUnexpectedEOF, line: 1},
	{name: "EOF after continuation", in: "250-a\r\n", kind: ViolationUnexpectedEOF, line: 2},
	{name: "EOF mid second line", in: "250-a\r\n250 b", kind: ViolationUnexpectedEOF, line: 2},
}

// check compares a reply or error with the test's expectations.
func (tt readTest) check(t *testing.T, fn string, got Reply, err error) {
	t.Helper()
	if tt.kind != 0 {
		pe, ok := errors.AsType[*ProtocolError](err)
		if !ok || pe.Kind != tt.kind || pe.Line != tt.line {
			t.Errorf("%s(%q) error = %v, want kind %v line %d", fn, tt.in, err, tt.kind, tt.line)
		}
		if tt.kind == ViolationUnexpectedEOF && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s(%q) error = %v, want it to wrap io.ErrUnexpectedEOF", fn, tt.in, err)
		}
		if got.Code != 0 || got.Lines() != nil {
			t.Errorf("%s(%q) reply = %q after an error, want an empty reply", fn, tt.in, got.String())
		}
		return
	}
	if err != nil {
		t.Fatalf("%s(%q) error = %v, want nil", fn, tt.in, err)
	}
	if got.Code != tt.code || got.Enhanced != tt.enh || !slices.Equal(got.Lines(), tt.lines) {
		t.Errorf("%s(%q) = code %d, enhanced %q, lines %q; want %d, %q, %q",
			fn, tt.in, got.Code, got.Enhanced, got.Lines(), tt.code, tt.enh, tt.lines)
	}
	if want := strings.Join(tt.lines, "\n"); got.Text() != want {
		t.Errorf("%s(%q).Text() = %q, want %q", fn, tt.in, got.Text(), want)
	}
}

func TestReadReply(t *testing.T) {
	for _, tt := range readTests {
		t.Run(tt.name, func(t *testing.T) {
			// Reuse a Reply that already holds text, to check it is reset.
			got := New(CodeMailboxUnavailable, enh(5, 1, 1), "stale", "text")
			r := NewReader(bufio.NewReader(strings.NewReader(tt.in)), nil)
			err := r.ReadReply(&got)
			tt.check(t, "ReadReply", got, err)
		})
	}
}

func TestReadReplyOneByteReads(t *testing.T) {
	// The same inputs, delivered one byte per Read into the smallest
	// bufio.Reader, so that every line crosses buffer boundaries.
	for _, tt := range readTests {
		t.Run(tt.name, func(t *testing.T) {
			var got Reply
			br := bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(tt.in)), 16)
			err := NewReader(br, nil).ReadReply(&got)
			tt.check(t, "ReadReply", got, err)
		})
	}
}

func TestParse(t *testing.T) {
	for _, tt := range readTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in), nil)
			tt.check(t, "Parse", got, err)
		})
	}
}

func TestReadReplyLeavesNextBytes(t *testing.T) {
	// After a reply, the bytes that follow it stay in the bufio.Reader.
	tests := []struct{ in, rest string }{
		{"250 OK\r\n250 next\r\n", "250 next\r\n"},
		{"250-a\r\n250 b\r\nunsolicited", "unsolicited"},
		{"250 OK\nX", "X"},
		{"250\r\n\r\n", "\r\n"},
		{"354 go ahead\r\n", ""},
	}
	for _, tt := range tests {
		br := bufio.NewReader(strings.NewReader(tt.in))
		var got Reply
		if err := NewReader(br, nil).ReadReply(&got); err != nil {
			t.Fatalf("ReadReply(%q) error = %v", tt.in, err)
		}
		if br.Buffered() != len(tt.rest) {
			t.Errorf("ReadReply(%q): %d bytes left buffered, want %d", tt.in, br.Buffered(), len(tt.rest))
		}
		rest, _ := io.ReadAll(br)
		if string(rest) != tt.rest {
			t.Errorf("ReadReply(%q): rest = %q, want %q", tt.in, rest, tt.rest)
		}
	}
}

func TestReadReplySequence(t *testing.T) {
	// Pipelined replies are read one by one into the same Reply; the
	// stream then ends cleanly with io.EOF, unwrapped.
	in := "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
	r := NewReader(bufio.NewReader(strings.NewReader(in)), nil)
	want := []string{"250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>"}
	var got Reply
	for _, w := range want {
		if err := r.ReadReply(&got); err != nil {
			t.Fatalf("ReadReply error = %v, want %q", err, w)
		}
		if got.String() != w {
			t.Errorf("ReadReply = %q, want %q", got.String(), w)
		}
	}
	if err := r.ReadReply(&got); err != io.EOF {
		t.Errorf("ReadReply at end of stream error = %v, want io.EOF itself", err)
	}
}

func TestReadReplyIOError(t *testing.T) {
	// An I/O error, such as a deadline, stays an I/O error: it is wrapped,
	// not turned into a ProtocolError, before or inside a reply.
	for _, in := range []string{"", "250-first line\r\n250 sec"} {
		src := io.MultiReader(strings.NewReader(in), iotest.ErrReader(os.ErrDeadlineExceeded))
		var got Reply
		err := NewReader(bufio.NewReader(src), nil).ReadReply(&got)
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("ReadReply(%q then timeout) error = %v, want os.ErrDeadlineExceeded", in, err)
		}
		if _, ok := errors.AsType[*ProtocolError](err); ok {
			t.Errorf("ReadReply(%q then timeout) error = %v, want no ProtocolError", in, err)
		}
	}
}

func TestReadReplyAllocs(t *testing.T) {
	// Reading into a reused Reply does not allocate, for one-line and
	// multi-line replies, once the Reply has grown.
	for _, wire := range []string{benchOneLine, benchEHLO, "550-5.1.1 a\r\n550 5.1.1 b\r\n"} {
		r := NewReader(bufio.NewReader(newLoop(wire)), nil)
		var got Reply
		if err := r.ReadReply(&got); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(100, func() {
			if err := r.ReadReply(&got); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("ReadReply(%q) into a reused Reply: %v allocations, want 0", wire, allocs)
		}
	}
}
