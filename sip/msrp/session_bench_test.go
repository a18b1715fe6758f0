package msrp

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Session benchmarks: two Endpoints over loopback TCP, figures reported
// as custom metrics (msgs/s, MB/s via SetBytes, B/session).

// sink is a Handler that counts the messages it gets.
type sink struct {
	mu   sync.Mutex
	n    int
	cond *sync.Cond
}

func newSink() *sink {
	s := &sink{}
	s.cond = sync.NewCond(&s.mu)
	return s
}

func (s *sink) MSRPMessage(*Session, *Message) {
	s.mu.Lock()
	s.n++
	s.cond.Broadcast()
	s.mu.Unlock()
}
func (s *sink) MSRPReport(*Session, *Message) {}
func (s *sink) MSRPClosed(*Session, error)    {}

func (s *sink) wait(n int) {
	s.mu.Lock()
	for s.n < n {
		s.cond.Wait()
	}
	s.mu.Unlock()
}

func benchPair(b *testing.B, o EndpointOptions) (*Session, *sink) {
	a := startEndpoint(b, o)
	z := startEndpoint(b, o)
	k := newSink()
	sa, sz := a.NewSession(nil, nil), z.NewSession(k, nil)
	connectPair(b, sa, sz, true)
	return sa, k
}

// BenchmarkSession100: 100-octet messages on one session, each Send
// waiting for its 200 (one round trip per message).
func BenchmarkSession100(b *testing.B) {
	sa, k := benchPair(b, EndpointOptions{})
	body := bytes.Repeat([]byte("x"), 100)
	ctx := context.Background()
	b.SetBytes(100)
	b.ReportAllocs()
	n := 0
	start := time.Now()
	for b.Loop() {
		if _, err := sa.Send(ctx, "text/plain", body, false, ""); err != nil {
			b.Fatal(err)
		}
		n++
	}
	k.wait(n)
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkSession100Parallel: the same with several goroutines sending
// on the one session at once (chunks pipelined on the connection).
func BenchmarkSession100Parallel(b *testing.B) {
	sa, k := benchPair(b, EndpointOptions{})
	body := bytes.Repeat([]byte("x"), 100)
	ctx := context.Background()
	b.SetBytes(100)
	b.ReportAllocs()
	b.SetParallelism(16)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := sa.Send(ctx, "text/plain", body, false, ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
	k.wait(b.N)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkSession1MiB: 1 MiB messages on one session, in 2048-octet
// chunks (the default) and in 64 KiB chunks.
func BenchmarkSession1MiB(b *testing.B) {
	for _, chunk := range []int{DefaultChunkSize, 64 << 10} {
		b.Run("chunk="+strconv.Itoa(chunk), func(b *testing.B) {
			sa, k := benchPair(b, EndpointOptions{ChunkSize: chunk, MaxMessage: 2 << 20})
			body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
			ctx := context.Background()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if _, err := sa.Send(ctx, "application/octet-stream", body, false, ""); err != nil {
					b.Fatal(err)
				}
				n++
			}
			k.wait(n)
		})
	}
}

// BenchmarkIdleSessions: the memory of idle, connected sessions (both
// endpoints' share, per session and side): all sessions to one peer
// share a connection, so this is the per-session cost. Run with
// -benchtime=1x.
func BenchmarkIdleSessions(b *testing.B) {
	const n = 10000
	a := startEndpoint(b, EndpointOptions{})
	z := startEndpoint(b, EndpointOptions{})
	before := heapAndStacks()
	sessions := make([]*Session, 0, 2*n)
	for range n {
		sa, sz := a.NewSession(nil, []string{"text/plain", "message/cpim"}), z.NewSession(nil, []string{"text/plain", "message/cpim"})
		connectPair(b, sa, sz, true)
		sessions = append(sessions, sa, sz)
	}
	after := heapAndStacks()
	b.ReportMetric(float64(after-before)/float64(2*n), "B/session")
	b.ReportMetric(a.counter(b, "sxgw_msrp_connections"), "conns")
	runtime.KeepAlive(sessions)
	for range b.N {
		// The figure is the measurement above.
	}
}

// BenchmarkIdleConnections: idle sessions each on its own connection
// (sessions from distinct peers), per session and side, connection
// included. Each peer authority is another loopback address.
func BenchmarkIdleConnections(b *testing.B) {
	const n = 2000
	a := startEndpoint(b, EndpointOptions{})
	// Every connection comes from 127.0.0.1: lift the per-address limit.
	z := startEndpoint(b, EndpointOptions{Listen: "0.0.0.0:0", Host: "127.0.0.1", MaxConnectionsPerIP: n})
	before := heapAndStacks()
	sessions := make([]*Session, 0, 2*n)
	for i := range n {
		sa, sz := a.NewSession(nil, nil), z.NewSession(nil, nil)
		remote := sz.LocalPath()
		remote[0].Host = fmt.Sprintf("127.1.%d.%d", i/250, 1+i%250)
		ctx := ctxT(b)
		errc := make(chan error, 1)
		go func() { errc <- sz.Connect(ctx, sa.LocalPath(), false) }()
		if err := sa.Connect(ctx, remote, true); err != nil {
			b.Fatal(err)
		}
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
		sessions = append(sessions, sa, sz)
	}
	after := heapAndStacks()
	b.ReportMetric(float64(after-before)/float64(2*n), "B/session")
	b.ReportMetric(a.counter(b, "sxgw_msrp_connections"), "conns")
	runtime.KeepAlive(sessions)
	for range b.N {
		// The figure is the measurement above.
	}
}

func heapAndStacks() uint64 {
	var ms runtime.MemStats
	for range 2 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc + ms.StackInuse
}
