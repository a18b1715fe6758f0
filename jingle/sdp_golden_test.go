package jingle

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// toJingle converts a vector with a fresh mapping in which the SDP author
// has role r.
func toJingle(t *testing.T, name string, r Role, kind Kind) (*Mapping, *Media) {
	t.Helper()
	m := NewMapping(r, 7)
	res, err := m.SDPToJingle(kind, readVector(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m, res
}

func content(t *testing.T, res *Media, name string) *Content {
	t.Helper()
	c := findContent(res.Contents, name)
	if c == nil {
		t.Fatalf("no content %q in %+v", name, res.Contents)
	}
	return c
}

func payload(t *testing.T, c *Content, id uint8) *PayloadType {
	t.Helper()
	for i := range c.Description.PayloadTypes {
		if c.Description.PayloadTypes[i].ID == id {
			return &c.Description.PayloadTypes[i]
		}
	}
	t.Fatalf("no payload type %d in %q", id, c.Name)
	return nil
}

// TestSDPToJingleXEPVectors compares 01 and 02 with their hand-written
// XEP-conformant Jingle.
func TestSDPToJingleXEPVectors(t *testing.T) {
	for _, v := range []string{"01-sip-phone-audio-offer", "02-sip-sdes-savp-offer"} {
		t.Run(v, func(t *testing.T) {
			ref := readVector(t, v+".xep.xml")
			want := decodeIQ(t, ref)
			_, res := toJingle(t, v+".sdp", RoleInitiator, Offer)
			j := res.Jingle(ActionSessionInitiate, want.SID)
			j.Initiator = want.Initiator
			if err := j.Validate(); err != nil {
				t.Fatal(err)
			}
			out, err := j.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if d := diffTree(parseTree(t, ref, "jingle"), parseTree(t, out, "jingle"), ""); d != "" {
				t.Errorf("differs from %s.xep.xml: %s\n%s", v, d, out)
			}
		})
	}
}

// TestVector03 pins the WebRTC offer: BUNDLE, ICE, DTLS, rtcp-fb, extmap,
// sources, AV1 on PT 45, two telephone-events, RED's bare fmtp.
func TestVector03(t *testing.T) {
	_, res := toJingle(t, "03-chrome-webrtc-offer.sdp", RoleInitiator, Offer)
	if len(res.Contents) != 2 || len(res.Unmapped) != 0 || len(res.Removed) != 0 {
		t.Fatalf("contents %d unmapped %v removed %v", len(res.Contents), res.Unmapped, res.Removed)
	}
	if len(res.Groups) != 1 || res.Groups[0].Semantics != "BUNDLE" || len(res.Groups[0].Contents) != 2 ||
		res.Groups[0].Contents[0].Name != "0" || res.Groups[0].Contents[1].Name != "1" {
		t.Errorf("groups %+v", res.Groups)
	}
	if res.Needs != (Needs{ICE: true, DTLS: true}) {
		t.Errorf("needs %v", res.Needs)
	}
	if !slices.Contains(res.Dropped, Dropped{Index: 0, Attr: "rtcp-rsize"}) {
		t.Errorf("dropped %v", res.Dropped)
	}
	a, v := content(t, res, "0"), content(t, res, "1")
	for _, c := range []*Content{a, v} {
		if c.Creator != RoleInitiator || c.Senders != SendersBoth || !bool(c.Description.RTCPMux) || !bool(c.Description.ExtmapAllowMixed) {
			t.Errorf("%s: %+v", c.Name, c)
		}
		fp := c.ICEUDP.Fingerprint
		if c.ICEUDP.Ufrag != "1CVu" || c.ICEUDP.Pwd != "o3t8B2YK1afSqdsHJzy2pjJs" || fp == nil || fp.Hash != "sha-256" || fp.Setup != "actpass" || !strings.HasPrefix(fp.Value, "20:5C:37") {
			t.Errorf("%s transport %+v", c.Name, c.ICEUDP)
		}
	}
	// Edge case 2: the rtpmap wins over the id.
	if p := payload(t, v, 45); p.Name != "AV1" || p.ClockRate != 90000 || len(p.Parameters) != 3 || len(p.RTCPFB) != 2 {
		t.Errorf("AV1 %+v", p)
	}
	// Edge case 4: both telephone-events stay.
	if p := payload(t, a, 110); p.Name != "telephone-event" || p.ClockRate != 48000 {
		t.Errorf("110 %+v", p)
	}
	if p := payload(t, a, 126); p.Name != "telephone-event" || p.ClockRate != 8000 {
		t.Errorf("126 %+v", p)
	}
	if p := payload(t, a, 63); p.Name != "red" || p.Channels != 2 || len(p.Parameters) != 1 || p.Parameters[0] != (Parameter{Value: "111/111"}) {
		t.Errorf("red %+v", p)
	}
	if p := payload(t, a, 111); p.Channels != 2 || len(p.Parameters) != 2 || p.Parameters[0] != (Parameter{"minptime", "10"}) ||
		len(p.RTCPFB) != 1 || p.RTCPFB[0].Type != "transport-cc" {
		t.Errorf("opus %+v", p)
	}
	// Edge case 3: G722 keeps 8000.
	if p := payload(t, a, 9); p.ClockRate != 8000 {
		t.Errorf("G722 %+v", p)
	}
	if p := payload(t, v, 96); len(p.RTCPFB) != 5 || !reflect.DeepEqual(p.RTCPFB[2], RTCPFB{Type: "ccm", Subtype: "fir"}) || !reflect.DeepEqual(p.RTCPFB[4], RTCPFB{Type: "nack", Subtype: "pli"}) {
		t.Errorf("VP8 feedback %+v", p.RTCPFB)
	}
	if len(a.Description.HdrExts) != 4 || !reflect.DeepEqual(a.Description.HdrExts[0], HdrExt{ID: 1, URI: "urn:ietf:params:rtp-hdrext:ssrc-audio-level"}) {
		t.Errorf("audio extmap %+v", a.Description.HdrExts)
	}
	if len(v.Description.HdrExts) != 5 || v.Description.HdrExts[0].ID != 14 {
		t.Errorf("video extmap %+v", v.Description.HdrExts)
	}
	// Sources with msid folded in; the FID group.
	if len(v.Description.Sources) != 2 || v.Description.Sources[0].SSRC != 3651298094 ||
		v.Description.Sources[0].Parameters[1] != (SourceParameter{"msid", "b74d7537-dd39-4227-ba17-77159ccc50f8 8540a010-59fe-4f08-8106-36663edcb4a0"}) {
		t.Errorf("video sources %+v", v.Description.Sources)
	}
	if g := v.Description.SSRCGroups; len(g) != 1 || g[0].Semantics != "FID" || len(g[0].Sources) != 2 || g[0].Sources[1].SSRC != 723058586 {
		t.Errorf("ssrc-group %+v", g)
	}
	// Candidates: all five on audio, none on the bundled video.
	cs := a.ICEUDP.Candidates
	if len(cs) != 5 || len(v.ICEUDP.Candidates) != 0 {
		t.Fatalf("candidates %d/%d", len(cs), len(v.ICEUDP.Candidates))
	}
	if c := cs[4]; c.Protocol != "tcp" || c.TCPType != "active" || c.Port != 9 || c.Foundation != "409734103" {
		t.Errorf("tcp candidate %+v", c)
	}
	if c := cs[1]; c.IP != "2001:db8::20" || c.Network != 2 || c.Generation != 0 {
		t.Errorf("ipv6 candidate %+v", c)
	}
	if c := cs[3]; c.Type != "relay" || c.RelAddr != "203.0.113.7" || c.RelPort != 54400 || c.Priority != 41885695 {
		t.Errorf("relay candidate %+v", c)
	}
	ids := map[string]bool{}
	for _, c := range cs {
		if c.ID == "" || ids[c.ID] {
			t.Errorf("candidate id %q not unique", c.ID)
		}
		ids[c.ID] = true
	}
	j := res.Jingle(ActionSessionInitiate, "s1")
	if err := j.Validate(); err != nil {
		t.Errorf("validate: %v", err)
	}
}

// TestAnswerVectors: 05 and 06 answer a two-line offer the gateway wrote;
// the rejected video line becomes Removed and keeps its place.
func TestAnswerVectors(t *testing.T) {
	t.Run("05 webrtc", func(t *testing.T) {
		_, offer := toJingle(t, "03-chrome-webrtc-offer.sdp", RoleInitiator, Offer)
		m := NewMapping(RoleResponder, 9)
		if _, err := m.JingleToSDP(Offer, offer.Contents, offer.Groups); err != nil {
			t.Fatal(err)
		}
		res, err := m.SDPToJingle(Answer, readVector(t, "05-webrtc-answer-video-rejected.sdp"))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Contents) != 1 || res.Contents[0].Name != "0" || res.Contents[0].Creator != RoleInitiator {
			t.Fatalf("contents %+v", res.Contents)
		}
		if !slices.Equal(res.Removed, []ContentRef{{RoleInitiator, "1"}}) {
			t.Errorf("removed %+v", res.Removed)
		}
		if fp := res.Contents[0].ICEUDP.Fingerprint; fp == nil || fp.Setup != "active" {
			t.Errorf("fingerprint %+v", fp)
		}
		if len(res.Groups) != 1 || len(res.Groups[0].Contents) != 1 || res.Groups[0].Contents[0].Name != "0" {
			t.Errorf("groups %+v", res.Groups)
		}
		j := res.Jingle(ActionSessionAccept, "s1")
		if err := j.Validate(); err != nil {
			t.Errorf("session-accept: %v", err)
		}
		if l := m.Lines(); len(l) != 2 || !l[1].Rejected || l[0].Rejected {
			t.Errorf("layout %+v", l)
		}
	})
	t.Run("06 sip", func(t *testing.T) {
		_, offer := toJingle(t, "10b-sip-reinvite-add-video.sdp", RoleInitiator, Offer)
		m := NewMapping(RoleResponder, 9)
		if _, err := m.JingleToSDP(Offer, offer.Contents, nil); err != nil {
			t.Fatal(err)
		}
		res, err := m.SDPToJingle(Answer, readVector(t, "06-sip-answer-video-rejected.sdp"))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Contents) != 1 || res.Contents[0].Name != "audio" || !slices.Equal(res.Removed, []ContentRef{{RoleInitiator, "video"}}) {
			t.Fatalf("contents %+v removed %+v", res.Contents, res.Removed)
		}
		c := &res.Contents[0]
		if p := payload(t, c, 0); p.Name != "PCMU" || p.ClockRate != 8000 {
			t.Errorf("PCMU %+v", p)
		}
		if p := payload(t, c, 101); len(p.Parameters) != 1 || p.Parameters[0].Value != "0-15" {
			t.Errorf("dtmf %+v", p)
		}
		if c.RawUDP == nil || c.RawUDP.Candidates[0].IP != "192.0.2.77" || c.RawUDP.Candidates[1].Port != 2223 {
			t.Errorf("transport %+v", c.RawUDP)
		}
	})
}

