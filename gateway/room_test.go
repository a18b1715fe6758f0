package gateway

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/internal/store"
	"github.com/sxgw/sxgw/sip/simple"
	"github.com/sxgw/sxgw/translate"
)

const confDomain = "conference.sip.test"

var (
	lobby     = jid.MustParse("lobby@" + confDomain)
	aliceFull = jid.MustParse("alice@xmpp.test/phone")
	bobFull   = jid.MustParse("bob@xmpp.test/laptop")
)

func newRoomGateway(t *testing.T, rs RoomStore, persistent ...string) (*Gateway, *fakeXMPP, *fakeSIP) {
	t.Helper()
	g, err := New(Options{Domains: []string{"sip.test"}, ConferenceDomain: confDomain, RoomStore: rs,
		PersistentRooms: persistent, RoomHistory: 3, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	x, s := newFakeXMPP(), newFakeSIP()
	g.Attach(x, s)
	t.Cleanup(g.Close)
	return g, x, s
}

func joinXMPP(t *testing.T, g *Gateway, who jid.JID, nick string) {
	t.Helper()
	to, _ := lobby.WithResource(nick)
	if err := g.XMPPPresence(context.Background(), translate.XMPPPresence{From: who, To: to,
		MUCJoin: &translate.MUCJoin{MaxChars: -1, MaxStanzas: -1, Seconds: -1}}); err != nil {
		t.Fatalf("join %s as %s: %v", who, nick, err)
	}
}

func occ(nick string) jid.JID { j, _ := lobby.WithResource(nick); return j }

func hasStatus(p translate.XMPPPresence, code int) bool {
	return p.MUCUser != nil && slices.Contains(p.MUCUser.Statuses, code)
}

// waitMessage waits for a message stanza matching pred.
func (f *fakeXMPP) waitMessage(t *testing.T, what string, pred func(translate.XMPPMessage) bool) translate.XMPPMessage {
	t.Helper()
	return waitIn(t, "no message: "+what, &f.mu, &f.messages, f.changed, pred)
}

func (f *fakeXMPP) countMessages(pred func(translate.XMPPMessage) bool) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, m := range f.messages {
		if pred(m) {
			n++
		}
	}
	return n
}

// waitChatSend waits for an MSRP send matching pred.
func (f *fakeSIP) waitChatSend(t *testing.T, what string, pred func(chatSend) bool) chatSend {
	t.Helper()
	return waitIn(t, "no MSRP send: "+what, &f.mu, &f.chatSends, f.changed, pred)
}

func errCondition(err error) string {
	var e *translate.Error
	if errors.As(err, &e) {
		return e.Condition
	}
	return ""
}

func errStatus(err error) int {
	var e *translate.Error
	if errors.As(err, &e) {
		return e.SIPStatus
	}
	return 0
}

func cpimBody(t *testing.T, b []byte) *simple.CPIM {
	t.Helper()
	c, err := simple.ParseCPIM(b)
	if err != nil {
		t.Fatalf("CPIM: %v\n%s", err, b)
	}
	return c
}

// XEP-0045 §7.2.3: presence of the others, then self with 110 (and 201
// for a new room), then the subject that ends the join.
func TestRoomJoinOrderAndStatus(t *testing.T) {
	g, x, _ := newRoomGateway(t, nil)
	joinXMPP(t, g, aliceFull, "alice")
	self := x.waitPresence(t, "alice self", func(p translate.XMPPPresence) bool {
		return p.To.Equal(aliceFull) && p.From.Equal(occ("alice")) && hasStatus(p, translate.StatusSelf)
	})
	if !hasStatus(self, translate.StatusCreated) || !hasStatus(self, translate.StatusNonAnonymous) ||
		self.MUCUser.Items[0].Affiliation != translate.AffiliationOwner || self.MUCUser.Items[0].Role != translate.RoleModerator {
		t.Fatalf("creator's self presence %+v", self.MUCUser)
	}
	x.waitMessage(t, "empty subject", func(m translate.XMPPMessage) bool {
		return m.To.Equal(aliceFull) && m.SubjectSet && m.Subject == "" && m.Type == translate.TypeGroupchat
	})
	joinXMPP(t, g, bobFull, "bob")
	x.waitMessage(t, "bob's subject", func(m translate.XMPPMessage) bool { return m.To.Equal(bobFull) && m.SubjectSet })
	x.mu.Lock()
	var toBob []string
	for _, p := range x.presences {
		if p.To.Equal(bobFull) {
			toBob = append(toBob, p.From.Resourcepart())
		}
	}
	x.mu.Unlock()
	if len(toBob) != 2 || toBob[0] != "alice" || toBob[1] != "bob" {
		t.Fatalf("bob got presence of %v, want alice then bob (self last)", toBob)
	}
	x.waitPresence(t, "alice sees bob", func(p translate.XMPPPresence) bool {
		return p.To.Equal(aliceFull) && p.From.Equal(occ("bob")) && p.MUCUser.Items[0].JID.Equal(bobFull)
	})
}

// Bad joins: no nick (jid-malformed), bad or long nicks (not-acceptable),
// a nick in use (conflict); the room keeps serving.
func TestRoomJoinErrors(t *testing.T) {
	g, _, _ := newRoomGateway(t, nil)
	ctx := context.Background()
	joinXMPP(t, g, aliceFull, "alice")
	for _, tc := range []struct {
		nick string
		cond string
	}{
		{"", translate.CondJIDMalformed},
		{strings.Repeat("n", 65), translate.CondNotAcceptable},
		{"\u0007bell", translate.CondNotAcceptable},
		{"ALICE", translate.CondConflict}, // RFC 8266 compares case-folded
	} {
		to := lobby
		if tc.nick != "" {
			var err error
			if to, err = lobby.WithResource(tc.nick); err != nil {
				continue // not even a valid resourcepart: the XMPP layer refuses it
			}
		}
		err := g.XMPPPresence(ctx, translate.XMPPPresence{From: bobFull, To: to, MUCJoin: &translate.MUCJoin{}})
		if got := errCondition(err); got != tc.cond {
			t.Errorf("join as %q: %v (%s), want %s", tc.nick, err, got, tc.cond)
		}
	}
	joinXMPP(t, g, bobFull, "bob")
}

// XEP-0045 §7.4: a groupchat message reaches every occupant once, the
// sender's reflection keeps the id; SIP occupants get CPIM from the
// sender's URI to the room (RFC 7702 §5 Table 4).
func TestRoomGroupchatFromXMPP(t *testing.T) {
	g, x, s := newRoomGateway(t, nil)
	ctx := context.Background()
	joinXMPP(t, g, aliceFull, "alice")
	joinXMPP(t, g, bobFull, "bob")
	if err := g.SIPRoomJoin(ctx, translate.SIPRoomJoin{ID: "s-carol", From: "sip:carol@sip.test", Display: "Carol", Room: "sip:lobby@" + confDomain, Nickname: true, PrivateMessages: true}); err != nil {
		t.Fatal(err)
	}
	if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: aliceFull, To: lobby, ID: "m1", Type: translate.TypeGroupchat, Body: "hello room"}); err != nil {
		t.Fatal(err)
	}
	for _, to := range []jid.JID{aliceFull, bobFull} {
		x.waitMessage(t, "copy to "+to.String(), func(m translate.XMPPMessage) bool {
			return m.To.Equal(to) && m.ID == "m1" && m.From.Equal(occ("alice")) && m.Body == "hello room" && m.Type == translate.TypeGroupchat
		})
	}
	cs := s.waitChatSend(t, "copy to carol", func(c chatSend) bool { return c.id == "s-carol" })
	c := cpimBody(t, cs.m.Body)
	if cs.m.ContentType != translate.ContentTypeCPIM || c.To[0] != "<sip:lobby@"+confDomain+">" || c.From[0] != `"alice" <sip:alice@xmpp.test>` || string(c.Body) != "hello room" {
		t.Fatalf("CPIM to carol: %+v", c)
	}
	if n := x.countMessages(func(m translate.XMPPMessage) bool { return m.ID == "m1" }); n != 2 {
		t.Fatalf("%d XMPP copies, want 2", n)
	}
	// Non-occupants may not speak (§7.4).
	err := g.XMPPMessage(ctx, translate.XMPPMessage{From: jid.MustParse("eve@xmpp.test/x"), To: lobby, Type: translate.TypeGroupchat, Body: "spam"})
	if errCondition(err) != translate.CondNotAcceptable {
		t.Fatalf("non-occupant message: %v", err)
	}
	// A room that does not exist.
	err = g.XMPPMessage(ctx, translate.XMPPMessage{From: aliceFull, To: jid.MustParse("nowhere@" + confDomain), Type: translate.TypeGroupchat, Body: "x"})
	if errCondition(err) != translate.CondItemNotFound {
		t.Fatalf("message to missing room: %v", err)
	}
}

