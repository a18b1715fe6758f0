package jingle

import (
	"strings"
)

// Parsers of single SDP attribute values. Each takes the value after
// "a=<name>:" and reports ok false for a value it cannot read; the caller
// drops such a line and records it.

// field splits s at the first run of blanks: the first token and the rest,
// both without surrounding blanks.
func field(s string) (head, rest string) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	s = s[i:]
	for j := 0; j < len(s); j++ {
		if s[j] == ' ' || s[j] == '\t' {
			k := j + 1
			for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
				k++
			}
			return s[:j], s[k:]
		}
	}
	return s, ""
}

// trimBlank removes trailing blanks.
func trimBlank(s string) string {
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// parsePT reads an RTP payload type number (0-127, RFC 3551 §3).
func parsePT(s string) (uint8, bool) {
	n, err := parseUint(s, 8)
	if err != nil || n > 127 {
		return 0, false
	}
	return uint8(n), true
}

// rtpmap is a=rtpmap:<pt> <name>/<rate>[/<channels>] (RFC 4566 §6).
type rtpmap struct {
	pt       uint8
	name     string
	rate     uint32
	channels uint8
}

func parseRtpmap(v string) (rtpmap, bool) {
	ptStr, enc := field(v)
	pt, ok := parsePT(ptStr)
	if !ok {
		return rtpmap{}, false
	}
	enc = trimBlank(enc)
	name, rest, _ := strings.Cut(enc, "/")
	rateStr, chStr, hasCh := strings.Cut(rest, "/")
	rate, err := parseUint(rateStr, 32)
	if name == "" || err != nil {
		return rtpmap{}, false
	}
	r := rtpmap{pt: pt, name: name, rate: uint32(rate)}
	if hasCh {
		ch, err := parseUint(chStr, 8)
		if err != nil {
			return rtpmap{}, false
		}
		r.channels = uint8(ch)
	}
	return r, true
}

// appendFmtp appends the fmtp parameters of s to dst: split at ';', each
// part trimmed and split at the first '=' only, values kept verbatim; a
// part without '=' is a bare value with an empty name (NOTES §5 item 5).
// ok is false when there are more than MaxItems parameters.
func appendFmtp(dst []Parameter, s string) (out []Parameter, n int, ok bool) {
	for len(s) > 0 {
		part, rest, _ := strings.Cut(s, ";")
		s = rest
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if n == MaxItems {
			return dst, n, false
		}
		if name, value, ok := strings.Cut(part, "="); ok {
			dst = append(dst, Parameter{Name: strings.TrimSpace(name), Value: value})
		} else {
			dst = append(dst, Parameter{Value: part})
		}
		n++
	}
	return dst, n, true
}

// tokenParams reads blank-separated name[=value] tokens as parameters
// (the extra parameters of rtcp-fb and extmap, XEP-0293 §3, XEP-0294 §3).
func tokenParams(s string) ([]Parameter, bool) {
	var ps []Parameter
	for s != "" {
		var tok string
		tok, s = field(s)
		if len(ps) == MaxItems {
			return nil, false
		}
		name, value, _ := strings.Cut(tok, "=")
		ps = append(ps, Parameter{Name: name, Value: value})
	}
	return ps, true
}

// parseRTCPFB reads a=rtcp-fb:<pt|*> <type> [<subtype> [<params>]] (RFC
// 4585 §4.2). all is true for '*'; trr, when non-nil, is a trr-int line.
func parseRTCPFB(v string) (pt uint8, all bool, fb RTCPFB, trr *TrrInt, ok bool) {
	ptStr, rest := field(v)
	if ptStr == "*" {
		all = true
	} else if pt, ok = parsePT(ptStr); !ok {
		return 0, false, RTCPFB{}, nil, false
	}
	typ, rest := field(rest)
	if typ == "" {
		return 0, false, RTCPFB{}, nil, false
	}
	if typ == "trr-int" {
		n, err := parseUint(strings.TrimSpace(rest), 32)
		if err != nil {
			return 0, false, RTCPFB{}, nil, false
		}
		return pt, all, RTCPFB{}, &TrrInt{Value: uint32(n)}, true
	}
	fb.Type = typ
	fb.Subtype, rest = field(rest)
	if rest != "" {
		if fb.Parameters, ok = tokenParams(rest); !ok {
			return 0, false, RTCPFB{}, nil, false
		}
	}
	return pt, all, fb, nil, true
}

// parseExtmap reads a=extmap:<id>[/<direction>] <uri> [<attributes>] (RFC
// 8285 §7); author is the Jingle role of the SDP author.
func parseExtmap(v string, author Role) (HdrExt, bool) {
	idDir, rest := field(v)
	idStr, dir, hasDir := strings.Cut(idDir, "/")
	id, err := parseUint(idStr, 16)
	if err != nil || id == 0 {
		return HdrExt{}, false
	}
	uri, attrs := field(rest)
	if uri == "" {
		return HdrExt{}, false
	}
	h := HdrExt{ID: uint16(id), URI: uri}
	if hasDir {
		switch dir {
		case dirSendRecv, dirSendOnly, dirRecvOnly, dirInactive:
		default:
			return HdrExt{}, false
		}
		// XEP-0294 §5 with XEP-0166 senders semantics (NOTES §11).
		if s := SendersFromDirection(dir, author); s != SendersBoth {
			h.Senders = s
		}
	}
	if attrs != "" {
		var ok bool
		if h.Parameters, ok = tokenParams(attrs); !ok {
			return HdrExt{}, false
		}
	}
	return h, true
}

// parseCandidate reads an a=candidate value (RFC 8839 §5.1). ufrag is the
// candidate's ufrag extension, "" when absent. The id is left empty.
func parseCandidate(v string) (c ICECandidate, ufrag string, ok bool) {
	var s [8]string
	rest := v
	for i := range s {
		s[i], rest = field(rest)
		if s[i] == "" {
			return c, "", false
		}
	}
	comp, err1 := parseUint(s[1], 8)
	prio, err2 := parseUint(s[3], 32)
	port, err3 := parseUint(s[5], 16)
	if err1 != nil || err2 != nil || err3 != nil || comp == 0 || s[6] != "typ" {
		return c, "", false
	}
	c = ICECandidate{
		Foundation: s[0],
		Component:  uint8(comp),
		Protocol:   strings.ToLower(s[2]),
		Priority:   uint32(prio),
		IP:         s[4],
		Port:       uint16(port),
		Type:       s[7],
	}
	if !validCandidateType(c.Type) {
		return c, "", false
	}
	for rest != "" {
		var name, value string
		name, rest = field(rest)
		value, rest = field(rest)
		switch name {
		case "raddr":
			c.RelAddr = value
		case "rport":
			p, err := parseUint(value, 16)
			if err != nil {
				return c, "", false
			}
			c.RelPort = uint16(p)
		case "generation":
			g, err := parseUint(value, 8)
			if err != nil {
				return c, "", false
			}
			c.Generation = uint8(g)
		case "network-id":
			if n, err := parseUint(value, 8); err == nil {
				c.Network = uint8(n)
			}
		case "tcptype":
			c.TCPType = value
		case "ufrag":
			ufrag = value
		}
	}
	return c, ufrag, true
}

// parseCrypto reads a=crypto:<tag> <suite> <key-params> [<session-params>]
// (RFC 4568 §9.1).
func parseCrypto(v string) (Crypto, bool) {
	tag, rest := field(v)
	suite, rest := field(rest)
	key, rest := field(rest)
	if _, err := parseUint(tag, 32); err != nil || suite == "" || key == "" {
		return Crypto{}, false
	}
	return Crypto{Tag: tag, Suite: suite, KeyParams: key, SessionParams: trimBlank(rest)}, true
}

// parseSSRC reads a=ssrc:<id> <attribute>[:<value>] (RFC 5576 §4.1).
func parseSSRC(v string) (ssrc uint32, p SourceParameter, ok bool) {
	idStr, rest := field(v)
	id, err := parseUint(idStr, 32)
	if err != nil || rest == "" {
		return 0, p, false
	}
	rest = trimBlank(rest)
	name, value, _ := strings.Cut(rest, ":")
	if name == "" {
		return 0, p, false
	}
	return uint32(id), SourceParameter{Name: name, Value: value}, true
}

// parseSSRCGroup reads a=ssrc-group:<semantics> <ssrc>... (RFC 5576 §4.2).
func parseSSRCGroup(v string) (SSRCGroup, bool) {
	sem, rest := field(v)
	if sem == "" || rest == "" {
		return SSRCGroup{}, false
	}
	g := SSRCGroup{Semantics: sem}
	for rest != "" {
		var tok string
		tok, rest = field(rest)
		id, err := parseUint(tok, 32)
		if err != nil || len(g.Sources) == MaxItems {
			return SSRCGroup{}, false
		}
		g.Sources = append(g.Sources, SourceRef{SSRC: uint32(id)})
	}
	return g, true
}

// parseGroup reads a=group:<semantics> <mid>... (RFC 5888 §5).
func parseGroup(v string) (Group, bool) {
	sem, rest := field(v)
	if sem == "" {
		return Group{}, false
	}
	g := Group{Semantics: sem}
	for rest != "" {
		var tok string
		tok, rest = field(rest)
		if len(g.Contents) == MaxItems {
			return Group{}, false
		}
		g.Contents = append(g.Contents, GroupContent{Name: tok})
	}
	return g, true
}

// parseRTCP reads a=rtcp:<port> [IN IP4|IP6 <address>] (RFC 3605 §2.1).
func parseRTCP(v string) (port uint16, addr string, ok bool) {
	p, rest := field(v)
	n, err := parseUint(p, 16)
	if err != nil {
		return 0, "", false
	}
	if rest != "" {
		_, rest = field(rest) // IN
		_, rest = field(rest) // IP4 / IP6
		addr, _ = field(rest)
	}
	return uint16(n), addr, true
}

// parseRemoteCandidates reads a=remote-candidates:<component> <address>
// <port> ... (RFC 8839 §5.2).
func parseRemoteCandidates(v string) ([]RemoteCandidate, bool) {
	var rs []RemoteCandidate
	rest := v
	for rest != "" {
		var c, a, p string
		c, rest = field(rest)
		a, rest = field(rest)
		p, rest = field(rest)
		comp, err1 := parseUint(c, 8)
		port, err2 := parseUint(p, 16)
		if err1 != nil || err2 != nil || a == "" || len(rs) == MaxItems {
			return nil, false
		}
		rs = append(rs, RemoteCandidate{Component: uint8(comp), IP: a, Port: uint16(port)})
	}
	return rs, len(rs) > 0
}

// parseUint is strconv.ParseUint(s, 10, bits) for bits <= 32, without
// allocating on failure.
func parseUint(s string, bits int) (uint64, error) {
	if s == "" {
		return 0, errNumber
	}
	limit := uint64(1)<<bits - 1
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, errNumber
		}
		n = n*10 + uint64(c)
		if n > limit {
			return 0, errNumber
		}
	}
	return n, nil
}
