package sip

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/emiago/sipgo"
	sipgosip "github.com/emiago/sipgo/sip"
)

// Do sends an out-of-dialog request and returns its final response.
//
// The next hop is the outbound proxy if one is configured (RFC 3261 §8.1.2:
// it also becomes the Route), else the first Route of req, else its
// Request-URI, located by RFC 3263 §4. Targets are tried in order; a
// transport error, a timeout, a 408 or a 503 moves on to the next one with
// the same request under a new branch (RFC 3263 §4.3). When every target
// failed, the last 408/503 is returned, or else the last error.
//
// Missing From, To, Call-ID, CSeq and Max-Forwards are filled in (RFC 3261
// §8.1.1), User-Agent is added, and any Via of req is replaced. req itself
// is not modified.
func (e *Endpoint) Do(ctx context.Context, req *sipgosip.Request) (*sipgosip.Response, error) {
	if req == nil || req.IsAck() || req.IsCancel() {
		return nil, fmt.Errorf("%w: Do sends requests that start a transaction, not ACK or CANCEL", ErrBadRequest)
	}
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	method := methodLabel(req.Method)
	res, err := e.do(ctx, req)
	class := classError
	if res != nil {
		class = classLabel(res.StatusCode)
	}
	e.m.outgoing.WithLabelValues(method, class).Inc()
	return res, err
}

// udpMaxRequest is the largest request sent over UDP when the path MTU is
// unknown (RFC 3261 §18.1.1).
const udpMaxRequest = 1300

func (e *Endpoint) do(ctx context.Context, orig *sipgosip.Request) (*sipgosip.Response, error) {
	base := orig.Clone()
	dest := base.Recipient
	switch {
	case e.proxy != nil:
		dest = *e.proxy
		if base.Route() == nil {
			route := e.proxy.Clone()
			route.UriParams = route.UriParams.Clone()
			if route.UriParams == nil {
				route.UriParams = sipgosip.NewParams()
			}
			route.UriParams.Add("lr", "")
			base.PrependHeader(&sipgosip.RouteHeader{Address: *route})
		}
	case base.Route() != nil:
		dest = base.Route().Address
	}
	targets, err := e.Locate(ctx, dest)
	if err != nil {
		return nil, err
	}
	if err := e.complete(base); err != nil {
		return nil, err
	}

	var lastRes *sipgosip.Response
	var lastErr error
	large := len(base.String()) > udpMaxRequest
	for _, t := range targets {
		if ctx.Err() != nil {
			break
		}
		if large && t.Transport == "udp" {
			// RFC 3261 §18.1.1: a request larger than 1300 bytes (path MTU
			// unknown) MUST go over a congestion-controlled transport;
			// the Via changes with it. Same address, TCP.
			t.Transport = "tcp"
		}
		res, err := e.attempt(ctx, base, t)
		if err == nil && isChallenge(res) && len(e.o.Credentials) > 0 && !hasAuthorization(base) {
			// RFC 3261 §22.2: answer the challenge once, to the same target.
			if authed, ok := e.authorized(base, res); ok {
				base = authed
				res, err = e.attempt(ctx, base, t)
				if err == nil && isChallenge(res) {
					e.log.Info("credentials refused", "method", methodLabel(base.Method), "realms", realmsOf(res))
				}
			}
		}
		switch {
		case err != nil:
			e.log.Debug("request to target failed", "method", methodLabel(base.Method), "target", t.String(), "error", err)
			lastErr = fmt.Errorf("sip: %s via %s: %w", base.Method, t, err)
		case res.StatusCode == 408 || res.StatusCode == 503:
			lastRes = res
		default:
			return res, nil
		}
	}
	if lastRes != nil {
		return lastRes, nil
	}
	if lastErr == nil {
		lastErr = ctx.Err()
	}
	return nil, lastErr
}

// complete adds the header fields every request needs (RFC 3261 §8.1.1)
// once, so that each attempt carries the same From tag, Call-ID and CSeq.
func (e *Endpoint) complete(req *sipgosip.Request) error {
	if req.From() == nil {
		from := &sipgosip.FromHeader{
			Address: sipgosip.Uri{Scheme: "sip", Host: e.defaultDomain()},
			Params:  sipgosip.NewParams(),
		}
		from.Params.Add("tag", sipgosip.GenerateTagN(16))
		req.AppendHeader(from)
	}
	if req.GetHeader("User-Agent") == nil {
		req.AppendHeader(sipgosip.NewHeader("User-Agent", e.o.UserAgent))
	}
	if err := sipgo.ClientRequestBuild(e.client, req); err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	for range len(req.GetHeaders("Via")) {
		req.RemoveHeader("Via")
	}
	return nil
}

// attempt sends one copy of base to t as a new client transaction.
func (e *Endpoint) attempt(ctx context.Context, base *sipgosip.Request, t Target) (*sipgosip.Response, error) {
	r := base.Clone()
	if err := e.stamp(ctx, r, t); err != nil {
		return nil, err
	}
	if conn, ok := e.fastAttempt(r, t); ok {
		return e.attemptUDP(ctx, r, t, conn)
	}
	res, err := e.client.Do(ctx, r)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, errNoResponse
	}
	return res, nil
}

// sourceFor returns the local address the system sends from to reach dst
// (for Via and Contact when listening on an unspecified address), cached
// per destination: the route lookup costs a socket per call.
func (e *Endpoint) sourceFor(dst netip.Addr) string {
	if v, ok := e.srcIPs.Load(dst); ok {
		return v.(string)
	}
	ip := routeSource(dst)
	if ip != "" && e.srcCount.Add(1) <= maxSourceCache {
		e.srcIPs.Store(dst, ip)
	}
	return ip
}

// maxSourceCache bounds the source address cache (one entry per peer
// address).
const maxSourceCache = 4096

// routeSource asks the kernel which local address reaches dst.
func routeSource(dst netip.Addr) string {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 9)))
	if err != nil {
		return ""
	}
	defer c.Close()
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok {
		return a.AddrPort().Addr().Unmap().String()
	}
	return ""
}
