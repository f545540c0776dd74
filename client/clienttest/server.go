package clienttest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed-e4e66a4f/smtp/internal/testca"
)

// TLSMode is the TLS a [Server] offers.
type TLSMode uint8

const (
	// TLSStartTLS, the default, offers STARTTLS (RFC 3207).
	TLSStartTLS TLSMode = iota
	// TLSNone offers no TLS: a cleartext server.
	TLSNone
	// TLSImplicit starts TLS as soon as a client connects, before the
	// greeting (RFC 8314, as on port 465).
	TLSImplicit
)

// Options configures a [Server]. A nil *Options is the zero value: a
// server on 127.0.0.1 that offers STARTTLS, accepts every message and
// offers no AUTH.
type Options struct {
	// Hostname is the name in the greeting and the EHLO reply; empty
	// means "mx.clienttest.example".
	Hostname string

	// TLS is the TLS the server offers; see TLSMode.
	TLS TLSMode

	// Users are the accounts AUTH PLAIN and AUTH LOGIN accept, user name
	// to password. Empty means the server offers no AUTH.
	Users map[string]string
	// AuthAfterTLS offers AUTH only once the session is TLS, as most
	// submission servers do (Postfix's smtpd_tls_auth_only).
	AuthAfterTLS bool
	// RequireAuth refuses MAIL FROM with "530 5.7.0 Authentication
	// required" until the client authenticates.
	RequireAuth bool
	// RequireTLS refuses MAIL FROM with "530 5.7.0 Must issue a STARTTLS
	// command first" until the session is TLS.
	RequireTLS bool

	// Extensions are EHLO keywords offered besides the ones the server
	// always offers (PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES, SIZE,
	// and STARTTLS and AUTH when they apply), such as "CHUNKING",
	// "SMTPUTF8" or "DSN". The server accepts BDAT whether or not CHUNKING
	// is offered, and ignores MAIL and RCPT parameters.
	Extensions []string

	// MaxMessageBytes is the SIZE the server offers and enforces (552
	// 5.3.4); zero means 10 MiB.
	MaxMessageBytes int64

	// Rules change the server's answers; see Rule. The first rule that
	// matches a command answers it.
	Rules []Rule

	// Timeout bounds each wait on the client, for a command line or for
	// message data; a client that stays silent longer is disconnected.
	// Zero means 10 seconds.
	Timeout time.Duration
}

// The commands a Rule can answer. Besides the SMTP verbs, Greeting is the
// server's first reply and EndOfData the reply after the final "." of
// DATA or after BDAT LAST.
const (
	Greeting  = "greeting"
	EHLO      = "EHLO"
	HELO      = "HELO"
	StartTLS  = "STARTTLS"
	Auth      = "AUTH"
	Mail      = "MAIL"
	Rcpt      = "RCPT"
	Data      = "DATA"
	BDAT      = "BDAT"
	EndOfData = "end of data"
	Rset      = "RSET"
	Noop      = "NOOP"
	Quit      = "QUIT"
)

// Then is what a [Server] does after a Rule's reply.
type Then uint8

const (
	// Continue goes on with the session.
	Continue Then = iota
	// Disconnect closes the connection (after the reply, if the rule has
	// one).
	Disconnect
	// Hang stops answering: the server reads nothing more and keeps the
	// connection open until the client closes it or the server is closed.
	Hang
)

// Rule replaces the server's answer to some commands. The server counts
// the commands a rule matches over all connections: the first Skip get
// the usual answer, the next Times (every one when Times is zero) get the
// rule's.
type Rule struct {
	// On is the command the rule answers: one of the constants Greeting,
	// EHLO, ..., EndOfData.
	On string
	// Arg, when not empty, restricts the rule to commands whose argument
	// contains it, ignoring case: a recipient's address for Rcpt.
	Arg string
	// Skip is the number of matching commands answered as usual first.
	Skip int
	// Times is the number of matching commands the rule answers; zero
	// means all of them.
	Times int
	// Reply is the reply the server sends, such as "452 4.2.2 Mailbox
	// full"; lines separated by "\n" make a multi-line reply, each with
	// the first line's code ("421 4.3.2 Busy\nTry later" is sent as
	// "421-4.3.2 Busy" and "421 Try later"). Empty means no reply (with
	// Then Disconnect or Hang).
	Reply string
	// Then is what the server does after the reply.
	Then Then
}

