package smtptest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Script is the list of steps a [Server] plays on one connection. When the
// last step has run, the server closes the connection.
type Script []Step

// Step is one action of a [Script]. Make steps with the functions of this
// package; the zero Step does nothing.
type Step struct {
	name string
	fn   func(*session) error
}

func (st Step) run(ss *session) error {
	if st.fn == nil {
		return nil
	}
	return st.fn(ss)
}

// String returns the step as it appears in errors, like `Expect("EHLO ")`.
func (st Step) String() string { return st.name }

func step(name string, fn func(*session) error) Step { return Step{name: name, fn: fn} }

// quote returns s quoted and shortened for a step name.
func quote(s string) string {
	const max = 40
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}

// Send writes s in one write.
func Send(s string) Step {
	b := []byte(s)
	return step("Send("+quote(s)+")", func(ss *session) error {
		return ss.write(b)
	})
}

// SendSplit writes the segments one write each, pausing between two
// writes. Use it to split a reply, or a line, across TCP segments.
func SendSplit(pause time.Duration, segments ...string) Step {
	return step("SendSplit("+quote(strings.Join(segments, ""))+")", func(ss *session) error {
		for i, seg := range segments {
			if i > 0 {
				if err := ss.pause(pause); err != nil {
					return err
				}
			}
			if err := ss.write([]byte(seg)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Dribble writes s one byte at a time, pausing for delay after each byte
// but the last.
func Dribble(s string, delay time.Duration) Step {
	return step("Dribble("+quote(s)+")", func(ss *session) error {
		for i := 0; i < len(s); i++ {
			if i > 0 {
				if err := ss.pause(delay); err != nil {
					return err
				}
			}
			if err := ss.write([]byte{s[i]}); err != nil {
				return err
			}
		}
		return nil
	})
}

// Expect reads one line from the client and fails unless it ends in CRLF
// and, without its CRLF, starts with prefix. The comparison is exact and
// case-sensitive.
func Expect(prefix string) Step {
	return expectLine("Expect("+quote(prefix)+")", "a line starting with "+strconv.Quote(prefix),
		func(line string) bool { return strings.HasPrefix(line, prefix) })
}

// ExpectLine reads one line from the client and fails unless it is exactly
// line followed by CRLF.
func ExpectLine(line string) Step {
	return expectLine("ExpectLine("+quote(line)+")", strconv.Quote(line),
		func(got string) bool { return got == line })
}

// ExpectRegexp reads one line from the client and fails unless it ends in
// CRLF and, without its CRLF, matches the regular expression pattern.
// ExpectRegexp panics if pattern does not compile.
func ExpectRegexp(pattern string) Step {
	re := regexp.MustCompile(pattern)
	return expectLine("ExpectRegexp("+quote(pattern)+")", "a match for "+strconv.Quote(pattern), re.MatchString)
}

// expectLine makes a step that reads one CRLF-terminated line and fails,
// saying it wanted want, unless ok accepts the line without its CRLF.
func expectLine(name, want string, ok func(line string) bool) Step {
	return step(name, func(ss *session) error {
		line, err := ss.readCommand()
		if err != nil {
			return err
		}
		if !ok(line) {
			return fmt.Errorf("got %q, want %s", line, want)
		}
		return nil
	})
}

// ExpectData reads a DATA body up to and including the line "." and records
// it, exactly as sent, for [Server.Data]. It is strict about what a client
// may send (RFC 5321 sections 2.3.8 and 4.5.3.1.6): it fails, after reading
// the whole body, on a bare CR, a bare LF, a NUL or a line longer than 1000
// octets with its CRLF and without a stuffed leading dot.
func ExpectData() Step {
	return step("ExpectData()", func(ss *session) error {
		var body []byte
		var bad error
		for n := 1; ; n++ {
			line, err := ss.readDataLine()
			body = append(body, line...)
			if err != nil {
				ss.s.addData(body)
				return err
			}
			if string(line) == ".\r\n" {
				ss.s.addData(body)
				return bad
			}
			if bad == nil {
				bad = checkDataLine(line, n)
			}
		}
	})
}

// readDataLine reads one line of any length, LF included.
func (ss *session) readDataLine() ([]byte, error) {
	var line []byte
	for {
		ss.conn.SetReadDeadline(time.Now().Add(ss.s.timeout))
		part, err := ss.br.ReadSlice('\n')
		line = append(line, part...)
		if err == nil {
			return line, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, err
		}
	}
}

// checkDataLine reports the first rule line number n breaks.
func checkDataLine(line []byte, n int) error {
	body, ok := bytes.CutSuffix(line, []byte("\r\n"))
	if !ok {
		return fmt.Errorf("data line %d ends in a bare LF: %q", n, clip(line))
	}
	if i := bytes.IndexByte(body, '\r'); i >= 0 {
		return fmt.Errorf("data line %d has a bare CR at octet %d: %q", n, i, clip(line))
	}
	if i := bytes.IndexByte(body, 0); i >= 0 {
		return fmt.Errorf("data line %d has a NUL at octet %d", n, i)
	}
	if len(body) > 0 && body[0] == '.' {
		body = body[1:]
	}
	if len(body) > 998 {
		return fmt.Errorf("data line %d is %d octets long, over 998", n, len(body))
	}
	return nil
}

// ExpectBDAT reads one "BDAT <size>[ LAST]" command line and its chunk of
// exactly size octets (RFC 3030). Chunks accumulate into one message, which
// is recorded for [Server.Data] when a chunk marked LAST has been read. The
// chunk's content is not checked.
func ExpectBDAT() Step {
	return step("ExpectBDAT()", func(ss *session) error {
		line, err := ss.readCommand()
		if err != nil {
			return err
		}
		f := strings.Fields(line)
		if len(f) < 2 || len(f) > 3 || !strings.EqualFold(f[0], "BDAT") || (len(f) == 3 && !strings.EqualFold(f[2], "LAST")) {
			return fmt.Errorf("got %q, want BDAT <size>[ LAST]", line)
		}
		size, err := strconv.ParseUint(f[1], 10, 31)
		if err != nil {
			return fmt.Errorf("got %q: bad chunk size: %w", line, err)
		}
		chunk := make([]byte, size)
		ss.conn.SetReadDeadline(time.Now().Add(ss.s.timeout))
		if _, err := io.ReadFull(ss.br, chunk); err != nil {
			return fmt.Errorf("reading a %d octet chunk: %w", size, err)
		}
		ss.msg = append(ss.msg, chunk...)
		if len(f) == 3 {
			ss.s.addData(ss.msg)
			ss.msg = nil
		}
		return nil
	})
}

func (s *Server) addData(b []byte) {
	s.mu.Lock()
	s.data = append(s.data, b)
	s.mu.Unlock()
}

// ExpectClosed waits for the client to close the connection and fails if
// it sends anything first.
func ExpectClosed() Step {
	return step("ExpectClosed()", func(ss *session) error {
		ss.conn.SetReadDeadline(time.Now().Add(ss.s.timeout))
		var buf [512]byte
		n, err := ss.br.Read(buf[:])
		if n > 0 {
			return fmt.Errorf("client sent %q, want the connection closed", buf[:n])
		}
		if isHangUp(err) {
			return nil
		}
		return fmt.Errorf("client did not close the connection: %w", err)
	})
}

// StartTLS runs the server side of a TLS handshake on the connection, with
// the throw-away certificate or [Options.TLSConfig]. It fails if the client
// sent anything the script has not read yet (bytes sent after STARTTLS but
// before the handshake). Later steps speak TLS.
func StartTLS() Step {
	return step("StartTLS()", (*session).startTLS)
}

// Stall does nothing for d (or until the server is closed), leaving what
// the client sends unread.
func Stall(d time.Duration) Step {
	return step("Stall("+d.String()+")", func(ss *session) error {
		return ss.pause(d)
	})
}

// StallUntilClosed sends nothing and reads (and records) whatever the
// client sends until it closes the connection. It fails if the client has
// not closed it within the timeout.
func StallUntilClosed() Step {
	return step("StallUntilClosed()", func(ss *session) error {
		deadline := time.Now().Add(ss.s.timeout)
		ss.conn.SetReadDeadline(deadline)
		_, err := io.Copy(io.Discard, ss.br)
		if err == nil || isHangUp(err) {
			return nil
		}
		return fmt.Errorf("client did not close the connection: %w", err)
	})
}

// Func calls fn when the script reaches it; a non-nil error fails the
// step. Use it to learn, without sleeping, that the server has got this far,
// for example by closing a channel before a Stall.
func Func(fn func() error) Step {
	return step("Func()", func(*session) error { return fn() })
}

// Close closes the connection. Any later step fails.
func Close() Step {
	return step("Close()", func(ss *session) error {
		return ss.raw.Close()
	})
}

// CloseWrite shuts down the server's sending side: a TCP FIN on a plain
// connection, a TLS close_notify alert after StartTLS. The server can still
// read what the client sends.
func CloseWrite() Step {
	return step("CloseWrite()", func(ss *session) error {
		if ss.tls != nil {
			return ss.tls.CloseWrite()
		}
		tc, ok := ss.raw.(*net.TCPConn)
		if !ok {
			return errors.New("not a TCP connection")
		}
		return tc.CloseWrite()
	})
}

// isHangUp reports whether err means the peer closed the connection.
func isHangUp(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}
