package gateway

import (
	"strings"
	"testing"

	"mellium.im/xmpp/jid"
)

// TestBareString checks bareString against jid.JID.Bare().String().
func TestBareString(t *testing.T) {
	long := strings.Repeat("a", 200)
	for _, s := range []string{"alice@xmpp.test/desk", "xmpp.test", "xmpp.test/r", "alice@xmpp.test", long + "@" + long + ".test/r"} {
		j := jid.MustParse(s)
		if got, want := bareString(j), j.Bare().String(); got != want {
			t.Errorf("bareString(%q) = %q, want %q", s, got, want)
		}
	}
	if got := bareString(jid.JID{}); got != "" {
		t.Errorf("bareString of the zero JID = %q", got)
	}
}
