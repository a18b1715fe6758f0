package dnsres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/sxgw/sxgw/internal/dnstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func startDNS(t *testing.T) *dnstest.Server {
	t.Helper()
	s, err := dnstest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newResolver returns a resolver on server with a fake clock and its own registry.
func newResolver(t *testing.T, server string) (*Resolver, *fakeClock, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	r, err := New(Options{Server: server, Timeout: 2 * time.Second, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{t: time.Unix(1_000_000, 0)}
	r.cache.now = clk.now
	return r, clk, reg
}

// startHandler serves h on a UDP and a TCP socket of one loopback port.
func startHandler(t *testing.T, h dns.HandlerFunc) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		_ = pc.Close()
		t.Fatal(err)
	}
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: l, Handler: h}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = srv.ActivateAndServe()
		}()
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("test server did not start")
		}
		t.Cleanup(func() {
			_ = srv.Shutdown()
			<-done
		})
	}
	return pc.LocalAddr().String()
}

func rcodeHandler(rcode int) dns.HandlerFunc {
	return func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(req, rcode)
		_ = w.WriteMsg(m)
	}
}

func TestLookupSRV(t *testing.T) {
	s := startDNS(t)
	s.SetTTL(60)
	s.AddSRV("_xmpp-server._tcp.sip.test", "b.sip.test", 5269, 20, 0)
	s.AddSRV("_xmpp-server._tcp.sip.test", "a.sip.test", 5269, 10, 10)
	s.AddSRV("_xmpp-server._tcp.sip.test", "c.sip.test", 5270, 10, 30)
	s.AddSRV("_sip._udp.none.test", ".", 0, 0, 0)
	s.AddSRV("direct.test", "x.test", 1, 1, 1)
	s.AddA("nodata.test", "192.0.2.1")
	r, _, reg := newResolver(t, s.Addr())
	ctx := testCtx(t)

	// Priority first, then weights: over many draws a (10) goes first about a quarter of
	// the time and c (30) three quarters (RFC 2782); b (priority 20) always last.
	const draws = 4000
	first := map[string]int{}
	for range draws {
		got, err := r.LookupSRV(ctx, "xmpp-server", "tcp", "SIP.test.")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[2].Target != "b.sip.test." || got[0].Priority != 10 || got[1].Priority != 10 {
			t.Fatalf("order = %v", got)
		}
		first[got[0].Target]++
	}
	if frac := float64(first["a.sip.test."]) / draws; frac < 0.2 || frac > 0.31 {
		t.Errorf("weight 10 of 40 went first %.3f of the time, want about 0.25", frac)
	}
	if s.Queries() != 1 {
		t.Errorf("server saw %d queries for one cached name, want 1", s.Queries())
	}
	if got := testutil.ToFloat64(r.metrics.hits.WithLabelValues("SRV")); got != draws-1 {
		t.Errorf("cache hits = %v, want %d", got, draws-1)
	}

	tests := []struct {
		name                string
		service, proto, dom string
		want                []net.SRV
	}{
		{"service not available", "sip", "udp", "none.test", []net.SRV{{Target: "."}}},
		{"direct name", "", "", "direct.test", []net.SRV{{Target: "x.test.", Port: 1, Priority: 1, Weight: 1}}},
		{"nxdomain", "sip", "tcp", "nothing.test", nil},
		{"nodata", "", "", "nodata.test", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.LookupSRV(ctx, tt.service, tt.proto, tt.dom)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) || (got == nil) != (tt.want == nil) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if *got[i] != tt.want[i] {
					t.Errorf("got[%d] = %v, want %v", i, *got[i], tt.want[i])
				}
			}
		})
	}
	if got := testutil.ToFloat64(r.metrics.lookups.WithLabelValues("SRV")); got != 5 {
		t.Errorf("SRV lookups = %v, want 5", got)
	}
	if got := testutil.ToFloat64(r.metrics.failures.WithLabelValues("SRV")); got != 0 {
		t.Errorf("SRV failures = %v, want 0", got)
	}
	if n, err := testutil.GatherAndCount(reg, "sxgw_dns_lookups_total", "sxgw_dns_failures_total", "sxgw_dns_cache_hits_total"); err != nil || n != 12 {
		t.Errorf("gathered %d series (%v), want 12 (3 metrics x 4 types)", n, err)
	}
}

