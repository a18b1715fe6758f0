//go:build interop && linux

package interop

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sxgw/sxgw/internal/dnsres"
	"github.com/sxgw/sxgw/sip"
	"github.com/sxgw/sxgw/sip/msrp"
	"github.com/sxgw/sxgw/sip/simple"
	"github.com/sxgw/sxgw/translate"
)

const (
	lobbyJID = "lobby@" + conferenceDomain
	lobbyURI = "sip:lobby@" + conferenceDomain
	nsMUC    = "http://jabber.org/protocol/muc"
)

// roomUser is an MSRP chat room participant built on the project's SIP and
// MSRP stacks (Debian has no MSRP client): a SIP UA that joins with an
// INVITE offering MSRP with a=chatroom (RFC 7701 §5.2), subscribes to the
// conference event package, and records the NOTIFYs it gets.
type roomUser struct {
	name   string
	uri    string
	ua     *sip.Endpoint
	me     *msrp.Endpoint
	sess   *msrp.Session
	inbox  msrpInbox
	dialog translate.SIPDialog

	mu       sync.Mutex
	notifies []translate.SIPNotify
	changed  chan struct{}
}

// The UA side of sip.Inbound: only NOTIFYs are expected.
func (u *roomUser) SIPMessage(context.Context, translate.SIPMessage) error {
	return &sip.StatusError{Code: 405, Reason: "Method Not Allowed"}
}
func (u *roomUser) SIPSubscribe(context.Context, translate.SIPSubscribe) (int, func(), error) {
	return 0, nil, &sip.StatusError{Code: 489, Reason: "Bad Event"}
}
func (u *roomUser) SIPNotify(_ context.Context, n translate.SIPNotify) error {
	u.mu.Lock()
	u.notifies = append(u.notifies, n)
	u.mu.Unlock()
	select {
	case u.changed <- struct{}{}:
	default:
	}
	return nil
}
func (u *roomUser) SIPInvite(context.Context, translate.SIPInvite, func(int)) ([]byte, error) {
	return nil, &sip.StatusError{Code: 488, Reason: "Not Acceptable Here"}
}
func (u *roomUser) SIPAck(context.Context, translate.SIPDialog)       {}
func (u *roomUser) SIPBye(context.Context, translate.SIPDialog) error { return nil }

