package jingle

import (
	"encoding/xml"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const sdpHead = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"

func sdpOf(lines ...string) []byte {
	return []byte(sdpHead + strings.Join(lines, "\r\n") + "\r\n")
}

func TestSDPToJingleErrors(t *testing.T) {
	many := func(n int, line string) string {
		var b strings.Builder
		for range n {
			b.WriteString(line)
			b.WriteString("\r\n")
		}
		return strings.TrimSuffix(b.String(), "\r\n")
	}
	tests := []struct {
		name      string
		sdp       []byte
		want      []error
		condition Condition
		warning   int
	}{
		{name: "garbage", sdp: []byte("hello"), want: []error{ErrMalformedSDP}},
		{name: "empty", sdp: nil, want: []error{ErrMalformedSDP}},
		{name: "only v=", sdp: []byte("v=0\r\n"), want: []error{ErrMalformedSDP}},
		{name: "no t=", sdp: []byte("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\n"), want: []error{ErrMalformedSDP}},
		{name: "no v=", sdp: []byte("o=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n"), want: []error{ErrMalformedSDP}},
		{name: "payload type not a number", sdp: sdpOf("m=audio 4000 RTP/AVP x"), want: []error{ErrMalformedSDP}},
		{name: "payload type 128", sdp: sdpOf("m=audio 4000 RTP/AVP 128"), want: []error{ErrMalformedSDP}},
		{name: "payload type twice", sdp: sdpOf("m=audio 4000 RTP/AVP 0 0"), want: []error{ErrMalformedSDP}},
		{name: "duplicate mid", sdp: sdpOf("m=audio 4000 RTP/AVP 0", "a=mid:a", "m=audio 4002 RTP/AVP 0", "a=mid:a"), want: []error{ErrMalformedSDP}},
		{name: "no c=", sdp: []byte("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"), want: []error{ErrMalformedSDP}},
		{name: "too big", sdp: sdpOf("m=audio 4000 RTP/AVP 0", "a=x-pad:"+strings.Repeat("x", MaxSDPSize)), want: []error{ErrMalformedSDP, ErrTooLarge}},
		{name: "too many m-lines", sdp: sdpOf(many(MaxMedia+1, "m=audio 4000 RTP/AVP 0")), want: []error{ErrMalformedSDP, ErrTooLarge}},
		{name: "too many candidates", sdp: sdpOf("m=audio 4000 RTP/AVP 0", "a=ice-ufrag:u", "a=ice-pwd:p", many(MaxCandidates+1, "a=candidate:1 1 udp 1 192.0.2.1 4000 typ host")), want: []error{ErrMalformedSDP, ErrTooLarge}},
		{name: "too many fmtp parameters", sdp: sdpOf("m=audio 4000 RTP/AVP 96", "a=rtpmap:96 x/8000", "a=fmtp:96 "+strings.Repeat("a=1;", MaxItems+1)), want: []error{ErrMalformedSDP, ErrTooLarge}},
		{name: "no media", sdp: []byte(sdpHead), want: []error{ErrNothingMappable}, condition: ConditionUnsupportedApplications, warning: 304},
		{name: "RTP over TCP", sdp: sdpOf("m=audio 4000 TCP/RTP/AVP 0"), want: []error{ErrNothingMappable, ErrUnsupportedTransport}, condition: ConditionUnsupportedTransports, warning: 302},
		{name: "T.38", sdp: sdpOf("m=image 4000 udptl t38"), want: []error{ErrNothingMappable, ErrUnsupportedApplication}, condition: ConditionUnsupportedApplications, warning: 304},
		{name: "data channel", sdp: sdpOf("m=application 4000 UDP/DTLS/SCTP webrtc-datachannel"), want: []error{ErrNothingMappable, ErrUnsupportedApplication}, condition: ConditionUnsupportedApplications, warning: 304},
		{name: "real-time text", sdp: sdpOf("m=text 4000 RTP/AVP 98", "a=rtpmap:98 t140/1000"), want: []error{ErrNothingMappable, ErrUnsupportedApplication}, condition: ConditionUnsupportedApplications},
		{name: "SAVP without crypto", sdp: sdpOf("m=audio 4000 RTP/SAVP 0"), want: []error{ErrNothingMappable, ErrCryptoRequired}, condition: ConditionSecurityError, warning: 306},
		{name: "DTLS without fingerprint", sdp: sdpOf("m=audio 4000 UDP/TLS/RTP/SAVPF 0", "a=ice-ufrag:u", "a=ice-pwd:p"), want: []error{ErrNothingMappable, ErrCryptoRequired}, condition: ConditionSecurityError},
		{name: "ICE lite", sdp: []byte(sdpHead + "a=ice-lite\r\nm=audio 4000 RTP/AVP 0\r\na=ice-ufrag:u\r\na=ice-pwd:p\r\n"), want: []error{ErrNothingMappable, ErrICELite, ErrUnsupportedTransport}, condition: ConditionUnsupportedTransports, warning: 302},
		{name: "ufrag without pwd", sdp: sdpOf("m=audio 4000 RTP/AVP 0", "a=ice-ufrag:u"), want: []error{ErrMissingICECredentials}, condition: ConditionUnsupportedTransports},
		{name: "candidates without ufrag", sdp: sdpOf("m=audio 4000 RTP/AVP 0", "a=candidate:1 1 udp 1 192.0.2.1 4000 typ host"), want: []error{ErrMissingICECredentials}},
		{name: "mixed reasons", sdp: sdpOf("m=audio 4000 TCP/RTP/AVP 0", "m=message 4002 TCP/MSRP *"), want: []error{ErrUnsupportedTransport, ErrUnsupportedApplication}, condition: ConditionUnsupportedApplications, warning: 304},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMapping(RoleInitiator, 1)
			res, err := m.SDPToJingle(Offer, tt.sdp)
			if err == nil {
				t.Fatalf("no error: %+v", res)
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("%v is not %v", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "jingle: ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("message %q", err)
			}
			var ue *UnmappableError
			if tt.condition != "" {
				if !errors.As(err, &ue) || ue.Condition() != tt.condition {
					t.Errorf("condition of %v, want %s", err, tt.condition)
				}
			}
			if tt.warning != 0 {
				if code, _ := ue.SIPWarning(); code != tt.warning {
					t.Errorf("warning %d, want %d", code, tt.warning)
				}
			}
			if len(m.Lines()) != 0 || m.peerSeen {
				t.Errorf("mapping changed: %+v", m.Lines())
			}
		})
	}
}

