package reply

import (
	"fmt"
	"strings"
	"testing"
)

// allCodes lists every Code constant.
var allCodes = []Code{
	CodeSystemStatus, CodeHelpMessage, CodeServiceReady, CodeServiceClosing,
	CodeOK, CodeWillForward, CodeCannotVerify, CodeStartMailInput,
	CodeServiceNotAvailable, CodeMailboxBusy, CodeLocalError,
	CodeInsufficientStorage, CodeParamsNotAccommodated, CodeSyntaxError,
	CodeParamSyntaxError, CodeNotImplemented, CodeBadSequence,
	CodeParamNotImplemented, CodeMailboxUnavailable, CodeUserNotLocal,
	CodeExceededStorage, CodeMailboxNameInvalid, CodeTransactionFailed,
	CodeParamsNotRecognized, CodeAuthSucceeded, CodeAuthContinue,
	CodePasswordTransition, CodeTempAuthFailure, CodeAuthRequired,
	CodeMechanismTooWeak, CodeAuthCredentialsInvalid, CodeEncryptionRequired,
	CodeNoMailService, CodeEncryptionNeeded, CodeAccountDisabled, CodeDomainNoMail,
}

func TestCodeConstants(t *testing.T) {
	// The codes the RFCs define, by number: each must have a constant.
	want := []Code{
		211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 455, // RFC 5321
		500, 501, 502, 503, 504, 550, 551, 552, 553, 554, 555,
		235, 334, 432, 454, 530, 534, 535, 538, // RFC 4954
		521, 556, // RFC 7504
		523, 525, // RFC 5248
	}
	have := map[Code]bool{}
	for _, c := range allCodes {
		if have[c] {
			t.Errorf("code %d listed twice", c)
		}
		have[c] = true
		if !c.Valid() {
			t.Errorf("%#v.Valid() = false, want true", c)
		}
		if gs := c.GoString(); !strings.HasPrefix(gs, "reply.Code") || strings.Contains(gs, "(") {
			t.Errorf("Code(%d).GoString() = %q, want the constant's name", c, gs)
		}
	}
	for _, c := range want {
		if !have[c] {
			t.Errorf("no constant for code %d", c)
		}
	}
	if len(codeNames) != len(allCodes) {
		t.Errorf("codeNames has %d entries, want %d", len(codeNames), len(allCodes))
	}
}

func TestCodeValid(t *testing.T) {
	for c := Code(0); c < 1100; c++ {
		s := fmt.Sprintf("%03d", c)
		want := len(s) == 3 && s[0] >= '2' && s[0] <= '5' && s[1] <= '5'
		if got := c.Valid(); got != want {
			t.Errorf("Code(%d).Valid() = %v, want %v", c, got, want)
		}
		wantClass := Class(0)
		if want {
			wantClass = Class(s[0] - '0')
		}
		if got := c.Class(); got != wantClass {
			t.Errorf("Code(%d).Class() = %v, want %v", c, got, wantClass)
		}
	}
}

func TestCodeString(t *testing.T) {
	tests := []struct {
		c        Code
		str, gos string
	}{
		{CodeOK, "250", "reply.CodeOK"},
		{CodeAuthRequired, "530", "reply.CodeAuthRequired"},
		{CodeStartMailInput, "354", "reply.CodeStartMailInput"},
		{299, "299", "reply.Code(299)"},
		{0, "000", "reply.Code(0)"},
		{7, "007", "reply.Code(7)"},
		{1234, "1234", "reply.Code(1234)"},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.str {
			t.Errorf("Code(%d).String() = %q, want %q", uint16(tt.c), got, tt.str)
		}
		if got := fmt.Sprintf("%#v", tt.c); got != tt.gos {
			t.Errorf("Code(%d) %%#v = %q, want %q", uint16(tt.c), got, tt.gos)
		}
	}
}

func TestClass(t *testing.T) {
	tests := []struct {
		c     Class
		str   string
		valid bool
	}{
		{0, "Class(0)", false},
		{1, "Class(1)", false},
		{ClassSuccess, "success", true},
		{ClassIntermediate, "intermediate", true},
		{ClassTransient, "transient failure", true},
		{ClassPermanent, "permanent failure", true},
		{6, "Class(6)", false},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.str {
			t.Errorf("Class(%d).String() = %q, want %q", uint8(tt.c), got, tt.str)
		}
		if got := tt.c.Valid(); got != tt.valid {
			t.Errorf("Class(%d).Valid() = %v, want %v", uint8(tt.c), got, tt.valid)
		}
	}
}
