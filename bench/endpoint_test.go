package bench

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sxgw/sxgw/translate"
)

// endpointWindow is how many MESSAGEs BenchmarkSIPEndpointMessages keeps
// in flight: enough to keep the endpoint's reader and handlers busy on
// every core, far below what its socket buffer holds.
const endpointWindow = 64

// BenchmarkSIPEndpointMessages is the SIP side alone: real UDP MESSAGEs
// (RFC 3428) from a UA on loopback through sip.Endpoint's pipeline (parse,
// transaction, checks, ServeMessages' decoding) to an Inbound stub that
// accepts them, and the 200 back. An op is one MESSAGE answered 200 and
// handed to the stub once. cpu-µs/op is the process's user+system CPU per
// message, the UA's sends and receives (two syscalls per op) included.
func BenchmarkSIPEndpointMessages(b *testing.B) {
	in := &acceptingInbound{}
	_, dst := startSIPEndpoint(b, in)
	slots := make(chan struct{}, endpointWindow)
	var ok, other atomic.Int64
	ua := startUA(b, 4<<20, windowed(slots, &ok, &other))
	local := ua.LocalAddr().(*net.UDPAddr)

	// The datagrams are built before the clock starts: the UA's cost is
	// its two syscalls per message only.
	pkts := make([][]byte, b.N+1)
	for i := range pkts {
		pkts[i] = appendMessage(nil, local, i)
	}
	send := func(i int) {
		if _, err := ua.WriteToUDPAddrPort(pkts[i], dst); err != nil {
			b.Fatal(err)
		}
	}
	slots <- struct{}{}
	send(0)
	waitFor(b, "the warm-up response", func() bool { return ok.Load()+other.Load() == 1 })

	stall := time.NewTimer(stallTimeout)
	defer stall.Stop()
	cpu0 := processCPU(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		stall.Reset(stallTimeout)
		select {
		case slots <- struct{}{}:
		case <-stall.C:
			b.Fatalf("no response for %v after %d of %d messages (sxgw's socket dropped %d datagrams)", stallTimeout, i-1, b.N, udpDrops(b, int(dst.Port())))
		}
		send(i)
	}
	waitFor(b, "every response", func() bool { return ok.Load()+other.Load() == int64(b.N)+1 })
	b.StopTimer()
	cpu := processCPU(b) - cpu0
	if n := other.Load(); n > 0 {
		b.Fatalf("%d MESSAGEs got a final response other than 200", n)
	}
	if got := in.n.Load(); got != int64(b.N)+1 {
		b.Fatalf("the core got %d MESSAGEs, want %d", got, b.N+1)
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// processCPU is the CPU time (user and system) the process has used.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// acceptingInbound is the core's stand-in for BenchmarkSIPEndpointMessages:
// it accepts every MESSAGE and counts them; nothing else is used.
type acceptingInbound struct{ n atomic.Int64 }

func (a *acceptingInbound) SIPMessage(_ context.Context, m translate.SIPMessage) error {
	if len(m.Body) == 0 || m.CallID == "" {
		return errors.New("bench: empty MESSAGE")
	}
	a.n.Add(1)
	return nil
}

func (a *acceptingInbound) SIPSubscribe(context.Context, translate.SIPSubscribe) (int, func(), error) {
	return 0, nil, errUnused
}

func (a *acceptingInbound) SIPNotify(context.Context, translate.SIPNotify) error { return errUnused }

func (a *acceptingInbound) SIPInvite(context.Context, translate.SIPInvite, func(int)) ([]byte, error) {
	return nil, errUnused
}

func (a *acceptingInbound) SIPAck(context.Context, translate.SIPDialog) {}

func (a *acceptingInbound) SIPBye(context.Context, translate.SIPDialog) error { return errUnused }