// Greylist answers the first n recipients (over all connections) with
// "451 4.7.1 Greylisted, please try again later", the way greylisting
// filters such as Postgrey refuse an unknown sender's first attempt.
func Greylist(n int) Rule {
	return Rule{On: Rcpt, Times: n, Reply: "451 4.7.1 Greylisted, please try again later"}
}

// CloseAfterMessages lets the first n MAIL FROM commands (over all
// connections) through, then answers each one with "421 4.7.0 Too many
// messages, closing connection" and disconnects: a server's cap on the
// messages it takes.
func CloseAfterMessages(n int) Rule {
	return Rule{On: Mail, Skip: n, Reply: "421 4.7.0 Too many messages, closing connection", Then: Disconnect}
}

// RefuseRecipient answers RCPT TO for addr (and any address that
// contains it) with reply, such as "452 4.2.2 Mailbox full" or "550 5.1.1
// User unknown".
func RefuseRecipient(addr, reply string) Rule {
	return Rule{On: Rcpt, Arg: addr, Reply: reply}
}

// DropAfterData closes the connection after the final "." of the first
// n messages (every message when n is zero) without a reply: the client
// cannot know whether the server kept the message.
func DropAfterData(n int) Rule { return Rule{On: EndOfData, Times: n, Then: Disconnect} }

// Silence makes the server stop answering at command on: no reply, the
// connection held open. The client's timeout must fire.
func Silence(on string) Rule { return Rule{On: on, Then: Hang} }

// Message is a message the server accepted.
type Message struct {
	From string
	To   []string
	// Data is the message as it arrived after DATA (dot-unstuffed, CRLF
	// line endings, without the final ".") or in BDAT chunks.
	Data []byte
	// User is the account the session authenticated as, or "".
	User string
	// TLS reports whether the session was TLS.
	TLS bool
	// Conn numbers the connection, from 1.
	Conn int
}

// Server is an SMTP server on 127.0.0.1 for tests of code that sends mail.
// It serves any number of connections, concurrently. Its methods are safe
// for concurrent use.
type Server struct {
	ln    net.Listener
	opts  Options
	ca    *testca.Authority
	tlsSC *tls.Config

	mu       sync.Mutex
	conns    int
	msgs     []Message
	cmds     []string
	log      []string
	hits     []int // per rule: commands matched so far
	closed   bool
	open     map[net.Conn]bool
	wg       sync.WaitGroup
	hangDone chan struct{}
}

// Start starts a Server for the test t and closes it when t ends. It
// calls t.Fatal when the server cannot start.
func Start(t testing.TB, opts *Options) *Server {
	t.Helper()
	s, err := NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a Server; the caller must Close it.
func NewServer(opts *Options) (*Server, error) {
	var o Options
	if opts != nil {
		o = *opts
		o.Rules = append([]Rule(nil), opts.Rules...)
	}
	if o.Hostname == "" {
		o.Hostname = "mx.clienttest.example"
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 10 << 20
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	for i, r := range o.Rules {
		if !knownCommand(r.On) {
			return nil, fmt.Errorf("clienttest: rule %d: unknown command %q", i, r.On)
		}
		if r.Reply != "" && !validReply(r.Reply) {
			return nil, fmt.Errorf("clienttest: rule %d: reply %q does not start with a reply code", i, r.Reply)
		}
	}
	ca, err := testca.New()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("clienttest: %w", err)
	}
	s := &Server{ln: ln, opts: o, ca: ca, hits: make([]int, len(o.Rules)), open: map[net.Conn]bool{},
		hangDone: make(chan struct{}),
		tlsSC:    &tls.Config{Certificates: []tls.Certificate{ca.Leaf}, MinVersion: tls.VersionTLS12}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func knownCommand(on string) bool {
	switch on {
	case Greeting, EHLO, HELO, StartTLS, Auth, Mail, Rcpt, Data, BDAT, EndOfData, Rset, Noop, Quit:
		return true
	}
	return false
}

// validReply reports whether r starts with a reply code and holds no CR
// or NUL.
func validReply(r string) bool {
	return len(r) >= 3 && r[0] >= '2' && r[0] <= '5' && r[1] >= '0' && r[1] <= '5' && r[2] >= '0' && r[2] <= '9' &&
		(len(r) == 3 || r[3] == ' ' || r[3] == '\n') && !strings.ContainsAny(r, "\r\x00")
}

// Addr returns the server's address, "127.0.0.1:port".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// ClientTLSConfig returns a TLS configuration for a client of this server:
// it trusts the server's throw-away certificate authority, and only it.
// The certificate names 127.0.0.1, ::1 and localhost.
func (s *Server) ClientTLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.ca.Pool, MinVersion: tls.VersionTLS12}
}

// Messages returns the messages the server accepted, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		m.To = append([]string(nil), m.To...)
		m.Data = append([]byte(nil), m.Data...)
		out[i] = m
	}
	return out
}

