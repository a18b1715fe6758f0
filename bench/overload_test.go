package bench

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sxgw/sxgw/translate"
)

// Overload: a core stand-in that burns overloadWork of CPU per MESSAGE
// caps sxgw at about 2 cores / overloadWork; the UA offers overloadRate,
// several times that, in 1 ms bursts.
const (
	overloadWork = 200 * time.Microsecond
	overloadRate = 30000 // MESSAGEs per second
)

// BenchmarkSIPEndpointOverload offers the SIP endpoint MESSAGEs over UDP
// faster than its core can take them and reports what became of them:
// answered 200, refused 503 (RFC 3261 §21.5.4), or lost (no final response
// once the endpoint is idle; the UA does not retransmit), and the datagrams
// the kernel dropped because sxgw's socket buffer was full. Shedding works
// when lost stays at 0: the overload is refused, not dropped.
func BenchmarkSIPEndpointOverload(b *testing.B) {
	in := &busyInbound{work: overloadWork}
	ep, dst := startSIPEndpoint(b, in)
	var ok, shed, other atomic.Int64
	ua := startUA(b, 16<<20, func(s int) {
		switch s {
		case 200:
			ok.Add(1)
		case 503:
			shed.Add(1)
		default:
			other.Add(1)
		}
	})
	local := ua.LocalAddr().(*net.UDPAddr)

	pkts := make([][]byte, b.N)
	for i := range pkts {
		pkts[i] = appendMessage(nil, local, i)
	}
	drops0 := udpDrops(b, int(dst.Port()))
	b.ResetTimer()
	burst := overloadRate / 1000
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for i := 0; i < b.N; {
		for j := 0; j < burst && i < b.N; j++ {
			if _, err := ua.WriteToUDPAddrPort(pkts[i], dst); err != nil {
				b.Fatal(err)
			}
			i++
		}
		<-tick.C
	}
	// Wait until the endpoint has worked through what it read, then for
	// the last answers to arrive.
	waitFor(b, "the endpoint to be idle", ep.Idle)
	waitFor(b, "the last answers", func() bool {
		n := ok.Load() + shed.Load() + other.Load()
		time.Sleep(100 * time.Millisecond)
		return ok.Load()+shed.Load()+other.Load() == n
	})
	b.StopTimer()
	if n := other.Load(); n > 0 {
		b.Fatalf("%d MESSAGEs got a final response other than 200 or 503", n)
	}
	pct := func(n int64) float64 { return 100 * float64(n) / float64(b.N) }
	b.ReportMetric(pct(ok.Load()), "%ok")
	b.ReportMetric(pct(shed.Load()), "%503")
	b.ReportMetric(pct(int64(b.N)-ok.Load()-shed.Load()), "%lost")
	b.ReportMetric(float64(udpDrops(b, int(dst.Port()))-drops0), "kernel-drops")
}

// busyInbound is a core stand-in that takes work of CPU per MESSAGE.
type busyInbound struct {
	acceptingInbound
	work time.Duration
}

func (c *busyInbound) SIPMessage(ctx context.Context, m translate.SIPMessage) error {
	for start := time.Now(); time.Since(start) < c.work; {
	}
	return c.acceptingInbound.SIPMessage(ctx, m)
}
