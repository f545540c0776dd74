// Package wire writes message bodies the way SMTP requires them on the
// wire, for DATA (RFC 5321 section 4.1.1.4) and for BDAT (RFC 3030).
//
// Both writers stream: they hold no more than a fixed buffer whatever the
// size of the message, and a Write allocates nothing. Both normalise line
// endings: every CRLF is kept, and every bare CR and every bare LF becomes
// CRLF, as RFC 5321 section 2.3.8 requires of a client. This is the client's
// half of the defence against SMTP smuggling: no input can make a line of
// only "." appear before the end, whatever mix of "\r", "\n" and "." it has,
// and however it is split across Write calls (a CR at the end of one Write
// and an LF at the start of the next are one CRLF).
//
// Both writers refuse a NUL byte and a line longer than 998 octets without
// its CRLF (RFC 5322 section 2.1.1; RFC 5321 section 4.5.3.1.6 does not count
// the dot added by dot-stuffing) with a [*BodyError]. An error is sticky:
// nothing more is written after it, and Close does not end the message, so
// a server never receives a truncated message as complete. The caller must
// then drop the connection, since a DATA body cannot be withdrawn.
//
// [DataWriter] also dot-stuffs (a line that starts with "." gets another
// one) and ends the body with the line ".". [ChunkWriter] cuts the
// normalised body into chunks for BDAT; in raw mode, for BODY=BINARYMIME
// (RFC 3030 section 3), it skips normalisation and checks and passes the
// body unchanged, which BDAT's framing by length makes safe. [Check] and [CheckReader] compute,
// without writing, what a writer would: the normalised size (for the SIZE
// parameter), whether the body has 8-bit octets (for BODY=8BITMIME), and the
// first error.
package wire
