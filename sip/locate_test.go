package sip

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"
	"github.com/sxgw/sxgw/internal/dnsres"
	"github.com/sxgw/sxgw/internal/dnstest"
)

// startDNS runs a test DNS server and returns it with a resolver asking it.
func startDNS(t *testing.T) (*dnstest.Server, *dnsres.Resolver) {
	t.Helper()
	srv, err := dnstest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	res, err := dnsres.New(dnsres.Options{Server: srv.Addr(), Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return srv, res
}

func mustURI(t testing.TB, s string) sipgosip.Uri {
	t.Helper()
	var u sipgosip.Uri
	if err := sipgosip.ParseUri(s, &u); err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return u
}

func tg(transport, addr, host string) Target {
	return Target{Transport: transport, Addr: netip.MustParseAddrPort(addr), Host: host}
}

func TestLocate(t *testing.T) {
	dns, res := startDNS(t)
	// Port given: NAPTR and SRV must not be consulted.
	dns.AddA("host.test", "192.0.2.10")
	dns.AddNAPTR("host.test", 10, 10, "s", "SIP+D2T", "", "_sip._tcp.host.test")
	dns.AddSRV("_sip._tcp.host.test", "other.test", 5999, 10, 10)
	dns.AddSRV("_sip._udp.host.test", "other.test", 5999, 10, 10)
	dns.AddA("other.test", "192.0.2.99")

	// Transport parameter: SRV of that transport, NAPTR skipped.
	dns.AddNAPTR("srv.test", 10, 10, "s", "SIP+D2U", "", "_sip._udp.srv.test")
	dns.AddSRV("_sip._udp.srv.test", "other.test", 5999, 10, 10)
	dns.AddSRV("_sip._tcp.srv.test", "b.srv.test", 5072, 20, 10)
	dns.AddSRV("_sip._tcp.srv.test", "a.srv.test", 5071, 10, 10)
	dns.AddA("a.srv.test", "192.0.2.21")
	dns.AddA("a.srv.test", "2001:db8::21")
	dns.AddA("b.srv.test", "192.0.2.22")

	// Transport parameter without SRV: A on the transport's default port.
	dns.AddA("plain.test", "192.0.2.30")

	// SRV saying "not available": no A fallback.
	dns.AddSRV("_sip._tcp.dot.test", ".", 0, 0, 0)
	dns.AddA("dot.test", "192.0.2.31")

	// NAPTR: order, unsupported services and non-terminal flags skipped,
	// SIPS only for sips:.
	dns.AddNAPTR("naptr.test", 20, 10, "s", "SIP+D2U", "", "_sip._udp.naptr.test")
	dns.AddNAPTR("naptr.test", 10, 10, "s", "SIP+D2T", "", "_sip._tcp.naptr.test")
	dns.AddNAPTR("naptr.test", 5, 10, "s", "SIP+D2S", "", "_sip._sctp.naptr.test")
	dns.AddNAPTR("naptr.test", 6, 10, "", "SIP+D2T", "", "_sip._tcp.wrong.test")
	dns.AddNAPTR("naptr.test", 30, 10, "S", "SIPS+D2T", "", "_sips._tcp.naptr.test")
	dns.AddSRV("_sip._udp.naptr.test", "u.naptr.test", 5160, 10, 10)
	dns.AddSRV("_sip._tcp.naptr.test", "t.naptr.test", 5260, 10, 10)
	dns.AddSRV("_sips._tcp.naptr.test", "t.naptr.test", 5261, 10, 10)
	dns.AddSRV("_sip._sctp.naptr.test", "t.naptr.test", 5360, 10, 10)
	dns.AddSRV("_sip._tcp.wrong.test", "other.test", 5999, 10, 10)
	dns.AddA("u.naptr.test", "192.0.2.41")
	dns.AddA("t.naptr.test", "192.0.2.42")

	// NAPTR pointing at a name without SRV: fall back to the host's SRV.
	dns.AddNAPTR("broken.test", 10, 10, "s", "SIP+D2T", "", "_sip._tcp.missing.test")
	dns.AddSRV("_sip._udp.broken.test", "u.naptr.test", 5170, 10, 10)

	// No NAPTR: SRV of every transport, UDP, TCP, TLS.
	dns.AddSRV("_sip._tcp.srvonly.test", "t.naptr.test", 5062, 10, 10)
	dns.AddSRV("_sips._tcp.srvonly.test", "t.naptr.test", 5063, 10, 10)

	// No NAPTR, no SRV: A/AAAA on 5060 (sip:) or 5061 (sips:).
	dns.AddA("aonly.test", "192.0.2.50")
	dns.AddA("aonly.test", "2001:db8::50")

	e, err := New(Options{Resolver: res})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	cases := []struct {
		uri  string
		want []Target
		err  error
	}{
		{"sip:alice@192.0.2.1", []Target{tg("udp", "192.0.2.1:5060", "192.0.2.1")}, nil},
		{"sips:alice@192.0.2.1", []Target{tg("tls", "192.0.2.1:5061", "192.0.2.1")}, nil},
		{"sip:[2001:db8::1]:5070;transport=TCP", []Target{tg("tcp", "[2001:db8::1]:5070", "2001:db8::1")}, nil},
		{"sip:192.0.2.1;transport=ws", []Target{tg("ws", "192.0.2.1:80", "192.0.2.1")}, nil},
		{"sips:192.0.2.1;transport=tcp", []Target{tg("tls", "192.0.2.1:5061", "192.0.2.1")}, nil},
		{"sip:alice@x.test;maddr=192.0.2.7", []Target{tg("udp", "192.0.2.7:5060", "x.test")}, nil},
		{"sip:alice@host.test:5080", []Target{tg("udp", "192.0.2.10:5080", "host.test")}, nil},
		{"sip:alice@host.test:5080;transport=tcp", []Target{tg("tcp", "192.0.2.10:5080", "host.test")}, nil},
		{"sips:alice@host.test:5081", []Target{tg("tls", "192.0.2.10:5081", "host.test")}, nil},
		{"sip:alice@srv.test;transport=tcp", []Target{
			tg("tcp", "192.0.2.21:5071", "srv.test"), tg("tcp", "[2001:db8::21]:5071", "srv.test"),
			tg("tcp", "192.0.2.22:5072", "srv.test"),
		}, nil},
		{"sip:alice@plain.test;transport=tcp", []Target{tg("tcp", "192.0.2.30:5060", "plain.test")}, nil},
		{"sip:alice@plain.test;transport=tls", []Target{tg("tls", "192.0.2.30:5061", "plain.test")}, nil},
		{"sip:alice@dot.test;transport=tcp", nil, ErrNoTargets},
		{"sip:alice@NAPTR.test", []Target{tg("tcp", "192.0.2.42:5260", "naptr.test"), tg("udp", "192.0.2.41:5160", "naptr.test"), tg("tls", "192.0.2.42:5261", "naptr.test")}, nil},
		{"sips:alice@naptr.test", []Target{tg("tls", "192.0.2.42:5261", "naptr.test")}, nil},
		{"sip:alice@broken.test", []Target{tg("udp", "192.0.2.41:5170", "broken.test")}, nil},
		{"sip:alice@srvonly.test", []Target{tg("tcp", "192.0.2.42:5062", "srvonly.test"), tg("tls", "192.0.2.42:5063", "srvonly.test")}, nil},
		{"sips:alice@srvonly.test", []Target{tg("tls", "192.0.2.42:5063", "srvonly.test")}, nil},
		{"sip:alice@aonly.test", []Target{tg("udp", "192.0.2.50:5060", "aonly.test"), tg("udp", "[2001:db8::50]:5060", "aonly.test")}, nil},
		{"sips:alice@aonly.test", []Target{tg("tls", "192.0.2.50:5061", "aonly.test"), tg("tls", "[2001:db8::50]:5061", "aonly.test")}, nil},
		{"sip:alice@nowhere.test", nil, ErrNoTargets},
		{"sips:alice@aonly.test;transport=udp", nil, ErrUnsupportedURI},
		{"sip:alice@aonly.test;transport=sctp", nil, ErrUnsupportedURI},
		{"tel:+15551234567", nil, ErrUnsupportedURI},
	}
	for _, c := range cases {
		t.Run(c.uri, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			got, err := e.Locate(ctx, mustURI(t, c.uri))
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("got  %v\nwant %v", got, c.want)
			}
		})
	}
}

func TestLocateWithoutResolver(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	if got, err := e.Locate(ctx, mustURI(t, "sip:192.0.2.1:5099;transport=tcp")); err != nil || len(got) != 1 || got[0] != tg("tcp", "192.0.2.1:5099", "192.0.2.1") {
		t.Errorf("numeric: %v, %v", got, err)
	}
	if _, err := e.Locate(ctx, mustURI(t, "sip:example.test")); !errors.Is(err, ErrNoResolver) {
		t.Errorf("name: err = %v, want ErrNoResolver", err)
	}
}

func TestLocateDNSFailure(t *testing.T) {
	// A DNS server that does not answer: a closed UDP port on loopback.
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	_ = pc.Close()
	res, err := dnsres.New(dnsres.Options{Server: addr, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Options{Resolver: res})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = e.Locate(ctx, mustURI(t, "sip:alice@example.test"))
	if err == nil || errors.Is(err, ErrNoTargets) {
		t.Fatalf("err = %v, want a DNS failure", err)
	}
}
