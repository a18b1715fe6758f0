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

// dedup remembers recently handled keys for ttl, bounded to max keys:
// they expire in arrival order, and when the bound is reached the oldest
// go first, so the window shrinks evenly under load instead of losing
// fresh keys.
type dedup struct {
	ttl time.Duration
	max int

	mu    sync.Mutex
	seen  map[string]time.Time
	order []dedupEntry // arrival order; head is order[head]
	head  int
}

type dedupEntry struct {
	key string
	at  time.Time
}

func newDedup(ttl time.Duration, max int) *dedup {
	return &dedup{ttl: ttl, max: max, seen: make(map[string]time.Time)}
}

// first reports whether key is new, and remembers it.
func (d *dedup) first(key string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.head < len(d.order) {
		e := d.order[d.head]
		if now.Sub(e.at) < d.ttl && len(d.seen) < d.max {
			break
		}
		if t, ok := d.seen[e.key]; ok && t.Equal(e.at) {
			delete(d.seen, e.key)
		}
		d.order[d.head] = dedupEntry{}
		d.head++
	}
	if d.head > len(d.order)/2 && d.head > 1024 {
		d.order = append(d.order[:0], d.order[d.head:]...)
		d.head = 0
	}
	if t, ok := d.seen[key]; ok && now.Sub(t) < d.ttl {
		return false
	}
	d.seen[key] = now
	d.order = append(d.order, dedupEntry{key, now})
	return true
}

// has reports whether key was remembered within ttl.
func (d *dedup) has(key string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.seen[key]
	return ok && now.Sub(t) < d.ttl
}

// forget drops key.
func (d *dedup) forget(key string) {
	d.mu.Lock()
	delete(d.seen, key)
	d.mu.Unlock()
}
