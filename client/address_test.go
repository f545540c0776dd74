package client

import (
	"errors"
	"net"
	"strings"
	"testing"
)

func TestCheckMailbox(t *testing.T) {
	tests := []struct {
		addr   string
		utf8   bool
		want   string // "" means an error is expected
		reason string // substring of the error reason
	}{
		{addr: "user@example.test", want: "user@example.test"},
		{addr: "first.last+tag@sub.example.test", want: "first.last+tag@sub.example.test"},
		{addr: "!#$%&'*+-/=?^_`{|}~@example.test", want: "!#$%&'*+-/=?^_`{|}~@example.test"},
		{addr: `"john doe"@example.test`, want: `"john doe"@example.test`},
		{addr: `"quote\"inside"@example.test`, want: `"quote\"inside"@example.test`},
		{addr: "user@[192.0.2.1]", want: "user@[192.0.2.1]"},
		{addr: "user@[IPv6:2001:db8::1]", want: "user@[IPv6:2001:db8::1]"},
		{addr: "user@bücher.example", want: "user@xn--bcher-kva.example"},
		{addr: "user@bücher.example", utf8: true, want: "user@bücher.example"},
		{addr: "jörg@bücher.example", utf8: true, want: "jörg@bücher.example"},
		{addr: "用户@例子.广告", utf8: true, want: "用户@例子.广告"},
		{addr: "a@b", want: "a@b"},

		{addr: "", reason: "empty"},
		{addr: "user", reason: "missing '@'"},
		{addr: "@example.test", reason: "empty local part"},
		{addr: "user@", reason: "empty domain"},
		{addr: "jörg@example.test", reason: "needs SMTPUTF8"},
		{addr: `"jörg"@example.test`, reason: "needs SMTPUTF8"},
		{addr: "a b@example.test", reason: "unquoted space"},
		{addr: "a\r\nRCPT TO:<x@y>@example.test", reason: "control character"},
		{addr: "a@example.test\r\nDATA", reason: "control character"},
		{addr: "a\x00@example.test", reason: "control character"},
		{addr: "a\x7f@example.test", reason: "control character"},
		{addr: "a\t@example.test", reason: "control character"},
		{addr: "a>@example.test", reason: "'<' or '>'"},
		{addr: "<a@example.test>", reason: "'<' or '>'"},
		{addr: "a@example.test> SIZE=1", reason: "'<' or '>'"},
		{addr: ".a@example.test", reason: "leading or double dot"},
		{addr: "a..b@example.test", reason: "leading or double dot"},
		{addr: "a.@example.test", reason: "ends with a dot"},
		{addr: "a(b)@example.test", reason: "not allowed"},
		{addr: `"unterminated@example.test`, reason: "unterminated"},
		{addr: `"a"b"@example.test`, reason: "unescaped"},
		{addr: strings.Repeat("a", 65) + "@example.test", reason: "64 octets"},
		{addr: "a@" + strings.Repeat("b", 64) + ".test", reason: "bad domain"},
		{addr: "a@" + strings.Repeat("b.", 130) + "test", reason: "256 octets"},
		{addr: "a@-example.test", reason: "bad domain"},
		{addr: "a@example-.test", reason: "bad domain"},
		{addr: "a@exa_mple.test", reason: "bad domain"},
		{addr: "a@example..test", reason: "bad domain"},
		{addr: "a@example.test.", reason: "bad domain"},
		{addr: "a@[300.1.1.1]", reason: "address literal"},
		{addr: "a@[IPv6:1.2.3.4]", reason: "address literal"},
		{addr: "a@[2001:db8::1]", reason: "address literal"},
		{addr: "a@\xff.test", reason: "UTF-8"},
	}
	for _, tt := range tests {
		got, err := checkMailbox("to", tt.addr, tt.utf8)
		if tt.want != "" {
			if err != nil || got != tt.want {
				t.Errorf("checkMailbox(%q, utf8=%v) = %q, %v; want %q", tt.addr, tt.utf8, got, err, tt.want)
			}
			continue
		}
		e, ok := errors.AsType[*InputError](err)
		if !ok || e.Field != "to" || e.Value != tt.addr || !strings.Contains(e.Reason, tt.reason) {
			t.Errorf("checkMailbox(%q, utf8=%v) = %q, %v; want an *InputError with reason containing %q", tt.addr, tt.utf8, got, err, tt.reason)
		}
	}
}

