package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
)

// serveSink runs the in-process sink on addr and prints the address it
// listens on, then serves until killed. It answers every command with a
// fixed reply and flushes only when it has no more input buffered, so that
// a pipelining client gets its replies in one write, as smtp-sink does.
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
		go sinkConn(c, pipelining, chunking)
	}
}

func sinkConn(c net.Conn, pipelining, chunking bool) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 64<<10)
	bw := bufio.NewWriterSize(c, 4096)
	ehlo := "250-sink.example.test\r\n"
	if pipelining {
		ehlo += "250-PIPELINING\r\n"
	}
	if chunking {
		ehlo += "250-CHUNKING\r\n"
	}
	ehlo += "250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n"
	bw.WriteString("220 sink.example.test ESMTP\r\n")
	bw.Flush()
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		verb := strings.ToUpper(string(line[:min(len(line), 4)]))
		switch verb {
		case "EHLO":
			bw.WriteString(ehlo)
		case "HELO":
			bw.WriteString("250 sink.example.test\r\n")
		case "MAIL":
			bw.WriteString("250 2.1.0 Ok\r\n")
		case "RCPT":
			bw.WriteString("250 2.1.5 Ok\r\n")
		case "DATA":
			bw.WriteString("354 End data with <CR><LF>.<CR><LF>\r\n")
			bw.Flush()
			for {
				l, err := br.ReadSlice('\n')
				if err != nil && err != bufio.ErrBufferFull {
					return
				}
				if string(l) == ".\r\n" {
					break
				}
			}
			bw.WriteString("250 2.0.0 Ok: queued\r\n")
		case "BDAT":
			f := strings.Fields(string(line))
			if !chunking || len(f) < 2 {
				bw.WriteString("500 5.5.1 Error: unknown command\r\n")
				break
			}
			n, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return
			}
			if _, err := io.CopyN(io.Discard, br, n); err != nil {
				return
			}
			if len(f) > 2 {
				bw.WriteString("250 2.0.0 Ok: queued\r\n")
			} else {
				bw.WriteString("250 2.0.0 Ok: " + f[1] + " octets\r\n")
			}
		case "QUIT":
			bw.WriteString("221 2.0.0 Bye\r\n")
			bw.Flush()
			return
		default:
			bw.WriteString("250 2.0.0 Ok\r\n")
		}
		if br.Buffered() == 0 {
			if bw.Flush() != nil {
				return
			}
		}
	}
}
