package jingle

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
)

// outLine is one m-line of an SDP being written: a content, or nil for a
// line with port 0.
type outLine struct {
	Line
	c *Content
}

// JingleToSDP writes the SDP that speaks for the Jingle party (NOTES
// §8): an offer for session-initiate, content-add, content-modify or
// content-remove (pass every live content of the session), an answer for
// session-accept or content-accept. The Jingle party's role is the
// opposite of m.SIPRole; it decides how senders become directions (§8.2).
//
// An answer has the m-lines of the offer it answers (RFC 3264 §6):
// contents missing from contents and lines that had no Jingle form get
// port 0. An offer keeps every line of the layout (RFC 3264 §8): removed
// contents get port 0, new contents are appended. The o= line keeps
// m.SessionID; its version grows whenever the SDP differs from the last
// one written.
//
// Contents without an SDP form are reported in Skipped. Errors:
// *UnmappableError when no content can be written; ErrOfferMismatch when
// an answer carries a content the offer did not have; *SchemaError
// (bad-request) for contents that fail Validate or hold strings that
// cannot be written into SDP. The mapping
// is unchanged when an error is returned.
func (m *Mapping) JingleToSDP(kind Kind, contents []Content, groups []Group) (*SDP, error) {
	if kind != Offer && kind != Answer {
		return nil, errors.New("jingle: JingleToSDP: invalid kind")
	}
	if len(contents) > MaxMedia || len(groups) > MaxItems {
		return nil, &SchemaError{Element: "jingle", Problem: "too many contents or groups", Err: ErrTooLarge}
	}
	for i := range contents {
		if err := contents[i].validate(nil); err != nil {
			return nil, err
		}
	}
	if err := sdpSafe(contents, groups); err != nil {
		return nil, err
	}
	out := &SDP{}
	lines, err := m.planLines(kind, contents, groups, out)
	if err != nil {
		return nil, err
	}
	live := 0
	for i := range lines {
		if lines[i].c != nil {
			live++
			out.Needs.add(contentNeeds(lines[i].c))
		}
	}
	if live == 0 && (len(out.Skipped) > 0 || len(lines) == 0) {
		return nil, &UnmappableError{Lines: out.Skipped}
	}

	// The body is written after room for the v= and o= lines, whose
	// version is known only once the body can be compared with the last.
	addr := m.Address
	if addr == "" {
		addr = "0.0.0.0"
		for i := range lines {
			if lines[i].c != nil {
				addr, _, _, _ = defaultAddress(lines[i].c)
				break
			}
		}
	}
	user := m.Username
	if user == "" {
		user = "-"
	}
	room := len("v=0\r\no=") + len(user) + 2*20 + len("   IN IP6 \r\n") + len(addr)
	w := sdpWriter{author: m.SIPRole.Other(), kind: kind, trickle: m.Trickle}
	b := make([]byte, room, room+sizeHint(lines))
	b = w.session(b, lines, groups)
	for i := range lines {
		b = w.line(b, &lines[i])
	}
	body := b[room:]

	// Commit.
	m.Address = addr
	if !m.written || !bytes.Equal(body, m.lastBody) {
		m.Version++
		m.written = true
		m.lastBody = append(m.lastBody[:0], body...)
	}
	if kind == Answer && len(m.lines) > 0 {
		for i := range m.lines {
			m.lines[i].Rejected = m.lines[i].Rejected || lines[i].c == nil
		}
	} else {
		m.lines = m.lines[:0]
		for i := range lines {
			l := lines[i].Line
			l.Rejected = lines[i].c == nil
			m.lines = append(m.lines, l)
		}
	}

	var hb [128]byte
	h := append(hb[:0], "v=0\r\no="...)
	h = append(h, user...)
	h = append(h, ' ')
	h = strconv.AppendUint(h, m.SessionID, 10)
	h = append(h, ' ')
	h = strconv.AppendUint(h, m.Version, 10)
	h = appendNetAddr(append(h, ' '), addr)
	h = append(h, "\r\n"...)
	start := room - len(h)
	copy(b[start:], h)
	out.Body = b[start:]
	return out, nil
}

