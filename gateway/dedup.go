package gateway

import (
	"hash/maphash"
	"sync"
	"time"
)

// dedup remembers recently handled keys for ttl, bounded to max keys:
// they expire in arrival order, and when the bound is reached the oldest
// go first, so the window shrinks evenly under load instead of losing
// fresh keys.
//
// A key is made of parts (a sender, a Call-ID, a CSeq) and remembered as
// a 64-bit hash of them under a seed of its own: at a quarter of a million
// keys in the window, the odds that a new key matches a remembered one
// are about 2^-46, and the window costs 16 bytes a key instead of the key
// strings.
type dedup struct {
	ttl  time.Duration
	max  int
	seed maphash.Seed

	mu    sync.Mutex
	seen  map[uint64]int64 // key -> when, Unix nanoseconds
	order []dedupEntry     // arrival order; head is order[head]
	head  int
}

type dedupEntry struct {
	key uint64
	at  int64
}

func newDedup(ttl time.Duration, max int) *dedup {
	return &dedup{ttl: ttl, max: max, seed: maphash.MakeSeed(), seen: make(map[uint64]int64)}
}

// key hashes parts, each ended by a NUL so that ("ab", "c") and ("a",
// "bc") differ.
func (d *dedup) key(parts ...string) uint64 {
	var h maphash.Hash
	h.SetSeed(d.seed)
	for _, p := range parts {
		h.WriteString(p)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// first reports whether the key made of parts is new, and remembers it.
func (d *dedup) first(now time.Time, parts ...string) bool {
	k := d.key(parts...)
	at, ttl := now.UnixNano(), int64(d.ttl)
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.head < len(d.order) {
		e := d.order[d.head]
		if at-e.at < ttl && len(d.seen) < d.max {
			break
		}
		if t, ok := d.seen[e.key]; ok && t == e.at {
			delete(d.seen, e.key)
		}
		d.order[d.head] = dedupEntry{}
		d.head++
	}
	if d.head > len(d.order)/2 && d.head > 1024 {
		d.order = append(d.order[:0], d.order[d.head:]...)
		d.head = 0
	}
	if t, ok := d.seen[k]; ok && at-t < ttl {
		return false
	}
	d.seen[k] = at
	d.order = append(d.order, dedupEntry{k, at})
	return true
}

// has reports whether the key made of parts was remembered within ttl.
func (d *dedup) has(now time.Time, parts ...string) bool {
	k := d.key(parts...)
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.seen[k]
	return ok && now.UnixNano()-t < int64(d.ttl)
}

// forget drops the key made of parts.
func (d *dedup) forget(parts ...string) {
	k := d.key(parts...)
	d.mu.Lock()
	delete(d.seen, k)
	d.mu.Unlock()
}
