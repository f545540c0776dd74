package smtptest_test

import (
	"bufio"
	"fmt"
	"net"

	"github.com/seed-e4e66a4f/smtp/internal/smtptest"
)

// A server that greets, checks the client's EHLO and hangs up.
func Example() {
	srv, err := smtptest.NewServer(nil, smtptest.Script{
		smtptest.Send("220 mx.example ESMTP\r\n"),
		smtptest.Expect("EHLO "),
		smtptest.Send("421 4.3.2 going down\r\n"),
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	greeting, _ := r.ReadString('\n')
	fmt.Fprintf(c, "EHLO client.example\r\n")
	bye, _ := r.ReadString('\n')

	fmt.Printf("%q\n%q\n", greeting, bye)
	fmt.Println("script error:", srv.Wait())
	fmt.Printf("client sent %q\n", srv.Received())
	// Output:
	// "220 mx.example ESMTP\r\n"
	// "421 4.3.2 going down\r\n"
	// script error: <nil>
	// client sent "EHLO client.example\r\n"
}
