package reply

import (
	"embed"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Explanation is help for a person about a reply: what it means, when it is
// seen and how to fix it, in one language. The zero value means no
// explanation.
type Explanation struct {
	Title   string // a short name, such as "Authentication required"
	Meaning string // what the reply means
	When    string // when a client sees it
	Fix     string // what to do about it
}

// explainFS holds one catalog per language, data/explain.<lang>.json.
//
//go:embed data/explain.*.json
var explainFS embed.FS

// languages lists the catalogs, the default first.
var languages = []string{"en", "es"}

// catalog is the explanations of one language.
//
// An entry whose key fixes the reply's class (a reply code, a reply code
// answering a command, an enhanced code with a class digit such as
// "4.7.1", or a kind that occurs in one class only) is written for that
// class. An entry whose key does not (an enhanced code "X.s.d", or a kind
// that occurs in both failure classes) is written to be true for both,
// and explanations built from it end with the class's note (classNotes),
// which says whether trying again later can help.
type catalog struct {
	codes    map[Code]Explanation
	commands map[commandKey]commandEntry
	enhanced map[enhancedKey]Explanation
	kinds    map[kind]Explanation
	classes  map[Class]Explanation // Class 0 explains an invalid code
	notes    map[Class]string      // ClassTransient and ClassPermanent
}

// commandKey is a reply code in answer to a command.
type commandKey struct {
	code Code
	v    verb
}

// commandEntry is an explanation of a reply code in answer to a command,
// with its key in the catalog file.
type commandEntry struct {
	x   Explanation
	key string // "454@STARTTLS"
}

// enhancedKey is an enhanced code of the catalog. Class 0 stands for "X":
// the entry explains the subject and detail in both failure classes,
// unless an entry for the class overrides it.
type enhancedKey struct {
	class   Class
	subject Subject
	detail  uint16
}

// String returns the key as the catalog file writes it: "X.7.1", "4.7.1".
func (k enhancedKey) String() string {
	c := "X"
	if k.class != 0 {
		c = strconv.Itoa(int(k.class))
	}
	return c + "." + strconv.Itoa(int(k.subject)) + "." + strconv.Itoa(int(k.detail))
}

// explainedKinds are the kinds with an explanation of their own, with
// their keys in the catalog files, in the order [Error.Explain] tries
// them. ErrAuthTemporary (454 only) and ErrRateLimited (4xx only) occur in
// the transient class only. The kinds not listed are each decided by one
// reply code or enhanced code that has an explanation (ErrAuthFailed: 535
// or X.7.8; ErrMechanismTooWeak: 534 or X.7.9; ErrPasswordTransition: 432
// or X.7.12; ErrServiceClosing: 421), so they need none.
var explainedKinds = []kindName{
	{kindTLSRequired, "tls-required", 0},
	{kindAuthRequired, "auth-required", 0},
	{kindAuthTemporary, "auth-temporary", ClassTransient},
	{kindMailboxFull, "mailbox-full", 0},
	{kindMessageTooLarge, "message-too-large", 0},
	{kindMailboxUnavailable, "mailbox-unavailable", 0},
	{kindDomainUnavailable, "domain-unavailable", 0},
	{kindRateLimited, "rate-limited", ClassTransient},
	{kindPolicy, "policy-rejection", 0},
}

// kindName is a kind and its key in the catalog files.
type kindName struct {
	k     kind
	name  string
	class Class // the only class the kind occurs in, or 0 for both
}

// catalogFile is the JSON form of a catalog.
type catalogFile struct {
	Codes      map[string]explanationFile `json:"codes"`      // "530"
	Commands   map[string]explanationFile `json:"commands"`   // "454@STARTTLS", "550@end of data"
	Enhanced   map[string]explanationFile `json:"enhanced"`   // "X.7.8", "4.7.1"
	Kinds      map[string]explanationFile `json:"kinds"`      // "rate-limited"
	Classes    map[string]explanationFile `json:"classes"`    // "4", and "0" for an invalid code
	ClassNotes map[string]string          `json:"classNotes"` // "4" and "5"
}

type explanationFile struct {
	Title   string `json:"title"`
	Meaning string `json:"meaning"`
	When    string `json:"when"`
	Fix     string `json:"fix"`
}

// catalogs parses every language once. The data is part of the package, so
// malformed data is a bug that the package's tests catch; it panics.
var catalogs = sync.OnceValue(func() map[string]*catalog {
	m := make(map[string]*catalog, len(languages))
	for _, lang := range languages {
		c, err := parseCatalog(lang)
		if err != nil {
			panic("reply: data/explain." + lang + ".json: " + err.Error())
		}
		m[lang] = c
	}
	return m
})

func parseCatalog(lang string) (*catalog, error) {
	b, err := explainFS.ReadFile("data/explain." + lang + ".json")
	if err != nil {
		return nil, err
	}
	var f catalogFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	c := &catalog{
		codes:    make(map[Code]Explanation, len(f.Codes)),
		commands: make(map[commandKey]commandEntry, len(f.Commands)),
		enhanced: make(map[enhancedKey]Explanation, len(f.Enhanced)),
		kinds:    make(map[kind]Explanation, len(f.Kinds)),
		classes:  make(map[Class]Explanation, len(f.Classes)),
		notes:    make(map[Class]string, len(f.ClassNotes)),
	}
	for k, v := range f.Codes {
		code, ok := parseCatalogCode(k)
		if !ok {
			return nil, &catalogError{"bad reply code " + strconv.Quote(k)}
		}
		c.codes[code] = Explanation(v)
	}
	for k, v := range f.Commands {
		code, cmd, _ := strings.Cut(k, "@")
		n, ok := parseCatalogCode(code)
		vb := verbOf(cmd)
		if !ok || !isFailure(n.Class()) || vb == verbUnknown || vb == verbOther {
			return nil, &catalogError{"bad command entry " + strconv.Quote(k)}
		}
		c.commands[commandKey{n, vb}] = commandEntry{Explanation(v), k}
	}
	for k, v := range f.Enhanced {
		key, ok := parseEnhancedKey(k)
		if !ok {
			return nil, &catalogError{"bad enhanced code " + strconv.Quote(k)}
		}
		c.enhanced[key] = Explanation(v)
	}
	for k, v := range f.Kinds {
		i := slices.IndexFunc(explainedKinds, func(e kindName) bool { return e.name == k })
		if i < 0 {
			return nil, &catalogError{"unknown kind " + strconv.Quote(k)}
		}
		c.kinds[explainedKinds[i].k] = Explanation(v)
	}
	for k, v := range f.Classes {
		n, err := strconv.ParseUint(k, 10, 8)
		if err != nil || (n != 0 && !Class(n).Valid()) {
			return nil, &catalogError{"bad class " + strconv.Quote(k)}
		}
		c.classes[Class(n)] = Explanation(v)
	}
	for k, v := range f.ClassNotes {
		n, err := strconv.ParseUint(k, 10, 8)
		if err != nil || !isFailure(Class(n)) {
			return nil, &catalogError{"bad class note " + strconv.Quote(k)}
		}
		c.notes[Class(n)] = v
	}
	return c, nil
}

// parseCatalogCode parses a reply code of the catalog file, "530".
func parseCatalogCode(s string) (Code, bool) {
	n, err := strconv.ParseUint(s, 10, 16)
	return Code(n), err == nil && Code(n).Valid()
}

// parseEnhancedKey parses "X.s.d", "4.s.d" or "5.s.d".
func parseEnhancedKey(s string) (enhancedKey, bool) {
	class, rest, ok1 := strings.Cut(s, ".")
	subject, detail, ok2 := strings.Cut(rest, ".")
	sn, err1 := strconv.ParseUint(subject, 10, 8)
	dn, err2 := strconv.ParseUint(detail, 10, 16)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || sn > uint64(maxSubject) || dn > maxDetail {
		return enhancedKey{}, false
	}
	k := enhancedKey{subject: Subject(sn), detail: uint16(dn)}
	switch class {
	case "X":
	case "4":
		k.class = ClassTransient
	case "5":
		k.class = ClassPermanent
	default:
		return enhancedKey{}, false
	}
	return k, true
}

// isFailure reports whether c is ClassTransient or ClassPermanent.
func isFailure(c Class) bool {
	return c == ClassTransient || c == ClassPermanent
}

// catalogError reports malformed explanation data.
type catalogError struct{ msg string }

func (e *catalogError) Error() string { return e.msg }

// Languages returns the languages that [Explain] knows, as lower-case
// ISO 639-1 codes: "en" (the default) and "es". The caller owns the slice.
func Languages() []string {
	return append([]string(nil), languages...)
}

// lookup returns the catalog for lang. It ignores case and any region or
// script after '-' or '_' ("es-MX", "ES_es"), and falls back to English for
// "" or a language it does not know.
func lookup(lang string) *catalog {
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i]
	}
	all := catalogs()
	for _, l := range languages {
		if strings.EqualFold(lang, l) {
			return all[l]
		}
	}
	return all[languages[0]]
}

