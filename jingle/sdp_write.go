package jingle

import (
	"strconv"
)

// sdpWriter appends SDP lines (from s= on) for the Jingle party. Its
// methods take and return the buffer, which stays in a local variable.
type sdpWriter struct {
	author  Role // the Jingle party, whose SDP this is
	kind    Kind
	trickle bool
}

func str(b []byte, s ...string) []byte {
	for _, x := range s {
		b = append(b, x...)
	}
	return b
}

func num(b []byte, n uint64) []byte { return strconv.AppendUint(b, n, 10) }

func crlf(b []byte) []byte { return append(b, '\r', '\n') }

// session writes s=, t= and the session-level attributes: groups of the
// live lines with a mid (NOTES §8.1), and msid-semantic when sources
// follow.
func (w *sdpWriter) session(b []byte, lines []outLine, groups []Group) []byte {
	b = str(b, "s=-\r\nt=0 0\r\n")
	for _, g := range groups {
		n := 0
		for _, gc := range g.Contents {
			if l := liveLine(lines, gc.Name); l != nil && l.Mid {
				if n == 0 {
					b = str(b, "a=group:", g.Semantics)
				}
				b = str(b, " ", gc.Name)
				n++
			}
		}
		if n > 0 {
			b = crlf(b)
		}
	}
	for i := range lines {
		if c := lines[i].c; c != nil && len(c.Description.Sources) > 0 {
			b = str(b, "a=msid-semantic: WMS *\r\n")
			break
		}
	}
	return b
}

func liveLine(lines []outLine, name string) *outLine {
	for i := range lines {
		if lines[i].c != nil && lines[i].Name == name {
			return &lines[i]
		}
	}
	return nil
}

