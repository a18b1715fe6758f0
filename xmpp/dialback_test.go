package xmpp

import (
	"strings"
	"testing"
)

// The XEP-0220 examples (Example 2 and Example 9), which follow XEP-0185.
func TestDialbackKeyVectors(t *testing.T) {
	cases := []struct{ secret, recv, orig, id, want string }{
		{"s3cr3tf0rd14lb4ck", "montague.example", "capulet.example", "D60000229F",
			"b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3"},
		{"d14lb4ck43v3r", "capulet.example", "montague.example", "417GAF25",
			"225cc5aa6a071133249d25fef42ae516fc7a86c523aa1c6980a7f73e784c972d"},
	}
	for _, c := range cases {
		if got := dialbackKey(c.secret, c.recv, c.orig, c.id); got != c.want {
			t.Errorf("dialbackKey(%q,%q,%q,%q) = %s, want %s", c.secret, c.recv, c.orig, c.id, got, c.want)
		}
		if !checkDialbackKey(c.secret, c.recv, c.orig, c.id, " "+c.want+"\n") {
			t.Errorf("checkDialbackKey rejected the right key for %s", c.id)
		}
	}
}

func TestCheckDialbackKeyRejects(t *testing.T) {
	good := dialbackKey("s", "a.example", "b.example", "id1")
	bad := []struct{ secret, recv, orig, id, key string }{
		{"other", "a.example", "b.example", "id1", good},
		{"s", "b.example", "a.example", "id1", good},
		{"s", "a.example", "b.example", "id2", good},
		{"s", "a.example", "b.example", "", good},
		{"s", "a.example", "b.example", "id1", good[:10]},
		{"s", "a.example", "b.example", "id1", ""},
	}
	for i, c := range bad {
		if checkDialbackKey(c.secret, c.recv, c.orig, c.id, c.key) {
			t.Errorf("case %d: wrong key accepted", i)
		}
	}
}

func FuzzDialbackKey(f *testing.F) {
	f.Add("secret", "a.example", "b.example", "id", "deadbeef")
	f.Fuzz(func(t *testing.T, secret, recv, orig, id, key string) {
		k := dialbackKey(secret, recv, orig, id)
		if len(k) != 64 {
			t.Fatalf("key length %d", len(k))
		}
		if recv != "" && orig != "" && id != "" && !checkDialbackKey(secret, recv, orig, id, k) {
			t.Fatal("own key rejected")
		}
		accepted := checkDialbackKey(secret, recv, orig, id, key)
		if accepted != (recv != "" && orig != "" && id != "" && strings.ToLower(strings.TrimSpace(key)) == k) {
			t.Fatalf("key %q: accepted=%v", key, accepted)
		}
	})
}