// Explain returns help about the reply code in the language lang ("en" or
// "es"; see [Languages] for how lang is matched). It knows every Code
// constant of this package; for any other code it returns false. The
// explanation covers every command the code answers; [Error.Explain]
// knows the command and can be more precise.
func Explain(code Code, lang string) (Explanation, bool) {
	x, ok := lookup(lang).codes[code]
	return x, ok
}

// ExplainEnhanced returns help about the enhanced status code in the
// language lang. It knows the enhanced codes of failures that clients meet
// most often, such as 5.1.1 (no such mailbox), 4.2.2 and 5.2.2 (mailbox
// full), 5.3.4 (message too big), 4.7.1 (greylisted or refused for now),
// 5.7.1 (refused by policy) and 5.7.8 (bad credentials).
//
// The class matters: where a code means something different in the two
// failure classes, such as 4.7.1 and 5.7.1, each class has its own
// explanation; otherwise one explanation serves both, and its Fix ends with
// a sentence saying whether the failure is temporary (class 4) or
// permanent (class 5). For any other code, for a success code (2.s.d) and
// for the zero EnhancedCode it returns false: [EnhancedCode.Description]
// has a short description of every registered code.
func ExplainEnhanced(e EnhancedCode, lang string) (Explanation, bool) {
	x, _, ok := lookup(lang).explainEnhanced(e)
	return x, ok
}

