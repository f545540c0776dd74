package reply_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/seed-e4e66a4f/smtp/reply"
)

func ExampleParse() {
	// A reply copied from a log: Gmail asking for authentication.
	wire := "530-5.7.0 Authentication Required. Learn more at\r\n" +
		"530 5.7.0  https://support.google.com/mail/?p=WantAuthError - gsmtp\r\n"
	r, err := reply.Parse([]byte(wire), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Code, r.Class(), r.Enhanced, r.Enhanced.Subject)
	for i, line := range r.Lines() {
		fmt.Printf("line %d: %q\n", i+1, line)
	}
	fmt.Println(r)

	// Bytes that are not one reply are a *reply.ProtocolError.
	_, err = reply.Parse([]byte("250-first\r\n251 second\r\n"), nil)
	if pe, ok := errors.AsType[*reply.ProtocolError](err); ok {
		fmt.Println(pe.Kind, "on line", pe.Line)
	}
	// Output:
	// 530 permanent failure 5.7.0 security or policy
	// line 1: "Authentication Required. Learn more at"
	// line 2: " https://support.google.com/mail/?p=WantAuthError - gsmtp"
	// 530 5.7.0 Authentication Required. Learn more at\n https://support.google.com/mail/?p=WantAuthError - gsmtp
	// reply code mismatch on line 2
}

func ExampleReader() {
	// Three pipelined replies, as a server sends them after MAIL, RCPT and
	// DATA. In a client, br wraps the network connection.
	br := bufio.NewReader(strings.NewReader(
		"250 2.1.0 Ok\r\n" +
			"550 5.1.1 <nosuch@example.test>: Recipient address rejected\r\n" +
			"354 End data with <CR><LF>.<CR><LF>\r\n"))
	rd := reply.NewReader(br, nil)

	var r reply.Reply // reused: no allocation once it has grown
	for {
		err := rd.ReadReply(&r)
		if err == io.EOF {
			break // the server closed the stream between replies
		}
		if err != nil {
			fmt.Println(err) // a *reply.ProtocolError or an I/O error
			return
		}
		fmt.Printf("%s %-17s %q\n", r.Code, r.Class(), r.Text())
	}
	// Output:
	// 250 success           "Ok"
	// 550 permanent failure "<nosuch@example.test>: Recipient address rejected"
	// 354 intermediate      "End data with <CR><LF>.<CR><LF>"
}

func ExampleReply_String() {
	// Server text is kept raw; String escapes what must not reach a log.
	r, _ := reply.Parse([]byte("550 bad\x1b[2J\xffuser\r\n"), nil)
	fmt.Printf("%q\n", r.Text())
	fmt.Println(r)
	// Output:
	// "bad\x1b[2J\xffuser"
	// 550 bad\x1b[2J\xffuser
}

func ExampleReply_AppendWire() {
	r := reply.New(reply.CodeOK, reply.EnhancedCode{}, "mx.example.test", "PIPELINING", "SIZE 10240000")
	fmt.Printf("%q\n", r.AppendWire(nil))
	// Output:
	// "250-mx.example.test\r\n250-PIPELINING\r\n250 SIZE 10240000\r\n"
}

func ExampleParseEnhancedCode() {
	for _, s := range []string{"5.7.139", "4.7.1", "5.8.1"} {
		e, err := reply.ParseEnhancedCode(s)
		if err != nil {
			fmt.Println(s, "→", err)
			continue
		}
		fmt.Println(s, "→", e.Class, "/", e.Subject, "/", e.Detail)
	}
	// Output:
	// 5.7.139 → permanent failure / security or policy / 139
	// 4.7.1 → transient failure / security or policy / 1
	// 5.8.1 → smtp: protocol error: bad enhanced status code
}
