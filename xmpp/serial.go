package xmpp

import (
	"context"
	"sync"
	"time"
)

// Ordered, non-blocking delivery of call signalling to the core.
//
// A stream's reading goroutine routes each stanza synchronously, so a slow
// core call would hold up every later stanza on the stream, whoever sent
// it. Jingle IQs (and XEP-0353 messages) are instead handed to a queue per
// sender: one goroutine per busy sender runs its jobs in arrival order
// (RFC 6120 §10.1 in-order processing, on which XEP-0176 §5.3 relies: a
// transport-info must not overtake its session-initiate), while other
// senders proceed. Jobs are bounded per sender and in all (which bounds
// the goroutines and the stanzas held); what does not fit is refused, so
// the sender gets an error instead of a silent delay.

// Bounds of the per-sender queues.
const (
	// maxQueuedPerSender bounds the jobs waiting behind a running one for
	// one sender (a burst of trickled transport-info IQs fits).
	maxQueuedPerSender = 64
	// maxSerialJobs bounds the jobs of all senders, running or waiting.
	maxSerialJobs = 1024
	// serialJobTimeout bounds one job: the context a job gets ends after
	// it. Peers give up on an IQ after about this long anyway.
	serialJobTimeout = 30 * time.Second
)

// serialQueues runs jobs in order per key, each key on its own goroutine
// while it has work.
type serialQueues struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu sync.Mutex
	// pending holds the waiting jobs of each busy key; a key is present
	// while its goroutine runs.
	pending map[string][]func(context.Context)
	// jobs counts the jobs running or waiting.
	jobs    int
	stopped bool
}

func newSerialQueues() *serialQueues {
	ctx, cancel := context.WithCancel(context.Background())
	return &serialQueues{ctx: ctx, cancel: cancel, pending: make(map[string][]func(context.Context))}
}

// submit runs job after the jobs already submitted under key. It returns
// false, without running job, when the key's queue or all jobs are at
// their bound, or after stop.
func (q *serialQueues) submit(key string, job func(context.Context)) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped || q.jobs >= maxSerialJobs {
		return false
	}
	if waiting, busy := q.pending[key]; busy {
		if len(waiting) >= maxQueuedPerSender {
			return false
		}
		q.pending[key] = append(waiting, job)
		q.jobs++
		return true
	}
	q.jobs++
	q.pending[key] = nil
	q.wg.Add(1)
	go q.run(key, job)
	return true
}

// run runs job, then the key's waiting jobs, until there are none.
func (q *serialQueues) run(key string, job func(context.Context)) {
	defer q.wg.Done()
	for {
		ctx, cancel := context.WithTimeout(q.ctx, serialJobTimeout)
		job(ctx)
		cancel()
		q.mu.Lock()
		q.jobs--
		waiting := q.pending[key]
		if len(waiting) == 0 {
			delete(q.pending, key)
			q.mu.Unlock()
			return
		}
		job = waiting[0]
		waiting[0] = nil
		q.pending[key] = waiting[1:]
		q.mu.Unlock()
	}
}

// stop refuses new jobs and cancels the context of running and waiting
// ones, which still run (and answer their senders) with it.
func (q *serialQueues) stop() {
	q.mu.Lock()
	q.stopped = true
	q.mu.Unlock()
	q.cancel()
}

// wait returns when every job has run; call it after stop.
func (q *serialQueues) wait() { q.wg.Wait() }
