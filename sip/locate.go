package sip

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	sipgosip "github.com/emiago/sipgo/sip"
	"github.com/miekg/dns"
)

// Target is one next hop found for a URI (RFC 3263 §4).
type Target struct {
	// Transport is "udp", "tcp", "tls" or "ws".
	Transport string
	// Addr is the IP address and port to contact.
	Addr netip.AddrPort
	// Host is the name the server's TLS certificate must match: the host of
	// the resolved URI, not the SRV target (RFC 5922 §4.1).
	Host string
}

func (t Target) String() string { return t.Transport + ":" + t.Addr.String() }

// Bounds on the work one Locate call does.
const (
	maxNAPTR   = 8  // NAPTR records followed
	maxSRV     = 8  // SRV records followed per query
	maxTargets = 16 // targets returned
)

// srvQuery is an SRV lookup: the Resolver.LookupSRV arguments (service and
// proto without underscores, as net.Resolver takes them; both empty to look
// name up as it is) and the transport its records serve.
type srvQuery struct {
	service, proto, name, transport string
}

// key is the owner name queried, for de-duplication.
func (q srvQuery) key() string {
	n := strings.ToLower(dns.Fqdn(q.name))
	if q.service == "" && q.proto == "" {
		return n
	}
	return "_" + q.service + "._" + q.proto + "." + n
}

// srvFor returns the SRV query of a transport at host (RFC 3263 §4.2):
// _sip._udp, _sip._tcp, _sips._tcp.
func srvFor(transport, host string) (srvQuery, bool) {
	switch transport {
	case TransportUDP:
		return srvQuery{"sip", "udp", host, TransportUDP}, true
	case TransportTCP:
		return srvQuery{"sip", "tcp", host, TransportTCP}, true
	case TransportTLS:
		return srvQuery{"sips", "tcp", host, TransportTLS}, true
	}
	return srvQuery{}, false
}

// naptrTransport maps a NAPTR service field to a transport sxgw can use for
// the URI (RFC 3263 §4.1): a sips: URI only takes SIPS services.
func naptrTransport(service string, secure bool) (string, bool) {
	switch strings.ToUpper(service) {
	case "SIP+D2U":
		return TransportUDP, !secure
	case "SIP+D2T":
		return TransportTCP, !secure
	case "SIPS+D2T":
		return TransportTLS, true
	}
	return "", false
}

// defaultPort is the port of a transport when neither the URI nor SRV gives
// one (RFC 3261 §19.1.2, RFC 7118 §5).
func defaultPort(transport string) uint16 {
	switch transport {
	case TransportTLS:
		return 5061
	case TransportWS:
		return 80
	}
	return 5060
}

// locateRequest is a URI reduced to what RFC 3263 §4 looks at.
type locateRequest struct {
	secure    bool
	host      string     // TARGET: maddr or host, without brackets
	ip        netip.Addr // valid if host is a numeric IP
	port      uint16     // 0 if absent
	transport string     // "" if the URI has no transport parameter
	tlsName   string     // Target.Host
}

