package msrp

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// DefaultPort is the IANA-registered MSRP port (RFC 4975 §15.4). It is a
// recommendation, not a default: MSRP URIs always carry an explicit port
// (RFC 4975 §6).
const DefaultPort = 2855

// URI is an MSRP or MSRPS URI (RFC 4975 §6, §9):
//
//	MSRP-URI = msrp-scheme "://" authority ["/" session-id] ";" transport *( ";" URI-parameter)
//
// The string fields of a URI returned by ParseURI, ParsePath or a Reader
// are substrings of the parsed text; they are immutable and safe to keep.
type URI struct {
	// Secure is true for the msrps scheme: the connection MUST use TLS
	// (RFC 4975 §6).
	Secure bool
	// User is the userinfo without "@", usually empty. It never takes part
	// in comparisons (RFC 4975 §6.1 rule 2).
	User string
	// Host is a host name, an IPv4 address or an IPv6 address without
	// brackets, as written.
	Host string
	// Port is the port, 0 when the URI has none (RFC 4975 §6: a URI with a
	// numeric address MUST have one).
	Port int
	// SessionID identifies the session at Host; empty in a URI that names a
	// device rather than a session. Compared case-sensitively.
	SessionID string
	// Transport is the transport parameter, "tcp" for every URI of RFC 4975.
	Transport string
	// Params holds the URI-parameters after the transport, verbatim with
	// their leading ";" (for example ";foo=bar"), or "".
	Params string
}

// Path is a list of MSRP URIs: the value of a To-Path or From-Path header
// field (RFC 4975 §5.2, leftmost first) or of an SDP a=path attribute
// (RFC 4975 §8.2).
type Path []URI

// ParseURI parses one MSRP URI (RFC 4975 §9). The scheme and transport are
// case-insensitive; a URI without a transport parameter is refused
// (RFC 4975 §6: URIs for MSRP over TCP MUST include "tcp").
func ParseURI(s string) (URI, error) {
	var u URI
	if err := u.parse(s); err != nil {
		return URI{}, err
	}
	return u, nil
}

func (u *URI) parse(s string) error {
	switch {
	case hasPrefixFold(s, "msrp://"):
		s = s[len("msrp://"):]
	case hasPrefixFold(s, "msrps://"):
		u.Secure = true
		s = s[len("msrps://"):]
	default:
		return uriErr("scheme is not msrp or msrps")
	}
	// RFC 4975 §9: the authority ends at "/" (session-id) or ";"
	// (transport). reg-name may not hold either here.
	end := strings.IndexAny(s, "/;")
	if end < 0 {
		return uriErr("no transport parameter")
	}
	if err := u.parseAuthority(s[:end]); err != nil {
		return err
	}
	s = s[end:]
	if s[0] == '/' {
		semi := strings.IndexByte(s, ';')
		if semi < 0 {
			return uriErr("no transport parameter")
		}
		u.SessionID = s[1:semi]
		if !validSessionID(u.SessionID) {
			return uriErr("bad session-id")
		}
		s = s[semi:]
	}
	// s starts with ";": transport, then URI-parameters.
	s = s[1:]
	semi := strings.IndexByte(s, ';')
	if semi < 0 {
		u.Transport = s
	} else {
		u.Transport, u.Params = s[:semi], s[semi:]
	}
	if u.Transport == "" {
		return uriErr("empty transport")
	}
	for i := 0; i < len(u.Transport); i++ {
		if !isAlnum(u.Transport[i]) {
			return uriErr("bad transport")
		}
	}
	if !validURIParams(u.Params) {
		return uriErr("bad URI parameter")
	}
	return nil
}

// parseAuthority: RFC 3986 authority = [userinfo "@"] host [":" port].
func (u *URI) parseAuthority(a string) error {
	if at := strings.LastIndexByte(a, '@'); at >= 0 {
		u.User = a[:at]
		a = a[at+1:]
		// RFC 4975 §6: userinfo MUST NOT contain password information.
		if u.User == "" || !validRegName(u.User) {
			return uriErr("bad userinfo")
		}
	}
	hostport := a
	if strings.HasPrefix(a, "[") {
		rb := strings.IndexByte(a, ']')
		if rb < 0 {
			return uriErr("unterminated IPv6 literal")
		}
		u.Host = a[1:rb]
		ip, err := netip.ParseAddr(u.Host)
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return uriErr("bad IPv6 literal")
		}
		a = a[rb+1:]
		if a != "" && a[0] != ':' {
			return uriErr("garbage after IPv6 literal")
		}
	} else {
		colon := strings.IndexByte(a, ':')
		if colon < 0 {
			u.Host, a = a, ""
		} else {
			u.Host, a = a[:colon], a[colon:]
		}
		if u.Host == "" || !validRegName(u.Host) {
			return uriErr("bad host")
		}
	}
	if a != "" { // ":" port
		p, ok := parseUint(a[1:])
		if !ok || p == 0 || p > 65535 || len(a) > 6 {
			return uriErr("bad port in " + strconv.Quote(hostport))
		}
		u.Port = int(p)
	}
	return nil
}

