package xmpp

import (
	"strings"
	"testing"

	"mellium.im/xmpp/jid"
)

// TestJIDStrings checks that jidStrings writes JIDs as jid.JID.String does.
func TestJIDStrings(t *testing.T) {
	long := strings.Repeat("a", 200)
	cases := [][2]string{
		{"juliet@example.com/balcony", "romeo@example.net"},
		{"example.com", "example.com/resource"},
		{"", "b@y.test"},
		{long + "@" + long + ".test/" + long, long + "@x.test"},
		{"alice\\40example.com@sip.example.org", "[::1]"},
	}
	for _, c := range cases {
		var a, b jid.JID
		if c[0] != "" {
			a = jid.MustParse(c[0])
		}
		b = jid.MustParse(c[1])
		gotA, gotB := jidStrings(a, b)
		if gotA != a.String() || gotB != b.String() {
			t.Errorf("jidStrings(%q, %q) = %q, %q, want %q, %q", c[0], c[1], gotA, gotB, a.String(), b.String())
		}
	}
}

// FuzzJIDStrings: for every JID mellium parses, jidStrings writes what
// jid.JID.String writes.
func FuzzJIDStrings(f *testing.F) {
	f.Add("juliet@example.com/balcony", "example.net")
	f.Add("a@b", "c@d/e@f/g")
	f.Fuzz(func(t *testing.T, s1, s2 string) {
		a, err1 := jid.Parse(s1)
		b, err2 := jid.Parse(s2)
		if err1 != nil || err2 != nil {
			return
		}
		if gotA, gotB := jidStrings(a, b); gotA != a.String() || gotB != b.String() {
			t.Fatalf("jidStrings(%q, %q) = %q, %q, want %q, %q", s1, s2, gotA, gotB, a.String(), b.String())
		}
	})
}