// Commands returns the command lines the server received, over all
// connections and in order, without their line endings. The arguments of
// AUTH and the lines answering its challenges read "<redacted>".
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cmds...)
}

// Transcript returns the session as the server saw it: one line per
// command ("1 C: MAIL FROM:<...>") and per reply line ("1 S: 250 2.1.0
// Ok"), each starting with its connection's number; message data is
// summed up in one line.
func (s *Server) Transcript() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.log, "\n") + "\n"
}

// Connections returns the number of connections the server accepted.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Close stops the server: it closes the listener and every connection and
// waits for them to end.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.hangDone)
	for c := range s.open {
		c.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns++
		n := s.conns
		s.open[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.open, c)
				s.mu.Unlock()
				c.Close()
			}()
			ss := &session{s: s, n: n, conn: c}
			ss.serve()
		}()
	}
}

// rule returns the rule that answers command on with argument arg, or
// nil, counting the match.
func (s *Server) rule(on, arg string) *Rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.opts.Rules {
		r := &s.opts.Rules[i]
		if r.On != on || r.Arg != "" && !strings.Contains(strings.ToLower(arg), strings.ToLower(r.Arg)) {
			continue
		}
		s.hits[i]++
		k := s.hits[i] - r.Skip
		if k <= 0 || r.Times > 0 && k > r.Times {
			continue
		}
		return r
	}
	return nil
}

func (s *Server) record(n int, dir, line string) {
	s.mu.Lock()
	s.log = append(s.log, strconv.Itoa(n)+" "+dir+": "+line)
	if dir == "C" {
		s.cmds = append(s.cmds, line)
	}
	s.mu.Unlock()
}

// maxLine bounds a command line (RFC 5321 section 4.5.3.1.4 says 512
// octets; AUTH initial responses need more).
const maxLine = 4096

// session is one connection.
type session struct {
	s    *Server
	n    int
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer

	tls    bool
	helo   bool
	user   string
	from   string
	inTx   bool
	rcpts  []string
	chunks []byte // BDAT data so far
}

func (ss *session) serve() {
	o := &ss.s.opts
	if o.TLS == TLSImplicit {
		tc := tls.Server(ss.conn, ss.s.tlsSC)
		tc.SetDeadline(time.Now().Add(o.Timeout))
		if tc.Handshake() != nil {
			return
		}
		ss.conn, ss.tls = tc, true
	}
	ss.br = bufio.NewReaderSize(ss.conn, maxLine)
	ss.bw = bufio.NewWriter(ss.conn)
	if !ss.answer(Greeting, "", "220 "+o.Hostname+" ESMTP clienttest") {
		return
	}
	for {
		line, err := ss.readLine()
		if err != nil {
			if errors.Is(err, errTooLong) {
				ss.reply("500 5.5.6 Line too long")
				continue
			}
			return
		}
		if !ss.command(line) {
			return
		}
	}
}

var errTooLong = errors.New("line too long")

// readLine reads a command line, flushing the replies first when no
// further command is already waiting (PIPELINING: replies go out in one
// write per batch).
func (ss *session) readLine() (string, error) {
	if ss.br.Buffered() == 0 {
		if err := ss.bw.Flush(); err != nil {
			return "", err
		}
	}
	ss.conn.SetReadDeadline(time.Now().Add(ss.s.opts.Timeout))
	b, err := ss.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = ss.br.ReadSlice('\n')
		}
		if err != nil {
			return "", err
		}
		return "", errTooLong
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// reply writes a reply, one line per "\n"-separated line; a line that
// does not start with the reply's code gets it.
func (ss *session) reply(r string) {
	lines := strings.Split(r, "\n")
	code := r[:3]
	for i, l := range lines {
		text := strings.TrimPrefix(strings.TrimPrefix(l, code), " ")
		if i > 0 && !strings.HasPrefix(l, code) {
			text = l
		}
		sep := " "
		if i < len(lines)-1 {
			sep = "-"
		}
		l = code + sep + text
		if text == "" && sep == " " {
			l = code + " "
		}
		ss.s.record(ss.n, "S", l)
		ss.bw.WriteString(l + "\r\n")
	}
}