// line writes one media section.
func (w *sdpWriter) line(b []byte, l *outLine) []byte {
	c := l.c
	if c == nil {
		// RFC 3264 §6: a rejected or removed stream keeps its line with
		// port 0.
		f := l.Format
		if f == "" {
			f = "0"
		}
		b = str(b, "m=", l.Media, " 0 ", l.Proto, " ", f, "\r\nc=IN IP4 0.0.0.0\r\n")
		if l.Mid && l.Name != "" {
			b = str(b, "a=mid:", l.Name, "\r\n")
		}
		return b
	}
	d := c.Description
	addr, port, rtcpAddr, rtcpPort := defaultAddress(c)

	b = str(b, "m=", d.Media, " ")
	b = num(b, uint64(port))
	b = str(b, " ", l.Proto)
	for i := range d.PayloadTypes {
		b = str(b, " ")
		b = num(b, uint64(d.PayloadTypes[i].ID))
	}
	b = crlf(b)
	b = appendNetAddr(append(b, "c="...), addr)
	b = crlf(b)
	if bw := d.Bandwidth; bw != nil && bw.Type != "" {
		b = str(b, "b=", bw.Type, ":")
		b = num(b, bw.Value)
		b = crlf(b)
	}
	if rtcpAddr != "" && !bool(d.RTCPMux) && (rtcpAddr != addr || uint32(rtcpPort) != uint32(port)+1) {
		// RFC 3605 §2.1: a=rtcp when RTCP is not on port+1.
		b = str(b, "a=rtcp:")
		b = num(b, uint64(rtcpPort))
		if rtcpAddr != addr {
			b = appendNetAddr(append(b, ' '), rtcpAddr)
		}
		b = crlf(b)
	}

	var fp *Fingerprint
	if t := c.ICEUDP; t != nil {
		fp = t.Fingerprint
		if t.Ufrag != "" {
			b = str(b, "a=ice-ufrag:", t.Ufrag, "\r\n")
		}
		if t.Pwd != "" {
			b = str(b, "a=ice-pwd:", t.Pwd, "\r\n")
		}
		if w.trickle {
			b = str(b, "a=ice-options:trickle\r\n")
		}
	} else if c.RawUDP != nil {
		fp = c.RawUDP.Fingerprint
	}
	if fp != nil {
		b = str(b, "a=fingerprint:", fp.Hash, " ", fp.Value, "\r\n")
		setup := fp.Setup
		if w.kind == Answer && (setup == "actpass" || setup == "") {
			// RFC 5763 §5: the answerer is active or passive.
			setup = "active"
		} else if setup == "" {
			setup = "actpass"
		}
		b = str(b, "a=setup:", setup, "\r\n")
	}
	if l.Mid {
		b = str(b, "a=mid:", l.Name, "\r\n")
	}
	for i := range d.HdrExts {
		h := &d.HdrExts[i]
		b = str(b, "a=extmap:")
		b = num(b, uint64(h.ID))
		if h.Senders != "" && h.Senders != SendersBoth {
			b = str(b, "/", DirectionFromSenders(h.Senders, w.author))
		}
		b = str(b, " ", h.URI)
		b = params(b, h.Parameters, ' ')
		b = crlf(b)
	}
	if d.ExtmapAllowMixed {
		b = str(b, "a=extmap-allow-mixed\r\n")
	}
	b = str(b, "a=", DirectionFromSenders(c.Senders.Or(), w.author), "\r\n")
	if d.RTCPMux {
		b = str(b, "a=rtcp-mux\r\n")
	}
	if e := d.Encryption; e != nil {
		for _, cr := range e.Cryptos {
			b = str(b, "a=crypto:", cr.Tag, " ", cr.Suite, " ", cr.KeyParams)
			if cr.SessionParams != "" {
				b = str(b, " ", cr.SessionParams)
			}
			b = crlf(b)
		}
		if z := e.ZRTPHash; z != nil {
			b = str(b, "a=zrtp-hash:", z.Version, " ", z.Value, "\r\n")
		}
	}
	var ptime, maxptime uint32
	for i := range d.PayloadTypes {
		p := &d.PayloadTypes[i]
		b = w.payloadType(b, p)
		if ptime == 0 {
			ptime = p.PTime
		}
		if maxptime == 0 {
			maxptime = p.MaxPTime
		}
	}
	for i := range d.RTCPFB {
		b = str(b, "a=rtcp-fb:* ")
		b = feedback(b, &d.RTCPFB[i])
	}
	if t := d.RTCPFBTrrInt; t != nil {
		b = str(b, "a=rtcp-fb:* trr-int ")
		b = num(b, uint64(t.Value))
		b = crlf(b)
	}
	if ptime != 0 {
		// NOTES §5 item 6: one a=ptime, the first payload type's.
		b = str(b, "a=ptime:")
		b = num(b, uint64(ptime))
		b = crlf(b)
	}
	if maxptime != 0 {
		b = str(b, "a=maxptime:")
		b = num(b, uint64(maxptime))
		b = crlf(b)
	}
	for _, g := range d.SSRCGroups {
		b = str(b, "a=ssrc-group:", g.Semantics)
		for _, s := range g.Sources {
			b = str(b, " ")
			b = num(b, uint64(s.SSRC))
		}
		b = crlf(b)
	}
	msid := ""
	for _, s := range d.Sources {
		for _, p := range s.Parameters {
			b = str(b, "a=ssrc:")
			b = num(b, uint64(s.SSRC))
			b = str(b, " ", p.Name)
			if p.Value != "" {
				b = str(b, ":", p.Value)
			}
			b = crlf(b)
			if p.Name == "msid" && msid == "" {
				msid = p.Value
			}
		}
	}
	if msid != "" {
		// NOTES §8.1: a=msid as well, for unified-plan peers.
		b = str(b, "a=msid:", msid, "\r\n")
	}
	if t := c.ICEUDP; t != nil {
		for i := range t.Candidates {
			b = candidate(b, &t.Candidates[i])
		}
		if t.GatheringComplete {
			b = str(b, "a=end-of-candidates\r\n")
		}
		if len(t.RemoteCandidates) > 0 {
			b = str(b, "a=remote-candidates:")
			for i, r := range t.RemoteCandidates {
				if i > 0 {
					b = str(b, " ")
				}
				b = num(b, uint64(r.Component))
				b = str(b, " ", r.IP, " ")
				b = num(b, uint64(r.Port))
			}
			b = crlf(b)
		}
	}
	return b
}

