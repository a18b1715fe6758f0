//go:build interop && linux

package interop

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// jingleOf returns the <jingle/> element of an IQ as the driver printed
// it.
func jingleOf(t *testing.T, iqXML string) string {
	t.Helper()
	i, j := strings.Index(iqXML, "<jingle"), strings.LastIndex(iqXML, "</jingle>")
	if i < 0 || j < i {
		t.Fatalf("no <jingle/> in %s", iqXML)
	}
	return iqXML[i : j+len("</jingle>")]
}

var sidAttr = regexp.MustCompile(`sid="([^"]+)"`)

// TestCallFromSIPSipp: a sipp phone calls alice@xmpp.test through sxgw.
// alice's client gets the XEP-0353 propose, proceeds, gets the
// session-initiate with the phone's codecs, accepts it; sipp gets the 200
// with PCMU in the answer, ACKs and hangs up; alice gets session-terminate.
func TestCallFromSIPSipp(t *testing.T) {
	callFromSIP(t, "call_uac.xml", []string{`name="PCMU"`, `clockrate="8000"`, "telephone-event", "urn:xmpp:jingle:transports:raw-udp:1"}, nil,
		func(ctx context.Context, alice *xmppClient) {
			// The re-INVITE adding video is a content-add (XEP-0166 §6.8);
			// alice accepts it and sipp checks the video line is open.
			add, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
				return e.Str("event") == "iq" && strings.Contains(e.Str("xml"), `action="content-add"`)
			})
			if err != nil {
				t.Fatalf("the re-INVITE adding video did not reach alice as content-add: %v", err)
			}
			j := jingleOf(t, add.Str("xml"))
			if !strings.Contains(j, `media="video"`) || !strings.Contains(j, `name="VP8"`) {
				t.Errorf("content-add: %s", j)
			}
			accept := strings.Replace(j, `action="content-add"`, `action="content-accept"`, 1)
			alice.MustCommand(ctx, map[string]any{"cmd": "send_iq", "xml": `<iq xmlns="jabber:client" type="set" to="` + add.Str("from") + `">` + accept + `</iq>`})
		})
}

// TestCallFromSIPSippICE: the same with audio and video, ICE and DTLS in
// one BUNDLE (a WebRTC-style SIP client): the session-initiate carries the
// ICE transport with its candidate, the fingerprint and the group; alice
// answers with setup active; sipp checks the 200's SDP for the
// fingerprint, ICE credentials, candidates, the video line and
// a=setup:active.
func TestCallFromSIPSippICE(t *testing.T) {
	callFromSIP(t, "call_uac_ice.xml", []string{`media="video"`, `name="VP8"`, "urn:xmpp:jingle:transports:ice-udp:1",
		`ufrag="1CVu"`, "urn:xmpp:jingle:apps:dtls:0", `setup="actpass"`, `semantics="BUNDLE"`, `port="54400"`},
		func(accept string) string { return strings.ReplaceAll(accept, `setup="actpass"`, `setup="active"`) }, nil)
}

// callFromSIP runs a sipp call scenario to alice, who answers with the
// session-initiate's own contents (changed by fix, if set).
func callFromSIP(t *testing.T, scenario string, wantInInitiate []string, fix func(string) string, during func(context.Context, *xmppClient)) {
	t.Helper()
	f := startFederation(t)
	alice := startXMPPClient(t, f.prosody, "alice")
	ctx := testContext(t, 2*federationWait)
	uac := startSipp(t, scenario, f.sxgw.SIPAddr, sippKeys{"from_user": "carol", "to_user": "alice", "to_domain": prosodyDomain})

	propose, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "message" && strings.Contains(e.Str("xml"), "<propose")
	})
	if err != nil {
		t.Fatalf("alice got no propose: %v", err)
	}
	m := regexp.MustCompile(`<propose[^>]* id="([^"]+)"`).FindStringSubmatch(propose.Str("xml"))
	if m == nil || !strings.Contains(propose.Str("xml"), `media="audio"`) {
		t.Fatalf("propose: %s", propose.Str("xml"))
	}
	alice.MustCommand(ctx, map[string]any{"cmd": "send_raw", "xml": `<message xmlns="jabber:client" to="` + propose.Str("from") +
		`" type="chat"><proceed xmlns="urn:xmpp:jingle-message:0" id="` + m[1] + `"/></message>`})
	initiate, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "iq" && strings.Contains(e.Str("xml"), `action="session-initiate"`)
	})
	if err != nil {
		t.Fatalf("alice got no session-initiate: %v", err)
	}
	j := jingleOf(t, initiate.Str("xml"))
	for _, want := range append([]string{`sid="` + m[1] + `"`}, wantInInitiate...) {
		if !strings.Contains(j, want) {
			t.Errorf("session-initiate lacks %s:\n%s", want, j)
		}
	}
	accept := strings.Replace(j, `action="session-initiate"`, `action="session-accept" responder="`+alice.JID()+`"`, 1)
	if fix != nil {
		accept = fix(accept)
	}
	alice.MustCommand(ctx, map[string]any{"cmd": "send_iq", "xml": `<iq xmlns="jabber:client" type="set" to="` + initiate.Str("from") + `">` + accept + `</iq>`})
	if during != nil {
		during(ctx, alice)
	}
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "iq" && strings.Contains(e.Str("xml"), `action="session-terminate"`) && strings.Contains(e.Str("xml"), "<success")
	}); err != nil {
		t.Fatalf("the BYE did not reach alice as session-terminate success: %v", err)
	}
	if err := <-uac.done; err != nil {
		t.Fatalf("sipp call scenario: %v", err)
	}
	uac.done <- nil
}

