package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func output(t *testing.T, lang string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, run(&out, args, lang))
	return out.String()
}

func TestTwoCodesSideBySide(t *testing.T) {
	out := output(t, "en", "220", "530")
	assert.Contains(t, out, "220: Service ready\n")
	assert.Contains(t, out, "530: Authentication required\n")
	assert.Contains(t, out, "  kinds:           IsAuthRequired\n")
	assert.Contains(t, out, "  retry:           after authentication\n")
	// The comparison marks the rows that differ, and only those.
	assert.Regexp(t, `(?m)^\* class +2xx success +5xx permanent failure$`, out)
	assert.Regexp(t, `(?m)^\* kinds +none +IsAuthRequired$`, out)
	assert.Regexp(t, `(?m)^  enhanced +none +none$`, out)
}

func TestReplyLineReadsTheText(t *testing.T) {
	// 5.7.1 is "delivery not authorized", but the text says the mailbox
	// does not exist: the explanation follows the text.
	out := output(t, "en", "550 5.7.1 No such user!")
	assert.Contains(t, out, "IsMailboxUnavailable")
	assert.Contains(t, out, "  enhanced:        5.7.1 ")
	assert.NotContains(t, out, "IsPolicyRejection")
}

func TestSpanishAndEnhanced(t *testing.T) {
	out := output(t, "es", "421", "5.2.2")
	assert.Contains(t, out, "  reintento:       ")
	assert.Contains(t, out, "comparación (* = difieren)")
	assert.True(t, strings.HasPrefix(out, "421: "), out)
	assert.Contains(t, out, "5.2.2: ")
	assert.NotContains(t, output(t, "es", "5.2.2"), "comparación", "no comparison for one argument")
}

func TestBadInput(t *testing.T) {
	var out bytes.Buffer
	for _, args := range [][]string{{"999"}, {"9.9.9"}, {"hello"}, {"5.x.1"}} {
		assert.Error(t, run(&out, args, "en"), "%q", args)
	}
	assert.ErrorContains(t, run(&out, []string{"220"}, "fr"), "unknown language")
}
