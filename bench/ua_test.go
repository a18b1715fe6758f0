package bench

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/sxgw/sxgw/sip"
)

// startSIPEndpoint starts a SIP endpoint on a loopback UDP port serving
// MESSAGE to in, closed at the end of the benchmark, and returns it and
// its address.
func startSIPEndpoint(b *testing.B, in sip.Inbound) (*sip.Endpoint, netip.AddrPort) {
	b.Helper()
	ep, err := sip.New(sip.Options{
		Listen:       []string{"udp:127.0.0.1:0"},
		Domains:      []string{sipDomain},
		TrustedPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	})
	if err != nil {
		b.Fatal(err)
	}
	ep.ServeMessages(in, sip.DefaultMaxMessageSize)
	if err := ep.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ep.Close() })
	return ep, ep.Addrs()[0].Addr.(*net.UDPAddr).AddrPort()
}

// startUA opens a UDP socket for a sending UA with a receive buffer of
// readBuffer bytes and calls final with the status of every final
// response it receives (provisional ones are skipped), on a reader
// goroutine stopped at the end of the benchmark.
func startUA(b *testing.B, readBuffer int, final func(status int)) *net.UDPConn {
	b.Helper()
	ua, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	_ = ua.SetReadBuffer(readBuffer)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 64<<10)
		for {
			n, _, err := ua.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if s := statusOf(buf[:n]); s >= 200 {
				final(s)
			}
		}
	}()
	b.Cleanup(func() { ua.Close(); <-readDone })
	return ua
}

// windowed counts final responses, 200 in ok and the rest in other, and
// frees a slot of the sender's window for each.
func windowed(slots chan struct{}, ok, other *atomic.Int64) func(int) {
	return func(s int) {
		if s == 200 {
			ok.Add(1)
		} else {
			other.Add(1)
		}
		select {
		case <-slots:
		default:
		}
	}
}
