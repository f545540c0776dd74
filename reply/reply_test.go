package reply

import (
	"errors"
	"slices"
	"testing"
	"unicode/utf8"
)

func TestZeroReply(t *testing.T) {
	var r Reply
	if r.Text() != "" || r.Lines() != nil || r.String() != "" || r.Class() != 0 {
		t.Errorf("zero Reply: Text %q, Lines %q, String %q, Class %v; want \"\", nil, \"\", 0",
			r.Text(), r.Lines(), r.String(), r.Class())
	}
	if got := r.AppendWire([]byte("x")); string(got) != "x" {
		t.Errorf("zero Reply: AppendWire(\"x\") = %q, want \"x\"", got)
	}
	if got := r.AppendText(nil); len(got) != 0 {
		t.Errorf("zero Reply: AppendText(nil) = %q, want empty", got)
	}
	if c := r.Clone(); c.Lines() != nil || c.text != nil {
		t.Errorf("zero Reply: Clone().Lines() = %q, want nil", c.Lines())
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name  string
		r     Reply
		lines []string
		text  string
		wire  string
		str   string
	}{
		{"no lines", New(CodeOK, EnhancedCode{}), []string{""}, "", "250\r\n", "250"},
		{"one empty line", New(CodeOK, EnhancedCode{}, ""), []string{""}, "", "250\r\n", "250"},
		{"enhanced no text", New(CodeOK, enh(2, 0, 0)), []string{""}, "", "250 2.0.0\r\n", "250 2.0.0"},
		{"one line", New(CodeOK, EnhancedCode{}, "OK"), []string{"OK"}, "OK", "250 OK\r\n", "250 OK"},
		{"enhanced", New(CodeAuthRequired, enh(5, 7, 0), "Authentication required"),
			[]string{"Authentication required"}, "Authentication required",
			"530 5.7.0 Authentication required\r\n", "530 5.7.0 Authentication required"},
		{"multi", New(CodeOK, EnhancedCode{}, "mx.example", "PIPELINING", "SIZE 100"),
			[]string{"mx.example", "PIPELINING", "SIZE 100"}, "mx.example\nPIPELINING\nSIZE 100",
			"250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n", `250 mx.example\nPIPELINING\nSIZE 100`},
		{"multi enhanced", New(CodeMailboxUnavailable, enh(5, 1, 1), "a", "", "b"),
			[]string{"a", "", "b"}, "a\n\nb",
			"550-5.1.1 a\r\n550-5.1.1\r\n550 5.1.1 b\r\n", `550 5.1.1 a\n\nb`},
		{"empty continuation", New(CodeOK, EnhancedCode{}, "", "x"), []string{"", "x"}, "\nx",
			"250-\r\n250 x\r\n", `250 \nx`},
		{"newline splits", New(CodeOK, EnhancedCode{}, "a\nb", "c"), []string{"a", "b", "c"}, "a\nb\nc",
			"250-a\r\n250-b\r\n250 c\r\n", `250 a\nb\nc`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Lines(); !slices.Equal(got, tt.lines) {
				t.Errorf("Lines() = %q, want %q", got, tt.lines)
			}
			if got := tt.r.Text(); got != tt.text {
				t.Errorf("Text() = %q, want %q", got, tt.text)
			}
			if got := string(tt.r.AppendText([]byte(">"))); got != ">"+tt.text {
				t.Errorf("AppendText(\">\") = %q, want %q", got, ">"+tt.text)
			}
			if got := string(tt.r.AppendWire(nil)); got != tt.wire {
				t.Errorf("AppendWire(nil) = %q, want %q", got, tt.wire)
			}
			if got := tt.r.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
			// The wire form parses back to the same reply.
			back, err := Parse([]byte(tt.wire), nil)
			if err != nil || back.Code != tt.r.Code || back.Enhanced != tt.r.Enhanced || !slices.Equal(back.Lines(), tt.lines) {
				t.Errorf("Parse(%q) = %q, %v; want %q", tt.wire, back.String(), err, tt.str)
			}
		})
	}
}