// validRegName: RFC 3986 reg-name = *( unreserved / pct-encoded /
// sub-delims ) without ";" (it ends the authority in an MSRP URI) and
// without ":" (no password in userinfo, RFC 4975 §6). It is used for
// userinfo too.
func validRegName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isUnreserved(c):
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		case strings.IndexByte("!$&'()*+,=", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validSessionID: RFC 4975 §9 session-id = 1*( unreserved / "+" / "=" / "/" ).
func validSessionID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isUnreserved(c) && c != '+' && c != '=' && c != '/' {
			return false
		}
	}
	return true
}

// validURIParams: *( ";" URI-parameter ), URI-parameter = token ["=" token].
func validURIParams(s string) bool {
	for s != "" {
		if s[0] != ';' {
			return false
		}
		s = s[1:]
		end := strings.IndexByte(s, ';')
		if end < 0 {
			end = len(s)
		}
		p := s[:end]
		s = s[end:]
		name, val, hasVal := strings.Cut(p, "=")
		if !validToken(name) || (hasVal && !validToken(val)) {
			return false
		}
	}
	return true
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		// "=" and ";" are token characters but delimit parameters here.
		if c := s[i]; !isTokenChar(c) || c == ';' || c == '=' {
			return false
		}
	}
	return true
}

// isUnreserved: RFC 3986 unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
func isUnreserved(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool { return isDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'f') }

func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

func uriErr(why string) error { return fmt.Errorf("%w: %s", ErrBadURI, why) }

// Scheme returns "msrps" or "msrp".
func (u URI) Scheme() string {
	if u.Secure {
		return "msrps"
	}
	return "msrp"
}

// String formats u (RFC 4975 §9). The scheme is written in lower case; the
// other parts as they are.
func (u URI) String() string { return string(u.AppendTo(make([]byte, 0, 64))) }

// AppendTo appends the text of u to b.
func (u URI) AppendTo(b []byte) []byte {
	b = append(b, u.Scheme()...)
	b = append(b, "://"...)
	if u.User != "" {
		b = append(b, u.User...)
		b = append(b, '@')
	}
	if strings.IndexByte(u.Host, ':') >= 0 {
		b = append(b, '[')
		b = append(b, u.Host...)
		b = append(b, ']')
	} else {
		b = append(b, u.Host...)
	}
	if u.Port != 0 {
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(u.Port), 10)
	}
	if u.SessionID != "" {
		b = append(b, '/')
		b = append(b, u.SessionID...)
	}
	b = append(b, ';')
	b = append(b, u.Transport...)
	b = append(b, u.Params...)
	return b
}

// Validate reports whether u can be written: the checks ParseURI makes on
// each part.
func (u URI) Validate() error {
	if u.Host == "" {
		return uriErr("empty host")
	}
	if strings.IndexByte(u.Host, ':') >= 0 {
		ip, err := netip.ParseAddr(u.Host)
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return uriErr("bad IPv6 address")
		}
	} else if !validRegName(u.Host) {
		return uriErr("bad host")
	}
	if u.User != "" && !validRegName(u.User) {
		return uriErr("bad userinfo")
	}
	if u.Port < 0 || u.Port > 65535 {
		return uriErr("bad port")
	}
	if u.SessionID != "" && !validSessionID(u.SessionID) {
		return uriErr("bad session-id")
	}
	if u.Transport == "" {
		return uriErr("empty transport")
	}
	for i := 0; i < len(u.Transport); i++ {
		if !isAlnum(u.Transport[i]) {
			return uriErr("bad transport")
		}
	}
	if !validURIParams(u.Params) {
		return uriErr("bad URI parameter")
	}
	return nil
}