func TestLookupNAPTR(t *testing.T) {
	s := startDNS(t)
	s.SetTTL(100)
	s.AddNAPTR("example.test", 20, 10, "s", "SIP+D2U", "", "_sip._udp.example.test")
	s.AddNAPTR("example.test", 10, 50, "s", "SIPS+D2T", "", "_sips._tcp.example.test")
	s.AddNAPTR("example.test", 10, 20, "s", "SIP+D2T", "", "_sip._tcp.example.test")
	r, clk, _ := newResolver(t, s.Addr())
	ctx := testCtx(t)

	got, err := r.LookupNAPTR(ctx, "example.test")
	if err != nil {
		t.Fatal(err)
	}
	var services []string
	for _, n := range got {
		services = append(services, n.Service)
	}
	if want := []string{"SIP+D2T", "SIPS+D2T", "SIP+D2U"}; !slices.Equal(services, want) {
		t.Fatalf("order = %v, want %v (order, then preference)", services, want)
	}
	if got[0].Replacement != "_sip._tcp.example.test." || got[0].Hdr.Ttl != 100 {
		t.Errorf("first = %v", got[0])
	}

	// Callers get copies: changing them does not change the next answer.
	got[0].Service = "mangled"
	got[0], got[1] = got[1], got[0]
	clk.advance(40 * time.Second)
	again, err := r.LookupNAPTR(ctx, "example.test")
	if err != nil {
		t.Fatal(err)
	}
	if again[0].Service != "SIP+D2T" || again[0].Hdr.Ttl != 60 {
		t.Errorf("cached answer = %v, want SIP+D2T with 60s left", again[0])
	}
	if s.Queries() != 1 {
		t.Errorf("queries = %d, want 1", s.Queries())
	}

	none, err := r.LookupNAPTR(ctx, "other.test")
	if err != nil || none != nil {
		t.Errorf("NXDOMAIN: %v, %v; want nil, nil", none, err)
	}
}

func TestLookupIPAddr(t *testing.T) {
	s := startDNS(t)
	s.AddA("dual.test", "2001:db8::2")
	s.AddA("dual.test", "192.0.2.2")
	s.AddA("dual.test", "192.0.2.3")
	s.AddA("v6.test", "2001:db8::6")
	s.AddSRV("_sip._udp.srvonly.test", "x.test", 1, 1, 1)
	r, _, _ := newResolver(t, s.Addr())
	ctx := testCtx(t)

	tests := []struct {
		host    string
		want    []string
		queries uint64 // server queries this lookup makes
	}{
		{"192.0.2.9", []string{"192.0.2.9"}, 0},
		{"2001:db8::9", []string{"2001:db8::9"}, 0},
		{"localhost", []string{"127.0.0.1", "::1"}, 0},
		{"dual.test", []string{"192.0.2.2", "192.0.2.3", "2001:db8::2"}, 2},
		{"v6.test.", []string{"2001:db8::6"}, 2},
		{"_sip._udp.srvonly.test", nil, 2},
		{"missing.test", nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			before := s.Queries()
			got, err := r.LookupIPAddr(ctx, tt.host)
			if err != nil {
				t.Fatal(err)
			}
			var strs []string
			for _, a := range got {
				strs = append(strs, a.String())
			}
			if !slices.Equal(strs, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("addrs = %v, want %v", strs, tt.want)
			}
			if q := s.Queries() - before; q != tt.queries {
				t.Errorf("queries = %d, want %d", q, tt.queries)
			}
		})
	}
	if got := testutil.ToFloat64(r.metrics.lookups.WithLabelValues("A")); got != 4 {
		t.Errorf("A lookups = %v, want 4", got)
	}
	if got := testutil.ToFloat64(r.metrics.lookups.WithLabelValues("AAAA")); got != 4 {
		t.Errorf("AAAA lookups = %v, want 4", got)
	}
}

