package sip

import (
	"strings"
	"testing"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/sxgw/sxgw/translate"
)

// checkReferNotify checks the one NOTIFY of an accepted REFER (RFC 3515
// §2.4.4, §2.4.5; RFC 7702 §6.5) and answers it.
func checkReferNotify(t *testing.T, p *sipPeer, callID, event string) *sipgosip.Request {
	t.Helper()
	n := p.request("NOTIFY")
	req := n.req
	for name, want := range map[string]string{
		"Event":              event,
		"Subscription-State": "terminated;reason=noresource",
		"Content-Type":       "message/sipfrag;version=2.0",
	} {
		if got, _ := header(req, name); got != want {
			t.Errorf("NOTIFY %s = %q, want %q", name, got, want)
		}
	}
	if string(req.Body()) != "SIP/2.0 100 Trying\r\n" {
		t.Errorf("NOTIFY body %q", req.Body())
	}
	if req.CallID().Value() != callID || tagOf(req.To().Params) != "alice-1" {
		t.Errorf("NOTIFY outside the REFER's dialog: Call-ID %q To %q", req.CallID().Value(), req.To().Value())
	}
	if req.Recipient.String() != p.contact() {
		t.Errorf("NOTIFY Request-URI %q, want our Contact %q", req.Recipient.String(), p.contact())
	}
	if c := req.Contact(); c == nil || !c.Params.Has("isfocus") {
		t.Errorf("NOTIFY Contact %v without isfocus", c)
	}
	p.answer(n, 200, "")
	return req
}

// TestReferToRoom: an out-of-dialog REFER to the room (RFC 4579 §5.5,
// §5.11) reaches the core, is answered 202 with a To tag and the focus's
// Contact, and its implicit subscription ends with one NOTIFY.
func TestReferToRoom(t *testing.T) {
	core := newRoomCore()
	e := startChats(t, confDomain, core)
	p := newSIPPeer(t, e, "alice")
	const callID = "refer-1@peer.test"
	p.send(p.wire("REFER", roomURIText, aliceFrom, roomToHeader, callID, 5,
		[]string{"Refer-To: <sip:carol@xmpp.test;method=BYE>", "Referred-By: <sip:alice@sip.test>"}, ""))
	res := p.response("REFER")
	if res.StatusCode != 202 {
		t.Fatalf("REFER: %d %s", res.StatusCode, res.Reason)
	}
	core.await(t, "refer")
	want := translate.SIPRefer{From: "sip:alice@sip.test", Room: roomURIText, Target: "sip:carol@xmpp.test", Method: "BYE"}
	if got := core.lastRefer(); got != want {
		t.Errorf("refer %+v, want %+v", got, want)
	}
	tag := tagOf(res.To().Params)
	if tag == "" {
		t.Error("202 without a To tag")
	}
	if c := res.Contact(); c == nil || !c.Params.Has("isfocus") || c.Address.User != "lobby" {
		t.Errorf("202 Contact %v", c)
	}
	if _, ok := header(res, "Refer-Sub"); ok {
		t.Error("202 has Refer-Sub")
	}
	n := checkReferNotify(t, p, callID, "refer")
	if tagOf(n.From().Params) != tag || n.CSeq().SeqNo != 1 {
		t.Errorf("NOTIFY From %q CSeq %d: want the 202's tag %q and CSeq 1", n.From().Value(), n.CSeq().SeqNo, tag)
	}

	// Refer-Sub: false (RFC 4488): 202 saying so, no NOTIFY.
	p.send(p.wire("REFER", roomURIText, aliceFrom, roomToHeader, "refer-2@peer.test", 1,
		[]string{"Refer-To: sip:dave@xmpp.test", "Refer-Sub: false", "Supported: norefersub"}, ""))
	res = p.response("REFER")
	if v, _ := header(res, "Refer-Sub"); res.StatusCode != 202 || v != "false" {
		t.Fatalf("REFER with Refer-Sub false: %d, Refer-Sub %q", res.StatusCode, v)
	}
	core.await(t, "refer")
	if got := core.lastRefer(); got.Target != "sip:dave@xmpp.test" || got.Method != "INVITE" {
		t.Errorf("refer %+v", got)
	}
	p.noRequest("NOTIFY")
}

