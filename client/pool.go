package client

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/seed-e4e66a4f/smtp/reply"
)

// PoolOptions configures a [Pool]. Only Addr is required.
type PoolOptions struct {
	// Addr is the server, "host:port", as [Dial] takes it.
	Addr string
	// Client holds the options of every connection (TLS policy,
	// credentials, timeouts, logger...), as Dial takes them; nil means
	// zero Options. With Auth set, each connection authenticates once,
	// before its first message.
	Client *Options
	// MaxConns is the most connections open at once; zero means 4.
	// Connections are opened on demand, when a message finds none free.
	MaxConns int
	// IdleTimeout closes (with QUIT) a connection that has had no message
	// for this long; zero means 30 seconds, a negative value never.
	IdleTimeout time.Duration
	// MaxMessages retires a connection (QUIT, and a new one on demand)
	// after this many transactions; zero means the server's LIMITS
	// MAILMAX (RFC 9422) when it announced one, and no limit otherwise.
	MaxMessages int
	// Limiter, if not nil, bounds the rate of messages: each Send waits
	// for a token. When the server says it is rate limiting, the pool
	// halves the limiter's rate, and raises it again by a tenth after
	// every 100 messages accepted, up to its rate at NewPool.
	Limiter *rate.Limiter
	// MaxAttempts is how many times Send tries a message that the server
	// never accepted and that another attempt may get through: one
	// refused with a 421 or lost before its final dot (on a new
	// connection), or refused for rate limiting (after a pause, see
	// Backoff). Zero means 3; 1 disables retries. A message whose body
	// Send has started to read is tried again only when the body is an
	// io.Seeker.
	MaxAttempts int
	// Backoff is the pause of every Send after a reply that says the
	// server is rate limiting; it doubles with each such reply in a row,
	// up to [reply.RateLimitedDelay], and is reset by an accepted
	// message. Zero means one second.
	Backoff time.Duration
}

// Pool sends messages to one server over up to MaxConns connections,
// from any number of goroutines: it is safe for concurrent use. It opens
// connections on demand, each authenticated once; reuses healthy ones;
// retires those that broke (a 421, a timeout, a lost connection, a
// protocol error), those that reached MaxMessages and those idle for
// IdleTimeout. Messages that wait for the same connection are sent as
// [Client.SendAll] sends a stream: with PIPELINING, each final dot leaves
// with the next message's envelope, one round trip per message.
//
// Close it when done: it lets the messages in flight finish, then says
// QUIT on every connection.
type Pool struct {
	opts  PoolOptions
	copts Options
	max   int
	conns sync.WaitGroup // one per connection open or being dialled

	mu      sync.Mutex
	free    []*poolConn // idle connections, the most recently used last
	queue   []*poolJob  // messages waiting for a connection, oldest first
	open    int         // connections open or being dialled
	closed  bool
	janitor *time.Timer   // closes idle connections; nil when none is idle
	pauseTo time.Time     // no message leaves before this (rate limiting)
	pause   time.Duration // the next pause
	limit   rate.Limit    // the Limiter's rate at NewPool
	good    int           // messages accepted since the last rate change
	last    error         // the last rate limiting refusal

	s poolCounters
}

// poolConn is a connection of a Pool.
type poolConn struct {
	c     *Client
	sent  int       // transactions so far
	max   int       // transactions before it retires; 0: no limit
	since time.Time // idle since
}

type poolCounters struct {
	dials, dialErrors, messages, retries, waits, waitNanos, backoffs atomic.Int64
	retiredBroken, retiredIdle, retiredMax                           atomic.Int64
	inUse                                                            atomic.Int64
}

// PoolStats is a snapshot of a [Pool], in the spirit of sql.DBStats.
type PoolStats struct {
	MaxConns int // PoolOptions.MaxConns
	Open     int // connections open or being dialled
	InUse    int // connections sending a message
	Idle     int // connections waiting for one

	Dials      int64 // connections dialled
	DialErrors int64 // dials (greeting, EHLO, TLS, AUTH included) that failed

	RetiredBroken int64 // connections closed because they broke (421, timeout, lost)
	RetiredIdle   int64 // closed after IdleTimeout
	RetiredMax    int64 // closed after MaxMessages (or MAILMAX)

	Messages int64 // attempts that reached an outcome, of any state
	Retries  int64 // attempts after the first, by Send

	WaitCount    int64         // Send calls that waited: for the Limiter, a pause or a connection
	WaitDuration time.Duration // the time they waited in total
	Backoffs     int64         // rate limiting replies that paused the pool
}

