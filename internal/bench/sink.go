package main

import (
	"fmt"
	"net"
	"os"

	"github.com/seed-e4e66a4f/smtp/internal/sink"
)

// serveSink runs the in-process sink (internal/sink) on addr, prints the
// address it listens on, and serves until killed.
func serveSink(addr string, pipelining, chunking bool) {
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench sink:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go sink.Serve(c, sink.Options{Pipelining: pipelining, Chunking: chunking})
	}
}