// TestLookupIPAddrPartialFailure: when AAAA fails but A answers, the A addresses win.
func TestLookupIPAddrPartialFailure(t *testing.T) {
	addr := startHandler(t, func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		if req.Question[0].Qtype == dns.TypeAAAA {
			m.SetRcode(req, dns.RcodeServerFailure)
		} else {
			m.SetReply(req)
			rr, _ := dns.NewRR(req.Question[0].Name + " 60 IN A 192.0.2.44")
			m.Answer = append(m.Answer, rr)
		}
		_ = w.WriteMsg(m)
	})
	r, _, _ := newResolver(t, addr)
	got, err := r.LookupIPAddr(testCtx(t), "half.test")
	if err != nil || len(got) != 1 || got[0] != netip.MustParseAddr("192.0.2.44") {
		t.Fatalf("got %v, %v; want [192.0.2.44], nil", got, err)
	}
	if f := testutil.ToFloat64(r.metrics.failures.WithLabelValues("AAAA")); f != 1 {
		t.Errorf("AAAA failures = %v, want 1", f)
	}
}

func TestFailures(t *testing.T) {
	silent := func(dns.ResponseWriter, *dns.Msg) {} // never answers
	mismatch := func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		m.Question[0].Name = "other.test."
		_ = w.WriteMsg(m)
	}
	tests := []struct {
		name    string
		handler dns.HandlerFunc
		want    error
		text    string
	}{
		{"servfail", rcodeHandler(dns.RcodeServerFailure), ErrResponse, "SERVFAIL"},
		{"refused", rcodeHandler(dns.RcodeRefused), ErrResponse, "REFUSED"},
		{"formerr", rcodeHandler(dns.RcodeFormatError), ErrResponse, "FORMERR"},
		{"timeout", silent, ErrTimeout, "within 300ms"},
		{"mismatch", mismatch, ErrBadResponse, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := startHandler(t, tt.handler)
			reg := prometheus.NewRegistry()
			r, err := New(Options{Server: addr, Timeout: 300 * time.Millisecond, Registerer: reg})
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.LookupSRV(testCtx(t), "sip", "udp", "fail.test")
			if !errors.Is(err, tt.want) || got != nil {
				t.Fatalf("got %v, %v; want error %v", got, err, tt.want)
			}
			for _, part := range []string{"dnsres: SRV _sip._udp.fail.test.", tt.text} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not mention %q", err, part)
				}
			}
			if f := testutil.ToFloat64(r.metrics.failures.WithLabelValues("SRV")); f != 1 {
				t.Errorf("failures = %v, want 1", f)
			}
			// Failures are not cached.
			if _, err := r.LookupSRV(testCtx(t), "sip", "udp", "fail.test"); err == nil {
				t.Error("second lookup succeeded: failure was cached")
			}
			if l := testutil.ToFloat64(r.metrics.lookups.WithLabelValues("SRV")); l != 2 {
				t.Errorf("lookups = %v, want 2", l)
			}
		})
	}
}

// TestNextServer: a server that fails makes the resolver ask the next one.
func TestNextServer(t *testing.T) {
	bad := startHandler(t, rcodeHandler(dns.RcodeServerFailure))
	s := startDNS(t)
	s.AddA("ok.test", "192.0.2.5")
	r, _, _ := newResolver(t, s.Addr())
	r.servers = []string{bad, s.Addr()}
	got, err := r.LookupIPAddr(testCtx(t), "ok.test")
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v; want one address from the second server", got, err)
	}
}

func TestTruncationRetriesOverTCP(t *testing.T) {
	s := startDNS(t)
	const n = 80 // more than fits in the 1232-byte EDNS0 buffer
	for i := range n {
		s.AddSRV("_sip._udp.big.test", fmt.Sprintf("a-rather-long-host-name-%02d.big.test", i), 5060, 10, 1)
	}
	r, _, _ := newResolver(t, s.Addr())
	got, err := r.LookupSRV(testCtx(t), "sip", "udp", "big.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Errorf("got %d records, want %d", len(got), n)
	}
	if s.Queries() != 2 {
		t.Errorf("server saw %d queries, want 2 (UDP truncated, then TCP)", s.Queries())
	}
}

