package gateway

import (
	"context"
	"runtime"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sxgw/sxgw/translate"
)

// BenchmarkSubscriptionMemory reports the heap held per active SIP
// watcher subscription, with 10,000 of them (the target is under
// 8 KiB each).
func BenchmarkSubscriptionMemory(b *testing.B) {
	const n = 10000
	for range b.N {
		g, err := New(Options{Domains: []string{"sip.test"}, Registerer: prometheus.NewRegistry()})
		if err != nil {
			b.Fatal(err)
		}
		g.Attach(newFakeXMPP(), newFakeSIP())
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range n {
			s := newWatch()
			s.RequestURI = "sip:user" + strconv.Itoa(i) + "@xmpp.test"
			s.Dialog.CallID = "call-" + strconv.Itoa(i) + "@client.example"
			s.Dialog.LocalTag = newTag()
			s.Dialog.RemoteTarget = "sip:carol@192.0.2.7:5060;transport=tcp"
			s.Dialog.RouteSet = []string{"sip:proxy.sip.test;lr"}
			if _, _, err := g.SIPSubscribe(context.Background(), s); err != nil {
				b.Fatal(err)
			}
			_ = g.XMPPPresence(context.Background(), translate.XMPPPresence{From: jidOf(b, "user"+strconv.Itoa(i)+"@xmpp.test/phone"), To: carolBare, Status: "Available"})
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/subscription")
		runtime.KeepAlive(g)
		g.Close()
	}
}
