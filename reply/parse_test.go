package reply

import (
	"bufio"
	"slices"
	"strings"
	"testing"
)

// realReplies are replies as real servers send them: the Postfix, Exim,
// go-smtp and smtp-sink transcripts of the project's MTA test bed
// (../shared/mta/transcripts) and the documented replies of big providers.
var realReplies = []struct {
	name  string
	wire  string
	code  Code
	class Class
	enh   EnhancedCode
	lines []string
}{
	// Postfix 3.7.
	{"postfix greeting", "220 postfix.example.test ESMTP Postfix\r\n",
		220, ClassSuccess, EnhancedCode{}, []string{"postfix.example.test ESMTP Postfix"}},
	{"postfix EHLO",
		"250-postfix.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n" +
			"250-AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n",
		250, ClassSuccess, EnhancedCode{}, []string{"postfix.example.test", "PIPELINING", "SIZE 10240000", "VRFY", "ETRN",
			"STARTTLS", "AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING"}},
	{"postfix STARTTLS", "220 2.0.0 Ready to start TLS\r\n",
		220, ClassSuccess, enh(2, 0, 0), []string{"Ready to start TLS"}},
	{"postfix MAIL ok", "250 2.1.0 Ok\r\n", 250, ClassSuccess, enh(2, 1, 0), []string{"Ok"}},
	{"postfix RCPT ok", "250 2.1.5 Ok\r\n", 250, ClassSuccess, enh(2, 1, 5), []string{"Ok"}},
	{"postfix DATA", "354 End data with <CR><LF>.<CR><LF>\r\n",
		354, ClassIntermediate, EnhancedCode{}, []string{"End data with <CR><LF>.<CR><LF>"}},
	{"postfix queued", "250 2.0.0 Ok: queued as C0C9B984042\r\n",
		250, ClassSuccess, enh(2, 0, 0), []string{"Ok: queued as C0C9B984042"}},
	{"postfix TLS required", "530 5.7.0 Must issue a STARTTLS command first\r\n",
		530, ClassPermanent, enh(5, 7, 0), []string{"Must issue a STARTTLS command first"}},
	{"postfix auth required", "530 5.7.0 <sender@client.test>: Sender address rejected: Authentication required\r\n",
		530, ClassPermanent, enh(5, 7, 0), []string{"<sender@client.test>: Sender address rejected: Authentication required"}},
	{"postfix bad password", "535 5.7.8 Error: authentication failed: authentication failure\r\n",
		535, ClassPermanent, enh(5, 7, 8), []string{"Error: authentication failed: authentication failure"}},
	{"postfix LOGIN prompt", "334 VXNlcm5hbWU6\r\n", 334, ClassIntermediate, EnhancedCode{}, []string{"VXNlcm5hbWU6"}},
	{"postfix auth ok", "235 2.7.0 Authentication successful\r\n",
		235, ClassSuccess, enh(2, 7, 0), []string{"Authentication successful"}},
	{"postfix unknown user", "550 5.1.1 <nosuch@example.test>: Recipient address rejected: User unknown in virtual mailbox table\r\n",
		550, ClassPermanent, enh(5, 1, 1), []string{"<nosuch@example.test>: Recipient address rejected: User unknown in virtual mailbox table"}},
	{"postfix relay denied", "554 5.7.1 <someone@elsewhere.test>: Relay access denied\r\n",
		554, ClassPermanent, enh(5, 7, 1), []string{"<someone@elsewhere.test>: Relay access denied"}},
	{"postfix greylist", "450 4.7.1 <greylist@example.test>: Recipient address rejected: Greylisted, please try again later\r\n",
		450, ClassTransient, enh(4, 7, 1), []string{"<greylist@example.test>: Recipient address rejected: Greylisted, please try again later"}},
	{"postfix mailbox full", "452 4.2.2 <full@example.test>: Recipient address rejected: Mailbox full\r\n",
		452, ClassTransient, enh(4, 2, 2), []string{"<full@example.test>: Recipient address rejected: Mailbox full"}},
	{"postfix shutting down", "421 4.3.2 <bye@example.test>: Recipient address rejected: Service shutting down, closing channel\r\n",
		421, ClassTransient, enh(4, 3, 2), []string{"<bye@example.test>: Recipient address rejected: Service shutting down, closing channel"}},
	{"postfix timeout", "421 4.4.2 postfix.example.test Error: timeout exceeded\r\n",
		421, ClassTransient, enh(4, 4, 2), []string{"postfix.example.test Error: timeout exceeded"}},
	{"postfix size", "552 5.3.4 Message size exceeds fixed limit\r\n",
		552, ClassPermanent, enh(5, 3, 4), []string{"Message size exceeds fixed limit"}},
	{"postfix postscreen", "521 5.3.2 Service currently unavailable\r\n",
		521, ClassPermanent, enh(5, 3, 2), []string{"Service currently unavailable"}},
	{"postfix BDAT", "250 2.0.0 Ok: 29 bytes queued as 13F709845F2\r\n",
		250, ClassSuccess, enh(2, 0, 0), []string{"Ok: 29 bytes queued as 13F709845F2"}},
	{"postfix auth aborted", "501 5.7.0 Authentication aborted\r\n",
		501, ClassPermanent, enh(5, 7, 0), []string{"Authentication aborted"}},

	// Exim 4.96: no enhanced codes unless configured.
	{"exim greeting", "220 exim.example.test ESMTP Exim 4.96 Sun, 29 Nov 2026 08:03:16 +0000\r\n",
		220, ClassSuccess, EnhancedCode{}, []string{"exim.example.test ESMTP Exim 4.96 Sun, 29 Nov 2026 08:03:16 +0000"}},
	{"exim EHLO",
		"250-exim.example.test Hello vm [127.0.0.1]\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n250-PIPELINING\r\n250-PIPECONNECT\r\n" +
			"250-AUTH PLAIN LOGIN CRAM-MD5\r\n250-CHUNKING\r\n250-STARTTLS\r\n250-SMTPUTF8\r\n250 HELP\r\n",
		250, ClassSuccess, EnhancedCode{}, []string{"exim.example.test Hello vm [127.0.0.1]", "SIZE 10485760", "8BITMIME",
			"PIPELINING", "PIPECONNECT", "AUTH PLAIN LOGIN CRAM-MD5", "CHUNKING", "STARTTLS", "SMTPUTF8", "HELP"}},
	{"exim bad auth", "535 Incorrect authentication data\r\n",
		535, ClassPermanent, EnhancedCode{}, []string{"Incorrect authentication data"}},
	{"exim unrouteable", "550 Unrouteable address\r\n", 550, ClassPermanent, EnhancedCode{}, []string{"Unrouteable address"}},
	{"exim multi-line 503", "503-valid RCPT command must precede DATA\r\n503 Too many syntax or protocol errors\r\n",
		503, ClassPermanent, EnhancedCode{}, []string{"valid RCPT command must precede DATA", "Too many syntax or protocol errors"}},
	{"exim help", "214-Commands supported:\r\n214 AUTH STARTTLS HELO EHLO MAIL RCPT DATA BDAT NOOP QUIT RSET HELP\r\n",
		214, ClassSuccess, EnhancedCode{}, []string{"Commands supported:", "AUTH STARTTLS HELO EHLO MAIL RCPT DATA BDAT NOOP QUIT RSET HELP"}},
	{"exim data", "354 Enter message, ending with \".\" on a line by itself\r\n",
		354, ClassIntermediate, EnhancedCode{}, []string{"Enter message, ending with \".\" on a line by itself"}},
	{"exim 501", "501 <bad address>: \"@\" or \".\" expected after \"bad\"\r\n",
		501, ClassPermanent, EnhancedCode{}, []string{"<bad address>: \"@\" or \".\" expected after \"bad\""}},

	// go-smtp v0.25.1 server.
	{"go-smtp EHLO",
		"250-Hello vm\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n250-STARTTLS\r\n" +
			"250-AUTH PLAIN LOGIN\r\n250-SIZE 10485760\r\n250 LIMITS RCPTMAX=50\r\n",
		250, ClassSuccess, EnhancedCode{}, []string{"Hello vm", "PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "CHUNKING",
			"STARTTLS", "AUTH PLAIN LOGIN", "SIZE 10485760", "LIMITS RCPTMAX=50"}},
	{"go-smtp auth required", "530 5.7.0 Authentication required\r\n",
		530, ClassPermanent, enh(5, 7, 0), []string{"Authentication required"}},
	{"go-smtp auth failed", "535 5.7.8 Authentication failed\r\n",
		535, ClassPermanent, enh(5, 7, 8), []string{"Authentication failed"}},
	{"go-smtp empty challenge", "334 \r\n", 334, ClassIntermediate, EnhancedCode{}, []string{""}},
	{"go-smtp VRFY", "252 2.5.0 Cannot VRFY user, but will accept message\r\n",
		252, ClassSuccess, enh(2, 5, 0), []string{"Cannot VRFY user, but will accept message"}},
	{"go-smtp unsupported mechanism", "504 5.7.4 Unsupported authentication mechanism\r\n",
		504, ClassPermanent, enh(5, 7, 4), []string{"Unsupported authentication mechanism"}},

	// smtp-sink: its EHLO reply ends with an empty "250 " line.
	{"smtp-sink EHLO",
		"250-sink.example.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250-XCLIENT NAME HELO\r\n" +
			"250-XFORWARD NAME ADDR PROTO HELO\r\n250-ENHANCEDSTATUSCODES\r\n250-DSN\r\n250 \r\n",
		250, ClassSuccess, EnhancedCode{}, []string{"sink.example.test", "PIPELINING", "8BITMIME", "AUTH PLAIN LOGIN",
			"XCLIENT NAME HELO", "XFORWARD NAME ADDR PROTO HELO", "ENHANCEDSTATUSCODES", "DSN", ""}},
	{"smtp-sink 421", "421 4.0.0 Server closing connection\r\n",
		421, ClassTransient, enh(4, 0, 0), []string{"Server closing connection"}},

	// Gmail: continuation lines repeat the enhanced code and indent the
	// text with a second space, which stays text.
	{"gmail auth required",
		"530-5.7.0 Authentication Required. Learn more at\r\n" +
			"530 5.7.0  https://support.google.com/mail/?p=WantAuthError d9443c01a7336-2a1e2f1b4c5sm1234567pfd.12 - gsmtp\r\n",
		530, ClassPermanent, enh(5, 7, 0), []string{"Authentication Required. Learn more at",
			" https://support.google.com/mail/?p=WantAuthError d9443c01a7336-2a1e2f1b4c5sm1234567pfd.12 - gsmtp"}},
	{"gmail unknown user",
		"550-5.1.1 The email account that you tried to reach does not exist. Please try\n" +
			"550-5.1.1 double-checking the recipient's email address for typos or\n" +
			"550-5.1.1 unnecessary spaces. Learn more at\n" +
			"550 5.1.1 https://support.google.com/mail/answer/6596 h20si25154304pfd.166 - gsmtp\n",
		550, ClassPermanent, enh(5, 1, 1), []string{
			"The email account that you tried to reach does not exist. Please try",
			"double-checking the recipient's email address for typos or",
			"unnecessary spaces. Learn more at",
			"https://support.google.com/mail/answer/6596 h20si25154304pfd.166 - gsmtp"}},
	{"gmail bad credentials",
		"535-5.7.8 Username and Password not accepted. For more information, go to\r\n" +
			"535 5.7.8  https://support.google.com/mail/?p=BadCredentials a640c23a62f3a-ab67f5b7c2dsm12345.9 - gsmtp\r\n",
		535, ClassPermanent, enh(5, 7, 8), []string{"Username and Password not accepted. For more information, go to",
			" https://support.google.com/mail/?p=BadCredentials a640c23a62f3a-ab67f5b7c2dsm12345.9 - gsmtp"}},
	{"gmail app password",
		"534-5.7.9 Application-specific password required. Learn more at\r\n" +
			"534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor 5b1f17b1804b1-43d2b4bd1fasm1234.1 - gsmtp\r\n",
		534, ClassPermanent, enh(5, 7, 9), []string{"Application-specific password required. Learn more at",
			" https://support.google.com/mail/?p=InvalidSecondFactor 5b1f17b1804b1-43d2b4bd1fasm1234.1 - gsmtp"}},
	{"gmail rate limited",
		"421-4.7.28 [203.0.113.7      15] Our system has detected an unusual rate of\r\n" +
			"421-4.7.28 unsolicited mail originating from your IP address. To protect our\r\n" +
			"421-4.7.28 users from spam, mail sent from your IP address has been temporarily\r\n" +
			"421-4.7.28 rate limited. Please visit\r\n" +
			"421-4.7.28  https://support.google.com/mail/?p=UnsolicitedRateLimitError to\r\n" +
			"421 4.7.28 review our Bulk Email Senders Guidelines. d2sor1234567ioc.54 - gsmtp\r\n",
		421, ClassTransient, enh(4, 7, 28), []string{
			"[203.0.113.7      15] Our system has detected an unusual rate of",
			"unsolicited mail originating from your IP address. To protect our",
			"users from spam, mail sent from your IP address has been temporarily",
			"rate limited. Please visit",
			" https://support.google.com/mail/?p=UnsolicitedRateLimitError to",
			"review our Bulk Email Senders Guidelines. d2sor1234567ioc.54 - gsmtp"}},
	{"gmail mailbox full",
		"552-5.2.2 The email account that you tried to reach is over quota. Please direct\r\n" +
			"552-5.2.2 the recipient to\r\n" +
			"552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm 2adb3069b0e04-5a1sm12 - gsmtp\r\n",
		552, ClassPermanent, enh(5, 2, 2), []string{
			"The email account that you tried to reach is over quota. Please direct",
			"the recipient to",
			" https://support.google.com/mail/?p=OverQuotaPerm 2adb3069b0e04-5a1sm12 - gsmtp"}},
	{"gmail EHLO",
		"250-smtp.gmail.com at your service, [203.0.113.7]\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n" +
			"250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n250-ENHANCEDSTATUSCODES\r\n" +
			"250-PIPELINING\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n",
		250, ClassSuccess, EnhancedCode{}, []string{"smtp.gmail.com at your service, [203.0.113.7]", "SIZE 35882577", "8BITMIME",
			"AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH", "ENHANCEDSTATUSCODES", "PIPELINING", "CHUNKING", "SMTPUTF8"}},

	// Microsoft 365 / Exchange Online.
	{"m365 SMTP AUTH disabled",
		"535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. " +
			"Visit https://aka.ms/smtp_auth_disabled for more information. [SN4PR0501CA0054.namprd05.prod.outlook.com]\r\n",
		535, ClassPermanent, enh(5, 7, 139), []string{"Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. " +
			"Visit https://aka.ms/smtp_auth_disabled for more information. [SN4PR0501CA0054.namprd05.prod.outlook.com]"}},
	{"m365 not authenticated",
		"530 5.7.57 Client not authenticated to send mail. [BN9PR03CA0331.namprd03.prod.outlook.com 2024-05-01T10:00:00.000Z 08DC1234]\r\n",
		530, ClassPermanent, enh(5, 7, 57), []string{"Client not authenticated to send mail. [BN9PR03CA0331.namprd03.prod.outlook.com 2024-05-01T10:00:00.000Z 08DC1234]"}},
	{"m365 server busy", "451 4.7.500 Server busy. Please try again later from [203.0.113.7]. (S77714) [DM6NAM11FT012.eop-nam11.prod.protection.outlook.com]\r\n",
		451, ClassTransient, enh(4, 7, 500), []string{"Server busy. Please try again later from [203.0.113.7]. (S77714) [DM6NAM11FT012.eop-nam11.prod.protection.outlook.com]"}},
	{"m365 send as denied", "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message Cannot submit message.\r\n",
		554, ClassPermanent, enh(5, 2, 0), []string{"STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message Cannot submit message."}},
	{"outlook blocklist", "550 5.7.1 Unfortunately, messages from [203.0.113.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).\r\n",
		550, ClassPermanent, enh(5, 7, 1), []string{"Unfortunately, messages from [203.0.113.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150)."}},

	// Amazon SES: no enhanced codes.
	{"ses throttling", "454 Throttling failure: Maximum sending rate exceeded.\r\n",
		454, ClassTransient, EnhancedCode{}, []string{"Throttling failure: Maximum sending rate exceeded."}},
	{"ses daily quota", "454 Throttling failure: Daily message quota exceeded.\r\n",
		454, ClassTransient, EnhancedCode{}, []string{"Throttling failure: Daily message quota exceeded."}},
	{"ses not verified", "554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: sender@example.com\r\n",
		554, ClassPermanent, EnhancedCode{}, []string{"Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: sender@example.com"}},
	{"ses bad credentials", "535 Authentication Credentials Invalid\r\n",
		535, ClassPermanent, EnhancedCode{}, []string{"Authentication Credentials Invalid"}},

	// Greylisting and other providers.
	{"greylisting 451", "451 4.7.1 Greylisting in action, please come back later\r\n",
		451, ClassTransient, enh(4, 7, 1), []string{"Greylisting in action, please come back later"}},
	{"postgrey", "450 4.2.0 <user@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html\r\n",
		450, ClassTransient, enh(4, 2, 0), []string{"<user@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html"}},
	{"yahoo deferred", "421 4.7.0 [TSS04] Messages from 203.0.113.7 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes\r\n",
		421, ClassTransient, enh(4, 7, 0), []string{"[TSS04] Messages from 203.0.113.7 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes"}},
	{"go-smtp library auth required (502)", "502 5.7.0 Please authenticate first\r\n",
		502, ClassPermanent, enh(5, 7, 0), []string{"Please authenticate first"}},
}

