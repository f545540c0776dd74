package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testdata = "../../reply/dsn/testdata/sisimai"

// The example runs offline on the test data: one line per recipient, a
// skipped line for each message that is not a bounce.
func TestRunDirectory(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, nil, []string{testdata}, "en", false))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	files, err := filepath.Glob(filepath.Join(testdata, "*.eml"))
	require.NoError(t, err)
	assert.Greater(t, len(lines), len(files), "more recipients than files: some bounces name several")
	assert.Contains(t, lines, "lhost-exim-02.eml: sabatora@example.jp failed 5.2.1 kind=mailbox-unavailable retry=never suppress (best effort): Mailbox disabled")
	assert.Contains(t, lines, "lhost-gmail-17.eml: mikeneko@libsisimai.org delayed 4.0.0 kind=- retry=later (best effort): Local error in processing")
	assert.Contains(t, lines, "arf-01.eml: skipped: dsn: not a bounce: feedback report (RFC 5965)")
	for _, l := range lines {
		assert.Regexp(t, `^[^ ]+\.eml: `, l)
	}
}

func TestRunJSONStdin(t *testing.T) {
	msg, err := os.ReadFile(filepath.Join(testdata, "lhost-postfix-02.eml"))
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, run(&out, bytes.NewReader(msg), nil, "es", true))
	var got []Line
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var l Line
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), "%s", sc.Text())
		got = append(got, l)
	}
	require.Len(t, got, 2)
	assert.Equal(t, Line{File: "-", Format: "dsn", Address: "filtered@example.co.jp", Action: "failed", Status: "5.2.1",
		Reply: "550 5.2.1 <filtered@example.co.jp>... User Unknown", Command: "RCPT TO", Kinds: []string{"mailbox-unavailable"},
		Retry: "never", Suppress: true, Title: "Buzón desactivado"}, got[0])
	assert.Equal(t, "userunknown@example.co.jp", got[1].Address)
}

func TestRunErrors(t *testing.T) {
	var out bytes.Buffer
	assert.ErrorContains(t, run(&out, nil, []string{testdata}, "fr", false), "unknown language")
	assert.Error(t, run(&out, nil, []string{"no/such/file.eml"}, "en", false))
}
