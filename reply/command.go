package reply

// Names of the commands an [Error.Command] holds, as the client package
// records them. A classification rule that depends on the command (a 454
// after AUTH, STARTTLS or MAIL FROM) matches these names, ignoring case
// and anything after the first word.
const (
	CommandGreeting  = "greeting" // the server's opening reply
	CommandEHLO      = "EHLO"
	CommandHELO      = "HELO"
	CommandStartTLS  = "STARTTLS"
	CommandAuth      = "AUTH"
	CommandMail      = "MAIL FROM"
	CommandRcpt      = "RCPT TO"
	CommandData      = "DATA"        // DATA itself, answered by 354
	CommandBDAT      = "BDAT"        // a BDAT chunk
	CommandBDATLast  = "BDAT LAST"   // the last BDAT chunk, answered like the final dot
	CommandEndOfData = "end of data" // the reply after the final dot
	CommandRset      = "RSET"
	CommandVrfy      = "VRFY"
	CommandNoop      = "NOOP"
	CommandQuit      = "QUIT"
)