func TestLayoutMismatch(t *testing.T) {
	two := sdpOf("m=audio 4000 RTP/AVP 0", "m=video 4002 RTP/AVP 31")
	one := sdpOf("m=audio 4000 RTP/AVP 0")
	swapped := sdpOf("m=video 4002 RTP/AVP 31", "m=audio 4000 RTP/AVP 0")
	withMid := sdpOf("m=audio 4000 RTP/AVP 0", "a=mid:a")
	otherMid := sdpOf("m=audio 4000 RTP/AVP 0", "a=mid:b")
	tests := []struct {
		name          string
		first, second []byte
		kind          Kind
	}{
		{"answer has fewer lines", two, one, Answer},
		{"answer has more lines", one, two, Answer},
		{"re-offer drops a line", two, one, Offer},
		{"answer changes media", two, swapped, Answer},
		{"re-offer changes mid", withMid, otherMid, Offer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMapping(RoleInitiator, 1)
			if _, err := m.SDPToJingle(Offer, tt.first); err != nil {
				t.Fatal(err)
			}
			before := m.Lines()
			_, err := m.SDPToJingle(tt.kind, tt.second)
			if !errors.Is(err, ErrOfferMismatch) {
				t.Fatalf("err %v", err)
			}
			if !reflect.DeepEqual(before, m.Lines()) {
				t.Errorf("layout changed")
			}
		})
	}
}

