package sip

import (
	"fmt"
	"net/netip"

	sipgosip "github.com/emiago/sipgo/sip"
)

// authorize decides whether req, received from src (the zero value:
// read from req.Source()), may be processed at all (RFC 3261 §8.2, §22).
// Today the only credential is the transport source: a request from a
// trusted peer passes, anything else is refused. Digest authentication
// (RFC 3261 §22.4) belongs here: it will return an error carrying the
// challenge, which rejectionFor turns into 401/407.
func (e *Endpoint) authorize(req *sipgosip.Request, src netip.AddrPort) error {
	addr := src.Addr().Unmap()
	if !src.IsValid() {
		var err error
		if addr, err = sourceAddr(req); err != nil {
			return fmt.Errorf("%w: %w", errUntrusted, err)
		}
	}
	if !e.trusted(addr) {
		return errUntrusted
	}
	return nil
}

// trusted reports whether addr is inside one of the trusted prefixes.
func (e *Endpoint) trusted(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range e.o.TrustedPeers {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// sourceAddr is the transport source IP of a received request.
func sourceAddr(req *sipgosip.Request) (netip.Addr, error) {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}, fmt.Errorf("sip: request source %q: %w", req.Source(), err)
	}
	return ap.Addr().Unmap(), nil
}

// rejectionFor maps an authorize error to the response refusing the
// request. Every error is a refusal today (RFC 3261 §21.4.4: understood, but
// not served); a digest challenge error will map to 401/407 here.
func rejectionFor(error) *rejection {
	return &rejection{code: 403, reason: "Forbidden", metric: badForbidden}
}
