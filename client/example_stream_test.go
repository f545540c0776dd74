package client_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"sync"

	"golang.org/x/time/rate"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/client/clienttest"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// A stream of messages on one connection, one round trip each, and each
// with its own outcome: here the server refuses one recipient.
func ExampleClient_SendAll() {
	srv, err := clienttest.NewServer(&clienttest.Options{TLS: clienttest.TLSNone, Extensions: []string{"PIPELINING"},
		Rules: []clienttest.Rule{clienttest.RefuseRecipient("gone@", "550 5.1.1 No such user")}})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	c, err := client.Dial(ctx, srv.Addr(), &client.Options{TLS: client.TLSNone})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Quit(ctx)

	msgs := func(yield func(*client.Message) bool) {
		for _, to := range []string{"ann@example.org", "gone@example.org", "bob@example.org"} {
			m := &client.Message{
				Envelope: client.Envelope{From: "news@example.com", To: []string{to}},
				Body:     strings.NewReader("Subject: news\r\n\r\nHello.\r\n"),
			}
			if !yield(m) {
				return
			}
		}
	}
	for m, err := range c.SendAll(ctx, msgs) {
		fmt.Printf("%s: %v", m.To[0], m.Result.State)
		if reply.IsMailboxUnavailable(err) {
			fmt.Print(" (suppress this address)")
		}
		fmt.Println()
	}
	// Output:
	// ann@example.org: delivered
	// gone@example.org: rejected (suppress this address)
	// bob@example.org: delivered
}

// A Pool shared by goroutines: at most 2 connections, at most 50
// messages a second, the same results and errors as Client.Send.
func ExamplePool() {
	srv, err := clienttest.NewServer(&clienttest.Options{TLS: clienttest.TLSNone, Extensions: []string{"PIPELINING"}})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	p, err := client.NewPool(client.PoolOptions{
		Addr:     srv.Addr(),
		Client:   &client.Options{TLS: client.TLSNone},
		MaxConns: 2,
		Limiter:  rate.NewLimiter(50, 10),
	})
	if err != nil {
		log.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			env := &client.Envelope{From: "news@example.com", To: []string{fmt.Sprintf("reader%d@example.org", i)}}
			if _, err := p.Send(context.Background(), env, strings.NewReader("Subject: news\r\n\r\nHello.\r\n")); err != nil {
				log.Print(err)
			}
		})
	}
	wg.Wait()
	p.Close() // lets the messages in flight finish, then QUIT
	st := p.Stats()
	fmt.Println(st.Messages, "messages,", len(srv.Messages()), "delivered, at most", st.MaxConns, "connections:", st.Dials <= 2)
	// Output:
	// 10 messages, 10 delivered, at most 2 connections: true
}
