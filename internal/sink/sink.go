// Package sink is a minimal SMTP server for benchmarks: it answers every
// command with a fixed reply, reads and discards messages, and flushes its
// replies only when it has no more input buffered, so that a pipelining
// client gets them in one write, as Postfix's smtp-sink does. It allocates
// nothing per message, so that an in-process benchmark's allocations are
// the client's. client's benchmarks and internal/bench use it.
package sink

import (
	"bufio"
	"bytes"
	"net"
)

// Options says what the sink offers in its EHLO reply.
type Options struct {
	Pipelining bool // PIPELINING (RFC 2920)
	Chunking   bool // CHUNKING (RFC 3030): BDAT is read, and refused otherwise
}

// Serve speaks SMTP on c until the client says QUIT or the connection
// fails, then closes c.
func Serve(c net.Conn, o Options) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 64<<10)
	bw := bufio.NewWriterSize(c, 4096)
	ehlo := "250-sink.example.test\r\n"
	if o.Pipelining {
		ehlo += "250-PIPELINING\r\n"
	}
	if o.Chunking {
		ehlo += "250-CHUNKING\r\n"
	}
	ehlo += "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE 10240000\r\n"
	bw.WriteString("220 sink.example.test ESMTP\r\n")
	bw.Flush()
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		verb := line
		if len(verb) > 4 {
			verb = verb[:4]
		}
		switch string(verb) { // the clients measured send upper case
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
			bw.WriteString("250 2.0.0 Ok: queued as 80753984042\r\n")
		case "BDAT":
			if !o.Chunking {
				bw.WriteString("500 5.5.1 Error: unknown command\r\n")
				break
			}
			if bdat(line, br, bw) != nil {
				return
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

// bdat reads the chunk announced by line, "BDAT <size>[ LAST]\r\n", and
// queues its reply in bw.
func bdat(line []byte, br *bufio.Reader, bw *bufio.Writer) error {
	// Parsed without allocating.
	arg := bytes.TrimSpace(line[4:])
	size, last, _ := bytes.Cut(arg, []byte(" "))
	n := 0
	for _, d := range size {
		n = n*10 + int(d-'0')
	}
	if _, err := br.Discard(n); err != nil {
		return err
	}
	if len(last) > 0 {
		bw.WriteString("250 2.0.0 Ok: queued as 80753984042\r\n")
	} else {
		bw.WriteString("250 2.0.0 Ok\r\n")
	}
	return nil
}
