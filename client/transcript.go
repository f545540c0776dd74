package client

import (
	"bytes"
	"context"
	"log/slog"
	"strings"

	"github.com/seed-e4e66a4f/smtp/reply"
)

const redacted = "<redacted>"

// logging reports whether the transcript is on for ctx. Callers check it
// before building log records, so a Client without a Logger pays nothing.
func (c *Client) logging(ctx context.Context) bool {
	return c.log != nil && c.log.Enabled(ctx, slog.LevelDebug)
}

// logSend logs a command line. secret redacts it whole; an AUTH line keeps
// only its mechanism name.
func (c *Client) logSend(ctx context.Context, line []byte, secret bool) {
	var s string
	switch {
	case secret:
		s = redacted
	case len(line) > 5 && bytes.EqualFold(line[:5], []byte("AUTH ")):
		mech, rest, _ := strings.Cut(string(line[5:]), " ")
		s = "AUTH " + mech
		if rest != "" {
			s += " " + redacted
		}
	default:
		s = string(line)
		if c.opts.MaskAddresses {
			s = maskAddresses(s)
		}
		s = escapeLog(s)
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "smtp send", slog.String("line", s))
}

// logRecv logs a reply (escaped: a server cannot write control bytes into
// the log).
func (c *Client) logRecv(ctx context.Context, r *reply.Reply) {
	s := r.String()
	if c.opts.MaskAddresses {
		s = maskAddresses(s)
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "smtp recv", slog.String("reply", s))
}

// escapeLog makes s safe to log; command lines are validated ASCII or UTF-8
// already, so this only matters for bytes that slipped through.
func escapeLog(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			var b strings.Builder
			for j := 0; j < len(s); j++ {
				if s[j] < 0x20 || s[j] == 0x7f {
					b.WriteString(`\x`)
					b.WriteByte("0123456789abcdef"[s[j]>>4])
					b.WriteByte("0123456789abcdef"[s[j]&0xf])
				} else {
					b.WriteByte(s[j])
				}
			}
			return b.String()
		}
	}
	return s
}

// maskAddresses replaces the local part of every "local@domain" in s with
// "***". The local part is taken to run back from '@' to the nearest '<',
// ':', space, '"', ',', ';', '(' or '['.
func maskAddresses(s string) string {
	if strings.IndexByte(s, '@') < 0 {
		return s
	}
	var b strings.Builder
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '@' {
			continue
		}
		j := i
		for j > start && !strings.ContainsRune("<: \",;([=", rune(s[j-1])) {
			j--
		}
		if j == i {
			continue
		}
		b.WriteString(s[start:j])
		b.WriteString("***")
		start = i
	}
	b.WriteString(s[start:])
	return b.String()
}
