package jingle

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
)

// mediaView is what a round trip must keep of one media section,
// normalised independently of the translator.
type mediaView struct {
	media, port, addr   string
	formats             []string
	rtpmap              map[string]string
	fmtp                map[string][]string
	feedback, extmap    []string
	ssrc, ssrcGroup     []string
	crypto, candidates  []string
	fingerprint, setup  string
	ufrag, pwd          string
	dir, ptime, maxtime string
	bandwidth           string
	mux                 bool
}

func attrOr(md *sdp.MediaDescription, sd *sdp.SessionDescription, key string) string {
	if v, ok := md.Attribute(key); ok {
		return strings.TrimSpace(v)
	}
	v, _ := sd.Attribute(key)
	return strings.TrimSpace(v)
}

func normSpaces(s string) string { return strings.Join(strings.Fields(s), " ") }

func view(t *testing.T, sd *sdp.SessionDescription, md *sdp.MediaDescription) mediaView {
	t.Helper()
	v := mediaView{
		media: md.MediaName.Media, port: md.MediaName.Port.String(), formats: md.MediaName.Formats,
		rtpmap: map[string]string{}, fmtp: map[string][]string{},
		fingerprint: attrOr(md, sd, "fingerprint"), setup: attrOr(md, sd, "setup"),
		ufrag: attrOr(md, sd, "ice-ufrag"), pwd: attrOr(md, sd, "ice-pwd"),
		dir: "sendrecv", ptime: attrOr(md, sd, "ptime"), maxtime: attrOr(md, sd, "maxptime"),
	}
	if ci := md.ConnectionInformation; ci != nil {
		v.addr = ci.Address.Address
	} else if sd.ConnectionInformation != nil {
		v.addr = sd.ConnectionInformation.Address.Address
	}
	bws := md.Bandwidth
	if len(bws) == 0 {
		bws = sd.Bandwidth
	}
	if len(bws) > 0 {
		v.bandwidth = bws[0].String()
	}
	for _, a := range append(append([]sdp.Attribute(nil), sd.Attributes...), md.Attributes...) {
		switch a.Key {
		case "sendrecv", "sendonly", "recvonly", "inactive":
			v.dir = a.Key
		}
	}
	for _, a := range md.Attributes {
		val := strings.TrimSpace(a.Value)
		switch a.Key {
		case "rtpmap":
			pt, enc, _ := strings.Cut(val, " ")
			v.rtpmap[pt] = strings.TrimSuffix(enc, "/1")
		case "fmtp":
			pt, params, _ := strings.Cut(val, " ")
			var ps []string
			for p := range strings.SplitSeq(params, ";") {
				if p = strings.TrimSpace(p); p != "" {
					ps = append(ps, p)
				}
			}
			v.fmtp[pt] = ps
		case "rtcp-fb":
			v.feedback = append(v.feedback, normSpaces(val))
		case "extmap":
			v.extmap = append(v.extmap, normSpaces(val))
		case "ssrc":
			v.ssrc = append(v.ssrc, val)
		case "ssrc-group":
			v.ssrcGroup = append(v.ssrcGroup, val)
		case "crypto":
			v.crypto = append(v.crypto, normSpaces(val))
		case "rtcp-mux":
			v.mux = true
		case "candidate":
			f := strings.Fields(val)
			if len(f) < 8 {
				t.Fatalf("candidate %q", val)
			}
			f[2] = strings.ToLower(f[2])
			out := f[:8:8]
			gen := "0"
			var ext []string
			for i := 8; i+1 < len(f); i += 2 {
				switch f[i] {
				case "network-cost", "ufrag":
				case "generation":
					gen = f[i+1]
				default:
					ext = append(ext, f[i], f[i+1])
				}
			}
			v.candidates = append(v.candidates, strings.Join(append(append(out, ext...), "generation", gen), " "))
		}
	}
	// a=msid folds into the sources (NOTES §5 item 16).
	if msid, ok := md.Attribute("msid"); ok {
		seen := map[string]bool{}
		for _, l := range v.ssrc {
			id, attr, _ := strings.Cut(l, " ")
			if strings.HasPrefix(attr, "msid:") {
				seen[id] = true
			}
		}
		for _, l := range slices.Clone(v.ssrc) {
			id, _, _ := strings.Cut(l, " ")
			if !seen[id] {
				seen[id] = true
				v.ssrc = append(v.ssrc, id+" msid:"+strings.TrimSpace(msid))
			}
		}
	}
	slices.Sort(v.ssrc)
	// Static payload types without rtpmap (RFC 3551).
	for _, f := range v.formats {
		if _, ok := v.rtpmap[f]; ok {
			continue
		}
		if id, ok := parsePT(f); ok {
			if st, ok := static(id); ok {
				v.rtpmap[f] = st.name + "/" + itoa(uint64(st.clockRate))
				if st.channels > 1 {
					v.rtpmap[f] += "/" + itoa(uint64(st.channels))
				}
			}
		}
	}
	return v
}

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