func TestCacheExpiry(t *testing.T) {
	s := startDNS(t)
	s.SetTTL(30)
	s.AddA("host.test", "192.0.2.1")
	r, clk, _ := newResolver(t, s.Addr())
	ctx := testCtx(t)
	lookup := func() []netip.Addr {
		t.Helper()
		got, err := r.LookupIPAddr(ctx, "host.test")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	lookup() // A (cached 30s) + AAAA NODATA (cached 30s via SOA minimum)
	s.Remove("host.test")
	s.AddA("host.test", "192.0.2.2")
	clk.advance(29 * time.Second)
	if got := lookup(); len(got) != 1 || got[0].String() != "192.0.2.1" {
		t.Fatalf("within TTL got %v, want the cached 192.0.2.1", got)
	}
	if s.Queries() != 2 {
		t.Fatalf("queries = %d, want 2", s.Queries())
	}
	clk.advance(2 * time.Second)
	if got := lookup(); len(got) != 1 || got[0].String() != "192.0.2.2" {
		t.Fatalf("after TTL got %v, want the new 192.0.2.2", got)
	}
	if s.Queries() != 4 {
		t.Fatalf("queries = %d, want 4", s.Queries())
	}

	// Negative answers are cached for the SOA minimum, capped at 5 minutes.
	s.SetTTL(3600)
	if got, err := r.LookupSRV(ctx, "sip", "tcp", "later.test"); err != nil || got != nil {
		t.Fatalf("NXDOMAIN: %v %v", got, err)
	}
	s.AddSRV("_sip._tcp.later.test", "x.test", 5060, 1, 1)
	clk.advance(maxNegativeTTL - time.Second)
	if got, _ := r.LookupSRV(ctx, "sip", "tcp", "later.test"); got != nil {
		t.Fatalf("negative answer not cached: %v", got)
	}
	clk.advance(2 * time.Second)
	if got, _ := r.LookupSRV(ctx, "sip", "tcp", "later.test"); len(got) != 1 {
		t.Fatalf("after the negative TTL cap got %v, want the new record", got)
	}

	// TTL 0 is never cached.
	s.SetTTL(0)
	before := s.Queries()
	for range 3 {
		if _, err := r.LookupNAPTR(ctx, "zero.test"); err != nil {
			t.Fatal(err)
		}
	}
	if q := s.Queries() - before; q != 3 {
		t.Errorf("TTL 0: %d queries for 3 lookups, want 3", q)
	}
}

func TestContext(t *testing.T) {
	addr := startHandler(t, func(dns.ResponseWriter, *dns.Msg) {}) // never answers
	r, err := New(Options{Server: addr, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := r.LookupNAPTR(ctx, "slow.test")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("cancel took %v to return", d)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := r.LookupIPAddr(ctx, "slow.test")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("deadline took %v to return", d)
		}
	})
	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := r.LookupSRV(ctx, "sip", "udp", "slow.test"); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

func TestNewAndInvalidNames(t *testing.T) {
	for _, bad := range []string{"127.0.0.1", "no-port:", ":53"} {
		if _, err := New(Options{Server: bad}); err == nil {
			t.Errorf("New(Server: %q) succeeded", bad)
		}
	}
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.servers) == 0 || r.timeout != defaultTimeout {
		t.Errorf("system resolver: servers %v timeout %v", r.servers, r.timeout)
	}
	// Two resolvers may share a registry.
	reg := prometheus.NewRegistry()
	for range 2 {
		if _, err := New(Options{Server: "127.0.0.1:53", Registerer: reg}); err != nil {
			t.Fatalf("second resolver on one registry: %v", err)
		}
	}
	for _, name := range []string{"", ".", "a..b", string(make([]byte, 300))} {
		if _, err := r.LookupNAPTR(context.Background(), name); !errors.Is(err, ErrInvalidName) {
			t.Errorf("LookupNAPTR(%q) err = %v, want ErrInvalidName", name, err)
		}
	}
}
