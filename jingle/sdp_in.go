package jingle

import (
	"errors"
	"strconv"
	"strings"
)

// sessionLevel holds the session-level SDP values that media lines
// inherit (RFC 4566 §5).
type sessionLevel struct {
	conn       string
	bandwidth  *Bandwidth
	dir        string
	ufrag, pwd string
	iceLite    bool
	fp         *Fingerprint
	setup      string
	allowMixed bool
	groups     []Group
}

// SDPToJingle translates an SDP offer or answer written by the SIP party
// into Jingle contents (NOTES §8). The SIP party's role (m.SIPRole) decides
// how directions become senders (§8.2).
//
// An offer sets the m-line layout that the next answer must match; an
// answer must match the layout of the offer it answers, if the mapping has
// one. Lines with port 0 become Removed; lines with no Jingle form become
// Unmapped and keep their place, so that JingleToSDP answers them with
// port 0.
//
// Errors: ErrMalformedSDP (SIP 400) for SDP that does not parse or breaks
// RFC 4566/3264; ErrOfferMismatch for an answer or re-offer that does not
// fit the layout; *UnmappableError (SIP 488) when no line can be mapped.
// The layout and the o= state are unchanged when an error is returned.
func (m *Mapping) SDPToJingle(kind Kind, body []byte) (*Media, error) {
	if kind != Offer && kind != Answer {
		return nil, errors.New("jingle: SDPToJingle: invalid kind")
	}
	if len(body) > MaxSDPSize {
		return nil, sdpErr("%d bytes: %w", len(body), ErrTooLarge)
	}
	var sd sdpDesc
	if err := sd.parse(string(body)); err != nil {
		return nil, err
	}
	mds := sd.media
	if len(mds) == 0 {
		return nil, &UnmappableError{}
	}
	res := &Media{}
	s := readSession(&sd, res)
	lines, err := m.layoutLines(kind, mds)
	if err != nil {
		return nil, err
	}
	author := m.SIPRole
	res.Contents = make([]Content, 0, len(mds))
	var bundleFix []int
	for i := range mds {
		md := &mds[i]
		l := &lines[i]
		_, bundleOnly := md.attr("bundle-only")
		if md.port == 0 && !bundleOnly {
			l.Rejected = true
			if l.Name != "" && m.wasLive(i) {
				res.Removed = append(res.Removed, ContentRef{Creator: l.Creator, Name: l.Name})
			}
			continue
		}
		c, needs, err := m.readMedia(res, i, md, l, &s, kind, author)
		if err != nil {
			var me *MediaError
			if !errors.As(err, &me) {
				return nil, err
			}
			res.Unmapped = append(res.Unmapped, me)
			l.Name = ""
			continue
		}
		if bundleOnly && c.ICEUDP == nil && c.RawUDP == nil {
			bundleFix = append(bundleFix, len(res.Contents))
		}
		if kind == Offer && len(m.lines) > 0 && !m.wasLive(i) {
			res.Added = append(res.Added, ContentRef{Creator: l.Creator, Name: l.Name})
		}
		res.Contents = append(res.Contents, c)
		res.Needs.add(needs)
	}
	if len(res.Contents) == 0 && len(res.Unmapped) > 0 {
		return nil, &UnmappableError{Lines: res.Unmapped}
	}
	res.Groups = liveGroups(s.groups, res.Contents)
	if err := fixBundleOnly(res, bundleFix); err != nil {
		return nil, err
	}
	if s.allowMixed {
		for i := range res.Contents {
			res.Contents[i].Description.ExtmapAllowMixed = true
		}
	}

	// Commit: the mapping changes only on success.
	if kind == Offer {
		res.Unchanged = m.peerSeen && sd.origin.sessID == m.peerID && sd.origin.sessVer == m.peerVer
	}
	m.peerSeen, m.peerID, m.peerVer = true, sd.origin.sessID, sd.origin.sessVer
	if kind == Answer && len(m.lines) > 0 {
		for i := range m.lines {
			m.lines[i].Rejected = m.lines[i].Rejected || lines[i].Rejected || lines[i].Name == ""
		}
	} else {
		m.lines = lines
	}
	return res, nil
}

// wasLive reports whether line i of the current layout has a content
// that was not rejected.
func (m *Mapping) wasLive(i int) bool {
	return i < len(m.lines) && m.lines[i].Name != "" && !m.lines[i].Rejected
}

// layoutLines returns the layout of an SDP: each line's media, proto,
// first format, and content name and creator. Names come from the
// previous layout, then a=mid, then the media type ("audio", "audio-2",
// ...) (NOTES §5 item 14).
func (m *Mapping) layoutLines(kind Kind, mds []sdpMedia) ([]Line, error) {
	old := m.lines
	if (kind == Answer && len(old) > 0 && len(mds) != len(old)) || (kind == Offer && len(mds) < len(old)) {
		// RFC 3264 §6: an answer has the offer's m-lines; §8: a later
		// offer keeps every m-line.
		return nil, &mismatchError{want: len(old), got: len(mds)}
	}
	newCreator := m.SIPRole
	if kind == Answer {
		newCreator = m.SIPRole.Other()
	}
	lines := make([]Line, len(mds))
	for i := range mds {
		md := &mds[i]
		l := &lines[i]
		l.Media, l.Proto = md.media, md.proto
		l.Format, _ = field(md.fmts)
		mid, _ := md.attr("mid")
		mid = strings.TrimSpace(mid)
		l.Mid = mid != ""
		// RFC 3264 §8.1: a later offer may reuse the slot of a rejected
		// line for a new stream; a line that stays at port 0 keeps its
		// content.
		reused := kind == Offer && i < len(old) && old[i].Rejected && md.port != 0
		if i < len(old) && !reused {
			o := old[i]
			if o.Media != l.Media && md.port != 0 {
				return nil, &MediaError{Index: i, Media: l.Media, Proto: l.Proto, Err: ErrOfferMismatch}
			}
			if o.Name != "" && mid != "" && mid != o.Name {
				return nil, &MediaError{Index: i, Media: l.Media, Proto: l.Proto, Err: ErrOfferMismatch}
			}
			l.Creator, l.Name = o.Creator, o.Name
			if l.Name != "" {
				continue
			}
		}
		l.Creator, l.Name = newCreator, mid
	}
	// Names must be unique among the lines and must not reuse a name of
	// the previous layout for another line.
	for i := range lines {
		if lines[i].Name == "" {
			continue
		}
		for j := range i {
			if lines[j].Name == lines[i].Name {
				return nil, sdpErr("m-lines %d and %d: duplicate mid %q", j, i, lines[i].Name)
			}
		}
	}
	for i := range lines {
		if lines[i].Name != "" {
			continue
		}
		base := lines[i].Media
		for k := 1; ; k++ {
			name := base
			if k > 1 {
				name = base + "-" + strconv.Itoa(k)
			}
			if !nameTaken(lines, old, name) {
				lines[i].Name = name
				break
			}
		}
	}
	return lines, nil
}

