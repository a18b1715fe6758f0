package jingle

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestApplyTransportInfo(t *testing.T) {
	// An XMPP offer without candidates, then trickled candidates.
	offer := []Content{{Creator: RoleInitiator, Name: "0", Description: &RTPDescription{Media: "audio", PayloadTypes: []PayloadType{{ID: 0}}},
		ICEUDP: &ICEUDPTransport{Ufrag: "u1", Pwd: "p1"}}}
	original := offer[0].ICEUDP
	ti, err := Decode([]byte(`<jingle xmlns="urn:xmpp:jingle:1" action="transport-info" sid="s"><content creator="initiator" name="0">` +
		`<transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="u1" pwd="p1">` +
		`<candidate component="1" foundation="1" generation="0" id="a" ip="192.0.2.1" port="4000" priority="2130706431" protocol="udp" type="host"/>` +
		`<candidate component="1" foundation="2" generation="0" id="b" ip="203.0.113.1" port="4000" priority="1694498815" protocol="udp" type="srflx" rel-addr="192.0.2.1" rel-port="4000"/>` +
		`</transport></content></jingle>`))
	if err != nil {
		t.Fatal(err)
	}
	restarted, err := ApplyTransportInfo(offer, ti)
	if err != nil || len(restarted) != 0 {
		t.Fatalf("%v %v", restarted, err)
	}
	if len(offer[0].ICEUDP.Candidates) != 2 || len(original.Candidates) != 0 {
		t.Fatalf("merged %+v, original %+v", offer[0].ICEUDP.Candidates, original.Candidates)
	}
	// The same candidates again change nothing; end of candidates.
	ti.Contents[0].ICEUDP.GatheringComplete = true
	if _, err := ApplyTransportInfo(offer, ti); err != nil || len(offer[0].ICEUDP.Candidates) != 2 || !bool(offer[0].ICEUDP.GatheringComplete) {
		t.Fatalf("%v %+v", err, offer[0].ICEUDP)
	}
	out, err := NewMapping(RoleResponder, 1).JingleToSDP(Offer, offer, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out.Body); !strings.Contains(s, "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 203.0.113.1\r\n") || !strings.Contains(s, "a=end-of-candidates\r\n") {
		t.Errorf("%s", s)
	}
	// ICE restart: new ufrag, candidates replaced.
	restart := &Jingle{Action: ActionTransportInfo, SID: "s", Contents: []Content{{Creator: RoleInitiator, Name: "0",
		ICEUDP: &ICEUDPTransport{Ufrag: "u2", Pwd: "p2", Candidates: []ICECandidate{{Component: 1, Foundation: "3", Generation: 1, ID: "c", IP: "192.0.2.9", Port: 5000, Priority: 1, Protocol: "udp", Type: "host"}}}}}}
	restarted, err = ApplyTransportInfo(offer, restart)
	if err != nil || !slices.Equal(restarted, []ContentRef{{RoleInitiator, "0"}}) {
		t.Fatalf("%v %v", restarted, err)
	}
	if tr := offer[0].ICEUDP; tr.Ufrag != "u2" || tr.Pwd != "p2" || len(tr.Candidates) != 1 || tr.Candidates[0].ID != "c" || tr.GatheringComplete {
		t.Errorf("%+v", tr)
	}
	before := *offer[0].ICEUDP
	for name, bad := range map[string]*Jingle{
		"other action":    {Action: ActionSessionInfo, SID: "s"},
		"unknown content": {Action: ActionTransportInfo, SID: "s", Contents: []Content{{Creator: RoleInitiator, Name: "9", ICEUDP: &ICEUDPTransport{}}}},
		"raw udp":         {Action: ActionTransportInfo, SID: "s", Contents: []Content{{Creator: RoleInitiator, Name: "0", RawUDP: &RawUDPTransport{}}}},
		"restart no pwd":  {Action: ActionTransportInfo, SID: "s", Contents: []Content{{Creator: RoleInitiator, Name: "0", ICEUDP: &ICEUDPTransport{Ufrag: "u3"}}}},
	} {
		if _, err := ApplyTransportInfo(offer, bad); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if offer[0].ICEUDP.Ufrag != before.Ufrag || len(offer[0].ICEUDP.Candidates) != len(before.Candidates) {
		t.Errorf("refused transport-info changed the contents")
	}
}
