package reply

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// codeConstants returns every constant of type Code declared in the
// package's non-test files, read from the source so a new constant cannot
// be forgotten here.
func codeConstants(t *testing.T) map[string]Code {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	consts := make(map[string]Code)
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
					continue
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.INT {
						t.Fatalf("%s: constant %s is not an integer literal; teach codeConstants", fset.Position(n.Pos()), n.Name)
					}
					v, ok := constant.Uint64Val(constant.MakeFromLiteral(lit.Value, lit.Kind, 0))
					if !ok {
						t.Fatalf("%s: bad value %s", fset.Position(lit.Pos()), lit.Value)
					}
					consts[n.Name] = Code(v)
				}
			}
		}
	}
	if len(consts) < 30 {
		t.Fatalf("found %d Code constants, want the full list of code.go", len(consts))
	}
	return consts
}

func checkExplanation(t *testing.T, what string, x Explanation) {
	t.Helper()
	for field, s := range map[string]string{"Title": x.Title, "Meaning": x.Meaning, "When": x.When, "Fix": x.Fix} {
		if strings.TrimSpace(s) == "" {
			t.Errorf("%s: %s is empty", what, field)
		}
	}
}

// Every Code constant has an explanation in every language, with no empty
// field, and the catalogs explain nothing else.
func TestExplainEveryCode(t *testing.T) {
	consts := codeConstants(t)
	for name, code := range consts {
		var en Explanation
		for _, lang := range Languages() {
			x, ok := Explain(code, lang)
			if !ok {
				t.Errorf("Explain(%s, %q) = _, false, want an explanation", name, lang)
				continue
			}
			checkExplanation(t, "Explain("+name+", "+strconv.Quote(lang)+")", x)
			if lang == "en" {
				en = x
			} else if x.Meaning == en.Meaning || x.Fix == en.Fix {
				t.Errorf("Explain(%s, %q) repeats the English text: %+v", name, lang, x)
			}
		}
	}
	for lang, c := range catalogs() {
		if len(c.codes) != len(consts) {
			t.Errorf("data/explain.%s.json explains %d codes, want the %d Code constants", lang, len(c.codes), len(consts))
		}
	}
	if _, ok := Explain(Code(299), "en"); ok {
		t.Error("Explain(299, \"en\") = _, true, want false")
	}
}

// commonEnhanced are the enhanced codes that must have an explanation.
var commonEnhanced = strings.Fields("X.1.1 X.1.2 X.1.3 X.1.10 X.2.1 X.2.2 X.2.3 X.3.4 X.4.1 X.4.2 " +
	"X.5.1 X.5.3 X.7.0 X.7.1 X.7.8 X.7.9 X.7.11 X.7.26")

// Every explained enhanced code is in the registry, the common ones are
// explained, and all languages explain the same codes and classes.
func TestExplainEnhancedCatalog(t *testing.T) {
	all := catalogs()
	en := all["en"]
	reg := registry()
	for _, x := range commonEnhanced {
		for _, lang := range Languages() {
			e := mustEnhanced(t, ClassPermanent, x)
			got, ok := ExplainEnhanced(e, lang)
			if !ok {
				t.Errorf("ExplainEnhanced(%v, %q) = _, false, want an explanation", e, lang)
			}
			checkExplanation(t, "ExplainEnhanced("+x+", "+lang+")", got)
		}
	}
	for lang, c := range all {
		for k, x := range c.enhanced {
			what := "data/explain." + lang + ".json X." + strconv.Itoa(int(k.subject)) + "." + strconv.Itoa(int(k.detail))
			if _, ok := reg.details[k]; !ok {
				t.Errorf("%s: not in the IANA registry", what)
			}
			if _, ok := en.enhanced[k]; !ok {
				t.Errorf("%s: missing in English", what)
			}
			checkExplanation(t, what, x)
		}
		if len(c.enhanced) != len(en.enhanced) {
			t.Errorf("data/explain.%s.json explains %d enhanced codes, English %d", lang, len(c.enhanced), len(en.enhanced))
		}
		for _, class := range []Class{0, ClassSuccess, ClassIntermediate, ClassTransient, ClassPermanent} {
			x, ok := c.classes[class]
			if !ok {
				t.Errorf("data/explain.%s.json: no explanation for class %d", lang, class)
			}
			checkExplanation(t, "data/explain."+lang+".json class "+strconv.Itoa(int(class)), x)
		}
	}
	if _, ok := ExplainEnhanced(EnhancedCode{}, "en"); ok {
		t.Error("ExplainEnhanced(zero, \"en\") = _, true, want false")
	}
}

func TestLanguages(t *testing.T) {
	if got, want := Languages(), []string{"en", "es"}; !slices.Equal(got, want) {
		t.Fatalf("Languages() = %q, want %q", got, want)
	}
	Languages()[0] = "xx" // the caller owns the slice
	if got := Languages()[0]; got != "en" {
		t.Errorf("Languages()[0] = %q after a caller changed its copy, want \"en\"", got)
	}
	en, _ := Explain(CodeAuthRequired, "en")
	es, _ := Explain(CodeAuthRequired, "es")
	tests := []struct {
		lang string
		want Explanation
	}{
		{"en", en}, {"", en}, {"fr", en}, {"EN-gb", en}, {"e", en},
		{"es", es}, {"ES", es}, {"es-MX", es}, {"es_ES", es},
	}
	for _, tt := range tests {
		if got, _ := Explain(CodeAuthRequired, tt.lang); got != tt.want {
			t.Errorf("Explain(530, %q).Title = %q, want %q", tt.lang, got.Title, tt.want.Title)
		}
	}
}

func TestReplyExplain(t *testing.T) {
	enh := func(c Class, s Subject, d uint16) EnhancedCode { return EnhancedCode{c, s, d} }
	code := func(c Code) Explanation { x, _ := Explain(c, "en"); return x }
	enhanced := func(e EnhancedCode) Explanation { x, _ := ExplainEnhanced(e, "en"); return x }
	class := func(c Class) Explanation { return catalogs()["en"].classes[c] }
	tests := []struct {
		r    Reply
		want Explanation
	}{
		// A specific enhanced code wins over the reply code.
		{New(550, enh(5, 1, 1), "No such user"), enhanced(enh(5, 1, 1))},
		{New(535, enh(5, 7, 8), "Authentication failed"), enhanced(enh(5, 7, 8))},
		// A detail-0 code says less than the reply code.
		{New(530, enh(5, 7, 0), "Authentication required"), code(530)},
		// An enhanced code without an explanation: the reply code.
		{New(535, enh(5, 7, 139), "basic authentication is disabled"), code(535)},
		{New(250, enh(2, 1, 5), "Ok"), code(250)},
		// An unknown reply code: a detail-0 enhanced code, then the class.
		{New(559, enh(5, 7, 0), "?"), enhanced(enh(5, 7, 0))},
		{New(459, EnhancedCode{}, "?"), class(ClassTransient)},
		{New(259, EnhancedCode{}, "?"), class(ClassSuccess)},
		{New(299, EnhancedCode{}, "?"), class(0)}, // not [2-5][0-5][0-9]
		{New(600, EnhancedCode{}, "?"), class(0)},
		{Reply{}, class(0)},
	}
	for _, tt := range tests {
		got := tt.r.Explain("en")
		if got != tt.want {
			t.Errorf("(%v).Explain(\"en\").Title = %q, want %q", tt.r, got.Title, tt.want.Title)
		}
		checkExplanation(t, tt.r.String(), got)
	}
}