// payloadType writes a=rtpmap, a=fmtp and a=rtcp-fb of one payload type.
// Static payload types get an rtpmap too (NOTES §8.1).
func (w *sdpWriter) payloadType(b []byte, p *PayloadType) []byte {
	id := uint64(p.ID)
	name, rate, ch := p.Name, p.ClockRate, p.Channels
	if st, ok := static(p.ID); ok && (name == "" || rate == 0) {
		if name == "" {
			name = st.name
		}
		if rate == 0 {
			rate = st.clockRate
		}
	}
	if name != "" && rate != 0 {
		b = str(b, "a=rtpmap:")
		b = num(b, id)
		b = str(b, " ", name, "/")
		b = num(b, uint64(rate))
		if ch > 1 {
			b = str(b, "/")
			b = num(b, uint64(ch))
		}
		b = crlf(b)
	}
	if len(p.Parameters) > 0 {
		b = str(b, "a=fmtp:")
		b = num(b, id)
		b = str(b, " ")
		for i, prm := range p.Parameters {
			if i > 0 {
				b = str(b, ";")
			}
			b = param(b, prm)
		}
		b = crlf(b)
	}
	for i := range p.RTCPFB {
		b = str(b, "a=rtcp-fb:")
		b = num(b, id)
		b = str(b, " ")
		b = feedback(b, &p.RTCPFB[i])
	}
	if t := p.RTCPFBTrrInt; t != nil {
		b = str(b, "a=rtcp-fb:")
		b = num(b, id)
		b = str(b, " trr-int ")
		b = num(b, uint64(t.Value))
		b = crlf(b)
	}
	return b
}

// param writes name=value; an empty name gives the bare value and an
// empty value the bare name (NOTES §11: both bare forms are accepted).
func param(b []byte, p Parameter) []byte {
	switch {
	case p.Name == "":
		b = str(b, p.Value)
	case p.Value == "":
		b = str(b, p.Name)
	default:
		b = str(b, p.Name, "=", p.Value)
	}
	return b
}

func params(b []byte, ps []Parameter, sep byte) []byte {
	for _, p := range ps {
		b = append(b, sep)
		b = param(b, p)
	}
	return b
}

func feedback(b []byte, f *RTCPFB) []byte {
	b = str(b, f.Type)
	if f.Subtype != "" {
		b = str(b, " ", f.Subtype)
	}
	b = params(b, f.Parameters, ' ')
	b = crlf(b)
	return b
}

// candidate writes an a=candidate line (RFC 8839 §5.1).
func candidate(b []byte, c *ICECandidate) []byte {
	b = str(b, "a=candidate:", c.Foundation, " ")
	b = num(b, uint64(c.Component))
	b = str(b, " ", c.Protocol, " ")
	b = num(b, uint64(c.Priority))
	b = str(b, " ", c.IP, " ")
	b = num(b, uint64(c.Port))
	b = str(b, " typ ", c.Type)
	if c.RelAddr != "" {
		b = str(b, " raddr ", c.RelAddr, " rport ")
		b = num(b, uint64(c.RelPort))
	}
	if c.TCPType != "" {
		b = str(b, " tcptype ", c.TCPType)
	}
	b = str(b, " generation ")
	b = num(b, uint64(c.Generation))
	if c.Network != 0 {
		b = str(b, " network-id ")
		b = num(b, uint64(c.Network))
	}
	b = crlf(b)
	return b
}

// defaultAddress returns the c= address and m= port of a content, and its
// RTCP address and port ("" when none). ICE: the component-1 candidate
// ranked relay > srflx > prflx > host, UDP first (NOTES §8.1); none yet
// gives 0.0.0.0 and port 9 (RFC 8839 §4.3.1). Raw UDP: components 1 and 2.
func defaultAddress(c *Content) (addr string, port uint16, rtcpAddr string, rtcpPort uint16) {
	if t := c.RawUDP; t != nil {
		addr, port = "0.0.0.0", 9
		for _, rc := range t.Candidates {
			switch rc.Component {
			case 1:
				addr, port = rc.IP, rc.Port
			case 2:
				rtcpAddr, rtcpPort = rc.IP, rc.Port
			}
		}
		return addr, port, rtcpAddr, rtcpPort
	}
	t := c.ICEUDP
	best1, best2 := -1, -1
	for i := range t.Candidates {
		switch t.Candidates[i].Component {
		case 1:
			if best1 < 0 || candRank(&t.Candidates[i]) > candRank(&t.Candidates[best1]) {
				best1 = i
			}
		case 2:
			if best2 < 0 || candRank(&t.Candidates[i]) > candRank(&t.Candidates[best2]) {
				best2 = i
			}
		}
	}
	if best1 < 0 {
		return "0.0.0.0", 9, "", 0
	}
	addr, port = t.Candidates[best1].IP, t.Candidates[best1].Port
	if best2 >= 0 {
		rtcpAddr, rtcpPort = t.Candidates[best2].IP, t.Candidates[best2].Port
	}
	return addr, port, rtcpAddr, rtcpPort
}

func candRank(c *ICECandidate) int {
	r := 0
	switch c.Type {
	case "relay":
		r = 3
	case "srflx":
		r = 2
	case "prflx":
		r = 1
	}
	if c.Protocol == "udp" {
		r += 4
	}
	return r
}
