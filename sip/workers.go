package sip

import (
	"sync"
	"sync/atomic"
	"time"
)

// workerPool runs jobs on goroutines that outlive them: a job goes to an
// idle worker if one waits, else to a new worker while fewer than limit
// run. A worker idle for idle exits. Reusing goroutines keeps their grown
// stacks, which a goroutine per request pays to grow again every time.
type workerPool[J any] struct {
	jobs    chan J // unbuffered: a send succeeds only into an idle worker
	quit    chan struct{}
	wg      sync.WaitGroup
	running atomic.Int64
	limit   int64
	idle    time.Duration
	run     func(J)
}

func newWorkerPool[J any](limit int, idle time.Duration, run func(J)) *workerPool[J] {
	return &workerPool[J]{
		jobs:  make(chan J),
		quit:  make(chan struct{}),
		limit: int64(limit),
		idle:  idle,
		run:   run,
	}
}

// submit hands j to a worker; false when limit workers are all busy (j
// was not taken). It must not be called once stop has begun.
func (p *workerPool[J]) submit(j J) bool {
	select {
	case p.jobs <- j:
		return true
	default:
	}
	if p.running.Add(1) > p.limit {
		p.running.Add(-1)
		return false
	}
	p.wg.Add(1)
	go p.work(j)
	return true
}

func (p *workerPool[J]) work(j J) {
	defer p.wg.Done()
	defer p.running.Add(-1)
	idle := time.NewTimer(p.idle)
	defer idle.Stop()
	for {
		p.run(j)
		idle.Reset(p.idle)
		select {
		case j = <-p.jobs:
		case <-idle.C:
			return
		case <-p.quit:
			return
		}
	}
}

// stop ends the idle workers and waits for the busy ones to finish their
// job.
func (p *workerPool[J]) stop() {
	close(p.quit)
	p.wg.Wait()
}