// TestCallFromXMPPSipp: alice calls carol@sip.test with a Jingle
// session-initiate; a sipp phone gets the INVITE with the translated SDP,
// rings and answers; alice gets session-info ringing and the
// session-accept with PCMU, and her session-terminate becomes the BYE.
// A second call is answered 486 and ends with reason busy.
func TestCallFromXMPPSipp(t *testing.T) {
	f := startFederation(t)
	uas := startSippUAS(t, "call_uas.xml", nil)
	publishSRV(f.dns, "_sip._udp."+sxgwDomain, "ua."+sxgwDomain, uas.Port)
	f.dns.AddA("ua."+sxgwDomain, "127.0.0.1")
	alice := startXMPPClient(t, f.prosody, "alice")
	ctx := testContext(t, 2*federationWait)

	offer := func(sid string) string {
		return `<iq xmlns="jabber:client" type="set" to="carol@` + sxgwDomain + `/sip">` +
			`<jingle xmlns="urn:xmpp:jingle:1" action="session-initiate" sid="` + sid + `" initiator="` + alice.JID() + `">` +
			`<content creator="initiator" name="audio" senders="both">` +
			`<description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio">` +
			`<payload-type id="0" name="PCMU" clockrate="8000"/>` +
			`<payload-type id="8" name="PCMA" clockrate="8000"/>` +
			`</description>` +
			`<transport xmlns="urn:xmpp:jingle:transports:raw-udp:1">` +
			`<candidate component="1" generation="0" id="c1" ip="127.0.0.1" port="18000"/>` +
			`<candidate component="2" generation="0" id="c2" ip="127.0.0.1" port="18001"/>` +
			`</transport></content></jingle></iq>`
	}
	r := alice.MustCommand(ctx, map[string]any{"cmd": "send_iq", "xml": offer("call-1"), "timeout": 30})
	if !strings.Contains(r.Str("xml"), `type="result"`) {
		t.Fatalf("session-initiate not acknowledged: %s", r.Str("xml"))
	}
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "iq" && strings.Contains(e.Str("xml"), "<ringing")
	}); err != nil {
		t.Fatalf("the 180 did not reach alice as session-info ringing: %v", err)
	}
	acc, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "iq" && strings.Contains(e.Str("xml"), `action="session-accept"`)
	})
	if err != nil {
		t.Fatalf("alice got no session-accept: %v", err)
	}
	if j := jingleOf(t, acc.Str("xml")); !strings.Contains(j, `name="PCMU"`) || !strings.Contains(j, `port="17000"`) || !strings.Contains(j, `sid="call-1"`) {
		t.Errorf("session-accept does not carry the phone's answer:\n%s", j)
	}
	trace := uas.messages()
	for _, want := range []string{"INVITE sip:carol@" + sxgwDomain, "m=audio 18000 RTP/AVP 0 8", "a=rtpmap:0 PCMU/8000", "c=IN IP4 127.0.0.1"} {
		if !strings.Contains(trace, want) {
			t.Errorf("sxgw's INVITE lacks %q:\n%s", want, trace)
		}
	}
	alice.MustCommand(ctx, map[string]any{"cmd": "send_iq", "xml": `<iq xmlns="jabber:client" type="set" to="carol@` + sxgwDomain + `/sip">` +
		`<jingle xmlns="urn:xmpp:jingle:1" action="session-terminate" sid="call-1"><reason><success/></reason></jingle></iq>`})
	if err := <-uas.done; err != nil {
		t.Fatalf("sipp answering scenario (the BYE): %v", err)
	}
	uas.done <- nil

	// 486 -> busy.
	startSippUASAt(t, "call_uas_busy.xml", uas.Port, nil)
	alice.MustCommand(ctx, map[string]any{"cmd": "send_iq", "xml": offer("call-2"), "timeout": 30})
	term, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "iq" && strings.Contains(e.Str("xml"), `action="session-terminate"`) && sidAttr.FindStringSubmatch(e.Str("xml"))[1] == "call-2"
	})
	if err != nil || !strings.Contains(term.Str("xml"), "<busy") {
		t.Fatalf("486 did not end the session with busy: %v %v", term, err)
	}
}