// parseLocate applies the URI checks of RFC 3263 §4 and §4.1.
func parseLocate(uri sipgosip.Uri) (locateRequest, error) {
	var r locateRequest
	switch strings.ToLower(uri.Scheme) {
	case "sip", "":
	case "sips":
		r.secure = true
	default:
		return r, fmt.Errorf("%w: scheme %q", ErrUnsupportedURI, uri.Scheme)
	}
	// RFC 3263 §4: TARGET is maddr if present, else the host.
	r.host = uri.Host
	if maddr, ok := uri.UriParams.Get("maddr"); ok && maddr != "" {
		r.host = maddr
	}
	r.host = strings.TrimSuffix(strings.Trim(r.host, "[]"), ".")
	if r.host == "" || strings.ContainsAny(r.host, " \t/\\") {
		return r, fmt.Errorf("%w: host %q", ErrUnsupportedURI, r.host)
	}
	if ip, err := netip.ParseAddr(r.host); err == nil {
		if ip.Zone() != "" {
			return r, fmt.Errorf("%w: zoned address %q", ErrUnsupportedURI, r.host)
		}
		r.ip = ip.Unmap()
	}
	if uri.Port < 0 || uri.Port > 65535 {
		return r, fmt.Errorf("%w: port %d", ErrUnsupportedURI, uri.Port)
	}
	r.port = uint16(uri.Port)
	r.tlsName = strings.ToLower(strings.TrimSuffix(strings.Trim(uri.Host, "[]"), "."))

	if tp, ok := uri.UriParams.Get("transport"); ok {
		tp = strings.ToLower(tp)
		switch {
		case tp == TransportUDP && !r.secure, tp == TransportTCP && !r.secure, tp == TransportTLS:
			r.transport = tp
		case tp == TransportTCP && r.secure:
			// RFC 3261 §26.2.2: sips over TCP means TLS.
			r.transport = TransportTLS
		case tp == TransportWS && !r.secure:
			r.transport = TransportWS
		default:
			// RFC 3263 §4.1: e.g. sips with transport=udp is an error.
			return r, fmt.Errorf("%w: transport %q for %s URI", ErrUnsupportedURI, tp, uri.Scheme)
		}
	}
	return r, nil
}

// plainTransport is the transport RFC 3263 §4.1 picks without DNS help:
// UDP for sip:, TLS for sips:.
func (r locateRequest) plainTransport() string {
	if r.transport != "" {
		return r.transport
	}
	if r.secure {
		return TransportTLS
	}
	return TransportUDP
}

// Locate finds the targets to try for uri, in order, following the client
// side of RFC 3263 §4: a numeric IP is used as is; a port or a transport
// parameter skips NAPTR; otherwise NAPTR (SIP+D2U, SIP+D2T, SIPS+D2T), then
// SRV (_sip._udp, _sip._tcp, _sips._tcp), then A/AAAA on the default port.
func (e *Endpoint) Locate(ctx context.Context, uri sipgosip.Uri) ([]Target, error) {
	r, err := parseLocate(uri)
	if err != nil {
		return nil, err
	}
	// RFC 3263 §4.1, §4.2: a numeric IP needs no DNS.
	if r.ip.IsValid() {
		tp := r.plainTransport()
		port := r.port
		if port == 0 {
			port = defaultPort(tp)
		}
		return []Target{{Transport: tp, Addr: netip.AddrPortFrom(r.ip, port), Host: r.tlsName}}, nil
	}
	if e.o.Resolver == nil {
		return nil, fmt.Errorf("%w: resolving %q", ErrNoResolver, r.host)
	}
	l := &locator{res: e.o.Resolver, req: r, seenSRV: map[string]bool{}}
	l.run(ctx)
	if len(l.targets) > 0 {
		return l.targets, nil
	}
	if l.err != nil {
		return nil, fmt.Errorf("sip: locating %q: %w", r.host, l.err)
	}
	return nil, fmt.Errorf("%w: %q", ErrNoTargets, r.host)
}

// locator carries one resolution: the targets found so far and the DNS
// failures met (reported only if nothing was found).
type locator struct {
	res     Resolver
	req     locateRequest
	targets []Target
	err     error
	seenSRV map[string]bool
}

func (l *locator) fail(err error) {
	l.err = errors.Join(l.err, err)
}

func (l *locator) full() bool { return len(l.targets) >= maxTargets }

