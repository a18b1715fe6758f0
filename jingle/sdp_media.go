package jingle

import (
	"slices"
	"strconv"
	"strings"
)

// profile is what an m= proto says about keying and feedback.
type profile struct {
	dtls bool // UDP/TLS/RTP/SAVP[F]: DTLS-SRTP (RFC 5764)
	savp bool // RTP/SAVP[F]: SRTP keyed in signalling (RFC 4568)
	avpf bool // feedback profile (RFC 4585)
}

// rtpProfile maps the RTP protos Jingle can carry; ok is false for the
// others (RTP over TCP, non-RTP protos).
func rtpProfile(proto string) (profile, bool) {
	switch proto {
	case "RTP/AVP":
		return profile{}, true
	case "RTP/AVPF":
		return profile{avpf: true}, true
	case "RTP/SAVP":
		return profile{savp: true}, true
	case "RTP/SAVPF":
		return profile{savp: true, avpf: true}, true
	case "UDP/TLS/RTP/SAVP":
		return profile{dtls: true}, true
	case "UDP/TLS/RTP/SAVPF":
		return profile{dtls: true, avpf: true}, true
	}
	return profile{}, false
}

// ptSet is a set of RTP payload type numbers.
type ptSet [2]uint64

func (s *ptSet) add(pt uint8) (added bool) {
	bit := uint64(1) << (pt & 63)
	if s[pt>>6]&bit != 0 {
		return false
	}
	s[pt>>6] |= bit
	return true
}

