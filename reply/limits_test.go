package reply

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLimits(t *testing.T) {
	line := func(sep string, n int) string { // a line of n bytes including CRLF
		return "250" + sep + strings.Repeat("x", n-6) + "\r\n"
	}
	lines := func(n int) string { return strings.Repeat("250-x\r\n", n-1) + "250 x\r\n" }
	tests := []struct {
		name   string
		in     string
		limits *Limits
		kind   Violation // 0: no error
		line   int
	}{
		{"default line length", line(" ", 2048), nil, 0, 0},
		{"line too long", line(" ", 2049), nil, ViolationLineTooLong, 1},
		{"second line too long", "250-a\r\n" + line(" ", 2049), nil, ViolationLineTooLong, 2},
		{"bare LF line length", "250 " + strings.Repeat("x", 2043) + "\n", nil, 0, 0},
		{"bare LF line too long", "250 " + strings.Repeat("x", 2044) + "\n", nil, ViolationLineTooLong, 1},
		{"long line at EOF", "250 " + strings.Repeat("x", 3000), nil, ViolationLineTooLong, 1},
		{"huge line", line(" ", 1<<20), nil, ViolationLineTooLong, 1},
		{"small line limit", "250 abc\r\n", &Limits{MaxLineLength: 8}, ViolationLineTooLong, 1},
		{"small line limit fits", "250 ab\r\n", &Limits{MaxLineLength: 8}, 0, 0},
		{"default lines", lines(256), nil, 0, 0},
		{"too many lines", lines(257), nil, ViolationTooManyLines, 257},
		{"max lines 1", "250-a\r\n250 b\r\n", &Limits{MaxLines: 1}, ViolationTooManyLines, 2},
		{"max lines 2", "250-a\r\n250 b\r\n", &Limits{MaxLines: 2}, 0, 0},
		{"reply size fits", lines(10), &Limits{MaxReplySize: 70}, 0, 0},
		{"reply too large", lines(11), &Limits{MaxReplySize: 76}, ViolationReplyTooLarge, 11},
		{"default reply size", strings.Repeat(line("-", 2048), 31) + line(" ", 2048), nil, 0, 0},
		{"default reply too large", strings.Repeat(line("-", 2048), 32) + line(" ", 2048), nil, ViolationReplyTooLarge, 33},
		{"negative means default", line(" ", 2048), &Limits{MaxLineLength: -1, MaxLines: -1, MaxReplySize: -1}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(fn string, err error) {
				t.Helper()
				if tt.kind == 0 {
					if err != nil {
						t.Errorf("%s(%.40q..., %+v) error = %v, want nil", fn, tt.in, tt.limits, err)
					}
					return
				}
				pe, ok := errors.AsType[*ProtocolError](err)
				if !ok || pe.Kind != tt.kind || pe.Line != tt.line {
					t.Errorf("%s(%.40q..., %+v) error = %v, want %v on line %d", fn, tt.in, tt.limits, err, tt.kind, tt.line)
				}
			}
			_, err := Parse([]byte(tt.in), tt.limits)
			check("Parse", err)
			for _, size := range []int{16, 4096, 1 << 17} {
				var got Reply
				br := bufio.NewReaderSize(strings.NewReader(tt.in), size)
				err := NewReader(br, tt.limits).ReadReply(&got)
				check("ReadReply", err)
				if err == nil && len(got.text) > 65536 {
					t.Errorf("ReadReply kept %d bytes of text", len(got.text))
				}
			}
		})
	}
}

func TestLongLineDiscarded(t *testing.T) {
	// An over-long line is consumed up to its line ending and reported;
	// the bytes after it are still there to read.
	long := "250 " + strings.Repeat("x", 10000) + "\r\n"
	for _, size := range []int{16, 4096} {
		br := bufio.NewReaderSize(strings.NewReader(long+"250 next\r\n"), size)
		r := NewReader(br, nil)
		var got Reply
		err := r.ReadReply(&got)
		if pe, ok := errors.AsType[*ProtocolError](err); !ok || pe.Kind != ViolationLineTooLong {
			t.Fatalf("bufio size %d: ReadReply(10000-byte line) error = %v, want %v", size, err, ViolationLineTooLong)
		}
		if cap(r.scratch) > 2048 || cap(got.text) > 2048 {
			t.Errorf("bufio size %d: reader kept %d+%d bytes for a long line, want at most 2048", size, cap(r.scratch), cap(got.text))
		}
		if err := r.ReadReply(&got); err != nil || got.Text() != "next" {
			t.Errorf("bufio size %d: ReadReply after long line = %q, %v; want \"next\", nil", size, got.Text(), err)
		}
	}
}

func TestLongLineDiscardBounded(t *testing.T) {
	// Discarding stops at the reply size limit: a server that streams an
	// endless line is not read forever.
	endless := io.MultiReader(strings.NewReader("250 "), infinite('x'))
	br := bufio.NewReaderSize(endless, 4096)
	var got Reply
	err := NewReader(br, &Limits{MaxReplySize: 100000}).ReadReply(&got)
	if pe, ok := errors.AsType[*ProtocolError](err); !ok || pe.Kind != ViolationLineTooLong {
		t.Fatalf("ReadReply(endless line) error = %v, want %v", err, ViolationLineTooLong)
	}
}

func TestLongLineDiscardIOError(t *testing.T) {
	// A timeout while an over-long line is discarded is reported as the
	// violation, with the timeout as its cause.
	src := io.MultiReader(strings.NewReader("250 "+strings.Repeat("x", 5000)), iotest.ErrReader(os.ErrDeadlineExceeded))
	var got Reply
	err := NewReader(bufio.NewReaderSize(src, 1024), nil).ReadReply(&got)
	if pe, ok := errors.AsType[*ProtocolError](err); !ok || pe.Kind != ViolationLineTooLong {
		t.Errorf("ReadReply error = %v, want %v", err, ViolationLineTooLong)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("ReadReply error = %v, want it to wrap os.ErrDeadlineExceeded", err)
	}
}

// infinite is an endless stream of one byte.
type infinite byte

func (b infinite) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}
