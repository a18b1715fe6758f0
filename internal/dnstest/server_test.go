package dnstest

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func start(t *testing.T) *Server {
	t.Helper()
	s, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func query(t *testing.T, s *Server, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	r, _, err := c.ExchangeContext(ctx, m, s.Addr())
	if err != nil {
		t.Fatalf("%s query %s %s: %v", network, name, dns.TypeToString[qtype], err)
	}
	return r
}

func TestAnswers(t *testing.T) {
	s := start(t)
	s.AddSRV("_xmpp-server._tcp.sip.test", "gw.sip.test", 5269, 10, 20)
	s.AddSRV("_XMPP-server._tcp.SIP.test.", "gw2.sip.test.", 5270, 20, 0)
	s.AddNAPTR("sip.test", 10, 50, "s", "SIPS+D2T", "", "_sips._tcp.sip.test")
	s.AddA("gw.sip.test", "192.0.2.1")
	s.AddA("gw.sip.test", "2001:db8::1")
	s.AddA("gw.sip.test", "192.0.2.1") // duplicate: served once

	tests := []struct {
		name      string
		qname     string
		qtype     uint16
		wantRcode int
		wantRRs   []string // rdata after the header, in order
	}{
		{"srv", "_xmpp-server._tcp.sip.test", dns.TypeSRV, dns.RcodeSuccess,
			[]string{"10 20 5269 gw.sip.test.", "20 0 5270 gw2.sip.test."}},
		{"srv case-insensitive", "_XMPP-SERVER._TCP.Sip.Test.", dns.TypeSRV, dns.RcodeSuccess,
			[]string{"10 20 5269 gw.sip.test.", "20 0 5270 gw2.sip.test."}},
		{"naptr", "sip.test", dns.TypeNAPTR, dns.RcodeSuccess,
			[]string{`10 50 "s" "SIPS+D2T" "" _sips._tcp.sip.test.`}},
		{"a", "gw.sip.test", dns.TypeA, dns.RcodeSuccess, []string{"192.0.2.1"}},
		{"aaaa", "gw.sip.test", dns.TypeAAAA, dns.RcodeSuccess, []string{"2001:db8::1"}},
		{"nodata", "gw.sip.test", dns.TypeSRV, dns.RcodeSuccess, nil},
		{"nodata on srv name", "_xmpp-server._tcp.sip.test", dns.TypeA, dns.RcodeSuccess, nil},
		{"nxdomain", "nothing.sip.test", dns.TypeA, dns.RcodeNameError, nil},
		{"nodata on naptr name", "sip.test", dns.TypeA, dns.RcodeSuccess, nil},
	}
	for _, tt := range tests {
		for _, network := range []string{"udp", "tcp"} {
			t.Run(tt.name+"/"+network, func(t *testing.T) {
				r := query(t, s, network, tt.qname, tt.qtype)
				if r.Rcode != tt.wantRcode {
					t.Fatalf("rcode = %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.wantRcode])
				}
				if !r.Authoritative {
					t.Error("AA bit not set")
				}
				var got []string
				for _, rr := range r.Answer {
					h := rr.Header().String()
					got = append(got, rr.String()[len(h):])
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.wantRRs) {
					t.Errorf("answer = %q, want %q", got, tt.wantRRs)
				}
				if len(tt.wantRRs) == 0 {
					if len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA {
						t.Errorf("negative answer authority = %v, want one SOA", r.Ns)
					}
				}
			})
		}
	}
	// Every case was asked once over each transport.
	if got := s.Queries(); got != uint64(2*len(tests)) {
		t.Errorf("Queries() = %d, want %d", got, 2*len(tests))
	}
}

func TestRemoveAndTTL(t *testing.T) {
	s := start(t)
	s.AddA("host.test", "192.0.2.7")
	if r := query(t, s, "udp", "host.test", dns.TypeA); len(r.Answer) != 1 || r.Answer[0].Header().Ttl != 0 {
		t.Fatalf("answer = %v, want one record with TTL 0", r.Answer)
	}
	s.SetTTL(30)
	r := query(t, s, "udp", "host.test", dns.TypeA)
	if len(r.Answer) != 1 || r.Answer[0].Header().Ttl != 30 {
		t.Fatalf("answer = %v, want one record with TTL 30", r.Answer)
	}
	s.Remove("HOST.test.")
	r = query(t, s, "udp", "host.test", dns.TypeA)
	if r.Rcode != dns.RcodeNameError {
		t.Fatalf("after Remove rcode = %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}
	soa, ok := r.Ns[0].(*dns.SOA)
	if !ok || soa.Minttl != 30 || soa.Hdr.Ttl != 30 || soa.Hdr.Name != "test." {
		t.Errorf("authority = %v, want SOA of test. with TTL and MINIMUM 30", r.Ns)
	}
}

func TestTruncation(t *testing.T) {
	s := start(t)
	const n = 40 // 40 SRV records do not fit in 512 bytes
	for i := range n {
		s.AddSRV("_sip._udp.big.test", fmt.Sprintf("host-number-%02d.big.test", i), 5060, 10, uint16(i))
	}
	r := query(t, s, "udp", "_sip._udp.big.test", dns.TypeSRV)
	if !r.Truncated || len(r.Answer) >= n {
		t.Errorf("udp: truncated=%v with %d records, want TC set and fewer than %d", r.Truncated, len(r.Answer), n)
	}
	r = query(t, s, "tcp", "_sip._udp.big.test", dns.TypeSRV)
	if r.Truncated || len(r.Answer) != n {
		t.Errorf("tcp: truncated=%v with %d records, want all %d", r.Truncated, len(r.Answer), n)
	}

	// With EDNS0 the requester's buffer size applies (RFC 6891 §6.2.5).
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	m := new(dns.Msg)
	m.SetQuestion("_sip._udp.big.test.", dns.TypeSRV)
	m.SetEdns0(4096, false)
	r, _, err := c.Exchange(m, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if r.Truncated || len(r.Answer) != n || r.IsEdns0() == nil {
		t.Errorf("udp edns: truncated=%v with %d records, opt=%v; want all %d with OPT", r.Truncated, len(r.Answer), r.IsEdns0(), n)
	}
}

func TestBadRequests(t *testing.T) {
	s := start(t)
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	m := new(dns.Msg)
	m.SetNotify("test.")
	r, _, err := c.Exchange(m, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if r.Rcode != dns.RcodeNotImplemented {
		t.Errorf("NOTIFY rcode = %s, want NOTIMP", dns.RcodeToString[r.Rcode])
	}
	m = new(dns.Msg)
	m.Id = dns.Id()
	r, _, err = c.Exchange(m, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if r.Rcode != dns.RcodeFormatError {
		t.Errorf("no-question rcode = %s, want FORMERR", dns.RcodeToString[r.Rcode])
	}
}

func TestAddAPanicsOnBadIP(t *testing.T) {
	s := start(t)
	defer func() {
		if recover() == nil {
			t.Error("AddA with a bad IP did not panic")
		}
	}()
	s.AddA("x.test", "not-an-ip")
}

func TestConcurrentChanges(t *testing.T) {
	s := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
			for i := range 50 {
				name := fmt.Sprintf("h%d.test", w)
				s.AddA(name, fmt.Sprintf("192.0.2.%d", i))
				m := new(dns.Msg)
				m.SetQuestion(dns.Fqdn(name), dns.TypeA)
				if _, _, err := c.ExchangeContext(ctx, m, s.Addr()); err != nil {
					t.Errorf("query: %v", err)
					return
				}
				if i%10 == 0 {
					s.Remove(name)
				}
			}
		}()
	}
	wg.Wait()
	if got := s.Queries(); got != 200 {
		t.Errorf("Queries() = %d, want 200", got)
	}
}

func TestStartErrorsAndClose(t *testing.T) {
	s := start(t)
	// The same address is taken now.
	if s2, err := Start(s.Addr()); err == nil {
		_ = s2.Close()
		t.Fatal("Start on a busy address succeeded")
	}
	if _, err := Start("no-port"); err == nil {
		t.Fatal("Start without a port succeeded")
	}
	host, port, err := net.SplitHostPort(s.Addr())
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("Addr() = %q", s.Addr())
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	c := &dns.Client{Net: "tcp", Timeout: 500 * time.Millisecond}
	m := new(dns.Msg)
	m.SetQuestion("x.test.", dns.TypeA)
	if _, _, err := c.Exchange(m, s.Addr()); err == nil {
		t.Error("query after Close succeeded")
	}
}
