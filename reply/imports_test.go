package reply

import (
	"os/exec"
	"strings"
	"testing"
)

// forbiddenImport reports whether a pure codec must not depend on pkg:
// the network stack, TLS and process execution.
func forbiddenImport(pkg string) bool {
	return pkg == "net" || strings.HasPrefix(pkg, "net/") ||
		pkg == "crypto/tls" || pkg == "os/exec"
}

func TestForbiddenImport(t *testing.T) {
	for pkg, want := range map[string]bool{
		"net": true, "net/textproto": true, "net/http": true, "crypto/tls": true, "os/exec": true,
		"bufio": false, "network": false, "internal/net": false, "crypto/sha256": false, "os": false,
	} {
		if got := forbiddenImport(pkg); got != want {
			t.Errorf("forbiddenImport(%q) = %v, want %v", pkg, got, want)
		}
	}
}

// TestImports checks that package reply, with everything it depends on
// (tests excluded), imports no network package: it is a pure codec.
func TestImports(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("go command not found:", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 2 || deps[len(deps)-1] != "github.com/seed-e4e66a4f/smtp/reply" {
		t.Fatalf("go list -deps . = %q, want the dependencies of package reply", deps)
	}
	for _, pkg := range deps {
		if forbiddenImport(pkg) {
			t.Errorf("package reply depends on %q", pkg)
		}
	}
}