// answer sends the reply of the rule for on, or def; it reports whether
// the session goes on.
func (ss *session) answer(on, arg, def string) bool {
	r := ss.s.rule(on, arg)
	if r == nil {
		ss.reply(def)
		return true
	}
	return ss.ruleAnswer(r)
}

// hang holds the connection open without answering until the client
// closes it or the server is closed.
func (ss *session) hang() {
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, ss.conn)
		close(done)
	}()
	select {
	case <-done:
	case <-ss.s.hangDone:
	}
}

// command handles one command line; it reports whether the session goes
// on.
func (ss *session) command(line string) bool {
	verb, arg, _ := strings.Cut(line, " ")
	verb = strings.ToUpper(verb)
	if verb == Auth {
		mech, _, _ := strings.Cut(arg, " ")
		ss.s.record(ss.n, "C", "AUTH "+mech+" <redacted>")
	} else {
		ss.s.record(ss.n, "C", line)
	}
	o := &ss.s.opts
	switch verb {
	case EHLO:
		ss.reset()
		ss.helo, ss.user = true, ""
		return ss.answer(EHLO, arg, ss.ehlo())
	case HELO:
		ss.reset()
		ss.helo, ss.user = true, ""
		return ss.answer(HELO, arg, "250 "+o.Hostname)
	case StartTLS:
		if o.TLS != TLSStartTLS || ss.tls {
			return ss.answer(StartTLS, arg, "502 5.5.1 STARTTLS not offered")
		}
		if ss.br.Buffered() > 0 {
			return ss.answer(StartTLS, arg, "554 5.5.1 Pipelined commands after STARTTLS")
		}
		if r := ss.s.rule(StartTLS, arg); r != nil {
			return ss.ruleAnswer(r)
		}
		ss.reply("220 2.0.0 Ready to start TLS")
		if ss.bw.Flush() != nil {
			return false
		}
		tc := tls.Server(ss.conn, ss.s.tlsSC)
		tc.SetDeadline(time.Now().Add(o.Timeout))
		if tc.Handshake() != nil {
			return false
		}
		tc.SetDeadline(time.Time{})
		ss.conn, ss.tls = tc, true
		ss.br.Reset(tc)
		ss.bw.Reset(tc)
		ss.reset()
		ss.helo, ss.user = false, ""
		return true
	case Auth:
		return ss.auth(arg)
	case Mail:
		switch {
		case !ss.helo:
			return ss.answer(Mail, arg, "503 5.5.1 Send EHLO first")
		case ss.inTx:
			return ss.answer(Mail, arg, "503 5.5.1 Nested MAIL command")
		case o.RequireTLS && !ss.tls:
			return ss.answer(Mail, arg, "530 5.7.0 Must issue a STARTTLS command first")
		case o.RequireAuth && ss.user == "":
			return ss.answer(Mail, arg, "530 5.7.0 Authentication required")
		}
		from, ok := pathArg(arg, "FROM:")
		if !ok {
			return ss.answer(Mail, arg, "501 5.5.4 Syntax: MAIL FROM:<address>")
		}
		if size := sizeParam(arg); size > o.MaxMessageBytes {
			return ss.answer(Mail, arg, "552 5.3.4 Message size exceeds fixed limit")
		}
		r := ss.s.rule(Mail, arg)
		if r != nil {
			return ss.ruleAnswer(r)
		}
		ss.from, ss.inTx, ss.rcpts, ss.chunks = from, true, nil, nil
		ss.reply("250 2.1.0 Ok")
		return true
	case Rcpt:
		if !ss.inTx {
			return ss.answer(Rcpt, arg, "503 5.5.1 Need MAIL command")
		}
		to, ok := pathArg(arg, "TO:")
		if !ok || to == "" {
			return ss.answer(Rcpt, arg, "501 5.5.4 Syntax: RCPT TO:<address>")
		}
		if r := ss.s.rule(Rcpt, to); r != nil {
			return ss.ruleAnswer(r)
		}
		ss.rcpts = append(ss.rcpts, to)
		ss.reply("250 2.1.5 Ok")
		return true
	case Data:
		if !ss.inTx || len(ss.rcpts) == 0 {
			return ss.answer(Data, arg, "503 5.5.1 Need RCPT command")
		}
		if r := ss.s.rule(Data, arg); r != nil {
			return ss.ruleAnswer(r)
		}
		ss.reply("354 End data with <CR><LF>.<CR><LF>")
		body, err := ss.readData()
		if err != nil {
			return false
		}
		return ss.endOfData(body)
	case BDAT:
		return ss.bdat(arg)
	case Rset:
		ss.reset()
		return ss.answer(Rset, arg, "250 2.0.0 Ok")
	case Noop:
		return ss.answer(Noop, arg, "250 2.0.0 Ok")
	case "VRFY":
		ss.reply("252 2.0.0 Cannot VRFY user")
		return true
	case Quit:
		ss.answer(Quit, arg, "221 2.0.0 Bye")
		ss.bw.Flush()
		return false
	}
	ss.reply("500 5.5.2 Command unrecognized")
	return true
}