// NewPool returns a Pool for opts. It dials nothing until the first Send.
func NewPool(opts PoolOptions) (*Pool, error) {
	if opts.Addr == "" {
		return nil, &InputError{Field: "address", Reason: "empty"}
	}
	p := &Pool{opts: opts, max: opts.MaxConns}
	if opts.Client != nil {
		p.copts = *opts.Client
	}
	if p.max <= 0 {
		p.max = 4
	}
	if p.opts.IdleTimeout == 0 {
		p.opts.IdleTimeout = 30 * time.Second
	}
	if p.opts.MaxAttempts <= 0 {
		p.opts.MaxAttempts = 3
	}
	if p.opts.Backoff <= 0 {
		p.opts.Backoff = time.Second
	}
	p.pause = p.opts.Backoff
	if l := opts.Limiter; l != nil {
		p.limit = l.Limit()
	}
	return p, nil
}

// poolJob is one attempt of a message, from Pool.Send to a connection.
// While it waits in Pool.queue, the goroutine holding a connection may
// send it in the same flight as its own message and then hand it the
// connection (pc): its Send goes on from there.
type poolJob struct {
	ctx  context.Context
	env  *Envelope
	body countingReader
	res  Result
	err  error
	wake chan struct{} // done, or pc handed over
	done bool          // res and err are final
	pc   *poolConn     // the connection handed over, with end in flight
	end  *endPending   // its final dot's reply is due
}

// countingReader counts what was read of a body, so that Send knows
// whether an attempt consumed it.
type countingReader struct {
	r io.Reader
	n int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	return n, err
}

var poolJobs = sync.Pool{New: func() any { return &poolJob{wake: make(chan struct{}, 1)} }}

// Send sends one message on a connection of the pool and returns what
// [Client.Send] returns for it: the same Result, states and errors.
//
// It waits for the Limiter and for a pause after a rate limiting reply;
// when ctx would end first it returns a [*RateLimitError] at once and
// sends nothing. It then waits for a free connection, opening one when
// fewer than MaxConns are open. A message that the server never accepted
// is tried again, up to MaxAttempts in all: on a new connection after a
// 421 or a connection lost before its final dot, after a pause after a
// rate limiting refusal (the pool slows down for every message). Nothing
// else is retried: never a message whose delivery is unknown, a partial
// delivery, or a permanent refusal.
//
// ctx bounds the waits. Once the message is on the wire, cancelling ctx
// no longer stops it: it finishes within the connection's Timeouts, so
// that one caller's cancellation never leaves another message, sent in
// the same flight, with an unknown outcome.
func (p *Pool) Send(ctx context.Context, env *Envelope, body io.Reader) (Result, error) {
	if env == nil || len(env.To) == 0 {
		return Result{}, &InputError{Field: "to", Reason: "no recipients"}
	}
	if body == nil {
		return Result{}, &InputError{Field: "body", Reason: "nil reader"}
	}
	for attempt := 1; ; attempt++ {
		if err := p.wait(ctx); err != nil {
			return Result{}, err
		}
		if attempt > 1 {
			p.s.retries.Add(1)
		}
		res, read, err := p.attempt(ctx, env, body)
		if err == nil || attempt >= p.opts.MaxAttempts || res.State != DeliveryRejected || !p.retryable(ctx, err) {
			return res, err
		}
		if read > 0 {
			// The body must be read again from its start.
			s, ok := body.(io.Seeker)
			if !ok {
				return res, err
			}
			if _, serr := s.Seek(0, io.SeekStart); serr != nil {
				return res, err
			}
		}
	}
}

