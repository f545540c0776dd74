package reply

import (
	"bytes"
	"time"
)

// Error is a reply of class 4 or 5 returned as a Go error, together with
// the command that received it.
//
// An *Error answers [errors.Is] for [ErrTransient] or [ErrPermanent]
// (from the class of its code) and for every kind sentinel its reply
// matches (the classification rules are documented with [ErrTransient]),
// so
//
//	errors.Is(err, reply.ErrAuthRequired)
//
// holds however many times err wraps the *Error. The zero value is an
// Error with no reply; it matches no sentinel.
type Error struct {
	// Command is the SMTP verb that received the reply, without arguments,
	// such as "MAIL FROM", "RCPT TO", "DATA", "AUTH"; "greeting" for the
	// server's opening reply and "end of data" for the reply after the final
	// dot (or the last BDAT). It may be empty when the command is unknown,
	// as for an Error made by [Reply.Err].
	Command string
	// Reply is the server's reply. It owns its storage.
	Reply Reply
}

// Error returns the reply on one line, prefixed with "smtp: " and the
// command when there is one:
//
//	smtp: MAIL FROM: 530 5.7.0 Authentication required
//
// The server's text keeps its case. The lines of a multi-line reply are
// joined with a space, and control bytes, backslashes, invalid UTF-8 and
// non-printable runes are escaped as in [Reply.String], so a hostile server
// cannot write raw control bytes into a log through an error message.
func (e *Error) Error() string {
	b := make([]byte, 0, len("smtp: ")+len(e.Command)+len(": 000 5.7.000 ")+len(e.Reply.text)+len(e.Reply.text)/8)
	b = append(b, "smtp: "...)
	if e.Command != "" {
		b = appendEscaped(b, []byte(e.Command))
		b = append(b, ": "...)
	}
	b = e.Reply.Code.appendTo(b)
	if !e.Reply.Enhanced.IsZero() {
		b = append(b, ' ')
		b = e.Reply.Enhanced.appendTo(b)
	}
	text := e.Reply.text
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		if len(line) == 0 {
			continue
		}
		if line[0] != ' ' {
			b = append(b, ' ')
		}
		b = appendEscaped(b, line)
	}
	return string(b)
}

// Is reports whether target is [ErrTransient] or [ErrPermanent] and the
// reply has that class, or whether target is a kind sentinel (such as
// [ErrAuthRequired] or [ErrRateLimited]) whose rules the reply matches.
// It lets [errors.Is] classify an *Error through any amount of wrapping,
// the way syscall.Errno answers for the io/fs sentinels.
func (e *Error) Is(target error) bool {
	if e == nil {
		return false
	}
	switch target {
	case ErrTransient:
		return e.Reply.Code.Class() == ClassTransient
	case ErrPermanent:
		return e.Reply.Code.Class() == ClassPermanent
	}
	k, ok := kindOf(target)
	return ok && e.kinds()&k != 0
}

// Retry returns the advice of [RetryFor] for e, from the kinds of its
// reply, in this order: [RetryNever] for a 4xx whose text says retrying
// will not succeed (Yahoo's "421 4.7.0 [TSS09] ... permanently deferred");
// [RetryNewConnection] for a 421; [RetryAfterStartTLS] when the reply asks
// for TLS; [RetryAfterAuth] when it asks for authentication; [RetryLater]
// for any other transient (4xx) reply, rate limiting included (see
// [RetryDelay] for the pause); and [RetryNever] otherwise, so a permanent
// policy rejection or unavailable mailbox or domain is never retried.
// A transient policy rejection or unavailable mailbox (Postfix's 450 for a
// hostname it cannot look up now, a soft bounce) is [RetryLater]: RFC 5321
// section 4.2.1 lets the client try a 4yz again.
func (e *Error) Retry() Retry {
	k := e.kinds()
	transient := e.Reply.Code.Class() == ClassTransient
	switch {
	case transient && e.saysNoRetry():
		return RetryNever
	case k&kindServiceClosing != 0:
		return RetryNewConnection
	case k&kindTLSRequired != 0:
		return RetryAfterStartTLS
	case k&kindAuthRequired != 0:
		return RetryAfterAuth
	case transient:
		return RetryLater
	}
	return RetryNever
}

// RetryDelay returns the shortest pause advised before the retry that
// [Error.Retry] advises: [RateLimitedDelay] for a rate limited reply,
// [TransientDelay] for any other reply whose advice is [RetryLater], and 0
// otherwise (retry at once on a new connection, after STARTTLS or AUTH, or
// never).
func (e *Error) RetryDelay() time.Duration {
	r := e.Retry()
	if r != RetryLater && r != RetryNewConnection {
		return 0
	}
	switch {
	case e.kinds()&kindRateLimited != 0:
		return RateLimitedDelay
	case r == RetryLater:
		return TransientDelay
	}
	return 0
}

// saysNoRetry reports whether the text says that retrying will not help.
func (e *Error) saysNoRetry() bool {
	var buf [256]byte
	c := classifier{text: appendLower(buf[:0], e.Reply.text)}
	return c.has(noRetry...)
}

// kinds classifies e's reply; see classify.
func (e *Error) kinds() kind {
	return classify(e.Command, &e.Reply)
}
