package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultMaxMessageSize = 32 << 10
	DefaultRetryAfter     = 30 * time.Second
	DefaultUserAgent      = "sxgw"
)

// Transports, as used in listener specs and Target.Transport.
const (
	TransportUDP = "udp"
	TransportTCP = "tcp"
	TransportTLS = "tls"
	TransportWS  = "ws" // RFC 7118
)

// Options configure an Endpoint.
type Options struct {
	// Listen entries are "transport:ip:port" with transport one of udp, tcp,
	// tls, ws; the IP is a literal ("udp:0.0.0.0:5060", "tls:[::1]:5061").
	// Port 0 binds an ephemeral port (see Endpoint.Addrs).
	Listen []string
	// Domains are the SIP domains served here; a request whose Request-URI
	// names another domain is refused (RFC 3261 §8.2.2.1).
	Domains []string
	// ConferenceDomain, if set, hosts the MSRP chat rooms (RFC 7701):
	// sip:room@ConferenceDomain is a room whose focus is this endpoint,
	// when ServeChats is given a core that also implements RoomInbound.
	// It is served like Domains. Empty: no rooms.
	ConferenceDomain string
	// OutboundProxy, if set, receives every outgoing request: a sip:/sips:
	// URI or host[:port]. Empty routes by DNS (RFC 3263).
	OutboundProxy string
	// ContactHost, if set, is the host put in our Contact header fields,
	// where peers send the requests of a dialog (RFC 3261 §8.1.1.8): a
	// domain name or an IP address reaching the listeners, such as the
	// public address in front of NAT. Empty: the listener's address, or for
	// a listener bound to an unspecified address (0.0.0.0, ::) the local
	// address facing the peer.
	ContactHost string
	// TrustedPeers are the source prefixes allowed without authentication.
	TrustedPeers []netip.Prefix
	// TLSConfig serves tls listeners (it must then hold a certificate) and
	// verifies outgoing TLS connections. Nil: no tls listener, and outgoing
	// TLS verifies against the system roots.
	TLSConfig *tls.Config
	// UserAgent is sent as Server in responses and User-Agent in requests.
	UserAgent string
	// Credentials answer digest challenges (RFC 3261 §22.2) to the
	// requests sxgw sends (MESSAGE, SUBSCRIBE, NOTIFY, BYE, INVITE), once
	// per request. None: every 401 or 407 is final.
	Credentials []Credential
	// MaxMessageSize bounds accepted requests in bytes; larger ones get 513
	// (RFC 3261 §21.5.14).
	MaxMessageSize int
	// RetryAfter goes with 503 responses while draining (RFC 3261 §20.33).
	RetryAfter time.Duration
	// Resolver answers the DNS queries of RFC 3263. Nil allows only numeric
	// IP destinations.
	Resolver Resolver
	// Registerer receives the endpoint's metrics; nil keeps them unregistered.
	Registerer prometheus.Registerer
	// Logger; nil discards.
	Logger *slog.Logger
}

// Resolver is what the SIP side needs from DNS. A name or record type that
// does not exist is answered with (nil, nil); only failures are errors.
type Resolver interface {
	// LookupNAPTR returns the NAPTR records of name sorted by order, then
	// preference (RFC 3403 §4.1).
	LookupNAPTR(ctx context.Context, name string) ([]*dns.NAPTR, error)
	// LookupSRV returns the SRV records of _service._proto.name in RFC 2782
	// order. A lone record with target "." means the service is not available.
	LookupSRV(ctx context.Context, service, proto, name string) ([]*net.SRV, error)
	// LookupIPAddr returns the A and AAAA addresses of host.
	LookupIPAddr(ctx context.Context, host string) ([]netip.Addr, error)
}

// listenSpec is one parsed Options.Listen entry.
type listenSpec struct {
	transport string
	addr      netip.AddrPort
}

// parseListen parses "transport:ip:port".
func parseListen(s string) (listenSpec, error) {
	transport, hostport, ok := strings.Cut(s, ":")
	if !ok {
		return listenSpec{}, fmt.Errorf("%w: listen %q: want transport:ip:port", ErrConfig, s)
	}
	transport = strings.ToLower(transport)
	switch transport {
	case TransportUDP, TransportTCP, TransportTLS, TransportWS:
	default:
		return listenSpec{}, fmt.Errorf("%w: listen %q: unknown transport %q", ErrConfig, s, transport)
	}
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		return listenSpec{}, fmt.Errorf("%w: listen %q: %w", ErrConfig, s, err)
	}
	return listenSpec{transport: transport, addr: ap}, nil
}

