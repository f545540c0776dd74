package sasl

import (
	"slices"
	"strings"

	"github.com/xdg-go/scram"
)

// Policy constrains [Negotiate]. The zero value (and a nil *Policy) picks
// the single strongest mechanism that the server offers and that is safe on
// the session.
type Policy struct {
	// Mechanism, when not empty, pins the mechanism: only the available
	// mechanism of that name (case-insensitive) is considered, and
	// negotiation fails when the server does not offer it or it is not
	// safe on the session.
	Mechanism string
	// AllowInsecure permits mechanisms that expose a secret
	// ([Mechanism.ExposesSecret]) on a session without TLS and a verified
	// certificate. Anyone who can read or intercept the connection then
	// learns the password or token.
	AllowInsecure bool
	// AllowFallback returns every usable mechanism, strongest first,
	// instead of only the strongest. The client tries the next one only
	// when the server refused the previous one as too weak (534) or
	// unsupported (504), never after wrong credentials (535).
	AllowFallback bool
}

// Negotiate returns the mechanisms to try, strongest first, among
// available, for a server that offered s.Offered (compared
// case-insensitively). A mechanism is usable when the server offered it, its
// channel binding (if needed) is possible on s, and it exposes no secret
// unless s has verified TLS or p allows insecure use. Order is by
// [Strength], then by position in available; the first of several
// mechanisms with the same name wins. Without p.AllowFallback the result
// has exactly one element.
//
// Negotiate returns a [*NegotiationError] when no mechanism is usable and a
// [*NameError] when an available mechanism or p.Mechanism has an invalid
// name. Nil entries in available are skipped. It does not modify
// available.
func Negotiate(s *Session, available []Mechanism, p *Policy) ([]Mechanism, error) {
	if s == nil {
		s = &Session{}
	}
	if p == nil {
		p = &Policy{}
	}
	pinned := ""
	if p.Mechanism != "" {
		pinned = strings.ToUpper(p.Mechanism)
		if !validName(pinned) {
			return nil, &NameError{Name: p.Mechanism}
		}
	}
	offered := make([]string, 0, len(s.Offered))
	for _, o := range s.Offered {
		o = strings.ToUpper(strings.TrimSpace(o))
		if validName(o) && !slices.Contains(offered, o) {
			offered = append(offered, o)
		}
	}
	bindingErr := s.channelBinding()
	verified := s.verifiedTLS()

	var usable []Mechanism
	var rejected []Rejection
	var seen []string
	for _, m := range available {
		if m == nil {
			continue
		}
		name := m.Name()
		if !validName(name) {
			return nil, &NameError{Name: name}
		}
		if slices.Contains(seen, name) {
			continue
		}
		seen = append(seen, name)
		if pinned != "" && name != pinned {
			continue
		}
		var reason Reason
		switch {
		case !slices.Contains(offered, name):
			reason = ReasonNotOffered
		case m.ChannelBinding() && bindingErr != nil:
			reason = ReasonNoChannelBinding
		case m.ExposesSecret() && !verified && !p.AllowInsecure:
			reason = ReasonInsecure
		}
		if reason != 0 {
			rejected = append(rejected, Rejection{Mechanism: name, Reason: reason})
			continue
		}
		usable = append(usable, m)
	}
	if len(usable) == 0 {
		return nil, &NegotiationError{Offered: offered, Pinned: pinned, Rejected: rejected}
	}
	slices.SortStableFunc(usable, func(a, b Mechanism) int {
		return int(b.Strength()) - int(a.Strength())
	})
	if !p.AllowFallback {
		usable = usable[:1]
	}
	return usable, nil
}

// Password returns the mechanisms that authenticate username with
// password, strongest first: SCRAM-SHA-256-PLUS, SCRAM-SHA-256,
// SCRAM-SHA-1, PLAIN, LOGIN and CRAM-MD5. Pass them to [Negotiate] to use
// the strongest one the server offers. The SCRAM-SHA-256 variants share
// their cache of derived keys.
func Password(username, password string) []Mechanism {
	sha256 := newSCRAMCredentials(scram.SHA256, username, password)
	return []Mechanism{
		newSCRAM("SCRAM-SHA-256-PLUS", StrengthChannelBound, true, sha256),
		newSCRAM("SCRAM-SHA-256", StrengthSCRAMSHA256, false, sha256),
		SCRAMSHA1(username, password),
		Plain("", username, password),
		Login(username, password),
		CRAMMD5(username, password),
	}
}