func TestRealReplies(t *testing.T) {
	for _, tt := range realReplies {
		t.Run(tt.name, func(t *testing.T) {
			check := func(fn string, got Reply) {
				t.Helper()
				if got.Code != tt.code || got.Class() != tt.class || got.Enhanced != tt.enh || !slices.Equal(got.Lines(), tt.lines) {
					t.Errorf("%s(%q) = code %v, class %v, enhanced %q, lines %q;\nwant %v, %v, %q, %q",
						fn, tt.wire, got.Code, got.Class(), got.Enhanced, got.Lines(), tt.code, tt.class, tt.enh, tt.lines)
				}
			}
			got, err := Parse([]byte(tt.wire), nil)
			if err != nil {
				t.Fatalf("Parse(%q) error = %v", tt.wire, err)
			}
			check("Parse", got)

			// Read the reply as the client does, twice in a row through
			// one Reader and one reused Reply.
			br := bufio.NewReader(strings.NewReader(tt.wire + tt.wire))
			r := NewReader(br, nil)
			var rr Reply
			for range 2 {
				if err := r.ReadReply(&rr); err != nil {
					t.Fatalf("ReadReply(%q) error = %v", tt.wire, err)
				}
				check("ReadReply", rr)
			}

			// Wire form round trip.
			wire := got.AppendWire(nil)
			back, err := Parse(wire, nil)
			if err != nil {
				t.Fatalf("Parse(AppendWire) = Parse(%q) error = %v", wire, err)
			}
			check("Parse(AppendWire)", back)
		})
	}
}
