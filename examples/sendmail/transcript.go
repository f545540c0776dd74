package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"
)

// replyPrinter is a slog.Handler for the client's transcript (see
// client.Options.Logger) that prints the server's replies, the records
// "smtp recv", and drops the rest.
type replyPrinter struct{ w io.Writer }

func (h *replyPrinter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelDebug }

func (h *replyPrinter) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "smtp recv" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "reply" { // escaped by the client: safe to print
			fmt.Fprintf(h.w, "   S: %s\n", a.Value)
		}
		return true
	})
	return nil
}

func (h *replyPrinter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *replyPrinter) WithGroup(string) slog.Handler      { return h }

// attemptDialer is a client.ContextDialer that prints a line before each
// connection: SendMail opens one per attempt.
type attemptDialer struct {
	net.Dialer
	w     io.Writer
	start time.Time
	n     int
}

func (d *attemptDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.n++
	fmt.Fprintf(d.w, "attempt %d, at %.1fs: connecting to %s\n", d.n, time.Since(d.start).Seconds(), addr)
	return d.Dialer.DialContext(ctx, network, addr)
}
