package reply

// This file is the agreed API of package reply while it is being built by
// several people at once. Each declaration here moves to its own file (named
// in the comment) when its owner implements it; delete this file once empty.

// ---- error.go (owner: semantics) ----

// Error is a reply of class 4 or 5 returned as a Go error, together with
// the command that received it.
type Error struct {
	// Command is the SMTP verb that received the reply, without arguments,
	// such as "MAIL FROM", "RCPT TO", "DATA", "AUTH"; "greeting" for the
	// server's opening reply and "end of data" for the reply after the final
	// dot (or the last BDAT).
	Command string
	// Reply is the server's reply. It owns its storage.
	Reply Reply
}

// ---- retry.go (owner: semantics) ----

// Retry is advice on whether and how an operation that failed may be tried again.
type Retry uint8