// RFC 7701 §6.1: an MSRP participant's message reaches the XMPP
// occupants as groupchat and the other MSRP participants unchanged, not
// the sender; §6.2 private messages in both directions, 404 and 428.
func TestRoomMessagesFromSIP(t *testing.T) {
	g, x, s := newRoomGateway(t, nil)
	ctx := context.Background()
	joinXMPP(t, g, aliceFull, "alice")
	room := "sip:lobby@" + confDomain
	for _, j := range []translate.SIPRoomJoin{
		{ID: "s-carol", From: "sip:carol@sip.test", Display: "Carol", Room: room, PrivateMessages: true},
		{ID: "s-dave", From: "sip:dave@sip.test", Room: room},
	} {
		if err := g.SIPRoomJoin(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	x.waitPresence(t, "carol's presence", func(p translate.XMPPPresence) bool {
		return p.To.Equal(aliceFull) && p.From.Equal(occ("Carol")) && p.MUCUser.Items[0].JID.Equal(jid.MustParse("carol@sip.test"))
	})
	body := []byte("From: \"Carol\" <sip:carol@sip.test>\r\nTo: <" + room + ">\r\nDateTime: 2026-01-01T00:00:00Z\r\n\r\nContent-Type: text/plain\r\n\r\nhi all")
	msg := translate.SIPMessage{ContentType: translate.ContentTypeCPIM, Body: body, TransactionID: "t1"}
	if err := g.SIPRoomMessage(ctx, "s-carol", msg); err != nil {
		t.Fatal(err)
	}
	x.waitMessage(t, "groupchat from carol", func(m translate.XMPPMessage) bool {
		return m.To.Equal(aliceFull) && m.From.Equal(occ("Carol")) && m.Body == "hi all" && m.Type == translate.TypeGroupchat
	})
	cs := s.waitChatSend(t, "copy to dave", func(c chatSend) bool { return c.id == "s-dave" })
	if string(cs.m.Body) != string(body) {
		t.Fatalf("dave's copy was modified:\n%s", cs.m.Body)
	}
	s.mu.Lock()
	for _, c := range s.chatSends {
		if c.id == "s-carol" {
			t.Errorf("the sender got its own message back")
		}
	}
	s.mu.Unlock()

	// Private: carol -> alice by URI.
	pm := []byte("From: <sip:carol@sip.test>\r\nTo: <sip:alice@xmpp.test>\r\n\r\nContent-Type: text/plain\r\n\r\npsst")
	if err := g.SIPRoomMessage(ctx, "s-carol", translate.SIPMessage{ContentType: translate.ContentTypeCPIM, Body: pm}); err != nil {
		t.Fatal(err)
	}
	x.waitMessage(t, "private to alice", func(m translate.XMPPMessage) bool {
		return m.To.Equal(aliceFull) && m.Type == translate.TypeChat && m.Body == "psst" && m.From.Equal(occ("Carol"))
	})
	// Private: alice -> carol by nick.
	if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: aliceFull, To: occ("Carol"), Type: translate.TypeChat, Body: "hi carol", ID: "p2"}); err != nil {
		t.Fatal(err)
	}
	cs = s.waitChatSend(t, "private to carol", func(c chatSend) bool {
		return c.id == "s-carol" && strings.Contains(string(c.m.Body), "hi carol")
	})
	if c := cpimBody(t, cs.m.Body); c.To[0] != "<sip:carol@sip.test>" {
		t.Fatalf("private CPIM To %v", c.To)
	}
	// Errors.
	bad := func(to string) translate.SIPMessage {
		return translate.SIPMessage{ContentType: translate.ContentTypeCPIM, Body: []byte("From: <sip:carol@sip.test>\r\n" + to + "\r\nContent-Type: text/plain\r\n\r\nx")}
	}
	if err := g.SIPRoomMessage(ctx, "s-carol", bad("To: <sip:nobody@sip.test>\r\n")); errStatus(err) != 404 {
		t.Errorf("private to a non-participant: %v", err)
	}
	if err := g.SIPRoomMessage(ctx, "s-carol", bad("To: <sip:dave@sip.test>\r\n")); errStatus(err) != 428 {
		t.Errorf("private to a participant without private-messages: %v", err)
	}
	if err := g.SIPRoomMessage(ctx, "s-carol", bad("To: <sip:alice@xmpp.test>\r\nTo: <"+room+">\r\n")); errStatus(err) != 403 {
		t.Errorf("two To headers: %v", err)
	}
	if err := g.SIPRoomMessage(ctx, "s-dave", bad("To: <"+room+">\r\n")); errStatus(err) != 403 {
		t.Errorf("CPIM From of someone else: %v", err)
	}
	if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: aliceFull, To: occ("nobody"), Type: translate.TypeChat, Body: "x"}); errCondition(err) != translate.CondItemNotFound {
		t.Errorf("private to an unknown nick: %v", err)
	}
}

