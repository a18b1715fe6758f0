package translate

import (
	"net/netip"
	"strings"
)

// maxURILen bounds the URIs the address mapping parses. A JID is at most
// three parts of 1023 bytes (RFC 7622 §3.1), so anything longer cannot map.
const maxURILen = 4096

// uriCharSet is a set of bytes.
type uriCharSet [4]uint64

func newURICharSet(chars string) uriCharSet {
	var s uriCharSet
	for i := 0; i < len(chars); i++ {
		c := chars[i]
		s[c>>6] |= 1 << (c & 63)
	}
	return s
}

func (s *uriCharSet) has(c byte) bool { return s[c>>6]&(1<<(c&63)) != 0 }

const uriAlphanum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// Character sets of RFC 3261 §25.1 and RFC 5322 §3.2.3. They are built once
// and never written.
var (
	// user = 1*( unreserved / escaped / user-unreserved )
	// unreserved = uriAlphanum / mark; mark = - _ . ! ~ * ' ( )
	// user-unreserved = & = + $ , ; ? /
	sipUserChars = newURICharSet(uriAlphanum + "-_.!~*'()" + "&=+$,;?/")
	// paramchar = param-unreserved / unreserved / escaped
	// param-unreserved = [ ] / : & + $
	sipParamChars = newURICharSet(uriAlphanum + "-_.!~*'()" + "[]/:&+$")
	// dot-atom-text (RFC 5322 §3.2.3), the local part of an im: or pres:
	// URI as RFC 7247 §6.2 takes it; "%" starts a percent-encoding.
	imLocalChars = newURICharSet(uriAlphanum + "!#$&'*+-/=?^_`{|}~.")
)

// parsedURI is what the address mapping needs from a SIP, IM or PRES URI.
type parsedURI struct {
	user string // percent-decoded user part; "" when absent
	host string // lowercase, without port or trailing dot
	gr   string // percent-decoded value of the "gr" parameter; "" if none
}

// parseURI parses a sip:, im: or pres: URI (RFC 3261 §25.1, RFC 3860,
// RFC 3859). sips: is refused (RFC 7247 §8), other schemes too.
func parseURI(s string) (parsedURI, *Error) {
	var u parsedURI
	if len(s) > maxURILen {
		return u, addrError(ErrBadAddress, "URI too long", nil)
	}
	colon := strings.IndexByte(s, ':')
	if colon <= 0 {
		return u, addrError(ErrBadAddress, "no URI scheme", nil)
	}
	scheme, rest := s[:colon], s[colon+1:]
	switch {
	case strings.EqualFold(scheme, "sip"):
		return parseSIPURI(rest)
	case strings.EqualFold(scheme, "sips"):
		return u, addrError(ErrSIPS, "", nil)
	case strings.EqualFold(scheme, "im"), strings.EqualFold(scheme, "pres"):
		return parseIMURI(rest)
	}
	return u, addrError(ErrScheme, "", nil)
}

// parseSIPURI parses what follows "sip:":
// [ userinfo ] hostport uri-parameters [ headers ] (RFC 3261 §25.1).
// Neither the host, the parameters nor the headers may contain "@", so the
// first "@" ends the userinfo (RFC 7247 §6.4 step 2).
func parseSIPURI(s string) (parsedURI, *Error) {
	var u parsedURI
	if at := strings.IndexByte(s, '@'); at >= 0 {
		userinfo := s[:at]
		s = s[at+1:]
		if strings.IndexByte(userinfo, ':') >= 0 {
			// RFC 3261 §19.1.1: passwords in URIs are NOT RECOMMENDED;
			// an address that carries one is no identity to map.
			return u, addrError(ErrUnmappable, "password in URI", nil)
		}
		user, ok := percentDecode(userinfo, &sipUserChars)
		if !ok || user == "" {
			return u, addrError(ErrBadAddress, "invalid user part", nil)
		}
		u.user = user
	}
	// Headers (RFC 3261 §19.1.1) are for building requests, not part of
	// the identity: dropped.
	if q := strings.IndexByte(s, '?'); q >= 0 {
		s = s[:q]
	}
	hostport, params, hasParams := strings.Cut(s, ";")
	host, err := parseHostPort(hostport, true)
	if err != nil {
		return u, err
	}
	u.host = host
	seenGR := false
	for more := hasParams; more; {
		var p string
		p, params, more = strings.Cut(params, ";")
		name, value, hasValue := strings.Cut(p, "=")
		if !validParamPart(name) || (hasValue && !validParamPart(value)) {
			return u, addrError(ErrBadAddress, "invalid URI parameter", nil)
		}
		if !strings.EqualFold(name, "gr") {
			// transport, user, maddr, lr, ... route a request; they are
			// not part of the address (RFC 7247 §6 maps user and gr).
			continue
		}
		if seenGR {
			return u, addrError(ErrBadAddress, "duplicate gr parameter", nil)
		}
		seenGR = true
		if !hasValue {
			// A temporary GRUU (RFC 5627 §3.2): RFC 7247 §6.3 maps only
			// AOR-associated GRUUs, so this addresses the bare JID.
			continue
		}
		gr, ok := percentDecode(value, &sipParamChars)
		if !ok {
			return u, addrError(ErrBadAddress, "invalid gr parameter", nil)
		}
		u.gr = gr
	}
	return u, nil
}

