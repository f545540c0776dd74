package interop

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TCP states of /proc/net/tcp (include/net/tcp_states.h).
const (
	tcpEstablished = 0x01
	tcpFinWait2    = 0x05
	tcpTimeWait    = 0x06
	tcpClose       = 0x07
	tcpCloseWait   = 0x08
)

// tcpSocket is one line of /proc/net/tcp.
type tcpSocket struct {
	local, remote int // ports; both ends are 127.0.0.1 here
	state         int
	inode         string
}

// loopbackHex is 127.0.0.1 as /proc/net/tcp prints it (host byte order,
// little-endian on every machine this suite runs on).
const loopbackHex = "0100007F"

// tcpSockets lists the IPv4 loopback sockets of /proc/net/tcp.
func tcpSockets(t *testing.T) []tcpSocket {
	t.Helper()
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatalf("reading /proc/net/tcp: %v", err)
	}
	var out []tcpSocket
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 {
			continue
		}
		lip, lport, _ := strings.Cut(f[1], ":")
		rip, rport, _ := strings.Cut(f[2], ":")
		if lip != loopbackHex || rip != loopbackHex {
			continue
		}
		lp, _ := strconv.ParseInt(lport, 16, 32)
		rp, _ := strconv.ParseInt(rport, 16, 32)
		st, _ := strconv.ParseInt(f[3], 16, 32)
		out = append(out, tcpSocket{local: int(lp), remote: int(rp), state: int(st), inode: f[9]})
	}
	return out
}

// ports returns the local and remote ports of conn, a TCP connection on
// loopback.
func ports(t *testing.T, conn net.Conn) (local, remote int) {
	t.Helper()
	l, ok1 := conn.LocalAddr().(*net.TCPAddr)
	r, ok2 := conn.RemoteAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		t.Fatalf("connection %v -> %v is not TCP", conn.LocalAddr(), conn.RemoteAddr())
	}
	return l.Port, r.Port
}

// clientState returns the TCP state of the client end of conn, or
// tcpClose when the socket is gone (reset).
func clientState(t *testing.T, conn net.Conn) int {
	t.Helper()
	local, remote := ports(t, conn)
	for _, s := range tcpSockets(t) {
		if s.local == local && s.remote == remote {
			return s.state
		}
	}
	return tcpClose
}

// waitClientState waits until the client end of conn is in one of states
// (tcpClose stands for "gone"): the kernel's view of what the server did
// with the connection, with no clock involved.
func waitClientState(t *testing.T, conn net.Conn, states ...int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := clientState(t, conn)
		for _, want := range states {
			if st == want {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("client socket %v -> %v: TCP state %#x after 15 s, want one of %#x", conn.LocalAddr(), conn.RemoteAddr(), st, states)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// serverPID returns the process that holds the server end of conn: the
// Postfix smtpd or the Exim child serving this one connection (never the
// master or the daemon, which hold only the listening socket).
func serverPID(t *testing.T, s server, conn net.Conn) int {
	t.Helper()
	local, remote := ports(t, conn)
	inode := ""
	for _, sk := range tcpSockets(t) {
		if sk.local == remote && sk.remote == local && sk.state == tcpEstablished {
			inode = sk.inode
		}
	}
	if inode == "" {
		t.Fatalf("%s: no established server socket for client port %d", s.name, local)
	}
	target := "socket:[" + inode + "]"
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	pid := 0
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && l == target {
			p, _ := strconv.Atoi(strings.Split(fd, "/")[2])
			if pid != 0 && p != pid {
				t.Fatalf("%s: server socket %s held by pids %d and %d", s.name, inode, pid, p)
			}
			pid = p
		}
	}
	if pid == 0 {
		t.Fatalf("%s: no process holds server socket %s (are the tests running as root?)", s.name, inode)
	}
	if master, err := os.ReadFile(s.get("PID")); err == nil && strings.TrimSpace(string(master)) == strconv.Itoa(pid) {
		t.Fatalf("%s: the socket belongs to the master (pid %d), not to a per-connection process", s.name, pid)
	}
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	want := "smtpd"
	if !s.postfix {
		want = "exim4"
	}
	if got := strings.TrimSpace(string(comm)); got != want {
		t.Fatalf("%s: server socket held by pid %d %q, want %q", s.name, pid, got, want)
	}
	return pid
}

// signal sends sig to pid, which serverPID found.
func signal(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("kill -%v %d: %v", sig, pid, err)
	}
}

// mtaScript runs internal/mta/up.sh or down.sh (script) for component,
// such as "postfix-dovecot" or "exim".
func mtaScript(e *env, script, component string) error {
	cmd := exec.Command(filepath.Join(e.vars["SMTP_MTA_SCRIPTS"], script), component)
	cmd.Env = append(os.Environ(), "MTA_BASE="+e.vars["SMTP_MTA_BASE"])
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", script, component, err, out)
	}
	return nil
}

// ensureUp makes sure component answers on addr again at the end of a test
// that stopped it or one of its processes.
func ensureUp(t *testing.T, e *env, s server) {
	t.Cleanup(func() {
		if conn, err := net.DialTimeout("tcp", s.addr("PLAIN"), 2*time.Second); err == nil {
			conn.Close()
			return
		}
		if err := mtaScript(e, "up.sh", s.name); err != nil {
			t.Errorf("restoring %s: %v", s.name, err)
		}
	})
}
