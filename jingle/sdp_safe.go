package jingle

import "strings"

// Jingle strings end up inside SDP lines. A value with a line break would
// inject lines; a blank inside a token would shift the fields after it.
// sdpSafe checks every string JingleToSDP writes before it writes any.

// isToken reports a non-empty run of visible ASCII (RFC 4566 §9 token and
// the narrower ICE, fingerprint and address grammars all fit in it).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// isText reports a string without control characters (RFC 4566 §9 text:
// no NUL, CR or LF; other controls are refused too).
func isText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}

// isParam reports a parameter that can be written as name[=value] without
// blanks or separators changing its meaning.
func isParam(p Parameter, sep byte) bool {
	ok := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] <= ' ' || s[i] >= 0x7f || s[i] == sep {
				return false
			}
		}
		return true
	}
	return ok(p.Name) && ok(p.Value) && (p.Name != "" || p.Value != "")
}

func unsafeErr(element, attr string) error {
	return schemaErr(element, attr, "not writable in SDP")
}

// sdpSafe checks the strings of the contents and groups that JingleToSDP
// may write. Errors are *SchemaError (bad-request).
func sdpSafe(contents []Content, groups []Group) error {
	for _, g := range groups {
		if !isToken(g.Semantics) {
			return unsafeErr("group", "semantics")
		}
		for _, gc := range g.Contents {
			if !isToken(gc.Name) {
				return unsafeErr("group", "content")
			}
		}
	}
	for i := range contents {
		c := &contents[i]
		if c.Name != "" && !isToken(c.Name) && len(groups) > 0 {
			return unsafeErr("content", "name")
		}
		if d := c.Description; d != nil {
			if err := d.sdpSafe(); err != nil {
				return err
			}
		}
		if t := c.ICEUDP; t != nil {
			if err := t.sdpSafe(); err != nil {
				return err
			}
		}
		if t := c.RawUDP; t != nil {
			if err := t.Fingerprint.sdpSafe(); err != nil {
				return err
			}
			for _, rc := range t.Candidates {
				if !isToken(rc.IP) {
					return unsafeErr("candidate", "ip")
				}
			}
		}
	}
	return nil
}

func (d *RTPDescription) sdpSafe() error {
	if !isToken(d.Media) {
		return unsafeErr("description", "media")
	}
	for i := range d.PayloadTypes {
		p := &d.PayloadTypes[i]
		if p.Name != "" && !isToken(p.Name) {
			return unsafeErr("payload-type", "name")
		}
		for _, prm := range p.Parameters {
			if !isText(prm.Name) || !isText(prm.Value) || strings.ContainsAny(prm.Name, "=;") || strings.ContainsAny(prm.Value, ";") {
				return unsafeErr("parameter", "value")
			}
		}
		if err := feedbackSafe(p.RTCPFB); err != nil {
			return err
		}
	}
	if err := feedbackSafe(d.RTCPFB); err != nil {
		return err
	}
	for _, h := range d.HdrExts {
		if !isToken(h.URI) {
			return unsafeErr("rtp-hdrext", "uri")
		}
		for _, p := range h.Parameters {
			if !isParam(p, ' ') {
				return unsafeErr("parameter", "value")
			}
		}
	}
	for _, s := range d.Sources {
		for _, p := range s.Parameters {
			if !isToken(p.Name) || strings.ContainsAny(p.Name, ":") || !isText(p.Value) {
				return unsafeErr("source", "parameter")
			}
		}
	}
	for _, g := range d.SSRCGroups {
		if !isToken(g.Semantics) {
			return unsafeErr("ssrc-group", "semantics")
		}
	}
	if e := d.Encryption; e != nil {
		for _, c := range e.Cryptos {
			if !isToken(c.Tag) || !isToken(c.Suite) || !isToken(c.KeyParams) || !isText(c.SessionParams) {
				return unsafeErr("crypto", "")
			}
		}
		if z := e.ZRTPHash; z != nil && (!isToken(z.Version) || !isToken(z.Value)) {
			return unsafeErr("zrtp-hash", "")
		}
	}
	if b := d.Bandwidth; b != nil && b.Type != "" && !isToken(b.Type) {
		return unsafeErr("bandwidth", "type")
	}
	return nil
}

func feedbackSafe(fbs []RTCPFB) error {
	for _, f := range fbs {
		if !isToken(f.Type) || (f.Subtype != "" && !isToken(f.Subtype)) {
			return unsafeErr("rtcp-fb", "type")
		}
		for _, p := range f.Parameters {
			if !isParam(p, ' ') {
				return unsafeErr("parameter", "value")
			}
		}
	}
	return nil
}

func (t *ICEUDPTransport) sdpSafe() error {
	if (t.Ufrag != "" && !isToken(t.Ufrag)) || (t.Pwd != "" && !isToken(t.Pwd)) {
		return unsafeErr("transport", "ufrag")
	}
	if err := t.Fingerprint.sdpSafe(); err != nil {
		return err
	}
	for _, c := range t.Candidates {
		if !isToken(c.Foundation) || !isToken(c.Protocol) || !isToken(c.IP) || !isToken(c.Type) ||
			(c.RelAddr != "" && !isToken(c.RelAddr)) || (c.TCPType != "" && !isToken(c.TCPType)) {
			return unsafeErr("candidate", "")
		}
	}
	for _, r := range t.RemoteCandidates {
		if !isToken(r.IP) {
			return unsafeErr("remote-candidate", "ip")
		}
	}
	return nil
}

func (f *Fingerprint) sdpSafe() error {
	if f == nil {
		return nil
	}
	if !isToken(f.Hash) || !isToken(f.Value) || (f.Setup != "" && !isToken(f.Setup)) {
		return unsafeErr("fingerprint", "")
	}
	return nil
}
