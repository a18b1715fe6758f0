package msrp

import (
	"math/bits"
	"sync"
)

// Buffer classes of a BufferPool: powers of two from 4 KiB to 16 MiB.
const (
	poolMinShift = 12
	poolClasses  = 13
)

// BufferPool recycles the body buffers of Readers. One pool is meant to be
// shared by all connections of a process (it is safe for concurrent use),
// so that an idle connection holds no body buffer: a Reader takes a buffer
// for each frame with a body and gives it back on its next Read or
// Release. Buffers larger than 16 MiB are not pooled.
type BufferPool struct {
	classes [poolClasses]sync.Pool
}

// NewBufferPool returns an empty pool.
func NewBufferPool() *BufferPool { return &BufferPool{} }

func poolClass(n int) int {
	if n <= 1<<poolMinShift {
		return 0
	}
	return bits.Len(uint(n-1)) - poolMinShift
}

// Get returns a buffer of length 0 and capacity at least n.
func (p *BufferPool) Get(n int) *[]byte {
	c := poolClass(n)
	if c >= poolClasses {
		b := make([]byte, 0, n)
		return &b
	}
	if v := p.classes[c].Get(); v != nil {
		bp := v.(*[]byte)
		*bp = (*bp)[:0]
		return bp
	}
	b := make([]byte, 0, 1<<(c+poolMinShift))
	return &b
}

// Put gives a buffer obtained from Get back to the pool. The caller must
// not use it afterwards.
func (p *BufferPool) Put(bp *[]byte) {
	if bp == nil {
		return
	}
	n := cap(*bp)
	c := poolClass(n)
	if c >= poolClasses || n != 1<<(c+poolMinShift) {
		return // not one of ours: let the GC have it
	}
	*bp = (*bp)[:0]
	p.classes[c].Put(bp)
}