// TestReferRefusals: RFC 3515 §2.4.2 400s, the core's refusal, a
// non-SIP target, and REFER to an address that is no room.
func TestReferRefusals(t *testing.T) {
	core := newRoomCore()
	core.onRefer = func(r translate.SIPRefer) error {
		if r.From == "sip:mallory@sip.test" {
			return &StatusError{Code: 403, Reason: "Forbidden"}
		}
		return nil
	}
	e := startChats(t, confDomain, core)
	p := newSIPPeer(t, e, "alice")
	for i, tc := range []struct {
		name, ruri, from string
		headers          []string
		noContact        bool
		code             int
	}{
		{"no Refer-To", roomURIText, aliceFrom, nil, false, 400},
		{"two Refer-To", roomURIText, aliceFrom, []string{"Refer-To: <sip:a@x.test>, <sip:b@x.test>"}, false, 400},
		{"bad Refer-To", roomURIText, aliceFrom, []string{"r: sip:carol@xmpp.test?Subject=x"}, false, 400},
		{"bad method", roomURIText, aliceFrom, []string{"r: <sip:carol@xmpp.test;method=B@D>"}, false, 400},
		{"http target", roomURIText, aliceFrom, []string{"r: <http://example.com/>"}, false, 403},
		{"outsider", roomURIText, "<sip:mallory@sip.test>;tag=m1", []string{"Refer-To: <sip:carol@xmpp.test>"}, false, 403},
		{"not a room", "sip:carol@sip.test", aliceFrom, []string{"Refer-To: <sip:dave@xmpp.test>"}, false, 405},
		{"no room name", "sip:" + confDomain, aliceFrom, []string{"Refer-To: <sip:dave@xmpp.test>"}, false, 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			callID := "refuse-" + string(rune('a'+i)) + "@peer.test"
			p.send(p.wire("REFER", tc.ruri, tc.from, "<"+tc.ruri+">", callID, 1, tc.headers, ""))
			res := p.response("REFER")
			if res.StatusCode != tc.code {
				t.Fatalf("REFER: %d %s, want %d", res.StatusCode, res.Reason, tc.code)
			}
			if tc.code == 405 {
				allow, _ := header(res, "Allow")
				if strings.Contains(allow, "REFER") || !strings.Contains(allow, "INVITE") {
					t.Errorf("405 Allow %q", allow)
				}
			}
		})
	}
	// Only the core's refusal reached the core.
	core.await(t, "refer")
	core.none(t, "refer")
	p.noRequest("NOTIFY")
}

// TestReferInRoomDialog: a REFER inside a room session's dialog (RFC
// 7702 §6.5) has InDialog set; its NOTIFY goes in that dialog with
// Event id = the REFER's CSeq (RFC 3515 §2.4.6), and the BYE after it
// takes the next CSeq.
func TestReferInRoomDialog(t *testing.T) {
	core := newRoomCore()
	e := startChats(t, confDomain, core)
	p := newSIPPeer(t, e, "alice")
	const callID = "indialog-1@peer.test"
	res, _ := joinRoom(t, p, callID)
	core.await(t, "join")
	target := res.Contact().Address.String()
	p.send(p.wire("REFER", target, aliceFrom, res.To().Value(), callID, 2,
		[]string{"Refer-To: <sip:carol@xmpp.test>"}, ""))
	if r := p.response("REFER"); r.StatusCode != 202 || tagOf(r.To().Params) != tagOf(res.To().Params) {
		t.Fatalf("REFER in dialog: %d, To %q", r.StatusCode, r.To().Value())
	}
	core.await(t, "refer")
	want := translate.SIPRefer{From: "sip:alice@sip.test", Room: roomURIText, Target: "sip:carol@xmpp.test", Method: "INVITE", InDialog: true}
	if got := core.lastRefer(); got != want {
		t.Errorf("refer %+v, want %+v", got, want)
	}
	n := checkReferNotify(t, p, callID, "refer;id=2")
	if tagOf(n.From().Params) != tagOf(res.To().Params) || n.CSeq().SeqNo != 1 {
		t.Errorf("NOTIFY From %q CSeq %d", n.From().Value(), n.CSeq().SeqNo)
	}
	e.ChatEnd(core.lastJoin().ID)
	bye := p.request("BYE")
	if bye.req.CSeq().SeqNo != 2 {
		t.Errorf("BYE CSeq %d, want 2 after the NOTIFY", bye.req.CSeq().SeqNo)
	}
	p.answer(bye, 200, "")
	core.await(t, "leave")
}

