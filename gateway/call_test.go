package gateway

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/jingle"
	"github.com/sxgw/sxgw/translate"
)

func vector(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "jingle", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// phoneOffer is vector 01's Jingle (a desk phone's audio, RAW-UDP) as
// alice's session-initiate sid.
func phoneOffer(t *testing.T, sid string, initiator jid.JID) *jingle.Jingle {
	t.Helper()
	offer := string(vector(t, "01-sip-phone-audio-offer.xep.xml"))
	// The vector is the whole IQ: its <jingle/> is the payload.
	offer = offer[strings.Index(offer, "<jingle"):]
	offer = offer[:strings.LastIndex(offer, "</jingle>")+len("</jingle>")]
	si, err := jingle.Decode([]byte(offer))
	if err != nil {
		t.Fatal(err)
	}
	si.Action, si.SID, si.Initiator = jingle.ActionSessionInitiate, sid, initiator.String()
	return si
}

func jingleMsg(t *testing.T, a jingle.MessageAction, id string) []byte {
	t.Helper()
	b, err := (&jingle.Message{Action: a, ID: id}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeJingle(t *testing.T, iq translate.JingleIQ) *jingle.Jingle {
	t.Helper()
	j, err := jingle.Decode(iq.Payload)
	if err != nil {
		t.Fatalf("jingle from the gateway does not decode: %v\n%s", err, iq.Payload)
	}
	return j
}

func waitJingle(t *testing.T, x *fakeXMPP, action jingle.Action) (translate.JingleIQ, *jingle.Jingle) {
	t.Helper()
	iq := waitIn(t, "no Jingle "+string(action), &x.mu, &x.jingles, x.changed, func(iq translate.JingleIQ) bool {
		return strings.Contains(string(iq.Payload), `action="`+string(action)+`"`)
	})
	return iq, decodeJingle(t, iq)
}

// A SIP call to an XMPP user (XEP-0353, XEP-0166 §6): propose to the bare
// JID, session-initiate to the device that proceeds, its session-accept
// is the 200's SDP, and BYE is session-terminate success.
func TestCallFromSIP(t *testing.T) {
	g, x, _ := newTestGateway(t, nil)
	ctx := context.Background()
	inv := translate.SIPInvite{New: true, RequestURI: "sip:alice@xmpp.test", SDP: vector(t, "01-sip-phone-audio-offer.sdp"),
		Dialog: translate.SIPDialog{CallID: "call-1", LocalTag: "uas", RemoteTag: "uac", RemoteURI: "sip:carol@sip.test"}}
	type result struct {
		sdp []byte
		err error
	}
	done := make(chan result, 1)
	rang := make(chan int, 4)
	go func() {
		sdp, err := g.SIPInvite(ctx, inv, func(code int) { rang <- code })
		done <- result{sdp, err}
	}()
	propose := x.waitMessage(t, "propose", func(m translate.XMPPMessage) bool { return len(m.JingleMessage) > 0 })
	jm, err := jingle.DecodeMessage(propose.JingleMessage)
	if err != nil || jm.Action != jingle.MessagePropose || propose.To.String() != "alice@xmpp.test" || len(jm.Descriptions) != 1 || jm.Descriptions[0].Media != "audio" {
		t.Fatalf("propose %+v %v to %s", jm, err, propose.To)
	}
	phone := jid.MustParse("alice@xmpp.test/phone")
	if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: phone, To: propose.From, Type: "chat", JingleMessage: jingleMsg(t, jingle.MessageProceed, jm.ID)}); err != nil {
		t.Fatal(err)
	}
	iq, si := waitJingle(t, x, jingle.ActionSessionInitiate)
	if !iq.To.Equal(phone) || si.SID != jm.ID || len(si.Contents) != 1 || si.Initiator != "carol@sip.test/sip" {
		t.Fatalf("session-initiate to %s: %+v", iq.To, si)
	}
	if code := <-rang; code != 180 {
		t.Fatalf("progress %d, want 180", code)
	}
	accept := &jingle.Jingle{Action: jingle.ActionSessionAccept, SID: si.SID, Responder: phone.String(), Contents: si.Contents}
	body, _ := accept.Encode()
	if err := g.XMPPJingle(ctx, translate.JingleIQ{From: phone, To: iq.From, ID: "a1", Payload: body}); err != nil {
		t.Fatalf("session-accept refused: %v", err)
	}
	r := <-done
	if r.err != nil || !strings.Contains(string(r.sdp), "m=audio ") || !strings.Contains(string(r.sdp), "a=rtpmap:9 G722/8000") {
		t.Fatalf("answer %v:\n%s", r.err, r.sdp)
	}
	// Out of order: a second session-accept.
	err = g.XMPPJingle(ctx, translate.JingleIQ{From: phone, To: iq.From, ID: "a2", Payload: body})
	var je *translate.JingleError
	if !errors.As(err, &je) || je.JingleCondition != translate.JingleOutOfOrder {
		t.Fatalf("second session-accept: %v", err)
	}
	if err := g.SIPBye(ctx, inv.Dialog); err != nil {
		t.Fatal(err)
	}
	_, term := waitJingle(t, x, jingle.ActionSessionTerminate)
	if term.Reason == nil || term.Reason.Condition != jingle.ConditionSuccess {
		t.Fatalf("terminate %+v", term.Reason)
	}
	if err := g.SIPBye(ctx, inv.Dialog); errStatus(err) != 481 {
		t.Fatalf("BYE of an ended call: %v", err)
	}
}

// The XMPP device rejects (XEP-0353 reject, busy): 486.
func TestCallFromSIPRejected(t *testing.T) {
	g, x, _ := newTestGateway(t, nil)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		_, err := g.SIPInvite(ctx, translate.SIPInvite{New: true, RequestURI: "sip:alice@xmpp.test", SDP: vector(t, "01-sip-phone-audio-offer.sdp"),
			Dialog: translate.SIPDialog{CallID: "call-2", LocalTag: "uas", RemoteURI: "sip:carol@sip.test"}}, func(int) {})
		done <- err
	}()
	propose := x.waitMessage(t, "propose", func(m translate.XMPPMessage) bool { return len(m.JingleMessage) > 0 })
	jm, _ := jingle.DecodeMessage(propose.JingleMessage)
	rej, _ := (&jingle.Message{Action: jingle.MessageReject, ID: jm.ID, Reason: &jingle.Reason{Condition: jingle.ConditionBusy}}).Encode()
	if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: jid.MustParse("alice@xmpp.test/phone"), To: propose.From, JingleMessage: rej}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; errStatus(err) != 486 {
		t.Fatalf("rejected call: %v, want 486", err)
	}
}

