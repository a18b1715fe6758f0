package main

import (
	"slices"
	"sync"
	"time"
)

// recorder collects the arrivals of benchmark messages at their final
// recipient, per step. It is safe for concurrent use.
type recorder struct {
	mu    sync.Mutex
	steps map[int]*arrivals
	bad   int64 // arrivals whose body was not a benchmark body
}

// arrivals are the messages of one step that arrived.
type arrivals struct {
	seen      bitset
	latencies []int64 // microseconds, in arrival order
	dups      int64
	firstSent int64 // earliest send time seen, Unix µs
	lastSent  int64
	firstRecv int64 // earliest arrival, Unix µs
	lastRecv  int64
}

func newRecorder() *recorder { return &recorder{steps: make(map[int]*arrivals)} }

// add records that message n of step, sent at sentUS, arrived at recvUS
// (both Unix microseconds).
func (r *recorder) add(step, n int, sentUS, recvUS int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.steps[step]
	if a == nil {
		a = &arrivals{firstSent: sentUS, lastSent: sentUS, firstRecv: recvUS, lastRecv: recvUS}
		r.steps[step] = a
	}
	if !a.seen.set(n) {
		a.dups++
		return
	}
	a.latencies = append(a.latencies, recvUS-sentUS)
	a.firstSent = min(a.firstSent, sentUS)
	a.lastSent = max(a.lastSent, sentUS)
	a.firstRecv = min(a.firstRecv, recvUS)
	a.lastRecv = max(a.lastRecv, recvUS)
}

// addBad counts an arrival that could not be parsed.
func (r *recorder) addBad() {
	r.mu.Lock()
	r.bad++
	r.mu.Unlock()
}

// count returns how many distinct messages of step arrived.
func (r *recorder) count(step int) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a := r.steps[step]; a != nil {
		return int64(len(a.latencies))
	}
	return 0
}

// summary is what arrived in one step.
type summary struct {
	delivered int64
	dups      int64
	p50, p99  time.Duration
	max       time.Duration
	// sendSpan and recvSpan are the time between the first and the last
	// send, and the first and the last arrival, of what arrived.
	sendSpan, recvSpan time.Duration
}

// summarize returns the figures of step.
func (r *recorder) summarize(step int) summary {
	r.mu.Lock()
	a := r.steps[step]
	var lat []int64
	var s summary
	if a != nil {
		lat = slices.Clone(a.latencies)
		s.dups = a.dups
		s.sendSpan = time.Duration(a.lastSent-a.firstSent) * time.Microsecond
		s.recvSpan = time.Duration(a.lastRecv-a.firstRecv) * time.Microsecond
	}
	r.mu.Unlock()
	s.delivered = int64(len(lat))
	if len(lat) == 0 {
		return s
	}
	slices.Sort(lat)
	s.p50 = time.Duration(percentile(lat, 50)) * time.Microsecond
	s.p99 = time.Duration(percentile(lat, 99)) * time.Microsecond
	s.max = time.Duration(lat[len(lat)-1]) * time.Microsecond
	return s
}

// percentile returns the p-th percentile of sorted values (nearest rank).
func percentile(sorted []int64, p int) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// bitset is a growable set of small non-negative integers.
type bitset []uint64

// set adds n and reports whether it was absent. Negative n is never added.
func (b *bitset) set(n int) bool {
	if n < 0 {
		return false
	}
	w := n / 64
	if w >= len(*b) {
		*b = append(*b, make([]uint64, w-len(*b)+1)...)
	}
	bit := uint64(1) << (n % 64)
	if (*b)[w]&bit != 0 {
		return false
	}
	(*b)[w] |= bit
	return true
}