func TestCheckMailboxASCIINoAlloc(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := checkMailbox("to", "first.last@sub.example.test", false); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("checkMailbox of a valid ASCII address: %v allocs, want 0", allocs)
	}
}

func TestInputErrorEscapes(t *testing.T) {
	_, err := checkMailbox("from", "a\r\nb@x", false)
	if s := err.Error(); strings.ContainsAny(s, "\r\n") || !strings.HasPrefix(s, "smtp: invalid from ") {
		t.Errorf("Error() = %q, want a one-line message starting with %q", s, "smtp: invalid from ")
	}
}

func TestCheckHelloName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"client.example.test", "client.example.test"},
		{"[192.0.2.1]", "[192.0.2.1]"},
		{"[IPv6:::1]", "[IPv6:::1]"},
		{"bücher.example", "xn--bcher-kva.example"},
		{"host", "host"},
		{"bad name", ""},
		{"x\r\nMAIL FROM:<a@b>", ""},
		{"", ""},
		{"[1.2.3]", ""},
		{"a_b.example", ""},
	}
	for _, tt := range tests {
		got, err := checkHelloName(tt.in)
		if got != tt.want || (tt.want == "") != (err != nil) {
			t.Errorf("checkHelloName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestDefaultLocalName(t *testing.T) {
	for _, a := range []net.Addr{
		&net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 1234},
		&net.TCPAddr{IP: net.ParseIP("2001:db8::7"), Port: 1234},
		nil,
	} {
		got := defaultLocalName(a)
		if got == "localhost" && a != nil {
			t.Errorf("defaultLocalName(%v) = localhost, want a better name", a)
		}
		if _, err := checkHelloName(got); err != nil {
			t.Errorf("defaultLocalName(%v) = %q, invalid: %v", a, got, err)
		}
		if strings.HasPrefix(got, "[") {
			want := "[192.0.2.7]"
			if a, ok := a.(*net.TCPAddr); ok && a.IP.To4() == nil {
				want = "[IPv6:2001:db8::7]"
			}
			if got != want {
				t.Errorf("defaultLocalName(%v) = %q, want %q or a host name", a, got, want)
			}
		}
	}
}

func TestXtext(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc", "abc"},
		{"a+b=c", "a+2Bb+3Dc"},
		{"with space", "with+20space"},
		{"é", "+C3+A9"},
		{"~!", "~!"},
		{"\x7f", "+7F"},
	}
	for _, tt := range tests {
		if got := string(appendXtext(nil, tt.in)); got != tt.want {
			t.Errorf("appendXtext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUTF8AddrXtext(t *testing.T) {
	tests := []struct{ in, want string }{
		{"user@example.test", "user@example.test"},
		{"ü@x", `\x{FC}@x`},
		{"a+b=c\\d", `a\x{2B}b\x{3D}c\x{5C}d`},
		{"用", `\x{7528}`},
		{"😀", `\x{1F600}`},
	}
	for _, tt := range tests {
		if got := string(appendUTF8AddrXtext(nil, tt.in)); got != tt.want {
			t.Errorf("appendUTF8AddrXtext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskAddresses(t *testing.T) {
	tests := []struct{ in, want string }{
		{"MAIL FROM:<user@example.test> SIZE=10", "MAIL FROM:<***@example.test> SIZE=10"},
		{"RCPT TO:<a@x> ORCPT=rfc822;b@y", "RCPT TO:<***@x> ORCPT=rfc822;***@y"},
		{"550 5.1.1 <nosuch@example.test>: Recipient address rejected", "550 5.1.1 <***@example.test>: Recipient address rejected"},
		{"250 2.0.0 Roger, accepting mail from <user@example.test>", "250 2.0.0 Roger, accepting mail from <***@example.test>"},
		{"no address here", "no address here"},
		{"MAIL FROM:<> AUTH=me@x", "MAIL FROM:<> AUTH=***@x"},
	}
	for _, tt := range tests {
		if got := maskAddresses(tt.in); got != tt.want {
			t.Errorf("maskAddresses(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
