package sip

import (
	"errors"
	"slices"
	"strings"
	"testing"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/sxgw/sxgw/sip/msrp"
	"github.com/sxgw/sxgw/translate"
)

const (
	roomURIText  = "sip:lobby@" + confDomain
	aliceFrom    = `"Alice" <sip:alice@sip.test>;tag=alice-1`
	aliceMSRP    = "msrp://127.0.0.1:9/alicesession;tcp"
	roomToHeader = "<" + roomURIText + ">"
)

// joinRoom plays alice joining the room: INVITE, 200, ACK, then the MSRP
// connection. It returns the 200, the session's MSRP side and the
// dialog's Call-ID.
func joinRoom(t *testing.T, p *sipPeer, callID string) (*sipgosip.Response, *msrpPeer) {
	t.Helper()
	offer := peerSDP(aliceMSRP, "message/cpim text/plain text/html", "nickname private-messages")
	p.send(p.wire("INVITE", roomURIText, aliceFrom, roomToHeader, callID, 1,
		[]string{"Subject: hello room", "Content-Type: application/sdp"}, offer))
	res := p.response("INVITE")
	if res.StatusCode != 200 {
		t.Fatalf("INVITE: %d %s", res.StatusCode, res.Reason)
	}
	ack := p.wire("ACK", res.Contact().Address.String(), aliceFrom, res.To().Value(), callID, 1, nil, "")
	p.send(ack)
	return res, dialMSRP(t, pathOf(t, res.Body()), aliceMSRP)
}

// TestRoomJoin: an INVITE with MSRP to a room URI joins it (RFC 7701
// §5.2): the 200 has 'isfocus' in Contact (RFC 4579 §5.1) and an answer
// with the room's types and a=chatroom (§8); NICKNAME goes to the core
// and its refusal is the MSRP status (§7.1, §9.2); messages go to
// SIPRoomMessage; the core sends into the session; BYE leaves.
func TestRoomJoin(t *testing.T) {
	core := newRoomCore()
	e := startChats(t, confDomain, core)
	p := newSIPPeer(t, e, "alice")
	res, mp := joinRoom(t, p, "join-1@peer.test")

	id := core.await(t, "join")
	j := core.lastJoin()
	want := translate.SIPRoomJoin{ID: id, From: "sip:alice@sip.test", Display: "Alice", Room: roomURIText, Nickname: true, PrivateMessages: true}
	if j != want {
		t.Errorf("join %+v, want %+v", j, want)
	}
	c := res.Contact()
	if c == nil || !c.Params.Has("isfocus") || c.Address.User != "lobby" {
		t.Errorf("200 Contact %v: want the room's, with isfocus", c)
	}
	if allow, _ := header(res, "Allow"); !strings.Contains(allow, "REFER") {
		t.Errorf("Allow %q lacks REFER", allow)
	}
	attrs := sdpAttrs(res.Body())
	for _, a := range []string{
		"a=accept-types:message/cpim text/plain application/im-iscomposing+xml",
		"a=accept-wrapped-types:text/plain text/html",
		"a=chatroom:nickname private-messages",
		"a=setup:passive",
	} {
		if !slices.Contains(attrs, a) {
			t.Errorf("answer lacks %q: %q", a, attrs)
		}
	}

	// RFC 7701 §9.2: a nickname in use gets 425, another one 200.
	if code := mp.nickname("n1", "taken"); code != msrp.StatusNicknameInUse {
		t.Errorf("NICKNAME taken: %d", code)
	}
	if code := mp.nickname("n2", "Alice in Wonderland"); code != msrp.StatusOK {
		t.Errorf("NICKNAME: %d", code)
	}
	if got := core.nickList(); !slices.Equal(got, []string{id + " taken", id + " Alice in Wonderland"}) {
		t.Errorf("nicknames %q", got)
	}

	cpim := "From: <sip:alice@sip.test>\r\nTo: <" + roomURIText + ">\r\n\r\nContent-Type: text/plain\r\n\r\nhello all"
	mp.sendText("s1", "message/cpim", cpim)
	if got := core.await(t, "msg"); got != id {
		t.Errorf("message of %q, want %q", got, id)
	}
	m := core.lastMessage().m
	if m.From != "sip:alice@sip.test" || m.To != roomURIText || m.RequestURI != roomURIText ||
		m.ContentType != "message/cpim" || string(m.Body) != cpim || m.TransactionID != "m-s1" {
		t.Errorf("room message %+v", m)
	}
	mp.sendText("s2", "application/im-iscomposing+xml", "<isComposing/>")
	core.await(t, "msg")
	if m := core.lastMessage().m; m.ContentType != "application/im-iscomposing+xml" {
		t.Errorf("isComposing as %q", m.ContentType)
	}

	// The core sends into the room session with ChatSend.
	sent := make(chan error, 1)
	ctx := doCtx(t)
	go func() {
		sent <- e.ChatSend(ctx, id, translate.SIPMessage{ContentType: "message/cpim", Body: []byte("from the room")})
	}()
	in := mp.read()
	if in.Method != msrp.MethodSEND || in.MediaType() != "message/cpim" || string(in.Body) != "from the room" {
		t.Fatalf("received %s %q %q", in.Method, in.ContentType, in.Body)
	}
	var ok msrp.Message
	if err := ok.InitResponse(in, msrp.StatusOK, ""); err != nil {
		t.Fatal(err)
	}
	mp.write(&ok)
	if err := <-sent; err != nil {
		t.Fatalf("ChatSend: %v", err)
	}
	core.none(t, "chatstart")

	// BYE leaves (RFC 7701 §4).
	p.send(p.wire("BYE", res.Contact().Address.String(), aliceFrom, res.To().Value(), "join-1@peer.test", 2, nil, ""))
	if r := p.response("BYE"); r.StatusCode != 200 {
		t.Fatalf("BYE: %d", r.StatusCode)
	}
	if got := core.await(t, "leave"); got != id {
		t.Errorf("leave of %q, want %q", got, id)
	}
	core.none(t, "chatend")
}