// CANCEL before anyone proceeds: the proposal is retracted, 487.
func TestCallFromSIPCanceled(t *testing.T) {
	g, x, _ := newTestGateway(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := g.SIPInvite(ctx, translate.SIPInvite{New: true, RequestURI: "sip:alice@xmpp.test", SDP: vector(t, "01-sip-phone-audio-offer.sdp"),
			Dialog: translate.SIPDialog{CallID: "call-3", LocalTag: "uas", RemoteURI: "sip:carol@sip.test"}}, func(int) {})
		done <- err
	}()
	x.waitMessage(t, "propose", func(m translate.XMPPMessage) bool { return strings.Contains(string(m.JingleMessage), "propose") })
	cancel()
	if err := <-done; errStatus(err) != 487 {
		t.Fatalf("canceled call: %v", err)
	}
	x.waitMessage(t, "retract", func(m translate.XMPPMessage) bool { return strings.Contains(string(m.JingleMessage), "retract") })
}

// Bad SDP: 400 for SDP that does not parse, 488 for nothing mappable
// (an MSRP-only offer that reached the call path).
func TestCallFromSIPBadSDP(t *testing.T) {
	g, _, _ := newTestGateway(t, nil)
	for _, tc := range []struct {
		sdp  []byte
		code int
	}{
		{[]byte("this is not SDP"), 400},
		{vector(t, "13-sylk-msrp-chat.sdp"), 488},
		{nil, 488},
	} {
		_, err := g.SIPInvite(context.Background(), translate.SIPInvite{New: true, RequestURI: "sip:alice@xmpp.test", SDP: tc.sdp,
			Dialog: translate.SIPDialog{CallID: "bad", LocalTag: "uas", RemoteURI: "sip:carol@sip.test"}}, func(int) {})
		if errStatus(err) != tc.code {
			t.Errorf("INVITE with %.20q: %v, want %d", tc.sdp, err, tc.code)
		}
	}
}