// readMedia translates one RTP media line (NOTES §8.1). A line that has no
// Jingle form gives a *MediaError; malformed SDP gives ErrMalformedSDP.
func (m *Mapping) readMedia(res *Media, idx int, md *sdpMedia, l *Line, s *sessionLevel, kind Kind, author Role) (Content, Needs, error) {
	unmapped := func(err error) (Content, Needs, error) {
		return Content{}, Needs{}, &MediaError{Index: idx, Media: l.Media, Proto: l.Proto, Err: err}
	}
	drop := func(key string) {
		res.Dropped = append(res.Dropped, Dropped{Index: idx, Attr: key})
	}
	if l.Media != "audio" && l.Media != "video" {
		return unmapped(ErrUnsupportedApplication)
	}
	prof, ok := rtpProfile(l.Proto)
	if !ok {
		return unmapped(ErrUnsupportedTransport)
	}
	nFormats := 0
	for rest := md.fmts; rest != ""; nFormats++ {
		_, rest = field(rest)
	}
	if nFormats == 0 {
		return Content{}, Needs{}, sdpErr("m-line %d: no formats", idx)
	}
	if nFormats > MaxPayloadTypes {
		return Content{}, Needs{}, sdpErr("m-line %d: %d formats: %w", idx, nFormats, ErrTooLarge)
	}
	desc := &RTPDescription{Media: l.Media, PayloadTypes: make([]PayloadType, nFormats)}
	// pos[pt] is the index of pt in PayloadTypes plus one; 0 when absent.
	var pos [128]uint8
	rest := md.fmts
	for i := range nFormats {
		var f string
		f, rest = field(rest)
		pt, ok := parsePT(f)
		if !ok {
			return Content{}, Needs{}, sdpErr("m-line %d: payload type %q", idx, f)
		}
		if pos[pt] != 0 {
			return Content{}, Needs{}, sdpErr("m-line %d: payload type %d twice", idx, pt)
		}
		pos[pt] = uint8(i + 1)
		desc.PayloadTypes[i].ID = pt
	}
	pt := func(id uint8) *PayloadType {
		if id > 127 || pos[id] == 0 {
			return nil
		}
		return &desc.PayloadTypes[pos[id]-1]
	}

	// Size every list in one pass first, so that the lists of all payload
	// types and sources share a few backing arrays instead of growing.
	var (
		nExt, nCand, nCrypto, nFBAll, nFB, nParams int
		fbPer                                      [128]uint8
		ssrcs                                      []ssrcCount
	)
	for _, a := range md.lines {
		if a.typ != 'a' {
			continue
		}
		switch a.key {
		case "extmap":
			nExt++
		case "candidate":
			nCand++
		case "crypto":
			nCrypto++
		case "rtcp-fb":
			ptStr, _ := field(a.value)
			if ptStr == "*" {
				nFBAll++
			} else if id, ok := parsePT(ptStr); ok && pos[id] != 0 && fbPer[id] < MaxItems {
				fbPer[id]++
				nFB++
			}
		case "fmtp":
			nParams += strings.Count(a.value, ";") + 1
		case "ssrc":
			idStr, _ := field(a.value)
			if id, err := parseUint(idStr, 32); err == nil && len(ssrcs) <= MaxItems {
				ssrcs = countSSRC(ssrcs, uint32(id))
			}
		}
	}
	if nExt > MaxItems || nCand > MaxCandidates || nCrypto > MaxItems || nFBAll > MaxItems || len(ssrcs) > MaxItems {
		return Content{}, Needs{}, sdpErr("m-line %d: %w", idx, ErrTooLarge)
	}
	if nFB > 0 {
		arena := make([]RTCPFB, nFB)
		off := 0
		for i := range desc.PayloadTypes {
			p := &desc.PayloadTypes[i]
			if n := int(fbPer[p.ID]); n > 0 {
				p.RTCPFB = arena[off : off : off+n]
				off += n
			}
		}
	}
	if len(ssrcs) > 0 {
		desc.Sources = make([]Source, len(ssrcs))
		arena := make([]SourceParameter, 0, nSSRCParams(ssrcs))
		for i, sc := range ssrcs {
			desc.Sources[i] = Source{SSRC: sc.id, Parameters: arena[len(arena) : len(arena) : len(arena)+sc.n]}
			arena = arena[:len(arena)+sc.n]
		}
	}
	params := make([]Parameter, 0, nParams)
	desc.HdrExts = make([]HdrExt, 0, nExt)
	if nFBAll > 0 {
		desc.RTCPFB = make([]RTCPFB, 0, nFBAll)
	}
	var (
		cands   = make([]ICECandidate, 0, nCand)
		cryptos []Crypto
	)
	if nCrypto > 0 {
		cryptos = make([]Crypto, 0, nCrypto)
	}

	var (
		ptime, maxptime      uint32
		dir                  = s.dir
		ufrag, pwd           = s.ufrag, s.pwd
		fp                   *Fingerprint
		setup                = s.setup
		rtcpPort             uint16
		rtcpAddr             string
		hasRTCP              bool
		candUfrags           []string
		remote               []RemoteCandidate
		zrtp                 *ZRTPHash
		msid                 string
		iceLite              = s.iceLite
		eoc                  bool
		rtpmapSeen, fmtpSeen ptSet
	)
	for _, a := range md.lines {
		if a.typ != 'a' {
			continue
		}
		switch a.key {
		case "rtpmap":
			r, ok := parseRtpmap(a.value)
			p := pt(r.pt)
			if !ok || p == nil || !rtpmapSeen.add(r.pt) {
				drop(a.key)
				continue
			}
			// NOTES §5 item 2: the rtpmap wins over any static meaning.
			p.Name, p.ClockRate, p.Channels = r.name, r.rate, r.channels
		case "fmtp":
			ptStr, rest := field(a.value)
			id, ok := parsePT(ptStr)
			p := pt(id)
			if !ok || p == nil || !fmtpSeen.add(id) {
				// NOTES §5 item 5: keep the first fmtp of a PT.
				drop(a.key)
				continue
			}
			start := len(params)
			var n int
			if params, n, ok = appendFmtp(params, trimBlank(rest)); !ok {
				return Content{}, Needs{}, sdpErr("m-line %d: fmtp: %w", idx, ErrTooLarge)
			}
			if n > 0 {
				p.Parameters = params[start : start+n : start+n]
			}
		case "rtcp-fb":
			id, all, fb, trr, ok := parseRTCPFB(a.value)
			p := pt(id)
			switch {
			case !ok || (!all && p == nil):
				drop(a.key)
			case all && trr != nil:
				desc.RTCPFBTrrInt = trr
			case all:
				if len(desc.RTCPFB) == MaxItems {
					return Content{}, Needs{}, sdpErr("m-line %d: rtcp-fb: %w", idx, ErrTooLarge)
				}
				desc.RTCPFB = append(desc.RTCPFB, fb)
			case trr != nil:
				p.RTCPFBTrrInt = trr
			default:
				if len(p.RTCPFB) == MaxItems {
					return Content{}, Needs{}, sdpErr("m-line %d: rtcp-fb: %w", idx, ErrTooLarge)
				}
				p.RTCPFB = append(p.RTCPFB, fb)
			}
		case "ptime", "maxptime":
			n, err := parseUint(strings.TrimSpace(a.value), 32)
			switch {
			case err != nil:
				drop(a.key)
			case a.key == "ptime":
				ptime = uint32(n)
			default:
				maxptime = uint32(n)
			}
		case "extmap":
			h, ok := parseExtmap(a.value, author)
			if !ok {
				drop(a.key)
				continue
			}
			if len(desc.HdrExts) == MaxItems {
				return Content{}, Needs{}, sdpErr("m-line %d: extmap: %w", idx, ErrTooLarge)
			}
			desc.HdrExts = append(desc.HdrExts, h)
		case "extmap-allow-mixed":
			desc.ExtmapAllowMixed = true
		case "ssrc":
			id, p, ok := parseSSRC(a.value)
			if !ok {
				drop(a.key)
				continue
			}
			if err := addSource(desc, id, p); err != nil {
				return Content{}, Needs{}, sdpErr("m-line %d: %w", idx, err)
			}
		case "ssrc-group":
			g, ok := parseSSRCGroup(a.value)
			if !ok {
				drop(a.key)
				continue
			}
			if len(desc.SSRCGroups) == MaxItems {
				return Content{}, Needs{}, sdpErr("m-line %d: ssrc-group: %w", idx, ErrTooLarge)
			}
			desc.SSRCGroups = append(desc.SSRCGroups, g)
		case "msid":
			msid = strings.TrimSpace(a.value)
		case dirSendRecv, dirSendOnly, dirRecvOnly, dirInactive:
			dir = a.key
		case "rtcp-mux":
			desc.RTCPMux = true
		case "rtcp":
			if rtcpPort, rtcpAddr, hasRTCP = parseRTCP(a.value); !hasRTCP {
				drop(a.key)
			}
		case "ice-ufrag":
			ufrag = strings.TrimSpace(a.value)
		case "ice-pwd":
			pwd = strings.TrimSpace(a.value)
		case "ice-lite":
			iceLite = true
		case "candidate":
			c, u, ok := parseCandidate(a.value)
			if !ok {
				drop(a.key)
				continue
			}
			if len(cands) == MaxCandidates {
				return Content{}, Needs{}, sdpErr("m-line %d: candidates: %w", idx, ErrTooLarge)
			}
			if u != "" && candUfrags == nil {
				candUfrags = make([]string, len(cands), cap(cands)+1)
			}
			if candUfrags != nil {
				candUfrags = append(candUfrags, u)
			}
			cands = append(cands, c)
		case "end-of-candidates":
			eoc = true
		case "remote-candidates":
			rs, ok := parseRemoteCandidates(a.value)
			if !ok {
				drop(a.key)
				continue
			}
			remote = rs
		case "fingerprint":
			if f, ok := parseFingerprint(a.value); ok && fp == nil {
				fp = f
			} else {
				// NOTES §8.4: keep the first fingerprint.
				drop(a.key)
			}
		case "setup":
			setup = strings.TrimSpace(a.value)
		case "crypto":
			c, ok := parseCrypto(a.value)
			if !ok {
				drop(a.key)
				continue
			}
			if len(cryptos) == MaxItems {
				return Content{}, Needs{}, sdpErr("m-line %d: crypto: %w", idx, ErrTooLarge)
			}
			cryptos = append(cryptos, c)
		case "zrtp-hash":
			ver, hash := field(a.value)
			if hash == "" {
				drop(a.key)
				continue
			}
			zrtp = &ZRTPHash{Version: ver, Value: trimBlank(hash)}
		case "mid", "bundle-only", "ice-options", "msid-semantic":
			// mid names the content; bundle-only is handled by the
			// caller; ice-options has no Jingle form and needs none.
		default:
			drop(a.key)
		}
	}

	// NOTES §5 item 1: every fmt is a payload type; static ones without
	// rtpmap come from RFC 3551, others keep only their id. A dynamic one
	// (96-127) without rtpmap is invalid SDP (RFC 4566 §6) and has no
	// Jingle form (XEP-0167 §4 requires its name): it is dropped. Item 6:
	// ptime and maxptime go on every payload type.
	kept := desc.PayloadTypes[:0]
	for i := range desc.PayloadTypes {
		p := desc.PayloadTypes[i]
		if p.Name == "" {
			if st, ok := static(p.ID); ok {
				p.Name, p.ClockRate, p.Channels = st.name, st.clockRate, st.channels
			} else if p.ID >= 96 {
				drop("rtpmap")
				continue
			}
		}
		if p.Channels == 0 && l.Media == "audio" && p.Name != "" {
			p.Channels = 1
		}
		p.PTime, p.MaxPTime = ptime, maxptime
		kept = append(kept, p)
	}
	desc.PayloadTypes = kept
	if len(kept) == 0 {
		return unmapped(ErrUnsupportedApplication)
	}
	if prof.avpf && !desc.feedback() {
		// XEP-0293 §4: AVPF without feedback messages keeps the profile
		// with trr-int 0.
		desc.RTCPFBTrrInt = &TrrInt{}
	}
	if len(desc.Sources) > 0 {
		// Sources whose every a=ssrc line was unreadable go.
		desc.Sources = slices.DeleteFunc(desc.Sources, func(s Source) bool { return len(s.Parameters) == 0 })
	}
	if msid != "" {
		// NOTES §5 item 16: a=msid folds into the sources.
		if len(desc.Sources) == 0 {
			drop("msid")
		}
		for i := range desc.Sources {
			if !hasSourceParam(&desc.Sources[i], "msid") && len(desc.Sources[i].Parameters) < MaxItems {
				desc.Sources[i].Parameters = append(desc.Sources[i].Parameters, SourceParameter{Name: "msid", Value: msid})
			}
		}
	}
	desc.Bandwidth = firstBandwidth(md.lines)
	if desc.Bandwidth == nil && s.bandwidth != nil {
		b := *s.bandwidth
		desc.Bandwidth = &b
	}
	if len(cryptos) > 0 || zrtp != nil {
		// NOTES §5 item 17: SDES on RTP/AVP is best effort; on
		// RTP/SAVP it is required.
		desc.Encryption = &Encryption{Required: XSBool(prof.savp), Cryptos: cryptos, ZRTPHash: zrtp}
	}

	if fp == nil && s.fp != nil {
		f := *s.fp
		fp = &f
	}
	if !prof.dtls && fp != nil {
		// A fingerprint means DTLS-SRTP only with a UDP/TLS proto.
		drop("fingerprint")
		fp = nil
	}
	switch {
	case prof.dtls && fp == nil:
		return unmapped(ErrCryptoRequired)
	case prof.savp && len(cryptos) == 0:
		return unmapped(ErrCryptoRequired)
	}
	if fp != nil {
		switch setup {
		case "", "actpass", "active", "passive", "holdconn":
		default:
			drop("setup")
			setup = ""
		}
		fp.Setup = setup
		if fp.Setup == "" {
			// RFC 5763 §5: the offerer says actpass; an answer without
			// a=setup means active (RFC 4145 §4).
			fp.Setup = "actpass"
			if kind == Answer {
				fp.Setup = "active"
			}
		}
	}

	c := Content{Creator: l.Creator, Name: l.Name, Description: desc}
	needs := Needs{DTLS: fp != nil, SDES: len(cryptos) > 0, PlainRTP: !prof.savp && !prof.dtls}
	switch {
	case ufrag != "" || pwd != "" || len(cands) > 0:
		if iceLite {
			return unmapped(ErrICELite)
		}
		if ufrag == "" || pwd == "" {
			return unmapped(ErrMissingICECredentials)
		}
		t := &ICEUDPTransport{Ufrag: ufrag, Pwd: pwd, Fingerprint: fp, RemoteCandidates: remote, GatheringComplete: Flag(eoc)}
		t.Candidates = cands[:0]
		for i := range cands {
			// NOTES §5 item 11: drop candidates of another ufrag.
			if candUfrags != nil && candUfrags[i] != "" && candUfrags[i] != ufrag {
				drop("candidate")
				continue
			}
			t.Candidates = append(t.Candidates, cands[i])
		}
		m.candidateIDs(t.Candidates)
		c.ICEUDP = t
		needs.ICE = true
	case iceLite:
		return unmapped(ErrICELite)
	case md.port == 0:
		// bundle-only: the caller copies the BUNDLE tag's transport.
	default:
		t, err := m.rawUDP(idx, md, s, rtcpPort, rtcpAddr, hasRTCP, bool(desc.RTCPMux))
		if err != nil {
			return Content{}, Needs{}, err
		}
		t.Fingerprint = fp
		if isHoldAddress(t.Candidates[0].IP) {
			// RFC 3264 §8.4 (RFC 2543 hold): the author does not want to
			// receive (NOTES §5 item 8).
			switch dir {
			case dirRecvOnly, dirInactive:
				dir = dirInactive
			default:
				dir = dirSendOnly
			}
		}
		c.RawUDP = t
	}
	c.Senders = SendersFromDirection(dir, author)
	return c, needs, nil
}