func TestParseReferTo(t *testing.T) {
	for _, tc := range []struct {
		in, target, method string
		err                error
	}{
		{"<sip:carol@chicago.example.com>", "sip:carol@chicago.example.com", "INVITE", nil},
		{"sip:alice@atlanta.example.com", "sip:alice@atlanta.example.com", "INVITE", nil},
		{"<sip:carol@cleveland.example.org;method=SUBSCRIBE>", "sip:carol@cleveland.example.org", "SUBSCRIBE", nil},
		{"<sip:carol@chicago.example.com;method=bye>", "sip:carol@chicago.example.com", "BYE", nil},
		{`"Carol" <sips:carol@chicago.example.com;transport=tls;METHOD=BYE>;foo=bar`, "sips:carol@chicago.example.com;transport=tls", "BYE", nil},
		{"Carol Smith <sip:carol@x.test;gr=phone>", "sip:carol@x.test;gr=phone", "INVITE", nil},
		{"sip:carol@x.test;method=BYE", "sip:carol@x.test", "BYE", nil},
		{"<sip:bob@biloxi.example.net?Accept-Contact=sip:bobsdesk.biloxi.example.net&Call-ID%3D55432>", "sip:bob@biloxi.example.net", "INVITE", nil},
		{"<sip:carol@x.test>;p=\"quoted;value\"", "sip:carol@x.test", "INVITE", nil},
		{"<sip:carol@x.test>;p=[::1]", "sip:carol@x.test", "INVITE", nil},
		{"http://www.ietf.org", "", "", errReferScheme},
		{"<tel:+15551234>", "", "", errReferScheme},
		{"", "", "", errReferSyntax},
		{"<sip:carol@x.test", "", "", errReferSyntax},
		{"<sip:a@x.test>, <sip:b@x.test>", "", "", errReferSyntax},
		{"sip:a@x.test, sip:b@x.test", "", "", errReferSyntax},
		{"sip:a@x.test?h=v", "", "", errReferSyntax},
		{"<sip:a@x.test> junk", "", "", errReferSyntax},
		{"<sip:a@x.test>;=v", "", "", errReferSyntax},
		{"<sip:a@x.test>;p=\"open", "", "", errReferSyntax},
		{"\"Carol <sip:a@x.test>", "", "", errReferSyntax},
		{"Ca@rol <sip:a@x.test>", "", "", errReferSyntax},
		{"<sip:a@x.test;method=>", "", "", errReferSyntax},
		{"<sip:a@x.test;method=B(E>", "", "", errReferSyntax},
		{"<>", "", "", errReferSyntax},
	} {
		got, err := parseReferTo(tc.in)
		if err != tc.err || got.target != tc.target || got.method != tc.method {
			t.Errorf("parseReferTo(%q) = %+v, %v; want %q %q %v", tc.in, got, err, tc.target, tc.method, tc.err)
		}
	}
}

func TestAllowWithout(t *testing.T) {
	if got := allowWithout("ACK, BYE, CANCEL, INVITE, OPTIONS, REFER", "REFER"); got != "ACK, BYE, CANCEL, INVITE, OPTIONS" {
		t.Errorf("allowWithout = %q", got)
	}
}

// TestFocusOptions: OPTIONS to a room is answered by the focus (RFC 4579
// §4.3: Contact with isfocus), and the endpoint supports norefersub (RFC
// 4488), so a REFER that requires it is taken.
func TestFocusOptions(t *testing.T) {
	core := newRoomCore()
	e := startChats(t, confDomain, core)
	p := newSIPPeer(t, e, "alice")
	p.send(p.wire("OPTIONS", roomURIText, aliceFrom, roomToHeader, "opt-1@peer.test", 1, nil, ""))
	res := p.response("OPTIONS")
	if res.StatusCode != 200 {
		t.Fatalf("OPTIONS: %d", res.StatusCode)
	}
	if c := res.Contact(); c == nil || !c.Params.Has("isfocus") || c.Address.User != "lobby" {
		t.Errorf("OPTIONS to the room: Contact %v", c)
	}
	if v, _ := header(res, "Supported"); v != "norefersub" {
		t.Errorf("Supported %q, want norefersub", v)
	}
	p.send(p.wire("REFER", roomURIText, aliceFrom, roomToHeader, "refer-req@peer.test", 1,
		[]string{"Refer-To: sip:dave@xmpp.test", "Refer-Sub: false", "Require: norefersub"}, ""))
	if res = p.response("REFER"); res.StatusCode != 202 {
		t.Fatalf("REFER requiring norefersub: %d %s", res.StatusCode, res.Reason)
	}
	core.await(t, "refer")
}
