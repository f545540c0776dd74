// Package clienttest runs an SMTP server on the loopback interface for the
// tests of programs that send mail, in the spirit of net/http/httptest: one
// line starts it, rules script its answers, and what it received can be
// read back.
//
//	srv := clienttest.Start(t, &clienttest.Options{
//		Users:       map[string]string{"me@example.com": "secret"},
//		RequireAuth: true,                        // 530 until AUTH
//		Rules:       []clienttest.Rule{clienttest.Greylist(1)}, // 451 once
//	})
//	opts := &client.Options{TLSConfig: srv.ClientTLSConfig(), Auth: ...}
//	res, err := client.SendMail(ctx, srv.Addr(), opts, env, body)
//	// srv.Messages(), srv.Commands(), srv.Transcript(), srv.Connections()
//
// The server speaks ESMTP with PIPELINING (its replies to a batch leave in
// one write), 8BITMIME, ENHANCEDSTATUSCODES and SIZE, STARTTLS (or TLS
// from the first byte, or none) with a throw-away certificate authority
// that only [Server.ClientTLSConfig] trusts, AUTH PLAIN and LOGIN against
// the accounts of [Options].Users, DATA and BDAT. Rules replace its answer
// to a command: a reply, a closed connection or silence, for the first n
// matching commands, after the first n, or always. [Greylist],
// [CloseAfterMessages], [RefuseRecipient], [DropAfterData] and [Silence]
// build the usual ones.
//
// It is a test double, not a mail server: it keeps messages in memory and
// checks little of their syntax. Credentials never appear in its
// transcript.
package clienttest