// ruleAnswer applies a rule that answers a command in place of its usual
// effect.
func (ss *session) ruleAnswer(r *Rule) bool {
	if r.Reply != "" {
		ss.reply(r.Reply)
	}
	switch r.Then {
	case Disconnect:
		ss.bw.Flush()
		return false
	case Hang:
		ss.bw.Flush()
		ss.hang()
		return false
	}
	return true
}

func (ss *session) reset() {
	ss.from, ss.inTx, ss.rcpts, ss.chunks = "", false, nil, nil
}

func (ss *session) ehlo() string {
	o := &ss.s.opts
	lines := []string{"250 " + o.Hostname, "250 PIPELINING", "250 8BITMIME", "250 ENHANCEDSTATUSCODES",
		"250 SIZE " + strconv.FormatInt(o.MaxMessageBytes, 10)}
	if o.TLS == TLSStartTLS && !ss.tls {
		lines = append(lines, "250 STARTTLS")
	}
	if len(o.Users) > 0 && (!o.AuthAfterTLS || ss.tls) {
		lines = append(lines, "250 AUTH PLAIN LOGIN")
	}
	for _, e := range o.Extensions {
		lines = append(lines, "250 "+e)
	}
	return strings.Join(lines, "\n")
}

// auth runs AUTH PLAIN or LOGIN.
func (ss *session) auth(arg string) bool {
	o := &ss.s.opts
	mech, ir, _ := strings.Cut(arg, " ")
	mech = strings.ToUpper(mech)
	switch {
	case len(o.Users) == 0 || o.AuthAfterTLS && !ss.tls:
		return ss.answer(Auth, arg, "502 5.5.1 AUTH not offered")
	case ss.user != "":
		return ss.answer(Auth, arg, "503 5.5.1 Already authenticated")
	case ss.inTx:
		return ss.answer(Auth, arg, "503 5.5.1 AUTH not permitted during a mail transaction")
	case mech != "PLAIN" && mech != "LOGIN":
		return ss.answer(Auth, arg, "504 5.5.4 Unrecognized authentication type")
	}
	if r := ss.s.rule(Auth, mech); r != nil {
		return ss.ruleAnswer(r)
	}
	var user, pass string
	switch mech {
	case "PLAIN":
		if ir == "" {
			ss.reply("334 ")
			l, ok := ss.secretLine()
			if !ok {
				return false
			}
			ir = l
		}
		if ir == "*" {
			ss.reply("501 5.7.0 Authentication cancelled")
			return true
		}
		b, err := base64.StdEncoding.DecodeString(ir)
		parts := strings.Split(string(b), "\x00")
		if err != nil || len(parts) != 3 {
			ss.reply("501 5.5.2 Cannot decode response")
			return true
		}
		user, pass = parts[1], parts[2]
	case "LOGIN":
		var ok bool
		if ir == "" {
			ss.reply("334 VXNlcm5hbWU6")
			if ir, ok = ss.secretLine(); !ok {
				return false
			}
		}
		u, err := base64.StdEncoding.DecodeString(ir)
		if ir == "*" || err != nil {
			ss.reply("501 5.7.0 Authentication cancelled")
			return true
		}
		ss.reply("334 UGFzc3dvcmQ6")
		l, ok := ss.secretLine()
		if !ok {
			return false
		}
		p, err := base64.StdEncoding.DecodeString(l)
		if l == "*" || err != nil {
			ss.reply("501 5.7.0 Authentication cancelled")
			return true
		}
		user, pass = string(u), string(p)
	}
	if want, ok := o.Users[user]; !ok || want != pass {
		ss.reply("535 5.7.8 Authentication credentials invalid")
		return true
	}
	ss.user = user
	ss.reply("235 2.7.0 Authentication successful")
	return true
}

