package dsn

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// Amazon SES does not only relay the remote servers' DSNs: a sender that
// subscribes an email address to its SNS notifications receives each
// bounce as a JSON document in a plain-text message ("AWS Notification
// Message"). The fields read here are documented in "Contents of event
// data that Amazon SES publishes to Amazon SNS", Amazon SES Developer
// Guide (docs.aws.amazon.com/ses/latest/dg/notification-contents.html).

// sesNotification is the part of an SES notification Parse reads.
type sesNotification struct {
	// Type and Message are the SNS envelope's, when SNS sends its JSON
	// form ("raw message delivery" off).
	Type             string `json:"Type"`
	Message          string `json:"Message"`
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"`
	Bounce           *struct {
		BounceType        string `json:"bounceType"`
		ReportingMTA      string `json:"reportingMTA"`
		Timestamp         string `json:"timestamp"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Action         string `json:"action"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Mail *struct {
		MessageID     string `json:"messageId"`
		Source        string `json:"source"`
		CommonHeaders struct {
			MessageID string   `json:"messageId"`
			Subject   string   `json:"subject"`
			From      []string `json:"from"`
			To        []string `json:"to"`
		} `json:"commonHeaders"`
	} `json:"mail"`
}

// parseSES reads an SES notification. ok is false when text is not one;
// a notification of another type (a delivery, a complaint) gives a
// *NotBounceError.
func parseSES(text []byte) (rep *Report, err error, ok bool) {
	t := bytes.TrimSpace(text)
	if len(t) == 0 || t[0] != '{' || !bytes.Contains(t, []byte(`notificationType`)) && !bytes.Contains(t, []byte(`eventType`)) {
		return nil, nil, false
	}
	// A line longer than 998 bytes arrives broken by "!", a line break
	// and a space (an MTA's wrapping of over-long lines).
	t = bytes.ReplaceAll(t, []byte("!\n "), nil)
	var n sesNotification
	if err := json.NewDecoder(bytes.NewReader(t)).Decode(&n); err != nil {
		return nil, nil, false
	}
	if n.NotificationType == "" && n.EventType == "" && n.Type == "Notification" {
		// The SNS envelope, with the SES document as a string in Message.
		msg := n.Message
		n = sesNotification{}
		if err := json.Unmarshal([]byte(msg), &n); err != nil {
			return nil, nil, false
		}
	}
	typ := n.NotificationType
	if typ == "" {
		typ = n.EventType
	}
	if typ != "Bounce" || n.Bounce == nil {
		return nil, &NotBounceError{Reason: "Amazon SES " + strings.ToLower(typ) + " notification"}, true
	}
	b := n.Bounce
	rep = &Report{Format: FormatSES, ReportingMTA: parseMTA(b.ReportingMTA)}
	if ts, err := time.Parse(time.RFC3339Nano, b.Timestamp); err == nil {
		rep.ArrivalDate = ts
	}
	if m := n.Mail; m != nil {
		rep.Original.MessageID = strings.Trim(m.CommonHeaders.MessageID, "<>")
		rep.Original.Subject = m.CommonHeaders.Subject
		rep.Original.From = strings.Join(m.CommonHeaders.From, ", ")
		rep.Original.To = strings.Join(m.CommonHeaders.To, ", ")
	}
	for _, br := range b.BouncedRecipients {
		r := Recipient{FinalRecipient: Address{Type: "rfc822", Addr: br.EmailAddress}, Action: parseAction(br.Action)}
		if r.Action == ActionUnknown {
			// bounceType Transient is a soft bounce, Permanent and
			// Undetermined a hard one.
			r.Action = ActionFailed
		}
		if e, err := reply.ParseEnhancedCode(br.Status); err == nil {
			r.Status = e
		}
		if br.DiagnosticCode != "" {
			r.Diagnostic = parseDiagnostic(br.DiagnosticCode)
		}
		if r.Status.IsZero() {
			r.Status = statusOf(&r)
			if b.BounceType == "Transient" {
				r.Status.Class = 4
			}
		}
		r.Fields = []Field{{Name: "emailAddress", Value: br.EmailAddress}, {Name: "action", Value: br.Action},
			{Name: "status", Value: br.Status}, {Name: "diagnosticCode", Value: br.DiagnosticCode}}
		rep.Recipients = append(rep.Recipients, r)
	}
	rep.Fields = []Field{{Name: "bounceType", Value: b.BounceType}}
	if len(rep.Recipients) == 0 {
		return nil, nil, false
	}
	return rep, nil, true
}
