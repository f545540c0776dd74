package dsn

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// FuzzParse feeds Parse arbitrary messages, seeded with every fixture: it
// must not panic, must answer a report or a typed error, and must keep to
// its limits; every recipient's Err must answer the reply predicates.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"sisimai", "synthetic"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.eml"))
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.example\nStatus: 5.1.1\n"))
	opts := &Options{MaxBytes: 1 << 20, MaxRecipients: 20, MaxParts: 16}
	f.Fuzz(func(t *testing.T, msg []byte) {
		rep, err := Parse(bytes.NewReader(msg), opts)
		if err != nil {
			var le *LimitError
			var fe *FormatError
			if rep != nil || !errors.Is(err, ErrNotBounce) && !errors.As(err, &le) && !errors.As(err, &fe) {
				t.Fatalf("Parse = %v, %v (%T)", rep, err, err)
			}
			return
		}
		if rep == nil || len(rep.Recipients) == 0 && rep.Format != FormatDSN && rep.Format != FormatGlobalDSN {
			t.Fatalf("Parse = %+v with no error", rep)
		}
		if len(rep.Recipients) > opts.MaxRecipients {
			t.Fatalf("%d recipients, over MaxRecipients", len(rep.Recipients))
		}
		for i := range rep.Recipients {
			err := rep.Recipients[i].Err()
			_ = reply.RetryFor(err)
			_ = reply.IsMailboxUnavailable(err)
			if err != nil {
				_ = err.Error()
			}
		}
	})
}
