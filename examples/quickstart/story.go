package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/reply"
)

// printer tells the story, one numbered step per reply, in English or
// Spanish. The explanations come from reply.Explain.
type printer struct {
	w    io.Writer
	lang string
	n    int
}

// words holds the program's own sentences; reply.Explain has the rest.
var words = map[string]map[string]string{
	"en": {
		"server":      "Embedded SMTP server on %s; it requires AUTH (user %q).\n",
		"on demand":   "The client has credentials and authenticates when the server asks (client.AuthOnDemand), so the server's 530 shows; by default (client.AuthEager) it authenticates before MAIL FROM.\n\n",
		"greeting":    "greeting",
		"AUTH":        "AUTH, sent by the client on its own",
		"end of data": "end of data",
		"class":       "class %dxx (%s)",
		"retry":       "retry: %s",
		"then auth":   "   -> the client authenticates by itself and sends the transaction again.\n",
		"then tls":    "   -> the client starts TLS and sends the transaction again.\n",
		"delivered":   "\nResult: %s.\n",
		"error":       "error: %v\n",
		"cleartext":   "Use -tls starttls or -tls implicit: the password must not travel in cleartext.\n",
	},
	"es": {
		"server":      "Servidor SMTP integrado en %s; exige AUTH (usuario %q).\n",
		"on demand":   "El cliente tiene credenciales y se autentica cuando el servidor lo pide (client.AuthOnDemand), así se ve el 530 del servidor; por omisión (client.AuthEager) se autentica antes de MAIL FROM.\n\n",
		"greeting":    "saludo",
		"AUTH":        "AUTH, enviado por el cliente por sí solo",
		"end of data": "fin de los datos",
		"class":       "clase %dxx (%s)",
		"retry":       "reintentar: %s",
		"then auth":   "   -> el cliente se autentica por sí solo y repite la transacción.\n",
		"then tls":    "   -> el cliente inicia TLS y repite la transacción.\n",
		"delivered":   "\nResultado: %s.\n",
		"error":       "error: %v\n",
		"cleartext":   "Use -tls starttls o -tls implicit: la contraseña no debe viajar sin cifrar.\n",
	},
}

// spanish translates the names that the library prints in English.
var spanish = map[string]string{
	"success": "éxito", "intermediate": "intermedia", "transient failure": "fallo temporal",
	"permanent failure": "fallo permanente", "never": "nunca", "after authentication": "tras autenticarse",
	"after STARTTLS": "tras STARTTLS", "on a new connection": "en una conexión nueva", "later": "más tarde",
	"delivered": "entregado", "partially delivered": "entregado en parte", "rejected": "rechazado",
	"unknown": "desconocido",
}

func (p *printer) word(key string) string {
	if t, ok := words[p.lang][key]; ok {
		return t
	}
	if t, ok := words["en"][key]; ok {
		return t
	}
	return key // a command name, such as "MAIL FROM"
}

// name translates a String() of the library.
func (p *printer) name(s fmt.Stringer) string {
	if t, ok := spanish[s.String()]; ok && p.lang == "es" {
		return t
	}
	return s.String()
}

func (p *printer) say(key string, args ...any) {
	for i, a := range args {
		if s, ok := a.(fmt.Stringer); ok {
			args[i] = p.name(s)
		}
	}
	fmt.Fprintf(p.w, p.word(key), args...)
}

// reply prints a step: what was answered, its class, and what it means.
func (p *printer) reply(what string, r reply.Reply, extra ...string) {
	p.n++
	fmt.Fprintf(p.w, "%d. %s: %s\n", p.n, p.word(what), r)
	line := fmt.Sprintf(p.word("class"), r.Class(), p.name(r.Class()))
	for _, e := range extra {
		line += ", " + e
	}
	x := r.Explain(p.lang)
	fmt.Fprintf(p.w, "   %s\n   %s: %s\n", line, x.Title, x.Meaning)
}

// refusal prints a refusal that Send overcame, with the predicates a
// program would use to decide what to do.
func (p *printer) refusal(err error) {
	re, ok := errors.AsType[*reply.Error](err)
	if !ok {
		return
	}
	retry := fmt.Sprintf(p.word("retry"), p.name(reply.RetryFor(err)))
	if reply.IsTLSRequired(err) {
		p.reply(re.Command, re.Reply, "reply.IsTLSRequired = true", retry)
		p.say("then tls")
		return
	}
	p.reply(re.Command, re.Reply, fmt.Sprintf("reply.IsAuthRequired = %t", reply.IsAuthRequired(err)), retry)
	p.say("then auth")
}

// failed prints err, and the server's reply with its explanation when
// there is one, and returns err.
func (p *printer) failed(err error) error {
	p.say("error", err)
	if re, ok := errors.AsType[*reply.Error](err); ok {
		p.reply(re.Command, re.Reply, fmt.Sprintf(p.word("retry"), p.name(reply.RetryFor(err))))
	}
	if te, ok := errors.AsType[*client.TLSError](err); ok && te.Reason == client.TLSReasonNotSecure {
		p.say("cleartext")
	}
	return err
}
