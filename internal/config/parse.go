package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// SIPListener is one parsed sip.listen entry.
type SIPListener struct {
	Transport string // TransportUDP, TransportTCP, TransportTLS or TransportWS
	Addr      string // ip:port to bind, as written ("0.0.0.0:5060", "[::]:5061")
}

// String returns the entry in its configuration form, "transport:host:port".
func (l SIPListener) String() string { return l.Transport + ":" + l.Addr }

// ParseSIPListener parses a sip.listen entry "transport:ip:port", e.g.
// "udp:0.0.0.0:5060" or "tls:[::]:5061". The host must be an IP address.
func ParseSIPListener(s string) (SIPListener, error) {
	transport, addr, ok := strings.Cut(s, ":")
	if !ok || !isLetters(transport) {
		return SIPListener{}, fmt.Errorf("want transport:host:port, got %q", s)
	}
	switch transport {
	case TransportUDP, TransportTCP, TransportTLS, TransportWS:
	default:
		return SIPListener{}, fmt.Errorf("unknown transport %q (want udp, tcp, tls or ws)", transport)
	}
	if _, err := netip.ParseAddrPort(addr); err != nil {
		if err := checkHostPort(addr, 0); err != nil {
			return SIPListener{}, err
		}
		// The SIP stack binds each listener to one address, which it also
		// advertises in Via and Contact.
		return SIPListener{}, fmt.Errorf("%q: host must be an IP address, e.g. 0.0.0.0 or [::]", addr)
	}
	return SIPListener{Transport: transport, Addr: addr}, nil
}

// checkHostPort checks a host:port address with a numeric port not below
// minPort. The host may be empty, an IP address or a DNS name.
func checkHostPort(s string, minPort int) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if strings.Count(s, ":") > 1 && !strings.HasPrefix(s, "[") {
			return fmt.Errorf("%q: an IPv6 address must be in brackets, e.g. \"[::1]:5060\"", s)
		}
		return fmt.Errorf("%q is not host:port", s)
	}
	if err := checkPort(port, minPort); err != nil {
		return fmt.Errorf("%q: %w", s, err)
	}
	if host == "" {
		return nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if err := checkDomain(host); err != nil {
		return fmt.Errorf("%q: host %w", s, err)
	}
	return nil
}

// checkPort checks a decimal port number in minPort..65535.
func checkPort(p string, minPort int) error {
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return fmt.Errorf("port %q is not a number in %d..65535", p, minPort)
	}
	if int(n) < minPort {
		return fmt.Errorf("port %d is not in %d..65535", n, minPort)
	}
	return nil
}

// checkDomain checks that s is a DNS host name: dot-separated labels of
// letters, digits and hyphens, 1..63 octets each, not starting or ending with
// a hyphen, 253 octets at most (RFC 1123 §2.1), with a top-level label that is
// not all digits (RFC 3696 §2) so that an IPv4 address is not a name.
// Internationalized names must be given in their A-label (xn--) form.
func checkDomain(s string) error {
	switch {
	case s == "":
		return errors.New("is empty")
	case len(s) > 253:
		return fmt.Errorf("%q is longer than 253 characters", s)
	case strings.HasSuffix(s, "."):
		return fmt.Errorf("%q must not end with a dot", s)
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return fmt.Errorf("%q is an IP address, want a domain name", s)
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" {
			return fmt.Errorf("%q has an empty label", s)
		}
		if len(l) > 63 {
			return fmt.Errorf("%q has a label longer than 63 characters", s)
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("%q has a label that starts or ends with a hyphen", s)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				if c >= 0x80 {
					return fmt.Errorf("%q is not ASCII: write it in A-label (xn--) form", s)
				}
				return fmt.Errorf("%q contains %q: only letters, digits, hyphens and dots are allowed", s, c)
			}
		}
	}
	if allDigits(labels[len(labels)-1]) {
		return fmt.Errorf("%q has an all-numeric top-level label", s)
	}
	return nil
}