// RFC 7701 §7.1: NICKNAME 425 on conflict, 424 when malformed; a change
// reaches XMPP occupants as 303 (XEP-0045 §7.6).
func TestRoomSIPNickname(t *testing.T) {
	g, x, _ := newRoomGateway(t, nil)
	ctx := context.Background()
	joinXMPP(t, g, aliceFull, "alice")
	if err := g.SIPRoomJoin(ctx, translate.SIPRoomJoin{ID: "s1", From: "sip:carol@sip.test", Room: "sip:lobby@" + confDomain, Nickname: true}); err != nil {
		t.Fatal(err)
	}
	if err := g.SIPRoomNickname(ctx, "s1", "Alice"); errStatus(err) != 425 {
		t.Fatalf("nick in use: %v", err)
	}
	if err := g.SIPRoomNickname(ctx, "s1", ""); errStatus(err) != 424 {
		t.Fatalf("empty nick: %v", err)
	}
	if err := g.SIPRoomNickname(ctx, "s1", "Caz"); err != nil {
		t.Fatal(err)
	}
	gone := x.waitPresence(t, "303", func(p translate.XMPPPresence) bool {
		return p.To.Equal(aliceFull) && p.Type == translate.PresenceUnavailable && hasStatus(p, translate.StatusNickChanged)
	})
	if !gone.From.Equal(occ("carol")) || gone.MUCUser.Items[0].Nick != "Caz" {
		t.Fatalf("303 presence %+v", gone)
	}
	x.waitPresence(t, "new nick", func(p translate.XMPPPresence) bool {
		return p.To.Equal(aliceFull) && p.From.Equal(occ("Caz")) && p.Type == ""
	})
	if err := g.SIPRoomNickname(ctx, "nope", "x"); errStatus(err) != 481 {
		t.Fatalf("unknown session: %v", err)
	}
}