// retryable reports whether Send tries again a message the server did not
// accept with err: a rate limiting refusal (after the pause observe set),
// or a 421 or a connection lost before the final dot (on a new
// connection), while the pool is open and ctx lives.
func (p *Pool) retryable(ctx context.Context, err error) bool {
	if reply.IsRateLimited(err) {
		return true
	}
	return reply.RetryFor(err) == reply.RetryNewConnection && !errors.Is(err, ErrPoolClosed) && ctx.Err() == nil
}

// wait waits for the pause after a rate limiting reply and for the
// Limiter, or returns a *RateLimitError, with the pool's last rate
// limiting refusal, when ctx would end first.
func (p *Pool) wait(ctx context.Context) error {
	start := time.Now()
	p.mu.Lock()
	until, lastRate := p.pauseTo, p.last
	p.mu.Unlock()
	waited := false
	if d := time.Until(until); d > 0 {
		if dl, ok := ctx.Deadline(); ok && dl.Before(until) {
			return &RateLimitError{Wait: d, Err: lastRate}
		}
		waited = true
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	if l := p.opts.Limiter; l != nil {
		r := l.Reserve()
		if !r.OK() {
			return &RateLimitError{Err: errors.New("rate: burst is zero")}
		}
		if d := r.Delay(); d > 0 {
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
				r.Cancel()
				return &RateLimitError{Wait: d, Err: lastRate}
			}
			waited = true
			if err := sleep(ctx, d); err != nil {
				r.Cancel()
				return err
			}
		}
	}
	if waited {
		p.s.waits.Add(1)
		p.s.waitNanos.Add(int64(time.Since(start)))
	}
	return nil
}

// sleep waits for d, or returns ctx's error when it ends first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// attempt sends the message once, on some connection, and reports how
// many octets of body it read. It runs in the caller's goroutine: on a
// free connection, on a new one, or, when every connection is busy, after
// waiting in the queue, where a busy connection picks it up.
func (p *Pool) attempt(ctx context.Context, env *Envelope, body io.Reader) (Result, int64, error) {
	j := poolJobs.Get().(*poolJob)
	j.ctx, j.env, j.body = ctx, env, countingReader{r: body}
	defer func() {
		select {
		case <-j.wake: // finish's, when this goroutine ran j itself
		default:
		}
		*j = poolJob{wake: j.wake}
		poolJobs.Put(j)
	}()

	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return Result{}, 0, ErrPoolClosed
	}
	var pc *poolConn
	switch {
	case len(p.free) > 0:
		pc = p.free[len(p.free)-1]
		p.free = p.free[:len(p.free)-1]
		p.mu.Unlock()
	case p.open < p.max:
		p.open++
		p.conns.Add(1)
		p.mu.Unlock()
		var err error
		if pc, err = p.dial(); err != nil {
			p.finish(j, Result{}, err)
			return j.res, 0, j.err
		}
	default:
		p.queue = append(p.queue, j)
		p.mu.Unlock()
		start := time.Now()
		pc = p.await(j)
		p.s.waits.Add(1)
		p.s.waitNanos.Add(int64(time.Since(start)))
		if pc == nil {
			return j.res, j.body.n, j.err
		}
	}
	p.run(pc, j)
	return j.res, j.body.n, j.err
}

// await waits in the queue until j is done (sent by another goroutine, or
// dropped by Close or its context) or a connection is handed to it:
// free, or with j in flight.
func (p *Pool) await(j *poolJob) *poolConn {
	select {
	case <-j.wake:
	case <-j.ctx.Done():
		p.mu.Lock()
		if i := slices.Index(p.queue, j); i >= 0 {
			p.queue = slices.Delete(p.queue, i, i+1)
			p.mu.Unlock()
			j.res, j.err, j.done = Result{}, j.ctx.Err(), true
			return nil
		}
		p.mu.Unlock()
		<-j.wake // taken: on the wire, it finishes within the Timeouts
	}
	if j.done {
		return nil
	}
	return j.pc
}

