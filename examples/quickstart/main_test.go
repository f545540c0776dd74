package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seed-e4e66a4f/smtp/client"
	"github.com/seed-e4e66a4f/smtp/internal/demo"
	"github.com/seed-e4e66a4f/smtp/reply"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestOfflineStory(t *testing.T) {
	tests := []struct {
		lang string
		want []string // regular expressions, in the order they must appear
	}{
		{"en", []string{
			`(?m)^Embedded SMTP server on 127\.0\.0\.1:\d+; it requires AUTH`,
			`(?m)^The client has credentials and authenticates when the server asks \(client\.AuthOnDemand\)`,
			`(?m)^1\. greeting: 220 `,
			`(?m)^   class 2xx \(success\)$`,
			`(?m)^   Service ready: `,
			`(?m)^2\. MAIL FROM: 530 5\.7\.0 Authentication required$`,
			`(?m)^   class 5xx \(permanent failure\), reply\.IsAuthRequired = true, retry: after authentication$`,
			`(?m)^   Authentication required: The server requires authentication`,
			`(?m)^   -> the client authenticates by itself and sends the transaction again\.$`,
			`(?m)^3\. AUTH, sent by the client on its own: 235 `,
			`(?m)^   Authentication succeeded: `,
			`(?m)^4\. end of data: 250 2\.0\.0 OK: queued as [0-9A-F]{10}$`,
			`(?m)^Result: delivered\.$`,
		}},
		{"es", []string{
			`(?m)^Servidor SMTP integrado en 127\.0\.0\.1:\d+; exige AUTH`,
			`(?m)^El cliente tiene credenciales y se autentica cuando el servidor lo pide \(client\.AuthOnDemand\)`,
			`(?m)^1\. saludo: 220 `,
			`(?m)^   clase 2xx \(éxito\)$`,
			`(?m)^   Servicio preparado: `,
			`(?m)^2\. MAIL FROM: 530 5\.7\.0 Authentication required$`,
			`(?m)^   clase 5xx \(fallo permanente\), reply\.IsAuthRequired = true, reintentar: tras autenticarse$`,
			`(?m)^   Se requiere autenticación: El servidor exige autenticación`,
			`(?m)^   -> el cliente se autentica por sí solo y repite la transacción\.$`,
			`(?m)^3\. AUTH, enviado por el cliente por sí solo: 235 `,
			`(?m)^   Autenticación correcta: `,
			`(?m)^4\. fin de los datos: 250 2\.0\.0 OK: queued as [0-9A-F]{10}$`,
			`(?m)^Resultado: entregado\.$`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			var out bytes.Buffer
			cfg := config{tls: "starttls", from: "learner@example.test", to: "friend@example.test", lang: tt.lang}
			if err := run(testCtx(t), &out, cfg); err != nil {
				t.Fatalf("run(%+v) = %v\n%s", cfg, err, out.String())
			}
			rest := out.String()
			for _, pat := range tt.want {
				loc := regexp.MustCompile(pat).FindStringIndex(rest)
				if loc == nil {
					t.Fatalf("output lacks %q after the previous lines:\n%s", pat, out.String())
				}
				rest = rest[loc[1]:]
			}
		})
	}
}

// With -addr the program refuses to send a password in cleartext unless
// the session is TLS: no exception for the embedded server either.
func TestRealServerModeRefusesCleartextPassword(t *testing.T) {
	srv, err := demo.Start(&demo.Options{User: demoUser, Password: demoPassword})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var out bytes.Buffer
	cfg := config{addr: srv.Addr(), user: demoUser, password: demoPassword, tls: "none",
		from: demoUser, to: "friend@example.test", lang: "en"}
	err = run(testCtx(t), &out, cfg)
	// The default AuthEager refuses before MAIL FROM: no 530 to see.
	if te, ok := errors.AsType[*client.TLSError](err); !ok || te.Reason != client.TLSReasonNotSecure || reply.IsAuthRequired(err) {
		t.Errorf("run(-tls none) = %v; want the TLS refusal, before any MAIL FROM", err)
	}
	if !strings.Contains(out.String(), "must not travel in cleartext") {
		t.Errorf("output does not explain the refusal:\n%s", out.String())
	}
	if strings.Contains(out.String(), demoPassword) {
		t.Errorf("output shows the password:\n%s", out.String())
	}
}