// RFC 4575: a conference subscription gets the full list, then partial
// updates on join and leave; RFC 7701 §7.4 nicknames.
func TestRoomConferenceInfo(t *testing.T) {
	g, _, s := newRoomGateway(t, nil)
	ctx := context.Background()
	joinXMPP(t, g, aliceFull, "alice")
	if err := g.SIPRoomJoin(ctx, translate.SIPRoomJoin{ID: "s1", From: "sip:carol@sip.test", Room: "sip:lobby@" + confDomain}); err != nil {
		t.Fatal(err)
	}
	sub := translate.SIPSubscribe{New: true, Event: "conference", RequestURI: "sip:lobby@" + confDomain, Expires: 600,
		Dialog: translate.SIPDialog{CallID: "c1", LocalTag: "l1", RemoteTag: "r1", RemoteURI: "sip:carol@sip.test"}}
	exp, after, err := g.SIPSubscribe(ctx, sub)
	if err != nil || exp != 600 {
		t.Fatalf("SUBSCRIBE: %d %v", exp, err)
	}
	after()
	n := s.waitNotify(t, 1)
	ci, err := simple.ParseConferenceInfo(n.Body)
	if err != nil || n.Event != "conference" || n.State != translate.SubStateActive {
		t.Fatalf("first NOTIFY %+v: %v", n, err)
	}
	if ci.State != simple.ConferenceFull || ci.Version != 1 || len(ci.Users.Users) != 2 {
		t.Fatalf("full document: %+v", ci)
	}
	u := ci.Users.Users[0]
	if u.Entity != "sip:alice@xmpp.test" || u.Nickname != "alice" || u.AssociatedAORs[0] != "xmpp:"+aliceFull.String() {
		t.Fatalf("alice's entry %+v", u)
	}
	joinXMPP(t, g, bobFull, "bob")
	n = s.waitNotify(t, 2)
	ci, _ = simple.ParseConferenceInfo(n.Body)
	if ci.State != simple.ConferencePartial || ci.Version != 2 || len(ci.Users.Users) != 1 || ci.Users.Users[0].Entity != "sip:bob@xmpp.test" {
		t.Fatalf("join update: %+v", ci.Users)
	}
	if err := g.XMPPPresence(ctx, translate.XMPPPresence{From: bobFull, To: occ("bob"), Type: translate.PresenceUnavailable}); err != nil {
		t.Fatal(err)
	}
	n = s.waitNotify(t, 3)
	ci, _ = simple.ParseConferenceInfo(n.Body)
	if ci.Version != 3 || len(ci.Users.Users) != 1 || ci.Users.Users[0].State != simple.ConferenceDeleted {
		t.Fatalf("leave update: %+v", ci.Users)
	}
	// Unsubscribe: terminated.
	sub.New, sub.Expires = false, 0
	if _, after, err = g.SIPSubscribe(ctx, sub); err != nil {
		t.Fatal(err)
	}
	after()
	if n = s.waitNotify(t, 4); n.State != translate.SubStateTerminated {
		t.Fatalf("unsubscribe NOTIFY %+v", n)
	}
	// A conference that does not exist.
	sub = translate.SIPSubscribe{New: true, Event: "conference", RequestURI: "sip:none@" + confDomain, Expires: 60,
		Dialog: translate.SIPDialog{CallID: "c2", LocalTag: "l2"}}
	if _, _, err := g.SIPSubscribe(ctx, sub); errStatus(err) != 404 {
		t.Fatalf("subscribe to a missing room: %v", err)
	}
}

