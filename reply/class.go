package reply

import "strconv"

// Class is the first digit of a reply code: the kind of answer it is.
// The zero value means "no class".
type Class uint8

// The classes of RFC 5321 section 4.2.1.
const (
	ClassSuccess      Class = 2 // 2yz: positive completion
	ClassIntermediate Class = 3 // 3yz: positive intermediate
	ClassTransient    Class = 4 // 4yz: transient negative completion
	ClassPermanent    Class = 5 // 5yz: permanent negative completion
)

// Valid reports whether c is one of the four classes of RFC 5321.
func (c Class) Valid() bool {
	return c >= ClassSuccess && c <= ClassPermanent
}

// String returns the name of c: "success", "intermediate",
// "transient failure" or "permanent failure", and "Class(N)" for any other
// value.
func (c Class) String() string {
	switch c {
	case ClassSuccess:
		return "success"
	case ClassIntermediate:
		return "intermediate"
	case ClassTransient:
		return "transient failure"
	case ClassPermanent:
		return "permanent failure"
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}
