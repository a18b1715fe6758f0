package dnsres

import (
	"container/list"
	"sync"
	"time"

	"github.com/miekg/dns"
)

const (
	// cacheSize bounds the number of cached answers; the least recently used goes first.
	cacheSize = 4096
	// maxPositiveTTL bounds how long an answer is kept, whatever its TTL says.
	maxPositiveTTL = time.Hour
	// maxNegativeTTL bounds how long NXDOMAIN/NODATA is kept (RFC 2308 §5 suggests a
	// cap; a gateway should pick up new records quickly).
	maxNegativeTTL = 5 * time.Minute
)

type cacheKey struct {
	name  string // canonical: lower case, fully qualified
	qtype uint16
}

type cacheEntry struct {
	key     cacheKey
	rrs     []dns.RR // nil for a negative answer; never modified once stored
	expires time.Time
}

// cache is a bounded LRU of answers that expire with their TTL. The stored records are
// shared and must be treated as read-only: lookups build fresh values from them.
type cache struct {
	now func() time.Time

	mu    sync.Mutex
	max   int
	order *list.List // front = most recently used; values are *cacheEntry
	index map[cacheKey]*list.Element
}

func newCache(max int, now func() time.Time) *cache {
	return &cache{now: now, max: max, order: list.New(), index: make(map[cacheKey]*list.Element)}
}

// get returns the cached records of key and how long they remain valid.
func (c *cache) get(key cacheKey) (rrs []dns.RR, remaining time.Duration, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.index[key]
	if !ok {
		return nil, 0, false
	}
	e := el.Value.(*cacheEntry)
	remaining = e.expires.Sub(c.now())
	if remaining <= 0 {
		c.order.Remove(el)
		delete(c.index, key)
		return nil, 0, false
	}
	c.order.MoveToFront(el)
	return e.rrs, remaining, true
}

// put stores rrs (nil for a negative answer) for ttl; a ttl of zero or less stores nothing
// (RFC 1035 §3.2.1: TTL 0 means use only for the transaction in progress).
func (c *cache) put(key cacheKey, rrs []dns.RR, ttl time.Duration) {
	if ttl <= 0 || c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &cacheEntry{key: key, rrs: rrs, expires: c.now().Add(ttl)}
	if el, ok := c.index[key]; ok {
		el.Value = e
		c.order.MoveToFront(el)
		return
	}
	for c.order.Len() >= c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.index, oldest.Value.(*cacheEntry).key)
	}
	c.index[key] = c.order.PushFront(e)
}

// len returns the number of entries, expired ones included.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// positiveTTL is the smallest TTL of the answer records (an RRset shares one TTL, RFC 2181
// §5.2; a CNAME chain is valid as long as its shortest link), capped.
func positiveTTL(answer []dns.RR) time.Duration {
	ttl := maxPositiveTTL
	for _, rr := range answer {
		ttl = min(ttl, time.Duration(rr.Header().Ttl)*time.Second)
	}
	return ttl
}

// negativeTTL is the lesser of the SOA's TTL and its MINIMUM field (RFC 2308 §5), capped.
// A negative answer without an SOA is not cached (RFC 2308 §5).
func negativeTTL(authority []dns.RR) time.Duration {
	for _, rr := range authority {
		if soa, ok := rr.(*dns.SOA); ok {
			ttl := time.Duration(min(soa.Hdr.Ttl, soa.Minttl)) * time.Second
			return min(ttl, maxNegativeTTL)
		}
	}
	return 0
}