// RFC 4579 §5.5: a participant's REFER invites an XMPP user (mediated
// invitation) or a SIP user (INVITE from the room); outsiders get 403;
// §5.11 method=BYE by a moderator kicks (307).
func TestRoomInvitations(t *testing.T) {
	g, x, s := newRoomGateway(t, nil)
	ctx := context.Background()
	room := "sip:lobby@" + confDomain
	if err := g.SIPRoomJoin(ctx, translate.SIPRoomJoin{ID: "s1", From: "sip:carol@sip.test", Room: room}); err != nil {
		t.Fatal(err)
	}
	if err := g.SIPRefer(ctx, translate.SIPRefer{From: "sip:carol@sip.test", Room: room, Target: "sip:alice@xmpp.test", Method: "INVITE"}); err != nil {
		t.Fatal(err)
	}
	inv := x.waitMessage(t, "mediated invitation", func(m translate.XMPPMessage) bool {
		return m.To.Equal(jid.MustParse("alice@xmpp.test")) && m.MUCUser != nil && len(m.MUCUser.Invites) == 1
	})
	if !inv.From.Equal(lobby) || !inv.MUCUser.Invites[0].From.Equal(jid.MustParse("carol@sip.test")) {
		t.Fatalf("invitation %+v", inv)
	}
	if err := g.SIPRefer(ctx, translate.SIPRefer{From: "sip:mallory@sip.test", Room: room, Target: "sip:alice@xmpp.test"}); errStatus(err) != 403 {
		t.Fatalf("outsider's REFER: %v", err)
	}
	if err := g.SIPRefer(ctx, translate.SIPRefer{From: "sip:carol@sip.test", Room: "sip:none@" + confDomain, Target: "sip:alice@xmpp.test"}); errStatus(err) != 404 {
		t.Fatalf("REFER to a missing room: %v", err)
	}
	// An XMPP occupant invites a SIP user: INVITE from the room.
	joinXMPP(t, g, aliceFull, "alice")
	if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: aliceFull, To: lobby,
		MUCUser: &translate.MUCUser{Invites: []translate.MUCInvite{{To: jid.MustParse("dave@sip.test"), Reason: "join us"}}}}); err != nil {
		t.Fatal(err)
	}
	x.waitPresence(t, "dave joined after accepting", func(p translate.XMPPPresence) bool {
		return p.To.Equal(aliceFull) && p.From.Equal(occ("dave"))
	})
	s.mu.Lock()
	start := s.chatStarts[0]
	s.mu.Unlock()
	if !start.Room || start.From != room || start.To != "sip:dave@sip.test" {
		t.Fatalf("ChatStart %+v", start)
	}
	// carol created the room: moderator; she removes dave.
	if err := g.SIPRefer(ctx, translate.SIPRefer{From: "sip:carol@sip.test", Room: room, Target: "sip:dave@sip.test", Method: "BYE"}); err != nil {
		t.Fatal(err)
	}
	x.waitPresence(t, "dave kicked", func(p translate.XMPPPresence) bool {
		return p.To.Equal(aliceFull) && p.From.Equal(occ("dave")) && p.Type == translate.PresenceUnavailable && hasStatus(p, translate.StatusKicked)
	})
	s.mu.Lock()
	ended := slices.Contains(s.chatEnds, "started-")
	s.mu.Unlock()
	if !ended {
		t.Fatalf("dave's session not ended: %v", s.chatEnds)
	}
}