// TestRoomJoinRefused: the core's refusal, an offer without Message/CPIM
// (RFC 7701 §5.2), and the conference domain without a room are
// refused; without RoomInbound, or without a conference domain, such
// INVITEs are no room joins.
func TestRoomJoinRefused(t *testing.T) {
	core := newRoomCore()
	core.onJoin = func(j translate.SIPRoomJoin) error {
		if j.From == "sip:mallory@sip.test" {
			return &StatusError{Code: 403, Reason: "Forbidden"}
		}
		return nil
	}
	e := startChats(t, confDomain, core)
	p := newSIPPeer(t, e, "alice")
	for i, tc := range []struct {
		name, ruri, from, types string
		code                    int
	}{
		{"core refuses", roomURIText, "<sip:mallory@sip.test>;tag=m1", "message/cpim", 403},
		{"no cpim", roomURIText, aliceFrom, "text/plain", 488},
		{"no room", "sip:" + confDomain, aliceFrom, "message/cpim", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			callID := "refused-" + string(rune('a'+i)) + "@peer.test"
			p.send(p.wire("INVITE", tc.ruri, tc.from, "<"+tc.ruri+">", callID, 1,
				[]string{"Content-Type: application/sdp"}, peerSDP(aliceMSRP, tc.types, "")))
			if res := p.response("INVITE"); res.StatusCode != tc.code {
				t.Fatalf("INVITE: %d %s, want %d", res.StatusCode, res.Reason, tc.code)
			}
		})
	}
	core.none(t, "leave")

	// A core without rooms: 404, and no REFER.
	chatOnly := newChatCore()
	e2 := startChats(t, confDomain, chatOnly)
	p2 := newSIPPeer(t, e2, "alice")
	p2.send(p2.wire("INVITE", roomURIText, aliceFrom, roomToHeader, "norooms@peer.test", 1,
		[]string{"Content-Type: application/sdp"}, peerSDP(aliceMSRP, "message/cpim", "nickname")))
	if res := p2.response("INVITE"); res.StatusCode != 404 {
		t.Errorf("INVITE without RoomInbound: %d", res.StatusCode)
	}
	if allow := e2.routes.Load().allow; strings.Contains(allow, "REFER") {
		t.Errorf("Allow %q without rooms", allow)
	}
	chatOnly.none(t, "chatstart")

	// No conference domain: a one-to-one chat as before.
	plain := newRoomCore()
	e3 := startChats(t, "", plain)
	p3 := newSIPPeer(t, e3, "alice")
	p3.send(p3.wire("INVITE", roomURIText, aliceFrom, roomToHeader, "nodomain@peer.test", 1,
		[]string{"Content-Type: application/sdp"}, peerSDP(aliceMSRP, "message/cpim", "nickname")))
	if res := p3.response("INVITE"); res.StatusCode != 200 || res.Contact().Params.Has("isfocus") {
		t.Errorf("INVITE without a conference domain: %d, Contact %v", res.StatusCode, res.Contact())
	}
	plain.await(t, "chatstart")
	if allow := e3.routes.Load().allow; strings.Contains(allow, "REFER") {
		t.Errorf("Allow %q without a conference domain", allow)
	}
}