// dial opens a connection for the pool (p.open and p.conns count it).
func (p *Pool) dial() (*poolConn, error) {
	p.s.dials.Add(1)
	c, err := Dial(context.Background(), p.opts.Addr, &p.copts)
	if err != nil {
		p.s.dialErrors.Add(1)
		p.gone()
		return nil, err
	}
	pc := &poolConn{c: c, max: p.opts.MaxMessages}
	if l, ok := c.Extensions().Limits(); ok && pc.max == 0 {
		pc.max = l.MailMax
	}
	return pc, nil
}

// gone forgets a connection that is closed.
func (p *Pool) gone() {
	p.mu.Lock()
	p.open--
	p.mu.Unlock()
	p.conns.Done()
}

// run sends j on pc, which this goroutine holds; j may be in flight
// already (j.end, handed over by await). While the reply to j's final dot
// is due and another message waits in the queue, that message leaves in
// the same flight (one round trip per message), and pc is handed to its
// goroutine once j's outcome is known. Otherwise run ends j's message and
// releases pc.
func (p *Pool) run(pc *poolConn, j *poolJob) {
	c := pc.c
	// The connection's own context: see Send.
	ctx := context.Background()
	if j.end == nil {
		p.s.inUse.Add(1)
		c.deferEnd = true
		res, err := c.Send(ctx, j.env, &j.body)
		c.deferEnd = false
		p.s.inUse.Add(-1)
		pc.sent++
		if err != errEndDeferred {
			p.finish(j, res, err)
			p.release(pc)
			return
		}
		j.end = c.end
	}
	var next *poolJob
	if !(pc.max > 0 && pc.sent >= pc.max) {
		p.mu.Lock()
		next = p.popQueue()
		p.mu.Unlock()
	}
	if next == nil {
		if c.end == j.end {
			c.settle(ctx)
		}
		p.finishEnd(j)
		p.release(pc)
		return
	}
	p.s.inUse.Add(1)
	c.deferEnd = true
	res, err := c.Send(ctx, next.env, &next.body)
	c.deferEnd = false
	p.s.inUse.Add(-1)
	pc.sent++
	if c.end == j.end {
		// next went without reading j's reply (invalid input, a
		// broken client): read it now.
		c.settle(ctx)
	}
	p.finishEnd(j)
	if err != errEndDeferred {
		p.finish(next, res, err)
		p.release(pc)
		return
	}
	// next is in flight: its goroutine takes over the connection.
	next.end, next.pc = c.end, pc
	next.wake <- struct{}{}
}

// finishEnd hands out the outcome of j, whose final dot's reply has been
// read (or failed to be).
func (p *Pool) finishEnd(j *poolJob) {
	e := j.end
	j.end = nil
	p.finish(j, e.res, e.err)
}

// release gives pc back after a message: to a message waiting in the
// queue, to the free list, or, when it broke, reached its MaxMessages or
// the pool is closed, to its end.
func (p *Pool) release(pc *poolConn) {
	c := pc.c
	broken := c.err != nil || c.closed
	full := pc.max > 0 && pc.sent >= pc.max
	p.mu.Lock()
	closed := p.closed
	var next *poolJob
	if !broken && !closed && !full {
		next = p.popQueue()
		if next == nil {
			pc.since = time.Now()
			p.free = append(p.free, pc)
			if p.janitor == nil && p.opts.IdleTimeout > 0 {
				p.janitor = time.AfterFunc(p.opts.IdleTimeout, p.retireIdle)
			}
			p.mu.Unlock()
			return
		}
	}
	p.mu.Unlock()
	if next != nil {
		next.pc = pc
		next.wake <- struct{}{}
		return
	}
	switch {
	case broken:
		p.s.retiredBroken.Add(1)
		c.Close()
	case closed:
		c.Quit(context.Background())
	default:
		p.s.retiredMax.Add(1)
		c.Quit(context.Background())
	}
	p.gone()
	p.dialForQueue()
}

// popQueue removes and returns the oldest message waiting for a
// connection, or nil. p.mu must be held.
func (p *Pool) popQueue() *poolJob {
	if len(p.queue) == 0 {
		return nil
	}
	next := p.queue[0]
	p.queue = slices.Delete(p.queue, 0, 1)
	return next
}