// validParamPart reports whether s is 1*paramchar (RFC 3261 §25.1).
func validParamPart(s string) bool {
	_, ok := percentDecode(s, &sipParamChars)
	return ok && s != ""
}

// parseIMURI parses what follows "im:" or "pres:": a mailbox addr-spec and
// optional headers (RFC 3860 §3, RFC 3859 §3). These URIs have no
// parameters and so no gr.
func parseIMURI(s string) (parsedURI, *Error) {
	var u parsedURI
	at := strings.IndexByte(s, '@')
	if at < 0 {
		return u, addrError(ErrUnmappable, "no user part", nil)
	}
	user, ok := percentDecode(s[:at], &imLocalChars)
	if !ok || user == "" {
		return u, addrError(ErrBadAddress, "invalid local part", nil)
	}
	u.user = user
	domain := s[at+1:]
	if q := strings.IndexByte(domain, '?'); q >= 0 {
		domain = domain[:q]
	}
	host, err := parseHostPort(domain, false)
	if err != nil {
		return u, err
	}
	u.host = host
	return u, nil
}

// parseHostPort validates host [ ":" port ] (RFC 3261 §25.1) and returns
// the host, lowercase and without a trailing dot. The port, a transport
// detail that no JID can carry, is dropped.
func parseHostPort(s string, portOK bool) (string, *Error) {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", addrError(ErrBadAddress, "invalid host", nil)
		}
		host, port = s[:end+1], s[end+1:]
		if port != "" {
			if port[0] != ':' {
				return "", addrError(ErrBadAddress, "invalid host", nil)
			}
			port = port[1:]
			if port == "" {
				return "", addrError(ErrBadAddress, "invalid port", nil)
			}
		}
	} else if h, p, ok := strings.Cut(s, ":"); ok {
		host, port = h, p
		if port == "" {
			return "", addrError(ErrBadAddress, "invalid port", nil)
		}
	}
	if port != "" && (!portOK || !validPort(port)) {
		return "", addrError(ErrBadAddress, "invalid port", nil)
	}
	host, ok := canonicalHost(host)
	if !ok {
		return "", addrError(ErrBadAddress, "invalid host", nil)
	}
	return host, nil
}

// validPort reports whether s is a port number, 0-65535.
func validPort(s string) bool {
	if len(s) == 0 || len(s) > 5 {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n <= 65535
}

// canonicalHost validates host = hostname / IPv4address / IPv6reference
// (RFC 3261 §25.1) and returns it lowercase, without the trailing dot a
// hostname may have.
func canonicalHost(h string) (string, bool) {
	if strings.HasPrefix(h, "[") {
		if len(h) < 3 || h[len(h)-1] != ']' {
			return "", false
		}
		a, err := netip.ParseAddr(h[1 : len(h)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", false
		}
		return strings.ToLower(h), true
	}
	// Only digits and dots can be an IPv4address; parsing anything else
	// as an address would fail, and its error costs an allocation.
	if strings.Trim(h, "0123456789.") == "" {
		if a, err := netip.ParseAddr(h); err == nil {
			return h, a.Is4()
		}
	}
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return "", false
	}
	var lower []byte // allocated only for uppercase input
	label := 0       // start of the current label
	for i := 0; i <= len(h); i++ {
		if i < len(h) && h[i] != '.' {
			c := h[i]
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
			case 'A' <= c && c <= 'Z':
				if lower == nil {
					lower = []byte(h)
				}
				lower[i] = c + 'a' - 'A'
			default:
				return "", false
			}
			continue
		}
		// domainlabel = uriAlphanum / uriAlphanum *( uriAlphanum / "-" ) uriAlphanum
		if i == label || i-label > 63 || h[label] == '-' || h[i-1] == '-' {
			return "", false
		}
		if i == len(h) {
			// toplabel = ALPHA / ALPHA *( uriAlphanum / "-" ) uriAlphanum
			if c := h[label] | 0x20; c < 'a' || c > 'z' {
				return "", false
			}
		}
		label = i + 1
	}
	if lower != nil {
		return string(lower), true
	}
	return h, true
}

// percentDecode decodes %HH escapes (RFC 3986 §2.1) in s and checks that
// every other byte is in allowed. It reports false for a malformed escape
// or a byte outside allowed.
func percentDecode(s string, allowed *uriCharSet) (string, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			if i+2 >= len(s) || !pctHexDigit(s[i+1]) || !pctHexDigit(s[i+2]) {
				return "", false
			}
			n++
			i += 2
		case !allowed.has(c):
			return "", false
		}
	}
	if n == 0 {
		return s, true
	}
	b := make([]byte, 0, len(s)-2*n)
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			b = append(b, pctUnhex(s[i+1])<<4|pctUnhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b), true
}

// percentEncode encodes every byte of s outside allowed as %HH, uppercase
// hex as RFC 3986 §2.1 recommends.
func percentEncode(s string, allowed *uriCharSet) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !allowed.has(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const upperHex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if allowed.has(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', upperHex[c>>4], upperHex[c&0x0f])
	}
	return string(b)
}

func pctHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func pctUnhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