// A Jingle call to a SIP user: the session-initiate becomes an INVITE
// whose 200 is the session-accept; 180 is session-info ringing; a 486
// ends the session with busy.
func TestCallFromXMPP(t *testing.T) {
	g, x, s := newTestGateway(t, nil)
	ctx := context.Background()
	alice := jid.MustParse("alice@xmpp.test/laptop")
	si := phoneOffer(t, "sid-1", alice)
	body, _ := si.Encode()
	carol := jid.MustParse("carol@sip.test/sip")
	if err := g.XMPPJingle(ctx, translate.JingleIQ{From: alice, To: carol, ID: "i1", Payload: body}); err != nil {
		t.Fatalf("session-initiate refused: %v", err)
	}
	inv := waitIn(t, "no INVITE", &s.mu, &s.invites, s.changed, func(fakeInvite) bool { return true })
	if inv.d.RemoteURI != "sip:carol@sip.test" || inv.d.LocalURI != "sip:alice@xmpp.test" || !strings.Contains(string(inv.sdp), "m=audio ") {
		t.Fatalf("INVITE %+v\n%s", inv.d, inv.sdp)
	}
	_, ringing := waitJingle(t, x, jingle.ActionSessionInfo)
	if ringing.Info == nil || ringing.Info.Kind != jingle.InfoRinging {
		t.Fatalf("session-info %+v", ringing.Info)
	}
	iq, acc := waitJingle(t, x, jingle.ActionSessionAccept)
	if !iq.To.Equal(alice) || acc.SID != "sid-1" || acc.Responder != carol.String() || len(acc.Contents) != 1 {
		t.Fatalf("session-accept to %s: %+v", iq.To, acc)
	}
	// alice hangs up: BYE.
	term, _ := (&jingle.Jingle{Action: jingle.ActionSessionTerminate, SID: "sid-1", Reason: &jingle.Reason{Condition: jingle.ConditionSuccess}}).Encode()
	if err := g.XMPPJingle(ctx, translate.JingleIQ{From: alice, To: carol, ID: "t1", Payload: term}); err != nil {
		t.Fatal(err)
	}
	bye := waitIn(t, "no BYE", &s.mu, &s.byes, s.changed, func(translate.SIPDialog) bool { return true })
	if bye.CallID != inv.d.CallID {
		t.Fatalf("BYE in %q, want %q", bye.CallID, inv.d.CallID)
	}
	// Unknown session afterwards.
	err := g.XMPPJingle(ctx, translate.JingleIQ{From: alice, To: carol, ID: "t2", Payload: term})
	var je *translate.JingleError
	if !errors.As(err, &je) || je.JingleCondition != translate.JingleUnknownSession {
		t.Fatalf("terminate of an ended session: %v", err)
	}

	// Busy.
	s.mu.Lock()
	s.inviteErr = sipStatus(486)
	s.mu.Unlock()
	si.SID = "sid-2"
	body, _ = si.Encode()
	if err := g.XMPPJingle(ctx, translate.JingleIQ{From: alice, To: carol, ID: "i2", Payload: body}); err != nil {
		t.Fatal(err)
	}
	_, busy := waitJingle(t, x, jingle.ActionSessionTerminate)
	if busy.SID != "sid-2" || busy.Reason == nil || busy.Reason.Condition != jingle.ConditionBusy {
		t.Fatalf("486 became %+v", busy)
	}
}