func (l *locator) run(ctx context.Context) {
	r := l.req
	// RFC 3263 §4.2: with a port, only A/AAAA; the transport is the URI's
	// or the scheme's default (§4.1).
	if r.port != 0 {
		l.addresses(ctx, r.host, r.port, r.plainTransport())
		return
	}
	// RFC 3263 §4.1: a transport parameter skips NAPTR; §4.2: SRV for that
	// transport, and A/AAAA on its default port only if there are no SRV
	// records. WebSocket has no SRV.
	if r.transport != "" {
		if q, ok := srvFor(r.transport, r.host); ok && l.srv(ctx, q) {
			return
		}
		l.addresses(ctx, r.host, defaultPort(r.transport), r.transport)
		return
	}
	if l.naptr(ctx) {
		return
	}
	// RFC 3263 §4.1: no usable NAPTR; query SRV for each transport supported.
	anySRV := false
	for _, tp := range []string{TransportUDP, TransportTCP, TransportTLS} {
		if r.secure && tp != TransportTLS {
			continue
		}
		q, _ := srvFor(tp, r.host)
		if l.srv(ctx, q) {
			anySRV = true
		}
		if l.full() {
			return
		}
	}
	if anySRV {
		return
	}
	// RFC 3263 §4.2: no SRV records; A/AAAA on the default port of UDP
	// (sip:) or TLS (sips:).
	tp := r.plainTransport()
	l.addresses(ctx, r.host, defaultPort(tp), tp)
}

// naptr follows the NAPTR records of the host (RFC 3263 §4.1) and reports
// whether a usable one led to SRV records (then the host's own SRV and
// A/AAAA records are not consulted).
func (l *locator) naptr(ctx context.Context) bool {
	recs, err := l.res.LookupNAPTR(ctx, l.req.host)
	if err != nil {
		l.fail(fmt.Errorf("NAPTR %s: %w", l.req.host, err))
		return false
	}
	found := false
	for i, rec := range recs {
		if i >= maxNAPTR || l.full() {
			break
		}
		if rec == nil || !strings.EqualFold(rec.Flags, "s") {
			continue
		}
		tp, ok := naptrTransport(rec.Service, l.req.secure)
		if !ok {
			continue
		}
		name := strings.TrimSuffix(rec.Replacement, ".")
		if name == "" || rec.Regexp != "" {
			continue
		}
		// RFC 3263 §4.1: the replacement is the SRV name to query.
		if l.srv(ctx, srvQuery{name: name, transport: tp}) {
			found = true
		}
	}
	return found
}

// srv runs an SRV query and adds the addresses of its targets in RFC 2782
// order. It reports whether SRV records exist for the name, including the
// lone "." record that says the service is not available (RFC 2782).
func (l *locator) srv(ctx context.Context, q srvQuery) bool {
	key := q.key()
	if l.seenSRV[key] {
		return false
	}
	l.seenSRV[key] = true
	recs, err := l.res.LookupSRV(ctx, q.service, q.proto, q.name)
	if err != nil {
		l.fail(fmt.Errorf("SRV %s: %w", key, err))
		return false
	}
	if len(recs) == 0 {
		return false
	}
	for i, rec := range recs {
		if i >= maxSRV || l.full() {
			break
		}
		if rec == nil || rec.Target == "." || rec.Target == "" || rec.Port == 0 {
			continue
		}
		l.addresses(ctx, strings.TrimSuffix(rec.Target, "."), rec.Port, q.transport)
	}
	return true
}

// addresses adds one target per A/AAAA address of host (RFC 3263 §4.2).
func (l *locator) addresses(ctx context.Context, host string, port uint16, transport string) {
	if ip, err := netip.ParseAddr(host); err == nil {
		l.add(Target{Transport: transport, Addr: netip.AddrPortFrom(ip.Unmap(), port), Host: l.req.tlsName})
		return
	}
	ips, err := l.res.LookupIPAddr(ctx, host)
	if err != nil {
		l.fail(fmt.Errorf("address %s: %w", host, err))
		return
	}
	for _, ip := range ips {
		if !ip.IsValid() || ip.IsUnspecified() {
			continue
		}
		l.add(Target{Transport: transport, Addr: netip.AddrPortFrom(ip.Unmap(), port), Host: l.req.tlsName})
	}
}

func (l *locator) add(t Target) {
	if l.full() {
		return
	}
	for _, have := range l.targets {
		if have == t {
			return
		}
	}
	l.targets = append(l.targets, t)
}
