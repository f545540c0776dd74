// Package smtptest runs scripted SMTP servers on the loopback interface for
// tests that need a server which misbehaves on purpose: one that answers
// late, splits a reply across several writes, dribbles it byte by byte,
// injects bytes after a 220 to STARTTLS, stalls or hangs up.
//
// A [Server] listens on 127.0.0.1 on a free port and plays one [Script] per
// accepted connection, in order. A script is a list of steps: [Send] writes
// exact bytes, [Expect] reads one line from the client and checks it,
// [ExpectData] reads a DATA body up to its terminator, [StartTLS] upgrades the
// connection with a certificate from a throw-away certificate authority made
// in-process, [Stall], [Dribble], [Close] and [CloseWrite] misbehave, and
// [Func] tells the test how far the script has got.
// Every wait on the client is bounded by [Options.Timeout], so a script never
// hangs a test.
//
// The server records every byte the client sent ([Server.Received]) and every
// message body ([Server.Data]). [Server.Wait] returns the first failure of
// each script as a [*StepError]; [Server.Close] stops the listener and every
// goroutine, so tests can use go.uber.org/goleak.
//
// # Example
//
//	srv := smtptest.Start(t, nil, smtptest.Script{
//		smtptest.Send("220 mx.example ESMTP\r\n"),
//		smtptest.Expect("EHLO "),
//		smtptest.SendSplit(10*time.Millisecond, "250-mx.example\r\n250-STA", "RTTLS\r\n"),
//		smtptest.ExpectLine("STARTTLS"),
//		smtptest.Send("220 go ahead\r\n"),
//		smtptest.StartTLS(),
//		smtptest.Expect("EHLO "),
//		smtptest.Send("250 mx.example\r\n"),
//		smtptest.ExpectLine("QUIT"),
//		smtptest.Send("221 bye\r\n"),
//	})
//	conf := srv.ClientTLSConfig() // trusts the server's throw-away CA
//	// ... run the client against srv.Addr() with conf ...
//	if err := srv.Wait(); err != nil {
//		t.Error(err)
//	}
//
// Bytes are recorded when a step reads them: bytes the client sends while the
// script is in [Send] or [Stall] appear once a later step reads, and bytes
// sent after the script's last reading step are not seen. End a script with
// [ExpectClosed] or [StallUntilClosed] to capture everything up to the
// client's hang-up. After [StartTLS] the recorded bytes are the decrypted
// application data; TLS records themselves are not recorded.
package smtptest
