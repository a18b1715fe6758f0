package xmpp

import (
	"reflect"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// The XEP-0045 examples, as this package writes them (double quotes,
// attributes in encoder order): each decodes and encodes back unchanged.
var mucMessageWire = map[string]string{
	// §7.8.2 mediated invitation, occupant to room.
	"invite to room": `<message from="crone1@shakespeare.lit/desktop" to="coven@chat.shakespeare.lit" id="nzd143v8"><x xmlns="http://jabber.org/protocol/muc#user"><invite to="hecate@shakespeare.lit"><reason>Hey Hecate, this is the place for all good witches!</reason></invite></x></message>`,
	// §7.8.2 the room passes it on, with the password.
	"invite from room": `<message from="coven@chat.shakespeare.lit" to="hecate@shakespeare.lit" id="nzd143v8"><x xmlns="http://jabber.org/protocol/muc#user"><invite from="crone1@shakespeare.lit/desktop"><reason>Hey Hecate, this is the place for all good witches!</reason></invite><password>cauldronburn</password></x></message>`,
	// §7.8.2 decline, both legs.
	"decline to room":   `<message from="hecate@shakespeare.lit/broom" to="coven@chat.shakespeare.lit" id="jk2vs61v"><x xmlns="http://jabber.org/protocol/muc#user"><decline to="crone1@shakespeare.lit"><reason>Sorry, I'm too busy right now.</reason></decline></x></message>`,
	"decline from room": `<message from="coven@chat.shakespeare.lit" to="crone1@shakespeare.lit/desktop" id="jk2vs61v"><x xmlns="http://jabber.org/protocol/muc#user"><decline from="hecate@shakespeare.lit"><reason>Sorry, I'm too busy right now.</reason></decline></x></message>`,
	// §7.2.13 discussion history with XEP-0203 delay.
	"history":          `<message from="coven@chat.shakespeare.lit/firstwitch" to="hecate@shakespeare.lit/broom" id="162BEBB1-F6DB-4D9A-9BD8-CFDCC801A0B2" type="groupchat"><body>Thrice the brinded cat hath mew'd.</body><delay xmlns="urn:xmpp:delay" from="coven@chat.shakespeare.lit" stamp="2002-10-13T23:58:37Z"/></message>`,
	"history fraction": `<message from="coven@chat.shakespeare.lit/secondwitch" to="hecate@shakespeare.lit/broom" id="h2" type="groupchat"><body>Thrice and once the hedge-pig whined.</body><delay xmlns="urn:xmpp:delay" from="coven@chat.shakespeare.lit" stamp="2002-10-13T23:58:43.25Z"/></message>`,
	// §7.2.15 room subject (with delay), and no subject.
	"subject":    `<message from="coven@chat.shakespeare.lit/secondwitch" to="crone1@shakespeare.lit/desktop" id="F437C672-D438-4BD3-9BFF-091050D32EE2" type="groupchat"><subject>Fire Burn and Cauldron Bubble!</subject><delay xmlns="urn:xmpp:delay" from="coven@chat.shakespeare.lit" stamp="1610-04-20T00:00:00Z"/></message>`,
	"no subject": `<message from="coven@chat.shakespeare.lit/secondwitch" to="crone1@shakespeare.lit/desktop" id="F437C672-D438-4BD3-9BFF-091050D32EE2" type="groupchat"><subject/></message>`,
	// XEP-0249 §2 direct invitation.
	"direct invite": `<message from="crone1@shakespeare.lit/desktop" to="hecate@shakespeare.lit"><x xmlns="jabber:x:conference" jid="darkcave@macbeth.shakespeare.lit" password="cauldronburn" reason="Hey Hecate, this is the place for all good witches!"/></message>`,
	// §10.2.1 configuration change notice.
	"config change": `<message from="coven@chat.shakespeare.lit" to="crone1@shakespeare.lit/desktop" id="80349046-F26A-44F3-A7A6-54825064DD9E" type="groupchat"><x xmlns="http://jabber.org/protocol/muc#user"><status code="104"/></x></message>`,
}

var mucPresenceWire = map[string]string{
	// §7.2.1 join.
	"join": `<presence from="hag66@shakespeare.lit/pda" to="coven@chat.shakespeare.lit/thirdwitch" id="n13mt3l"><x xmlns="http://jabber.org/protocol/muc"/></presence>`,
	// §7.2.14 history limits, §7.2.5 password.
	"join maxchars":   `<presence from="hag66@shakespeare.lit/pda" to="coven@chat.shakespeare.lit/thirdwitch" id="n13mt3l"><x xmlns="http://jabber.org/protocol/muc"><history maxchars="65000"/></x></presence>`,
	"join no history": `<presence from="hag66@shakespeare.lit/pda" to="coven@chat.shakespeare.lit/thirdwitch" id="n13mt3l"><x xmlns="http://jabber.org/protocol/muc"><history maxchars="0"/></x></presence>`,
	"join all limits": `<presence from="hag66@shakespeare.lit/pda" to="coven@chat.shakespeare.lit/thirdwitch" id="n13mt3l"><x xmlns="http://jabber.org/protocol/muc"><history maxstanzas="20" seconds="180" since="1970-01-01T00:00:00Z"/><password>cauldronburn</password></x></presence>`,
	// §7.2.2 existing occupant's presence to the newcomer.
	"occupant": `<presence from="coven@chat.shakespeare.lit/firstwitch" to="hag66@shakespeare.lit/pda" id="3DCB0401-D7CF-4E31-BE05-EDF8D057BFBD"><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="owner" role="moderator"/></x></presence>`,
	// §7.2.3 self-presence in a non-anonymous room, nick modified.
	"self 100 110 210": `<presence from="coven@chat.shakespeare.lit/thirdwitch" to="hag66@shakespeare.lit/pda" id="n13mt3l"><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="member" jid="hag66@shakespeare.lit/pda" role="participant"/><status code="100"/><status code="110"/><status code="210"/></x></presence>`,
	// §10.1.1 the room was created.
	"self 110 201": `<presence from="coven@chat.shakespeare.lit/firstwitch" to="crone1@shakespeare.lit/desktop"><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="owner" role="moderator"/><status code="110"/><status code="201"/></x></presence>`,
	// §8.2 kick.
	"kick 307": `<presence from="harfleur@chat.shakespeare.lit/pistol" to="pistol@shakespeare.lit/harfleur" type="unavailable"><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="none" role="none"><actor nick="Fluellen"/><reason>Avaunt, you cullion!</reason></item><status code="110"/><status code="307"/></x></presence>`,
	// §9.1 ban, with a non-ASCII actor.
	"ban 301": `<presence from="southampton@chat.shakespeare.lit/cambridge" to="earlofcambridge@shakespeare.lit/stabber" type="unavailable"><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="outcast" role="none"><actor nick="The ♚"/><reason>Treason</reason></item><status code="301"/></x></presence>`,
	// §7.6 nick change.
	"nick 303": `<presence from="coven@chat.shakespeare.lit/thirdwitch" to="hag66@shakespeare.lit/pda" id="DC352437-C019-40EC-B590-AF29E879AF98" type="unavailable"><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="member" jid="hag66@shakespeare.lit/pda" nick="oldhag" role="participant"/><status code="303"/><status code="110"/></x></presence>`,
	// §7.7 availability change passed on.
	"show": `<presence from="coven@chat.shakespeare.lit/secondwitch" to="crone1@shakespeare.lit/desktop" id="86E11ABF-26BC-46F1-AD3B-F5E54F3C1EE5"><show>xa</show><status>gone where the goblins go</status><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="admin" jid="wiccarocks@shakespeare.lit/laptop" role="moderator"/></x></presence>`,
	// §7.6 nick conflict.
	"conflict": `<presence from="coven@chat.shakespeare.lit/thirdwitch" to="hag66@shakespeare.lit/pda" id="ifd1c35" type="error"><x xmlns="http://jabber.org/protocol/muc"/><error type="cancel" by="coven@chat.shakespeare.lit"><conflict xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></presence>`,
}

func TestMUCMessageRoundTrip(t *testing.T) {
	for name, wire := range mucMessageWire {
		m, err := DecodeMessage(parseStanza(t, wire))
		if err != nil {
			t.Fatalf("%s: decode: %v", name, err)
		}
		el, err := EncodeMessage(m)
		if err != nil {
			t.Fatalf("%s: encode: %v", name, err)
		}
		if got := el.String(); got != wire {
			t.Errorf("%s: round trip\n got %s\nwant %s", name, got, wire)
		}
	}
}

func TestMUCPresenceRoundTrip(t *testing.T) {
	for name, wire := range mucPresenceWire {
		p, err := DecodePresence(parseStanza(t, wire))
		if err != nil {
			t.Fatalf("%s: decode: %v", name, err)
		}
		if got := EncodePresence(p).String(); got != wire {
			t.Errorf("%s: round trip\n got %s\nwant %s", name, got, wire)
		}
	}
}

func mustJID(t *testing.T, s string) jid.JID {
	t.Helper()
	j, err := jid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestMUCMessageValues(t *testing.T) {
	dec := func(name string) translate.XMPPMessage {
		t.Helper()
		m, err := DecodeMessage(parseStanza(t, mucMessageWire[name]))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := dec("invite to room")
	if m.MUCUser == nil || len(m.MUCUser.Invites) != 1 || !m.MUCUser.Invites[0].To.Equal(mustJID(t, "hecate@shakespeare.lit")) ||
		m.MUCUser.Invites[0].From.String() != "" || m.MUCUser.Invites[0].Reason != "Hey Hecate, this is the place for all good witches!" {
		t.Errorf("invite: %+v", m.MUCUser)
	}
	m = dec("invite from room")
	if m.MUCUser.Password != "cauldronburn" || !m.MUCUser.Invites[0].From.Equal(mustJID(t, "crone1@shakespeare.lit/desktop")) {
		t.Errorf("room invite: %+v", m.MUCUser)
	}
	m = dec("decline to room")
	if d := m.MUCUser.Decline; d == nil || !d.To.Equal(mustJID(t, "crone1@shakespeare.lit")) || d.Reason != "Sorry, I'm too busy right now." || len(m.MUCUser.Invites) != 0 {
		t.Errorf("decline: %+v", m.MUCUser)
	}
	m = dec("history")
	want := time.Date(2002, 10, 13, 23, 58, 37, 0, time.UTC)
	if m.Delay == nil || !m.Delay.Stamp.Equal(want) || m.Delay.Stamp.Location() != time.UTC || !m.Delay.From.Equal(mustJID(t, "coven@chat.shakespeare.lit")) {
		t.Errorf("delay: %+v", m.Delay)
	}
	m = dec("history fraction")
	if m.Delay == nil || m.Delay.Stamp.Nanosecond() != 250_000_000 {
		t.Errorf("fractional delay: %+v", m.Delay)
	}
	m = dec("subject")
	if !m.SubjectSet || m.Subject != "Fire Burn and Cauldron Bubble!" || m.Body != "" || m.Delay == nil || m.Delay.Stamp.Year() != 1610 {
		t.Errorf("subject: %+v", m)
	}
	m = dec("no subject")
	if !m.SubjectSet || m.Subject != "" {
		t.Errorf("empty subject: %+v", m)
	}
	if m, _ := DecodeMessage(parseStanza(t, mucMessageWire["history"])); m.SubjectSet {
		t.Errorf("a message without subject has SubjectSet")
	}
	m = dec("direct invite")
	if d := m.DirectInvite; d == nil || !d.Room.Equal(mustJID(t, "darkcave@macbeth.shakespeare.lit")) || d.Password != "cauldronburn" || d.Reason == "" || m.MUCUser != nil {
		t.Errorf("direct invite: %+v", m.DirectInvite)
	}
	m = dec("config change")
	if !reflect.DeepEqual(m.MUCUser.Statuses, []int{104}) {
		t.Errorf("statuses: %+v", m.MUCUser)
	}
}

func TestMUCPresenceValues(t *testing.T) {
	dec := func(name string) translate.XMPPPresence {
		t.Helper()
		p, err := DecodePresence(parseStanza(t, mucPresenceWire[name]))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := dec("join")
	if p.MUCJoin == nil || *p.MUCJoin != (translate.MUCJoin{MaxChars: -1, MaxStanzas: -1, Seconds: -1}) || p.MUCUser != nil {
		t.Errorf("join: %+v", p.MUCJoin)
	}
	p = dec("join no history")
	if p.MUCJoin.MaxChars != 0 || p.MUCJoin.MaxStanzas != -1 {
		t.Errorf("maxchars 0: %+v", p.MUCJoin)
	}
	p = dec("join all limits")
	if j := p.MUCJoin; j.MaxChars != -1 || j.MaxStanzas != 20 || j.Seconds != 180 || !j.Since.Equal(time.Unix(0, 0)) || j.Since.IsZero() || j.Password != "cauldronburn" {
		t.Errorf("limits: %+v", p.MUCJoin)
	}
	p = dec("self 100 110 210")
	u := p.MUCUser
	if !reflect.DeepEqual(u.Statuses, []int{translate.StatusNonAnonymous, translate.StatusSelf, translate.StatusNickModified}) ||
		len(u.Items) != 1 || u.Items[0].Affiliation != translate.AffiliationMember || u.Items[0].Role != translate.RoleParticipant ||
		!u.Items[0].JID.Equal(mustJID(t, "hag66@shakespeare.lit/pda")) {
		t.Errorf("self: %+v", u)
	}
	p = dec("self 110 201")
	if !reflect.DeepEqual(p.MUCUser.Statuses, []int{translate.StatusSelf, translate.StatusCreated}) {
		t.Errorf("created: %+v", p.MUCUser)
	}
	p = dec("kick 307")
	if it := p.MUCUser.Items[0]; p.Type != translate.PresenceUnavailable || it.Actor != "Fluellen" || it.Reason != "Avaunt, you cullion!" || it.Role != translate.RoleNone ||
		!reflect.DeepEqual(p.MUCUser.Statuses, []int{translate.StatusSelf, translate.StatusKicked}) {
		t.Errorf("kick: %+v", p.MUCUser)
	}
	p = dec("nick 303")
	if it := p.MUCUser.Items[0]; it.Nick != "oldhag" || p.MUCUser.Statuses[0] != translate.StatusNickChanged {
		t.Errorf("nick change: %+v", p.MUCUser)
	}
	p = dec("conflict")
	if p.MUCJoin == nil || p.Err == nil || p.Err.Condition != ErrConflict {
		t.Errorf("conflict: %+v %+v", p.MUCJoin, p.Err)
	}
	p = dec("show")
	if p.Show != "xa" || p.Status != "gone where the goblins go" || p.MUCUser.Items[0].Role != translate.RoleModerator {
		t.Errorf("show: %+v", p)
	}
}

// Input in other legal shapes decodes to the same values.
func TestMUCDecodeLenient(t *testing.T) {
	m, err := DecodeMessage(parseStanza(t, `<message from="r@c.test/n" to="u@x.test/r" type="groupchat"><body>hi</body><delay xmlns="urn:xmpp:delay" stamp="2002-10-14T01:58:37+02:00"/></message>`))
	if err != nil || m.Delay == nil || !m.Delay.Stamp.Equal(time.Date(2002, 10, 13, 23, 58, 37, 0, time.UTC)) || m.Delay.Stamp.Location() != time.UTC {
		t.Errorf("offset stamp: %+v %v", m.Delay, err)
	}
	// Ignored, not refused: a delay that does not parse (the message is
	// kept), the legacy conference payload, unknown muc#user children.
	ignored := map[string]func(translate.XMPPMessage) bool{
		`<message from="r@c.test/n" to="u@x.test/r" type="groupchat"><body>hi</body><delay xmlns="urn:xmpp:delay" stamp="yesterday"/></message>`: func(m translate.XMPPMessage) bool {
			return m.Delay == nil && m.Body == "hi"
		},
		`<message from="r@c.test/n" to="u@x.test/r" type="groupchat"><body>hi</body><delay xmlns="urn:xmpp:delay" stamp="2002-10-13T23:58:37Z" from="@@"/></message>`: func(m translate.XMPPMessage) bool {
			return m.Delay == nil
		},
		`<message from="r@c.test/n" to="u@x.test/r" type="groupchat"><body>hi</body><delay xmlns="urn:xmpp:delay" stamp="0000-01-01T00:00:00+01:00"/><delay xmlns="urn:xmpp:delay" stamp="2001-01-01T00:00:00Z"/></message>`: func(m translate.XMPPMessage) bool {
			return m.Delay != nil && m.Delay.Stamp.Year() == 2001
		},
		`<message from="c.test" to="u@x.test"><x xmlns="http://jabber.org/protocol/muc#user"><invite from="a@x.test"/></x><x xmlns="jabber:x:conference">legacy reason</x></message>`: func(m translate.XMPPMessage) bool {
			return m.DirectInvite == nil && len(m.MUCUser.Invites) == 1
		},
		`<message from="c.test" to="u@x.test"><x xmlns="http://jabber.org/protocol/muc#user"><destroy jid="d@c.test"><reason>r</reason></destroy><item role="none"><continue thread="t"/><actor jid="a@x.test"/></item><future/></x></message>`: func(m translate.XMPPMessage) bool {
			return len(m.MUCUser.Items) == 1 && m.MUCUser.Items[0].Role == translate.RoleNone && m.MUCUser.Items[0].Actor == ""
		},
		// An error stanza reaches the core even with broken MUC parts.
		`<message from="r@c.test" to="u@x.test/r" type="error"><x xmlns="http://jabber.org/protocol/muc#user"><status code="1"/></x><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`: func(m translate.XMPPMessage) bool {
			return m.MUCUser == nil && m.Err != nil && m.Err.Condition == ErrItemNotFound
		},
	}
	for wire, ok := range ignored {
		m, err := DecodeMessage(parseStanza(t, wire))
		if err != nil || !ok(m) {
			t.Errorf("%s: %+v %v", wire, m, err)
		}
	}
	p, err := DecodePresence(parseStanza(t, `<presence from="r@c.test/n" to="u@x.test/r" type="error"><x xmlns="http://jabber.org/protocol/muc"><history seconds="-5"/></x><error type="cancel"><conflict xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></presence>`))
	if err != nil || p.MUCJoin != nil || p.Err == nil {
		t.Errorf("error presence: %+v %v", p, err)
	}
}

func TestMUCDecodeStrict(t *testing.T) {
	const (
		pre  = `<presence from="u@x.test/r" to="room@c.test/nick">`
		msg  = `<message from="u@x.test/r" to="room@c.test">`
		user = `<x xmlns="http://jabber.org/protocol/muc#user">`
		muc  = `<x xmlns="http://jabber.org/protocol/muc">`
	)
	presences := []string{
		pre + user + `<status code="abc"/></x></presence>`,
		pre + user + `<status code="99"/></x></presence>`,
		pre + user + `<status code="1000"/></x></presence>`,
		pre + user + `<status/></x></presence>`,
		pre + user + `<item affiliation="king"/></x></presence>`,
		pre + user + `<item role="god"/></x></presence>`,
		pre + user + `<item jid="@@"/></x></presence>`,
		pre + user + `</x>` + user + `</x></presence>`,
		pre + muc + `</x>` + muc + `</x></presence>`,
		pre + muc + `<history maxchars="-1"/></x></presence>`,
		pre + muc + `<history maxstanzas="many"/></x></presence>`,
		pre + muc + `<history seconds="99999999999"/></x></presence>`,
		pre + muc + `<history since="yesterday"/></x></presence>`,
		pre + muc + `<history since="2002-10-13"/></x></presence>`,
		pre + muc + `<history/><history/></x></presence>`,
		pre + muc + `<password>a</password><password>b</password></x></presence>`,
	}
	for _, wire := range presences {
		_, err := DecodePresence(parseStanza(t, wire))
		if se, ok := err.(*StanzaError); !ok || se.Condition != ErrBadRequest {
			t.Errorf("%s: err %v, want bad-request", wire, err)
		}
	}
	messages := []string{
		msg + user + `<invite to="@bad"/></x></message>`,
		msg + user + `<invite from="a@b@c"/></x></message>`,
		msg + user + `<decline to="a@x.test"/><decline to="b@x.test"/></x></message>`,
		msg + user + `<password>a</password><password>b</password></x></message>`,
		msg + `<x xmlns="jabber:x:conference" jid="@room"/></message>`,
		msg + `<x xmlns="jabber:x:conference" jid="r@c.test"/><x xmlns="jabber:x:conference" jid="s@c.test"/></message>`,
		msg + user + `</x>` + user + `</x></message>`,
	}
	for _, wire := range messages {
		_, err := DecodeMessage(parseStanza(t, wire))
		if se, ok := err.(*StanzaError); !ok || se.Condition != ErrBadRequest {
			t.Errorf("%s: err %v, want bad-request", wire, err)
		}
	}
}

func TestMUCEncode(t *testing.T) {
	from, to := mustJID(t, "room@c.test/nick"), mustJID(t, "u@x.test/r")
	cases := []struct {
		p    translate.XMPPPresence
		want string
	}{
		{translate.XMPPPresence{From: to, To: from, MUCJoin: &translate.MUCJoin{MaxChars: -1, MaxStanzas: -1, Seconds: -1}},
			`<presence from="u@x.test/r" to="room@c.test/nick"><x xmlns="http://jabber.org/protocol/muc"/></presence>`},
		{translate.XMPPPresence{From: to, To: from, MUCJoin: &translate.MUCJoin{MaxChars: 0, MaxStanzas: -1, Seconds: -1,
			Since: time.Date(2020, 1, 2, 4, 4, 5, 6000, time.FixedZone("x", 3600))}},
			`<presence from="u@x.test/r" to="room@c.test/nick"><x xmlns="http://jabber.org/protocol/muc"><history maxchars="0" since="2020-01-02T03:04:05.000006Z"/></x></presence>`},
		{translate.XMPPPresence{From: from, To: to, MUCUser: &translate.MUCUser{}},
			`<presence from="room@c.test/nick" to="u@x.test/r"><x xmlns="http://jabber.org/protocol/muc#user"/></presence>`},
	}
	for _, c := range cases {
		if got := EncodePresence(c.p).String(); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
	m := translate.XMPPMessage{From: from.Bare(), To: to, Type: translate.TypeGroupchat,
		MUCUser: &translate.MUCUser{Statuses: []int{translate.StatusLogged}},
		Delay:   &translate.Delay{Stamp: time.Date(2002, 10, 13, 23, 58, 37, 0, time.UTC)}}
	el, err := EncodeMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `<message from="room@c.test" to="u@x.test/r" type="groupchat"><x xmlns="http://jabber.org/protocol/muc#user"><status code="170"/></x><delay xmlns="urn:xmpp:delay" stamp="2002-10-13T23:58:37Z"/></message>`
	if el.String() != want {
		t.Errorf("got  %s\nwant %s", el, want)
	}
}