// XEP-0045 §7.2.15: history with delays, limited by the join's
// maxstanzas and by the room's size.
func TestRoomHistory(t *testing.T) {
	g, x, _ := newRoomGateway(t, nil)
	ctx := context.Background()
	joinXMPP(t, g, aliceFull, "alice")
	for i := range 5 {
		if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: aliceFull, To: lobby, ID: "h" + string(rune('0'+i)), Type: translate.TypeGroupchat, Body: "msg"}); err != nil {
			t.Fatal(err)
		}
	}
	to, _ := lobby.WithResource("bob")
	if err := g.XMPPPresence(ctx, translate.XMPPPresence{From: bobFull, To: to, MUCJoin: &translate.MUCJoin{MaxChars: -1, MaxStanzas: 2, Seconds: -1}}); err != nil {
		t.Fatal(err)
	}
	x.waitMessage(t, "subject", func(m translate.XMPPMessage) bool { return m.To.Equal(bobFull) && m.SubjectSet })
	x.mu.Lock()
	var ids []string
	for _, m := range x.messages {
		if m.To.Equal(bobFull) && m.Body != "" {
			if m.Delay == nil || !m.Delay.From.Equal(lobby) {
				t.Errorf("history without delay: %+v", m)
			}
			ids = append(ids, m.ID)
		}
	}
	x.mu.Unlock()
	if !slices.Equal(ids, []string{"h3", "h4"}) {
		t.Fatalf("history %v, want the last two", ids)
	}
}

// Persistent rooms survive a restart with their subject (store), and
// empty temporary rooms disappear.
func TestRoomPersistence(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "rooms.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, _, _ := newRoomGateway(t, st)
	joinXMPP(t, g, aliceFull, "alice")
	if _, err := g.XMPPMUCOwner(ctx, translate.MUCOwner{From: aliceFull, To: lobby, Set: true, Submit: true,
		Fields: map[string][]string{"muc#roomconfig_persistentroom": {"1"}}}); err != nil {
		t.Fatal(err)
	}
	if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: aliceFull, To: lobby, Type: translate.TypeGroupchat, Subject: "Welcome"}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.XMPPMUCOwner(ctx, translate.MUCOwner{From: bobFull, To: lobby}); errStatus(err) != 403 {
		t.Fatalf("non-owner config: %v", err)
	}
	if err := g.XMPPPresence(ctx, translate.XMPPPresence{From: aliceFull, To: occ("alice"), Type: translate.PresenceUnavailable}); err != nil {
		t.Fatal(err)
	}
	joinXMPP(t, g, aliceFull, "alice")
	if err := g.XMPPPresence(ctx, translate.XMPPPresence{From: aliceFull, To: jid.MustParse("tmp@" + confDomain + "/alice"), MUCJoin: &translate.MUCJoin{}}); err != nil {
		t.Fatal(err)
	}
	if err := g.XMPPPresence(ctx, translate.XMPPPresence{From: aliceFull, To: jid.MustParse("tmp@" + confDomain + "/alice"), Type: translate.PresenceUnavailable}); err != nil {
		t.Fatal(err)
	}
	if g.rooms.get("tmp") != nil {
		t.Fatal("an empty temporary room was kept")
	}
	// The store writes go through the room's queue: wait for it.
	for deadline := time.Now().Add(5 * time.Second); !g.Idle() && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	g2, x2, _ := newRoomGateway(t, st, "configured")
	if err := g2.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := g2.XMPPDisco(ctx, translate.DiscoQuery{From: bobFull, To: jid.MustParse(confDomain), Items: true})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, it := range res.Items {
		names = append(names, it.JID.Localpart())
	}
	if !slices.Equal(names, []string{"configured", "lobby"}) {
		t.Fatalf("rooms after restart: %v", names)
	}
	joinXMPP(t, g2, bobFull, "bob")
	x2.waitMessage(t, "stored subject", func(m translate.XMPPMessage) bool { return m.To.Equal(bobFull) && m.Subject == "Welcome" })
	info, err := g2.XMPPDisco(ctx, translate.DiscoQuery{From: bobFull, To: lobby})
	if err != nil || !slices.Contains(info.Features, "muc_persistent") || !slices.Contains(info.Features, nsMUC) {
		t.Fatalf("room info %+v %v", info, err)
	}
}

