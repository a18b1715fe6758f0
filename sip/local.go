package sip

import (
	"net"
	"net/netip"
	"strings"
)

// localNames is what a Request-URI host must be for a request to be ours
// (RFC 3261 §8.2.2.1): one of the served domains, or an address this
// endpoint listens on. It is built once at Start and read-only afterwards.
type localNames struct {
	domains map[string]bool
	addrs   map[netip.Addr]bool
}

func newLocalNames(domains []string) *localNames {
	n := &localNames{domains: make(map[string]bool, len(domains)), addrs: map[netip.Addr]bool{}}
	for _, d := range domains {
		n.domains[normalizeDomain(d)] = true
	}
	return n
}

// addListener records a bound address; an unspecified one stands for every
// interface address of the host.
func (n *localNames) addListener(a netip.Addr) {
	a = a.Unmap()
	if !a.IsUnspecified() {
		n.addrs[a] = true
		return
	}
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return
	}
	for _, ia := range ifaddrs {
		if ipn, ok := ia.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
				n.addrs[ip.Unmap()] = true
			}
		}
	}
}

// isLocal reports whether host (a domain, IPv4 or [IPv6]) names us.
func (n *localNames) isLocal(host string) bool {
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if ip, err := netip.ParseAddr(h); err == nil {
		return n.addrs[ip.WithZone("").Unmap()]
	}
	return n.domains[normalizeDomain(host)]
}