// Equal compares two MSRP URIs by the rules of RFC 4975 §6.1: the scheme
// must match; userinfo is ignored; IP addresses are compared as addresses,
// other hosts case-insensitively after decoding percent-encoded unreserved
// characters; ports must match exactly (a URI with a port never equals one
// without); session-ids are compared case-sensitively (a URI without one
// never equals one with one); transports case-insensitively. Further URI
// parameters are not compared.
func (u URI) Equal(o URI) bool {
	return u.Secure == o.Secure &&
		u.Port == o.Port &&
		u.SessionID == o.SessionID &&
		equalFoldASCII(u.Transport, o.Transport) &&
		hostEqual(u.Host, o.Host)
}

// Key returns a canonical text of u such that Key(a) == Key(b) exactly
// when a.Equal(b): usable as a map key for a registry of sessions.
func (u URI) Key() string {
	b := make([]byte, 0, 64)
	b = append(b, u.Scheme()...)
	b = append(b, "://"...)
	b = append(b, normHost(u.Host)...)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(u.Port), 10)
	b = append(b, '/')
	b = append(b, u.SessionID...)
	b = append(b, ';')
	for i := 0; i < len(u.Transport); i++ {
		c := u.Transport[i]
		if isUpper(c) {
			c |= 0x20
		}
		b = append(b, c)
	}
	return string(b)
}

// hostEqual: RFC 4975 §6.1 rule 2. Without "%" or ":" two hosts are equal
// exactly when they are equal ignoring case (an IPv4 address has one
// textual form), which needs no allocation.
func hostEqual(a, b string) bool {
	if a == b {
		return true
	}
	if !strings.ContainsAny(a, "%:") && !strings.ContainsAny(b, "%:") {
		return equalFoldASCII(a, b)
	}
	return normHost(a) == normHost(b)
}

// normHost returns the comparison form of a host (RFC 4975 §6.1 rule 2):
// percent-encoded unreserved characters decoded (RFC 3986 §6.2.2.2),
// letters in lower case, and a numeric address in its canonical text
// (IPv4-mapped IPv6 addresses as IPv4).
func normHost(h string) string {
	b := make([]byte, 0, len(h))
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c == '%' && i+2 < len(h) && isHex(h[i+1]) && isHex(h[i+2]) {
			if d := unhex(h[i+1])<<4 | unhex(h[i+2]); isUnreserved(d) {
				c = d
				i += 2
			}
		}
		if isUpper(c) {
			c |= 0x20
		}
		b = append(b, c)
	}
	if ip, err := netip.ParseAddr(string(b)); err == nil && ip.Zone() == "" {
		return ip.Unmap().String()
	}
	return string(b)
}

// ParsePath parses a space-separated list of MSRP URIs: the value of a
// To-Path or From-Path header field or of an SDP a=path attribute
// (RFC 4975 §8.2). Runs of spaces and tabs are accepted between URIs. The
// list must not be empty.
func ParsePath(s string) (Path, error) {
	return appendPath(nil, s)
}

func appendPath(dst Path, s string) (Path, error) {
	n := len(dst)
	for {
		for len(s) > 0 && isSpace(s[0]) {
			s = s[1:]
		}
		if s == "" {
			break
		}
		end := 0
		for end < len(s) && !isSpace(s[end]) {
			end++
		}
		dst = append(dst, URI{})
		if err := dst[len(dst)-1].parse(s[:end]); err != nil {
			return dst[:n], err
		}
		s = s[end:]
	}
	if len(dst) == n {
		return dst, fmt.Errorf("%w: empty path", ErrBadURI)
	}
	return dst, nil
}

// String formats p with single spaces between URIs, as in a To-Path value
// or an a=path attribute.
func (p Path) String() string { return string(p.AppendTo(make([]byte, 0, 64*len(p)))) }

// AppendTo appends the text of p to b.
func (p Path) AppendTo(b []byte) []byte {
	for i, u := range p {
		if i > 0 {
			b = append(b, ' ')
		}
		b = u.AppendTo(b)
	}
	return b
}

// Clone returns a copy of p that does not share its backing array.
func (p Path) Clone() Path {
	if p == nil {
		return nil
	}
	return append(Path(nil), p...)
}

// Equal reports whether p and q have the same length and pairwise Equal
// URIs.
func (p Path) Equal(q Path) bool {
	if len(p) != len(q) {
		return false
	}
	for i := range p {
		if !p[i].Equal(q[i]) {
			return false
		}
	}
	return true
}
