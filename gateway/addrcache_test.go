package gateway

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sxgw/sxgw/translate"
)

// The cache answers what translate.SIPToJID answers, for mapped and for
// refused URIs, before and after it starts a new generation.
func TestAddrCache(t *testing.T) {
	opts := translate.AddressOptions{LocalDomains: []string{"sip.test"}}
	c := newAddrCache(opts)
	uris := []string{
		"sip:alice@xmpp.test", "sip:Alice%20Smith@xmpp.test", "sip:bob@xmpp.test;gr=phone",
		"sips:alice@xmpp.test", "sip:carol@sip.test", "tel:+15551234", "sip:@",
	}
	for round := 0; round < 3; round++ {
		for _, u := range uris {
			want, wantErr := translate.SIPToJID(u, opts)
			got, err := c.jid(u)
			if (err == nil) != (wantErr == nil) || got.String() != want.String() {
				t.Errorf("round %d: jid(%q) = %v, %v; want %v, %v", round, u, got, err, want, wantErr)
			}
		}
	}
	// Past the bound the cache starts over and still answers right.
	for i := 0; i < addrCacheMax+10; i++ {
		u := fmt.Sprintf("sip:user%d@xmpp.test", i)
		j, err := c.jid(u)
		if err != nil || j.String() != fmt.Sprintf("user%d@xmpp.test", i) {
			t.Fatalf("jid(%q) = %v, %v", u, j, err)
		}
	}
	if n := c.gen.Load().n.Load(); n > addrCacheMax {
		t.Errorf("generation holds %d entries, bound %d", n, addrCacheMax)
	}
	if j, err := c.jid("sip:alice@xmpp.test"); err != nil || j.String() != "alice@xmpp.test" {
		t.Errorf("after rollover: %v, %v", j, err)
	}
	// A long URI is mapped but not remembered.
	long := "sip:" + strings.Repeat("a", addrCacheLongest) + "@xmpp.test"
	before := c.gen.Load().n.Load()
	if _, err := c.jid(long); err != nil {
		t.Fatal(err)
	}
	if _, kept := c.gen.Load().m.Load(long); kept || c.gen.Load().n.Load() != before {
		t.Error("a long URI was remembered")
	}
}
