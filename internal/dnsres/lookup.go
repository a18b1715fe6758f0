package dnsres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// LookupSRV returns the SRV records of _service._proto.name (of name itself when service
// and proto are both empty) in the order to try them (RFC 2782): ascending priority, and
// a weighted random order within each priority. A lone record whose Target is "." is kept:
// it says the service is decidedly not available at this domain. Targets are fully
// qualified (trailing dot). No such name or no SRV records -> (nil, nil).
func (r *Resolver) LookupSRV(ctx context.Context, service, proto, name string) ([]*net.SRV, error) {
	if service != "" || proto != "" {
		name = "_" + service + "._" + proto + "." + name
	}
	rrs, _, err := r.lookup(ctx, name, dns.TypeSRV)
	if err != nil || len(rrs) == 0 {
		return nil, err
	}
	out := make([]*net.SRV, 0, len(rrs))
	for _, rr := range rrs {
		s := rr.(*dns.SRV)
		out = append(out, &net.SRV{Target: s.Target, Port: s.Port, Priority: s.Priority, Weight: s.Weight})
	}
	orderSRV(out, r.intN)
	return out, nil
}

// LookupNAPTR returns the NAPTR records of name sorted by ascending order, then ascending
// preference (RFC 3403 §4.1). Each record is the caller's own copy; its TTL is what
// remains of the cached one. No such name or no NAPTR records -> (nil, nil).
func (r *Resolver) LookupNAPTR(ctx context.Context, name string) ([]*dns.NAPTR, error) {
	rrs, remaining, err := r.lookup(ctx, name, dns.TypeNAPTR)
	if err != nil || len(rrs) == 0 {
		return nil, err
	}
	out := make([]*dns.NAPTR, 0, len(rrs))
	for _, rr := range rrs {
		n := *rr.(*dns.NAPTR)
		n.Hdr.Ttl = uint32(remaining / time.Second)
		out = append(out, &n)
	}
	slices.SortStableFunc(out, func(a, b *dns.NAPTR) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.Preference, b.Preference))
	})
	return out, nil
}

// LookupIPAddr returns the addresses of host, IPv4 first. An IP literal is returned as
// is, and "localhost" names resolve to the loopback addresses (RFC 6761 §6.3), without a
// query. Otherwise A and AAAA are asked concurrently; when one of them fails and the other
// gives addresses, those addresses are returned. No such name or no addresses -> (nil, nil).
func (r *Resolver) LookupIPAddr(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	if isLocalhost(host) {
		return []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}, nil
	}

	type result struct {
		rrs []dns.RR
		err error
	}
	aaaa := make(chan result, 1)
	go func() {
		rrs, _, err := r.lookup(ctx, host, dns.TypeAAAA)
		aaaa <- result{rrs, err}
	}()
	rrs4, _, err4 := r.lookup(ctx, host, dns.TypeA)
	res6 := <-aaaa

	addrs := make([]netip.Addr, 0, len(rrs4)+len(res6.rrs))
	for _, rr := range rrs4 {
		if ip, ok := netip.AddrFromSlice(rr.(*dns.A).A); ok {
			addrs = append(addrs, ip.Unmap())
		}
	}
	for _, rr := range res6.rrs {
		if ip, ok := netip.AddrFromSlice(rr.(*dns.AAAA).AAAA); ok {
			addrs = append(addrs, ip)
		}
	}
	if err := errors.Join(err4, res6.err); err != nil {
		if len(addrs) == 0 {
			return nil, err
		}
		r.log.Debug("address lookup partly failed", "err", err)
	}
	if len(addrs) == 0 {
		return nil, nil
	}
	return addrs, nil
}

// isLocalhost reports whether host is "localhost" or a name under it (RFC 6761 §6.3).
func isLocalhost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// lookup returns the records of type qtype for name, from the cache or a server, and how
// long they stay valid. The returned records are shared with the cache: read-only.
// NXDOMAIN and NODATA return no records and no error.
func (r *Resolver) lookup(ctx context.Context, name string, qtype uint16) ([]dns.RR, time.Duration, error) {
	typ := dns.TypeToString[qtype]
	fqdn := dns.CanonicalName(name)
	if _, ok := dns.IsDomainName(fqdn); !ok || name == "" || fqdn == "." {
		return nil, 0, fmt.Errorf("%w: %s %q", ErrInvalidName, typ, name)
	}
	key := cacheKey{name: fqdn, qtype: qtype}
	if rrs, remaining, ok := r.cache.get(key); ok {
		r.metrics.hit(qtype)
		return rrs, remaining, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("dnsres: %s %s: %w", typ, fqdn, err)
	}

	r.metrics.lookup(qtype)
	resp, err := r.exchange(ctx, fqdn, qtype)
	if err != nil {
		r.metrics.failure(qtype)
		r.log.Debug("lookup failed", "type", typ, "name", fqdn, "err", err)
		return nil, 0, fmt.Errorf("dnsres: %s %s: %w", typ, fqdn, err)
	}

	var rrs []dns.RR
	if resp.Rcode == dns.RcodeSuccess {
		for _, rr := range resp.Answer {
			if rr.Header().Rrtype == qtype && rr.Header().Class == dns.ClassINET {
				rrs = append(rrs, rr)
			}
		}
	}
	ttl := negativeTTL(resp.Ns) // RFC 2308 §5: NXDOMAIN and NODATA
	if len(rrs) > 0 {
		ttl = positiveTTL(resp.Answer)
	}
	r.cache.put(key, rrs, ttl)
	return rrs, ttl, nil
}