// XEP-0045 §8.2: a moderator kicks by nick; others may not.
func TestRoomKick(t *testing.T) {
	g, x, _ := newRoomGateway(t, nil)
	ctx := context.Background()
	joinXMPP(t, g, aliceFull, "alice")
	joinXMPP(t, g, bobFull, "bob")
	if _, err := g.XMPPMUCAdmin(ctx, translate.MUCAdmin{From: bobFull, To: lobby, Set: true, Items: []translate.MUCItem{{Nick: "alice", Role: translate.RoleNone}}}); errStatus(err) != 403 {
		t.Fatalf("participant kicking: %v", err)
	}
	if _, err := g.XMPPMUCAdmin(ctx, translate.MUCAdmin{From: aliceFull, To: lobby, Set: true, Items: []translate.MUCItem{{Nick: "bob", Role: translate.RoleNone}}}); err != nil {
		t.Fatal(err)
	}
	x.waitPresence(t, "bob's own 307", func(p translate.XMPPPresence) bool {
		return p.To.Equal(bobFull) && p.Type == translate.PresenceUnavailable && hasStatus(p, translate.StatusKicked) && hasStatus(p, translate.StatusSelf)
	})
	err := g.XMPPMessage(ctx, translate.XMPPMessage{From: bobFull, To: lobby, Type: translate.TypeGroupchat, Body: "still here?"})
	if errCondition(err) != translate.CondNotAcceptable {
		t.Fatalf("kicked occupant speaking: %v", err)
	}
}

// stuckSIP is a SIP side whose NOTIFYs never get an answer; it reports
// how each one ended.
type stuckSIP struct {
	*fakeSIP
	started chan struct{}
	ended   chan error
}

func (s stuckSIP) Notify(ctx context.Context, d translate.SIPDialog, _ translate.SIPNotify) (translate.SIPDialog, error) {
	s.started <- struct{}{}
	<-ctx.Done()
	s.ended <- ctx.Err()
	return d, ctx.Err()
}

