package reply

import (
	_ "embed"
	"strconv"
	"strings"
	"sync"
)

// enhancedTSV is the IANA "SMTP Enhanced Status Codes" registry with this
// package's descriptions; see the file's header for its format.
//
//go:embed data/enhanced.tsv
var enhancedTSV string

// registryKey is a subject and detail; the class does not change the
// meaning of a code.
type registryKey struct {
	subject Subject
	detail  uint16
}

// registryData holds the parsed registry.
type registryData struct {
	subjects [maxSubject + 1]string // subject-level descriptions
	details  map[registryKey]string // one entry per registry code
	refs     map[registryKey]string // the defining documents, for tests
	order    []registryKey          // file order, for tests
}

// registry parses enhancedTSV once. The data is part of the package, so a
// malformed line is a bug that the package's tests catch; it panics.
var registry = sync.OnceValue(func() *registryData {
	d := &registryData{details: make(map[registryKey]string), refs: make(map[registryKey]string)}
	for n, line := range strings.Split(enhancedTSV, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) != 3 || fields[2] == "" || !strings.HasPrefix(fields[0], "X.") {
			panic("reply: data/enhanced.tsv line " + strconv.Itoa(n+1) + ": malformed")
		}
		subject, detail, hasDetail := strings.Cut(fields[0][len("X."):], ".")
		s, err := strconv.ParseUint(subject, 10, 8)
		if err != nil || s > uint64(maxSubject) {
			panic("reply: data/enhanced.tsv line " + strconv.Itoa(n+1) + ": bad subject")
		}
		if !hasDetail {
			d.subjects[s] = fields[2]
			continue
		}
		v, err := strconv.ParseUint(detail, 10, 16)
		if err != nil || v > maxDetail {
			panic("reply: data/enhanced.tsv line " + strconv.Itoa(n+1) + ": bad detail")
		}
		k := registryKey{Subject(s), uint16(v)}
		d.details[k] = fields[2]
		d.refs[k] = fields[1]
		d.order = append(d.order, k)
	}
	return d
})

// Description returns a short English description of e from the IANA "SMTP
// Enhanced Status Codes" registry (RFC 3463, RFC 5248 and the RFCs that
// add codes to it), such as "Recipient mailbox is full" for 4.2.2 and
// 5.2.2 alike. For a detail that is not in the registry it returns the
// description of e's subject, such as "Security or policy status" for
// 5.7.57, and for the zero or an invalid EnhancedCode it returns "".
//
// The descriptions are written for this package, not copied from the
// registry; [Reply.Explain] gives longer help.
func (e EnhancedCode) Description() string {
	if !e.Valid() {
		return ""
	}
	d := registry()
	if s, ok := d.details[registryKey{e.Subject, e.Detail}]; ok {
		return s
	}
	return d.subjects[e.Subject]
}
