package dsn

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime"
	"net/mail"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// Options bounds what [Parse] reads. A nil *Options means the zero value;
// a zero field means its default.
type Options struct {
	// MaxBytes caps the whole message, headers and parts included. Zero
	// means 16 MiB. A larger message is a [*LimitError].
	MaxBytes int64
	// MaxParts caps the MIME parts walked, nested ones included. Zero
	// means 64; the parts past it are not read.
	MaxParts int
	// MaxRecipients caps the recipients of a report. Zero means 1000;
	// the recipients past it are dropped and Problems holds a
	// [*LimitError].
	MaxRecipients int
	// MaxFieldBytes caps one field of a delivery status part, unfolded.
	// Zero means 64 KiB; a longer field is dropped with a [*FieldError].
	MaxFieldBytes int
}

const (
	defaultMaxBytes      = 16 << 20
	defaultMaxParts      = 64
	defaultMaxRecipients = 1000
	defaultMaxFieldBytes = 64 << 10
	// maxTextBytes caps the human-readable text kept for the best-effort
	// readers, and maxStatusBytes a delivery status part.
	maxTextBytes   = 1 << 20
	maxStatusBytes = 4 << 20
	// maxDepth caps the nesting of multipart bodies.
	maxDepth = 8
)

func (o *Options) maxBytes() int64 {
	if o == nil || o.MaxBytes <= 0 {
		return defaultMaxBytes
	}
	return o.MaxBytes
}

func (o *Options) maxParts() int {
	if o == nil || o.MaxParts <= 0 {
		return defaultMaxParts
	}
	return o.MaxParts
}

func (o *Options) maxRecipients() int {
	if o == nil || o.MaxRecipients <= 0 {
		return defaultMaxRecipients
	}
	return o.MaxRecipients
}

func (o *Options) maxField() int {
	if o == nil || o.MaxFieldBytes <= 0 {
		return defaultMaxFieldBytes
	}
	return o.MaxFieldBytes
}

// errLimit is returned by limitReader past its limit.
var errLimit = errors.New("dsn: limit")

// limitReader is io.LimitedReader that fails instead of ending.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errLimit
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// Parse reads a message from r and returns its delivery status report.
//
// A standard report (RFC 6522 multipart/report with a message/delivery-
// status or message/global-delivery-status part, wherever it is nested)
// gives Format [FormatDSN] or [FormatGlobalDSN]. Otherwise Parse tries the
// best-effort readers, qmail's QSBMF and the plain-text bounce that quotes
// an SMTP reply ([FormatQmail], [FormatText]). A message that is none of
// these, an auto-reply (RFC 3834) or a feedback report (RFC 5965) gives a
// nil Report and an error matching [ErrNotBounce].
//
// A report may come back with Problems: fields that could not be parsed,
// recipients dropped past MaxRecipients. The error is non-nil only when no
// report could be read: a [*LimitError] for a message over MaxBytes, a
// [*FormatError] for a message whose header cannot be read, or a
// [*NotBounceError].
func Parse(r io.Reader, opts *Options) (*Report, error) {
	// The whole message is read first, within MaxBytes: the fallbacks for
	// broken MIME need the raw bytes.
	raw, err := io.ReadAll(&limitReader{r: r, n: opts.maxBytes()})
	if err != nil {
		if errors.Is(err, errLimit) {
			return nil, &LimitError{Limit: "MaxBytes", Max: opts.maxBytes()}
		}
		return nil, err
	}
	raw = normalize(raw)
	w := &walker{opts: opts, raw: raw}
	ent, err := message.ReadWithOptions(bytes.NewReader(raw), &message.ReadOptions{MaxHeaderBytes: min(opts.maxBytes(), 1<<20)})
	if ent == nil {
		return nil, &FormatError{Err: err}
	}
	w.top = ent.Header
	if err := w.walk(ent, 0); err != nil {
		// A broken multipart body: keep what was read before it.
		w.broken = err
	}
	return w.report()
}

// walker visits the parts of a message.
type walker struct {
	opts       *Options
	raw        []byte // the whole message, line endings normalised
	top        message.Header
	parts      int
	status     [][]byte // delivery status parts, in order
	global     bool     // a message/global-delivery-status part was seen
	orig       *textproto.Header
	text       []byte // the first text/plain part, or a plain body
	html       []byte // the text of the first text/html part
	reportType string // the report-type of a multipart/report
	broken     error  // the multipart error that stopped the walk
}