// explainEnhanced implements [ExplainEnhanced]; it also returns the key of
// the catalog entry it used, such as "enhanced:4.7.1".
func (c *catalog) explainEnhanced(e EnhancedCode) (Explanation, string, bool) {
	if !e.Valid() || !isFailure(e.Class) {
		return Explanation{}, "", false
	}
	k := enhancedKey{e.Class, e.Subject, e.Detail}
	if x, ok := c.enhanced[k]; ok {
		return x, "enhanced:" + k.String(), true
	}
	k.class = 0
	if x, ok := c.enhanced[k]; ok {
		return c.withNote(x, e.Class), "enhanced:" + k.String(), true
	}
	return Explanation{}, "", false
}

// withNote returns x, written for both failure classes, with the note of
// class at the end of its Fix.
func (c *catalog) withNote(x Explanation, class Class) Explanation {
	x.Fix += " " + c.notes[class]
	return x
}

// Explain returns help about r in the language lang (see [Languages]). It
// uses the most specific explanation it knows:
//
//  1. the enhanced code's ([ExplainEnhanced]) when it has a detail other
//     than 0 (5.1.1, not 5.1.0);
//  2. the reply code's ([Explain]);
//  3. the enhanced code's when its detail is 0 (such as 4.7.0);
//  4. one for the reply's class (transient failure, permanent failure...),
//     or for an invalid code.
//
// An enhanced code whose class differs from the reply code's is ignored,
// as the classification rules of [ErrTransient] do. The result is never
// the zero Explanation. A reply code such as 454 means different things
// in answer to different commands; [Error.Explain] knows the command and
// the kinds of the reply, and chooses better.
func (r Reply) Explain(lang string) Explanation {
	x, _ := lookup(lang).explainReply(&r)
	return x
}

// explainReply implements [Reply.Explain]; it also returns the key of the
// catalog entry it used, such as "code:530" or "class:4".
func (c *catalog) explainReply(r *Reply) (Explanation, string) {
	enh := r.enhancedOfClass()
	if enh.Detail != 0 {
		if x, key, ok := c.explainEnhanced(enh); ok {
			return x, key
		}
	}
	if x, ok := c.codes[r.Code]; ok {
		return x, "code:" + r.Code.String()
	}
	if x, key, ok := c.explainEnhanced(enh); ok {
		return x, key
	}
	class := r.Code.Class()
	return c.classes[class], "class:" + strconv.Itoa(int(class))
}

// kindOverrides reports whether the kinds k of a reply explain it better
// than its enhanced code e, whose explanation describes the server rather
// than what the client must do: rate limiting with a mail system or
// network code ("421 4.3.2 Connection rate limit exceeded"), and an
// unavailable mailbox with a network code (Microsoft's "550 5.4.1
// Recipient address rejected: Access denied").
func kindOverrides(k kind, e EnhancedCode) bool {
	switch e.Subject {
	case SubjectMailSystem:
		return k&kindRateLimited != 0
	case SubjectNetwork:
		return k&(kindRateLimited|kindMailboxUnavailable) != 0
	}
	return false
}

// textOverrides reports whether the text of r names a cause that
// contradicts its enhanced code: the kinds k of the whole reply differ from
// those of its codes alone (Orange's "552 5.1.1 Boite du destinataire
// pleine" is a full mailbox, Gmail's "421 4.7.29 ... not sent over a TLS
// connection" is not the registry's ARC failure), so the kind explains it
// better than the enhanced code.
func textOverrides(cmd string, r *Reply, k kind) bool {
	codes := Reply{Code: r.Code, Enhanced: r.Enhanced}
	const causes = kindAccess | kindMailbox | kindDomainUnavailable | kindRateLimited | kindPolicy
	return k&causes != 0 && k&causes != classify(cmd, &codes)&causes
}