// rawUDP builds the XEP-0177 candidates of a line without ICE: component 1
// from c= and the m= port, component 2 from a=rtcp or port+1 unless RTCP
// is multiplexed (NOTES §5 item 7).
func (m *Mapping) rawUDP(idx int, md *sdpMedia, s *sessionLevel, rtcpPort uint16, rtcpAddr string, hasRTCP, mux bool) (*RawUDPTransport, error) {
	addr := s.conn
	if md.conn.addr != "" {
		addr = md.conn.addr
	}
	if addr == "" {
		return nil, sdpErr("m-line %d: no c= address", idx)
	}
	if i := strings.IndexByte(addr, '/'); i >= 0 {
		addr = addr[:i] // multicast TTL or count
	}
	port := int(md.port)
	n := m.nextSeq()
	t := &RawUDPTransport{Candidates: make([]RawCandidate, 1, 2)}
	t.Candidates[0] = RawCandidate{Component: 1, ID: "rtp" + n, IP: addr, Port: uint16(port)}
	if mux {
		return t, nil
	}
	c2 := RawCandidate{Component: 2, ID: "rtcp" + n, IP: addr}
	switch {
	case hasRTCP:
		c2.Port = rtcpPort
		if rtcpAddr != "" {
			c2.IP = rtcpAddr
		}
	case port < 65535:
		c2.Port = uint16(port + 1)
	default:
		return t, nil
	}
	t.Candidates = append(t.Candidates, c2)
	return t, nil
}

