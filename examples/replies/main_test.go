package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// output runs the program and returns its blocks, one per reply, each as
// its lines.
func output(t *testing.T, lang string) [][]string {
	t.Helper()
	var out bytes.Buffer
	if err := run(&out, lang); err != nil {
		t.Fatalf("run(%q) = %v", lang, err)
	}
	var blocks [][]string
	for _, b := range strings.Split(strings.TrimSpace(out.String()), "\n\n") {
		blocks = append(blocks, strings.Split(b, "\n"))
	}
	return blocks
}

func TestOutput(t *testing.T) {
	// What each reply must say. The enhanced line is matched as a regular
	// expression: its description comes from the reply package's registry.
	want := [][]string{{
		`Gmail, MAIL FROM: 530 5.7.0 Authentication Required. Learn more at\n https://support.google.com/mail/?p=WantAuthError 5b1f17b1804b1-43b4d2ce0f3sm1234567f8f.23 - gsmtp`,
		`  class:      5xx permanent failure`,
		`  enhanced:   5\.7\.0 \S.*`,
		`  predicates: IsPermanent IsAuthRequired`,
		`  retry:      after authentication`,
	}, {
		`Microsoft 365, AUTH: 535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. [MN2PR20CA0012.namprd20.prod.outlook.com]`,
		`  class:      5xx permanent failure`,
		`  enhanced:   5\.7\.139 \S.*`,
		`  predicates: IsPermanent IsAuthFailed`,
		`  retry:      never`,
	}, {
		`Amazon SES, MAIL FROM: 454 Throttling failure: Maximum sending rate exceeded.`,
		`  class:      4xx transient failure`,
		`  enhanced:   none`,
		`  predicates: IsTemporary IsRateLimited`,
		`  retry:      later, after at least 5m0s`,
	}, {
		`Postfix, RCPT TO: 550 5.1.1 <nosuch@example.test>: Recipient address rejected: User unknown in virtual mailbox table`,
		`  class:      5xx permanent failure`,
		`  enhanced:   5\.1\.1 \S.*`,
		`  predicates: IsPermanent IsMailboxUnavailable`,
		`  retry:      never`,
	}, {
		`milter-greylist, RCPT TO: 451 4.7.1 Greylisting in action, please come back later`,
		`  class:      4xx transient failure`,
		`  enhanced:   4\.7\.1 \S.*`,
		`  predicates: IsTemporary IsRateLimited`,
		`  retry:      later, after at least 5m0s`,
	}, {
		`Postfix, greeting: 421 4.7.0 postfix.example.test Error: too many connections from 127.0.0.1`,
		`  class:      4xx transient failure`,
		`  enhanced:   4\.7\.0 \S.*`,
		`  predicates: IsTemporary IsServiceClosing IsRateLimited`,
		`  retry:      on a new connection, after at least 5m0s`,
	}, {
		`Yandex, RCPT TO: 550 5.7.1 No such user!`,
		`  class:      5xx permanent failure`,
		`  enhanced:   5\.7\.1 \S.*`,
		`  predicates: IsPermanent IsMailboxUnavailable`,
		`  retry:      never`,
	}, {
		`Orange, RCPT TO: 552 5.1.1 Boite du destinataire pleine. Recipient overquota. OFR_417 [417]`,
		`  class:      5xx permanent failure`,
		`  enhanced:   5\.1\.1 \S.*`,
		`  predicates: IsPermanent IsMailboxFull`,
		`  retry:      never`,
	}, {
		`Yahoo, greeting: 553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.1, because the ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes`,
		`  class:      5xx permanent failure`,
		`  enhanced:   5\.7\.1 \S.*`,
		`  predicates: IsPermanent IsPolicyRejection`,
		`  retry:      never`,
	}, {
		`Gmail, RCPT TO: 553 5.1.2 We weren't able to find the recipient domain. Please check for any spelling errors. gsmtp`,
		`  class:      5xx permanent failure`,
		`  enhanced:   5\.1\.2 \S.*`,
		`  predicates: IsPermanent IsDomainUnavailable`,
		`  retry:      never`,
	}, {
		`Gmail, end of data: 421 4.7.29 Your email has been rate limited because this message wasn't sent over a TLS\nconnection. Gmail requires all bulk email senders to use TLS/SSL for SMTP connections. gsmtp`,
		`  class:      4xx transient failure`,
		`  enhanced:   4\.7\.29 \S.*`,
		`  predicates: IsTemporary IsTLSRequired IsServiceClosing IsRateLimited`,
		`  retry:      on a new connection, after at least 5m0s`,
	}}
	// The title of each explanation, in English: Error.Explain knows the
	// command, so SES's 454 after MAIL FROM is a rate limit, not a
	// temporary authentication failure.
	titles := []string{"Authentication required", "Authentication credentials invalid", "Rate limited or greylisted",
		"Bad destination mailbox address", "Rate limited or greylisted", "Rate limited or greylisted",
		"Mailbox unavailable", "Mailbox full", "Delivery not authorized", "Bad destination system address",
		"Encryption required first"}
	en, es := output(t, "en"), output(t, "es")
	if len(en) != len(want) || len(es) != len(want) {
		t.Fatalf("run printed %d blocks in English and %d in Spanish, want %d", len(en), len(es), len(want))
	}
	explain := regexp.MustCompile(`^  explain:    \S[^.]*\. \S`)
	for i, lines := range want {
		got := en[i]
		if len(got) != len(lines)+1 {
			t.Errorf("block %d has %d lines, want %d:\n%s", i+1, len(got), len(lines)+1, strings.Join(got, "\n"))
			continue
		}
		for j, pat := range lines {
			if j == 0 { // the reply itself, verbatim
				pat = regexp.QuoteMeta(pat)
			}
			if !regexp.MustCompile(`^` + pat + `$`).MatchString(got[j]) {
				t.Errorf("block %d line %d = %q, want %q", i+1, j+1, got[j], pat)
			}
		}
		// The last line is "Title. Fix", in the language asked for.
		if x := got[len(lines)]; !explain.MatchString(x) {
			t.Errorf("block %d: explanation line = %q, want \"  explain:    <title>. <fix>\"", i+1, x)
		} else if !strings.HasPrefix(x, "  explain:    "+titles[i]+". ") {
			t.Errorf("block %d: explanation line = %q, want the title %q", i+1, x, titles[i])
		}
		if x, y := got[len(lines)], es[i][len(es[i])-1]; x == y || !explain.MatchString(y) {
			t.Errorf("block %d: explanation in Spanish = %q, want a translation of %q", i+1, y, x)
		}
	}
}
