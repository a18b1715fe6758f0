package sip

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestFastPathShedsLateRequests: a MESSAGE that waited longer than
// fastMaxQueueDelay between its read and its processing gets 503 with
// Retry-After and never reaches the core; its retransmissions get the same
// 503 (RFC 3261 §17.2.2, §21.5.4). One that waited less is served.
func TestFastPathShedsLateRequests(t *testing.T) {
	e, reg := startEndpoint(t, Options{})
	core := newMsgCore()
	e.ServeMessages(core, 1024)
	p := newUDPPeer(t, addrOf(t, e, TransportUDP))
	// The responses of the jobs built here leave from a socket of their
	// own; retransmissions go through the endpoint's listener.
	out, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	src := netip.MustParseAddrPort(p.addr)

	cases := []struct {
		name  string
		wait  time.Duration
		code  int
		calls int64
	}{
		{"on time", 0, 200, 1},
		{"just under the bound", fastMaxQueueDelay - 10*time.Millisecond, 200, 1},
		{"late", fastMaxQueueDelay + 10*time.Millisecond, 503, 0},
		{"very late", 10 * time.Second, 503, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := core.calls.Load()
			req := p.messageRequest("", "text/plain", "hello")
			if !e.enter() {
				t.Fatal("endpoint closing")
			}
			e.serveFast(fastJob{data: req, src: src, conn: out, read: time.Now().Add(-c.wait)}, false)
			first := p.recv(3 * time.Second)
			if first == nil {
				t.Fatal("no response")
			}
			res := parseResponse(t, first)
			if res.StatusCode != c.code {
				t.Fatalf("got %d %s, want %d", res.StatusCode, res.Reason, c.code)
			}
			if ra, _ := header(res, "Retry-After"); (c.code == 503) != (ra != "") {
				t.Errorf("Retry-After = %q with %d", ra, c.code)
			}
			p.send(req)
			if again := p.recv(3 * time.Second); !bytes.Equal(again, first) {
				t.Fatalf("retransmission answered\n%s\nfirst answer\n%s", again, first)
			}
			if n := core.calls.Load() - before; n != c.calls {
				t.Errorf("the core got %d calls, want %d", n, c.calls)
			}
			drain(core.got)
		})
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var timed uint64
	for _, mf := range mfs {
		if mf.GetName() == "sxgw_sip_queue_delay_seconds" {
			timed = mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	// Every datagram is timed, retransmissions included.
	if timed != uint64(2*len(cases)) {
		t.Errorf("sxgw_sip_queue_delay_seconds counted %d datagrams, want %d", timed, 2*len(cases))
	}
}
