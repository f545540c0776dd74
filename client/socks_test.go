package client

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/proxy"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
)

// socks5Server is a minimal RFC 1928 SOCKS5 proxy (CONNECT only), with
// RFC 1929 username/password authentication when user is set. It stands in
// for Debian's microsocks when that is not installed.
type socks5Server struct {
	ln         net.Listener
	user, pass string
	wg         sync.WaitGroup
	mu         sync.Mutex
	targets    []string
}

func startSOCKS5(t *testing.T, user, pass string) *socks5Server {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &socks5Server{ln: ln, user: user, pass: pass}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *socks5Server) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(hang))
	br := bufio.NewReader(c)
	var hdr [2]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil || hdr[0] != 5 {
		return
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(br, methods); err != nil {
		return
	}
	want := byte(0) // no authentication
	if s.user != "" {
		want = 2 // username/password
	}
	found := false
	for _, m := range methods {
		found = found || m == want
	}
	if !found {
		c.Write([]byte{5, 0xff})
		return
	}
	c.Write([]byte{5, want})
	if want == 2 {
		// RFC 1929: VER ULEN UNAME PLEN PASSWD.
		v, _ := br.ReadByte()
		ulen, _ := br.ReadByte()
		u := make([]byte, ulen)
		io.ReadFull(br, u)
		plen, _ := br.ReadByte()
		p := make([]byte, plen)
		io.ReadFull(br, p)
		if v != 1 || string(u) != s.user || string(p) != s.pass {
			c.Write([]byte{1, 1})
			return
		}
		c.Write([]byte{1, 0})
	}
	// VER CMD RSV ATYP DST.ADDR DST.PORT
	var req [4]byte
	if _, err := io.ReadFull(br, req[:]); err != nil || req[1] != 1 {
		return
	}
	var host string
	switch req[3] {
	case 1:
		var a [4]byte
		io.ReadFull(br, a[:])
		host = net.IP(a[:]).String()
	case 3:
		n, _ := br.ReadByte()
		b := make([]byte, n)
		io.ReadFull(br, b)
		host = string(b)
	case 4:
		var a [16]byte
		io.ReadFull(br, a[:])
		host = net.IP(a[:]).String()
	default:
		return
	}
	var port [2]byte
	io.ReadFull(br, port[:])
	target := net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port[:]))))
	s.mu.Lock()
	s.targets = append(s.targets, target)
	s.mu.Unlock()
	up, err := net.DialTimeout("tcp", target, hang)
	if err != nil {
		c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}) // connection refused
		return
	}
	defer up.Close()
	c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
	c.SetDeadline(time.Time{})
	done := make(chan struct{})
	go func() {
		io.Copy(up, br)
		up.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(c, up)
	c.(*net.TCPConn).CloseWrite()
	<-done
}

func (s *socks5Server) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.targets...)
}

// proxiedScript is a STARTTLS session: the certificate is still checked
// against the dialled host, not the proxy.
func proxiedScript() smtptest.Script {
	return startTLSScript(
		smtptest.Send("220 2.0.0 Ready to start TLS\r\n"),
		smtptest.StartTLS(),
		smtptest.ExpectLine("EHLO client.test"),
		smtptest.Send("250 mx.example.test\r\n"),
		smtptest.ExpectLine("QUIT"),
		smtptest.Send("221 bye\r\n"),
	)
}

func TestDialThroughSOCKS5(t *testing.T) {
	tests := []struct {
		name       string
		user, pass string // proxy's
		auth       *proxy.Auth
		wantErr    bool
	}{
		{"no auth", "", "", nil, false},
		{"user and password", "socksuser", "sockspass", &proxy.Auth{User: "socksuser", Password: "sockspass"}, false},
		{"wrong password", "socksuser", "sockspass", &proxy.Auth{User: "socksuser", Password: "wrong"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var scripts []smtptest.Script
			if !tt.wantErr {
				scripts = append(scripts, proxiedScript())
			}
			srv := smtptest.Start(t, nil, scripts...)
			px := startSOCKS5(t, tt.user, tt.pass)
			d, err := proxy.SOCKS5("tcp", px.ln.Addr().String(), tt.auth, &net.Dialer{})
			if err != nil {
				t.Fatal(err)
			}
			cd, ok := d.(proxy.ContextDialer)
			if !ok {
				t.Fatalf("proxy.SOCKS5 returned %T, not a proxy.ContextDialer", d)
			}
			_, port, _ := net.SplitHostPort(srv.Addr())
			// "localhost" is resolved by the proxy; the certificate is
			// checked against it.
			addr := net.JoinHostPort("localhost", port)
			ctx := testCtx(t)
			c, err := Dial(ctx, addr, &Options{Dialer: cd, LocalName: "client.test", TLSConfig: srv.ClientTLSConfig()})
			if tt.wantErr {
				if err == nil {
					c.Close()
					t.Fatal("Dial through a proxy with a wrong password succeeded")
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial(%s) through SOCKS5 = %v", addr, err)
			}
			if !c.Secure() {
				t.Error("Secure() = false through the proxy")
			}
			if err := c.Quit(ctx); err != nil {
				t.Error(err)
			}
			waitScript(t, srv)
			if got := px.seen(); len(got) != 1 || got[0] != addr {
				t.Errorf("proxy connected to %v, want [%s]", got, addr)
			}
		})
	}
}

// TestDialThroughMicrosocks runs the same session through Debian's
// microsocks when it is installed (apt-get install microsocks).
func TestDialThroughMicrosocks(t *testing.T) {
	bin, err := exec.LookPath("microsocks")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("microsocks not installed; CI must install it (internal/mta/setup.sh)")
		}
		t.Skip("microsocks not installed")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pxAddr := ln.Addr().String()
	_, pxPort, _ := net.SplitHostPort(pxAddr)
	ln.Close()
	cmd := exec.Command(bin, "-i", "127.0.0.1", "-p", pxPort, "-u", "socksuser", "-P", "sockspass")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	for i := 0; ; i++ {
		c, err := net.Dial("tcp4", pxAddr)
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			t.Fatalf("microsocks does not listen on %s: %v", pxAddr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	srv := smtptest.Start(t, nil, proxiedScript())
	d, err := proxy.SOCKS5("tcp", pxAddr, &proxy.Auth{User: "socksuser", Password: "sockspass"}, &net.Dialer{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	c, err := Dial(ctx, srv.Addr(), &Options{Dialer: d.(proxy.ContextDialer), LocalName: "client.test", TLSConfig: srv.ClientTLSConfig()})
	if err != nil {
		t.Fatalf("Dial through microsocks = %v", err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Error(err)
	}
	waitScript(t, srv)

	// A wrong password fails the dial with the proxy's error.
	bad, _ := proxy.SOCKS5("tcp", pxAddr, &proxy.Auth{User: "socksuser", Password: "wrong"}, &net.Dialer{})
	_, err = Dial(ctx, srv.Addr(), &Options{Dialer: bad.(proxy.ContextDialer)})
	if err == nil {
		t.Error("Dial through microsocks with a wrong password succeeded")
	}
}

// TestDialTimeout checks Timeouts.Dial with a dialer that never connects.
func TestDialTimeout(t *testing.T) {
	var err error
	within(t, "Dial", func() {
		_, err = Dial(testCtx(t), "mx.example.test:25", &Options{
			Dialer:   stallDialer{},
			Timeouts: Timeouts{Dial: 50 * time.Millisecond},
		})
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial() with a stalled dialer = %v, want a deadline error", err)
	}
}

type stallDialer struct{}

func (stallDialer) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