func nameTaken(lines, old []Line, name string) bool {
	for i := range lines {
		if lines[i].Name == name {
			return true
		}
	}
	for i := range old {
		if old[i].Name == name {
			return true
		}
	}
	return false
}

type mismatchError struct{ want, got int }

func (e *mismatchError) Error() string {
	return "jingle: SDP does not match the previous offer: " + strconv.Itoa(e.got) + " m-lines, the offer has " + strconv.Itoa(e.want)
}

func (e *mismatchError) Unwrap() error { return ErrOfferMismatch }

// readSession reads the session-level attributes that media inherit.
func readSession(sd *sdpDesc, res *Media) sessionLevel {
	s := sessionLevel{conn: sd.conn.addr}
	s.bandwidth = firstBandwidth(sd.lines)
	for _, a := range sd.lines {
		if a.typ != 'a' {
			continue
		}
		switch a.key {
		case "group":
			if g, ok := parseGroup(a.value); ok && len(s.groups) < MaxItems {
				s.groups = append(s.groups, g)
			} else {
				res.Dropped = append(res.Dropped, Dropped{Index: -1, Attr: a.key})
			}
		case "extmap-allow-mixed":
			s.allowMixed = true
		case "fingerprint":
			if s.fp == nil {
				if fp, ok := parseFingerprint(a.value); ok {
					s.fp = fp
					continue
				}
			}
			res.Dropped = append(res.Dropped, Dropped{Index: -1, Attr: a.key})
		case "setup":
			s.setup = strings.TrimSpace(a.value)
		case "ice-ufrag":
			s.ufrag = strings.TrimSpace(a.value)
		case "ice-pwd":
			s.pwd = strings.TrimSpace(a.value)
		case "ice-lite":
			s.iceLite = true
		case dirSendRecv, dirSendOnly, dirRecvOnly, dirInactive:
			s.dir = a.key
		case "ice-options", "msid-semantic":
			// Jingle trickles through transport-info; msid-semantic is
			// written again when sources are (NOTES §8.1).
		default:
			res.Dropped = append(res.Dropped, Dropped{Index: -1, Attr: a.key})
		}
	}
	return s
}

// firstBandwidth returns the first b=AS or b=TIAS of a section's lines
// (NOTES §8.1: one per description).
func firstBandwidth(lines []sdpLine) *Bandwidth {
	for _, l := range lines {
		if l.typ != 'b' {
			continue
		}
		if typ, n := bandwidthValue(l.value); typ == "AS" || typ == "TIAS" {
			return &Bandwidth{Type: typ, Value: n}
		}
	}
	return nil
}

func parseFingerprint(v string) (*Fingerprint, bool) {
	hash, value := field(v)
	value = trimBlank(value)
	if hash == "" || value == "" {
		return nil, false
	}
	return &Fingerprint{Hash: hash, Value: value}, true
}

// liveGroups keeps the groups' members that are mapped contents, and the
// groups that keep a member (NOTES §8.1: remove rejected mids).
func liveGroups(groups []Group, contents []Content) []Group {
	var out []Group
	for _, g := range groups {
		live := g.Contents[:0:0]
		for _, gc := range g.Contents {
			for i := range contents {
				if contents[i].Name == gc.Name {
					live = append(live, gc)
					break
				}
			}
		}
		if len(live) > 0 {
			out = append(out, Group{Semantics: g.Semantics, Contents: live})
		}
	}
	return out
}

// fixBundleOnly gives each bundle-only content the transport of its BUNDLE
// tag, the first member of its group (RFC 8843 §7.2), without candidates.
func fixBundleOnly(res *Media, idx []int) error {
	for _, i := range idx {
		c := &res.Contents[i]
		var tag *Content
		for _, g := range res.Groups {
			if g.Semantics != SemanticsBundle {
				continue
			}
			for _, gc := range g.Contents {
				if gc.Name == c.Name {
					tag = findContent(res.Contents, g.Contents[0].Name)
				}
			}
		}
		if tag == nil || tag == c || tag.ICEUDP == nil {
			return &MediaError{Index: i, Media: c.Description.Media, Proto: "bundle-only", Err: ErrUnsupportedTransport}
		}
		c.ICEUDP = &ICEUDPTransport{Ufrag: tag.ICEUDP.Ufrag, Pwd: tag.ICEUDP.Pwd, Fingerprint: tag.ICEUDP.Fingerprint}
	}
	return nil
}

func findContent(cs []Content, name string) *Content {
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	return nil
}