// secretLine reads a line answering a 334 challenge; it is recorded as
// "<redacted>".
func (ss *session) secretLine() (string, bool) {
	l, err := ss.readLine()
	if err != nil {
		return "", false
	}
	ss.s.record(ss.n, "C", "<redacted>")
	return l, true
}

// readData reads message data up to the final ".", dot-unstuffed.
func (ss *session) readData() ([]byte, error) {
	if err := ss.bw.Flush(); err != nil { // the 354
		return nil, err
	}
	var body []byte
	limit := ss.s.opts.MaxMessageBytes + 1<<16
	for {
		ss.conn.SetReadDeadline(time.Now().Add(ss.s.opts.Timeout))
		line, err := ss.br.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
		if err == nil && (string(line) == ".\r\n" || string(line) == ".\n") {
			ss.s.record(ss.n, "C", "<"+strconv.Itoa(len(body))+" octets of message data>")
			ss.s.record(ss.n, "C", ".")
			return body, nil
		}
		if len(line) > 0 && line[0] == '.' {
			line = line[1:]
		}
		if int64(len(body)) < limit {
			body = append(body, line...)
		}
	}
}

// endOfData answers the end of a message and keeps it.
func (ss *session) endOfData(body []byte) bool {
	o := &ss.s.opts
	from, rcpts := ss.from, ss.rcpts
	ss.reset()
	if r := ss.s.rule(EndOfData, ""); r != nil {
		return ss.ruleAnswer(r)
	}
	if int64(len(body)) > o.MaxMessageBytes {
		ss.reply("552 5.3.4 Message size exceeds fixed limit")
		return true
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, Message{From: from, To: rcpts, Data: body, User: ss.user, TLS: ss.tls, Conn: ss.n})
	id := len(ss.s.msgs)
	ss.s.mu.Unlock()
	ss.reply(fmt.Sprintf("250 2.0.0 Ok: queued as CT%06d", id))
	return true
}

// bdat reads one BDAT chunk (RFC 3030).
func (ss *session) bdat(arg string) bool {
	f := strings.Fields(arg)
	size, err := strconv.ParseInt(firstOr(f), 10, 64)
	last := len(f) == 2 && strings.EqualFold(f[1], "LAST")
	if err != nil || size < 0 || len(f) > 2 || len(f) == 2 && !last {
		// The chunk cannot be skipped without its size: end the session.
		ss.reply("501 5.5.4 Syntax: BDAT <size> [LAST]")
		ss.bw.Flush()
		return false
	}
	ss.conn.SetReadDeadline(time.Now().Add(ss.s.opts.Timeout))
	var chunk bytes.Buffer
	if _, err := io.CopyN(&chunk, ss.br, size); err != nil {
		return false
	}
	ss.s.record(ss.n, "C", "<"+strconv.FormatInt(size, 10)+" octets of BDAT data>")
	if !ss.inTx || len(ss.rcpts) == 0 {
		ss.reply("503 5.5.1 Need RCPT command")
		return true
	}
	if r := ss.s.rule(BDAT, arg); r != nil {
		return ss.ruleAnswer(r)
	}
	if int64(len(ss.chunks))+size <= ss.s.opts.MaxMessageBytes+1 {
		ss.chunks = append(ss.chunks, chunk.Bytes()...)
	}
	if !last {
		ss.reply("250 2.0.0 " + strconv.FormatInt(size, 10) + " octets received")
		return true
	}
	return ss.endOfData(ss.chunks)
}

func firstOr(f []string) string {
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// pathArg reads "FROM:<address> params" or "TO:<address> params".
func pathArg(arg, key string) (string, bool) {
	if len(arg) < len(key) || !strings.EqualFold(arg[:len(key)], key) {
		return "", false
	}
	rest := strings.TrimLeft(arg[len(key):], " ")
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}

// sizeParam returns the SIZE= parameter of a MAIL command, or 0.
func sizeParam(arg string) int64 {
	for _, p := range strings.Fields(arg) {
		if len(p) > 5 && strings.EqualFold(p[:5], "SIZE=") {
			n, _ := strconv.ParseInt(p[5:], 10, 64)
			return n
		}
	}
	return 0
}