// parseProxy turns an outbound proxy setting into a URI: "sip:host:port;..."
// and "sips:..." are parsed as they are, a bare "host[:port]" as sip:host[:port].
func parseProxy(s string) (sipgosip.Uri, error) {
	var u sipgosip.Uri
	lower := strings.ToLower(s)
	if !strings.HasPrefix(lower, "sip:") && !strings.HasPrefix(lower, "sips:") {
		s = "sip:" + s
	}
	if err := sipgosip.ParseUri(s, &u); err != nil {
		return u, fmt.Errorf("%w: outbound proxy %q: %w", ErrConfig, s, err)
	}
	if u.Host == "" || u.User != "" {
		return u, fmt.Errorf("%w: outbound proxy %q: want a host URI", ErrConfig, s)
	}
	return u, nil
}

// normalizeDomain lowercases a domain and drops a trailing dot.
func normalizeDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(d), ".")
}

// check validates o and fills defaults, returning every problem found.
func (o *Options) check() (specs []listenSpec, proxy *sipgosip.Uri, err error) {
	var errs []error
	for _, l := range o.Listen {
		spec, err := parseListen(l)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if spec.transport == TransportTLS && (o.TLSConfig == nil ||
			(len(o.TLSConfig.Certificates) == 0 && o.TLSConfig.GetCertificate == nil)) {
			errs = append(errs, fmt.Errorf("%w: listen %q: TLSConfig holds no certificate", ErrConfig, l))
		}
		specs = append(specs, spec)
	}
	for _, d := range o.Domains {
		if d == "" || strings.ContainsAny(d, " \t:;@/") {
			errs = append(errs, fmt.Errorf("%w: domain %q", ErrConfig, d))
		}
	}
	if o.ConferenceDomain != "" {
		if !isDomainName(o.ConferenceDomain) {
			errs = append(errs, fmt.Errorf("%w: conference domain %q: want a domain name", ErrConfig, o.ConferenceDomain))
		} else {
			o.ConferenceDomain = normalizeDomain(o.ConferenceDomain)
			if !slices.ContainsFunc(o.Domains, func(d string) bool { return normalizeDomain(d) == o.ConferenceDomain }) {
				// Requests to rooms are ours (RFC 3261 §8.2.2.1); a
				// copy, not the caller's slice.
				o.Domains = append(slices.Clip(o.Domains), o.ConferenceDomain)
			}
		}
	}
	if o.OutboundProxy != "" {
		u, err := parseProxy(o.OutboundProxy)
		if err != nil {
			errs = append(errs, err)
		} else {
			proxy = &u
		}
	}
	if o.ContactHost != "" {
		h, err := checkContactHost(o.ContactHost)
		if err != nil {
			errs = append(errs, err)
		}
		o.ContactHost = h
	}
	for _, p := range o.TrustedPeers {
		if !p.IsValid() {
			errs = append(errs, fmt.Errorf("%w: invalid trusted peer prefix", ErrConfig))
		}
	}
	if o.MaxMessageSize < 0 {
		errs = append(errs, fmt.Errorf("%w: negative MaxMessageSize", ErrConfig))
	}
	if o.RetryAfter < 0 {
		errs = append(errs, fmt.Errorf("%w: negative RetryAfter", ErrConfig))
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.MaxMessageSize == 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.RetryAfter == 0 {
		o.RetryAfter = DefaultRetryAfter
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return specs, proxy, errors.Join(errs...)
}

// checkContactHost validates Options.ContactHost: an IP address (IPv6 with
// or without brackets) or a domain name; it returns the host as a URI
// carries it, without brackets (sipgo adds them).
func checkContactHost(h string) (string, error) {
	bare := strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if ip, err := netip.ParseAddr(bare); err == nil && ip.Zone() == "" {
		return ip.String(), nil
	}
	if !isDomainName(h) {
		return h, fmt.Errorf("%w: contact host %q: want a domain name or an IP address", ErrConfig, h)
	}
	return normalizeDomain(h), nil
}

// isDomainName reports whether s is a host name made of letters, digits
// and hyphens in dot-separated labels (RFC 3261 §25.1 hostname).
func isDomainName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
