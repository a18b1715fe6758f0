package dnsres

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestCacheExpiryAndLRU(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_000_000, 0)}
	c := newCache(3, clk.now)
	rr := []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "a.", Rrtype: dns.TypeA, Ttl: 10}}}
	k := func(i int) cacheKey { return cacheKey{name: fmt.Sprintf("n%d.", i), qtype: dns.TypeA} }

	c.put(k(0), rr, 10*time.Second)
	c.put(k(1), nil, 5*time.Second) // negative
	c.put(k(9), rr, 0)              // TTL 0: not stored
	if _, _, ok := c.get(k(9)); ok || c.len() != 2 {
		t.Fatalf("TTL 0 answer was cached (len %d)", c.len())
	}
	if got, rem, ok := c.get(k(1)); !ok || got != nil || rem != 5*time.Second {
		t.Fatalf("negative entry = %v %v %v", got, rem, ok)
	}
	clk.advance(6 * time.Second)
	if _, _, ok := c.get(k(1)); ok {
		t.Fatal("expired negative entry returned")
	}
	if _, rem, ok := c.get(k(0)); !ok || rem != 4*time.Second {
		t.Fatalf("positive entry: ok=%v remaining=%v, want 4s", ok, rem)
	}

	// LRU: k0 used most recently; k2, k3 added; k4 evicts the least recently used (k2).
	c.put(k(2), rr, time.Minute)
	c.put(k(3), rr, time.Minute)
	if _, _, ok := c.get(k(0)); !ok {
		t.Fatal("k0 missing")
	}
	c.put(k(4), rr, time.Minute)
	if c.len() != 3 {
		t.Fatalf("len = %d, want 3", c.len())
	}
	if _, _, ok := c.get(k(2)); ok {
		t.Error("least recently used entry not evicted")
	}
	for _, i := range []int{0, 3, 4} {
		if _, _, ok := c.get(k(i)); !ok {
			t.Errorf("entry %d evicted", i)
		}
	}
	// Replacing an entry keeps one entry.
	c.put(k(4), nil, time.Minute)
	if got, _, ok := c.get(k(4)); !ok || got != nil || c.len() != 3 {
		t.Errorf("replaced entry = %v %v, len %d", got, ok, c.len())
	}
}

func TestTTLs(t *testing.T) {
	a := func(ttl uint32) dns.RR { return &dns.A{Hdr: dns.RR_Header{Rrtype: dns.TypeA, Ttl: ttl}} }
	soa := func(ttl, minimum uint32) dns.RR {
		return &dns.SOA{Hdr: dns.RR_Header{Rrtype: dns.TypeSOA, Ttl: ttl}, Minttl: minimum}
	}
	if got := positiveTTL([]dns.RR{a(300), a(60)}); got != time.Minute {
		t.Errorf("positiveTTL = %v, want 1m", got)
	}
	if got := positiveTTL([]dns.RR{a(86400)}); got != maxPositiveTTL {
		t.Errorf("positiveTTL = %v, want cap %v", got, maxPositiveTTL)
	}
	tests := []struct {
		name string
		ns   []dns.RR
		want time.Duration
	}{
		{"no soa", nil, 0},
		{"minimum lower", []dns.RR{soa(120, 30)}, 30 * time.Second},
		{"soa ttl lower", []dns.RR{soa(20, 30)}, 20 * time.Second},
		{"capped", []dns.RR{soa(86400, 86400)}, maxNegativeTTL},
		{"not soa", []dns.RR{a(60)}, 0},
	}
	for _, tt := range tests {
		if got := negativeTTL(tt.ns); got != tt.want {
			t.Errorf("%s: negativeTTL = %v, want %v", tt.name, got, tt.want)
		}
	}
}
