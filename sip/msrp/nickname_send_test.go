package msrp

import (
	"slices"
	"testing"
)

// TestSetNickname: a participant's NICKNAME reaches the switch's
// handler and its answer comes back (RFC 7701 §7.1, §9.2): 200, 425 for a
// nickname in use, 403 when refused.
func TestSetNickname(t *testing.T) {
	leakCheck(t)
	a := startEndpoint(t, EndpointOptions{})
	b := startEndpoint(t, EndpointOptions{})
	sa := a.NewSession(newRecorder(), []string{"message/cpim"})
	hr := &roomRecorder{recorder: newRecorder()}
	sb := b.NewSession(hr, []string{"message/cpim"})
	connectPair(t, sa, sb, true)
	for _, tc := range []struct {
		nick string
		code int
	}{
		{"Alice the great", 0},
		{"taken", StatusNicknameInUse},
		{"admin", StatusForbidden},
	} {
		err := sa.SetNickname(ctxT(t), tc.nick)
		if got := statusCode(err); got != tc.code || (tc.code == 0 && err != nil) {
			t.Errorf("SetNickname(%q) = %v, want status %d", tc.nick, err, tc.code)
		}
	}
	if got := hr.seen(); !slices.Equal(got, []string{"Alice the great", "taken", "admin"}) {
		t.Fatalf("the switch saw %q", got)
	}
	// A message after the nickname still flows.
	if _, err := sa.Send(ctxT(t), "message/cpim", []byte("x"), false, ""); err != nil {
		t.Fatal(err)
	}
	hr.message(t)
}