func TestReplyString(t *testing.T) {
	tests := []struct{ text, want string }{
		{"plain text", "550 plain text"},
		{"tab\there", `550 tab\there`},
		{"cr\rlf", `550 cr\rlf`},
		{"line1\nline2", `550 line1\nline2`},
		{"nul\x00esc\x1b[31mred", `550 nul\x00esc\x1b[31mred`},
		{"del\x7f", `550 del\x7f`},
		{`back\slash`, `550 back\\slash`},
		{`fake\nbreak`, `550 fake\\nbreak`},
		{"bad \xff\xfe utf8", `550 bad \xff\xfe utf8`},
		{"truncated \xe2\x82", `550 truncated \xe2\x82`},
		{"ok ünïcödé ✓ 日本", "550 ok ünïcödé ✓ 日本"},
		{"bidi \u202e override", `550 bidi \u202e override`},
		{"line sep \u2028 x", `550 line sep \u2028 x`},
		{"c1 \u0085 x", `550 c1 \u0085 x`},
		{"bom \ufeff x", `550 bom \ufeff x`},
		{"tag \U000e0041 x", `550 tag \U000e0041 x`},
		{"surrogate \xed\xa0\x80", `550 surrogate \xed\xa0\x80`},
		{"quote \" ok", `550 quote " ok`},
	}
	for _, tt := range tests {
		r := Reply{Code: 550, text: []byte(tt.text), lines: 1}
		got := r.String()
		if got != tt.want {
			t.Errorf("String() of text %q = %q, want %q", tt.text, got, tt.want)
		}
		if !safeString(got) {
			t.Errorf("String() of text %q = %q has control bytes or invalid UTF-8", tt.text, got)
		}
	}
}

// safeString reports whether s is valid UTF-8 without control bytes or
// other non-printable runes.
func safeString(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' || r == '\u202e' {
			return false
		}
	}
	return true
}

func TestClone(t *testing.T) {
	// A clone does not share storage with a Reply the Reader reuses.
	r, err := Parse([]byte("250-a\r\n250 b\r\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := r.Clone()
	r.text[0] = 'X'
	if got := c.Text(); got != "a\nb" {
		t.Errorf("Clone().Text() after changing the original = %q, want %q", got, "a\nb")
	}
	if c.Code != r.Code || c.lines != r.lines {
		t.Errorf("Clone() = %+v, want code and lines of %+v", c, r)
	}
}

func TestReplyErr(t *testing.T) {
	for _, tt := range []struct {
		wire string
		fail bool
	}{
		{"250 2.1.0 Ok\r\n", false},
		{"334 VXNlcm5hbWU6\r\n", false},
		{"354 go ahead\r\n", false},
		{"451 4.7.1 Greylisted\r\n", true},
		{"530-5.7.0 Authentication Required.\r\n530 5.7.0 Learn more\r\n", true},
	} {
		r, err := Parse([]byte(tt.wire), nil)
		if err != nil {
			t.Fatal(err)
		}
		err = r.Err()
		if !tt.fail {
			if err != nil {
				t.Errorf("Parse(%q).Err() = %v, want nil", tt.wire, err)
			}
			continue
		}
		e, ok := errors.AsType[*Error](err)
		if !ok || e.Command != "" || e.Reply.Code != r.Code || e.Reply.Enhanced != r.Enhanced || !slices.Equal(e.Reply.Lines(), r.Lines()) {
			t.Fatalf("Parse(%q).Err() = %#v, want an *Error holding the reply", tt.wire, err)
		}
		// The Error owns a copy of the text.
		r.text[0] ^= 0x20
		if e.Reply.Text() == r.Text() {
			t.Errorf("Parse(%q).Err() shares its text with the reply", tt.wire)
		}
	}
	if err := (Reply{}).Err(); err != nil {
		t.Errorf("Reply{}.Err() = %v, want nil", err)
	}
}

func TestCloneAppend(t *testing.T) {
	a, err := Parse([]byte("250-first line\r\n250 second\r\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse([]byte("550 5.1.1 <x@example.test>: unknown\r\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 8)
	ca, buf := a.CloneAppend(buf)
	cb, buf := b.CloneAppend(buf)
	buf = append(buf, "trailing bytes that must not show"...)
	if ca.String() != a.String() || cb.String() != b.String() {
		t.Errorf("clones = %q, %q; want %q, %q", ca.String(), cb.String(), a.String(), b.String())
	}
	if ca.Lines()[1] != "second" || cb.Enhanced != b.Enhanced {
		t.Errorf("clone lost its lines or enhanced code: %q %v", ca.Lines(), cb.Enhanced)
	}
	if z, out := (Reply{}).CloneAppend(buf); len(out) != len(buf) || z.Text() != "" {
		t.Errorf("zero reply: %q, buffer grew to %d", z.Text(), len(out))
	}
}