// planLines lines the contents up with the layout.
func (m *Mapping) planLines(kind Kind, contents []Content, groups []Group, out *SDP) ([]outLine, error) {
	used := make([]bool, len(contents))
	find := func(l *Line) int {
		for i := range contents {
			if !used[i] && contents[i].Name == l.Name && contents[i].CreatorOr() == l.Creator {
				return i
			}
		}
		return -1
	}
	lines := make([]outLine, 0, len(m.lines)+len(contents))
	for _, l := range m.lines {
		ol := outLine{Line: l}
		if l.Name != "" && !l.Rejected {
			if i := find(&l); i >= 0 {
				used[i] = true
				if err := checkContent(i, &contents[i]); err != nil {
					out.Skipped = append(out.Skipped, err)
				} else if err := checkAnswerKeying(kind, i, &l, &contents[i]); err != nil {
					out.Skipped = append(out.Skipped, err)
				} else {
					ol.c = &contents[i]
				}
			}
		}
		lines = append(lines, ol)
	}
	for i := range contents {
		if used[i] {
			continue
		}
		c := &contents[i]
		if kind == Answer && len(m.lines) > 0 {
			return nil, &MediaError{Index: i, Media: c.Name, Err: ErrOfferMismatch}
		}
		if err := checkContent(i, c); err != nil {
			out.Skipped = append(out.Skipped, err)
			continue
		}
		lines = append(lines, outLine{
			Line: Line{Media: c.Description.Media, Creator: c.CreatorOr(), Name: c.Name, Mid: len(groups) > 0},
			c:    c,
		})
	}
	if len(lines) > MaxMedia {
		return nil, &SchemaError{Element: "jingle", Problem: "too many m-lines", Err: ErrTooLarge}
	}
	for i := range lines {
		l := &lines[i]
		if l.c == nil {
			continue
		}
		fresh := freshProto(l.c)
		if l.Proto == "" || !sameKeying(l.Proto, fresh) && kind == Offer {
			l.Proto = fresh
		}
		l.Format = strconv.Itoa(int(l.c.Description.PayloadTypes[0].ID))
	}
	return lines, nil
}

// sizeHint estimates the size of the media sections.
func sizeHint(lines []outLine) int {
	n := 128
	for i := range lines {
		n += 64
		c := lines[i].c
		if c == nil {
			continue
		}
		d := c.Description
		n += 256 + 64*len(d.PayloadTypes) + 80*len(d.HdrExts) + 48*len(d.RTCPFB)
		for j := range d.PayloadTypes {
			n += 32*len(d.PayloadTypes[j].Parameters) + 32*len(d.PayloadTypes[j].RTCPFB)
		}
		for j := range d.Sources {
			n += 48 * len(d.Sources[j].Parameters)
		}
		if t := c.ICEUDP; t != nil {
			n += 160 + 112*len(t.Candidates)
		}
	}
	return n
}

// checkContent reports a content that has no SDP form.
func checkContent(i int, c *Content) *MediaError {
	switch {
	case c.Description == nil:
		return &MediaError{Index: i, Media: c.otherNS("description"), Proto: transportNS(c), Err: ErrUnsupportedApplication}
	case c.Description.Media != "audio" && c.Description.Media != "video":
		return &MediaError{Index: i, Media: c.Description.Media, Proto: transportNS(c), Err: ErrUnsupportedApplication}
	case len(c.Description.PayloadTypes) == 0:
		return &MediaError{Index: i, Media: c.Description.Media, Proto: transportNS(c), Err: ErrUnsupportedApplication}
	case c.ICEUDP == nil && c.RawUDP == nil:
		return &MediaError{Index: i, Media: c.Description.Media, Proto: transportNS(c), Err: ErrUnsupportedTransport}
	}
	return nil
}

// checkAnswerKeying: an answer must keep the offer's keying (RFC 3264 §6,
// XEP-0167 §7: an RTP/SAVP offer needs crypto back, a DTLS offer a
// fingerprint).
func checkAnswerKeying(kind Kind, i int, l *Line, c *Content) *MediaError {
	if kind != Answer {
		return nil
	}
	prof, _ := rtpProfile(l.Proto)
	n := contentNeeds(c)
	if (prof.dtls && !n.DTLS) || (prof.savp && !n.SDES) {
		return &MediaError{Index: i, Media: c.Description.Media, Proto: l.Proto, Err: ErrCryptoRequired}
	}
	return nil
}

func transportNS(c *Content) string {
	switch {
	case c.ICEUDP != nil:
		return NSICEUDP
	case c.RawUDP != nil:
		return NSRawUDP
	}
	return c.otherNS("transport")
}

// freshProto is the proto of an offered content (NOTES §8.1): a DTLS
// fingerprint gives UDP/TLS/RTP/SAVPF, required crypto RTP/SAVP, otherwise
// RTP/AVP; F when any feedback element is present.
func freshProto(c *Content) string {
	n := contentNeeds(c)
	f := c.Description.feedback()
	switch {
	case n.DTLS:
		return "UDP/TLS/RTP/SAVPF"
	case !n.PlainRTP && f:
		return "RTP/SAVPF"
	case !n.PlainRTP:
		return "RTP/SAVP"
	case f:
		return "RTP/AVPF"
	}
	return "RTP/AVP"
}

// sameKeying reports whether two RTP protos key media the same way.
func sameKeying(a, b string) bool {
	pa, oka := rtpProfile(a)
	pb, okb := rtpProfile(b)
	return oka && okb && pa.dtls == pb.dtls && pa.savp == pb.savp
}

// appendNetAddr appends "IN IP4 addr" or "IN IP6 addr".
func appendNetAddr(b []byte, addr string) []byte {
	if strings.IndexByte(addr, ':') >= 0 {
		b = append(b, "IN IP6 "...)
	} else {
		b = append(b, "IN IP4 "...)
	}
	return append(b, addr...)
}
