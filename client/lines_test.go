package client

import (
	"errors"
	"testing"
)

// The command-line builders are pure: what they append depends only on
// their arguments, and an invalid argument is an error, never a line.
func TestAppendMail(t *testing.T) {
	exim := parseEHLO(t, eximEHLO) // SIZE, 8BITMIME, SMTPUTF8, no DSN
	sink := parseEHLO(t, sinkEHLO) // DSN, no SIZE
	auth := "user@example.test"
	tests := []struct {
		name    string
		ext     Extensions
		secure  bool
		from    string
		opts    *MailOptions
		want    string
		wantErr any // a pointer to the error type, or nil
	}{
		{"null reverse-path", exim, false, "", nil, "MAIL FROM:<>", nil},
		{"plain", exim, false, "a@example.test", nil, "MAIL FROM:<a@example.test>", nil},
		{"8BITMIME, SIZE, SMTPUTF8", exim, false, "ä@example.test", &MailOptions{Body: Body8BitMIME, Size: 1234, UTF8: true},
			"MAIL FROM:<ä@example.test> BODY=8BITMIME SIZE=1234 SMTPUTF8", nil},
		{"SIZE not advertised is left out", sink, false, "a@example.test", &MailOptions{Size: 10}, "MAIL FROM:<a@example.test>", nil},
		{"DSN", sink, false, "a@example.test", &MailOptions{Return: DSNReturnHeaders, EnvelopeID: "id+1 x"},
			"MAIL FROM:<a@example.test> RET=HDRS ENVID=id+2B1+20x", nil},
		{"AUTH=", exim, false, "a@example.test", &MailOptions{Auth: &auth}, "MAIL FROM:<a@example.test> AUTH=user@example.test", nil},
		{"over SIZE", exim, false, "a@example.test", &MailOptions{Size: 20 << 20}, "", new(*SizeError)},
		{"DSN not advertised", exim, false, "a@example.test", &MailOptions{Return: DSNReturnFull}, "", new(*UnsupportedError)},
		{"REQUIRETLS in cleartext", exim, false, "a@example.test", &MailOptions{RequireTLS: true}, "", new(*TLSError)},
		{"injection", exim, false, "a@example.test>\r\nRCPT TO:<b@example.test", nil, "", new(*InputError)},
		{"SMTPUTF8 not advertised", sink, false, "ä@example.test", &MailOptions{UTF8: true}, "", new(*UnsupportedError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("kept|")
			got, tx, err := appendMail(prefix, tt.ext, tt.secure, TLSStartTLS, tt.from, tt.opts)
			if tt.wantErr != nil {
				if err == nil || !errors.As(err, tt.wantErr) {
					t.Fatalf("appendMail = %q, %v; want a %T", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != "kept|"+tt.want {
				t.Fatalf("appendMail = %q, %v; want %q", got, err, "kept|"+tt.want)
			}
			if !tx.active || (tt.opts != nil && tx.utf8 != tt.opts.UTF8) {
				t.Errorf("txState = %+v", tx)
			}
		})
	}
}

func TestAppendRcpt(t *testing.T) {
	sink := parseEHLO(t, sinkEHLO) // DSN
	exim := parseEHLO(t, eximEHLO) // no DSN
	tests := []struct {
		name    string
		ext     Extensions
		utf8    bool
		to      string
		opts    *RcptOptions
		want    string
		wantErr any
	}{
		{"plain", exim, false, "b@example.test", nil, "RCPT TO:<b@example.test>", nil},
		{"IDNA without SMTPUTF8", exim, false, "b@bücher.example", nil, "RCPT TO:<b@xn--bcher-kva.example>", nil},
		{"NOTIFY and ORCPT", sink, false, "b@example.test", &RcptOptions{Notify: DSNNotifyFailure | DSNNotifyDelay, OriginalRecipient: "b+x@example.test"},
			"RCPT TO:<b@example.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;b+2Bx@example.test", nil},
		{"NOTIFY without DSN", exim, false, "b@example.test", &RcptOptions{Notify: DSNNotifyNever}, "", new(*UnsupportedError)},
		{"NEVER with another", sink, false, "b@example.test", &RcptOptions{Notify: DSNNotifyNever | DSNNotifySuccess}, "", new(*InputError)},
		{"injection", exim, false, "b@example.test>\r\nDATA", nil, "", new(*InputError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := appendRcpt([]byte("kept|"), tt.ext, tt.utf8, tt.to, tt.opts)
			if tt.wantErr != nil {
				if err == nil || !errors.As(err, tt.wantErr) {
					t.Fatalf("appendRcpt = %q, %v; want a %T", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != "kept|"+tt.want {
				t.Fatalf("appendRcpt = %q, %v; want %q", got, err, "kept|"+tt.want)
			}
		})
	}
}
