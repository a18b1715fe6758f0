package gateway

import (
	"errors"
	"sync"
)

// errQueueFull reports a conversation whose queue is at its bound.
var errQueueFull = errors.New("gateway: conversation queue full")

// ordered runs jobs one at a time per key (a conversation: a sender and a
// recipient), in submission order, with a bounded backlog per key. A key's
// worker exits when its queue runs dry, so idle conversations cost nothing.
type ordered struct {
	limit int

	mu     sync.Mutex
	queues map[string]*convQueue
	wg     sync.WaitGroup
	closed bool
}

type convQueue struct {
	jobs []func()
}

func newOrdered(limit int) *ordered {
	return &ordered{limit: limit, queues: make(map[string]*convQueue)}
}

// submit queues job for key; it fails when the key's backlog is full or
// the queue is closed.
func (o *ordered) submit(key string, job func()) error {
	return o.enqueue(key, job, false)
}

// submitForce queues job even when key's backlog is full: for work that
// must not be lost (an occupant leaving must be announced, or every
// roster keeps a ghost). Callers bound how often they use it.
func (o *ordered) submitForce(key string, job func()) error {
	return o.enqueue(key, job, true)
}

func (o *ordered) enqueue(key string, job func(), force bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return errClosed
	}
	q := o.queues[key]
	if q == nil {
		q = &convQueue{}
		o.queues[key] = q
		o.wg.Add(1)
		go o.work(key, q, job)
		return nil
	}
	if len(q.jobs) >= o.limit && !force {
		return errQueueFull
	}
	q.jobs = append(q.jobs, job)
	return nil
}

func (o *ordered) work(key string, q *convQueue, job func()) {
	defer o.wg.Done()
	for {
		job()
		o.mu.Lock()
		if len(q.jobs) == 0 {
			delete(o.queues, key)
			o.mu.Unlock()
			return
		}
		job = q.jobs[0]
		q.jobs[0] = nil
		q.jobs = q.jobs[1:]
		o.mu.Unlock()
	}
}

// active returns the number of conversations with work in flight.
func (o *ordered) active() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.queues)
}

// close refuses new jobs and waits for the queued ones.
func (o *ordered) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	o.wg.Wait()
}