// Explain returns help about e's reply in the language lang (see
// [Languages]), taking into account the command that received it and the
// kinds of the reply (the classification rules of [ErrTransient]). The
// same reply may need different help after different commands: a 454 is a
// temporary authentication failure in answer to AUTH, "TLS not available"
// in answer to STARTTLS, and, after MAIL FROM, usually a rate limit.
//
// Explain decides in this order, and the first step that has an
// explanation wins:
//
//  1. A reply that is not a failure (class 2 or 3, or an invalid code) and
//     a nil e are explained as by [Reply.Explain].
//  2. A specific enhanced code: one with a detail other than 0, other than
//     X.7.1 (which servers send for any policy refusal, from greylisting
//     to relaying denied), that [ExplainEnhanced] knows. So
//     "550 5.1.1" is a bad mailbox and "553 5.1.8" a bad sender domain,
//     whatever the command. Not a mail system (X.3.x) or network (X.4.x)
//     code of a rate limited reply, nor a network code of a reply whose
//     mailbox is unavailable: the kind says better what to do ("421 4.3.2
//     Connection rate limit exceeded"). Nor a code whose reply's text
//     names another cause ("552 5.1.1 ... mailbox full"). X.7.8, X.7.9 and X.7.12 in answer
//     to a known command other than AUTH are ignored in every step, as
//     the classification rules ignore them.
//  3. The reply's kind, in this order: TLS required, authentication
//     required, temporary authentication failure, mailbox full, message
//     too large, mailbox unavailable, domain unavailable, rate limited. So "530 5.7.0 Must
//     issue a STARTTLS command first" is about TLS, "454 Throttling
//     failure" after MAIL FROM and "451 4.7.1 Greylisting in action" are
//     rate limiting, and "454 4.7.0" after AUTH is a temporary
//     authentication failure. The other kinds are each decided by one
//     reply code or enhanced code that the later steps explain.
//  4. The reply code in answer to this command, where the command changes
//     its meaning: 454 after STARTTLS (TLS not available), 550 after DATA
//     or the message data (the message, not a mailbox, is refused) and 554
//     as the greeting (the server refuses this client).
//  5. A policy rejection whose enhanced code names no detail ("550
//     Administrative prohibition", "554 5.7.0 Blocked").
//  6. [Reply.Explain]: the enhanced code, the reply code, the class.
//
// Explanations of enhanced codes and kinds that serve both failure
// classes (all but 4.s.d and 5.s.d entries, and the transient-only kinds
// rate limited and temporary authentication failure) end with a sentence
// saying whether the failure is temporary or permanent, from the reply
// code's class. The result is never the zero Explanation.
func (e *Error) Explain(lang string) Explanation {
	x, _ := lookup(lang).explainError(e)
	return x
}

// explainError implements [Error.Explain]; it also returns the key of the
// catalog entry it used, such as "kind:rate-limited" or
// "command:454@STARTTLS".
func (c *catalog) explainError(e *Error) (Explanation, string) {
	if e == nil {
		return c.explainReply(&Reply{})
	}
	r := &e.Reply
	class := r.Code.Class()
	if !isFailure(class) {
		return c.explainReply(r)
	}
	enh := r.enhancedOfClass()
	v := verbOf(e.Command)
	if authOnly(enh, v) {
		// Yahoo's "554 5.7.9 Message not accepted for policy reasons"
		// after the data: the code is not about authentication.
		rr := *r
		rr.Enhanced = EnhancedCode{}
		r, enh = &rr, EnhancedCode{}
	}
	k := e.kinds()
	if enh.Detail != 0 && (enh.Subject != SubjectPolicy || enh.Detail != 1) &&
		!kindOverrides(k, enh) && !textOverrides(e.Command, r, k) {
		if x, key, ok := c.explainEnhanced(enh); ok {
			return x, key
		}
	}
	for _, kn := range explainedKinds {
		switch {
		case kn.k == kindPolicy:
			// The broadest kind: after the command's own entries.
		case k&kn.k == 0:
		case kn.class == 0:
			return c.withNote(c.kinds[kn.k], class), "kind:" + kn.name
		case kn.class == class: // never otherwise, but the text would be wrong
			return c.kinds[kn.k], "kind:" + kn.name
		}
	}
	if ce, ok := c.commands[commandKey{r.Code, v}]; ok {
		return ce.x, "command:" + ce.key
	}
	if k&kindPolicy != 0 && enh.Detail == 0 {
		return c.withNote(c.kinds[kindPolicy], class), "kind:policy-rejection"
	}
	return c.explainReply(r)
}