func (w *walker) walk(e *message.Entity, depth int) error {
	w.parts++
	if w.parts > w.opts.maxParts() {
		return nil
	}
	mt, params, _ := e.Header.ContentType()
	mt = strings.ToLower(mt)
	if mr := e.MultipartReader(); mr != nil {
		if mt == "multipart/report" && w.reportType == "" {
			w.reportType = strings.ToLower(params["report-type"])
		}
		if depth >= maxDepth {
			return nil
		}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if p == nil {
				return err
			}
			if err := w.walk(p, depth+1); err != nil {
				return err
			}
		}
	}
	switch mt {
	case "message/delivery-status", "message/global-delivery-status":
		b, err := readAtMost(e.Body, maxStatusBytes)
		if err != nil && !errors.Is(err, errTooLong) {
			return err
		}
		w.status = append(w.status, b)
		w.global = w.global || mt == "message/global-delivery-status"
	case "text/rfc822-headers", "message/global-headers", "message/rfc822", "message/global":
		if w.orig == nil {
			h, err := textproto.ReadHeader(bufio.NewReader(io.LimitReader(e.Body, 1<<20)))
			if err == nil || h.Len() > 0 {
				w.orig = &h
			}
		}
	case "text/plain", "":
		if w.text == nil {
			b, err := readAtMost(e.Body, maxTextBytes)
			if err != nil && !errors.Is(err, errTooLong) {
				return err
			}
			w.text = b
		}
	case "text/html":
		if w.html == nil {
			b, err := readAtMost(e.Body, maxTextBytes)
			if err != nil && !errors.Is(err, errTooLong) {
				return err
			}
			w.html = htmlText(b)
		}
	}
	return nil
}

// htmlText returns the text of an HTML part, for a bounce that has no
// text/plain one: tags dropped (a <br>, <p>, <div>, <tr> or <li> ends a
// line), the common entities decoded.
func htmlText(b []byte) []byte {
	var out []byte
	for len(b) > 0 {
		i := bytes.IndexByte(b, '<')
		if i < 0 {
			out = append(out, b...)
			break
		}
		out = append(out, b[:i]...)
		j := bytes.IndexByte(b[i:], '>')
		if j < 0 {
			break
		}
		tag := bytes.ToLower(b[i+1 : i+j])
		tag = bytes.TrimPrefix(tag, []byte("/"))
		for _, t := range []string{"br", "p", "div", "tr", "li", "h1", "h2", "h3"} {
			if bytes.HasPrefix(tag, []byte(t)) && (len(tag) == len(t) || tag[len(t)] == ' ' || tag[len(t)] == '/') {
				out = append(out, '\n')
				break
			}
		}
		b = b[i+j+1:]
	}
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", "\"", "&#39;", "'", "&nbsp;", " ", "&amp;", "&")
	return []byte(r.Replace(string(out)))
}

var errTooLong = errors.New("dsn: part too long")

// readAtMost reads r to its end, keeping at most max bytes; the rest is
// discarded (bounded by the message limit).
func readAtMost(r io.Reader, max int) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(max)))
	if err != nil {
		return b, err
	}
	if n, err := io.Copy(io.Discard, r); err != nil {
		return b, err
	} else if n > 0 {
		return b, errTooLong
	}
	return b, nil
}

// report builds the Report once every part was visited.
func (w *walker) report() (*Report, error) {
	switch w.reportType {
	case "feedback-report":
		return nil, &NotBounceError{Reason: "feedback report (RFC 5965)"}
	case "disposition-notification":
		return nil, &NotBounceError{Reason: "read receipt (RFC 8098)"}
	}
	rep := &Report{Format: FormatDSN}
	if w.global {
		rep.Format = FormatGlobalDSN
	}
	status := w.status
	if len(status) == 0 {
		// A delivery status part the MIME reader could not reach (a
		// broken header or boundary in a part before it).
		status = rawStatusParts(w.raw)
	}
	for _, b := range status {
		parseStatus(rep, b, w.opts)
	}
	if len(rep.Recipients) > 0 {
		w.original(rep)
		if w.broken != nil {
			rep.Problems = append(rep.Problems, &FormatError{Err: w.broken})
		}
		fillFromText(rep, w.text)
		return rep, nil
	}
	if isAutoReply(w.top) {
		return nil, &NotBounceError{Reason: "auto-reply"}
	}
	text := w.text
	if text == nil {
		text = w.html
	}
	if text == nil || w.broken != nil {
		text = append(append([]byte(nil), text...), rawBody(w.raw)...)
	}
	if rep, err, ok := parseSES(text); ok {
		return rep, err
	}
	if rep, ok := parseQmail(text, w.opts); ok {
		w.original(rep)
		return rep, nil
	}
	if looksLikeBounce(w.top, text) {
		// Delivery status fields quoted in the text (Amazon WorkMail's
		// "Technical report:").
		if b := embeddedStatus(text); b != nil {
			rep := &Report{Format: FormatText}
			parseStatus(rep, b, w.opts)
			if len(rep.Recipients) > 0 {
				rep.Problems = nil
				w.original(rep)
				return rep, nil
			}
		}
		if rep, ok := parseText(text, w.top, w.opts); ok {
			w.original(rep)
			return rep, nil
		}
	}
	return nil, &NotBounceError{Reason: "no delivery status"}
}