// checkContactHost checks sip.contact_host: an IP address without a zone
// (an IPv6 one with or without brackets) or a domain name.
func checkContactHost(s string) error {
	bare := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if ip, err := netip.ParseAddr(bare); err == nil {
		if ip.Zone() != "" {
			return fmt.Errorf("%q: zones are not allowed", s)
		}
		return nil
	}
	if strings.Contains(s, ":") {
		return fmt.Errorf("%q: want a host without a port", s)
	}
	return checkDomain(s)
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParsePrefix parses a sip.trusted_peers entry: a CIDR prefix
// ("10.0.0.0/8", "2001:db8::/32") or a single address, which becomes a /32
// or /128 prefix. Host bits of a prefix must be zero.
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR prefix", s)
		}
		if p.Addr().Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q: zones are not allowed", s)
		}
		if p.Masked() != p {
			return netip.Prefix{}, fmt.Errorf("%q has host bits set (did you mean %q?)", s, p.Masked().String())
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR prefix", s)
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q: zones are not allowed", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Proxy is a parsed sip.outbound_proxy.
type Proxy struct {
	Scheme    string // "sip" or "sips"; "sip" when the value was host[:port]
	Host      string // DNS name or IP address (no brackets)
	Port      int    // 0 when absent: RFC 3263 decides
	Transport string // value of the transport parameter; "" when absent
}

// String returns the proxy as a SIP URI in canonical form: lower-case
// scheme, bracketed IPv6 address, and the transport parameter when set. The
// lr parameter is left to whoever builds the Route header (RFC 3261 §16.12).
func (p Proxy) String() string {
	var b strings.Builder
	b.WriteString(p.Scheme)
	b.WriteByte(':')
	if strings.Contains(p.Host, ":") {
		b.WriteString("[" + p.Host + "]")
	} else {
		b.WriteString(p.Host)
	}
	if p.Port != 0 {
		b.WriteString(":" + strconv.Itoa(p.Port))
	}
	if p.Transport != "" {
		b.WriteString(";transport=" + p.Transport)
	}
	return b.String()
}

// ParseProxy parses a sip.outbound_proxy value: a SIP or SIPS URI without a
// user part (RFC 3261 §19.1.1), e.g. "sip:proxy.example.com:5060;lr" or
// "sips:[2001:db8::1];transport=tls", or a bare host[:port]. The only URI
// parameters accepted are lr and transport (udp, tcp, tls, ws).
func ParseProxy(s string) (Proxy, error) {
	p := Proxy{Scheme: "sip"}
	rest := s
	if scheme, r, ok := strings.Cut(s, ":"); ok && (strings.EqualFold(scheme, "sip") || strings.EqualFold(scheme, "sips")) {
		p.Scheme = strings.ToLower(scheme)
		rest = r
	}
	if strings.ContainsAny(rest, "@?") {
		return Proxy{}, fmt.Errorf("%q: want sip:host[:port] with no user part or headers", s)
	}
	hostport, params, _ := strings.Cut(rest, ";")
	host, port, err := splitURIHostPort(hostport)
	if err != nil {
		return Proxy{}, fmt.Errorf("%q: %w", s, err)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return Proxy{}, fmt.Errorf("%q: zones are not allowed", s)
		}
	} else if err := checkDomain(host); err != nil {
		return Proxy{}, fmt.Errorf("%q: host %w", s, err)
	}
	p.Host = host
	if port != "" {
		if err := checkPort(port, 1); err != nil {
			return Proxy{}, fmt.Errorf("%q: %w", s, err)
		}
		p.Port, _ = strconv.Atoi(port)
	}
	if params != "" {
		for param := range strings.SplitSeq(params, ";") {
			name, value, hasValue := strings.Cut(param, "=")
			switch strings.ToLower(name) {
			case "lr":
				if hasValue {
					return Proxy{}, fmt.Errorf("%q: lr takes no value", s)
				}
			case "transport":
				value = strings.ToLower(value)
				switch value {
				case TransportUDP, TransportTCP, TransportTLS, TransportWS:
					p.Transport = value
				default:
					return Proxy{}, fmt.Errorf("%q: unknown transport %q (want udp, tcp, tls or ws)", s, value)
				}
			default:
				return Proxy{}, fmt.Errorf("%q: unsupported URI parameter %q (want lr or transport)", s, name)
			}
		}
	}
	if p.Scheme == "sips" && p.Transport != "" && p.Transport != TransportTLS {
		// RFC 3261 §26.2.2: a SIPS URI is reached over TLS only.
		return Proxy{}, fmt.Errorf("%q: a sips URI requires TLS, not transport=%s", s, p.Transport)
	}
	return p, nil
}

// splitURIHostPort splits "host", "host:port", "[v6]" or "[v6]:port". An
// IPv6 address must be in brackets.
func splitURIHostPort(s string) (host, port string, err error) {
	switch {
	case s == "":
		return "", "", errors.New("missing host")
	case s[0] == '[':
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", errors.New("missing ] after IPv6 address")
		}
		host = s[1:end]
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return "", "", fmt.Errorf("%q is not an IPv6 address", host)
		}
		rest := s[end+1:]
		if rest == "" {
			return host, "", nil
		}
		if rest[0] != ':' || len(rest) == 1 {
			return "", "", errors.New("want [address]:port")
		}
		return host, rest[1:], nil
	}
	switch strings.Count(s, ":") {
	case 0:
		return s, "", nil
	case 1:
		host, port, _ = strings.Cut(s, ":")
		if port == "" {
			return "", "", errors.New("empty port")
		}
		return host, port, nil
	}
	return "", "", errors.New("an IPv6 address must be in brackets")
}
