package reply_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// predicates are the columns of the classification table, in order.
var predicates = []struct {
	letter byte
	name   string
	is     func(error) bool
}{
	{'T', "IsTemporary", reply.IsTemporary},
	{'P', "IsPermanent", reply.IsPermanent},
	{'A', "IsAuthRequired", reply.IsAuthRequired},
	{'S', "IsTLSRequired", reply.IsTLSRequired},
	{'F', "IsAuthFailed", reply.IsAuthFailed},
	{'t', "IsAuthTemporary", reply.IsAuthTemporary},
	{'W', "IsMechanismTooWeak", reply.IsMechanismTooWeak},
	{'X', "IsPasswordTransition", reply.IsPasswordTransition},
	{'C', "IsServiceClosing", reply.IsServiceClosing},
	{'U', "IsMailboxUnavailable", reply.IsMailboxUnavailable},
	{'M', "IsMailboxFull", reply.IsMailboxFull},
	{'L', "IsMessageTooLarge", reply.IsMessageTooLarge},
	{'R', "IsRateLimited", reply.IsRateLimited},
}

// classifyTests are real replies: the Postfix, Exim, go-smtp and smtp-sink
// transcripts in ../shared/mta/transcripts, and replies documented by big
// providers. want has one column per predicate, in the order of
// predicates: the column's letter when the predicate holds, '.' when not.
var classifyTests = []struct {
	name  string
	cmd   string // Error.Command
	wire  string // the reply as sent
	class reply.Class
	enh   string
	want  string
	retry reply.Retry
}{
	//                                                                                             TPASFtWXCUMLR
	// Authentication and TLS.
	{"gmail auth required", "MAIL FROM", "530-5.7.0 Authentication Required. For more information, go to\r\n530 5.7.0  https://support.google.com/mail/?p=WantAuthError a1-20020a05600c000000b00000000000si0000000wmq.0 - gsmtp\r\n", 5, "5.7.0", ".PA..........", reply.RetryAfterAuth},
	{"go-smtp/exim auth required", "MAIL FROM", "530 5.7.0 Authentication required\r\n", 5, "5.7.0", ".PA..........", reply.RetryAfterAuth},
	{"postfix auth required by access map", "MAIL FROM", "530 5.7.0 <sender@client.test>: Sender address rejected: Authentication required\r\n", 5, "5.7.0", ".PA..........", reply.RetryAfterAuth},
	{"microsoft 530 5.7.57", "MAIL FROM", "530 5.7.57 Client not authenticated to send mail. [BN0PR04CA0012.namprd04.prod.outlook.com 2024-01-01T00:00:00.000Z 08DC0000000000]\r\n", 5, "5.7.57", ".PA..........", reply.RetryAfterAuth},
	{"microsoft 550 5.7.57", "MAIL FROM", "550 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM\r\n", 5, "5.7.57", ".PA..........", reply.RetryAfterAuth},
	{"go-smtp 502 please authenticate", "MAIL FROM", "502 5.7.0 Please authenticate first\r\n", 5, "5.7.0", ".PA..........", reply.RetryAfterAuth},
	{"postfix/exim must issue STARTTLS", "MAIL FROM", "530 5.7.0 Must issue a STARTTLS command first\r\n", 5, "5.7.0", ".P.S.........", reply.RetryAfterStartTLS},
	{"must issue STARTTLS, unknown command", "", "530 5.7.0 Must issue a STARTTLS command first\r\n", 5, "5.7.0", ".P.S.........", reply.RetryAfterStartTLS},
	{"go-smtp 523 TLS required", "AUTH", "523 5.7.10 TLS is required\r\n", 5, "5.7.10", ".P.S.........", reply.RetryAfterStartTLS},
	{"523 without enhanced code", "AUTH", "523 Encryption Needed\r\n", 5, "", ".P.S.........", reply.RetryAfterStartTLS},
	{"538 encryption required", "AUTH", "538 5.7.11 Encryption required for requested authentication mechanism\r\n", 5, "5.7.11", ".P.S.........", reply.RetryAfterStartTLS},
	{"microsoft 451 5.7.3 STARTTLS (class mismatch: text)", "MAIL FROM", "451 5.7.3 STARTTLS is required to send mail [AM0PR10MB0000.EURPRD10.PROD.OUTLOOK.COM]\r\n", 4, "", "T..S.........", reply.RetryAfterStartTLS},
	{"postfix cyrus bad password", "AUTH", "535 5.7.8 Error: authentication failed: authentication failure\r\n", 5, "5.7.8", ".P..F........", reply.RetryNever},
	{"postfix dovecot bad password", "AUTH", "535 5.7.8 Error: authentication failed: (reason unavailable)\r\n", 5, "5.7.8", ".P..F........", reply.RetryNever},
	{"postfix unknown mechanism", "AUTH", "535 5.7.8 Error: authentication failed: no mechanism available\r\n", 5, "5.7.8", ".P..F........", reply.RetryNever},
	{"exim bad password", "AUTH", "535 Incorrect authentication data\r\n", 5, "", ".P..F........", reply.RetryNever},
	{"go-smtp bad password", "AUTH", "535 5.7.8 Authentication failed\r\n", 5, "5.7.8", ".P..F........", reply.RetryNever},
	{"microsoft basic auth disabled", "AUTH", "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [SN4PR0501CA0000.namprd05.prod.outlook.com]\r\n", 5, "5.7.139", ".P..F........", reply.RetryNever},
	{"X.7.8 outside 535", "AUTH", "554 5.7.8 Authentication credentials invalid\r\n", 5, "5.7.8", ".P..F........", reply.RetryNever},
	{"postfix dovecot temporary failure", "AUTH", "454 4.7.0 Temporary authentication failure: Connection lost to authentication server\r\n", 4, "4.7.0", "T....t.......", reply.RetryLater},
	{"temporary auth failure, unknown command", "", "454 4.7.0 Temporary authentication failure\r\n", 4, "4.7.0", "T....t.......", reply.RetryLater},
	{"go-smtp bad base64 (454 to AUTH)", "AUTH", "454 4.7.0 Invalid base64 data\r\n", 4, "4.7.0", "T....t.......", reply.RetryLater},
	{"454 to STARTTLS is not an auth failure", "STARTTLS", "454 4.7.0 TLS not available due to temporary reason\r\n", 4, "4.7.0", "T............", reply.RetryLater},
	{"534 mechanism too weak", "AUTH", "534 5.7.9 Authentication mechanism is too weak\r\n", 5, "5.7.9", ".P....W......", reply.RetryNever},
	{"432 password transition", "AUTH", "432 4.7.12 A password transition is needed\r\n", 4, "4.7.12", "T......X.....", reply.RetryLater},
	{"postfix auth cancelled", "AUTH", "501 5.7.0 Authentication aborted\r\n", 5, "5.7.0", ".P...........", reply.RetryNever},
	{"go-smtp unknown mechanism", "AUTH", "504 5.7.4 Unsupported authentication mechanism\r\n", 5, "5.7.4", ".P...........", reply.RetryNever},

	// Service closing and rate limiting.
	{"postfix 421 at RCPT", "RCPT TO", "421 4.3.2 <bye@example.test>: Recipient address rejected: Service shutting down, closing channel\r\n", 4, "4.3.2", "T.......C....", reply.RetryNewConnection},
	{"postfix too many connections", "greeting", "421 4.7.0 postfix.example.test Error: too many connections from 127.0.0.1\r\n", 4, "4.7.0", "T.......C...R", reply.RetryNewConnection},
	{"postfix 421 X.7.0 at MAIL", "MAIL FROM", "421 4.7.0 <421-4.7.0@codes.test>: Sender address rejected: Synthetic reply 421 requested by test\r\n", 4, "4.7.0", "T.......C...R", reply.RetryNewConnection},
	{"postfix timeout", "", "421 4.4.2 postfix.example.test Error: timeout exceeded\r\n", 4, "4.4.2", "T.......C....", reply.RetryNewConnection},
	{"smtp-sink 421", "DATA", "421 4.0.0 Server closing connection\r\n", 4, "4.0.0", "T.......C....", reply.RetryNewConnection},
	{"exim too many messages", "MAIL FROM", "421 too many messages in this connection\r\n", 4, "", "T.......C...R", reply.RetryNewConnection},
	{"gmail try again later", "EHLO", "421 4.7.0 Try again later, closing connection. (EHLO) a1si0000000wmc.85 - gsmtp\r\n", 4, "4.7.0", "T.......C...R", reply.RetryNewConnection},
	{"gmail unusual rate", "end of data", "421-4.7.0 [192.0.2.1      15] Our system has detected an unusual rate of\r\n421-4.7.0 unsolicited mail originating from your IP address. To protect our\r\n421 4.7.0 users from spam, mail sent from your IP address has been temporarily rate limited.\r\n", 4, "4.7.0", "T.......C...R", reply.RetryNewConnection},
	{"amazon ses throttling", "MAIL FROM", "454 Throttling failure: Maximum sending rate exceeded.\r\n", 4, "", "T...........R", reply.RetryLater},
	{"greylisting in action", "RCPT TO", "451 4.7.1 Greylisting in action, please come back later\r\n", 4, "4.7.1", "T...........R", reply.RetryLater},
	{"postfix greylisted", "RCPT TO", "450 4.7.1 <greylist@example.test>: Recipient address rejected: Greylisted, please try again later\r\n", 4, "4.7.1", "T...........R", reply.RetryLater},
	{"postgrey 4.2.0", "RCPT TO", "450 4.2.0 <rcpt@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html\r\n", 4, "4.2.0", "T...........R", reply.RetryLater},
	{"postfix 451 X.7.1", "RCPT TO", "451 4.7.1 <451-4.7.1@codes.test>: Recipient address rejected: Synthetic reply 451 requested by test\r\n", 4, "4.7.1", "T...........R", reply.RetryLater},
	{"gmail receiving at a rate", "RCPT TO", "450-4.2.1 The user you are trying to contact is receiving mail at a rate that\r\n450-4.2.1 prevents additional messages from being delivered. Please resend your\r\n450 4.2.1 message at a later point.\r\n", 4, "4.2.1", "T........U..R", reply.RetryLater},
	{"postfix soft-bounced relay denial", "RCPT TO", "454 4.7.1 <x@elsewhere.test>: Relay access denied\r\n", 4, "4.7.1", "T...........R", reply.RetryLater},
	{"too many recipients is not rate limiting", "RCPT TO", "452 4.5.3 Too many recipients\r\n", 4, "4.5.3", "T............", reply.RetryLater},
	{"postfix temporary local problem", "RCPT TO", "451 4.3.0 <tempfail@example.test>: Recipient address rejected: Temporary local problem, try again later\r\n", 4, "4.3.0", "T............", reply.RetryLater},
	{"go-smtp temporary local problem", "RCPT TO", "451 4.3.0 Temporary local problem, try again later\r\n", 4, "4.3.0", "T............", reply.RetryLater},
	{"exim sender temporarily rejected", "MAIL FROM", "451 4.3.0 Sender temporarily rejected\r\n", 4, "4.3.0", "T............", reply.RetryLater},
	{"smtp-sink try again later", "RCPT TO", "451 4.3.0 Try again later\r\n", 4, "4.3.0", "T............", reply.RetryLater},
	{"try again later, no enhanced code", "RCPT TO", "451 Please try again later\r\n", 4, "", "T...........R", reply.RetryLater},
	{"smtp-sink after the dot", "end of data", "450 4.3.0 Error: command failed\r\n", 4, "4.3.0", "T............", reply.RetryLater},
	{"postfix 451 to DATA", "DATA", "451 4.3.0 <data-451-4.3.0@codes.test>: Sender address rejected: Synthetic DATA reply 451\r\n", 4, "4.3.0", "T............", reply.RetryLater},
	{"postfix 452 after the dot", "end of data", "452 4.3.1 <eod-452-4.3.1@codes.test>: Sender address rejected: Synthetic end-of-data reply 452\r\n", 4, "4.3.1", "T............", reply.RetryLater},
	{"gmail 4.7.28 flood", "end of data", "421-4.7.28 [192.0.2.1      15] Our system has detected an unusual rate of\r\n421 4.7.28 unsolicited mail originating from your IP address.\r\n", 4, "4.7.28", "T.......C...R", reply.RetryNewConnection},
	{"5.7.28 flood is permanent, not rate limited", "end of data", "550 5.7.28 Mail flood detected\r\n", 5, "5.7.28", ".P...........", reply.RetryNever},
	{"gmail daily sending limit (permanent)", "MAIL FROM", "550 5.4.5 Daily user sending quota exceeded. a1si0000000wmc.85 - gsmtp\r\n", 5, "5.4.5", ".P...........", reply.RetryNever},

	// Mailboxes.
	{"postfix user unknown", "RCPT TO", "550 5.1.1 <nosuch@example.test>: Recipient address rejected: User unknown in virtual mailbox table\r\n", 5, "5.1.1", ".P.......U...", reply.RetryNever},
	{"go-smtp no such user", "RCPT TO", "550 5.1.1 No such user here\r\n", 5, "5.1.1", ".P.......U...", reply.RetryNever},
	{"exim unrouteable address", "RCPT TO", "550 Unrouteable address\r\n", 5, "", ".P.......U...", reply.RetryNever},
	{"gmail no such user", "RCPT TO", "550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n550-5.1.1 double-checking the recipient's email address for typos or\r\n550-5.1.1 unnecessary spaces. Learn more at\r\n550 5.1.1  https://support.google.com/mail/?p=NoSuchUser a1si0000000wmc.85 - gsmtp\r\n", 5, "5.1.1", ".P.......U...", reply.RetryNever},
	{"postfix soft-bounced user unknown", "RCPT TO", "450 4.1.1 <nosuch@example.test>: Recipient address rejected: User unknown in virtual mailbox table\r\n", 4, "4.1.1", "T........U...", reply.RetryLater},
	{"postfix bad sender domain", "MAIL FROM", "553 5.1.8 <553-5.1.8@codes.test>: Sender address rejected: Synthetic reply 553 requested by test\r\n", 5, "5.1.8", ".P.......U...", reply.RetryNever},
	{"postfix bad recipient syntax", "RCPT TO", "501 5.1.3 Bad recipient address syntax\r\n", 5, "5.1.3", ".P.......U...", reply.RetryNever},
	{"551 user not local", "RCPT TO", "551 User not local; please try <bob@example.org>\r\n", 5, "", ".P.......U...", reply.RetryNever},
	{"null MX recipient", "RCPT TO", "556 5.1.10 Recipient address has null MX\r\n", 5, "5.1.10", ".P.......U...", reply.RetryNever},
	{"postfix policy rejection is not X.1", "RCPT TO", "550 5.7.1 <blocked@example.test>: Recipient address rejected: Recipient blocked by policy\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"exim policy rejection", "RCPT TO", "550 5.7.1 Recipient blocked by policy\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"exim relay not permitted", "RCPT TO", "550 5.7.1 Relay not permitted\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"postfix relay access denied", "RCPT TO", "554 5.7.1 <someone@elsewhere.test>: Relay access denied\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"smtp-sink 550 5.7.1", "MAIL FROM", "550 5.7.1 Go away\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"postfix stock policy", "RCPT TO", "554 5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"postfix 554 greeting", "greeting", "554 5.7.1 Connections on this port are refused\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"postfix 521 at RCPT", "RCPT TO", "521 5.3.2 <521-5.3.2@codes.test>: Recipient address rejected: Synthetic reply 521 requested by test\r\n", 5, "5.3.2", ".P...........", reply.RetryNever},
	{"exim drop", "RCPT TO", "554 5.3.2 Closing connection\r\n", 5, "5.3.2", ".P...........", reply.RetryNever},
	{"postfix header check", "end of data", "550 5.7.1 Message content rejected by header check\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"smtp-sink 550 after 354", "DATA", "550 This violates SMTP\r\n", 5, "", ".P...........", reply.RetryNever},
	{"gmail unauthenticated mail", "end of data", "550-5.7.26 This mail is unauthenticated, which poses a security risk to the\r\n550-5.7.26 sender and Gmail users, and has been blocked. The sender must\r\n550 5.7.26 authenticate with at least one of SPF or DKIM.\r\n", 5, "5.7.26", ".P...........", reply.RetryNever},
	{"postfix mailbox full", "RCPT TO", "452 4.2.2 <full@example.test>: Recipient address rejected: Mailbox full\r\n", 4, "4.2.2", "T.........M..", reply.RetryLater},
	{"go-smtp mailbox full", "RCPT TO", "452 4.2.2 Mailbox full\r\n", 4, "4.2.2", "T.........M..", reply.RetryLater},
	{"gmail over quota", "RCPT TO", "552-5.2.2 The email account that you tried to reach is over quota. Please direct\r\n552 5.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaPerm a1si0000000wmc.85 - gsmtp\r\n", 5, "5.2.2", ".P........M..", reply.RetryNever},
	{"552 over quota without enhanced code", "RCPT TO", "552 Mailbox is full\r\n", 5, "", ".P........M..", reply.RetryNever},

	// Message size.
	{"postfix SIZE too big", "MAIL FROM", "552 5.3.4 Message size exceeds fixed limit\r\n", 5, "5.3.4", ".P.........L.", reply.RetryNever},
	{"postfix body too big", "end of data", "552 5.3.4 Error: message file too big\r\n", 5, "5.3.4", ".P.........L.", reply.RetryNever},
	{"exim SIZE too big", "MAIL FROM", "552 Message size exceeds maximum permitted\r\n", 5, "", ".P.........L.", reply.RetryNever},
	{"exim body too big", "end of data", "552 Message size exceeds maximum permitted\r\n", 5, "", ".P.........L.", reply.RetryNever},
	{"go-smtp SIZE too big", "MAIL FROM", "552 5.3.4 Max message size exceeded\r\n", 5, "5.3.4", ".P.........L.", reply.RetryNever},
	{"gmail size limit", "end of data", "552-5.2.3 Your message exceeded Google's message size limits. Please visit\r\n552 5.2.3  https://support.google.com/mail/?p=MaxSizeError to view our size guidelines.\r\n", 5, "5.2.3", ".P.........L.", reply.RetryNever},
	{"postfix soft-bounced size", "MAIL FROM", "452 4.3.4 Message size exceeds fixed limit\r\n", 4, "4.3.4", "T..........L.", reply.RetryLater},
	{"plain 552 to BDAT", "BDAT", "552 Too much mail data\r\n", 5, "", ".P.........L.", reply.RetryNever},
	{"552 size from a log, no command", "", "552 Message too large\r\n", 5, "", ".P.........L.", reply.RetryNever},
	{"552 at RCPT without a hint", "RCPT TO", "552 Requested mail action aborted: exceeded storage allocation\r\n", 5, "", ".P...........", reply.RetryNever},
	{"REQUIRETLS on a later hop is not TLS required", "end of data", "550 5.7.30 Message requires TLS on every hop (REQUIRETLS); no next hop supports it\r\n", 5, "5.7.30", ".P...........", reply.RetryNever},
	{"gmail 552 content block is not size", "end of data", "552-5.7.0 This message was blocked because its content presents a potential\r\n552 5.7.0 security issue.\r\n", 5, "5.7.0", ".P...........", reply.RetryNever},

	// Protocol errors from the transcripts: no kind.
	{"postfix need MAIL", "RCPT TO", "503 5.5.1 Error: need MAIL command\r\n", 5, "5.5.1", ".P...........", reply.RetryNever},
	{"postfix no valid recipients", "DATA", "554 5.5.1 Error: no valid recipients\r\n", 5, "5.5.1", ".P...........", reply.RetryNever},
	{"go-smtp bad command", "", "501 5.5.2 Bad command\r\n", 5, "5.5.2", ".P...........", reply.RetryNever},
	{"exim bad sequence", "RCPT TO", "503 sender not yet given\r\n", 5, "", ".P...........", reply.RetryNever},
	{"smtp-sink 500", "greeting", "500 5.3.0 Error: command failed\r\n", 5, "5.3.0", ".P...........", reply.RetryNever},

	// Big providers and common MTAs, as their documentation quotes them
	// (addresses, IPs and host names replaced by documentation values).
	// Expected values follow RFC 5321/3463/4954 and the provider's stated
	// meaning.
	//
	// Gmail: support.google.com/a/answer/3726730 (Gmail SMTP errors and
	// codes), smtpfieldmanual.com/provider/google, smtp.codes/google.
	{"gmail 4.7.28 rate limited, one line", "end of data", "421 4.7.28 [192.0.2.1      15] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. Please visit https://support.google.com/mail/?p=UnsolicitedRateLimitError to review our Bulk Email Senders Guidelines. a1si0000000wmc.85 - gsmtp\r\n", 4, "4.7.28", "T.......C...R", reply.RetryNewConnection},
	{"gmail low domain reputation (421 4.7.0)", "end of data", "421-4.7.0 [192.0.2.1      15] Our system has detected that this message is\r\n421-4.7.0 suspicious due to the very low reputation of the sending domain. To\r\n421-4.7.0 best protect our users from spam, the message has been blocked.\r\n421 4.7.0 Please visit https://support.google.com/mail/answer/188131 for more information. a1si0000000wmc.85 - gsmtp\r\n", 4, "4.7.0", "T.......C...R", reply.RetryNewConnection},
	{"gmail server busy (4.4.5)", "MAIL FROM", "421 4.4.5 Server busy, try again later. a1si0000000wmc.85 - gsmtp\r\n", 4, "4.4.5", "T.......C....", reply.RetryNewConnection},
	{"gmail temporary system problem (4.3.0)", "RCPT TO", "421 4.3.0 Temporary System Problem.  Try again later (10). a1si0000000wmc.85 - gsmtp\r\n", 4, "4.3.0", "T.......C....", reply.RetryNewConnection},
	{"gmail TLS required for RCPT domain", "RCPT TO", "421 4.7.0 TLS required for RCPT domain, closing connection. a1si0000000wmc.85 - gsmtp\r\n", 4, "4.7.0", "T..S....C....", reply.RetryNewConnection},
	{"gmail receiving mail too quickly", "RCPT TO", "450-4.2.1 The user you are trying to contact is receiving mail too quickly.\r\n450-4.2.1 Please resend your message at a later time. If the user is able to\r\n450 4.2.1 receive mail at that time, your message will be delivered. a1si0000000wmc.85 - gsmtp\r\n", 4, "4.2.1", "T........U..R", reply.RetryLater},
	{"gmail mailbox over quota (452 4.2.2)", "RCPT TO", "452-4.2.2 The email account that you tried to reach is over quota. Please direct\r\n452 4.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaTemp a1si0000000wmc.85 - gsmtp\r\n", 4, "4.2.2", "T.........M..", reply.RetryLater},
	{"gmail too many recipients (452 4.5.3)", "RCPT TO", "452 4.5.3 Your message has too many recipients. For more information regarding Google's sending limits, visit https://support.google.com/mail/?p=TooManyRecipientsError a1si0000000wmc.85 - gsmtp\r\n", 4, "4.5.3", "T............", reply.RetryLater},
	{"gmail multiple destination domains", "RCPT TO", "451 4.3.0 Multiple destination domains per transaction is unsupported. Please try again. a1si0000000wmc.85 - gsmtp\r\n", 4, "4.3.0", "T............", reply.RetryLater},
	{"gmail timeout (451 4.4.2)", "DATA", "451 4.4.2 Timeout - closing connection. a1si0000000wmc.85 - gsmtp\r\n", 4, "4.4.2", "T............", reply.RetryLater},
	{"gmail pipelining after STARTTLS", "STARTTLS", "454 4.5.0 SMTP protocol violation, no commands allowed to pipeline after STARTTLS, see RFC 3207. a1si0000000wmc.85 - gsmtp\r\n", 4, "4.5.0", "T............", reply.RetryLater},
	{"gmail too many login attempts", "AUTH", "454 4.7.0 Too many login attempts, please try again later. a1si0000000wmc.85 - gsmtp\r\n", 4, "4.7.0", "T....t......R", reply.RetryLater},
	{"gmail bad credentials", "AUTH", "535-5.7.8 Username and Password not accepted. For more information, go to\r\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials a1si0000000wmc.85 - gsmtp\r\n", 5, "5.7.8", ".P..F........", reply.RetryNever},
	{"gmail application-specific password", "AUTH", "534-5.7.9 Application-specific password required. Learn more at\r\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor a1si0000000wmc.85 - gsmtp\r\n", 5, "5.7.9", ".P....W......", reply.RetryNever},
	{"gmail account disabled", "RCPT TO", "550-5.2.1 The email account that you tried to reach is disabled. Learn more at\r\n550 5.2.1  https://support.google.com/mail/?p=DisabledUser a1si0000000wmc.85 - gsmtp\r\n", 5, "5.2.1", ".P.......U...", reply.RetryNever},
	{"gmail recipient domain not found", "RCPT TO", "553 5.1.2 We weren't able to find the recipient domain. Please check for any spelling errors, and make sure you didn't enter any spaces, periods, or other punctuation after the recipient's email address. a1si0000000wmc.85 - gsmtp\r\n", 5, "5.1.2", ".P.......U...", reply.RetryNever},
	{"gmail likely unsolicited mail", "end of data", "550-5.7.1 [192.0.2.1] Our system has detected that this message is likely\r\n550-5.7.1 unsolicited mail. To reduce the amount of spam sent to Gmail, this\r\n550-5.7.1 message has been blocked. Please visit\r\n550 5.7.1  https://support.google.com/mail/?p=UnsolicitedMessageError a1si0000000wmc.85 - gsmtp\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"gmail DMARC policy", "end of data", "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's\r\n550-5.7.26 DMARC policy. Please contact the administrator of example.com domain\r\n550-5.7.26 if this was a legitimate mail. To learn about the DMARC initiative, go to\r\n550 5.7.26  https://support.google.com/mail/?p=DmarcRejection a1si0000000wmc.85 - gsmtp\r\n", 5, "5.7.26", ".P...........", reply.RetryNever},
	{"gmail SPF hard fail", "end of data", "550-5.7.26 This message fails to pass SPF checks for an SPF record with a hard\r\n550-5.7.26 fail policy (-all). To best protect our users from spam and phishing,\r\n550 5.7.26 the message has been blocked. a1si0000000wmc.85 - gsmtp\r\n", 5, "5.7.26", ".P...........", reply.RetryNever},
	{"google workspace admin policy (gcdp)", "end of data", "550 5.7.1 This message violates example.com email policy. - gcdp <a1si0000000wmc.85> - gsmtp\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},

	// Yahoo and AOL: senders.yahooinc.com/smtp-error-codes,
	// smtp.codes/yahoo, cpanel.net (Exim log of the TSS04 deferral),
	// help.yahoo.com SLN3434.
	{"yahoo TSS04 deferral", "MAIL FROM", "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes\r\n", 4, "4.7.0", "T.......C...R", reply.RetryNewConnection},
	{"yahoo max messages per connection", "MAIL FROM", "421 Max message per connection reached, closing transmission channel\r\n", 4, "", "T.......C...R", reply.RetryNewConnection},
	{"yahoo user receiving mail too quickly", "RCPT TO", "450 User is receiving mail too quickly\r\n", 4, "", "T...........R", reply.RetryLater},
	{"yahoo internal server error", "end of data", "451 4.3.2 Internal server error\r\n", 4, "4.3.2", "T............", reply.RetryLater},
	{"yahoo BL21 blocklisted IP", "greeting", "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.1, because the ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"yahoo 554 5.7.9 policy is not a weak mechanism", "end of data", "554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes\r\n", 5, "5.7.9", ".P...........", reply.RetryNever},
	{"X.7.9 from a log, no command: taken as AUTH's", "", "554 5.7.9 Message not accepted for policy reasons.\r\n", 5, "5.7.9", ".P....W......", reply.RetryNever},
	{"432 X.7.12 from a log, no command", "", "432 4.7.12 A password transition is needed\r\n", 4, "4.7.12", "T......X.....", reply.RetryLater},
	{"aol DYN:T1 throttled", "MAIL FROM", "421 4.7.1 : (DYN:T1) http://postmaster.info.aol.com/errors/421dynt1.html\r\n", 4, "4.7.1", "T.......C...R", reply.RetryNewConnection},

	// Microsoft 365 and Outlook.com: learn.microsoft.com "Email
	// non-delivery reports and SMTP errors in Exchange Online" and "Fix
	// error code 5.7.700 through 5.7.750", smtp.codes/exchangeonline,
	// smtpfieldmanual.com/spamfilter/exchangeonline, spamresource.com
	// (2023/05, mailbox full), postmaster bounce quoted by
	// sevencreative.co.uk (S3150).
	{"m365 451 4.7.500 server busy", "MAIL FROM", "451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (AS77712344) [BN1NAM02FT000.eop-nam02.prod.protection.outlook.com]\r\n", 4, "4.7.500", "T...........R", reply.RetryLater},
	{"outlook 451 4.7.650 IP reputation rate limit", "MAIL FROM", "451 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775) [DB5EUR03FT000.eop-EUR03.prod.protection.outlook.com]\r\n", 4, "4.7.650", "T...........R", reply.RetryLater},
	{"m365 concurrent connections per forest", "MAIL FROM", "421 4.3.2 The maximum number of concurrent connections per resource forest has exceeded a limit, closing transmission channel. example.com. PRX8 [BN1NAM02FT000.eop-nam02.prod.protection.outlook.com]\r\n", 4, "4.3.2", "T.......C...R", reply.RetryNewConnection},
	{"m365 432 recipient thread limit is throttling", "end of data", "432 4.3.2 STOREDRV.Deliver; recipient thread limit exceeded\r\n", 4, "4.3.2", "T...........R", reply.RetryLater},
	{"m365 Spamhaus block", "MAIL FROM", "550 5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus. To request removal from this list see https://www.spamhaus.org/query/ip/192.0.2.1 (AS16012611) [BN1NAM02FT000.eop-nam02.prod.protection.outlook.com]\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"outlook.com S3150 block list", "MAIL FROM", "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [DB3EUR04FT007.eop-eur04.prod.protection.outlook.com]\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"m365 5.7.606 banned sending IP", "MAIL FROM", "550 5.7.606 Access denied, banned sending IP [192.0.2.1]. To request removal from this list please visit https://sender.office.com/ and follow the directions. For more information please go to  http://go.microsoft.com/fwlink/?LinkID=526655 (AS16012609)\r\n", 5, "5.7.606", ".P...........", reply.RetryNever},
	{"m365 5.7.708 traffic not accepted", "MAIL FROM", "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7171) [BN1NAM02FT000.eop-nam02.prod.protection.outlook.com]\r\n", 5, "5.7.708", ".P...........", reply.RetryNever},
	{"m365 5.4.1 directory-based edge block", "RCPT TO", "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DB5EUR03FT000.eop-EUR03.prod.protection.outlook.com]\r\n", 5, "5.4.1", ".P.......U...", reply.RetryNever},
	{"m365 recipient not found", "RCPT TO", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup\r\n", 5, "5.1.10", ".P.......U...", reply.RetryNever},
	{"m365 not authorized", "RCPT TO", "550 5.7.1 RESOLVER.RST.NotAuthorized; not authorized\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"m365 unified storage full", "end of data", "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Microsoft Unified Storage is full.\r\n", 5, "5.2.2", ".P........M..", reply.RetryNever},
	{"m365 535 5.7.3 authentication unsuccessful", "AUTH", "535 5.7.3 Authentication unsuccessful [SN4PR0501CA0000.namprd05.prod.outlook.com]\r\n", 5, "5.7.3", ".P..F........", reply.RetryNever},
	{"m365 send as denied", "end of data", "550 5.7.60 SMTP; Client does not have permissions to send as this sender\r\n", 5, "5.7.60", ".P...........", reply.RetryNever},
	{"m365 content filter", "end of data", "550 5.7.1 Message rejected as spam by Content Filtering.\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},

	// Apple iCloud: smtp.codes/icloud, support.apple.com HT204137.
	{"icloud deferred for excessive volume", "RCPT TO", "421 4.7.1 Messages to user@icloud.com deferred due to excessive volume. Try again later - https://support.apple.com/en-us/HT204137\r\n", 4, "4.7.1", "T.......C...R", reply.RetryNewConnection},
	{"icloud CS01 local policy", "end of data", "550 5.7.1 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"icloud HM08 local policy", "end of data", "554 5.7.1 [HM08] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"icloud user does not exist", "RCPT TO", "550 5.1.1 <user@icloud.com>: user does not exist\r\n", 5, "5.1.1", ".P.......U...", reply.RetryNever},

	// Zoho and ZeptoMail: smtp.codes/zoho, help.zoho.com community
	// (554 5.1.8), zoho.com/zeptomail/help/api/smtp-error-codes.html.
	{"zoho user unknown", "RCPT TO", "550 5.1.1 <user@example.com> User unknown\r\n", 5, "5.1.1", ".P.......U...", reply.RetryNever},
	{"zoho sender address blocked", "MAIL FROM", "554 5.1.8 Email Outgoing Blocked.\r\n", 5, "5.1.8", ".P.......U...", reply.RetryNever},
	{"zoho virus detected", "end of data", "552 5.7.1 virus Win.Test.EICAR_HDB-1 detected by Zoho Mail\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"zoho temporary system error", "RCPT TO", "452 4.3.1 Temporary System Error\r\n", 4, "4.3.1", "T............", reply.RetryLater},
	{"zeptomail relaying disallowed", "MAIL FROM", "553 Relaying disallowed as sender@example.com\r\n", 5, "", ".P.......U...", reply.RetryNever},

	// Amazon SES (docs.aws.amazon.com/ses, "SMTP response codes"), SendGrid
	// (twilio.com/docs/sendgrid/.../smtp-errors-and-troubleshooting).
	{"ses daily quota", "MAIL FROM", "454 Throttling failure: Daily message quota exceeded.\r\n", 4, "", "T...........R", reply.RetryLater},
	{"ses bad credentials", "AUTH", "535 Authentication Credentials Invalid\r\n", 5, "", ".P..F........", reply.RetryNever},
	{"ses unverified identity", "end of data", "554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: sender@example.com\r\n", 5, "", ".P...........", reply.RetryNever},
	{"sendgrid too frequent connects", "MAIL FROM", "450 too frequent connects from 192.0.2.1, please try again later.\r\n", 4, "", "T...........R", reply.RetryLater},
	{"sendgrid temporary local problem", "RCPT TO", "451 Temporary local problem - please try later\r\n", 4, "", "T............", reply.RetryLater},
	{"sendgrid too many recipients this hour", "RCPT TO", "452 Too many recipients received this hour\r\n", 4, "", "T...........R", reply.RetryLater},

	// Gateways: Mimecast (community.mimecast.com "Mimecast SMTP Error
	// Codes"), Proofpoint (suped.com, 554 5.7.0 Blocked), Barracuda
	// (bobcares.com, suped.com), Symantec Messaging Gateway
	// (knowledge.broadcom.com 280430), Gandi (docs.gandi.net, Postfix
	// reject_rbl_client).
	{"mimecast open relay not allowed", "RCPT TO", "451 Open relay not allowed - https://community.mimecast.com/docs/DOC-1369#451 [AbCdEfGhIjKlMnOpQrStUv.uk3]\r\n", 4, "", "T............", reply.RetryLater},
	{"mimecast anti-spoofing", "end of data", "550 Rejected by header based Anti-Spoofing policy: user@example.com - https://community.mimecast.com/docs/DOC-1369#550 [AbCdEfGhIjKlMnOpQrStUv.uk3]\r\n", 5, "", ".P...........", reply.RetryNever},
	{"proofpoint PDR block", "greeting", "554 5.7.0 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1\r\n", 5, "5.7.0", ".P...........", reply.RetryNever},
	{"barracuda blocked", "end of data", "550 permanent failure for one or more recipients (user@example.com:blocked)\r\n", 5, "", ".P...........", reply.RetryNever},
	{"symantec too many concurrent connections", "greeting", "421 4.7.0 Too many concurrent connections\r\n", 4, "4.7.0", "T.......C...R", reply.RetryNewConnection},
	{"postfix RBL block", "RCPT TO", "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},

	// MTAs: Exim (nixcp.com, cPanel smtp_accept_max_per_host), sendmail
	// (ratecontrol), Postfix (smtpd_sender_login_maps; 452 on a full
	// queue file system), Contactlab SmartRelay, VPOP3 (wiki.pscs.co.uk).
	{"exim too many concurrent connections", "greeting", "421 Too many concurrent SMTP connections from this IP address; please try again later.\r\n", 4, "", "T.......C...R", reply.RetryNewConnection},
	{"sendmail connection rate limit", "greeting", "421 4.3.2 Connection rate limit exceeded.\r\n", 4, "4.3.2", "T.......C...R", reply.RetryNewConnection},
	{"smartrelay concurrency limit", "greeting", "421 4.4.5 Service unavailable, concurrency limit reached\r\n", 4, "4.4.5", "T.......C...R", reply.RetryNewConnection},
	{"vpop3 too many connections", "greeting", "421 4.3.2 VPOP3 Too many connections from your IP address - try later\r\n", 4, "4.3.2", "T.......C...R", reply.RetryNewConnection},
	{"postfix sender not owned by user", "MAIL FROM", "553 5.7.1 <user@example.org>: Sender address rejected: not owned by user user@example.com\r\n", 5, "5.7.1", ".P...........", reply.RetryNever},
	{"postfix insufficient system storage", "MAIL FROM", "452 4.3.1 Insufficient system storage\r\n", 4, "4.3.1", "T............", reply.RetryLater},
}

func TestClassify(t *testing.T) {
	if len(predicates) != len(classifyTests[0].want) {
		t.Fatalf("%d predicates, want columns of %d", len(predicates), len(classifyTests[0].want))
	}
	for _, tt := range classifyTests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := reply.Parse([]byte(tt.wire), nil)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.wire, err)
			}
			if got := r.Class(); got != tt.class {
				t.Errorf("Parse(%q).Class() = %v, want %v", tt.wire, got, tt.class)
			}
			if got := r.Enhanced.String(); got != tt.enh {
				t.Errorf("Parse(%q).Enhanced = %q, want %q", tt.wire, got, tt.enh)
			}
			if len(tt.want) != len(predicates) {
				t.Fatalf("want %q has %d columns, want %d", tt.want, len(tt.want), len(predicates))
			}
			// The same answers directly and through two layers of wrapping.
			base := &reply.Error{Command: tt.cmd, Reply: r}
			for _, err := range []error{base, fmt.Errorf("send: %w", fmt.Errorf("rcpt: %w", base))} {
				var got strings.Builder
				for i, p := range predicates {
					if want := tt.want[i] != '.'; want && tt.want[i] != p.letter {
						t.Fatalf("want %q: column %d is %q, want %q or '.'", tt.want, i, tt.want[i], p.letter)
					}
					if p.is(err) {
						got.WriteByte(p.letter)
					} else {
						got.WriteByte('.')
					}
				}
				if got.String() != tt.want {
					t.Errorf("predicates(%q, %q) = %s, want %s (%s)", tt.cmd, tt.wire, got.String(), tt.want, diffColumns(got.String(), tt.want))
				}
				if got := reply.RetryFor(err); got != tt.retry {
					t.Errorf("RetryFor(%q, %q) = %v, want %v", tt.cmd, tt.wire, got, tt.retry)
				}
			}
		})
	}
}

// diffColumns names the predicates whose columns differ.
func diffColumns(got, want string) string {
	var names []string
	for i := range min(len(got), len(want), len(predicates)) {
		if got[i] != want[i] {
			names = append(names, fmt.Sprintf("%s=%t", predicates[i].name, got[i] != '.'))
		}
	}
	return strings.Join(names, ", ")
}

// The kind rules apply to 4xx and 5xx only: a 2xx or 3xx wrapped in an
// Error (which the client never makes) has no kind, and neither has an
// Error with no reply.
func TestClassifyNotFailure(t *testing.T) {
	for _, r := range []reply.Reply{
		reply.New(reply.CodeOK, reply.EnhancedCode{Class: 2, Subject: 1, Detail: 1}, "Authentication required, too many, mailbox full"),
		reply.New(reply.CodeAuthContinue, reply.EnhancedCode{}, "VXNlcm5hbWU6"),
		{},
	} {
		err := &reply.Error{Command: "RCPT TO", Reply: r}
		for _, p := range predicates {
			if p.is(err) {
				t.Errorf("%s(&Error{Reply: %v}) = true, want false", p.name, r)
			}
		}
		if got := reply.RetryFor(err); got != reply.RetryNever {
			t.Errorf("RetryFor(&Error{Reply: %v}) = %v, want %v", r, got, reply.RetryNever)
		}
	}
}

// An enhanced code whose class differs from the reply code's (possible only
// in a Reply made with New) is ignored, as the parser ignores it.
func TestClassifyEnhancedClassMismatch(t *testing.T) {
	r := reply.New(reply.CodeMailboxUnavailable, reply.EnhancedCode{Class: 4, Subject: 7, Detail: 1}, "no")
	err := &reply.Error{Command: "RCPT TO", Reply: r}
	if !reply.IsMailboxUnavailable(err) {
		t.Errorf("IsMailboxUnavailable(%v) = false, want true (4.7.1 ignored on a 550)", r)
	}
}

// Nothing but a reply error answers the predicates.
func TestPredicatesOtherErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("smtp: authentication required"), fmt.Errorf("x: %w", errors.ErrUnsupported)} {
		for _, p := range predicates {
			if p.is(err) {
				t.Errorf("%s(%v) = true, want false", p.name, err)
			}
		}
	}
}

// Command matching ignores case and arguments.
func TestClassifyCommandSpelling(t *testing.T) {
	r, err := reply.Parse([]byte("454 4.7.0 Temporary failure\r\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"AUTH", "auth", "AUTH PLAIN", " Auth "} {
		if err := (&reply.Error{Command: cmd, Reply: r}); !reply.IsAuthTemporary(err) {
			t.Errorf("IsAuthTemporary(&Error{Command: %q, Reply: %v}) = false, want true", cmd, r)
		}
	}
	for _, cmd := range []string{"STARTTLS", "MAIL FROM", "AUTHX"} {
		if err := (&reply.Error{Command: cmd, Reply: r}); reply.IsAuthTemporary(err) {
			t.Errorf("IsAuthTemporary(&Error{Command: %q, Reply: %v}) = true, want false", cmd, r)
		}
	}
}