// conferenceDoc waits for a NOTIFY whose conference-info document
// satisfies pred and returns the document.
func (u *roomUser) conferenceDoc(ctx context.Context, pred func(*simple.ConferenceInfo) bool) (*simple.ConferenceInfo, error) {
	seen := 0
	for {
		u.mu.Lock()
		list := u.notifies[seen:]
		seen = len(u.notifies)
		u.mu.Unlock()
		for _, n := range list {
			if n.ContentType != simple.ContentTypeConferenceInfo {
				continue
			}
			ci, err := simple.ParseConferenceInfo(n.Body)
			if err != nil {
				return nil, err
			}
			if pred(ci) {
				return ci, nil
			}
		}
		select {
		case <-u.changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// startRoomUser starts a participant's SIP UA and MSRP endpoint; join
// makes it enter the room.
func startRoomUser(t *testing.T, name string) *roomUser {
	t.Helper()
	res, err := dnsres.New(dnsres.Options{Server: dnsAddr})
	if err != nil {
		t.Fatal(err)
	}
	u := &roomUser{name: name, uri: "sip:" + name + "@" + sxgwDomain, inbox: make(msrpInbox, 64), changed: make(chan struct{}, 1)}
	// UDP and TCP on one port: conference documents outgrow UDP, and
	// larger requests come over TCP (RFC 3261 §18.1.1).
	port := strconv.Itoa(freeUDPPort(t))
	u.ua, err = sip.New(sip.Options{Listen: []string{"udp:127.0.0.1:" + port, "tcp:127.0.0.1:" + port}, Domains: []string{sxgwDomain},
		TrustedPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Resolver: res})
	if err != nil {
		t.Fatal(err)
	}
	u.ua.ServeSubscriptions(u, []string{"conference"}, []string{simple.ContentTypeConferenceInfo})
	if err := u.ua.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = u.ua.Close() })
	u.me, err = msrp.NewEndpoint(msrp.EndpointOptions{Listen: "127.0.0.1:0", Host: "127.0.0.1", ConnectTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := u.me.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = u.me.Close(ctx)
	})
	return u
}

// join sends the INVITE to the room through sxgw and connects the MSRP
// session the answer describes.
func (u *roomUser) join(ctx context.Context, t *testing.T) {
	t.Helper()
	u.sess = u.me.NewSession(u.inbox, []string{"*"})
	port := u.me.Addr().(*net.TCPAddr).Port
	offer := msrp.BuildSDP("127.0.0.1", 1, 1, msrp.Media{Port: port, Path: u.sess.LocalPath(),
		AcceptTypes: []string{"message/cpim"}, AcceptWrappedTypes: []string{"text/plain"},
		Setup: msrp.SetupActPass, Chatroom: []string{"nickname", "private-messages"}})
	d := translate.SIPDialog{CallID: u.name + "-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "@ua", LocalTag: u.name + "-tag",
		LocalURI: u.uri, RemoteURI: lobbyURI}
	d, answer, err := u.ua.Invite(ctx, d, offer, "", nil)
	if err != nil {
		t.Fatalf("%s's INVITE to the room: %v", u.name, err)
	}
	media, _, err := msrp.ParseMedia(answer)
	if err != nil {
		t.Fatalf("%s: answer: %v\n%s", u.name, err, answer)
	}
	if !strings.Contains(strings.Join(media.Chatroom, " "), "nickname") {
		t.Errorf("the room's answer lacks a=chatroom:nickname:\n%s", answer)
	}
	if err := u.sess.Connect(ctx, media.Path, media.Setup != msrp.SetupActive); err != nil {
		t.Fatalf("%s: MSRP connect: %v", u.name, err)
	}
	u.dialog = d
}

// say sends a message/cpim to the room or (to != "") privately.
func (u *roomUser) say(ctx context.Context, to, text string) error {
	if to == "" {
		to = lobbyURI
	}
	c := &simple.CPIM{From: []string{"<" + u.uri + ">"}, To: []string{"<" + to + ">"},
		DateTime: time.Now().UTC(), ContentType: "text/plain; charset=utf-8", Body: []byte(text)}
	b, err := c.Marshal()
	if err != nil {
		return err
	}
	_, err = u.sess.Send(ctx, "message/cpim", b, false, "")
	return err
}

// expectMSRP waits for a message on u's session whose CPIM body contains
// text, and returns the parsed CPIM.
func (u *roomUser) expectMSRP(ctx context.Context, text string) (*simple.CPIM, error) {
	for {
		select {
		case m := <-u.inbox:
			c, err := simple.ParseCPIM(m.Body)
			if err != nil {
				continue
			}
			if strings.Contains(string(c.Body), text) {
				return c, nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// mucJoin sends XEP-0045 §7.2.1 join presence from c as nick.
func mucJoin(ctx context.Context, c *xmppClient, nick string) {
	c.MustCommand(ctx, map[string]any{"cmd": "send_raw", "xml": `<presence xmlns="jabber:client" to="` + lobbyJID + `/` + nick +
		`"><x xmlns="` + nsMUC + `"><history maxstanzas="0"/></x></presence>`})
}

// isPresenceFrom matches a presence event from room/nick carrying want
// in its XML.
func isPresenceFrom(nick string, want ...string) func(xmppEvent) bool {
	return func(e xmppEvent) bool {
		if e.Str("event") != "presence" || e.Str("from") != lobbyJID+"/"+nick {
			return false
		}
		for _, w := range want {
			if !strings.Contains(e.Str("xml"), w) {
				return false
			}
		}
		return true
	}
}

func isGroupchat(nick, body string) func(xmppEvent) bool {
	return func(e xmppEvent) bool {
		return e.Str("event") == "message" && e.Str("type") == "groupchat" && e.Str("from") == lobbyJID+"/"+nick && e.Str("body") == body
	}
}

// TestRooms: sxgw hosts lobby@conference.sip.test for both sides (RFC
// 7701/7702, XEP-0045). alice and bob join from Prosody over s2s, carol
// and dave as MSRP participants; every message reaches the other three
// once and alice gets her reflection; private messages cross both ways;
// nickname conflicts are refused on each side; conference-info lists all
// four and follows a leave; sipp joins, REFERs alice (who gets the
// invitation) and leaves; alice's invitation of a SIP user becomes an
// INVITE from the room.
func TestRooms(t *testing.T) {
	f := startFederation(t)
	alice := startXMPPClient(t, f.prosody, "alice")
	bob := startXMPPClient(t, f.prosody, "bob")
	ctx := testContext(t, 2*federationWait)

	// XMPP joins (XEP-0045 §7.2): self-presence with 110, subject last.
	mucJoin(ctx, alice, "alice")
	if _, err := alice.WaitEvent(ctx, isPresenceFrom("alice", `code="110"`, `code="201"`)); err != nil {
		t.Fatalf("alice did not enter the room: %v", err)
	}
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "message" && e.Str("from") == lobbyJID && strings.Contains(e.Str("xml"), "<subject")
	}); err != nil {
		t.Fatalf("alice got no subject at the end of her join: %v", err)
	}
	mucJoin(ctx, bob, "bob")
	if _, err := bob.WaitEvent(ctx, isPresenceFrom("bob", `code="110"`)); err != nil {
		t.Fatalf("bob did not enter the room: %v", err)
	}
	if _, err := bob.WaitEvent(ctx, isPresenceFrom("alice", `affiliation="owner"`)); err != nil {
		t.Fatalf("bob was not told alice is in the room: %v", err)
	}
	// XMPP nick conflict (§7.2.9): bob asks for alice's nick.
	bob.MustCommand(ctx, map[string]any{"cmd": "send_raw", "xml": `<presence xmlns="jabber:client" to="` + lobbyJID + `/alice"/>`})
	if _, err := bob.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "presence" && e.Str("type") == "error" && strings.Contains(e.Str("xml"), "<conflict")
	}); err != nil {
		t.Fatalf("bob's nick change to alice was not refused with conflict: %v", err)
	}

	// MSRP participants (RFC 7701). The room's SIP face is sxgw.
	_, sipPort, _ := net.SplitHostPort(f.sxgw.SIPAddr)
	sp, _ := strconv.Atoi(sipPort)
	publishSRV(f.dns, "_sip._udp."+conferenceDomain, "sip-gw."+conferenceDomain, sp)
	f.dns.AddA("sip-gw."+conferenceDomain, "127.0.0.1")
	carol, dave := startRoomUser(t, "carol"), startRoomUser(t, "dave")
	for _, u := range []*roomUser{carol, dave} {
		u.join(ctx, t)
	}
	if err := carol.sess.SetNickname(ctx, "Carol"); err != nil {
		t.Fatalf("carol's NICKNAME: %v", err)
	}
	var se *msrp.StatusError
	if err := dave.sess.SetNickname(ctx, "alice"); !errors.As(err, &se) || se.Code != 425 {
		t.Fatalf("dave's NICKNAME alice = %v, want 425 (RFC 7701 §7.1)", err)
	}
	if err := dave.sess.SetNickname(ctx, "Dave"); err != nil {
		t.Fatalf("dave's NICKNAME: %v", err)
	}
	for _, nick := range []string{"Carol", "Dave"} {
		if _, err := alice.WaitEvent(ctx, isPresenceFrom(nick, `jid="`+strings.ToLower(nick)+`@`+sxgwDomain)); err != nil {
			t.Fatalf("alice does not see %s in the room: %v", nick, err)
		}
	}
	// Conference event package: all four, with nicknames (RFC 4575, RFC
	// 7701 §7.4).
	sub := translate.SIPDialog{CallID: "confsub-" + strconv.FormatInt(time.Now().UnixNano(), 36), LocalTag: "carol-sub",
		LocalURI: carol.uri, RemoteURI: lobbyURI}
	if _, _, err := carol.ua.Subscribe(ctx, sub, "conference", 600, []string{simple.ContentTypeConferenceInfo}); err != nil {
		t.Fatalf("carol's SUBSCRIBE to the conference: %v", err)
	}
	if _, err := carol.conferenceDoc(ctx, func(ci *simple.ConferenceInfo) bool {
		if ci.State != simple.ConferenceFull || ci.Users == nil {
			return false
		}
		nicks := map[string]string{}
		for _, u := range ci.Users.Users {
			nicks[u.Entity] = u.Nickname
		}
		return len(nicks) == 4 && nicks["sip:alice@"+prosodyDomain] == "alice" && nicks["sip:bob@"+prosodyDomain] == "bob" &&
			nicks[carol.uri] == "Carol" && nicks[dave.uri] == "Dave"
	}); err != nil {
		carol.mu.Lock()
		for _, n := range carol.notifies {
			t.Logf("NOTIFY %s %s:\n%s", n.Event, n.State, n.Body)
		}
		carol.mu.Unlock()
		t.Fatalf("no conference-info listing the four participants: %v", err)
	}

	// Messages: each of the four reaches the other three once.
	alice.MustCommand(ctx, map[string]any{"cmd": "send_raw", "xml": `<message xmlns="jabber:client" to="` + lobbyJID + `" type="groupchat" id="a1"><body>hello from alice</body></message>`})
	refl, err := alice.WaitEvent(ctx, isGroupchat("alice", "hello from alice"))
	if err != nil || refl.Str("id") != "a1" {
		t.Fatalf("alice's reflection (same id): %v %v", refl, err)
	}
	if _, err := bob.WaitEvent(ctx, isGroupchat("alice", "hello from alice")); err != nil {
		t.Fatalf("bob did not get alice's message: %v", err)
	}
	for _, u := range []*roomUser{carol, dave} {
		c, err := u.expectMSRP(ctx, "hello from alice")
		if err != nil {
			t.Fatalf("%s did not get alice's message over MSRP: %v", u.name, err)
		}
		if len(c.To) != 1 || c.To[0] != "<"+lobbyURI+">" || !strings.Contains(c.From[0], "sip:alice@"+prosodyDomain) {
			t.Errorf("CPIM to %s: From %v To %v", u.name, c.From, c.To)
		}
	}
	if err := carol.say(ctx, "", "hello from carol"); err != nil {
		t.Fatalf("carol's SEND: %v", err)
	}
	for _, c := range []*xmppClient{alice, bob} {
		if _, err := c.WaitEvent(ctx, isGroupchat("Carol", "hello from carol")); err != nil {
			t.Fatalf("%s did not get carol's message: %v", c.JID(), err)
		}
	}
	if _, err := dave.expectMSRP(ctx, "hello from carol"); err != nil {
		t.Fatalf("dave did not get carol's message: %v", err)
	}
	if err := dave.say(ctx, "", "hello from dave"); err != nil {
		t.Fatal(err)
	}
	if _, err := carol.expectMSRP(ctx, "hello from dave"); err != nil {
		t.Fatalf("carol did not get dave's message: %v", err)
	}
	bob.MustCommand(ctx, map[string]any{"cmd": "send_raw", "xml": `<message xmlns="jabber:client" to="` + lobbyJID + `" type="groupchat" id="b1"><body>hello from bob</body></message>`})
	if _, err := alice.WaitEvent(ctx, isGroupchat("bob", "hello from bob")); err != nil {
		t.Fatalf("alice did not get bob's message: %v", err)
	}
	for _, u := range []*roomUser{carol, dave} {
		if _, err := u.expectMSRP(ctx, "hello from bob"); err != nil {
			t.Fatalf("%s did not get bob's message: %v", u.name, err)
		}
	}
	for _, c := range []*xmppClient{alice, bob} {
		if _, err := c.WaitEvent(ctx, isGroupchat("Dave", "hello from dave")); err != nil {
			t.Fatalf("%s did not get dave's message: %v", c.JID(), err)
		}
	}
	if _, err := bob.WaitEvent(ctx, isGroupchat("bob", "hello from bob")); err != nil {
		t.Fatalf("bob did not get his reflection: %v", err)
	}
	// Exactly once: nobody got a second copy, and carol not her own.
	time.Sleep(500 * time.Millisecond)
	for _, c := range []*xmppClient{alice, bob} {
		for _, body := range []string{"hello from alice", "hello from carol", "hello from bob", "hello from dave"} {
			if ev, err := c.WaitEvent(testContext(t, 50*time.Millisecond), func(e xmppEvent) bool {
				return e.Str("event") == "message" && e.Str("body") == body
			}); err == nil {
				t.Errorf("%s got %q twice: %s", c.JID(), body, ev.Str("xml"))
			}
		}
	}
	select {
	case m := <-carol.inbox:
		t.Errorf("carol got an extra MSRP message: %s", m.Body)
	default:
	}

	// Private messages (RFC 7701 §6.2, XEP-0045 §7.5).
	alice.MustCommand(ctx, map[string]any{"cmd": "send_raw", "xml": `<message xmlns="jabber:client" to="` + lobbyJID + `/Carol" type="chat" id="pm1"><body>psst carol</body></message>`})
	c, err := carol.expectMSRP(ctx, "psst carol")
	if err != nil {
		t.Fatalf("alice's private message did not reach carol: %v", err)
	}
	if len(c.To) != 1 || c.To[0] != "<"+carol.uri+">" {
		t.Errorf("private CPIM To %v, want carol", c.To)
	}
	if err := carol.say(ctx, "sip:bob@"+prosodyDomain, "psst bob"); err != nil {
		t.Fatal(err)
	}
	pm, err := bob.WaitEvent(ctx, func(e xmppEvent) bool { return e.Str("event") == "message" && e.Str("body") == "psst bob" })
	if err != nil || pm.Str("type") != "chat" || pm.Str("from") != lobbyJID+"/Carol" {
		t.Fatalf("carol's private message to bob: %v %v", pm, err)
	}
	if _, err := alice.WaitEvent(testContext(t, 300*time.Millisecond), func(e xmppEvent) bool { return e.Str("body") == "psst bob" }); err == nil {
		t.Error("alice saw bob's private message")
	}
	// Bad input: a private message to an unknown nick (the MSRP side's 404
	// is covered by the gateway's unit tests: it comes back as a REPORT).
	alice.MustCommand(ctx, map[string]any{"cmd": "send_raw", "xml": `<message xmlns="jabber:client" to="` + lobbyJID + `/nobody" type="chat" id="pm2"><body>?</body></message>`})
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "message" && e.Str("type") == "error" && e.Str("id") == "pm2" && strings.Contains(e.Str("xml"), "item-not-found")
	}); err != nil {
		t.Errorf("private message to an unknown nick: no item-not-found: %v", err)
	}

	// sipp joins, REFERs alice, leaves: a third-party SIP stack drives the
	// room's signalling.
	sippUAC := startSipp(t, "room_uac.xml", f.sxgw.SIPAddr, sippKeys{"user": "sipp", "invitee": "alice@" + prosodyDomain})
	if _, err := alice.WaitEvent(ctx, isPresenceFrom("Sipp User", `jid="sipp@`+sxgwDomain)); err != nil {
		t.Fatalf("alice does not see sipp join: %v", err)
	}
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "message" && e.Str("from") == lobbyJID && strings.Contains(e.Str("xml"), "<invite") &&
			strings.Contains(e.Str("xml"), `from="sipp@`+sxgwDomain)
	}); err != nil {
		t.Fatalf("alice got no invitation from sipp's REFER: %v", err)
	}
	if _, err := alice.WaitEvent(ctx, isPresenceFrom("Sipp User", `type="unavailable"`)); err != nil {
		t.Fatalf("alice does not see sipp leave: %v", err)
	}
	if err := <-sippUAC.done; err != nil {
		t.Fatalf("sipp room scenario: %v", err)
	}
	sippUAC.done <- nil // for the cleanup
	trace := sippUAC.messages()
	for _, want := range []string{"SIP/2.0 202", "Event: refer", "message/sipfrag", "isfocus"} {
		if !strings.Contains(trace, want) {
			t.Errorf("sipp's exchange lacks %q", want)
		}
	}

	// dave leaves: partial conference-info with dave deleted.
	if _, err := dave.ua.Bye(ctx, dave.dialog); err != nil {
		t.Fatalf("dave's BYE: %v", err)
	}
	if _, err := alice.WaitEvent(ctx, isPresenceFrom("Dave", `type="unavailable"`)); err != nil {
		t.Fatalf("alice does not see dave leave: %v", err)
	}
	if _, err := carol.conferenceDoc(ctx, func(ci *simple.ConferenceInfo) bool {
		if ci.State != simple.ConferencePartial || ci.Users == nil {
			return false
		}
		for _, u := range ci.Users.Users {
			if u.Entity == dave.uri && u.State == simple.ConferenceDeleted {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no conference-info update for dave's leave: %v", err)
	}

	// alice invites a SIP user: an INVITE from the room (RFC 7701 §5.2,
	// RFC 4579 dial-out), accepted by sipp.
	uas := startSippUAS(t, "chat_uas.xml", nil)
	publishSRV(f.dns, "_sip._udp."+sxgwDomain, "ua."+sxgwDomain, uas.Port)
	f.dns.AddA("ua."+sxgwDomain, "127.0.0.1")
	alice.MustCommand(ctx, map[string]any{"cmd": "send_raw", "xml": `<message xmlns="jabber:client" to="` + lobbyJID + `"><x xmlns="http://jabber.org/protocol/muc#user"><invite to="erin@` + sxgwDomain + `"><reason>join us</reason></invite></x></message>`})
	uas.waitTrace(t, "a=chatroom:", 2*federationWait)
	trace = uas.messages()
	for _, want := range []string{"INVITE sip:erin@" + sxgwDomain, "From: <" + lobbyURI + ">", "isfocus", "m=message "} {
		if !strings.Contains(trace, want) {
			t.Errorf("the room's INVITE lacks %q:\n%s", want, trace)
		}
	}
}
