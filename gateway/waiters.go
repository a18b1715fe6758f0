package gateway

import (
	"sync"

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
