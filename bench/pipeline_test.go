package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sxgw/sxgw/gateway"
	"github.com/sxgw/sxgw/internal/dnsres"
	"github.com/sxgw/sxgw/internal/dnstest"
	"github.com/sxgw/sxgw/sip"
	"github.com/sxgw/sxgw/xmpp"
)

// Domains of the pipeline benchmarks: sxgw serves sip.test, the Go s2s
// peer is xmpp.test.
const (
	sipDomain  = "sip.test"
	xmppDomain = "xmpp.test"
)

// benchErrorWait replaces the gateway's wait for an XMPP error before it
// answers a MESSAGE 200 (300 ms by default). The wait is an idle timer: the
// per-message work is the same, but a short one lets a benchmark keep few
// requests in flight instead of thousands.
const benchErrorWait = time.Microsecond

// pipeline is sxgw wired in process as cmd/sxgw wires it (SIP endpoint,
// core, s2s endpoint for sip.test), with a Go s2s server for xmpp.test on
// the XMPP side and a loopback DNS server tying them together.
type pipeline struct {
	dns     *dnstest.Server
	core    *gateway.Gateway
	ep      *sip.Endpoint
	gw      *xmpp.S2S
	peer    *xmpp.S2S
	sipAddr *net.UDPAddr
}

// newPipeline starts the pipeline; peer handles what sxgw sends to
// xmpp.test. Everything stops when the benchmark ends.
func newPipeline(b *testing.B, peer xmpp.Handler) *pipeline {
	b.Helper()
	ctx := context.Background()
	d, err := dnstest.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = d.Close() })
	d.SetTTL(60) // resolved once, as with a real resolver's cache
	res, err := dnsres.New(dnsres.Options{Server: d.Addr()})
	if err != nil {
		b.Fatal(err)
	}
	p := &pipeline{dns: d}
	p.core, err = gateway.New(gateway.Options{Domains: []string{sipDomain}, ErrorWait: benchErrorWait})
	if err != nil {
		b.Fatal(err)
	}
	p.ep, err = sip.New(sip.Options{
		Listen:       []string{"udp:127.0.0.1:0"},
		Domains:      []string{sipDomain},
		TrustedPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Resolver:     res,
	})
	if err != nil {
		b.Fatal(err)
	}
	p.ep.ServeMessages(p.core, sip.DefaultMaxMessageSize)
	if err := p.ep.Start(ctx); err != nil {
		b.Fatal(err)
	}
	p.sipAddr = p.ep.Addrs()[0].Addr.(*net.UDPAddr)
	p.gw = startS2S(b, d, res, sipDomain, xmpp.NewInboundHandler(p.core))
	p.core.Attach(p.gw, p.ep)
	p.peer = startS2S(b, d, res, xmppDomain, peer)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.peer.Close(ctx)
		_ = p.gw.Close(ctx)
		p.core.Close()
		_ = p.ep.Close()
	})
	return p
}

// startS2S starts an s2s endpoint for domain on a free port and publishes
// its SRV record.
func startS2S(b *testing.B, d *dnstest.Server, res xmpp.Resolver, domain string, h xmpp.Handler) *xmpp.S2S {
	b.Helper()
	s, err := xmpp.NewS2S(xmpp.Options{
		Domains: []string{domain}, Listen: "127.0.0.1:0",
		TLSConfig:      &tls.Config{Certificates: []tls.Certificate{selfSigned(b, domain)}, MinVersion: tls.VersionTLS12},
		DialbackSecret: "bench-secret-" + domain + "-0123456789", Resolver: res, Handler: h,
		QueueSize: 1 << 16, PingInterval: -1,
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	port := s.Addr().(*net.TCPAddr).Port
	d.AddSRV("_xmpp-server._tcp."+domain, "xmpp."+domain, uint16(port), 0, 0)
	d.AddA("xmpp."+domain, "127.0.0.1")
	return s
}

// appendMessage appends a SIP MESSAGE from carol@sip.test to
// alice@xmpp.test, with Call-ID and branch made from i, as a UA at from
// would send it.
func appendMessage(buf []byte, from *net.UDPAddr, i int) []byte {
	body := "Hello Alice, this is a typical short chat message."
	buf = append(buf, "MESSAGE sip:alice@xmpp.test SIP/2.0\r\nVia: SIP/2.0/UDP "...)
	buf = from.AddrPort().AppendTo(buf)
	buf = append(buf, ";branch=z9hG4bK-bench-"...)
	buf = strconv.AppendInt(buf, int64(i), 10)
	buf = append(buf, "\r\nFrom: <sip:carol@sip.test>;tag=bench\r\nTo: <sip:alice@xmpp.test>\r\nCall-ID: bench-"...)
	buf = strconv.AppendInt(buf, int64(i), 10)
	buf = append(buf, "\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Type: text/plain;charset=utf-8\r\nContent-Length: "...)
	buf = strconv.AppendInt(buf, int64(len(body)), 10)
	buf = append(buf, "\r\n\r\n"...)
	return append(buf, body...)
}

// statusOf returns the status code of a SIP response ("SIP/2.0 200 OK"),
// or 0.
func statusOf(b []byte) int {
	if len(b) < 12 || string(b[:8]) != "SIP/2.0 " {
		return 0
	}
	n := 0
	for _, c := range b[8:11] {
		if c < '0' || c > '9' {
			return 0
		}
		n = 10*n + int(c-'0')
	}
	return n
}

// udpDrops returns the datagrams the kernel dropped for the UDP socket
// bound to 127.0.0.1:port because its receive buffer was full (the drops
// column of /proc/net/udp).
func udpDrops(b *testing.B, port int) int64 {
	b.Helper()
	data, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		b.Fatal(err)
	}
	want := fmt.Sprintf("0100007F:%04X", port)
	var drops int64
	for _, l := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) >= 13 && f[1] == want {
			d, err := strconv.ParseInt(f[len(f)-1], 10, 64)
			if err != nil {
				b.Fatalf("/proc/net/udp: %q", l)
			}
			drops += d
		}
	}
	return drops
}
