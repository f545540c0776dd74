package wire_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/seed-e4e66a4f/smtp/internal/wire"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		body string
		want wire.Info
	}{
		{"", wire.Info{}},
		{"a", wire.Info{Size: 3, Lines: 1}},
		{"a\r\n", wire.Info{Size: 3, Lines: 1}},
		{"a\nb\rc", wire.Info{Size: 9, Lines: 3}},
		{"\r\n\r\n", wire.Info{Size: 4, Lines: 2}},
		{"..\n", wire.Info{Size: 4, Lines: 1}},
		{"\xff", wire.Info{Size: 3, Lines: 1, EightBit: true}},
	}
	for _, tt := range tests {
		got, err := wire.Check([]byte(tt.body))
		if err != nil || got != tt.want {
			t.Errorf("Check(%q) = %+v, %v; want %+v", tt.body, got, err, tt.want)
		}
		got, err = wire.CheckReader(iotest.OneByteReader(strings.NewReader(tt.body)))
		if err != nil || got != tt.want {
			t.Errorf("CheckReader(%q) = %+v, %v; want %+v", tt.body, got, err, tt.want)
		}
	}
}

func TestCheckReaderError(t *testing.T) {
	r := io.MultiReader(strings.NewReader("abc\n"), iotest.ErrReader(io.ErrUnexpectedEOF))
	info, err := wire.CheckReader(r)
	if !errors.Is(err, io.ErrUnexpectedEOF) || info.Size != 5 {
		t.Errorf("CheckReader(failing reader) = %+v, %v; want Size 5 and the reader's error", info, err)
	}
}
