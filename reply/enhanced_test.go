package reply

import (
	"errors"
	"testing"
)

func TestParseEnhancedCode(t *testing.T) {
	tests := []struct {
		in   string
		want EnhancedCode // zero: an error is expected
	}{
		{"2.0.0", enh(2, 0, 0)},
		{"5.7.0", enh(5, 7, 0)},
		{"4.7.1", enh(4, 7, 1)},
		{"5.7.139", enh(5, 7, 139)},
		{"4.7.500", enh(4, 7, 500)},
		{"5.1.999", enh(5, 1, 999)},
		{"5.01.001", enh(5, 1, 1)},
		{"5.007.0", enh(5, 7, 0)},
		{"", EnhancedCode{}},
		{"5", EnhancedCode{}},
		{"5.", EnhancedCode{}},
		{"5.1", EnhancedCode{}},
		{"5.1.", EnhancedCode{}},
		{".1.1", EnhancedCode{}},
		{"3.1.1", EnhancedCode{}}, // class 3 does not exist
		{"1.1.1", EnhancedCode{}},
		{"6.1.1", EnhancedCode{}},
		{"0.0.0", EnhancedCode{}},
		{"5.8.1", EnhancedCode{}}, // subject out of range
		{"5.10.1", EnhancedCode{}},
		{"5.1000.1", EnhancedCode{}},
		{"5.1.1000", EnhancedCode{}},
		{"55.1.1", EnhancedCode{}},
		{"5.1.1 ", EnhancedCode{}},
		{" 5.1.1", EnhancedCode{}},
		{"5.1.1.1", EnhancedCode{}},
		{"5.-1.1", EnhancedCode{}},
		{"5.1.+1", EnhancedCode{}},
		{"5..1", EnhancedCode{}},
		{"5.1.1x", EnhancedCode{}},
		{"５.1.1", EnhancedCode{}},
	}
	for _, tt := range tests {
		got, err := ParseEnhancedCode(tt.in)
		if tt.want.IsZero() {
			pe, ok := errors.AsType[*ProtocolError](err)
			if !ok || pe.Kind != ViolationBadEnhancedCode || !got.IsZero() {
				t.Errorf("ParseEnhancedCode(%q) = %v, %v; want zero, %v", tt.in, got, err, ViolationBadEnhancedCode)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseEnhancedCode(%q) = %v, %v; want %v, nil", tt.in, got, err, tt.want)
		}
		if !got.Valid() {
			t.Errorf("ParseEnhancedCode(%q).Valid() = false, want true", tt.in)
		}
	}
}

func TestEnhancedCodeMethods(t *testing.T) {
	tests := []struct {
		e     EnhancedCode
		str   string
		zero  bool
		valid bool
	}{
		{EnhancedCode{}, "", true, false},
		{enh(2, 0, 0), "2.0.0", false, true},
		{enh(5, 7, 139), "5.7.139", false, true},
		{enh(4, 7, 1), "4.7.1", false, true},
		{enh(5, 7, 999), "5.7.999", false, true},
		{enh(3, 0, 0), "3.0.0", false, false},
		{enh(5, 8, 0), "5.8.0", false, false},
		{enh(5, 1, 1000), "5.1.1000", false, false},
		{enh(0, 1, 1), "0.1.1", false, false},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.str {
			t.Errorf("%#v.String() = %q, want %q", tt.e, got, tt.str)
		}
		if got := tt.e.IsZero(); got != tt.zero {
			t.Errorf("%#v.IsZero() = %v, want %v", tt.e, got, tt.zero)
		}
		if got := tt.e.Valid(); got != tt.valid {
			t.Errorf("%#v.Valid() = %v, want %v", tt.e, got, tt.valid)
		}
		if tt.valid {
			// String and ParseEnhancedCode are inverses on valid codes.
			if back, err := ParseEnhancedCode(tt.str); err != nil || back != tt.e {
				t.Errorf("ParseEnhancedCode(%q) = %v, %v; want %#v, nil", tt.str, back, err, tt.e)
			}
		}
	}
}

func TestSubjectString(t *testing.T) {
	want := []string{
		SubjectOther:      "other",
		SubjectAddressing: "addressing",
		SubjectMailbox:    "mailbox",
		SubjectMailSystem: "mail system",
		SubjectNetwork:    "network and routing",
		SubjectProtocol:   "mail delivery protocol",
		SubjectContent:    "message content or media",
		SubjectPolicy:     "security or policy",
		8:                 "Subject(8)",
		255:               "Subject(255)",
	}
	for s, w := range want {
		if w == "" {
			continue
		}
		if got := Subject(s).String(); got != w {
			t.Errorf("Subject(%d).String() = %q, want %q", s, got, w)
		}
	}
}