// Close gives up on queued work stuck on a peer that does not answer
// instead of holding the shutdown for the transaction timeout.
func TestCloseEndsStuckWork(t *testing.T) {
	g, err := New(Options{Domains: []string{"sip.test"}, ConferenceDomain: confDomain, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	stuck := stuckSIP{newFakeSIP(), make(chan struct{}, 4), make(chan error, 4)}
	g.Attach(newFakeXMPP(), stuck)
	ctx := context.Background()
	joinXMPP(t, g, aliceFull, "alice")
	sub := translate.SIPSubscribe{New: true, Event: "conference", RequestURI: "sip:lobby@" + confDomain, Expires: 600,
		Dialog: translate.SIPDialog{CallID: "c1", LocalTag: "l1", RemoteURI: "sip:carol@sip.test"}}
	_, after, err := g.SIPSubscribe(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	after()
	select {
	case <-stuck.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the NOTIFY never started")
	}
	g.Close()
	// Close returned, so the job ended; it ended by cancellation, not by
	// its 32-second deadline.
	if err := <-stuck.ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("the stuck NOTIFY ended with %v, want cancellation by Close", err)
	}
}

// blockingXMPP is an XMPP side whose sends wait until released.
type blockingXMPP struct {
	*fakeXMPP
	release chan struct{}
}

func (b blockingXMPP) SendMessage(ctx context.Context, m translate.XMPPMessage) error {
	select {
	case <-b.release:
	case <-ctx.Done():
	}
	return b.fakeXMPP.SendMessage(ctx, m)
}

// A flood fills the room's queue: further messages are refused with
// resource-constraint / 503 and nothing else breaks; once the backlog
// drains, the room serves again.
func TestRoomFlood(t *testing.T) {
	g, err := New(Options{Domains: []string{"sip.test"}, ConferenceDomain: confDomain, QueueLimit: 4, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	x := blockingXMPP{newFakeXMPP(), make(chan struct{})}
	g.Attach(x, newFakeSIP())
	defer g.Close()
	ctx := context.Background()
	joinXMPP(t, g, aliceFull, "alice") // its join job blocks on the first send
	refused := 0
	for i := range 20 {
		err := g.XMPPMessage(ctx, translate.XMPPMessage{From: aliceFull, To: lobby, ID: "f" + string(rune('a'+i)), Type: translate.TypeGroupchat, Body: "flood"})
		if err != nil {
			if errCondition(err) != translate.CondResourceConstraint || errStatus(err) != 503 {
				t.Fatalf("flood refusal: %v", err)
			}
			refused++
		}
	}
	if refused == 0 {
		t.Fatal("a flood of 20 messages into a queue of 4 was never refused")
	}
	close(x.release)
	// The room serves again: a new message is taken and reflected.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := g.XMPPMessage(ctx, translate.XMPPMessage{From: aliceFull, To: lobby, ID: "after", Type: translate.TypeGroupchat, Body: "calm"})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the room still refuses after the flood: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	x.waitMessage(t, "reflection after the flood", func(m translate.XMPPMessage) bool { return m.ID == "after" && m.To.Equal(aliceFull) })
}

// XEP-0410: a self-ping says whether the sender is still in the room
// under that nick.
func TestRoomSelfPing(t *testing.T) {
	g, _, _ := newRoomGateway(t, nil)
	ctx := context.Background()
	joinXMPP(t, g, aliceFull, "alice")
	if err := g.XMPPRoomPing(ctx, aliceFull, occ("alice")); err != nil {
		t.Fatalf("joined occupant: %v", err)
	}
	for _, tc := range []struct {
		from jid.JID
		to   jid.JID
	}{
		{aliceFull, occ("other")},
		{bobFull, occ("alice")},
		{aliceFull, jid.MustParse("nowhere@" + confDomain + "/alice")},
	} {
		if err := g.XMPPRoomPing(ctx, tc.from, tc.to); errCondition(err) != translate.CondNotAcceptable {
			t.Errorf("ping from %s to %s: %v, want not-acceptable", tc.from, tc.to, err)
		}
	}
}

// XEP-0249 direct invitations, like mediated ones, come from occupants
// only; a message carries a bounded number of invitations.
func TestRoomInvitationLimits(t *testing.T) {
	g, _, s := newRoomGateway(t, nil)
	ctx := context.Background()
	joinXMPP(t, g, aliceFull, "alice")
	err := g.XMPPMessage(ctx, translate.XMPPMessage{From: bobFull, To: jid.MustParse("dave@sip.test"),
		DirectInvite: &translate.DirectInvite{Room: lobby}})
	if errCondition(err) != translate.CondForbidden {
		t.Fatalf("direct invitation from an outsider: %v", err)
	}
	var invites []translate.MUCInvite
	for i := range maxInvitesEach + 1 {
		invites = append(invites, translate.MUCInvite{To: jid.MustParse("u" + strconv.Itoa(i) + "@xmpp.test")})
	}
	err = g.XMPPMessage(ctx, translate.XMPPMessage{From: aliceFull, To: lobby, MUCUser: &translate.MUCUser{Invites: invites}})
	if errCondition(err) != translate.CondPolicyViolation {
		t.Fatalf("%d invitations in one message: %v", len(invites), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.chatStarts) != 0 {
		t.Fatalf("refused invitations still dialled: %+v", s.chatStarts)
	}
}

// A SIP invitee whose session ends before its join is recorded does not
// join afterwards as a ghost.
func TestRoomNoGhostAfterEarlyLeave(t *testing.T) {
	g, _, _ := newRoomGateway(t, nil)
	ctx := context.Background()
	g.SIPRoomLeave(ctx, "early")
	err := g.SIPRoomJoin(ctx, translate.SIPRoomJoin{ID: "early", From: "sip:carol@sip.test", Room: "sip:lobby@" + confDomain})
	if errStatus(err) != 481 {
		t.Fatalf("join of an ended session: %v", err)
	}
	if g.rooms.get("lobby") != nil {
		t.Fatal("the refused join left a room behind")
	}
}
