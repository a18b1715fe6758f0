package sip

import (
	"sync"
	"sync/atomic"
)

// workerPool runs jobs on at most limit goroutines that outlive them, fed
// by a queue of at most queue jobs. A job goes to the queue when a worker
// waits on it, else to a new worker while fewer than limit run, else to
// the queue while it has room; otherwise it is refused. Workers, started
// as needed, stay until stop: there are few. Reusing goroutines keeps their grown stacks, which a
// goroutine per request pays to grow again every time; bounding them
// keeps the goroutine that reads the socket from queueing behind
// thousands of runnable workers when the process is short of CPU, so
// that it keeps reading (and refusing what it cannot serve) instead of
// letting the socket's buffer overflow.
type workerPool[J any] struct {
	jobs    chan J
	quit    chan struct{}
	wg      sync.WaitGroup
	running atomic.Int64
	waiting atomic.Int64 // workers blocked on jobs
	limit   int64
	run     func(J)
}

func newWorkerPool[J any](limit, queue int, run func(J)) *workerPool[J] {
	return &workerPool[J]{
		jobs:  make(chan J, queue),
		quit:  make(chan struct{}),
		limit: int64(limit),
		run:   run,
	}
}

// submit hands j to a worker or queues it; false when the workers are all
// busy and the queue is full (j was not taken). It must not be called
// once stop has begun.
func (p *workerPool[J]) submit(j J) bool {
	if p.waiting.Load() == 0 {
		if p.running.Add(1) <= p.limit {
			p.wg.Add(1)
			go p.work(j)
			return true
		}
		p.running.Add(-1)
	}
	select {
	case p.jobs <- j:
		return true
	default:
		return false
	}
}

func (p *workerPool[J]) work(j J) {
	defer p.wg.Done()
	defer p.running.Add(-1)
	for {
		p.run(j)
		// Take what is queued without the bookkeeping of a wait.
		select {
		case j = <-p.jobs:
			continue
		default:
		}
		p.waiting.Add(1)
		select {
		case j = <-p.jobs:
			p.waiting.Add(-1)
		case <-p.quit:
			p.waiting.Add(-1)
			return
		}
	}
}

// stop ends the waiting workers and waits for the busy ones to finish
// their job and what is queued.
func (p *workerPool[J]) stop() {
	close(p.quit)
	p.wg.Wait()
	// Jobs queued while the last workers quit: run them here.
	for {
		select {
		case j := <-p.jobs:
			p.run(j)
		default:
			return
		}
	}
}
