package reply

import (
	"embed"
	"encoding/json"
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
type catalog struct {
	codes    map[Code]Explanation
	enhanced map[registryKey]Explanation
	classes  map[Class]Explanation // Class 0 explains an invalid code
}

// catalogFile is the JSON form of a catalog.
type catalogFile struct {
	Codes    map[string]explanationFile `json:"codes"`    // "530"
	Enhanced map[string]explanationFile `json:"enhanced"` // "X.7.8"
	Classes  map[string]explanationFile `json:"classes"`  // "4", and "0" for an invalid code
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
		enhanced: make(map[registryKey]Explanation, len(f.Enhanced)),
		classes:  make(map[Class]Explanation, len(f.Classes)),
	}
	for k, v := range f.Codes {
		n, err := strconv.ParseUint(k, 10, 16)
		if err != nil || !Code(n).Valid() {
			return nil, &catalogError{"bad reply code " + strconv.Quote(k)}
		}
		c.codes[Code(n)] = Explanation(v)
	}
	for k, v := range f.Enhanced {
		subject, detail, ok := strings.Cut(strings.TrimPrefix(k, "X."), ".")
		s, err1 := strconv.ParseUint(subject, 10, 8)
		d, err2 := strconv.ParseUint(detail, 10, 16)
		if !ok || !strings.HasPrefix(k, "X.") || err1 != nil || err2 != nil || s > uint64(maxSubject) || d > maxDetail {
			return nil, &catalogError{"bad enhanced code " + strconv.Quote(k)}
		}
		c.enhanced[registryKey{Subject(s), uint16(d)}] = Explanation(v)
	}
	for k, v := range f.Classes {
		n, err := strconv.ParseUint(k, 10, 8)
		if err != nil || (n != 0 && !Class(n).Valid()) {
			return nil, &catalogError{"bad class " + strconv.Quote(k)}
		}
		c.classes[Class(n)] = Explanation(v)
	}
	return c, nil
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
// constant of this package; for any other code it returns false.
func Explain(code Code, lang string) (Explanation, bool) {
	x, ok := lookup(lang).codes[code]
	return x, ok
}

// ExplainEnhanced returns help about the enhanced status code in the
// language lang. It knows the enhanced codes clients meet most often, such
// as X.1.1 (no such mailbox), X.2.2 (mailbox full), X.3.4 (message too
// big), X.7.1 (refused by policy) and X.7.8 (bad credentials); the class
// digit does not matter. For any other code, including the zero
// EnhancedCode, it returns false: [EnhancedCode.Description] has a short
// description of every registered code.
func ExplainEnhanced(e EnhancedCode, lang string) (Explanation, bool) {
	if !e.Valid() {
		return Explanation{}, false
	}
	x, ok := lookup(lang).enhanced[registryKey{e.Subject, e.Detail}]
	return x, ok
}

// Explain returns help about r in the language lang (see [Languages]). It
// uses the most specific explanation it knows: the enhanced code's when it
// has a detail other than 0 (5.1.1, not 5.1.0) and [ExplainEnhanced] knows
// it; otherwise the reply code's ([Explain]); otherwise a subject-level
// enhanced code's (such as X.7.0); otherwise one for the reply's class
// (transient failure, permanent failure...), or for an invalid code. The
// result is never the zero Explanation.
func (r Reply) Explain(lang string) Explanation {
	c := lookup(lang)
	enh := r.Enhanced
	if enh.Valid() && enh.Detail != 0 {
		if x, ok := c.enhanced[registryKey{enh.Subject, enh.Detail}]; ok {
			return x
		}
	}
	if x, ok := c.codes[r.Code]; ok {
		return x
	}
	if enh.Valid() {
		if x, ok := c.enhanced[registryKey{enh.Subject, enh.Detail}]; ok {
			return x
		}
	}
	return c.classes[r.Code.Class()]
}