// TestVector07Senders pins NOTES §8.2 with vector 07 (sendonly) written
// by the initiator and by the responder; c=0.0.0.0 is hold too.
func TestVector07Senders(t *testing.T) {
	for _, tt := range []struct {
		role Role
		want Senders
	}{
		{RoleInitiator, SendersInitiator},
		{RoleResponder, SendersResponder},
	} {
		_, res := toJingle(t, "07-sip-reinvite-hold-sendonly.sdp", tt.role, Offer)
		c := &res.Contents[0]
		if c.Senders != tt.want {
			t.Errorf("%s: senders %q, want %q", tt.role, c.Senders, tt.want)
		}
		// Edge case 1: static PT 0 without rtpmap.
		if p := payload(t, c, 0); p.Name != "PCMU" || p.ClockRate != 8000 || p.Channels != 1 || p.PTime != 20 {
			t.Errorf("PT 0 %+v", p)
		}
		if len(c.Description.PayloadTypes) != 3 {
			t.Errorf("payload types %+v", c.Description.PayloadTypes)
		}
	}
	hold := strings.Replace(string(readVector(t, "10a-sip-audio-initial-offer.sdp")), "c=IN IP4 192.0.2.88", "c=IN IP4 0.0.0.0", 1)
	for _, tt := range []struct {
		dir  string
		want Senders
	}{
		{"sendrecv", SendersInitiator},
		{"sendonly", SendersInitiator},
		{"recvonly", SendersNone},
		{"inactive", SendersNone},
	} {
		res, err := NewMapping(RoleInitiator, 1).SDPToJingle(Offer, []byte(strings.Replace(hold, "a=sendrecv", "a="+tt.dir, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if s := res.Contents[0].Senders; s != tt.want {
			t.Errorf("c=0.0.0.0 with %s: senders %q, want %q", tt.dir, s, tt.want)
		}
	}
}

// TestReoffers: 09a->09b and 10a->10b add video; the re-offer keeps the
// audio content and reports the new one as Added.
func TestReoffers(t *testing.T) {
	for _, tt := range []struct {
		first, second, audio, video string
		group                       bool
	}{
		{"09a-webrtc-audio-initial-offer.sdp", "09b-webrtc-reoffer-add-video.sdp", "0", "1", true},
		{"10a-sip-audio-initial-offer.sdp", "10b-sip-reinvite-add-video.sdp", "audio", "video", false},
	} {
		t.Run(tt.second, func(t *testing.T) {
			m, first := toJingle(t, tt.first, RoleInitiator, Offer)
			if len(first.Contents) != 1 || first.Contents[0].Name != tt.audio || first.Unchanged {
				t.Fatalf("first %+v", first.Contents)
			}
			res, err := m.SDPToJingle(Offer, readVector(t, tt.second))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Contents) != 2 || !slices.Equal(res.Added, []ContentRef{{RoleInitiator, tt.video}}) || len(res.Removed) != 0 || res.Unchanged {
				t.Fatalf("contents %d added %+v removed %+v unchanged %v", len(res.Contents), res.Added, res.Removed, res.Unchanged)
			}
			v := content(t, res, tt.video)
			if tt.group {
				if len(res.Groups) != 1 || len(res.Groups[0].Contents) != 2 {
					t.Errorf("groups %+v", res.Groups)
				}
				if v.Senders != SendersInitiator {
					t.Errorf("09b video is sendonly from the initiator: %q", v.Senders)
				}
				return
			}
			if v.Description.Bandwidth == nil || *v.Description.Bandwidth != (Bandwidth{"AS", 512}) {
				t.Errorf("b=AS:512: %+v", v.Description.Bandwidth)
			}
			if fb := v.Description.RTCPFB; len(fb) != 2 || !reflect.DeepEqual(fb[0], RTCPFB{Type: "nack", Subtype: "pli"}) {
				t.Errorf("rtcp-fb:* %+v", fb)
			}
			if p := payload(t, v, 97); len(p.Parameters) != 2 || p.Parameters[0] != (Parameter{"profile-level-id", "42801F"}) {
				t.Errorf("H264 %+v", p)
			}
			a := content(t, res, tt.audio)
			if p := payload(t, a, 8); p.Name != "PCMA" {
				t.Errorf("PCMA %+v", p)
			}
			// The same SDP again is a session refresh.
			again, err := m.SDPToJingle(Offer, readVector(t, tt.second))
			if err != nil || !again.Unchanged || len(again.Added) != 0 {
				t.Errorf("refresh: %v %+v", err, again)
			}
		})
	}
}

func TestVector11SylkMediaConnection(t *testing.T) {
	_, res := toJingle(t, "11-sylk-conference-audio-sdes-avp.sdp", RoleInitiator, Offer)
	c := &res.Contents[0]
	cs := c.RawUDP.Candidates
	if len(cs) != 2 || cs[0].IP != "198.51.100.7" || cs[0].Port != 50324 || cs[1].Port != 50325 || cs[1].IP != "198.51.100.7" {
		t.Errorf("candidates %+v", cs)
	}
	e := c.Description.Encryption
	if e == nil || e.Required || len(e.Cryptos) != 1 || e.Cryptos[0].Suite != "AES_CM_128_HMAC_SHA1_80" {
		t.Errorf("encryption %+v", e)
	}
	if res.Needs != (Needs{SDES: true, PlainRTP: true}) {
		t.Errorf("needs %v", res.Needs)
	}
}

func TestVector13OnlyMSRP(t *testing.T) {
	_, err := NewMapping(RoleInitiator, 1).SDPToJingle(Offer, readVector(t, "13-sylk-msrp-chat.sdp"))
	var ue *UnmappableError
	if !errors.As(err, &ue) || !errors.Is(err, ErrNothingMappable) || !errors.Is(err, ErrUnsupportedApplication) {
		t.Fatalf("err %v", err)
	}
	if ue.Condition() != ConditionUnsupportedApplications || ue.SIPStatus() != 488 {
		t.Errorf("condition %s status %d", ue.Condition(), ue.SIPStatus())
	}
	if code, text := ue.SIPWarning(); code != 304 || text != "Media type not available" {
		t.Errorf("warning %d %q", code, text)
	}
	if len(ue.Lines) != 1 || ue.Lines[0].Media != "message" || ue.Lines[0].Proto != "TCP/TLS/MSRP" {
		t.Errorf("lines %+v", ue.Lines)
	}
}

// TestVector14AudioPlusMSRP: the MSRP line is left out of Jingle and the
// answer repeats it with port 0.
func TestVector14AudioPlusMSRP(t *testing.T) {
	m, res := toJingle(t, "14-blink-audio-plus-msrp-chat-offer.sdp", RoleInitiator, Offer)
	if len(res.Contents) != 1 || res.Contents[0].Name != "audio" {
		t.Fatalf("contents %+v", res.Contents)
	}
	if len(res.Unmapped) != 1 || res.Unmapped[0].Index != 1 || res.Unmapped[0].Media != "message" || !errors.Is(res.Unmapped[0], ErrUnsupportedApplication) {
		t.Fatalf("unmapped %+v", res.Unmapped)
	}
	// The XMPP side accepts the audio.
	accepted := res.Contents
	out, err := m.JingleToSDP(Answer, accepted, nil)
	if err != nil {
		t.Fatal(err)
	}
	mls := mLines(string(out.Body))
	if len(mls) != 2 || !strings.HasPrefix(mls[0], "m=audio 50020 RTP/AVP 9 0 8 101") || mls[1] != "m=message 0 TCP/TLS/MSRP *" {
		t.Errorf("answer m-lines %q\n%s", mls, out.Body)
	}
	if !strings.Contains(string(out.Body), "a=crypto:1 AES_CM_128_HMAC_SHA1_80 ") {
		t.Errorf("best-effort crypto lost:\n%s", out.Body)
	}
}

func TestOwnVector12ICEWithoutDTLS(t *testing.T) {
	_, res := toJingle(t, "own-12-blink-ice-sdes-avp.sdp", RoleInitiator, Offer)
	c := &res.Contents[0]
	if c.ICEUDP == nil || c.ICEUDP.Ufrag != "Kx4b" || c.ICEUDP.Fingerprint != nil || len(c.ICEUDP.Candidates) != 4 {
		t.Fatalf("transport %+v", c.ICEUDP)
	}
	if cs := c.ICEUDP.Candidates; cs[1].Component != 2 || cs[1].Protocol != "udp" || cs[0].Foundation != "Sc0a8011f" {
		t.Errorf("candidates %+v", cs)
	}
	if res.Needs != (Needs{ICE: true, SDES: true, PlainRTP: true}) {
		t.Errorf("needs %v", res.Needs)
	}
	out, err := NewMapping(RoleResponder, 1).JingleToSDP(Offer, res.Contents, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The default candidate is the relay; its RTCP is on port+1, so no
	// a=rtcp.
	if s := string(out.Body); !strings.Contains(s, "m=audio 61000 RTP/AVP 9 101\r\nc=IN IP4 203.0.113.10\r\na=ice-ufrag:Kx4b\r\n") {
		t.Errorf("default candidate:\n%s", s)
	}
}

// TestAllVectorsValidJingle: every mappable vector gives contents that
// pass Validate as session-initiate and as session-accept.
func TestAllVectorsValidJingle(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.sdp")
	if len(files) < 14 {
		t.Fatalf("%d vectors", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		for _, role := range []Role{RoleInitiator, RoleResponder} {
			res, err := NewMapping(role, 1).SDPToJingle(Offer, readVector(t, name))
			if name == "13-sylk-msrp-chat.sdp" {
				if err == nil {
					t.Errorf("%s: no error", name)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			for _, a := range []Action{ActionSessionInitiate, ActionSessionAccept} {
				j := res.Jingle(a, "sid")
				if err := j.Validate(); err != nil {
					t.Errorf("%s as %s: %v", name, a, err)
				}
				out, err := j.Encode()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := Decode(out); err != nil {
					t.Errorf("%s: decode own output: %v", name, err)
				}
			}
		}
	}
}

func mLines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\r\n") {
		if strings.HasPrefix(l, "m=") {
			out = append(out, l)
		}
	}
	return out
}
