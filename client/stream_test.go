package client

import (
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// streamMsgs returns n messages from a@example.test to b@example.test and
// a sequence over them that counts how many were taken.
func streamMsgs(n int) ([]*Message, iter.Seq[*Message], *int) {
	msgs := make([]*Message, n)
	for i := range msgs {
		msgs[i] = &Message{
			Envelope: Envelope{From: "a@example.test", To: []string{"b@example.test"}},
			Body:     strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nbody %d\r\n", i, i)),
		}
	}
	taken := new(int)
	seq := func(yield func(*Message) bool) {
		for _, m := range msgs {
			*taken++
			if !yield(m) {
				return
			}
		}
	}
	return msgs, seq, taken
}

// envelopeLines are the commands of one message of streamMsgs; with rset,
// preceded by the RSET a stream sends after a final dot.
func envelopeLines(rset bool) []smtptest.Step {
	var s []smtptest.Step
	if rset {
		s = append(s, smtptest.ExpectLine("RSET"))
	}
	return append(s,
		smtptest.ExpectLine("MAIL FROM:<a@example.test>"),
		smtptest.ExpectLine("RCPT TO:<b@example.test>"),
		smtptest.ExpectLine("DATA"))
}

type streamOutcome struct {
	state DeliveryState
	final reply.Code
	err   error
}

func collect(t *testing.T, c *Client, seq iter.Seq[*Message]) []streamOutcome {
	t.Helper()
	var out []streamOutcome
	for m, err := range c.SendAll(testCtx(t), seq) {
		assert.True(t, m.Done)
		assert.Equal(t, m.Err, err)
		out = append(out, streamOutcome{m.Result.State, m.Result.Final.Code, err})
	}
	return out
}

// The server reads the next envelope before it answers the final dot:
// a client that waited for that reply would stall the script, which then
// fails on its timeout.
func TestSendAllOneRoundTrip(t *testing.T) {
	s := script(hello, envelopeLines(false), steps(smtptest.Send("250 ok\r\n250 ok\r\n354 go\r\n"), smtptest.ExpectData()))
	for i := 2; i <= 3; i++ {
		s = append(s, envelopeLines(true)...)
		s = append(s, smtptest.Send(fmt.Sprintf("250 queued as %d\r\n250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n", i-1)), smtptest.ExpectData())
	}
	s = append(s, smtptest.Send("250 queued as 3\r\n"), smtptest.ExpectLine("QUIT"), smtptest.Send("221 bye\r\n"))
	srv := smtptest.Start(t, nil, s)
	c, err := Dial(testCtx(t), srv.Addr(), plain(nil))
	require.NoError(t, err)
	msgs, seq, _ := streamMsgs(3)
	out := collect(t, c, seq)
	require.Len(t, out, 3)
	for i, o := range out {
		assert.Equal(t, DeliveryComplete, o.state, "message %d", i)
		require.NoError(t, o.err, "message %d", i)
		assert.Equal(t, fmt.Sprintf("queued as %d", i+1), msgs[i].Result.Final.Text())
	}
	require.NoError(t, c.Quit(testCtx(t)))
	waitScript(t, srv)
	// Each message arrived once (the script's order already proves that
	// every dot left before its reply was read).
	assert.Equal(t, 3, len(srv.Data()))
}

// A refused end of data belongs to the message it ends, and the RSET sent
// with the next envelope clears a transaction the server kept (Postfix
// after smtpd_end_of_data_restrictions).
func TestSendAllRefusedEnd(t *testing.T) {
	s := script(hello, envelopeLines(false), steps(smtptest.Send("250 ok\r\n250 ok\r\n354 go\r\n"), smtptest.ExpectData()),
		envelopeLines(true),
		steps(smtptest.Send("452 4.3.1 Insufficient system storage\r\n250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n"), smtptest.ExpectData()),
		envelopeLines(true),
		steps(smtptest.Send("250 queued as 2\r\n250 reset\r\n550 5.7.1 sender refused\r\n503 5.5.1 no sender\r\n503 5.5.1 no recipients\r\n")),
		steps(smtptest.ExpectLine("QUIT"), smtptest.Send("221 bye\r\n")))
	srv := smtptest.Start(t, nil, s)
	c, err := Dial(testCtx(t), srv.Addr(), plain(nil))
	require.NoError(t, err)
	_, seq, _ := streamMsgs(3)
	out := collect(t, c, seq)
	require.Len(t, out, 3)

	assert.Equal(t, DeliveryRejected, out[0].state)
	assert.Equal(t, reply.Code(452), out[0].final)
	re, ok := errors.AsType[*reply.Error](out[0].err)
	require.True(t, ok, "%v", out[0].err)
	assert.Equal(t, "end of data", re.Command)
	assert.True(t, reply.IsTemporary(out[0].err))

	assert.Equal(t, DeliveryComplete, out[1].state)
	assert.NoError(t, out[1].err)

	assert.Equal(t, DeliveryRejected, out[2].state)
	re, ok = errors.AsType[*reply.Error](out[2].err)
	require.True(t, ok, "%v", out[2].err)
	assert.Equal(t, "MAIL FROM", re.Command)
	require.NoError(t, c.Quit(testCtx(t)))
	waitScript(t, srv)
}

// A connection lost after a final dot makes that message unknown, never
// failed and never resent; the message sent with it was not delivered,
// and the stream takes no more messages.
func TestSendAllLostAfterDot(t *testing.T) {
	s := script(hello, envelopeLines(false), steps(smtptest.Send("250 ok\r\n250 ok\r\n354 go\r\n"), smtptest.ExpectData()),
		envelopeLines(true), steps(smtptest.Close()))
	srv := smtptest.Start(t, nil, s)
	c, err := Dial(testCtx(t), srv.Addr(), plain(nil))
	require.NoError(t, err)
	msgs, seq, taken := streamMsgs(4)
	out := collect(t, c, seq)
	require.Len(t, out, 2)
	assert.Equal(t, DeliveryUnknown, out[0].state)
	assert.ErrorIs(t, out[0].err, ErrDeliveryUnknown)
	assert.Equal(t, reply.RetryNever, reply.RetryFor(out[0].err))
	assert.Equal(t, DeliveryRejected, out[1].state)
	assert.NotErrorIs(t, out[1].err, ErrDeliveryUnknown)
	assert.Equal(t, reply.RetryNewConnection, reply.RetryFor(out[1].err), "%v", out[1].err)
	assert.Equal(t, 2, *taken, "messages taken from the sequence")
	assert.False(t, msgs[2].Done)
	waitScript(t, srv)
}

// Breaking out of the loop finishes the message in flight: it is Done
// when the loop statement returns, and nothing more is taken.
func TestSendAllBreak(t *testing.T) {
	s := script(hello, envelopeLines(false), steps(smtptest.Send("250 ok\r\n250 ok\r\n354 go\r\n"), smtptest.ExpectData()),
		envelopeLines(true),
		steps(smtptest.Send("250 queued as 1\r\n250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n"), smtptest.ExpectData()),
		steps(smtptest.Send("250 queued as 2\r\n"), smtptest.ExpectLine("QUIT"), smtptest.Send("221 bye\r\n")))
	srv := smtptest.Start(t, nil, s)
	c, err := Dial(testCtx(t), srv.Addr(), plain(nil))
	require.NoError(t, err)
	msgs, seq, taken := streamMsgs(5)
	for m, err := range c.SendAll(testCtx(t), seq) {
		require.NoError(t, err)
		require.Same(t, msgs[0], m)
		break
	}
	assert.Equal(t, 2, *taken)
	require.True(t, msgs[1].Done, "the message in flight is finished")
	assert.NoError(t, msgs[1].Err)
	assert.Equal(t, "queued as 2", msgs[1].Result.Final.Text())
	require.NoError(t, c.Quit(testCtx(t)))
	waitScript(t, srv)
}

// Invalid input in the middle of a stream: the message before it is
// settled and yielded first, the invalid one sends nothing, and the stream
// goes on.
func TestSendAllInvalidMessage(t *testing.T) {
	s := script(hello, envelopeLines(false), steps(smtptest.Send("250 ok\r\n250 ok\r\n354 go\r\n"), smtptest.ExpectData()),
		steps(smtptest.Send("250 queued as 1\r\n")),
		envelopeLines(false), steps(smtptest.Send("250 ok\r\n250 ok\r\n354 go\r\n"), smtptest.ExpectData()),
		steps(smtptest.Send("250 queued as 3\r\n"), smtptest.ExpectLine("QUIT"), smtptest.Send("221 bye\r\n")))
	srv := smtptest.Start(t, nil, s)
	c, err := Dial(testCtx(t), srv.Addr(), plain(nil))
	require.NoError(t, err)
	msgs, seq, _ := streamMsgs(3)
	msgs[1].To = []string{"b@example.test>\r\nRCPT TO:<evil@example.test"}
	out := collect(t, c, seq)
	require.Len(t, out, 3)
	assert.NoError(t, out[0].err)
	_, isInput := errors.AsType[*InputError](out[1].err)
	assert.True(t, isInput, "%v", out[1].err)
	assert.NoError(t, out[2].err)
	require.NoError(t, c.Quit(testCtx(t)))
	waitScript(t, srv)
	assert.NotContains(t, string(srv.Received()), "evil")
}

// Without PIPELINING the stream is lock-step: each final dot is answered
// before the next MAIL FROM, and no RSET is sent.
func TestSendAllWithoutPipelining(t *testing.T) {
	open := steps(smtptest.Send("220 mx.example.test ESMTP\r\n"), smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send("250-mx.example.test\r\n250 8BITMIME\r\n"))
	var s smtptest.Script
	s = append(s, open...)
	for i := 1; i <= 2; i++ {
		s = append(s,
			smtptest.ExpectLine("MAIL FROM:<a@example.test>"), smtptest.Send("250 ok\r\n"),
			smtptest.ExpectLine("RCPT TO:<b@example.test>"), smtptest.Send("250 ok\r\n"),
			smtptest.ExpectLine("DATA"), smtptest.Send("354 go\r\n"),
			smtptest.ExpectData(), smtptest.Send(fmt.Sprintf("250 queued as %d\r\n", i)))
	}
	s = append(s, smtptest.ExpectLine("QUIT"), smtptest.Send("221 bye\r\n"))
	srv := smtptest.Start(t, nil, s)
	c, err := Dial(testCtx(t), srv.Addr(), plain(nil))
	require.NoError(t, err)
	_, seq, _ := streamMsgs(2)
	out := collect(t, c, seq)
	require.Len(t, out, 2)
	for _, o := range out {
		assert.NoError(t, o.err)
	}
	require.NoError(t, c.Quit(testCtx(t)))
	waitScript(t, srv)
}

// A call on the Client from the loop body, while a message is in flight,
// first finishes that message: its reply is never taken for the call's.
func TestSendAllCallInLoop(t *testing.T) {
	s := script(hello, envelopeLines(false), steps(smtptest.Send("250 ok\r\n250 ok\r\n354 go\r\n"), smtptest.ExpectData()),
		envelopeLines(true),
		steps(smtptest.Send("250 queued as 1\r\n250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n"), smtptest.ExpectData()),
		steps(smtptest.Send("250 queued as 2\r\n"), smtptest.ExpectLine("NOOP"), smtptest.Send("250 2.0.0 noop\r\n")),
		steps(smtptest.ExpectLine("QUIT"), smtptest.Send("221 bye\r\n")))
	srv := smtptest.Start(t, nil, s)
	c, err := Dial(testCtx(t), srv.Addr(), plain(nil))
	require.NoError(t, err)
	msgs, seq, _ := streamMsgs(2)
	for m, err := range c.SendAll(testCtx(t), seq) {
		require.NoError(t, err)
		if m == msgs[0] {
			r, err := c.Noop(testCtx(t))
			require.NoError(t, err)
			assert.Equal(t, "noop", r.Text())
			require.True(t, msgs[1].Done)
			assert.Equal(t, "queued as 2", msgs[1].Result.Final.Text())
		}
	}
	require.NoError(t, c.Quit(testCtx(t)))
	waitScript(t, srv)
}

// Against go-smtp's server: every message of a long stream is delivered,
// bytes intact, each with its own result, with refused recipients mixed in.
func TestSendAllGoSMTP(t *testing.T) {
	gs := startGoSMTP(t, false, nil)
	c, err := Dial(testCtx(t), gs.addr, &Options{TLSConfig: clientTLS()})
	require.NoError(t, err)
	const n = 200
	msgs := make([]*Message, n)
	for i := range msgs {
		to := []string{"r@example.test"}
		if i%7 == 3 {
			to = append(to, "nosuch@example.test")
		}
		if i%11 == 5 {
			to = []string{"nosuch@example.test"}
		}
		msgs[i] = &Message{Envelope: Envelope{From: "s@example.test", To: to},
			Body: strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\n.leading dot %d\r\n", i, i))}
	}
	i := 0
	for m, err := range c.SendAll(testCtx(t), func(yield func(*Message) bool) {
		for _, m := range msgs {
			if !yield(m) {
				return
			}
		}
	}) {
		require.Same(t, msgs[i], m)
		switch {
		case i%11 == 5:
			assert.Equal(t, DeliveryRejected, m.Result.State, "message %d", i)
			assert.True(t, reply.IsMailboxUnavailable(err))
		case i%7 == 3:
			assert.Equal(t, DeliveryPartial, m.Result.State, "message %d", i)
		default:
			assert.Equal(t, DeliveryComplete, m.Result.State, "message %d: %v", i, err)
		}
		i++
	}
	require.Equal(t, n, i)
	require.NoError(t, c.Quit(testCtx(t)))
	got := gs.messages()
	delivered := 0
	for i := range msgs {
		if i%11 == 5 {
			continue
		}
		require.Less(t, delivered, len(got))
		assert.Equal(t, fmt.Sprintf("Subject: %d\r\n\r\n.leading dot %d\r\n", i, i), string(got[delivered].Data))
		delivered++
	}
	assert.Equal(t, delivered, len(got))
}
