package sip

import (
	"context"
	"net/netip"
	"strings"

	sipgosip "github.com/emiago/sipgo/sip"
)

// Our Contact (RFC 3261 §8.1.1.8, §12.1.1): the URI where peers send the
// requests of a dialog. It names a listener of this endpoint: its port, the
// transport as a parameter (absent for UDP), and as host the configured
// ContactHost, else the listener's address, else, for a listener bound to
// an unspecified address, the local address facing the peer.

// contactURI builds our Contact URI with user as user part, for a listener
// of transport bound to local (its address may be unspecified) reached by
// peer. secure asks for a sips: URI (RFC 3261 §12.1.1), which only a TLS
// listener can give.
func (e *Endpoint) contactURI(user, transport string, local netip.AddrPort, peer netip.Addr, secure bool) sipgosip.Uri {
	u := sipgosip.Uri{Scheme: "sip", User: user, Port: int(local.Port())}
	switch {
	case e.o.ContactHost != "":
		u.Host = e.o.ContactHost
	case local.Addr().IsValid() && !local.Addr().Unmap().IsUnspecified():
		u.Host = local.Addr().Unmap().String()
	case peer.IsValid():
		u.Host = e.sourceFor(peer)
	}
	if u.Host == "" {
		u.Host = e.defaultDomain()
	}
	switch {
	case transport == TransportTLS && secure:
		u.Scheme = "sips" // TLS is implied (RFC 3261 §19.1.2)
	case transport != TransportUDP:
		u.UriParams = sipgosip.NewParams()
		u.UriParams.Add("transport", transport)
	}
	return u
}

// listenerFor returns the bound address of a listener of transport fit to
// talk to peer: same address family, and not loopback-bound for a
// non-loopback peer; with no such listener, any listener, UDP first, and
// the transport it has. ok is false when nothing is bound.
func (e *Endpoint) listenerFor(transport string, peer netip.Addr) (tp string, addr netip.AddrPort, ok bool) {
	e.mu.Lock()
	listeners := e.listeners
	e.mu.Unlock()
	peer = peer.Unmap()
	fits := func(l Listener) (netip.AddrPort, bool) {
		ap, err := netip.ParseAddrPort(l.Addr.String())
		if err != nil {
			return ap, false
		}
		a := ap.Addr().Unmap()
		if peer.IsValid() && (a.Is4() != peer.Is4() || (!a.IsUnspecified() && a.IsLoopback() != peer.IsLoopback())) {
			return ap, false
		}
		return ap, true
	}
	for _, want := range []string{transport, TransportUDP, TransportTCP, TransportTLS, TransportWS} {
		for _, l := range listeners {
			if l.Transport != want {
				continue
			}
			if ap, fit := fits(l); fit {
				return want, ap, true
			}
		}
	}
	return "", netip.AddrPort{}, false
}

// responseContact is our Contact for a response to req, received through
// tx: the listener the request came in on, as its transport and local
// address show.
func (e *Endpoint) responseContact(req *sipgosip.Request, tx sipgosip.ServerTransaction, user string) *sipgosip.ContactHeader {
	transport := strings.ToLower(req.Transport())
	var peer netip.Addr
	if src, err := netip.ParseAddrPort(req.Source()); err == nil {
		peer = src.Addr().Unmap()
	}
	local, ok := txLocalAddr(tx)
	if !ok {
		var tp string
		if tp, local, ok = e.listenerFor(transport, peer); ok {
			transport = tp
		}
	}
	// RFC 3261 §12.1.1: a sips: Request-URI, top Record-Route or (without
	// Record-Route) Contact asks for a sips: Contact.
	secure := req.Recipient.Scheme == "sips"
	if rr := req.GetHeader("Record-Route"); rr != nil {
		if h, ok := rr.(*sipgosip.RecordRouteHeader); ok && h.Address.Scheme == "sips" {
			secure = true
		}
	} else if c := req.Contact(); c != nil && c.Address.Scheme == "sips" {
		secure = true
	}
	return &sipgosip.ContactHeader{Address: e.contactURI(user, transport, local, peer, secure)}
}

// txLocalAddr is the local address of the connection a server transaction
// answers on (for UDP, the listening socket).
func txLocalAddr(tx sipgosip.ServerTransaction) (netip.AddrPort, bool) {
	if w, ok := tx.(*serverTx); ok {
		tx = w.ServerTransaction
	}
	cs, ok := tx.(interface{ Connection() sipgosip.Connection })
	if !ok {
		return netip.AddrPort{}, false
	}
	c := cs.Connection()
	if c == nil {
		return netip.AddrPort{}, false
	}
	ap, err := netip.ParseAddrPort(c.LocalAddr().String())
	if err != nil {
		return netip.AddrPort{}, false
	}
	return ap, true
}

// requestContact is our Contact for a request that will go to the first
// target of dest (where Do sends it): a listener of that target's
// transport, else any listener.
func (e *Endpoint) requestContact(ctx context.Context, dest sipgosip.Uri, user string, secure bool) (*sipgosip.ContactHeader, error) {
	targets, err := e.Locate(ctx, dest)
	if err != nil {
		return nil, err
	}
	t := targets[0]
	tp, local, ok := e.listenerFor(t.Transport, t.Addr.Addr())
	if !ok {
		// Not started: nothing can reach us anyway; name the domain.
		tp = t.Transport
	}
	return &sipgosip.ContactHeader{Address: e.contactURI(user, tp, local, t.Addr.Addr(), secure)}, nil
}

// nextHop is the URI Do sends req to first: the outbound proxy, else the
// first Route, else the Request-URI (RFC 3261 §8.1.2).
func (e *Endpoint) nextHop(req *sipgosip.Request) sipgosip.Uri {
	switch {
	case e.proxy != nil:
		return *e.proxy
	case req.Route() != nil:
		return req.Route().Address
	}
	return req.Recipient
}
