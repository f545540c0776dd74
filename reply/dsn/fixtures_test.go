package dsn

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// wantRcpt is what a fixture's recipient must parse to.
type wantRcpt struct {
	addr    string
	action  Action
	status  string
	code    reply.Code // the diagnostic's reply code; 0 when it quotes none
	command string     // the command the reply answered, when the bounce says
	kind    func(error) bool
}

// The real bounces of testdata/sisimai (see its LICENSE): the expected
// values were read from each message by hand.
var sisimaiFixtures = []struct {
	file      string
	notBounce bool
	format    Format
	mta       string // Reporting-MTA, when the bounce names one
	messageID string // of the returned message, when the bounce holds it
	rcpts     []wantRcpt
}{
	{file: "arf-01.eml", notBounce: true},
	{file: "is-not-bounce-01-not.eml", notBounce: true},
	{file: "lhost-amazonses-01.eml", format: FormatDSN, rcpts: []wantRcpt{
		{"shironeko@example.co.jp", ActionFailed, "5.0.0", 0, "", reply.IsPolicyRejection},
	}},
	{file: "lhost-amazonses-09.eml", format: FormatSES, mta: "a27-23.smtp-out.us-west-2.amazonses.com", rcpts: []wantRcpt{
		{"bounce@simulator.amazonses.com", ActionFailed, "5.1.1", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "lhost-amazonses-10.eml", format: FormatSES, rcpts: []wantRcpt{
		{"bounce@simulator.amazonses.com", ActionFailed, "5.1.1", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "lhost-amazonses-11.eml", notBounce: true},
	{file: "lhost-amazonses-12.eml", notBounce: true},
	{file: "lhost-amazonworkmail-01.eml", format: FormatText, rcpts: []wantRcpt{
		{"kijitora@example.jp", ActionFailed, "5.1.1", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "lhost-dragonfly-01.eml", format: FormatText, rcpts: []wantRcpt{
		{"pseudo-local-part@google.example.com", ActionFailed, "5.7.26", 550, reply.CommandEndOfData, reply.IsPolicyRejection},
	}},
	{file: "lhost-dragonfly-25.eml", format: FormatText, rcpts: []wantRcpt{
		{"virusdetected@libsisimai.net", ActionFailed, "5.7.0", 550, reply.CommandRcpt, reply.IsPolicyRejection},
	}},
	{file: "lhost-exchange2007-01.eml", format: FormatDSN, rcpts: []wantRcpt{
		{"mikeneko@example.co.jp", ActionFailed, "5.1.1", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "lhost-exim-01.eml", format: FormatText, rcpts: []wantRcpt{
		{"kijitora@example.ed.jp", ActionFailed, "5.7.0", 550, reply.CommandMail, reply.IsPolicyRejection},
	}},
	{file: "lhost-exim-02.eml", format: FormatText, messageID: "E1X58pB-0004bW-2s@marutamachi.example.org", rcpts: []wantRcpt{
		{"kijitora@example.jp", ActionFailed, "5.1.1", 550, reply.CommandRcpt, reply.IsMailboxUnavailable},
		{"sabatora@example.jp", ActionFailed, "5.2.1", 550, reply.CommandRcpt, reply.IsMailboxUnavailable},
	}},
	{file: "lhost-exim-61.eml", format: FormatText, rcpts: []wantRcpt{
		{"xxxx@xxxx.net", ActionFailed, "5.1.1", 550, reply.CommandRcpt, reply.IsMailboxUnavailable},
	}},
	{file: "lhost-gmail-01.eml", format: FormatText, messageID: "D992C2C3-F175-4C4D-97E2-53A90E4E5BF5@gmail.com", rcpts: []wantRcpt{
		{"userunknown@example.jp", ActionFailed, "5.1.1", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "lhost-gmail-03.eml", format: FormatText, rcpts: []wantRcpt{
		{"kijitora@example.co.jp", ActionFailed, "5.7.0", 554, "", reply.IsPolicyRejection},
	}},
	{file: "lhost-gmail-17.eml", format: FormatText, rcpts: []wantRcpt{
		{"mikeneko@libsisimai.org", ActionDelayed, "4.0.0", 0, "", reply.IsTemporary},
	}},
	{file: "lhost-gmx-01.eml", format: FormatText, rcpts: []wantRcpt{
		{"shironeko@example.jp", ActionFailed, "5.2.2", 0, reply.CommandRcpt, reply.IsMailboxFull},
	}},
	{file: "lhost-googlegroups-01.eml", format: FormatText, rcpts: []wantRcpt{
		{"libsisimai@googlegroups.com", ActionFailed, "5.0.0", 0, "", nil},
	}},
	{file: "lhost-mailru-01.eml", format: FormatText, rcpts: []wantRcpt{
		{"kijitora@example.jp", ActionFailed, "5.1.1", 550, reply.CommandRcpt, reply.IsMailboxUnavailable},
	}},
	{file: "lhost-office365-01.eml", format: FormatText, rcpts: []wantRcpt{
		{"kijitora@example.com", ActionFailed, "5.1.10", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "lhost-office365-03.eml", format: FormatDSN, rcpts: []wantRcpt{
		{"kijitora@example.com", ActionFailed, "5.1.0", 550, "", reply.IsPolicyRejection},
	}},
	{file: "lhost-office365-08.eml", format: FormatDSN, mta: "SG2APC01HT007.mail.protection.outlook.com", rcpts: []wantRcpt{
		{"nyaan@neko.example.jp", ActionFailed, "5.4.316", 550, "", nil},
	}},
	{file: "lhost-opensmtpd-02.eml", format: FormatText, rcpts: []wantRcpt{
		{"mailboxfull@example.jp", ActionFailed, "5.2.2", 550, "", reply.IsMailboxFull},
		{"userunknown@example.jp", ActionFailed, "5.1.1", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "lhost-outlook-04.eml", format: FormatDSN, rcpts: []wantRcpt{
		{"sabineko@example.co.jp", ActionFailed, "5.1.1", 550, "", reply.IsMailboxUnavailable},
		{"mikeneko@example.co.jp", ActionFailed, "5.2.2", 550, "", reply.IsMailboxFull},
	}},
	{file: "lhost-postfix-01-dos.eml", format: FormatDSN, rcpts: []wantRcpt{
		{"r@p351355.pool.example.ne.jp", ActionFailed, "5.1.1", 0, "", reply.IsMailboxUnavailable},
	}},
	{file: "lhost-postfix-01.eml", format: FormatDSN, rcpts: []wantRcpt{
		{"r@p351355.pool.example.ne.jp", ActionFailed, "5.1.1", 0, "", reply.IsMailboxUnavailable},
	}},
	{file: "lhost-postfix-02.eml", format: FormatDSN, mta: "smtp.example.com", rcpts: []wantRcpt{
		{"filtered@example.co.jp", ActionFailed, "5.2.1", 550, reply.CommandRcpt, reply.IsMailboxUnavailable},
		{"userunknown@example.co.jp", ActionFailed, "5.1.1", 550, reply.CommandRcpt, reply.IsMailboxUnavailable},
	}},
	{file: "lhost-postfix-34.eml", format: FormatText, rcpts: []wantRcpt{
		{"kijitora@example.com", ActionFailed, "5.0.0", 0, "", nil},
	}},
	{file: "lhost-qmail-01.eml", format: FormatQmail, mta: "mx4.example.jp", messageID: "000000000.9999999999999.JavaMail.postmaster@mailhub", rcpts: []wantRcpt{
		{"kijitora@example.ne.jp", ActionFailed, "5.0.0", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "lhost-qmail-02.eml", format: FormatQmail, rcpts: []wantRcpt{
		{"userunknown@example.jp", ActionFailed, "5.1.1", 550, "", reply.IsMailboxUnavailable},
		{"filtered@example.jp", ActionFailed, "5.2.1", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "lhost-receivingses-01.eml", format: FormatDSN, rcpts: []wantRcpt{
		{"userunknown@neko.example.jp", ActionFailed, "5.1.1", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "lhost-sendmail-02.eml", format: FormatDSN, mta: "nijo.example.jp", messageID: "C6625D0F-A302-4980-BEAB-2AF883EA0116@example.jp", rcpts: []wantRcpt{
		{"userunknown@example.org", ActionFailed, "5.1.1", 550, "", reply.IsMailboxUnavailable},
		{"filtered@example.com", ActionFailed, "5.2.1", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "lhost-sendmail-04.eml", format: FormatDSN, rcpts: []wantRcpt{
		{"kijitora@example.com", ActionFailed, "5.1.8", 553, "", reply.IsDomainUnavailable},
	}},
	{file: "lhost-yahoo-01.eml", format: FormatText, rcpts: []wantRcpt{
		{"kijitora@example.org", ActionFailed, "5.1.1", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "lhost-yahoo-06.eml", format: FormatText, rcpts: []wantRcpt{
		{"otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp", ActionFailed, "5.0.0", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "rfc3464-01-mac.eml", format: FormatDSN, mta: "smtpgw.example.jp", messageID: "E1C50F1B-1C83-4820-BC36-AC6FBFBE8568@example.org", rcpts: []wantRcpt{
		{"userunknown@bouncehammer.jp", ActionFailed, "5.1.1", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "rfc3464-01.eml", format: FormatDSN, mta: "smtpgw.example.jp", messageID: "E1C50F1B-1C83-4820-BC36-AC6FBFBE8568@example.org", rcpts: []wantRcpt{
		{"userunknown@bouncehammer.jp", ActionFailed, "5.1.1", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "rfc3464-03.eml", format: FormatDSN, rcpts: []wantRcpt{
		{"kijitora@example.com", ActionFailed, "5.0.0", 554, reply.CommandMail, reply.IsPolicyRejection},
	}},
	{file: "rfc3834-01.eml", notBounce: true},
	{file: "rhost-aol-03.eml", format: FormatDSN, rcpts: []wantRcpt{
		{"sabineko@example.jp", ActionFailed, "5.2.2", 550, "", reply.IsMailboxFull},
		{"mikeneko@example.jp", ActionFailed, "5.1.1", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "rhost-apple-01.eml", format: FormatDSN, mta: "mail-in2.apple.com", messageID: "c15e793e1c6acf9fbc39d1547bbd98b4@example.com", rcpts: []wantRcpt{
		{"kijitora@example.jp", ActionFailed, "5.1.6", 550, "", reply.IsMailboxUnavailable},
	}},
	{file: "rhost-google-03.eml", format: FormatDSN, rcpts: []wantRcpt{
		{"kijitora@google.example.com", ActionFailed, "5.7.26", 550, "", reply.IsPolicyRejection},
	}},
	{file: "rhost-gsuite-01.eml", format: FormatDSN, rcpts: []wantRcpt{
		{"kijitora@example.de", ActionFailed, "5.0.0", 550, "", nil},
	}},
	{file: "rhost-microsoft-01.eml", format: FormatDSN, rcpts: []wantRcpt{
		{"kijitora@example.com", ActionFailed, "5.7.606", 550, "", reply.IsPolicyRejection},
	}},
	{file: "rhost-yahooinc-01.eml", format: FormatDSN, rcpts: []wantRcpt{
		{"kijitora@aol.example.jp", ActionFailed, "5.7.9", 554, reply.CommandEndOfData, reply.IsPolicyRejection},
	}},
}

func TestParseRealBounces(t *testing.T) {
	seen := map[string]bool{}
	for _, tt := range sisimaiFixtures {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "sisimai", tt.file))
			require.NoError(t, err)
			defer f.Close()
			rep, err := Parse(f, nil)
			if tt.notBounce {
				require.ErrorIs(t, err, ErrNotBounce)
				assert.Nil(t, rep)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.format, rep.Format, "format")
			assert.Equal(t, tt.format != FormatDSN && tt.format != FormatGlobalDSN && tt.format != FormatSES, rep.BestEffort(), "BestEffort")
			if tt.mta != "" {
				assert.Equal(t, tt.mta, rep.ReportingMTA.Name, "Reporting-MTA")
			}
			if tt.messageID != "" {
				assert.Equal(t, tt.messageID, rep.Original.MessageID, "Message-ID of the returned message")
			}
			require.Len(t, rep.Recipients, len(tt.rcpts), "recipients: %+v", rep.Recipients)
			for i, w := range tt.rcpts {
				r := &rep.Recipients[i]
				assert.Equal(t, w.addr, r.FinalRecipient.Addr, "recipient %d address", i)
				assert.Equal(t, w.action, r.Action, "%s: action", w.addr)
				assert.Equal(t, w.status, r.Status.String(), "%s: status", w.addr)
				assert.Equal(t, w.code, r.Diagnostic.Reply.Code, "%s: reply code of %q", w.addr, r.Diagnostic.Text)
				assert.Equal(t, w.command, r.Diagnostic.Command, "%s: command", w.addr)
				err := r.Err()
				require.Error(t, err, "%s: Err", w.addr)
				var re *RecipientError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, w.action == ActionDelayed, reply.IsTemporary(err), "%s: IsTemporary(%v)", w.addr, err)
				if w.kind != nil {
					assert.True(t, w.kind(err), "%s: kind of %v", w.addr, err)
				} else {
					for _, s := range kindNames {
						assert.False(t, s.pred(err), "%s: %s(%v)", w.addr, s.name, err)
					}
				}
			}
		})
	}
	// Every fixture is in the table.
	files, err := filepath.Glob(filepath.Join("testdata", "sisimai", "*.eml"))
	require.NoError(t, err)
	for _, f := range files {
		assert.True(t, seen[filepath.Base(f)], "%s has no expectations", f)
	}
}

// kindNames are the kind predicates a bounce with no expected kind must
// all answer false.
var kindNames = []struct {
	name string
	pred func(error) bool
}{
	{"IsMailboxUnavailable", reply.IsMailboxUnavailable},
	{"IsMailboxFull", reply.IsMailboxFull},
	{"IsPolicyRejection", reply.IsPolicyRejection},
	{"IsDomainUnavailable", reply.IsDomainUnavailable},
	{"IsRateLimited", reply.IsRateLimited},
	{"IsAuthRequired", reply.IsAuthRequired},
	{"IsTLSRequired", reply.IsTLSRequired},
}

func parseFile(t *testing.T, name string) (*Report, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	return Parse(f, nil)
}

// testdata/synthetic/messy.eml holds, in a base64 delivery status part:
// folded and repeated fields, any case of field names, recipient groups
// without blank lines between them, unknown fields, an X-Postfix
// diagnostic, a recipient without a diagnostic, and malformed values.
// Its part was written by hand from RFC 3464's grammar.
func TestParseMessy(t *testing.T) {
	rep, err := parseFile(t, "synthetic/messy.eml")
	require.NoError(t, err)
	assert.Equal(t, FormatDSN, rep.Format)
	assert.Equal(t, MTA{Type: "dns", Name: "mx.example.net"}, rep.ReportingMTA)
	assert.Equal(t, "batch-42+x", rep.OriginalEnvelopeID, "xtext decoded")
	assert.False(t, rep.ArrivalDate.IsZero())
	assert.Contains(t, rep.Fields, Field{Name: "X-Postfix-Queue-ID", Value: "4Q1"}, "unknown per-message field kept")
	assert.Equal(t, "m1@example.com", rep.Original.MessageID)
	assert.Equal(t, "café", rep.Original.Subject, "RFC 2047 decoded")
	require.Len(t, rep.Recipients, 5)

	alice := rep.Recipients[0]
	assert.Equal(t, Address{Type: "RFC822", Addr: "alice@example.org"}, alice.FinalRecipient)
	assert.Equal(t, Address{Type: "rfc822", Addr: "Alice@Example.org"}, alice.OriginalRecipient)
	assert.Equal(t, "5.1.1", alice.Status.String(), "the first of two Status fields")
	assert.Equal(t, MTA{Type: "dns", Name: "mx1.example.org"}, alice.RemoteMTA)
	assert.Equal(t, reply.Code(550), alice.Diagnostic.Reply.Code)
	assert.Len(t, alice.Diagnostic.Reply.Lines(), 3, "the folded multi-line reply split into its lines")
	assert.Contains(t, alice.Fields, Field{Name: "X-Unknown-Field", Value: "kept"})
	assert.True(t, reply.IsMailboxUnavailable(alice.Err()))
	assert.Equal(t, reply.RetryNever, reply.RetryFor(alice.Err()))
	var aliceErr *reply.Error
	require.ErrorAs(t, alice.Err(), &aliceErr)
	assert.NotEmpty(t, aliceErr.Explain("en").Title)

	bob := rep.Recipients[1]
	assert.Equal(t, "bob@example.org", bob.FinalRecipient.Addr, "a group without a blank line before it")
	assert.Equal(t, ActionDelayed, bob.Action)
	assert.False(t, bob.WillRetryUntil.IsZero())
	assert.False(t, bob.LastAttemptDate.IsZero(), "date with a trailing comment")
	assert.True(t, reply.IsMailboxFull(bob.Err()))
	assert.True(t, reply.IsTemporary(bob.Err()))
	assert.Equal(t, reply.RetryLater, reply.RetryFor(bob.Err()))

	carol := rep.Recipients[2]
	assert.Equal(t, "X-Postfix", carol.Diagnostic.Type)
	assert.Equal(t, reply.Code(0), carol.Diagnostic.Reply.Code, "an X-Postfix diagnostic is not an SMTP reply")
	assert.True(t, reply.IsPermanent(carol.Err()))

	dave := rep.Recipients[3]
	assert.Empty(t, dave.Diagnostic.Text)
	err = dave.Err()
	var re *reply.Error
	require.ErrorAs(t, err, &re)
	assert.Equal(t, reply.CodeTransactionFailed, re.Reply.Code, "a reply made from the status alone")
	assert.Equal(t, "5.4.4", re.Reply.Enhanced.String())

	erin := rep.Recipients[4]
	assert.Equal(t, ActionUnknown, erin.Action)
	assert.True(t, erin.Status.IsZero())
	assert.NoError(t, erin.Err(), "nothing says erin failed")
	var fe *FieldError
	require.NotEmpty(t, rep.Problems)
	assert.ErrorAs(t, rep.Problems[0], &fe)
	assert.Len(t, rep.Problems, 2, "unknown action, malformed status: %v", rep.Problems)
	assert.Contains(t, erin.Fields, Field{Name: "Arrival-Date", Value: "not a date"}, "a per-message field in a recipient group is kept, not read")
}

func TestParseGlobal(t *testing.T) {
	rep, err := parseFile(t, "synthetic/global.eml")
	require.NoError(t, err)
	assert.Equal(t, FormatGlobalDSN, rep.Format)
	require.Len(t, rep.Recipients, 1)
	r := rep.Recipients[0]
	assert.Equal(t, "用户@例子.广告", r.FinalRecipient.Addr, `\x{HEX} decoded`)
	assert.Equal(t, "用户@例子.广告", r.OriginalRecipient.Addr)
	assert.Equal(t, "mx.例子.广告", rep.ReportingMTA.Name)
	assert.Equal(t, "你好", rep.Original.Subject)
	assert.True(t, reply.IsMailboxFull(r.Err()))
}

func TestParseQuotedPrintableText(t *testing.T) {
	rep, err := parseFile(t, "synthetic/qp-text.eml")
	require.NoError(t, err)
	assert.Equal(t, FormatText, rep.Format)
	assert.True(t, rep.BestEffort())
	require.Len(t, rep.Recipients, 1)
	r := rep.Recipients[0]
	assert.Equal(t, "nobody@example.org", r.FinalRecipient.Addr)
	assert.Equal(t, "5.1.1", r.Status.String())
	assert.True(t, reply.IsMailboxUnavailable(r.Err()))
}

func TestParseAutoReply(t *testing.T) {
	rep, err := parseFile(t, "synthetic/vacation.eml")
	var nb *NotBounceError
	require.ErrorAs(t, err, &nb)
	assert.Equal(t, "auto-reply", nb.Reason)
	assert.Nil(t, rep)
}

func TestParseLimits(t *testing.T) {
	f, err := os.ReadFile(filepath.Join("testdata", "synthetic", "messy.eml"))
	require.NoError(t, err)
	_, err = Parse(bytesReader(f), &Options{MaxBytes: 100})
	var le *LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "MaxBytes", le.Limit)

	rep, err := Parse(bytesReader(f), &Options{MaxRecipients: 2})
	require.NoError(t, err)
	assert.Len(t, rep.Recipients, 2)
	assert.True(t, errors.As(rep.Problems[0], &le) && le.Limit == "MaxRecipients", "%v", rep.Problems)

	rep, err = Parse(bytesReader(f), &Options{MaxFieldBytes: 40})
	require.NoError(t, err)
	assert.Equal(t, reply.Code(0), rep.Recipients[0].Diagnostic.Reply.Code, "the long diagnostic dropped")
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