// isHoldAddress reports the RFC 2543 hold address.
func isHoldAddress(ip string) bool { return ip == "0.0.0.0" }

// ssrcCount counts the a=ssrc lines of one source.
type ssrcCount struct {
	id uint32
	n  int
}

func countSSRC(s []ssrcCount, id uint32) []ssrcCount {
	for i := range s {
		if s[i].id == id {
			if s[i].n < MaxItems {
				s[i].n++
			}
			return s
		}
	}
	return append(s, ssrcCount{id: id, n: 1})
}

func nSSRCParams(s []ssrcCount) int {
	n := 0
	for _, c := range s {
		n += c.n
	}
	return n
}

// candidateIDs gives the candidates ids unique in the mapping's session,
// all carved from one string.
func (m *Mapping) candidateIDs(cs []ICECandidate) {
	if len(cs) == 0 {
		return
	}
	buf := make([]byte, 0, len(cs)*8)
	ends := make([]int, len(cs))
	for i := range cs {
		m.cands++
		buf = strconv.AppendUint(append(buf, "ice"...), m.cands, 10)
		ends[i] = len(buf)
	}
	all := string(buf)
	start := 0
	for i := range cs {
		cs[i].ID = all[start:ends[i]]
		start = ends[i]
	}
}

// nextSeq returns the next number for generated candidate ids, which are
// unique in the mapping's session.
func (m *Mapping) nextSeq() string {
	m.cands++
	return strconv.FormatUint(m.cands, 10)
}

// addSource adds one a=ssrc attribute to its source, keeping the sources
// in order of first appearance (XEP-0339 §2.1).
func addSource(d *RTPDescription, ssrc uint32, p SourceParameter) error {
	for i := len(d.Sources) - 1; i >= 0; i-- {
		if d.Sources[i].SSRC == ssrc {
			if len(d.Sources[i].Parameters) == MaxItems {
				return ErrTooLarge
			}
			d.Sources[i].Parameters = append(d.Sources[i].Parameters, p)
			return nil
		}
	}
	if len(d.Sources) == MaxItems {
		return ErrTooLarge
	}
	d.Sources = append(d.Sources, Source{SSRC: ssrc, Parameters: []SourceParameter{p}})
	return nil
}

func hasSourceParam(s *Source, name string) bool {
	for _, p := range s.Parameters {
		if p.Name == name {
			return true
		}
	}
	return false
}
