package gateway

import (
	"sync"
	"time"

	"github.com/sxgw/sxgw/translate"
)

// waiters lets a SIP transaction wait for the XMPP error answering the
// stanza it produced (matched by the stanza's sender and id).
type waiters struct {
	mu sync.Mutex
	m  map[string]chan *translate.StanzaError
}

func newWaiters() *waiters { return &waiters{m: make(map[string]chan *translate.StanzaError)} }

func waitKey(sender, id string) string { return sender + "\x00" + id }

func (w *waiters) expect(sender, id string) chan *translate.StanzaError {
	ch := make(chan *translate.StanzaError, 1)
	w.mu.Lock()
	w.m[waitKey(sender, id)] = ch
	w.mu.Unlock()
	return ch
}

func (w *waiters) forget(sender, id string) {
	w.mu.Lock()
	delete(w.m, waitKey(sender, id))
	w.mu.Unlock()
}

// resolve hands an error to its waiter; false when nobody waits.
func (w *waiters) resolve(sender, id string, e *translate.StanzaError) bool {
	k := waitKey(sender, id)
	w.mu.Lock()
	ch, ok := w.m[k]
	delete(w.m, k)
	w.mu.Unlock()
	if ok {
		ch <- e
	}
	return ok
}

// dedup remembers recently handled request keys for a while, bounded.
type dedup struct {
	ttl time.Duration
	max int

	mu   sync.Mutex
	seen map[string]time.Time
}

func newDedup(ttl time.Duration, max int) *dedup {
	return &dedup{ttl: ttl, max: max, seen: make(map[string]time.Time)}
}

// first reports whether key is new, and remembers it.
func (d *dedup) first(key string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t, ok := d.seen[key]; ok && now.Sub(t) < d.ttl {
		return false
	}
	if len(d.seen) >= d.max {
		for k, t := range d.seen {
			if now.Sub(t) >= d.ttl {
				delete(d.seen, k)
			}
		}
		if len(d.seen) >= d.max {
			// Still full of fresh keys: forget an arbitrary half rather
			// than grow without bound.
			n := 0
			for k := range d.seen {
				if n >= d.max/2 {
					break
				}
				delete(d.seen, k)
				n++
			}
		}
	}
	d.seen[key] = now
	return true
}