// XEP-0353 from XMPP: a propose to a SIP user is answered with proceed.
func TestProposeToSIPUser(t *testing.T) {
	g, x, _ := newTestGateway(t, nil)
	alice := jid.MustParse("alice@xmpp.test/laptop")
	propose, err := (&jingle.Message{Action: jingle.MessagePropose, ID: "p1", Descriptions: []jingle.RTPDescription{{Media: "audio"}}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.XMPPMessage(context.Background(), translate.XMPPMessage{From: alice, To: jid.MustParse("carol@sip.test"), Type: "chat",
		JingleMessage: propose}); err != nil {
		t.Fatal(err)
	}
	m := x.waitMessage(t, "proceed", func(m translate.XMPPMessage) bool { return len(m.JingleMessage) > 0 })
	jm, err := jingle.DecodeMessage(m.JingleMessage)
	if err != nil || jm.Action != jingle.MessageProceed || jm.ID != "p1" || !m.To.Equal(alice) || m.From.String() != "carol@sip.test/sip" {
		t.Fatalf("answer to propose: %+v %v from %s to %s", jm, err, m.From, m.To)
	}
}

// establish runs a SIP call to alice's phone up to the 200 and returns
// the call's dialog, the phone and the session-initiate.
func establish(t *testing.T, g *Gateway, x *fakeXMPP, offer []byte, callID string) (translate.SIPDialog, jid.JID, *jingle.Jingle) {
	t.Helper()
	ctx := context.Background()
	phone := jid.MustParse("alice@xmpp.test/phone")
	inv := translate.SIPInvite{New: true, RequestURI: "sip:alice@xmpp.test/phone", SDP: offer,
		Dialog: translate.SIPDialog{CallID: callID, LocalTag: "uas", RemoteTag: "uac", RemoteURI: "sip:carol@sip.test"}}
	inv.RequestURI = "sip:alice@xmpp.test;gr=phone"
	done := make(chan error, 1)
	go func() {
		_, err := g.SIPInvite(ctx, inv, func(int) {})
		done <- err
	}()
	iq, si := waitJingle(t, x, jingle.ActionSessionInitiate)
	if !iq.To.Equal(phone) {
		t.Fatalf("session-initiate to %s, want the device of the gr parameter", iq.To)
	}
	accept := &jingle.Jingle{Action: jingle.ActionSessionAccept, SID: si.SID, Responder: phone.String(), Contents: si.Contents}
	body, _ := accept.Encode()
	if err := g.XMPPJingle(ctx, translate.JingleIQ{From: phone, To: iq.From, ID: "acc", Payload: body}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return inv.Dialog, phone, si
}

// XEP-0166 §6.8: a re-INVITE adding video is a content-add; the
// content-accept is the 200's answer with the video line open, a
// content-reject answers it with port 0; a re-INVITE that only refreshes
// gets the same SDP.
func TestCallReinviteAddsVideo(t *testing.T) {
	g, x, _ := newTestGateway(t, nil)
	ctx := context.Background()
	d, phone, si := establish(t, g, x, vector(t, "10a-sip-audio-initial-offer.sdp"), "re-1")
	type result struct {
		sdp []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		sdp, err := g.SIPInvite(ctx, translate.SIPInvite{Dialog: d, SDP: vector(t, "10b-sip-reinvite-add-video.sdp")}, func(int) {})
		done <- result{sdp, err}
	}()
	iq, add := waitJingle(t, x, jingle.ActionContentAdd)
	if len(add.Contents) != 1 || add.Contents[0].Description == nil || add.Contents[0].Description.Media != "video" || add.SID != si.SID {
		t.Fatalf("content-add %+v", add)
	}
	acc := &jingle.Jingle{Action: jingle.ActionContentAccept, SID: si.SID, Contents: add.Contents}
	body, _ := acc.Encode()
	if err := g.XMPPJingle(ctx, translate.JingleIQ{From: phone, To: iq.From, ID: "ca", Payload: body}); err != nil {
		t.Fatalf("content-accept refused: %v", err)
	}
	r := <-done
	if r.err != nil || !strings.Contains(string(r.sdp), "m=video ") || strings.Contains(string(r.sdp), "m=video 0 ") {
		t.Fatalf("answer to the re-INVITE %v:\n%s", r.err, r.sdp)
	}
	// The same re-INVITE again is a refresh: same answer, nothing sent.
	n := len(x.jingles)
	again, err := g.SIPInvite(ctx, translate.SIPInvite{Dialog: d, SDP: vector(t, "10b-sip-reinvite-add-video.sdp")}, func(int) {})
	if err != nil || string(again) != string(r.sdp) {
		t.Fatalf("refresh: %v\n%s", err, again)
	}
	x.mu.Lock()
	if len(x.jingles) != n {
		t.Errorf("a refresh sent Jingle: %s", x.jingles[len(x.jingles)-1].Payload)
	}
	x.mu.Unlock()
	// A re-INVITE in no call.
	if _, err := g.SIPInvite(ctx, translate.SIPInvite{Dialog: translate.SIPDialog{CallID: "nope", LocalTag: "x"}, SDP: vector(t, "10b-sip-reinvite-add-video.sdp")}, func(int) {}); errStatus(err) != 481 {
		t.Fatalf("re-INVITE outside a call: %v", err)
	}
}

// RFC 3264 §8.4 hold: a re-INVITE that only changes the direction is a
// content-modify with the new senders, answered at once.
func TestCallHoldByDirection(t *testing.T) {
	g, x, _ := newTestGateway(t, nil)
	ctx := context.Background()
	offer := vector(t, "10a-sip-audio-initial-offer.sdp")
	d, _, _ := establish(t, g, x, offer, "hold-1")
	hold := strings.Replace(string(offer), "a=sendrecv", "a=sendonly", 1)
	hold = strings.Replace(hold, "4021 4021", "4021 4022", 1)
	answer, err := g.SIPInvite(ctx, translate.SIPInvite{Dialog: d, SDP: []byte(hold)}, func(int) {})
	if err != nil || !strings.Contains(string(answer), "a=recvonly") {
		t.Fatalf("answer to hold %v:\n%s", err, answer)
	}
	_, mod := waitJingle(t, x, jingle.ActionContentModify)
	if len(mod.Contents) != 1 || mod.Contents[0].Senders != jingle.SendersInitiator {
		t.Fatalf("content-modify %+v", mod.Contents)
	}
}

// XEP-0166 §6.8 from XMPP: alice adds video to her call with carol; the
// re-INVITE carries it and its 200 becomes the content-accept; a failed
// re-INVITE becomes content-reject.
func TestCallContentAddFromXMPP(t *testing.T) {
	g, x, s := newTestGateway(t, nil)
	ctx := context.Background()
	alice := jid.MustParse("alice@xmpp.test/laptop")
	carol := jid.MustParse("carol@sip.test/sip")
	si := phoneOffer(t, "add-1", alice)
	body, _ := si.Encode()
	if err := g.XMPPJingle(ctx, translate.JingleIQ{From: alice, To: carol, ID: "i1", Payload: body}); err != nil {
		t.Fatal(err)
	}
	waitJingle(t, x, jingle.ActionSessionAccept)
	video := si.Contents[0]
	video.Name = "video"
	desc := *video.Description
	desc.Media = "video"
	desc.PayloadTypes = []jingle.PayloadType{{ID: 98, Name: "VP8", ClockRate: 90000}}
	video.Description = &desc
	add := &jingle.Jingle{Action: jingle.ActionContentAdd, SID: "add-1", Contents: []jingle.Content{video}}
	body, err := add.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.XMPPJingle(ctx, translate.JingleIQ{From: alice, To: carol, ID: "c1", Payload: body}); err != nil {
		t.Fatalf("content-add refused: %v", err)
	}
	re := waitIn(t, "no re-INVITE", &s.mu, &s.invites, s.changed, func(i fakeInvite) bool { return i.d.RemoteTag != "" })
	if !strings.Contains(string(re.sdp), "m=video ") || !strings.Contains(string(re.sdp), "VP8/90000") || !strings.Contains(string(re.sdp), "m=audio ") {
		t.Fatalf("re-INVITE offer:\n%s", re.sdp)
	}
	_, acc := waitJingle(t, x, jingle.ActionContentAccept)
	if len(acc.Contents) != 1 || acc.Contents[0].Name != "video" {
		t.Fatalf("content-accept %+v", acc.Contents)
	}
	// A refused re-INVITE: content-reject.
	s.mu.Lock()
	s.inviteErr = sipStatus(488)
	s.mu.Unlock()
	screen := video
	screen.Name = "screen"
	add.Contents = []jingle.Content{screen}
	body, _ = add.Encode()
	if err := g.XMPPJingle(ctx, translate.JingleIQ{From: alice, To: carol, ID: "c2", Payload: body}); err != nil {
		t.Fatal(err)
	}
	_, rej := waitJingle(t, x, jingle.ActionContentReject)
	if len(rej.Contents) != 1 || rej.Contents[0].Name != "screen" || rej.Reason == nil {
		t.Fatalf("content-reject %+v", rej)
	}
}

// iceCallFromXMPP sets up a call from alice (XMPP) to carol (SIP) with the
// ICE vector's offer as session sid, answered: session-accept sent.
func iceCallFromXMPP(t *testing.T, sid string) (g *Gateway, s *fakeSIP, alice, carol jid.JID, si *jingle.Jingle) {
	t.Helper()
	g, x, s := newTestGateway(t, nil)
	alice = jid.MustParse("alice@xmpp.test/laptop")
	carol = jid.MustParse("carol@sip.test/sip")
	media, err := jingle.NewMapping(jingle.RoleInitiator, 1).SDPToJingle(jingle.Offer, vector(t, "own-12-blink-ice-sdes-avp.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	si = media.Jingle(jingle.ActionSessionInitiate, sid)
	si.Initiator = alice.String()
	body, _ := si.Encode()
	if err := g.XMPPJingle(context.Background(), translate.JingleIQ{From: alice, To: carol, ID: "i1", Payload: body}); err != nil {
		t.Fatal(err)
	}
	waitJingle(t, x, jingle.ActionSessionAccept)
	return g, s, alice, carol, si
}

// XEP-0176 §5.9: an ICE restart (transport-info with a new ufrag) of an
// established call is offered to the SIP party in a re-INVITE.
func TestCallICERestartFromXMPP(t *testing.T) {
	g, s, alice, carol, si := iceCallFromXMPP(t, "ice-1")
	ctx := context.Background()
	ct := si.Contents[0]
	if ct.ICEUDP == nil {
		t.Fatal("the vector has no ICE transport")
	}
	restart := jingle.Content{Creator: ct.Creator, Name: ct.Name, ICEUDP: &jingle.ICEUDPTransport{Ufrag: "NEWU", Pwd: "newpasswordnewpasswordxx",
		Candidates: []jingle.ICECandidate{{Component: 1, Foundation: "9", Generation: 1, ID: "r1", IP: "192.0.2.99", Port: 40000, Priority: 2130706431, Protocol: "udp", Type: "host"}}}}
	ti := &jingle.Jingle{Action: jingle.ActionTransportInfo, SID: "ice-1", Contents: []jingle.Content{restart}}
	body, err := ti.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.XMPPJingle(ctx, translate.JingleIQ{From: alice, To: carol, ID: "t1", Payload: body}); err != nil {
		t.Fatalf("transport-info refused: %v", err)
	}
	re := waitIn(t, "no re-INVITE for the ICE restart", &s.mu, &s.invites, s.changed, func(i fakeInvite) bool { return i.d.RemoteTag != "" })
	if !strings.Contains(string(re.sdp), "a=ice-ufrag:NEWU") || !strings.Contains(string(re.sdp), "192.0.2.99 40000") {
		t.Fatalf("re-INVITE after the restart:\n%s", re.sdp)
	}
}

// XEP-0176 §5.9 from SIP: a re-INVITE with new ICE credentials is a
// transport-info to the XMPP party; the answer is the current one.
func TestCallICERestartFromSIP(t *testing.T) {
	g, x, _ := newTestGateway(t, nil)
	offer := vector(t, "own-12-blink-ice-sdes-avp.sdp")
	d, _, _ := establish(t, g, x, offer, "ice-sip")
	re := strings.Replace(string(offer), "a=ice-ufrag:Kx4b", "a=ice-ufrag:Zz9q", 1)
	o := regexp.MustCompile(`(?m)^o=(\S+) (\d+) (\d+)`).FindStringSubmatch(re)
	v, _ := strconv.Atoi(o[3])
	re = strings.Replace(re, o[0], "o="+o[1]+" "+o[2]+" "+strconv.Itoa(v+1), 1)
	answer, err := g.SIPInvite(context.Background(), translate.SIPInvite{Dialog: d, SDP: []byte(re)}, func(int) {})
	if err != nil || len(answer) == 0 {
		t.Fatalf("re-INVITE with new ICE credentials: %v", err)
	}
	_, ti := waitJingle(t, x, jingle.ActionTransportInfo)
	if len(ti.Contents) != 1 || ti.Contents[0].ICEUDP == nil || ti.Contents[0].ICEUDP.Ufrag != "Zz9q" {
		t.Fatalf("transport-info %+v", ti.Contents)
	}
}

// A hang-up while the gateway waits for trickled candidates: no INVITE
// goes out (the phone must not ring for a call already over).
func TestCallTerminatedDuringTrickleWait(t *testing.T) {
	g, _, s := newTestGateway(t, nil)
	ctx := context.Background()
	alice := jid.MustParse("alice@xmpp.test/laptop")
	carol := jid.MustParse("carol@sip.test/sip")
	media, err := jingle.NewMapping(jingle.RoleInitiator, 1).SDPToJingle(jingle.Offer, vector(t, "own-12-blink-ice-sdes-avp.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range media.Contents {
		if media.Contents[i].ICEUDP != nil {
			media.Contents[i].ICEUDP.Candidates = nil // trickled later
		}
	}
	si := media.Jingle(jingle.ActionSessionInitiate, "early-1")
	si.Initiator = alice.String()
	body, _ := si.Encode()
	if err := g.XMPPJingle(ctx, translate.JingleIQ{From: alice, To: carol, ID: "i1", Payload: body}); err != nil {
		t.Fatal(err)
	}
	term, _ := (&jingle.Jingle{Action: jingle.ActionSessionTerminate, SID: "early-1", Reason: &jingle.Reason{Condition: jingle.ConditionCancel}}).Encode()
	if err := g.XMPPJingle(ctx, translate.JingleIQ{From: alice, To: carol, ID: "t1", Payload: term}); err != nil {
		t.Fatal(err)
	}
	// Past the trickle wait, the call is gone and nothing was dialled.
	deadline := time.Now().Add(trickleWait + 3*time.Second)
	for g.calls.bySession("early-1", alice) != nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if g.calls.bySession("early-1", alice) != nil {
		t.Fatal("the call outlived its session-terminate")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.invites) != 0 {
		t.Fatalf("an INVITE went out for a call already terminated: %s", s.invites[0].sdp)
	}
}

// RFC 3261 §14.1: one INVITE transaction at a time in a dialog: two quick
// content changes from XMPP become two re-INVITEs, the second after the
// first, with growing CSeqs.
func TestCallReinvitesInOrder(t *testing.T) {
	g, x, s := newTestGateway(t, nil)
	ctx := context.Background()
	alice := jid.MustParse("alice@xmpp.test/laptop")
	carol := jid.MustParse("carol@sip.test/sip")
	si := phoneOffer(t, "order-1", alice)
	body, _ := si.Encode()
	if err := g.XMPPJingle(ctx, translate.JingleIQ{From: alice, To: carol, ID: "i1", Payload: body}); err != nil {
		t.Fatal(err)
	}
	waitJingle(t, x, jingle.ActionSessionAccept)
	s.mu.Lock()
	s.inviteDelay = 100 * time.Millisecond
	s.maxInFlight = 0
	s.mu.Unlock()
	name := si.Contents[0].Name
	for i, senders := range []jingle.Senders{jingle.SendersInitiator, jingle.SendersBoth} {
		mod := &jingle.Jingle{Action: jingle.ActionContentModify, SID: "order-1", Contents: []jingle.Content{{Creator: jingle.RoleInitiator, Name: name, Senders: senders}}}
		body, _ := mod.Encode()
		if err := g.XMPPJingle(ctx, translate.JingleIQ{From: alice, To: carol, ID: "m" + strconv.Itoa(i), Payload: body}); err != nil {
			t.Fatalf("content-modify %d: %v", i, err)
		}
	}
	var re []fakeInvite
	deadline := time.Now().Add(5 * time.Second)
	for len(re) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		s.mu.Lock()
		re = re[:0]
		for _, inv := range s.invites {
			if inv.d.RemoteTag != "" {
				re = append(re, inv)
			}
		}
		s.mu.Unlock()
	}
	if len(re) != 2 {
		t.Fatalf("%d re-INVITEs, want 2", len(re))
	}
	s.mu.Lock()
	concurrent := s.maxInFlight
	s.mu.Unlock()
	if concurrent != 1 || re[1].d.LocalCSeq <= re[0].d.LocalCSeq {
		t.Fatalf("re-INVITEs overlapped (%d at once) or CSeq %d then %d", concurrent, re[0].d.LocalCSeq, re[1].d.LocalCSeq)
	}
}

// XEP-0176 trickle after the SIP party got its SDP: the late candidates go
// in one re-INVITE once the trickle pauses, not one per candidate.
func TestCallLateCandidates(t *testing.T) {
	g, s, alice, carol, si := iceCallFromXMPP(t, "late-1")
	ctx := context.Background()
	ct := si.Contents[0]
	for i, ip := range []string{"192.0.2.71", "192.0.2.72"} {
		cand := jingle.Content{Creator: ct.Creator, Name: ct.Name, ICEUDP: &jingle.ICEUDPTransport{Ufrag: ct.ICEUDP.Ufrag, Pwd: ct.ICEUDP.Pwd,
			Candidates: []jingle.ICECandidate{{Component: 1, Foundation: "7", ID: "late" + strconv.Itoa(i), IP: ip, Port: 41000, Priority: 2130706431, Protocol: "udp", Type: "host"}}}}
		ti := &jingle.Jingle{Action: jingle.ActionTransportInfo, SID: "late-1", Contents: []jingle.Content{cand}}
		body, err := ti.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if err := g.XMPPJingle(ctx, translate.JingleIQ{From: alice, To: carol, ID: "t" + strconv.Itoa(i), Payload: body}); err != nil {
			t.Fatalf("transport-info: %v", err)
		}
	}
	re := waitIn(t, "no re-INVITE with the late candidates", &s.mu, &s.invites, s.changed, func(i fakeInvite) bool { return i.d.RemoteTag != "" })
	for _, ip := range []string{"192.0.2.71 41000", "192.0.2.72 41000"} {
		if !strings.Contains(string(re.sdp), ip) {
			t.Errorf("re-INVITE lacks candidate %s:\n%s", ip, re.sdp)
		}
	}
	time.Sleep(trickleQuiet + 300*time.Millisecond)
	s.mu.Lock()
	n := 0
	for _, inv := range s.invites {
		if inv.d.RemoteTag != "" {
			n++
		}
	}
	s.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d re-INVITEs for two trickled candidates, want 1", n)
	}
}
