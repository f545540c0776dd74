package client_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/client/clienttest"
	"github.com/seed-e4e66a4f/smtp/reply"
	"github.com/seed-e4e66a4f/smtp/sasl"
)

func poolServer(t *testing.T, rules ...clienttest.Rule) *clienttest.Server {
	return clienttest.Start(t, &clienttest.Options{TLS: clienttest.TLSNone, Extensions: []string{"PIPELINING"}, Rules: rules})
}

func newPool(t *testing.T, srv *clienttest.Server, o client.PoolOptions) *client.Pool {
	t.Helper()
	o.Addr = srv.Addr()
	if o.Client == nil {
		o.Client = &client.Options{TLS: client.TLSNone}
	}
	if o.Client.Timeouts.Command == 0 {
		o.Client.Timeouts = client.Timeouts{Command: 5 * time.Second, Mail: 5 * time.Second, Rcpt: 5 * time.Second, DataInit: 5 * time.Second, DataBlock: 5 * time.Second, DataTermination: 5 * time.Second}
	}
	p, err := client.NewPool(o)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

func poolBody(i int) string { return fmt.Sprintf("Subject: m%d\r\n\r\nbody %d\r\n", i, i) }

type outcome struct {
	res client.Result
	err error
}

// sendMany sends n messages through p from g goroutines and returns each
// message's outcome.
func sendMany(t *testing.T, p *client.Pool, n, g int) []outcome {
	t.Helper()
	out := make([]outcome, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range g {
		wg.Go(func() {
			for i := range next {
				env := &client.Envelope{From: "a@example.test", To: []string{"b@example.test"}}
				res, err := p.Send(context.Background(), env, strings.NewReader(poolBody(i)))
				out[i] = outcome{res, err}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// delivered counts, by message number, the copies the server accepted.
func delivered(srv *clienttest.Server) map[int]int {
	got := map[int]int{}
	for _, m := range srv.Messages() {
		var i int
		if _, err := fmt.Sscanf(string(m.Data), "Subject: m%d", &i); err == nil {
			got[i]++
		}
	}
	return got
}

func TestPoolConcurrent(t *testing.T) {
	srv := poolServer(t)
	p := newPool(t, srv, client.PoolOptions{MaxConns: 8})
	const n = 400
	out := sendMany(t, p, n, 64)
	got := delivered(srv)
	for i, o := range out {
		require.NoError(t, o.err, "message %d", i)
		assert.Equal(t, client.DeliveryComplete, o.res.State)
		assert.Equal(t, 1, got[i], "copies of message %d", i)
	}
	st := p.Stats()
	assert.LessOrEqual(t, st.Dials, int64(8))
	assert.LessOrEqual(t, srv.Connections(), 8)
	assert.Equal(t, int64(n), st.Messages)
	require.NoError(t, p.Close())
	assert.Equal(t, 0, p.Stats().Open)
	_, err := p.Send(context.Background(), &client.Envelope{To: []string{"b@example.test"}}, strings.NewReader("x\r\n"))
	assert.ErrorIs(t, err, client.ErrPoolClosed)
}

// A server that drops connections at every stage and answers 421: every
// message ends Complete, Rejected or Unknown; a Complete one was accepted
// once, a Rejected one never, an Unknown one at most once, and none is
// sent twice.
func TestPoolUnreliableServer(t *testing.T) {
	var rules []clienttest.Rule
	for k := 0; k < 12; k++ {
		rules = append(rules,
			clienttest.Rule{On: clienttest.EndOfData, Skip: 7 + 31*k, Times: 1, Then: clienttest.Disconnect},
			clienttest.Rule{On: clienttest.Mail, Skip: 13 + 29*k, Times: 1, Then: clienttest.Disconnect},
			clienttest.Rule{On: clienttest.Rcpt, Skip: 19 + 37*k, Times: 1, Reply: "421 4.3.2 Service shutting down", Then: clienttest.Disconnect},
			clienttest.Rule{On: clienttest.Data, Skip: 23 + 41*k, Times: 1, Reply: "421 4.7.0 Too many messages, slow down", Then: clienttest.Disconnect},
		)
	}
	srv := poolServer(t, rules...)
	p := newPool(t, srv, client.PoolOptions{MaxConns: 8, Backoff: time.Millisecond})
	const n = 300
	out := sendMany(t, p, n, 64)
	got := delivered(srv)
	var unknown, rejected int
	for i, o := range out {
		switch o.res.State {
		case client.DeliveryComplete:
			assert.NoError(t, o.err)
			assert.Equal(t, 1, got[i], "copies of delivered message %d", i)
		case client.DeliveryUnknown:
			unknown++
			assert.ErrorIs(t, o.err, client.ErrDeliveryUnknown)
			assert.LessOrEqual(t, got[i], 1, "copies of message %d", i)
		case client.DeliveryRejected:
			rejected++
			assert.Error(t, o.err)
			assert.Equal(t, 0, got[i], "copies of rejected message %d: %v", i, o.err)
		default:
			t.Errorf("message %d: state %v", i, o.res.State)
		}
	}
	assert.Positive(t, unknown, "the drops after the final dot")
	st := p.Stats()
	assert.Positive(t, st.RetiredBroken)
	assert.Positive(t, st.Retries)
	t.Logf("unknown %d, rejected %d, stats %+v", unknown, rejected, st)
}

// A 421 4.7.0 rate limit, from 64 goroutines on 8 connections: the pool
// pauses, tries again on a new connection, and every message gets through
// exactly once.
func TestPoolRateLimited(t *testing.T) {
	srv := poolServer(t, clienttest.Rule{On: clienttest.Mail, Skip: 30, Times: 2,
		Reply: "421 4.7.0 Too many messages, please slow down", Then: clienttest.Disconnect})
	p := newPool(t, srv, client.PoolOptions{MaxConns: 8, Backoff: 5 * time.Millisecond})
	const n = 200
	out := sendMany(t, p, n, 64)
	got := delivered(srv)
	for i, o := range out {
		require.NoError(t, o.err, "message %d", i)
		assert.Equal(t, 1, got[i], "copies of message %d", i)
	}
	assert.Equal(t, n, len(srv.Messages()))
	st := p.Stats()
	assert.GreaterOrEqual(t, st.Backoffs, int64(2))
	assert.GreaterOrEqual(t, st.Retries, int64(2))
}

// A caller whose context cannot wait for the Limiter gets a typed error
// at once, and nothing is sent.
func TestPoolLimiterCannotWait(t *testing.T) {
	srv := poolServer(t)
	p := newPool(t, srv, client.PoolOptions{Limiter: rate.NewLimiter(rate.Every(time.Hour), 1)})
	env := &client.Envelope{From: "a@example.test", To: []string{"b@example.test"}}
	_, err := p.Send(context.Background(), env, strings.NewReader(poolBody(0)))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = p.Send(ctx, env, strings.NewReader(poolBody(1)))
	var rl *client.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Greater(t, rl.Wait, 50*time.Minute)
	assert.Equal(t, reply.RetryLater, reply.RetryFor(err))
	assert.Len(t, srv.Messages(), 1)
}

// MaxMessages retires a connection after that many transactions;
// IdleTimeout closes an idle one; each connection authenticates once.
func TestPoolRetiresAndAuthenticatesOnce(t *testing.T) {
	srv := clienttest.Start(t, &clienttest.Options{TLS: clienttest.TLSNone, Extensions: []string{"PIPELINING"},
		Users: map[string]string{"u": "p"}, RequireAuth: true})
	p := newPool(t, srv, client.PoolOptions{MaxConns: 1, MaxMessages: 3, IdleTimeout: 50 * time.Millisecond,
		Client: &client.Options{TLS: client.TLSNone, Auth: sasl.Password("u", "p"), AllowInsecureAuth: true}})
	out := sendMany(t, p, 7, 1)
	for i, o := range out {
		require.NoError(t, o.err, "message %d", i)
	}
	st := p.Stats()
	assert.Equal(t, int64(3), st.Dials)
	assert.Equal(t, int64(2), st.RetiredMax)
	auths := 0
	for _, c := range srv.Commands() {
		if strings.HasPrefix(c, "AUTH") {
			auths++
		}
	}
	assert.Equal(t, 3, auths, "one AUTH per connection")
	deadline := time.Now().Add(5 * time.Second)
	for p.Stats().Open > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.Equal(t, 0, p.Stats().Open)
	assert.Equal(t, int64(1), p.Stats().RetiredIdle)
}

// Close lets the messages in flight finish and says QUIT.
func TestPoolCloseDrains(t *testing.T) {
	srv := poolServer(t)
	p := newPool(t, srv, client.PoolOptions{MaxConns: 4})
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() {
			env := &client.Envelope{From: "a@example.test", To: []string{"b@example.test"}}
			_, errs[i] = p.Send(context.Background(), env, strings.NewReader(poolBody(i)))
		})
	}
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, p.Close())
	wg.Wait()
	sent := 0
	for _, err := range errs {
		if err == nil {
			sent++
		} else {
			assert.True(t, errors.Is(err, client.ErrPoolClosed), "%v", err)
		}
	}
	assert.Equal(t, sent, len(srv.Messages()))
	quits := 0
	for _, c := range srv.Commands() {
		if c == "QUIT" {
			quits++
		}
	}
	assert.Equal(t, int64(quits), p.Stats().Dials, "every connection said QUIT")
}

// turnConn counts the times the client reads after writing: the round
// trips it waits for.
type turnConn struct {
	net.Conn
	turns *atomic.Int64
	wrote bool
}

func (c *turnConn) Write(p []byte) (int, error) { c.wrote = true; return c.Conn.Write(p) }

func (c *turnConn) Read(p []byte) (int, error) {
	if c.wrote {
		c.wrote = false
		c.turns.Add(1)
	}
	return c.Conn.Read(p)
}

type turnDialer struct{ turns *atomic.Int64 }

func (d turnDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &turnConn{Conn: c, turns: d.turns}, nil
}

// Messages that wait for the pool's only connection leave one round trip
// each: the final dot of one with the envelope of the next.
func TestPoolOneRoundTripWhenQueued(t *testing.T) {
	srv := poolServer(t)
	var turns atomic.Int64
	p := newPool(t, srv, client.PoolOptions{MaxConns: 1,
		Client: &client.Options{TLS: client.TLSNone, Dialer: turnDialer{&turns}}})
	const n = 200
	out := sendMany(t, p, n, 8)
	for i, o := range out {
		require.NoError(t, o.err, "message %d", i)
	}
	require.Equal(t, n, len(srv.Messages()))
	// Greeting and EHLO take 2; lock-step sending would take 2 per message.
	perMsg := float64(turns.Load()-2) / n
	assert.Less(t, perMsg, 1.3, "round trips per message")
	t.Logf("%.2f round trips per message", perMsg)
}
