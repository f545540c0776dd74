// Command bounces reads bounces (delivery status notifications) and prints
// one line per recipient: the address, what the reporting server did, the
// RFC 3463 status, the kind of failure the reply package reads from it,
// the retry advice and a short explanation. With -json it prints one JSON
// object per recipient instead, for programs.
//
// It reads .eml files, the .eml files of directories, or standard input:
//
//	go run ./examples/bounces reply/dsn/testdata/sisimai
//	go run ./examples/bounces -lang es reply/dsn/testdata/sisimai/lhost-exim-02.eml
//	go run ./examples/bounces -json < bounce.eml
//
// The same reply.Is* predicates and reply.RetryFor answer for a bounced
// recipient as for a live refusal, so one suppression rule serves both:
// a recipient whose failure is IsMailboxUnavailable or IsDomainUnavailable
// is not worth mailing again.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/reply/dsn"
)

func main() {
	lang := flag.String("lang", "en", "language of the explanations: en or es")
	asJSON := flag.Bool("json", false, "print one JSON object per recipient")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: bounces [-lang en|es] [-json] [file.eml|dir ...]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(os.Stdout, os.Stdin, flag.Args(), *lang, *asJSON); err != nil {
		fmt.Fprintln(os.Stderr, "bounces:", err)
		os.Exit(1)
	}
}

// Line is what bounces prints for one recipient, as JSON with -json.
type Line struct {
	File       string   `json:"file"`
	Format     string   `json:"format"`
	BestEffort bool     `json:"best_effort,omitempty"`
	EnvelopeID string   `json:"envelope_id,omitempty"`
	MessageID  string   `json:"message_id,omitempty"`
	Address    string   `json:"address"`
	Action     string   `json:"action"`
	Status     string   `json:"status,omitempty"`
	Reply      string   `json:"reply,omitempty"`
	Command    string   `json:"command,omitempty"`
	Kinds      []string `json:"kinds,omitempty"`
	Retry      string   `json:"retry"`
	RetryAfter float64  `json:"retry_after_seconds,omitempty"`
	Suppress   bool     `json:"suppress"`
	Title      string   `json:"explanation,omitempty"`
	// Skipped says why a message gave no recipients: not a bounce, or
	// unreadable.
	Skipped string `json:"skipped,omitempty"`
}

// kinds are the predicates whose names a line lists.
var kinds = []struct {
	name string
	is   func(error) bool
}{
	{"mailbox-unavailable", reply.IsMailboxUnavailable}, {"mailbox-full", reply.IsMailboxFull},
	{"domain-unavailable", reply.IsDomainUnavailable}, {"policy", reply.IsPolicyRejection},
	{"rate-limited", reply.IsRateLimited}, {"too-large", reply.IsMessageTooLarge},
	{"auth-required", reply.IsAuthRequired}, {"tls-required", reply.IsTLSRequired},
}

func run(w io.Writer, stdin io.Reader, args []string, lang string, asJSON bool) error {
	if lang != "en" && lang != "es" {
		return fmt.Errorf("unknown language %q (en or es)", lang)
	}
	files, err := expand(args)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	for _, name := range files {
		lines, err := read(name, stdin, lang)
		if err != nil {
			return err
		}
		for _, l := range lines {
			if asJSON {
				if err := enc.Encode(l); err != nil {
					return err
				}
				continue
			}
			if _, err := fmt.Fprintln(w, l.text()); err != nil {
				return err
			}
		}
	}
	return nil
}

// expand turns the arguments into a list of files: a directory stands for
// its .eml files, no argument or "-" for standard input.
func expand(args []string) ([]string, error) {
	if len(args) == 0 {
		return []string{"-"}, nil
	}
	var out []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if a == "-" || err == nil && !fi.IsDir() {
			out = append(out, a)
			continue
		}
		if err != nil {
			return nil, err
		}
		m, err := filepath.Glob(filepath.Join(a, "*.eml"))
		if err != nil {
			return nil, err
		}
		sort.Strings(m)
		out = append(out, m...)
	}
	return out, nil
}

// read parses one message and returns its lines.
func read(name string, stdin io.Reader, lang string) ([]Line, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	rep, err := dsn.Parse(r, nil)
	if err != nil {
		var le *dsn.LimitError
		var fe *dsn.FormatError
		if errors.Is(err, dsn.ErrNotBounce) || errors.As(err, &le) || errors.As(err, &fe) {
			return []Line{{File: name, Skipped: err.Error()}}, nil
		}
		return nil, err
	}
	var out []Line
	for i := range rep.Recipients {
		rc := &rep.Recipients[i]
		l := Line{File: name, Format: rep.Format.String(), BestEffort: rep.BestEffort(),
			EnvelopeID: rep.OriginalEnvelopeID, MessageID: rep.Original.MessageID,
			Address: rc.FinalRecipient.Addr, Action: rc.Action.String(), Command: rc.Diagnostic.Command}
		if !rc.Status.IsZero() {
			l.Status = rc.Status.String()
		}
		if rc.Diagnostic.Reply.Code != 0 {
			l.Reply = rc.Diagnostic.Reply.String()
		}
		err := rc.Err()
		for _, k := range kinds {
			if k.is(err) {
				l.Kinds = append(l.Kinds, k.name)
			}
		}
		l.Retry = retryName(reply.RetryFor(err), err)
		l.RetryAfter = reply.RetryDelay(err).Seconds()
		// Suppress: the address itself is dead, not a passing refusal.
		l.Suppress = reply.IsPermanent(err) && (reply.IsMailboxUnavailable(err) || reply.IsDomainUnavailable(err))
		var re *reply.Error
		if errors.As(err, &re) {
			l.Title = re.Explain(lang).Title
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		out = append(out, Line{File: name, Format: rep.Format.String(), Skipped: "a report with no recipients"})
	}
	return out, nil
}

// retryName names the retry advice; "none" for a delivered recipient.
func retryName(r reply.Retry, err error) string {
	if err == nil {
		return "none"
	}
	return r.String()
}

// text is the line bounces prints without -json.
func (l Line) text() string {
	if l.Skipped != "" {
		return filepath.Base(l.File) + ": skipped: " + l.Skipped
	}
	status := l.Status
	if status == "" {
		status = "-"
	}
	kind := strings.Join(l.Kinds, ",")
	if kind == "" {
		kind = "-"
	}
	s := fmt.Sprintf("%s: %s %s %s kind=%s retry=%s", filepath.Base(l.File), l.Address, l.Action, status, kind, l.Retry)
	if l.Suppress {
		s += " suppress"
	}
	if l.BestEffort {
		s += " (best effort)"
	}
	if l.Title != "" {
		s += ": " + l.Title
	}
	return s
}
