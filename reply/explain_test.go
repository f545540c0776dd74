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

// commonEnhanced are the enhanced codes that must have an explanation in
// both failure classes.
var commonEnhanced = strings.Fields("X.1.1 X.1.2 X.1.3 X.1.10 X.2.1 X.2.2 X.2.3 X.3.2 X.3.4 X.4.1 X.4.2 " +
	"X.5.1 X.5.3 X.7.0 X.7.1 X.7.8 X.7.9 X.7.11 X.7.26")

// Every explained enhanced code is in the registry, the common ones are
// explained, a code explained in one failure class is explained in the
// other, and all languages explain the same codes and classes.
func TestExplainEnhancedCatalog(t *testing.T) {
	all := catalogs()
	en := all["en"]
	reg := registry()
	for _, x := range commonEnhanced {
		for _, class := range []Class{ClassTransient, ClassPermanent} {
			e := mustEnhanced(t, class, x)
			for _, lang := range Languages() {
				got, ok := ExplainEnhanced(e, lang)
				if !ok {
					t.Errorf("ExplainEnhanced(%v, %q) = _, false, want an explanation", e, lang)
				}
				checkExplanation(t, "ExplainEnhanced("+e.String()+", "+lang+")", got)
			}
		}
	}
	for lang, c := range all {
		for k, x := range c.enhanced {
			what := "data/explain." + lang + ".json " + k.String()
			if _, ok := reg.details[registryKey{k.subject, k.detail}]; !ok {
				t.Errorf("%s: not in the IANA registry", what)
			}
			if _, ok := en.enhanced[k]; !ok {
				t.Errorf("%s: missing in English", what)
			}
			for _, class := range []Class{ClassTransient, ClassPermanent} {
				if _, _, ok := c.explainEnhanced(EnhancedCode{class, k.subject, k.detail}); !ok {
					t.Errorf("%s: no explanation for class %d", what, class)
				}
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
	for _, e := range []EnhancedCode{{}, {ClassSuccess, SubjectPolicy, 0}, {ClassSuccess, SubjectAddressing, 1}} {
		if x, ok := ExplainEnhanced(e, "en"); ok {
			t.Errorf("ExplainEnhanced(%q, \"en\") = %q, true, want false", e, x.Title)
		}
	}
}

// entry is one explanation of a catalog, as a caller may get it.
type entry struct {
	key   string      // "code:454", "enhanced:X.2.2 in class 4"
	class Class       // the reply class it is given for
	x     Explanation // with the class note when the entry serves both classes
}

// entries lists every explanation of c that a failure reply can get, once
// for each class it serves; neutral holds the class-neutral entries
// (enhanced X.s.d and kinds of both classes) as written, without a note.
func (c *catalog) entries() (all []entry, neutral map[string]Explanation) {
	neutral = make(map[string]Explanation)
	for code, x := range c.codes {
		if cl := code.Class(); isFailure(cl) {
			all = append(all, entry{"code:" + code.String(), cl, x})
		}
	}
	for k, ce := range c.commands {
		all = append(all, entry{"command:" + ce.key, k.code.Class(), ce.x})
	}
	both := []Class{ClassTransient, ClassPermanent}
	for k, x := range c.enhanced {
		if k.class != 0 {
			all = append(all, entry{"enhanced:" + k.String(), k.class, x})
			continue
		}
		neutral["enhanced:"+k.String()] = x
		for _, cl := range both {
			all = append(all, entry{"enhanced:" + k.String() + " in class " + strconv.Itoa(int(cl)), cl, c.withNote(x, cl)})
		}
	}
	for _, kn := range explainedKinds {
		if kn.class != 0 {
			all = append(all, entry{"kind:" + kn.name, kn.class, c.kinds[kn.k]})
			continue
		}
		neutral["kind:"+kn.name] = c.kinds[kn.k]
		for _, cl := range both {
			all = append(all, entry{"kind:" + kn.name + " in class " + strconv.Itoa(int(cl)), cl, c.withNote(c.kinds[kn.k], cl)})
		}
	}
	for _, cl := range both {
		all = append(all, entry{"class:" + strconv.Itoa(int(cl)), cl, c.classes[cl]})
	}
	return all, neutral
}

// Every language has the same command, kind and class note entries as
// English, each complete and translated.
func TestExplainCatalogEntries(t *testing.T) {
	all := catalogs()
	en := all["en"]
	if len(en.commands) == 0 {
		t.Fatal("data/explain.en.json has no command entries")
	}
	for _, kn := range explainedKinds {
		if _, ok := en.kinds[kn.k]; !ok {
			t.Errorf("data/explain.en.json: no entry for kind %q", kn.name)
		}
	}
	for lang, c := range all {
		what := "data/explain." + lang + ".json"
		if len(c.commands) != len(en.commands) || len(c.kinds) != len(en.kinds) {
			t.Errorf("%s has %d command and %d kind entries, English %d and %d", what, len(c.commands), len(c.kinds), len(en.commands), len(en.kinds))
		}
		for k, ce := range c.commands {
			checkExplanation(t, what+" "+ce.key, ce.x)
			enx, ok := en.commands[k]
			if !ok {
				t.Errorf("%s %s: missing in English", what, ce.key)
			} else if lang != "en" && (ce.x.Meaning == enx.x.Meaning || ce.x.Fix == enx.x.Fix) {
				t.Errorf("%s %s repeats the English text", what, ce.key)
			}
		}
		for k, x := range c.kinds {
			checkExplanation(t, what+" kind", x)
			if lang != "en" && (x.Meaning == en.kinds[k].Meaning || x.Fix == en.kinds[k].Fix) {
				t.Errorf("%s kind %+v repeats the English text", what, x)
			}
		}
		for k, x := range c.enhanced {
			if lang != "en" && (x.Meaning == en.enhanced[k].Meaning || x.Fix == en.enhanced[k].Fix) {
				t.Errorf("%s %s repeats the English text", what, k)
			}
		}
		for _, cl := range []Class{ClassTransient, ClassPermanent} {
			note := c.notes[cl]
			if strings.TrimSpace(note) == "" {
				t.Errorf("%s: class note %d is empty", what, cl)
			}
			if lang != "en" && note == en.notes[cl] {
				t.Errorf("%s: class note %d repeats the English text %q", what, cl, note)
			}
		}
		if len(c.notes) != 2 {
			t.Errorf("%s has %d class notes, want 2 (classes 4 and 5)", what, len(c.notes))
		}
	}
}

// classWords are the words that say whether a failure is temporary or
// permanent, per language; retry words are the same kind of word.
var classWords = map[string][]string{
	"en": {"retry", "try again", "later", "temporar", "permanent", "unchanged", "fail again", "for now", "for good"},
	"es": {"reintent", "intentar", "más tarde", "temporal", "permanente", "sin cambios", "volverá a fallar", "por ahora", "de momento", "definitiv"},
}

// Entries that serve both failure classes (enhanced X.s.d, most kinds) say
// nothing about whether the failure is temporary: the class note, added
// from the reply's class, does.
func TestExplainNeutralEntries(t *testing.T) {
	for lang, c := range catalogs() {
		if len(classWords[lang]) == 0 {
			t.Errorf("classWords has no words for %q: its neutral entries would go unchecked", lang)
		}
		_, neutral := c.entries()
		for key, x := range neutral {
			for _, w := range classWords[lang] {
				for field, s := range map[string]string{"Meaning": x.Meaning, "Fix": x.Fix} {
					if strings.Contains(strings.ToLower(s), w) {
						t.Errorf("data/explain.%s.json %s: %s %q contains %q; write it for both classes, or add class-specific entries", lang, key, field, s, w)
					}
				}
			}
		}
	}
}

// contradictions are phrases that must not appear in an explanation given
// for a reply of the class: advice for the other class.
var contradictions = map[string]map[Class][]string{
	"en": {
		ClassTransient: {"will fail again", "unchanged", "do not retry", "permanent"},
		ClassPermanent: {"retry later", "try again later", "temporary", "for now"},
	},
	"es": {
		ClassTransient: {"volverá a fallar", "sin cambios", "no reintente", "permanente"},
		ClassPermanent: {"más tarde", "temporal", "por ahora"},
	},
}

// No explanation that a reply can get contradicts the reply's class, such
// as "sending again unchanged will fail again" for 451 4.7.1.
func TestExplainMatchesClass(t *testing.T) {
	for lang, c := range catalogs() {
		for _, cl := range []Class{ClassTransient, ClassPermanent} {
			if len(contradictions[lang][cl]) == 0 {
				t.Errorf("contradictions has no phrases for %q class %d: its entries would go unchecked", lang, cl)
			}
		}
		all, _ := c.entries()
		for _, e := range all {
			text := strings.ToLower(e.x.Title + " " + e.x.Meaning + " " + e.x.Fix)
			for _, p := range contradictions[lang][e.class] {
				if strings.Contains(text, p) {
					t.Errorf("data/explain.%s.json %s, given for class %d, says %q: %q", lang, e.key, e.class, p, e.x.Fix)
				}
			}
		}
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
	// Otherwise every row below would hold whatever lookup chose.
	if en == es {
		t.Fatalf("Explain(530, \"es\") = %+v, the English text; want the Spanish catalog", es)
	}
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
	tests := []struct {
		r   Reply
		key string
	}{
		// A specific enhanced code wins over the reply code; its class
		// chooses the entry or the note.
		{New(550, enh(5, 1, 1), "No such user"), "enhanced:X.1.1"},
		{New(450, enh(4, 1, 1), "User unknown"), "enhanced:X.1.1"},
		{New(535, enh(5, 7, 8), "Authentication failed"), "enhanced:X.7.8"},
		{New(451, enh(4, 7, 1), "Greylisting in action, please come back later"), "enhanced:4.7.1"},
		{New(550, enh(5, 7, 1), "Relay access denied"), "enhanced:5.7.1"},
		{New(450, enh(4, 2, 1), "receiving mail at a rate"), "enhanced:4.2.1"},
		// A detail-0 code says less than the reply code.
		{New(530, enh(5, 7, 0), "Authentication required"), "code:530"},
		{New(235, enh(2, 7, 0), "Authentication successful"), "code:235"},
		// An enhanced code without an explanation: the reply code.
		{New(535, enh(5, 7, 139), "basic authentication is disabled"), "code:535"},
		{New(250, enh(2, 1, 5), "Ok"), "code:250"},
		// An enhanced code of another class than the reply code's is
		// ignored.
		{New(550, enh(4, 1, 1), "?"), "code:550"},
		// An unknown reply code: a detail-0 enhanced code, then the class.
		{New(559, enh(5, 7, 0), "?"), "enhanced:5.7.0"},
		{New(459, enh(4, 7, 0), "?"), "enhanced:4.7.0"},
		{New(259, enh(2, 7, 0), "?"), "class:2"},
		{New(459, EnhancedCode{}, "?"), "class:4"},
		{New(259, EnhancedCode{}, "?"), "class:2"},
		{New(299, EnhancedCode{}, "?"), "class:0"}, // not [2-5][0-5][0-9]
		{New(600, EnhancedCode{}, "?"), "class:0"},
		{Reply{}, "class:0"},
	}
	for _, tt := range tests {
		for _, lang := range Languages() {
			want, key := lookup(lang).explainReply(&tt.r)
			if key != tt.key {
				t.Errorf("(%v).Explain(%q) uses %s, want %s", tt.r, lang, key, tt.key)
			}
			got := tt.r.Explain(lang)
			if got != want {
				t.Errorf("(%v).Explain(%q).Title = %q, want %q", tt.r, lang, got.Title, want.Title)
			}
			checkExplanation(t, tt.r.String(), got)
		}
	}
}

// realReply returns the reply of realReplies (parse_test.go) called name.
func realReply(t *testing.T, name string) Reply {
	t.Helper()
	for _, rr := range realReplies {
		if rr.name == name {
			r, err := Parse([]byte(rr.wire), nil)
			if err != nil {
				t.Fatalf("Parse(%q): %v", rr.wire, err)
			}
			return r
		}
	}
	t.Fatalf("no real reply %q", name)
	return Reply{}
}

// wantExplanation is the explanation Error.Explain must choose.
type wantExplanation struct {
	key    string // the catalog entry
	en, es string // its title in English and Spanish
}

var (
	rateLimited      = wantExplanation{"kind:rate-limited", "Rate limited or greylisted", "Límite de envío o listas grises"}
	authRequired     = wantExplanation{"kind:auth-required", "Authentication required", "Se requiere autenticación"}
	tlsRequired      = wantExplanation{"kind:tls-required", "Encryption required first", "Antes se requiere cifrado"}
	authTemporary    = wantExplanation{"kind:auth-temporary", "Temporary authentication failure", "Fallo temporal de autenticación"}
	mailboxX11       = wantExplanation{"enhanced:X.1.1", "Bad destination mailbox address", "Dirección de buzón de destino incorrecta"}
	mailboxFullX22   = wantExplanation{"enhanced:X.2.2", "Mailbox full", "Buzón lleno"}
	policy571        = wantExplanation{"enhanced:5.7.1", "Delivery not authorized", "Entrega no autorizada"}
	messageRefused   = wantExplanation{"command:550@end of data", "Message refused", "Mensaje rechazado"}
	messageRefused2  = wantExplanation{"command:550@DATA", "Message refused", "Mensaje rechazado"}
	credentials      = wantExplanation{"code:535", "Authentication credentials invalid", "Credenciales de autenticación no válidas"}
	credentialsX78   = wantExplanation{"enhanced:X.7.8", "Authentication credentials invalid", "Credenciales de autenticación no válidas"}
	mechanismWeakX79 = wantExplanation{"enhanced:X.7.9", "Authentication mechanism too weak", "Mecanismo de autenticación demasiado débil"}
	messageTooLarge  = wantExplanation{"kind:message-too-large", "Message too large", "Mensaje demasiado grande"}
	mailboxUnavail   = wantExplanation{"kind:mailbox-unavailable", "Mailbox unavailable", "Buzón no disponible"}
	policyRejection  = wantExplanation{"kind:policy-rejection", "Refused by policy", "Rechazado por política"}
	policy471        = wantExplanation{"enhanced:4.7.1", "Temporarily refused by policy", "Rechazo temporal por política"}
	serviceNotAvail  = wantExplanation{"code:421", "Service not available, closing connection", "Servicio no disponible, cerrando la conexión"}
	localError       = wantExplanation{"code:451", "Local error in processing", "Error local de procesamiento"}
	tlsNotAvailable  = wantExplanation{"command:454@STARTTLS", "TLS not available", "TLS no disponible"}
	temporary454     = wantExplanation{"code:454", "Temporary failure (authentication, TLS or policy)", "Fallo temporal (autenticación, TLS o política)"}
	connectionRefuse = wantExplanation{"command:554@greeting", "Connection refused", "Conexión rechazada"}
)

// Error.Explain over real replies (realReplies in parse_test.go, and the
// replies of classifyTests in predicates_test.go, quoted), after the
// commands that receive them.
func TestErrorExplain(t *testing.T) {
	type test struct {
		name string // a realReplies name, or "" when wire is given
		wire string
		cmd  string
		want wantExplanation
	}
	tests := []test{
		// 454: the command decides.
		{"ses throttling", "", "MAIL FROM", rateLimited},
		{"ses throttling", "", "", rateLimited},
		{"ses daily quota", "", "RCPT TO", rateLimited},
		{"", "454 4.7.0 Throttling failure: Maximum sending rate exceeded.\r\n", "MAIL FROM", rateLimited},
		{"", "454 4.7.0 Temporary authentication failure: Connection lost to authentication server\r\n", "AUTH", authTemporary},
		{"", "454 4.7.0 Temporary authentication failure\r\n", "", authTemporary},
		{"", "454 4.7.0 Invalid base64 data\r\n", "AUTH", authTemporary},
		{"", "454 4.7.0 TLS not available due to temporary reason\r\n", "STARTTLS", tlsNotAvailable},
		{"", "454 TLS not available due to temporary reason\r\n", "STARTTLS", tlsNotAvailable},
		{"", "454 4.3.0 Try again later\r\n", "VRFY", temporary454},
		// Postfix soft-bouncing a relay denial: a policy rejection,
		// transient or not.
		{"", "454 4.7.1 <x@elsewhere.test>: Relay access denied\r\n", "RCPT TO", policy471},

		// Greylisting and throttling: transient, whatever the enhanced code.
		{"greylisting 451", "", "RCPT TO", rateLimited},
		{"greylisting 451", "", "", rateLimited},
		{"postfix greylist", "", "RCPT TO", rateLimited},
		{"postgrey", "", "RCPT TO", rateLimited},
		{"m365 server busy", "", "MAIL FROM", rateLimited},
		{"yahoo deferred", "", "greeting", rateLimited},
		{"", "421 4.7.0 postfix.example.test Error: too many connections from 127.0.0.1\r\n", "greeting", rateLimited},
		{"gmail rate limited", "", "end of data", wantExplanation{"enhanced:X.7.28", "Mail flood detected", "Avalancha de correo detectada"}},
		{"", "450-4.2.1 The user you are trying to contact is receiving mail at a rate that\r\n450 4.2.1 message at a later point.\r\n", "RCPT TO",
			rateLimited},

		// 530 and friends: TLS or authentication.
		{"postfix TLS required", "", "MAIL FROM", tlsRequired},
		{"postfix auth required", "", "MAIL FROM", authRequired},
		{"gmail auth required", "", "MAIL FROM", authRequired},
		{"go-smtp auth required", "", "RCPT TO", authRequired},
		{"go-smtp library auth required (502)", "", "MAIL FROM", authRequired},
		{"m365 not authenticated", "", "MAIL FROM", authRequired},
		{"postfix bad password", "", "AUTH", credentialsX78},
		{"exim bad auth", "", "AUTH", credentials},
		{"m365 SMTP AUTH disabled", "", "AUTH", credentials},
		{"ses bad credentials", "", "AUTH", credentials},
		{"gmail app password", "", "AUTH", mechanismWeakX79},
		{"postfix auth aborted", "", "AUTH", wantExplanation{"code:501", "Syntax error in parameters", "Error de sintaxis en los parámetros"}},

		// Mailboxes and messages: a specific enhanced code first, then the
		// kind, then the code after this command.
		{"postfix unknown user", "", "RCPT TO", mailboxX11},
		{"gmail unknown user", "", "RCPT TO", mailboxX11},
		{"", "450 4.1.1 <nosuch@example.test>: Recipient address rejected: User unknown in virtual mailbox table\r\n", "RCPT TO", mailboxX11},
		{"", "553 5.1.8 <553-5.1.8@codes.test>: Sender address rejected: Synthetic reply 553 requested by test\r\n", "MAIL FROM",
			wantExplanation{"enhanced:X.1.8", "Bad sender system address", "Dirección de sistema del remitente incorrecta"}},
		{"exim unrouteable", "", "RCPT TO", mailboxUnavail},
		{"", "551 User not local; please try <bob@example.org>\r\n", "RCPT TO", mailboxUnavail},
		{"postfix mailbox full", "", "RCPT TO", mailboxFullX22},
		{"gmail mailbox full", "", "RCPT TO", mailboxFullX22},
		{"", "552 Mailbox is full\r\n", "RCPT TO", wantExplanation{"kind:mailbox-full", "Mailbox full", "Buzón lleno"}},
		{"postfix size", "", "MAIL FROM", wantExplanation{"enhanced:X.3.4", "Message too big for system", "Mensaje demasiado grande para el sistema"}},
		{"", "552 Message size exceeds maximum permitted\r\n", "MAIL FROM", messageTooLarge},
		{"", "552 Message size exceeds maximum permitted\r\n", "end of data", messageTooLarge},
		{"", "552 Too much mail data\r\n", "BDAT", messageTooLarge},
		{"postfix relay denied", "", "RCPT TO", policy571},
		{"outlook blocklist", "", "RCPT TO", policy571},
		{"", "550 5.7.1 Message content rejected by header check\r\n", "end of data", messageRefused},
		{"", "550 This violates SMTP\r\n", "DATA", messageRefused2},
		{"", "550-5.7.26 This mail is unauthenticated, which poses a security risk to the\r\n550 5.7.26 authenticate with at least one of SPF or DKIM.\r\n", "end of data",
			wantExplanation{"enhanced:X.7.26", "Multiple authentication checks failed", "Han fallado varias comprobaciones de autenticación"}},

		// Enhanced codes that describe the server, or that RFC 4954
		// defines for AUTH only, give way to what the reply means here.
		{"", "554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes\r\n", "end of data",
			policyRejection},
		{"", "554 5.7.9 Message not accepted for policy reasons.\r\n", "AUTH", mechanismWeakX79},
		{"", "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DB5EUR03FT000.eop-EUR03.prod.protection.outlook.com]\r\n", "RCPT TO", mailboxUnavail},
		{"", "421 4.3.2 Connection rate limit exceeded.\r\n", "greeting", rateLimited},
		{"", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup\r\n", "RCPT TO",
			mailboxUnavail},
		{"", "432 4.3.2 STOREDRV.Deliver; recipient thread limit exceeded\r\n", "end of data", rateLimited},
		{"", "421 4.4.5 Service unavailable, concurrency limit reached\r\n", "greeting", rateLimited},
		{"", "421 4.4.5 Server busy, try again later.\r\n", "MAIL FROM",
			wantExplanation{"enhanced:X.4.5", "Mail system congestion", "Congestión del sistema de correo"}},

		// The server, the connection, the session.
		{"postfix shutting down", "", "RCPT TO", wantExplanation{"enhanced:4.3.2", "System not accepting mail now", "El sistema no acepta correo por ahora"}},
		{"postfix postscreen", "", "greeting", wantExplanation{"enhanced:5.3.2", "System not accepting mail", "El sistema no acepta correo"}},
		{"postfix timeout", "", "", wantExplanation{"enhanced:X.4.2", "Bad connection", "Conexión defectuosa"}},
		{"smtp-sink 421", "", "DATA", serviceNotAvail},
		{"", "554 5.7.1 Connections on this port are refused\r\n", "greeting", connectionRefuse},
		{"", "554 5.7.1 Connections on this port are refused\r\n", "MAIL FROM", policy571},
		{"", "451 4.3.0 Temporary local problem, try again later\r\n", "RCPT TO", localError},
		{"exim multi-line 503", "", "DATA", wantExplanation{"code:503", "Bad sequence of commands", "Secuencia de comandos incorrecta"}},

		// Not failures: as Reply.Explain.
		{"postfix auth ok", "", "AUTH", wantExplanation{"code:235", "Authentication succeeded", "Autenticación correcta"}},
		{"postfix STARTTLS", "", "STARTTLS", wantExplanation{"code:220", "Service ready", "Servicio preparado"}},
	}
	for _, tt := range tests {
		var r Reply
		if tt.name != "" {
			r = realReply(t, tt.name)
		} else {
			var err error
			if r, err = Parse([]byte(tt.wire), nil); err != nil {
				t.Fatalf("Parse(%q): %v", tt.wire, err)
			}
		}
		e := &Error{Command: tt.cmd, Reply: r}
		for _, lang := range Languages() {
			x, key := lookup(lang).explainError(e)
			if key != tt.want.key {
				t.Errorf("(&Error{%q, %v}).Explain(%q) uses %s, want %s", tt.cmd, r, lang, key, tt.want.key)
			}
			title := map[string]string{"en": tt.want.en, "es": tt.want.es}[lang]
			if got := e.Explain(lang); got != x || got.Title != title {
				t.Errorf("(&Error{%q, %v}).Explain(%q).Title = %q, want %q", tt.cmd, r, lang, got.Title, title)
			}
			// Explanations written for both classes end with the note of
			// the reply's class.
			neutral := strings.HasPrefix(key, "enhanced:X.")
			for _, kn := range explainedKinds {
				if key == "kind:"+kn.name && kn.class == 0 {
					neutral = true
				}
			}
			if note := lookup(lang).notes[r.Code.Class()]; neutral != (note != "" && strings.HasSuffix(x.Fix, " "+note)) {
				t.Errorf("(&Error{%q, %v}).Explain(%q).Fix = %q; class note %q expected: %t", tt.cmd, r, lang, x.Fix, note, neutral)
			}
		}
	}
}

// Error.Explain of every real failure reply, after every command, is a
// complete explanation whose class note, if any, is the reply's.
func TestErrorExplainRealReplies(t *testing.T) {
	cmds := []string{"", "greeting", "EHLO", "STARTTLS", "AUTH", "MAIL FROM", "RCPT TO", "DATA", "end of data", "BDAT"}
	for _, rr := range realReplies {
		r := realReply(t, rr.name)
		for _, cmd := range cmds {
			e := &Error{Command: cmd, Reply: r}
			for _, lang := range Languages() {
				c := lookup(lang)
				x, key := c.explainError(e)
				what := "(&Error{" + strconv.Quote(cmd) + ", " + rr.name + "}).Explain(" + strconv.Quote(lang) + ") [" + key + "]"
				checkExplanation(t, what, x)
				k := e.kinds()
				for _, kn := range explainedKinds {
					if k&kn.k != 0 && kn.class != 0 && kn.class != r.Code.Class() {
						t.Errorf("%s: kind %s in class %d, want class %d only", what, kn.name, r.Code.Class(), kn.class)
					}
				}
				for _, cl := range []Class{ClassTransient, ClassPermanent} {
					if note := c.notes[cl]; cl != r.Code.Class() && strings.Contains(x.Fix, note) {
						t.Errorf("%s.Fix = %q, the note of class %d", what, x.Fix, cl)
					}
				}
			}
		}
	}
	var nilError *Error
	if got, want := nilError.Explain("en"), (Reply{}).Explain("en"); got != want {
		t.Errorf("(*Error)(nil).Explain(\"en\").Title = %q, want %q", got.Title, want.Title)
	}
}

// Every entry of the IANA registry (data/enhanced.tsv) and every reply
// code of RFC 5321, 3207, 4954, 7504 and 5248 has an explanation of its
// own in every language, in both failure classes.
func TestExplainEveryRegisteredCode(t *testing.T) {
	reg := registry()
	if len(reg.order) < 80 {
		t.Fatalf("registry has %d codes, want the 80 of the IANA registry", len(reg.order))
	}
	for _, k := range reg.order {
		for _, class := range []Class{ClassTransient, ClassPermanent} {
			e := EnhancedCode{Class: class, Subject: k.subject, Detail: k.detail}
			for _, lang := range Languages() {
				x, ok := ExplainEnhanced(e, lang)
				if !ok {
					t.Errorf("ExplainEnhanced(%v, %q) = _, false, want an explanation of its own", e, lang)
					continue
				}
				checkExplanation(t, "ExplainEnhanced("+e.String()+", "+lang+")", x)
			}
		}
	}
	rfcCodes := []Code{
		// RFC 5321 section 4.2.2 and 4.2.3.
		211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 455, 500, 501, 502, 503, 504,
		550, 551, 552, 553, 554, 555,
		// RFC 3207, RFC 4954, RFC 7504, RFC 5248.
		235, 334, 432, 454, 530, 534, 535, 538, 521, 556, 523, 525,
	}
	for _, code := range rfcCodes {
		for _, lang := range Languages() {
			if _, ok := Explain(code, lang); !ok {
				t.Errorf("Explain(%v, %q) = _, false, want an explanation", code, lang)
			}
		}
	}
}