// rawStatusParts finds the delivery status parts of a message by their
// Content-Type line in the raw bytes, for a message whose MIME structure
// is broken before them: each is the text after the part's header up to
// the next boundary line.
func rawStatusParts(raw []byte) [][]byte {
	var out [][]byte
	lower := lowerASCII(raw)
	for off := 0; len(out) < 8; {
		i := bytes.Index(lower[off:], []byte("content-type: message/"))
		if i < 0 {
			break
		}
		i += off
		off = i + 1
		rest := lower[i+len("content-type: message/"):]
		if !bytes.HasPrefix(rest, []byte("delivery-status")) && !bytes.HasPrefix(rest, []byte("global-delivery-status")) {
			continue
		}
		j := bytes.Index(raw[i:], []byte("\n\n"))
		if j < 0 {
			break
		}
		part := raw[i+j+2:]
		if k := bytes.Index(part, []byte("\n--")); k >= 0 {
			part = part[:k]
		}
		if len(part) > maxStatusBytes {
			part = part[:maxStatusBytes]
		}
		out = append(out, part)
	}
	return out
}

// rawBody returns the raw bytes after the message header, at most
// maxTextBytes.
func rawBody(raw []byte) []byte {
	i := bytes.Index(raw, []byte("\n\n"))
	if i < 0 {
		return nil
	}
	b := raw[i+2:]
	if len(b) > maxTextBytes {
		b = b[:maxTextBytes]
	}
	return b
}

// embeddedStatus returns the delivery status fields a text quotes, from
// its first Final-Recipient or Reporting-MTA line on, when it quotes both
// a Final-Recipient and a Status field; nil otherwise.
func embeddedStatus(text []byte) []byte {
	lower := lowerASCII(text)
	fr := bytes.Index(lower, []byte("\nfinal-recipient:"))
	if fr < 0 || !bytes.Contains(lower[fr:], []byte("\nstatus:")) {
		return nil
	}
	start := fr + 1
	if rm := bytes.Index(lower, []byte("\nreporting-mta:")); rm >= 0 && rm < fr {
		start = rm + 1
	}
	end := len(text)
	st := fr + bytes.Index(lower[fr:], []byte("\nstatus:"))
	if k := bytes.Index(text[st:], []byte("\n\n")); k >= 0 {
		end = st + k + 1
	}
	return text[start:end]
}

// original fills rep.Original from the returned headers, or from a copy
// of the message quoted in the text of a best-effort report.
func (w *walker) original(rep *Report) {
	h := w.orig
	if h == nil && rep.BestEffort() {
		h = quotedHeader(w.text)
	}
	if h == nil {
		return
	}
	dec := new(mime.WordDecoder)
	get := func(k string) string {
		v := strings.TrimSpace(h.Get(k))
		if d, err := dec.DecodeHeader(v); err == nil {
			return d
		}
		return v
	}
	rep.Original.MessageID = strings.TrimSuffix(strings.TrimPrefix(get("Message-Id"), "<"), ">")
	rep.Original.Subject = get("Subject")
	rep.Original.From = get("From")
	rep.Original.To = get("To")
	if t, err := mail.ParseDate(get("Date")); err == nil {
		rep.Original.Date = t
	}
}

// quotedHeader finds the header of the returned message after a
// best-effort report's separator line.
func quotedHeader(text []byte) *textproto.Header {
	for _, sep := range copySeparators {
		if i := bytes.Index(lowerASCII(text), []byte(sep)); i >= 0 {
			rest := text[i:]
			if j := bytes.IndexByte(rest, '\n'); j >= 0 {
				rest = bytes.TrimLeft(rest[j+1:], "\r\n")
				h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(rest)))
				if (err == nil || h.Len() > 0) && h.Has("Message-Id") {
					return &h
				}
			}
		}
	}
	return nil
}

// isAutoReply reports whether a message that holds no delivery status is
// an automatic reply (RFC 3834 and the common vacation headers).
func isAutoReply(h message.Header) bool {
	as := strings.ToLower(h.Get("Auto-Submitted"))
	subj := strings.ToLower(h.Get("Subject"))
	if h.Has("X-Autoreply") || h.Has("X-Autorespond") || strings.EqualFold(h.Get("Precedence"), "auto_reply") {
		return true
	}
	for _, s := range []string{"out of office", "out of the office", "automatic reply", "auto:", "autoreply",
		"auto-reply", "vacation", "abwesenheit", "absence", "respuesta automática", "réponse automatique"} {
		if strings.Contains(subj, s) {
			return as == "" || strings.HasPrefix(as, "auto-")
		}
	}
	return strings.HasPrefix(as, "auto-replied") && !looksLikeBounce(h, nil)
}
