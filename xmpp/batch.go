package xmpp

import "time"

// Outbound write batching. Every write on a stream is a TLS record and a
// system call, and on the receiving server a read and a parse; at a few
// thousand stanzas a second, one write per stanza costs more than the
// stanzas. A stream's writer therefore sends what its queue holds in one
// write, and when the previous write was less than writeCoalesce ago (the
// stream is busy) it first waits out the rest of that interval so that
// the write carries everything that arrived meanwhile. An idle stream's
// stanza goes out at once; a busy one's waits at most writeCoalesce, well
// inside what a chat user notices, and the number of writes per second
// stays bounded by 1/writeCoalesce whatever the stanza rate.
const (
	writeCoalesce = time.Millisecond
	maxBatch      = 256 // stanzas per write
)

// batcher gathers queued stanzas into writes for one stream writer. It is
// used by that writer's goroutine only.
type batcher struct {
	batch []*Element
	last  time.Time // when the previous write ended
	timer *time.Timer
}

func newBatcher() *batcher {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &batcher{batch: make([]*Element, 0, maxBatch), timer: t}
}

// gather returns first and what queue holds, up to maxBatch stanzas,
// after waiting out the rest of the coalescing interval if the stream is
// busy. done cuts the wait short. The slice is reused by the next gather.
func (b *batcher) gather(first *Element, queue <-chan *Element, done <-chan struct{}) []*Element {
	if wait := writeCoalesce - time.Since(b.last); wait > 0 && len(queue) < maxBatch {
		b.timer.Reset(wait)
		select {
		case <-b.timer.C:
		case <-done:
			b.timer.Stop()
		}
	}
	b.batch = append(b.batch[:0], first)
	for len(b.batch) < maxBatch {
		select {
		case st := <-queue:
			b.batch = append(b.batch, st)
		default:
			return b.batch
		}
	}
	return b.batch
}

// wrote records the end of a write, which starts the next interval.
func (b *batcher) wrote() { b.last = time.Now() }

// stop releases the timer.
func (b *batcher) stop() { b.timer.Stop() }