func TestPartiallyMappable(t *testing.T) {
	m := NewMapping(RoleInitiator, 1)
	res, err := m.SDPToJingle(Offer, sdpOf("m=audio 4000 RTP/AVP 0", "m=image 4002 udptl t38", "a=T38FaxVersion:0"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Contents) != 1 || len(res.Unmapped) != 1 || res.Unmapped[0].Index != 1 || res.Unmapped[0].Media != "image" || res.Unmapped[0].Proto != "udptl" {
		t.Fatalf("%+v %+v", res.Contents, res.Unmapped)
	}
	out, err := m.JingleToSDP(Answer, res.Contents, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mls := mLines(string(out.Body)); len(mls) != 2 || mls[1] != "m=image 0 udptl t38" {
		t.Errorf("answer %q", mls)
	}
}

func TestSDPParsingDetails(t *testing.T) {
	t.Run("fmtp splits at the first = only", func(t *testing.T) {
		res, err := NewMapping(RoleInitiator, 1).SDPToJingle(Offer, sdpOf(
			"m=video 4000 RTP/AVP 96 9",
			"a=rtpmap:96 H264/90000",
			"a=fmtp:96 profile-level-id=42e01f; sprop-parameter-sets=Z0IAH5WoFAFuQA==,aM48gA==;packetization-mode=1",
			"a=fmtp:96 ignored=1",
			"a=fmtp:9 x=1",
		))
		if err != nil {
			t.Fatal(err)
		}
		ps := res.Contents[0].Description.PayloadTypes
		want := []Parameter{{"profile-level-id", "42e01f"}, {"sprop-parameter-sets", "Z0IAH5WoFAFuQA==,aM48gA=="}, {"packetization-mode", "1"}}
		if !reflect.DeepEqual(ps[0].Parameters, want) {
			t.Errorf("H264 %+v", ps[0].Parameters)
		}
		if !reflect.DeepEqual(ps[1].Parameters, []Parameter{{"x", "1"}}) || ps[1].Name != "G722" {
			t.Errorf("PT 9 %+v", ps[1])
		}
		if !slices.Contains(res.Dropped, Dropped{0, "fmtp"}) {
			t.Errorf("second fmtp not reported: %v", res.Dropped)
		}
	})
	t.Run("attributes of absent payload types are dropped", func(t *testing.T) {
		res, err := NewMapping(RoleInitiator, 1).SDPToJingle(Offer, sdpOf("m=audio 4000 RTP/AVP 0", "a=rtpmap:101 telephone-event/8000", "a=fmtp:1011 0-15", "a=rtcp-fb:96 nack", "a=rtpmap:0 PCMU/8000", "a=rtpmap:0 PCMA/8000"))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Contents[0].Description.PayloadTypes) != 1 || res.Contents[0].Description.PayloadTypes[0].Name != "PCMU" {
			t.Errorf("%+v", res.Contents[0].Description.PayloadTypes)
		}
		if len(res.Dropped) != 4 {
			t.Errorf("dropped %v", res.Dropped)
		}
	})
	t.Run("unknown static payload types keep only the id; dynamic ones need an rtpmap", func(t *testing.T) {
		res, err := NewMapping(RoleInitiator, 1).SDPToJingle(Offer, sdpOf("m=audio 4000 RTP/AVP 2 35 96"))
		if err != nil {
			t.Fatal(err)
		}
		ps := res.Contents[0].Description.PayloadTypes
		if len(ps) != 2 || !reflect.DeepEqual(ps, []PayloadType{{ID: 2}, {ID: 35}}) || !slices.Contains(res.Dropped, Dropped{0, "rtpmap"}) {
			t.Errorf("%+v %v", ps, res.Dropped)
		}
		_, err = NewMapping(RoleInitiator, 1).SDPToJingle(Offer, sdpOf("m=audio 4000 RTP/AVP 96 97"))
		if !errors.Is(err, ErrUnsupportedApplication) {
			t.Errorf("only dynamic payload types without rtpmap: %v", err)
		}
	})
	t.Run("feedback, trr-int, ptime, extmap, bandwidth", func(t *testing.T) {
		res, err := NewMapping(RoleInitiator, 1).SDPToJingle(Offer, []byte(sdpHead[:len(sdpHead)-len("t=0 0\r\n")]+"b=TIAS:64000\r\nt=0 0\r\n"+
			"m=audio 4000 RTP/AVPF 96 97\r\n"+
			"a=rtpmap:96 opus/48000/2\r\na=rtpmap:97 speex/16000\r\n"+
			"a=rtcp-fb:96 ccm tmmbr smaxpr=120\r\na=rtcp-fb:96 trr-int 100\r\na=rtcp-fb:* trr-int 50\r\na=rtcp-fb:* nack\r\n"+
			"a=ptime:20\r\na=maxptime:60\r\n"+
			"a=extmap:1/sendonly urn:a vad=on\r\na=extmap:2/recvonly urn:b\r\na=extmap:3/inactive urn:c\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		d := res.Contents[0].Description
		p := d.PayloadTypes[0]
		if !reflect.DeepEqual(p.RTCPFB, []RTCPFB{{Type: "ccm", Subtype: "tmmbr", Parameters: []Parameter{{"smaxpr", "120"}}}}) || p.RTCPFBTrrInt == nil || p.RTCPFBTrrInt.Value != 100 {
			t.Errorf("PT feedback %+v %+v", p.RTCPFB, p.RTCPFBTrrInt)
		}
		if d.RTCPFBTrrInt == nil || d.RTCPFBTrrInt.Value != 50 || len(d.RTCPFB) != 1 || d.RTCPFB[0].Type != "nack" {
			t.Errorf("description feedback %+v %+v", d.RTCPFB, d.RTCPFBTrrInt)
		}
		for _, p := range d.PayloadTypes {
			if p.PTime != 20 || p.MaxPTime != 60 {
				t.Errorf("ptime %+v", p)
			}
		}
		wantExt := []HdrExt{{ID: 1, URI: "urn:a", Senders: SendersInitiator, Parameters: []Parameter{{"vad", "on"}}}, {ID: 2, URI: "urn:b", Senders: SendersResponder}, {ID: 3, URI: "urn:c", Senders: SendersNone}}
		if !reflect.DeepEqual(d.HdrExts, wantExt) {
			t.Errorf("extmap %+v", d.HdrExts)
		}
		if d.Bandwidth == nil || *d.Bandwidth != (Bandwidth{"TIAS", 64000}) {
			t.Errorf("session b= not copied down: %+v", d.Bandwidth)
		}
		out, err := NewMapping(RoleResponder, 1).JingleToSDP(Offer, res.Contents, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"m=audio 4000 RTP/AVPF 96 97", "b=TIAS:64000", "a=rtcp-fb:96 ccm tmmbr smaxpr=120", "a=rtcp-fb:96 trr-int 100",
			"a=rtcp-fb:* trr-int 50", "a=rtcp-fb:* nack", "a=extmap:1/sendonly urn:a vad=on", "a=extmap:2/recvonly urn:b", "a=extmap:3/inactive urn:c",
			"a=ptime:20", "a=maxptime:60", "a=rtpmap:97 speex/16000\r\n"} {
			if !strings.Contains(string(out.Body), want+"\r\n") && !strings.Contains(string(out.Body), want) {
				t.Errorf("missing %q in\n%s", want, out.Body)
			}
		}
	})
	t.Run("AVPF without feedback keeps the profile", func(t *testing.T) {
		res, err := NewMapping(RoleInitiator, 1).SDPToJingle(Offer, sdpOf("m=video 4000 RTP/AVPF 31"))
		if err != nil {
			t.Fatal(err)
		}
		if tr := res.Contents[0].Description.RTCPFBTrrInt; tr == nil || tr.Value != 0 {
			t.Fatalf("trr-int %+v", tr)
		}
		out, _ := NewMapping(RoleResponder, 1).JingleToSDP(Offer, res.Contents, nil)
		if !strings.Contains(string(out.Body), "m=video 4000 RTP/AVPF 31\r\n") {
			t.Errorf("%s", out.Body)
		}
	})
	t.Run("candidates", func(t *testing.T) {
		res, err := NewMapping(RoleInitiator, 1).SDPToJingle(Offer, sdpOf("m=audio 4000 RTP/AVP 0",
			"a=ice-ufrag:good", "a=ice-pwd:pw",
			"a=candidate:Hc0a80105 1 UDP 2130706431 192.0.2.5 4000 typ host",
			"a=candidate:2 1 udp 1 192.0.2.6 4000 typ host ufrag other",
			"a=candidate:3 1 udp 1 192.0.2.7 4000 typ host ufrag good generation 2",
			"a=candidate:4 1 udp 1 192.0.2.8 4000 typ nat",
			"a=candidate:5 1 udp 1 192.0.2.8",
			"a=remote-candidates:1 192.0.2.9 5000 2 192.0.2.9 5001",
			"a=end-of-candidates"))
		if err != nil {
			t.Fatal(err)
		}
		tr := res.Contents[0].ICEUDP
		if len(tr.Candidates) != 2 || tr.Candidates[0].Protocol != "udp" || tr.Candidates[0].Foundation != "Hc0a80105" || tr.Candidates[1].Generation != 2 {
			t.Errorf("candidates %+v", tr.Candidates)
		}
		if len(tr.RemoteCandidates) != 2 || tr.RemoteCandidates[1] != (RemoteCandidate{2, "192.0.2.9", 5001}) || !bool(tr.GatheringComplete) {
			t.Errorf("remote %+v eoc %v", tr.RemoteCandidates, tr.GatheringComplete)
		}
		if n := len(res.Dropped); n != 3 {
			t.Errorf("dropped %v", res.Dropped)
		}
		out, _ := NewMapping(RoleResponder, 1).JingleToSDP(Offer, res.Contents, nil)
		for _, want := range []string{"a=remote-candidates:1 192.0.2.9 5000 2 192.0.2.9 5001\r\n", "a=end-of-candidates\r\n", "a=candidate:3 1 udp 1 192.0.2.7 4000 typ host generation 2\r\n"} {
			if !strings.Contains(string(out.Body), want) {
				t.Errorf("missing %q in\n%s", want, out.Body)
			}
		}
	})
	t.Run("raw udp: IPv6, a=rtcp elsewhere, rtcp-mux", func(t *testing.T) {
		res, err := NewMapping(RoleInitiator, 1).SDPToJingle(Offer, []byte("v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\n"+
			"m=audio 4000 RTP/AVP 0\r\na=rtcp:5000 IN IP6 2001:db8::2\r\n"+
			"m=audio 4002 RTP/AVP 0\r\na=rtcp-mux\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		c0, c1 := res.Contents[0].RawUDP.Candidates, res.Contents[1].RawUDP.Candidates
		if len(c0) != 2 || c0[0].IP != "2001:db8::1" || c0[1].IP != "2001:db8::2" || c0[1].Port != 5000 || len(c1) != 1 {
			t.Errorf("candidates %+v %+v", c0, c1)
		}
		if res.Contents[0].Name != "audio" || res.Contents[1].Name != "audio-2" {
			t.Errorf("names %q %q", res.Contents[0].Name, res.Contents[1].Name)
		}
		out, _ := NewMapping(RoleResponder, 1).JingleToSDP(Offer, res.Contents, nil)
		for _, want := range []string{"o=- 1 1 IN IP6 2001:db8::1\r\n", "c=IN IP6 2001:db8::1\r\na=rtcp:5000 IN IP6 2001:db8::2\r\n", "m=audio 4002 RTP/AVP 0\r\nc=IN IP6 2001:db8::1\r\na=sendrecv\r\na=rtcp-mux\r\n"} {
			if !strings.Contains(string(out.Body), want) {
				t.Errorf("missing %q in\n%s", want, out.Body)
			}
		}
	})
	t.Run("zrtp, LF line ends, no final newline, session direction", func(t *testing.T) {
		body := "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\na=recvonly\nm=audio 4000 RTP/AVP 0\na=zrtp-hash:1.10 fe30efd02423cb054e50efd0248742ac7a52c8f91bc2df881ae642c371ba46df"
		res, err := NewMapping(RoleInitiator, 1).SDPToJingle(Offer, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		c := res.Contents[0]
		if e := c.Description.Encryption; e == nil || e.ZRTPHash == nil || e.ZRTPHash.Version != "1.10" || len(e.Cryptos) != 0 || e.Required {
			t.Errorf("encryption %+v", e)
		}
		if c.Senders != SendersResponder {
			t.Errorf("senders %q", c.Senders)
		}
		out, _ := NewMapping(RoleResponder, 1).JingleToSDP(Offer, res.Contents, nil)
		if !strings.Contains(string(out.Body), "a=zrtp-hash:1.10 fe30efd0") || !strings.Contains(string(out.Body), "a=recvonly\r\n") {
			t.Errorf("%s", out.Body)
		}
	})
	t.Run("session-level ICE and DTLS are copied down", func(t *testing.T) {
		res, err := NewMapping(RoleInitiator, 1).SDPToJingle(Offer, []byte(sdpHead+
			"a=ice-ufrag:su\r\na=ice-pwd:sp\r\na=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\n"+
			"m=audio 4000 UDP/TLS/RTP/SAVPF 0\r\n"+
			"m=video 4002 UDP/TLS/RTP/SAVPF 31\r\na=ice-ufrag:mu\r\na=ice-pwd:mp\r\na=fingerprint:sha-1 CC:DD\r\na=fingerprint:sha-256 EE:FF\r\na=setup:passive\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		a, v := res.Contents[0].ICEUDP, res.Contents[1].ICEUDP
		if a.Ufrag != "su" || a.Pwd != "sp" || *a.Fingerprint != (Fingerprint{"sha-256", "actpass", "AA:BB"}) {
			t.Errorf("audio %+v %+v", a, a.Fingerprint)
		}
		if v.Ufrag != "mu" || *v.Fingerprint != (Fingerprint{"sha-1", "passive", "CC:DD"}) {
			t.Errorf("video %+v %+v", v, v.Fingerprint)
		}
		if !slices.Contains(res.Dropped, Dropped{1, "fingerprint"}) {
			t.Errorf("second fingerprint not reported: %v", res.Dropped)
		}
	})
	t.Run("bundle-only takes the tag's transport", func(t *testing.T) {
		res, err := NewMapping(RoleInitiator, 1).SDPToJingle(Offer, []byte(sdpHead+"a=group:BUNDLE a v\r\n"+
			"m=audio 4000 UDP/TLS/RTP/SAVPF 0\r\na=mid:a\r\na=ice-ufrag:u\r\na=ice-pwd:p\r\na=fingerprint:sha-256 AA\r\na=rtcp-mux\r\n"+
			"m=video 0 UDP/TLS/RTP/SAVPF 31\r\na=mid:v\r\na=bundle-only\r\na=fingerprint:sha-256 AA\r\na=rtcp-mux\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Contents) != 2 || res.Contents[1].ICEUDP == nil || res.Contents[1].ICEUDP.Ufrag != "u" || len(res.Removed) != 0 {
			t.Errorf("%+v removed %v", res.Contents, res.Removed)
		}
	})
}

func TestJingleToSDP(t *testing.T) {
	dtls := &Fingerprint{Hash: "sha-256", Setup: "actpass", Value: "AA:BB"}
	audio := func() Content {
		return Content{Creator: RoleInitiator, Name: "voice", Senders: SendersInitiator,
			Description: &RTPDescription{Media: "audio", PayloadTypes: []PayloadType{{ID: 111, Name: "opus", ClockRate: 48000, Channels: 2}, {ID: 0}}, RTCPMux: true},
			ICEUDP:      &ICEUDPTransport{Ufrag: "u", Pwd: "p", Fingerprint: dtls}}
	}
	t.Run("XMPP offer without candidates yet", func(t *testing.T) {
		m := NewMapping(RoleResponder, 77)
		out, err := m.JingleToSDP(Offer, []Content{audio()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := "v=0\r\no=- 77 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" +
			"m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\n" +
			"a=ice-ufrag:u\r\na=ice-pwd:p\r\na=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\n" +
			"a=sendonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n"
		if string(out.Body) != want {
			t.Errorf("got\n%s\nwant\n%s", out.Body, want)
		}
		if out.Needs != (Needs{ICE: true, DTLS: true}) || len(out.Skipped) != 0 {
			t.Errorf("needs %v skipped %v", out.Needs, out.Skipped)
		}
	})
	t.Run("trickle and senders by role", func(t *testing.T) {
		m := NewMapping(RoleInitiator, 1)
		m.Trickle = true
		out, err := m.JingleToSDP(Answer, []Content{audio()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := string(out.Body)
		// The Jingle party is the responder: senders=initiator means it
		// only receives; an answer's setup is active.
		if !strings.Contains(s, "a=recvonly\r\n") || !strings.Contains(s, "a=ice-options:trickle\r\n") || !strings.Contains(s, "a=setup:active\r\n") {
			t.Errorf("%s", s)
		}
	})
	t.Run("SDES profiles", func(t *testing.T) {
		c := audio()
		c.ICEUDP = nil
		c.RawUDP = &RawUDPTransport{Candidates: []RawCandidate{{Component: 1, IP: "192.0.2.1", Port: 4000}, {Component: 2, IP: "192.0.2.1", Port: 4001}}}
		c.Description.RTCPMux = false
		c.Description.Encryption = &Encryption{Cryptos: []Crypto{{Tag: "1", Suite: "AES_CM_128_HMAC_SHA1_80", KeyParams: "inline:x"}}}
		for _, tt := range []struct {
			required, feedback bool
			proto              string
		}{
			{false, false, "RTP/AVP"}, {true, false, "RTP/SAVP"}, {false, true, "RTP/AVPF"}, {true, true, "RTP/SAVPF"},
		} {
			c.Description.Encryption.Required = XSBool(tt.required)
			c.Description.RTCPFB = nil
			if tt.feedback {
				c.Description.RTCPFB = []RTCPFB{{Type: "nack"}}
			}
			out, err := NewMapping(RoleResponder, 1).JingleToSDP(Offer, []Content{c}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out.Body), "m=audio 4000 "+tt.proto+" 111 0\r\n") || !strings.Contains(string(out.Body), "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\n") {
				t.Errorf("%+v:\n%s", tt, out.Body)
			}
		}
	})
	t.Run("answer must keep the offer's keying", func(t *testing.T) {
		for _, v := range []string{"02-sip-sdes-savp-offer.sdp", "03-chrome-webrtc-offer.sdp"} {
			m, res := toJingle(t, v, RoleInitiator, Offer)
			for i := range res.Contents {
				c := &res.Contents[i]
				c.Description.Encryption = nil
				if c.ICEUDP != nil {
					c.ICEUDP.Fingerprint = nil
				}
			}
			_, err := m.JingleToSDP(Answer, res.Contents, res.Groups)
			var ue *UnmappableError
			if !errors.As(err, &ue) || ue.Condition() != ConditionSecurityError || !errors.Is(err, ErrCryptoRequired) {
				t.Errorf("%s: %v", v, err)
			}
		}
	})
	t.Run("answer with a content the offer lacks", func(t *testing.T) {
		m, res := toJingle(t, "01-sip-phone-audio-offer.sdp", RoleInitiator, Offer)
		extra := audio()
		extra.Name = "extra"
		_, err := m.JingleToSDP(Answer, append(res.Contents, extra), nil)
		if !errors.Is(err, ErrOfferMismatch) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("contents without an SDP form", func(t *testing.T) {
		ft := Content{Creator: RoleInitiator, Name: "file", Other: []Element{
			{XMLName: xmlName("urn:xmpp:jingle:apps:file-transfer:5", "description")},
			{XMLName: xmlName("urn:xmpp:jingle:transports:s5b:1", "transport")}}}
		out, err := NewMapping(RoleResponder, 1).JingleToSDP(Offer, []Content{ft, audio()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Skipped) != 1 || out.Skipped[0].Index != 0 || out.Skipped[0].Media != "urn:xmpp:jingle:apps:file-transfer:5" || !errors.Is(out.Skipped[0], ErrUnsupportedApplication) {
			t.Errorf("skipped %+v", out.Skipped)
		}
		if len(mLines(string(out.Body))) != 1 {
			t.Errorf("%s", out.Body)
		}
		noTransport := audio()
		noTransport.ICEUDP = nil
		noTransport.Other = []Element{{XMLName: xmlName("urn:xmpp:jingle:transports:s5b:1", "transport")}}
		_, err = NewMapping(RoleResponder, 1).JingleToSDP(Offer, []Content{noTransport}, nil)
		var ue *UnmappableError
		if !errors.As(err, &ue) || ue.Condition() != ConditionUnsupportedTransports {
			t.Errorf("err %v", err)
		}
		if _, err := NewMapping(RoleResponder, 1).JingleToSDP(Offer, nil, nil); !errors.Is(err, ErrNothingMappable) {
			t.Errorf("no contents: %v", err)
		}
	})
	t.Run("re-offers keep the layout; o= version", func(t *testing.T) {
		m := NewMapping(RoleResponder, 5)
		video := audio()
		video.Name, video.Description = "cam", &RTPDescription{Media: "video", PayloadTypes: []PayloadType{{ID: 96, Name: "VP8", ClockRate: 90000}}}
		groups := []Group{{Semantics: "BUNDLE", Contents: []GroupContent{{"voice"}, {"cam"}}}}
		first, err := m.JingleToSDP(Offer, []Content{audio(), video}, groups)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(first.Body), "a=group:BUNDLE voice cam\r\n") || !strings.Contains(string(first.Body), "a=mid:cam\r\n") {
			t.Errorf("%s", first.Body)
		}
		same, _ := m.JingleToSDP(Offer, []Content{audio(), video}, groups)
		if string(same.Body) != string(first.Body) || m.Version != 1 {
			t.Errorf("unchanged SDP got a new version:\n%s", same.Body)
		}
		// content-remove of the audio: its line stays with port 0.
		removed, err := m.JingleToSDP(Offer, []Content{video}, groups)
		if err != nil {
			t.Fatal(err)
		}
		mls := mLines(string(removed.Body))
		if len(mls) != 2 || mls[0] != "m=audio 0 UDP/TLS/RTP/SAVPF 111" || !strings.HasPrefix(mls[1], "m=video 9 ") || m.Version != 2 {
			t.Errorf("%q version %d", mls, m.Version)
		}
		if !strings.Contains(string(removed.Body), "o=- 5 2 IN IP4 0.0.0.0\r\n") || !strings.Contains(string(removed.Body), "a=group:BUNDLE cam\r\n") {
			t.Errorf("%s", removed.Body)
		}
		// content-add of a new audio: appended; the removed line stays.
		again := audio()
		again.Name = "voice2"
		added, err := m.JingleToSDP(Offer, []Content{video, again}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if mls := mLines(string(added.Body)); len(mls) != 3 || !strings.HasPrefix(mls[0], "m=audio 0 ") || !strings.HasPrefix(mls[2], "m=audio 9 ") {
			t.Errorf("%q", mls)
		}
	})
}

func xmlName(space, local string) xml.Name { return xml.Name{Space: space, Local: local} }

func TestSenders(t *testing.T) {
	tests := []struct {
		dir    string
		author Role
		want   Senders
	}{
		{"sendrecv", RoleInitiator, SendersBoth},
		{"", RoleResponder, SendersBoth},
		{"sendonly", RoleInitiator, SendersInitiator},
		{"sendonly", RoleResponder, SendersResponder},
		{"recvonly", RoleInitiator, SendersResponder},
		{"recvonly", RoleResponder, SendersInitiator},
		{"inactive", RoleInitiator, SendersNone},
		{"inactive", RoleResponder, SendersNone},
	}
	for _, tt := range tests {
		if got := SendersFromDirection(tt.dir, tt.author); got != tt.want {
			t.Errorf("%q by %s: %q, want %q", tt.dir, tt.author, got, tt.want)
		}
		back := tt.dir
		if back == "" {
			back = "sendrecv"
		}
		if got := DirectionFromSenders(tt.want, tt.author); got != back {
			t.Errorf("inverse of %q by %s: %q", tt.want, tt.author, got)
		}
	}
}

func TestNeedsCompatible(t *testing.T) {
	phone := Needs{PlainRTP: true}
	sdesPhone := Needs{SDES: true, PlainRTP: true}
	savpPhone := Needs{SDES: true}
	webrtc := Needs{ICE: true, DTLS: true}
	iceSDES := Needs{ICE: true, SDES: true, PlainRTP: true}
	tests := []struct {
		a, b Needs
		want error
	}{
		{phone, phone, nil},
		{phone, sdesPhone, nil},
		{savpPhone, sdesPhone, nil},
		{savpPhone, phone, ErrCryptoRequired},
		{webrtc, webrtc, nil},
		{webrtc, phone, ErrUnsupportedTransport},
		{webrtc, iceSDES, ErrCryptoRequired},
		{iceSDES, iceSDES, nil},
		{Needs{DTLS: true, PlainRTP: true}, phone, nil},
	}
	for _, tt := range tests {
		err := tt.a.Compatible(tt.b)
		err2 := tt.b.Compatible(tt.a)
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%v vs %v: %v, want %v", tt.a, tt.b, err, tt.want)
		}
		if (err == nil) != (err2 == nil) {
			t.Errorf("%v vs %v: not symmetric: %v / %v", tt.a, tt.b, err, err2)
		}
	}
	if s := webrtc.String(); s != "ICE+DTLS" {
		t.Errorf("String %q", s)
	}
	if s := (Needs{}).String(); s != "none" {
		t.Errorf("String %q", s)
	}
}

// TestJingleToSDPRefusesInjection: Jingle strings that would break SDP
// lines are refused before anything is written.
func TestJingleToSDPRefusesInjection(t *testing.T) {
	base := func() Content {
		return Content{Creator: RoleInitiator, Name: "a",
			Description: &RTPDescription{Media: "audio", PayloadTypes: []PayloadType{{ID: 0}}},
			RawUDP:      &RawUDPTransport{Candidates: []RawCandidate{{Component: 1, IP: "192.0.2.1", Port: 4000}}}}
	}
	mods := map[string]func(c *Content){
		"payload name": func(c *Content) { c.Description.PayloadTypes[0].Name = "PCMU/8000\r\nm=video" },
		"fmtp value":   func(c *Content) { c.Description.PayloadTypes[0].Parameters = []Parameter{{"a", "1\nb"}} },
		"candidate ip": func(c *Content) { c.RawUDP.Candidates[0].IP = "192.0.2.1 6000" },
		"media":        func(c *Content) { c.Description.Media = "audio\r\na=x" },
		"source parameter": func(c *Content) {
			c.Description.Sources = []Source{{SSRC: 1, Parameters: []SourceParameter{{"cname:x", "y"}}}}
		},
		"extmap uri": func(c *Content) { c.Description.HdrExts = []HdrExt{{ID: 1, URI: "urn:a b"}} },
		"crypto": func(c *Content) {
			c.Description.Encryption = &Encryption{Cryptos: []Crypto{{Tag: "1", Suite: "S", KeyParams: "k\r\n"}}}
		},
	}
	for name, mod := range mods {
		c := base()
		mod(&c)
		m := NewMapping(RoleResponder, 1)
		out, err := m.JingleToSDP(Offer, []Content{c}, nil)
		if !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %v\n%+v", name, err, out)
		}
		if m.Version != 0 {
			t.Errorf("%s: mapping changed", name)
		}
	}
	c := base()
	if _, err := NewMapping(RoleResponder, 1).JingleToSDP(Offer, []Content{c}, []Group{{Semantics: "BUNDLE", Contents: []GroupContent{{"a b"}}}}); !errors.Is(err, ErrBadRequest) {
		t.Errorf("group name: %v", err)
	}
}

// TestReofferKeepsRejectedLine: a line that stays at port 0 keeps its
// name; a later offer may reuse the slot for a new content.
func TestReofferKeepsRejectedLine(t *testing.T) {
	m := NewMapping(RoleInitiator, 1)
	if _, err := m.SDPToJingle(Offer, sdpOf("m=audio 4000 RTP/AVP 0", "m=video 4002 RTP/AVP 31")); err != nil {
		t.Fatal(err)
	}
	res, err := m.SDPToJingle(Offer, sdpOf("m=audio 4000 RTP/AVP 0", "m=video 0 RTP/AVP 31"))
	if err != nil || !slices.Equal(res.Removed, []ContentRef{{RoleInitiator, "video"}}) {
		t.Fatalf("%v %+v", err, res)
	}
	res, err = m.SDPToJingle(Offer, sdpOf("m=audio 4000 RTP/AVP 0", "m=video 0 RTP/AVP 31"))
	if err != nil || len(res.Removed) != 0 || m.Lines()[1].Name != "video" {
		t.Fatalf("%v %+v %+v", err, res, m.Lines())
	}
	res, err = m.SDPToJingle(Offer, sdpOf("m=audio 4000 RTP/AVP 0", "m=video 4004 RTP/AVP 34"))
	if err != nil || !slices.Equal(res.Added, []ContentRef{{RoleInitiator, "video-2"}}) {
		t.Fatalf("%v %+v", err, res)
	}
}