func parseSDP(t *testing.T, body []byte) *sdp.SessionDescription {
	t.Helper()
	text, _, err := prepareSDP(body)
	if err != nil {
		t.Fatal(err)
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(text); err != nil {
		t.Fatalf("parse: %v\n%s", err, body)
	}
	return &sd
}

// TestRoundTrip: SDP -> Jingle -> SDP written for the same party keeps
// codecs, fmtp, rtcp-fb, extmap, ssrc, fingerprints, candidates, crypto,
// directions, ptime and addresses, for both roles of the author.
func TestRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.sdp")
	kinds := map[string]Kind{"05-webrtc-answer-video-rejected.sdp": Answer, "06-sip-answer-video-rejected.sdp": Answer}
	for _, f := range files {
		name := filepath.Base(f)
		if name == "13-sylk-msrp-chat.sdp" {
			continue
		}
		for _, role := range []Role{RoleInitiator, RoleResponder} {
			t.Run(name+"/"+string(role), func(t *testing.T) {
				kind := kinds[name]
				if kind == 0 {
					kind = Offer
				}
				body := readVector(t, name)
				res, err := NewMapping(role, 1).SDPToJingle(kind, body)
				if err != nil {
					t.Fatal(err)
				}
				// The Jingle party is now the SDP's author.
				out, err := NewMapping(role.Other(), 2).JingleToSDP(kind, res.Contents, res.Groups)
				if err != nil {
					t.Fatal(err)
				}
				in, back := parseSDP(t, body), parseSDP(t, out.Body)
				var want []mediaView
				for i, md := range in.MediaDescriptions {
					if md.MediaName.Port.Value == 0 || slices.ContainsFunc(res.Unmapped, func(e *MediaError) bool { return e.Index == i }) {
						continue
					}
					want = append(want, view(t, in, md))
				}
				if len(back.MediaDescriptions) != len(want) {
					t.Fatalf("%d m-lines, want %d:\n%s", len(back.MediaDescriptions), len(want), out.Body)
				}
				for i, md := range back.MediaDescriptions {
					got := view(t, back, md)
					w := want[i]
					if w.ufrag != "" {
						// With ICE the c= line and port follow the default
						// candidate, and the original Chrome lines are a
						// trickle placeholder.
						got.addr, got.port, w.addr, w.port = "", "", "", ""
					}
					if d := diffView(w, got); d != "" {
						t.Errorf("m-line %d: %s\n%s", i, d, out.Body)
					}
				}
			})
		}
	}
}

func diffView(a, b mediaView) string {
	var d []string
	check := func(name string, ok bool) {
		if !ok {
			d = append(d, name)
		}
	}
	check("media", a.media == b.media)
	check("port", a.port == b.port)
	check("addr", a.addr == b.addr)
	check("formats", slices.Equal(a.formats, b.formats))
	check("rtpmap", len(a.rtpmap) == len(b.rtpmap) && func() bool {
		for k, v := range a.rtpmap {
			if b.rtpmap[k] != v {
				return false
			}
		}
		return true
	}())
	check("fmtp", len(a.fmtp) == len(b.fmtp) && func() bool {
		for k, v := range a.fmtp {
			if !slices.Equal(b.fmtp[k], v) {
				return false
			}
		}
		return true
	}())
	check("rtcp-fb", slices.Equal(a.feedback, b.feedback))
	check("extmap", slices.Equal(a.extmap, b.extmap))
	check("ssrc", slices.Equal(a.ssrc, b.ssrc))
	check("ssrc-group", slices.Equal(a.ssrcGroup, b.ssrcGroup))
	check("crypto", slices.Equal(a.crypto, b.crypto))
	check("candidates", slices.Equal(a.candidates, b.candidates))
	check("fingerprint", a.fingerprint == b.fingerprint)
	check("setup", a.setup == b.setup)
	check("ice", a.ufrag == b.ufrag && a.pwd == b.pwd)
	check("direction", a.dir == b.dir)
	check("ptime", a.ptime == b.ptime && a.maxtime == b.maxtime)
	check("bandwidth", a.bandwidth == b.bandwidth)
	check("rtcp-mux", a.mux == b.mux)
	if len(d) == 0 {
		return ""
	}
	return "differs in " + strings.Join(d, ", ") + "\n  want " + sprintView(a) + "\n  got  " + sprintView(b)
}

func sprintView(v mediaView) string {
	return strings.Join([]string{v.media, v.port, v.addr, strings.Join(v.formats, ","), strings.Join(v.feedback, "|"),
		strings.Join(v.extmap, "|"), strings.Join(v.candidates, "|"), v.dir, v.setup, v.bandwidth}, " ; ")
}
