package xmpp

import (
	"net"
	"net/netip"
	"time"
)

// Inbound connection limits (RFC 6120 §13.12 item 1: a server limits the
// TCP connections it accepts from one address, and it cannot hold
// unbounded numbers in all).
const (
	maxInboundDefault      = 4096 // inbound connections at once
	maxInboundPerIPDefault = 32   // from one address (IPv6: one /64)
	// maxRefusing bounds the connections being answered with a stream
	// error at once; past it, connections over a limit are just closed.
	maxRefusing = 64
	// refuseWait bounds how long we wait for a refused peer's header.
	refuseWait = 2 * time.Second
)

// inLimits counts inbound connections; S2S.mu guards it.
type inLimits struct {
	max, perIP int
	total      int
	byIP       map[netip.Prefix]int
	refusing   int
}

func newInLimits() inLimits {
	return inLimits{max: maxInboundDefault, perIP: maxInboundPerIPDefault, byIP: make(map[netip.Prefix]int)}
}

// peerKey groups remote addresses for the per-address limit: IPv4 one by
// one, IPv6 by /64, the smallest subnet a site is normally given.
func peerKey(a net.Addr) netip.Prefix {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Prefix{}
	}
	ip := ta.AddrPort().Addr().Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// admit counts a new connection from key, or returns the stream error
// condition it must be refused with: resource-constraint when the server
// is full (RFC 6120 §4.9.3.17), policy-violation when that address has
// too many (§4.9.3.14).
func (l *inLimits) admit(key netip.Prefix) string {
	switch {
	case l.total >= l.max:
		return CondResourceConstraint
	case l.byIP[key] >= l.perIP:
		return CondPolicyViolation
	}
	l.total++
	l.byIP[key]++
	return ""
}

func (l *inLimits) release(key netip.Prefix) {
	l.total--
	if l.byIP[key]--; l.byIP[key] <= 0 {
		delete(l.byIP, key)
	}
}

// refuse answers a connection over a limit: our stream header, the error
// and the closing tag (RFC 6120 §4.9.1.2), after reading the peer's header
// for a while so that closing does not reset the connection under it.
func (s *S2S) refuse(nc net.Conn, cond string) {
	_ = nc.SetDeadline(time.Now().Add(refuseWait))
	c := newXConn(nc, nsServer, 4096)
	var from, to string
	if h, err := c.r.header(); err == nil {
		to = headerAttr(h, "from")
		if s.rt.serves(headerAttr(h, "to")) {
			from = headerAttr(h, "to")
		}
	}
	if err := c.header(from, to, newStreamID(), false); err != nil {
		c.abort()
		return
	}
	c.close(streamErr(cond, "too many connections"))
}