// TestChatUnchanged: with rooms on, an INVITE to a user is still a
// one-to-one chat (RFC 7573): no isfocus, no a=chatroom, chat types,
// NICKNAME answered 501, messages to SIPChatMessage, BYE to SIPChatEnd.
func TestChatUnchanged(t *testing.T) {
	core := newRoomCore()
	e := startChats(t, confDomain, core)
	p := newSIPPeer(t, e, "alice")
	const callID = "chat-1@peer.test"
	p.send(p.wire("INVITE", "sip:carol@sip.test", aliceFrom, "<sip:carol@sip.test>", callID, 1,
		[]string{"Content-Type: application/sdp"}, peerSDP(aliceMSRP, "message/cpim text/plain", "")))
	res := p.response("INVITE")
	if res.StatusCode != 200 {
		t.Fatalf("INVITE: %d", res.StatusCode)
	}
	id := core.await(t, "chatstart")
	if res.Contact().Params.Has("isfocus") {
		t.Errorf("chat Contact %v has isfocus", res.Contact())
	}
	attrs := sdpAttrs(res.Body())
	if !slices.Contains(attrs, "a=accept-types:message/cpim text/plain application/im-iscomposing+xml") {
		t.Errorf("chat answer %q", attrs)
	}
	for _, a := range attrs {
		if strings.HasPrefix(a, "a=chatroom") || strings.HasPrefix(a, "a=accept-wrapped-types") {
			t.Errorf("chat answer has %q", a)
		}
	}
	p.send(p.wire("ACK", res.Contact().Address.String(), aliceFrom, res.To().Value(), callID, 1, nil, ""))
	mp := dialMSRP(t, pathOf(t, res.Body()), aliceMSRP)
	if code := mp.nickname("n1", "alice"); code != msrp.StatusNotImplemented {
		t.Errorf("NICKNAME in a chat: %d, want 501", code)
	}
	mp.sendText("s1", "text/plain", "hi carol")
	if got := core.await(t, "chatmsg"); got != id {
		t.Errorf("chat message of %q", got)
	}
	core.none(t, "nick")
	core.none(t, "msg")

	// REFER inside a chat's dialog: 403 (refer.go).
	p.send(p.wire("REFER", res.Contact().Address.String(), aliceFrom, res.To().Value(), callID, 2,
		[]string{"Refer-To: <sip:bob@sip.test>"}, ""))
	if r := p.response("REFER"); r.StatusCode != 403 {
		t.Errorf("REFER in a chat: %d", r.StatusCode)
	}
	p.send(p.wire("BYE", res.Contact().Address.String(), aliceFrom, res.To().Value(), callID, 3, nil, ""))
	if r := p.response("BYE"); r.StatusCode != 200 {
		t.Fatalf("BYE: %d", r.StatusCode)
	}
	core.await(t, "chatend")
	core.none(t, "leave")
	core.none(t, "refer")
}

