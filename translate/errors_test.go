package translate

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestErrorString(t *testing.T) {
	for _, tc := range []struct {
		e    *Error
		want string
	}{
		{FromSIPStatus(404, "Not Found"), "translate: item-not-found, SIP 404: Not Found"},
		{FromCondition(CondGone, ""), "translate: gone, SIP 410"},
		{addrError(ErrLoop, "", nil), "translate: address loops back to the gateway (not-acceptable, SIP 482)"},
		{addrError(ErrBadAddress, "invalid host", nil), "translate: malformed address: invalid host (jid-malformed, SIP 400)"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestErrorUnwrap(t *testing.T) {
	cause := errors.New("jid: boom")
	e := addrError(ErrUnmappable, "not a valid JID", cause)
	wrapped := fmt.Errorf("gateway: %w", e)
	if !errors.Is(wrapped, ErrUnmappable) || !errors.Is(wrapped, cause) {
		t.Fatalf("errors.Is fails through %v", wrapped)
	}
	if errors.Is(wrapped, ErrLoop) {
		t.Fatal("errors.Is matches the wrong sentinel")
	}
	var got *Error
	if !errors.As(wrapped, &got) || got != e {
		t.Fatal("errors.As does not find the *Error")
	}
	if FromSIPStatus(500, "").Unwrap() != nil {
		t.Fatal("a table error has a cause")
	}
}

func TestErrorReason(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	for _, tc := range []struct {
		status int
		text   string
		want   string
	}{
		{404, "", "Not Found"},
		{404, "No such user", "No such user"},
		{480, "line one\r\nline two", "line one line two"},
		{480, "  tabs\tstay\x00\x7f\u0085 ", "tabs stay"},
		{500, "\xff\xfe", "\uFFFD"},
		{603, " \r\n ", "Decline"},
		{500, long, strings.Repeat("é", 64)},
	} {
		e := &Error{SIPStatus: tc.status, Text: tc.text}
		got := e.Reason()
		if got != tc.want {
			t.Errorf("Reason(%d, %q) = %q, want %q", tc.status, tc.text, got, tc.want)
		}
		if strings.ContainsAny(got, "\r\n\x00") || len(got) > maxReasonLen {
			t.Errorf("Reason(%q) = %q is no Reason-Phrase", tc.text, got)
		}
	}
}

func TestErrorOf(t *testing.T) {
	if ErrorOf(nil) != nil {
		t.Fatal("ErrorOf(nil) != nil")
	}
	e := FromSIPStatus(486, "Busy Here")
	if ErrorOf(fmt.Errorf("x: %w", e)) != e {
		t.Fatal("ErrorOf does not find a wrapped *Error")
	}
	other := errors.New("io: broken")
	got := ErrorOf(other)
	if got.SIPStatus != 500 || got.Condition != CondInternalServerError || !errors.Is(got, other) {
		t.Fatalf("ErrorOf(plain) = %+v", got)
	}
}
