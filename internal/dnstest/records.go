package dnstest

import (
	"fmt"
	"net/netip"

	"github.com/miekg/dns"
)

// SetTTL sets the TTL, in seconds, of every record served from now on and the SOA MINIMUM
// that governs negative caching (RFC 2308 §4). The default is 0: resolvers must not cache
// the answers (RFC 1035 §3.2.1), so tests that change records see the change at once.
func (s *Server) SetTTL(ttl uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ttl = ttl
}

// AddSRV adds an SRV record (RFC 2782), name like "_xmpp-server._tcp.sip.test".
// A target of "." says the service is not available at this domain.
func (s *Server) AddSRV(name, target string, port, priority, weight uint16) {
	s.add(&dns.SRV{
		Hdr:      header(name, dns.TypeSRV),
		Priority: priority,
		Weight:   weight,
		Port:     port,
		Target:   dns.CanonicalName(target),
	})
}

// AddNAPTR adds a NAPTR record (RFC 3403 §4.1). replacement is a domain name ("." for none).
func (s *Server) AddNAPTR(name string, order, pref uint16, flags, service, regexp, replacement string) {
	s.add(&dns.NAPTR{
		Hdr:         header(name, dns.TypeNAPTR),
		Order:       order,
		Preference:  pref,
		Flags:       flags,
		Service:     service,
		Regexp:      regexp,
		Replacement: dns.CanonicalName(replacement),
	})
}

// AddA adds an A record for an IPv4 address or an AAAA record for an IPv6 one.
// It panics when ip is not an IP address: that is a mistake in the test.
func (s *Server) AddA(name string, ip string) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		panic(fmt.Sprintf("dnstest: AddA(%q, %q): %v", name, ip, err))
	}
	a = a.Unmap()
	if a.Is4() {
		s.add(&dns.A{Hdr: header(name, dns.TypeA), A: a.AsSlice()})
		return
	}
	s.add(&dns.AAAA{Hdr: header(name, dns.TypeAAAA), AAAA: a.AsSlice()})
}

// Remove drops every record of name; the name then gets NXDOMAIN.
func (s *Server) Remove(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.records, dns.CanonicalName(name))
}

func header(name string, rrtype uint16) dns.RR_Header {
	return dns.RR_Header{Name: dns.CanonicalName(name), Rrtype: rrtype, Class: dns.ClassINET}
}

// add appends rr to its name's records unless an identical record is there already
// (an RRset holds no duplicates, RFC 2181 §5).
func (s *Server) add(rr dns.RR) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := rr.Header().Name
	for _, have := range s.records[name] {
		if dns.IsDuplicate(have, rr) {
			return
		}
	}
	s.records[name] = append(s.records[name], rr)
}

// lookup returns copies of name's records of type qtype (every record for ANY), whether
// the name exists at all, and the TTL to serve them with.
func (s *Server) lookup(name string, qtype uint16) (rrs []dns.RR, exists bool, ttl uint32) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	all, exists := s.records[dns.CanonicalName(name)]
	for _, rr := range all {
		if qtype == dns.TypeANY || rr.Header().Rrtype == qtype {
			c := dns.Copy(rr)
			c.Header().Ttl = s.ttl
			rrs = append(rrs, c)
		}
	}
	return rrs, exists, s.ttl
}