// dialForQueue opens a connection for the oldest waiting message after
// one was retired, so that the queue never waits for nothing.
func (p *Pool) dialForQueue() {
	p.mu.Lock()
	if p.closed || len(p.queue) == 0 || p.open >= p.max {
		p.mu.Unlock()
		return
	}
	next := p.popQueue()
	p.open++
	p.conns.Add(1)
	p.mu.Unlock()
	go func() {
		pc, err := p.dial()
		if err != nil {
			p.finish(next, Result{}, err)
			return
		}
		next.pc = pc
		next.wake <- struct{}{}
	}()
}

// retireIdle closes the connections idle for IdleTimeout, and runs again
// while some are idle.
func (p *Pool) retireIdle() {
	now := time.Now()
	p.mu.Lock()
	var old []*poolConn
	keep := p.free[:0]
	for _, pc := range p.free {
		if now.Sub(pc.since) >= p.opts.IdleTimeout {
			old = append(old, pc)
		} else {
			keep = append(keep, pc)
		}
	}
	clear(p.free[len(keep):])
	p.free = keep
	p.janitor = nil
	if len(p.free) > 0 && !p.closed {
		p.janitor = time.AfterFunc(p.opts.IdleTimeout-now.Sub(p.free[0].since), p.retireIdle)
	}
	p.mu.Unlock()
	for _, pc := range old {
		p.s.retiredIdle.Add(1)
		pc.c.Quit(context.Background())
		p.gone()
	}
}

// finish records the outcome of j and, when j's goroutine is waiting
// for it in await, wakes it up.
func (p *Pool) finish(j *poolJob, res Result, err error) {
	p.s.messages.Add(1)
	p.observe(err)
	j.res, j.err, j.done = res, err, true
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// observe adapts the pace to the server: a rate limiting reply pauses
// every Send and halves the Limiter's rate; accepted messages undo it.
func (p *Pool) observe(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil && reply.IsRateLimited(err) {
		p.s.backoffs.Add(1)
		p.last = err
		p.pauseTo = time.Now().Add(p.pause)
		p.pause = min(2*p.pause, reply.RateLimitedDelay)
		p.good = 0
		if l := p.opts.Limiter; l != nil {
			l.SetLimit(l.Limit() / 2)
		}
		return
	}
	if err != nil {
		return
	}
	p.pause = p.opts.Backoff
	if l := p.opts.Limiter; l != nil && l.Limit() < p.limit {
		if p.good++; p.good >= 100 {
			p.good = 0
			l.SetLimit(min(p.limit, l.Limit()*1.1))
		}
	}
}

// Stats returns a snapshot of the pool's counters.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	open, idle := p.open, len(p.free)
	p.mu.Unlock()
	return PoolStats{
		MaxConns:      p.max,
		Open:          open,
		InUse:         int(p.s.inUse.Load()),
		Idle:          idle,
		Dials:         p.s.dials.Load(),
		DialErrors:    p.s.dialErrors.Load(),
		RetiredBroken: p.s.retiredBroken.Load(),
		RetiredIdle:   p.s.retiredIdle.Load(),
		RetiredMax:    p.s.retiredMax.Load(),
		Messages:      p.s.messages.Load(),
		Retries:       p.s.retries.Load(),
		WaitCount:     p.s.waits.Load(),
		WaitDuration:  time.Duration(p.s.waitNanos.Load()),
		Backoffs:      p.s.backoffs.Load(),
	}
}

// Close stops the pool: Send returns [ErrPoolClosed] from now on, also
// for the messages still waiting for a connection; the messages already
// on a connection finish, and every connection says QUIT and closes.
// Close waits for all of that; later calls return nil.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	free, queue := p.free, p.queue
	p.free, p.queue = nil, nil
	if p.janitor != nil {
		p.janitor.Stop()
		p.janitor = nil
	}
	p.mu.Unlock()
	for _, j := range queue {
		j.res, j.err, j.done = Result{}, ErrPoolClosed, true
		j.wake <- struct{}{}
	}
	for _, pc := range free {
		pc.c.Quit(context.Background())
		p.gone()
	}
	p.conns.Wait()
	return nil
}