// TestRoomInvitesParticipant: ChatStart with Room (RFC 4579 §5.2): the
// INVITE comes from the room with 'isfocus' and a=chatroom; once
// connected the session is a room session (messages and NICKNAME to
// RoomInbound, no SIPRoomJoin); ChatEnd sends BYE and SIPRoomLeave.
func TestRoomInvitesParticipant(t *testing.T) {
	core := newRoomCore()
	e := startChats(t, confDomain, core)
	p := newSIPPeer(t, e, "bob")
	type started struct {
		id  string
		err error
	}
	done := make(chan started, 1)
	ctx := doCtx(t)
	go func() {
		id, err := e.ChatStart(ctx, translate.SIPChat{From: roomURIText, To: p.contact(), Room: true, Subject: "join us"})
		done <- started{id, err}
	}()
	inv := p.request("INVITE")
	c := inv.req.Contact()
	if c == nil || !c.Params.Has("isfocus") || c.Address.User != "lobby" {
		t.Errorf("INVITE Contact %v: want the room's, with isfocus", c)
	}
	if from := inv.req.From().Address.String(); from != roomURIText {
		t.Errorf("INVITE From %q", from)
	}
	attrs := sdpAttrs(inv.req.Body())
	for _, a := range []string{"a=chatroom:nickname private-messages", "a=setup:actpass",
		"a=accept-types:message/cpim text/plain application/im-iscomposing+xml", "a=accept-wrapped-types:text/plain"} {
		if !slices.Contains(attrs, a) {
			t.Errorf("offer lacks %q: %q", a, attrs)
		}
	}
	const bobMSRP = "msrp://127.0.0.1:9/bobsession;tcp"
	p.answer(inv, 200, peerSDP(bobMSRP, "message/cpim", "nickname private-messages"))
	p.request("ACK")
	mp := dialMSRP(t, pathOf(t, inv.req.Body()), bobMSRP)
	r := <-done
	if r.err != nil {
		t.Fatalf("ChatStart: %v", r.err)
	}

	mp.sendText("s1", "message/cpim", "From: <sip:bob@sip.test>\r\nTo: <"+roomURIText+">\r\n\r\nContent-Type: text/plain\r\n\r\nthanks")
	if got := core.await(t, "msg"); got != r.id {
		t.Errorf("message of %q, want %q", got, r.id)
	}
	if m := core.lastMessage().m; m.From != p.contact() || m.To != roomURIText {
		t.Errorf("room message from %q to %q", m.From, m.To)
	}
	if code := mp.nickname("n1", "bobby"); code != msrp.StatusOK {
		t.Errorf("NICKNAME: %d", code)
	}
	if got := core.nickList(); !slices.Equal(got, []string{r.id + " bobby"}) {
		t.Errorf("nicknames %q", got)
	}
	core.none(t, "join")
	core.none(t, "chatmsg")

	e.ChatEnd(r.id)
	bye := p.request("BYE")
	p.answer(bye, 200, "")
	if got := core.await(t, "leave"); got != r.id {
		t.Errorf("leave of %q, want %q", got, r.id)
	}

	// Without rooms, ChatStart with Room is a configuration error.
	e2 := startChats(t, confDomain, newChatCore())
	if _, err := e2.ChatStart(doCtx(t), translate.SIPChat{From: roomURIText, To: p.contact(), Room: true}); !errors.Is(err, ErrConfig) {
		t.Errorf("ChatStart with Room and no rooms: %v", err)
	}
}

// TestRoomSessionEndsOnMSRPLoss: the MSRP connection lost ends the
// session: SIPRoomLeave and a BYE to the participant.
func TestRoomSessionEndsOnMSRPLoss(t *testing.T) {
	core := newRoomCore()
	e := startChats(t, confDomain, core)
	p := newSIPPeer(t, e, "alice")
	_, mp := joinRoom(t, p, "loss-1@peer.test")
	id := core.await(t, "join")
	_ = mp.nc.Close()
	if got := core.await(t, "leave"); got != id {
		t.Errorf("leave of %q, want %q", got, id)
	}
	p.answer(p.request("BYE"), 200, "")
}

func TestParseChatroom(t *testing.T) {
	for _, tc := range []struct {
		tokens []string
		want   chatroom
	}{
		{nil, chatroom{}},
		{[]string{"nickname", "private-messages"}, chatroom{true, true}},
		{[]string{"NICKNAME"}, chatroom{nickname: true}},
		{[]string{"nicknames"}, chatroom{nickname: true}},
		{[]string{"com.example.chat.foo", "private-messages"}, chatroom{privateMessages: true}},
		{[]string{"nick", "private"}, chatroom{}},
	} {
		if got := parseChatroom(tc.tokens); got != tc.want {
			t.Errorf("parseChatroom(%q) = %+v, want %+v", tc.tokens, got, tc.want)
		}
	}
}

func TestRoomURI(t *testing.T) {
	for in, want := range map[string]string{
		"sip:lobby@Conference.SIP.test":                    "sip:lobby@conference.sip.test",
		"sip:lobby@conference.sip.test:5060;transport=tcp": "sip:lobby@conference.sip.test",
		"sips:lobby@conference.sip.test?Subject=x":         "sips:lobby@conference.sip.test",
		"sip:conference.sip.test":                          "",
		"tel:+123":                                         "",
	} {
		if got := roomURI(in); got != want {
			t.Errorf("roomURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConferenceDomainOption(t *testing.T) {
	e, err := New(Options{Domains: []string{"sip.test"}, ConferenceDomain: "Conference.SIP.test."})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.o.ConferenceDomain != confDomain || !e.local.Load().isLocal(confDomain) {
		t.Errorf("conference domain %q, local %v", e.o.ConferenceDomain, e.local.Load().isLocal(confDomain))
	}
	if _, err := New(Options{ConferenceDomain: "not a domain"}); !errors.Is(err, ErrConfig) {
		t.Errorf("bad conference domain: %v", err)
	}
}
