package client

// pendingQueue is the FIFO of commands whose replies are still to be read,
// in the order they were queued (RFC 2920 section 3.1: replies come in the
// order of the commands). It says which have been flushed to the server
// (in flight): only those have a reply to wait for. Client.queue adds to
// it, Client.flush marks everything queued in flight, Client.next takes
// the oldest in flight to match it with the reply it reads.
type pendingQueue struct {
	items    []expect // oldest first
	inflight int      // how many of items (the oldest) have been flushed
}

// add queues exp, not flushed yet.
func (q *pendingQueue) add(exp expect) { q.items = append(q.items, exp) }

// flushed marks every queued command in flight.
func (q *pendingQueue) flushed() { q.inflight = len(q.items) }

// take removes and returns the oldest command in flight; false when none
// is (a reply would be unsolicited).
func (q *pendingQueue) take() (expect, bool) {
	if len(q.items) == 0 || q.inflight == 0 {
		return expect{}, false
	}
	exp := q.items[0]
	copy(q.items, q.items[1:])
	q.items = q.items[:len(q.items)-1]
	q.inflight--
	return exp, true
}

// idle reports whether no reply is due: nothing is in flight.
func (q *pendingQueue) idle() bool { return q.inflight == 0 }

// len returns the number of commands queued or in flight.
func (q *pendingQueue) len() int { return len(q.items) }

// oldest returns the oldest command; the queue must not be empty.
func (q *pendingQueue) oldest() expect { return q.items[0] }

// newest returns the command queued last; the queue must not be empty.
func (q *pendingQueue) newest() expect { return q.items[len(q.items)-1] }

// reset forgets every command, for a session that starts over (after the
// greeting or STARTTLS) or is over.
func (q *pendingQueue) reset() {
	q.items = q.items[:0]
	q.inflight = 0
}
