package dnstest

import (
	"strings"

	"github.com/miekg/dns"
)

// serveDNS answers one query from the records table.
func (s *Server) serveDNS(w dns.ResponseWriter, req *dns.Msg) {
	resp := new(dns.Msg)
	switch {
	case req.Opcode != dns.OpcodeQuery:
		resp.SetRcode(req, dns.RcodeNotImplemented)
	case len(req.Question) != 1:
		resp.SetRcode(req, dns.RcodeFormatError)
	default:
		resp.SetReply(req)
		resp.Authoritative = true
		q := req.Question[0]
		rrs, exists, ttl := s.lookup(q.Name, q.Qtype)
		resp.Answer = rrs
		if !exists {
			resp.Rcode = dns.RcodeNameError
		}
		if len(rrs) == 0 {
			// RFC 2308 §3: negative answers carry the zone's SOA, whose TTL and
			// MINIMUM bound how long the answer may be cached.
			resp.Ns = []dns.RR{soa(q.Name, ttl)}
		}
	}

	size := dns.MaxMsgSize
	if opt := req.IsEdns0(); opt != nil {
		// RFC 6891 §7: a response to a request with OPT carries OPT too.
		resp.SetEdns0(dns.DefaultMsgSize, false)
		if w.RemoteAddr().Network() == "udp" {
			size = int(opt.UDPSize())
		}
	} else if w.RemoteAddr().Network() == "udp" {
		size = dns.MinMsgSize // RFC 1035 §4.2.1
	}
	resp.Truncate(size)

	s.queries.Add(1)
	_ = w.WriteMsg(resp)
}

// soa builds the SOA of the zone a name belongs to; the fake zone is its top label.
func soa(name string, ttl uint32) dns.RR {
	zone := "."
	labels := dns.SplitDomainName(strings.ToLower(name))
	if len(labels) > 0 {
		zone = labels[len(labels)-1] + "."
	}
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns:      dns.Fqdn("ns." + strings.TrimSuffix(zone, ".")),
		Mbox:    dns.Fqdn("hostmaster." + strings.TrimSuffix(zone, ".")),
		Serial:  1,
		Refresh: 3600,
		Retry:   600,
		Expire:  86400,
		Minttl:  ttl,
	}
}
