package client

import "testing"

func TestPendingQueue(t *testing.T) {
	var q pendingQueue
	if _, ok := q.take(); ok || !q.idle() {
		t.Fatal("an empty queue has a command in flight")
	}
	q.add(expect{verb: "MAIL FROM"})
	q.add(expect{verb: "RCPT TO"})
	if _, ok := q.take(); ok {
		t.Fatal("take returned a command that was not flushed")
	}
	q.flushed()
	q.add(expect{verb: "DATA"}) // queued after the flush: not in flight
	if q.oldest().verb != "MAIL FROM" || q.newest().verb != "DATA" || q.len() != 3 {
		t.Fatalf("oldest %q, newest %q, len %d", q.oldest().verb, q.newest().verb, q.len())
	}
	for _, want := range []string{"MAIL FROM", "RCPT TO"} {
		exp, ok := q.take()
		if !ok || exp.verb != want {
			t.Fatalf("take() = %q, %v; want %q", exp.verb, ok, want)
		}
	}
	if _, ok := q.take(); ok || !q.idle() {
		t.Fatal("DATA was taken before it was flushed")
	}
	q.flushed()
	if exp, ok := q.take(); !ok || exp.verb != "DATA" {
		t.Fatalf("take() = %q, %v; want DATA", exp.verb, ok)
	}
	q.add(expect{verb: "QUIT"})
	q.flushed()
	q.reset()
	if q.len() != 0 || !q.idle() {
		t.Fatal("reset left commands")
	}
}
