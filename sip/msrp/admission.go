package msrp

import (
	"net"
	"net/netip"
	"sync"
)

// Defaults of the limits on accepted connections.
const (
	DefaultMaxConnections      = 4096
	DefaultMaxConnectionsPerIP = 64
)

// Reasons of sxgw_msrp_refused_connections_total: a fixed set.
const (
	refusedMax   = "max_connections"        // the endpoint holds MaxConnections accepted connections
	refusedPerIP = "max_connections_per_ip" // the peer's address holds MaxConnectionsPerIP of them
)

// admission counts the accepted connections, in all and per peer address,
// and refuses those beyond the limits: every connection costs a
// descriptor, two goroutines and buffers, and one peer opening
// connections without end must not starve the others (RFC 4975 §15 leaves
// such limits to the implementation). Dialled connections are not
// counted: we open those ourselves, for sessions the signalling set up.
type admission struct {
	max, perIP int

	mu    sync.Mutex
	total int
	byIP  map[netip.Addr]int
}

func newAdmission(max, perIP int) *admission {
	return &admission{max: max, perIP: perIP, byIP: make(map[netip.Addr]int)}
}

// admit takes a place for a connection from ip, or returns the reason
// it is refused.
func (a *admission) admit(ip netip.Addr) (refused string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.total >= a.max:
		return refusedMax
	case a.byIP[ip] >= a.perIP:
		return refusedPerIP
	}
	a.total++
	a.byIP[ip]++
	return ""
}

// release gives back the place of a connection from ip.
func (a *admission) release(ip netip.Addr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.total--
	if n := a.byIP[ip]; n <= 1 {
		delete(a.byIP, ip)
	} else {
		a.byIP[ip] = n - 1
	}
}

// peerKey is the address a connection counts against: the peer's IPv4
// address, or the /64 prefix of its IPv6 address (one host or site
// commonly holds a whole /64).
func peerKey(addr net.Addr) netip.Addr {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}
	}
	ip := ta.AddrPort().Addr().Unmap()
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return ip
}
