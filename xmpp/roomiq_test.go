package xmpp

import (
	"context"
	"crypto/tls"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// Room IQs from the XEP-0045 examples.
var roomIQWire = map[string]string{
	"disco info service": `<iq from="hag66@shakespeare.lit/pda" to="chat.shakespeare.lit" id="lx09df27" type="get"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
	"disco items":        `<iq from="hag66@shakespeare.lit/pda" to="chat.shakespeare.lit" id="zb8q41f4" type="get"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`,
	"disco reserved":     `<iq from="hag66@shakespeare.lit/pda" to="coven@chat.shakespeare.lit" id="getnick1" type="get"><query xmlns="http://jabber.org/protocol/disco#info" node="x-roomuser-item"/></iq>`,
	"kick":               `<iq from="fluellen@shakespeare.lit/pda" to="harfleur@chat.shakespeare.lit" id="kick1" type="set"><query xmlns="http://jabber.org/protocol/muc#admin"><item nick="pistol" role="none"><reason>Avaunt, you cullion!</reason></item></query></iq>`,
	"ban":                `<iq from="kinghenryv@shakespeare.lit/throne" to="southampton@chat.shakespeare.lit" id="ban1" type="set"><query xmlns="http://jabber.org/protocol/muc#admin"><item affiliation="outcast" jid="earlofcambridge@shakespeare.lit"><reason>Treason</reason></item></query></iq>`,
	"ban list":           `<iq from="kinghenryv@shakespeare.lit/throne" to="southampton@chat.shakespeare.lit" id="ban2" type="get"><query xmlns="http://jabber.org/protocol/muc#admin"><item affiliation="outcast"/></query></iq>`,
	"owner get":          `<iq from="crone1@shakespeare.lit/desktop" to="coven@chat.shakespeare.lit" id="config1" type="get"><query xmlns="http://jabber.org/protocol/muc#owner"/></iq>`,
	"instant room":       `<iq from="crone1@shakespeare.lit/desktop" to="coven@chat.shakespeare.lit" id="create1" type="set"><query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="submit"/></query></iq>`,
	"owner submit":       `<iq from="crone1@shakespeare.lit/desktop" to="coven@chat.shakespeare.lit" id="create2" type="set"><query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var="muc#roomconfig_roomname"><value>A Dark Cave</value></field><field var="muc#roomconfig_presencebroadcast"><value>moderator</value><value>participant</value></field><field var="muc#roomconfig_roomsecret"/></x></query></iq>`,
	"owner cancel":       `<iq from="crone1@shakespeare.lit/desktop" to="coven@chat.shakespeare.lit" id="create3" type="set"><query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="cancel"/></query></iq>`,
	"destroy":            `<iq from="crone1@shakespeare.lit/desktop" to="heath@chat.shakespeare.lit" id="begone" type="set"><query xmlns="http://jabber.org/protocol/muc#owner"><destroy jid="coven@chat.shakespeare.lit"><reason>Macbeth doth come.</reason></destroy></query></iq>`,
}

func TestRoomIQDecode(t *testing.T) {
	iq := func(name string) (*Element, *Element) {
		st := parseStanza(t, roomIQWire[name])
		return st, st.FirstChild()
	}
	q, err := decodeDiscoQuery(iq("disco reserved"))
	if err != nil || q.Items || q.Node != translate.DiscoNodeRoomUserItem || q.To.String() != "coven@chat.shakespeare.lit" || q.From.String() != "hag66@shakespeare.lit/pda" {
		t.Errorf("disco: %+v %v", q, err)
	}
	q, err = decodeDiscoQuery(iq("disco items"))
	if err != nil || !q.Items {
		t.Errorf("disco items: %+v %v", q, err)
	}
	a, err := decodeMUCAdmin(iq("kick"))
	want := []translate.MUCItem{{Role: translate.RoleNone, Nick: "pistol", Reason: "Avaunt, you cullion!"}}
	if err != nil || !a.Set || !reflect.DeepEqual(a.Items, want) {
		t.Errorf("kick: %+v %v", a, err)
	}
	a, err = decodeMUCAdmin(iq("ban"))
	if err != nil || a.Items[0].Affiliation != translate.AffiliationOutcast || a.Items[0].JID.String() != "earlofcambridge@shakespeare.lit" {
		t.Errorf("ban: %+v %v", a, err)
	}
	a, err = decodeMUCAdmin(iq("ban list"))
	if err != nil || a.Set || len(a.Items) != 1 {
		t.Errorf("ban list: %+v %v", a, err)
	}
	o, err := decodeMUCOwner(iq("owner get"))
	if err != nil || o.Set || o.Submit || o.Destroy {
		t.Errorf("owner get: %+v %v", o, err)
	}
	o, err = decodeMUCOwner(iq("instant room"))
	if err != nil || !o.Submit || len(o.Fields) != 0 {
		t.Errorf("instant: %+v %v", o, err)
	}
	o, err = decodeMUCOwner(iq("owner submit"))
	wantFields := map[string][]string{
		translate.RoomConfigName:           {"A Dark Cave"},
		"muc#roomconfig_presencebroadcast": {"moderator", "participant"},
		translate.RoomConfigSecret:         nil,
	}
	if err != nil || !o.Submit || !reflect.DeepEqual(o.Fields, wantFields) {
		t.Errorf("submit: %+v %v", o, err)
	}
	o, err = decodeMUCOwner(iq("owner cancel"))
	if err != nil || !o.Cancel || o.Submit {
		t.Errorf("cancel: %+v %v", o, err)
	}
	o, err = decodeMUCOwner(iq("destroy"))
	if err != nil || !o.Destroy || o.DestroyReason != "Macbeth doth come." {
		t.Errorf("destroy: %+v %v", o, err)
	}
}

func TestRoomIQDecodeBad(t *testing.T) {
	const (
		admin = `<query xmlns="http://jabber.org/protocol/muc#admin">`
		owner = `<query xmlns="http://jabber.org/protocol/muc#owner">`
	)
	iq := func(to, typ, payload string) string {
		return `<iq from="u@x.test/r" to="` + to + `" id="i" type="` + typ + `">` + payload + `</iq>`
	}
	bad := map[string]string{
		iq("c.test", "set", `<query xmlns="http://jabber.org/protocol/disco#info"/>`):                                                             ErrBadRequest,
		iq("r@c.test", "set", admin+`<item nick="n" role="none" affiliation="none"/></query>`):                                                    ErrBadRequest, // §17.4 rule 4
		iq("r@c.test", "set", admin+`<item nick="n"/></query>`):                                                                                   ErrBadRequest,
		iq("r@c.test", "set", admin+`<item role="none"/></query>`):                                                                                ErrBadRequest, // rule 5
		iq("r@c.test", "set", admin+`<item affiliation="member" nick="n"/></query>`):                                                              ErrBadRequest, // rule 6
		iq("r@c.test", "set", admin+`<item affiliation="member" jid="@@"/></query>`):                                                              ErrBadRequest,
		iq("r@c.test", "set", admin+`<item role="emperor" nick="n"/></query>`):                                                                    ErrBadRequest,
		iq("r@c.test", "get", admin+`</query>`):                                                                                                   ErrBadRequest,
		iq("c.test", "get", admin+`<item role="moderator"/></query>`):                                                                             ErrBadRequest,
		iq("r@c.test/nick", "get", admin+`<item role="moderator"/></query>`):                                                                      ErrBadRequest,
		iq("r@c.test", "get", owner+`<x xmlns="jabber:x:data" type="submit"/></query>`):                                                           ErrBadRequest,
		iq("r@c.test", "set", owner+`</query>`):                                                                                                   ErrBadRequest,
		iq("r@c.test", "set", owner+`<x xmlns="jabber:x:data" type="form"/></query>`):                                                             ErrBadRequest,
		iq("r@c.test", "set", owner+`<x xmlns="jabber:x:data" type="submit"/><destroy/></query>`):                                                 ErrBadRequest,
		iq("r@c.test", "set", owner+`<x xmlns="jabber:x:data" type="submit"/><x xmlns="jabber:x:data" type="submit"/></query>`):                   ErrBadRequest,
		iq("r@c.test", "set", owner+`<x xmlns="jabber:x:data" type="submit"><field var="a"/><field var="a"/></x></query>`):                        ErrBadRequest,
		iq("r@c.test", "set", owner+`<x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>urn:other</value></field></x></query>`): ErrBadRequest,
		iq("r@c.test", "set", owner+`<x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"/></x></query>`):                                ErrBadRequest,
		iq("c.test", "set", owner+`<destroy/></query>`):                                                                                           ErrBadRequest,
		`<iq from="@@" to="r@c.test" id="i" type="get">` + owner + `</query></iq>`:                                                                ErrJIDMalformed,
	}
	for wire, cond := range bad {
		st := parseStanza(t, wire)
		payload := st.FirstChild()
		var err error
		switch payload.Name.Space {
		case nsDiscoInfo, nsDiscoItem:
			_, err = decodeDiscoQuery(st, payload)
		case nsMUCAdmin:
			_, err = decodeMUCAdmin(st, payload)
		case nsMUCOwner:
			_, err = decodeMUCOwner(st, payload)
		}
		if se, ok := err.(*StanzaError); !ok || se.Condition != cond {
			t.Errorf("%s: err %v, want %s", wire, err, cond)
		}
	}
}

func TestRoomConfigForm(t *testing.T) {
	x := roomConfigForm(map[string][]string{
		"zz#custom":                        {"a", "b"},
		translate.RoomConfigMaxUsers:       {"42"},
		translate.RoomConfigName:           {"Lobby"},
		translate.RoomConfigPersistent:     {"1"},
		"FORM_TYPE":                        {"ignored"},
		"muc#roomconfig_presencebroadcast": {"moderator"},
	})
	want := `<x xmlns="jabber:x:data" type="form">` +
		`<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#roomconfig</value></field>` +
		`<field var="muc#roomconfig_roomname" type="text-single" label="Natural-Language Room Name"><value>Lobby</value></field>` +
		`<field var="muc#roomconfig_maxusers" type="list-single" label="Maximum Number of Occupants"><value>42</value>` +
		`<option label="10"><value>10</value></option><option label="20"><value>20</value></option><option label="30"><value>30</value></option>` +
		`<option label="50"><value>50</value></option><option label="100"><value>100</value></option><option label="None"><value>none</value></option>` +
		`<option label="42"><value>42</value></option></field>` +
		`<field var="muc#roomconfig_presencebroadcast" type="list-multi" label="Roles for which Presence is Broadcasted"><value>moderator</value>` +
		`<option label="Moderator"><value>moderator</value></option><option label="Participant"><value>participant</value></option><option label="Visitor"><value>visitor</value></option></field>` +
		`<field var="muc#roomconfig_persistentroom" type="boolean" label="Make Room Persistent?"><value>1</value></field>` +
		`<field var="zz#custom" type="text-multi"><value>a</value><value>b</value></field></x>`
	if got := x.String(); got != want {
		t.Errorf("form\n got %s\nwant %s", got, want)
	}
	// The added option did not leak into the shared table.
	for _, f := range roomConfigFields() {
		if f.v == translate.RoomConfigMaxUsers && len(f.options) != 6 {
			t.Errorf("maxusers options changed: %+v", f.options)
		}
	}
}

func TestDiscoEncode(t *testing.T) {
	res := translate.DiscoResult{
		Identities: []translate.DiscoIdentity{{Category: "conference", Type: "text", Name: "A Dark Cave"}, {Category: "conference", Type: "text", Name: "A Dark Cave"}},
		Features:   []string{translate.FeatureMUC, translate.FeatureOpen, translate.FeatureMUC},
		Forms:      []translate.DiscoForm{{FormType: translate.FormTypeRoomInfo, Fields: map[string]string{translate.RoomInfoSubject: "Spells", translate.RoomInfoOccupants: "3"}}},
	}
	want := `<query xmlns="http://jabber.org/protocol/disco#info" node="n"><identity category="conference" type="text" name="A Dark Cave"/>` +
		`<feature var="http://jabber.org/protocol/muc"/><feature var="muc_open"/>` +
		`<x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#roominfo</value></field>` +
		`<field var="muc#roominfo_occupants"><value>3</value></field><field var="muc#roominfo_subject"><value>Spells</value></field></x></query>`
	if got := encodeDiscoInfo("n", res).String(); got != want {
		t.Errorf("disco#info\n got %s\nwant %s", got, want)
	}
	res.Items = []translate.DiscoItem{{JID: mustJID(t, "heath@chat.shakespeare.lit"), Name: "A Lonely Heath"}, {JID: mustJID(t, "coven@chat.shakespeare.lit")}}
	want = `<query xmlns="http://jabber.org/protocol/disco#items"><item jid="heath@chat.shakespeare.lit" name="A Lonely Heath"/><item jid="coven@chat.shakespeare.lit"/></query>`
	if got := encodeDiscoItems("", res).String(); got != want {
		t.Errorf("disco#items\n got %s\nwant %s", got, want)
	}
}

// fakeRooms is a core with rooms: it records what it is given and
// answers with canned values.
type fakeRooms struct {
	msgs  chan translate.XMPPMessage
	pres  chan translate.XMPPPresence
	disco chan translate.DiscoQuery
	admin chan translate.MUCAdmin
	owner chan translate.MUCOwner

	mu       sync.Mutex
	err      error
	discoRes translate.DiscoResult
	adminRes []translate.MUCItem
	ownerRes map[string][]string
}

func newFakeRooms() *fakeRooms {
	return &fakeRooms{
		msgs: make(chan translate.XMPPMessage, 16), pres: make(chan translate.XMPPPresence, 16),
		disco: make(chan translate.DiscoQuery, 16), admin: make(chan translate.MUCAdmin, 16), owner: make(chan translate.MUCOwner, 16),
	}
}

func (f *fakeRooms) fail() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *fakeRooms) XMPPMessage(_ context.Context, m translate.XMPPMessage) error {
	f.msgs <- m
	return f.fail()
}

func (f *fakeRooms) XMPPPresence(_ context.Context, p translate.XMPPPresence) error {
	f.pres <- p
	return f.fail()
}

func (f *fakeRooms) XMPPDisco(_ context.Context, q translate.DiscoQuery) (translate.DiscoResult, error) {
	f.disco <- q
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.discoRes, f.err
}

func (f *fakeRooms) XMPPMUCAdmin(_ context.Context, a translate.MUCAdmin) ([]translate.MUCItem, error) {
	f.admin <- a
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.adminRes, f.err
}

func (f *fakeRooms) XMPPMUCOwner(_ context.Context, o translate.MUCOwner) (map[string][]string, error) {
	f.owner <- o
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ownerRes, f.err
}

func recv[T any](t *testing.T, ch chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// roomWorld is a.test (a plain server recording what it receives) and
// b.test hosting rooms on conference.b.test for core.
func roomWorld(t *testing.T, core Inbound) (a, b *node) {
	w := newWorld(t)
	a = w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	b = w.server("b.test", (*testCA)(nil).issue(t, "b.test", "conference.b.test"), nil, func(o *Options) {
		o.RoomDomains = []string{"conference.b.test"}
		if core != nil {
			o.Handler = NewInboundHandler(core)
		}
	})
	w.publish("conference.b.test", b.s.Addr())
	return a, b
}

// ask sends iq from a and returns the answer a receives.
func ask(t *testing.T, a *node, wire string) *Element {
	t.Helper()
	st := parseStanza(t, wire)
	if err := a.s.Send(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	got := a.rec.wait(t, "answer to "+st.Get("id"))
	if got.Get("id") != st.Get("id") || got.Get("from") != st.Get("to") || got.Get("to") != st.Get("from") {
		t.Fatalf("answer %s does not match %s", got, st)
	}
	return got
}

func TestRoomIQRouting(t *testing.T) {
	core := newFakeRooms()
	core.discoRes = translate.DiscoResult{
		Identities: []translate.DiscoIdentity{{Category: translate.DiscoCategoryConference, Type: translate.DiscoTypeText, Name: "Rooms"}},
		Features:   []string{translate.FeatureMUC},
		Items:      []translate.DiscoItem{{JID: mustJID(t, "lobby@conference.b.test"), Name: "Lobby"}},
	}
	core.adminRes = []translate.MUCItem{{Affiliation: translate.AffiliationMember, JID: mustJID(t, "bob@a.test"), Nick: "bob"}}
	core.ownerRes = map[string][]string{translate.RoomConfigName: {"Lobby"}}
	a, _ := roomWorld(t, core)

	// disco#info on the service is the core's answer.
	got := ask(t, a, `<iq from="alice@a.test/r" to="conference.b.test" id="d1" type="get"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`)
	q := recv(t, core.disco, "disco query")
	if q.Items || q.To.String() != "conference.b.test" || q.From.String() != "alice@a.test/r" {
		t.Errorf("query %+v", q)
	}
	id := got.Child(nsDiscoInfo, "query").Child(nsDiscoInfo, "identity")
	if got.Get("type") != "result" || id == nil || id.Get("category") != "conference" || id.Get("name") != "Rooms" {
		t.Fatalf("disco#info answer %s", got)
	}
	// disco#items on the service, and disco on an occupant.
	got = ask(t, a, `<iq from="alice@a.test/r" to="conference.b.test" id="d2" type="get"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`)
	if q := recv(t, core.disco, "items query"); !q.Items {
		t.Errorf("items query %+v", q)
	}
	if it := got.Child(nsDiscoItem, "query").Child(nsDiscoItem, "item"); it == nil || it.Get("jid") != "lobby@conference.b.test" || it.Get("name") != "Lobby" {
		t.Fatalf("disco#items answer %s", got)
	}
	ask(t, a, `<iq from="alice@a.test/r" to="lobby@conference.b.test/bob" id="d3" type="get"><query xmlns="http://jabber.org/protocol/disco#info" node="x"/></iq>`)
	if q := recv(t, core.disco, "occupant query"); q.To.String() != "lobby@conference.b.test/bob" || q.Node != "x" {
		t.Errorf("occupant query %+v", q)
	}

	// Kick: the core gets the item, the moderator an empty result.
	got = ask(t, a, `<iq from="alice@a.test/r" to="lobby@conference.b.test" id="k1" type="set"><query xmlns="http://jabber.org/protocol/muc#admin"><item nick="pistol" role="none"><reason>Avaunt</reason></item></query></iq>`)
	if ad := recv(t, core.admin, "kick"); !ad.Set || len(ad.Items) != 1 || ad.Items[0].Nick != "pistol" || ad.Items[0].Reason != "Avaunt" {
		t.Errorf("kick %+v", ad)
	}
	if got.Get("type") != "result" || got.FirstChild() != nil {
		t.Errorf("kick answer %s", got)
	}
	// Member list.
	got = ask(t, a, `<iq from="alice@a.test/r" to="lobby@conference.b.test" id="l1" type="get"><query xmlns="http://jabber.org/protocol/muc#admin"><item affiliation="member"/></query></iq>`)
	recv(t, core.admin, "member list")
	it := got.Child(nsMUCAdmin, "query").Child(nsMUCAdmin, "item")
	if it == nil || it.Get("affiliation") != "member" || it.Get("jid") != "bob@a.test" || it.Get("nick") != "bob" {
		t.Fatalf("member list %s", got)
	}
	// Configuration form, then a submission.
	got = ask(t, a, `<iq from="alice@a.test/r" to="lobby@conference.b.test" id="c1" type="get"><query xmlns="http://jabber.org/protocol/muc#owner"/></iq>`)
	recv(t, core.owner, "owner get")
	x := got.Child(nsMUCOwner, "query").Child(nsXData, "x")
	if x == nil || x.Get("type") != "form" || !strings.Contains(got.String(), `<field var="muc#roomconfig_roomname" type="text-single" label="Natural-Language Room Name"><value>Lobby</value></field>`) {
		t.Fatalf("form %s", got)
	}
	got = ask(t, a, `<iq from="alice@a.test/r" to="lobby@conference.b.test" id="c2" type="set"><query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="submit"><field var="muc#roomconfig_persistentroom"><value>1</value></field></x></query></iq>`)
	if o := recv(t, core.owner, "owner set"); !o.Submit || !reflect.DeepEqual(o.Fields, map[string][]string{translate.RoomConfigPersistent: {"1"}}) {
		t.Errorf("submit %+v", o)
	}
	if got.Get("type") != "result" || got.FirstChild() != nil {
		t.Errorf("submit answer %s", got)
	}

	// Malformed requests are refused before the core sees them.
	got = ask(t, a, `<iq from="alice@a.test/r" to="lobby@conference.b.test" id="b1" type="set"><query xmlns="http://jabber.org/protocol/muc#admin"><item nick="x" role="none" affiliation="none"/></query></iq>`)
	if se := ParseStanzaError(got); se == nil || se.Condition != ErrBadRequest {
		t.Errorf("both role and affiliation: %s", got)
	}
	// Core errors keep their condition: ours and translate's.
	core.mu.Lock()
	core.err = &StanzaError{Condition: ErrForbidden}
	core.mu.Unlock()
	got = ask(t, a, `<iq from="alice@a.test/r" to="lobby@conference.b.test" id="e1" type="get"><query xmlns="http://jabber.org/protocol/muc#owner"/></iq>`)
	recv(t, core.owner, "refused owner get")
	if se := ParseStanzaError(got); se == nil || se.Condition != ErrForbidden || se.Type != "auth" {
		t.Errorf("forbidden: %s", got)
	}
	core.mu.Lock()
	core.err = translate.FromCondition(translate.CondItemNotFound, "no such room")
	core.mu.Unlock()
	got = ask(t, a, `<iq from="alice@a.test/r" to="nowhere@conference.b.test" id="e2" type="get"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`)
	recv(t, core.disco, "refused disco")
	if se := ParseStanzaError(got); se == nil || se.Condition != ErrItemNotFound {
		t.Errorf("item-not-found: %s", got)
	}
	core.mu.Lock()
	core.err = nil
	core.mu.Unlock()

	// Ping and version on the room domain are still ours; other IQs
	// to rooms are not handled (service-unavailable).
	got = ask(t, a, `<iq from="alice@a.test/r" to="conference.b.test" id="p1" type="get"><ping xmlns="urn:xmpp:ping"/></iq>`)
	if got.Get("type") != "result" {
		t.Errorf("ping %s", got)
	}
	got = ask(t, a, `<iq from="alice@a.test/r" to="conference.b.test" id="v1" type="get"><query xmlns="jabber:iq:version"/></iq>`)
	if got.Child(nsVersion, "query") == nil {
		t.Errorf("version %s", got)
	}
	got = ask(t, a, `<iq from="alice@a.test/r" to="lobby@conference.b.test" id="u1" type="get"><vCard xmlns="vcard-temp"/></iq>`)
	if se := ParseStanzaError(got); se == nil || se.Condition != ErrServiceUnavailable {
		t.Errorf("vcard %s", got)
	}

	// The plain domain answers its own disco and lists the room domain.
	got = ask(t, a, `<iq from="alice@a.test/r" to="b.test" id="g1" type="get"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`)
	if id := got.Child(nsDiscoInfo, "query").Child(nsDiscoInfo, "identity"); id == nil || id.Get("category") != "gateway" || id.Get("type") != "simple" {
		t.Errorf("gateway disco#info %s", got)
	}
	got = ask(t, a, `<iq from="alice@a.test/r" to="b.test" id="g2" type="get"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`)
	if it := got.Child(nsDiscoItem, "query").Child(nsDiscoItem, "item"); it == nil || it.Get("jid") != "conference.b.test" {
		t.Errorf("gateway disco#items %s", got)
	}
	select {
	case q := <-core.disco:
		t.Errorf("the core was asked about the plain domain: %+v", q)
	default:
	}

	// Presence and messages to rooms reach the core decoded.
	join := NewElement(nsServer, "presence", "from", "alice@a.test/r", "to", "lobby@conference.b.test/alice", "id", "j1").
		Add(NewElement(nsMUC, "x").Add(NewElement(nsMUC, "history", "maxstanzas", "5")))
	if err := a.s.Send(context.Background(), join); err != nil {
		t.Fatal(err)
	}
	if p := recv(t, core.pres, "join"); p.MUCJoin == nil || p.MUCJoin.MaxStanzas != 5 || p.MUCJoin.MaxChars != -1 || p.To.Resourcepart() != "alice" {
		t.Errorf("join %+v", p)
	}
	inv := parseStanza(t, `<message from="alice@a.test/r" to="lobby@conference.b.test" id="i1"><x xmlns="http://jabber.org/protocol/muc#user"><invite to="bob@a.test"/></x></message>`)
	if err := a.s.Send(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, core.msgs, "invite"); m.MUCUser == nil || len(m.MUCUser.Invites) != 1 || m.MUCUser.Invites[0].To.String() != "bob@a.test" {
		t.Errorf("invite %+v", m)
	}
	// A malformed MUC payload comes back as bad-request.
	badJoin := parseStanza(t, `<presence from="alice@a.test/r" to="lobby@conference.b.test/alice" id="j2"><x xmlns="http://jabber.org/protocol/muc#user"><status code="42"/></x></presence>`)
	if err := a.s.Send(context.Background(), badJoin); err != nil {
		t.Fatal(err)
	}
	got = a.rec.wait(t, "bad join error")
	if se := ParseStanzaError(got); got.Get("id") != "j2" || se == nil || se.Condition != ErrBadRequest {
		t.Errorf("bad join: %s", got)
	}
}

// Without a RoomInbound, room IQs are service-unavailable while the rest
// still reaches the handler.
func TestRoomIQWithoutRoomInbound(t *testing.T) {
	a, b := roomWorld(t, nil) // b's handler is a recorder
	got := ask(t, a, `<iq from="alice@a.test/r" to="conference.b.test" id="n1" type="get"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`)
	if se := ParseStanzaError(got); se == nil || se.Condition != ErrServiceUnavailable {
		t.Errorf("disco without rooms: %s", got)
	}
	got = ask(t, a, `<iq from="alice@a.test/r" to="r@conference.b.test" id="n2" type="get"><query xmlns="http://jabber.org/protocol/muc#owner"/></iq>`)
	if se := ParseStanzaError(got); se == nil || se.Condition != ErrServiceUnavailable {
		t.Errorf("owner without rooms: %s", got)
	}
	msg := NewElement(nsServer, "message", "from", "alice@a.test/r", "to", "r@conference.b.test", "type", "groupchat", "id", "m1")
	if err := a.s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if st := b.rec.wait(t, "groupchat at b"); st.Get("id") != "m1" || st.Get("to") != "r@conference.b.test" {
		t.Errorf("routed %s", st)
	}
	// b sends from the room domain: served, so it goes out.
	pres := NewElement(nsServer, "presence", "from", "r@conference.b.test/bob", "to", "alice@a.test/r", "id", "p1")
	if err := b.s.Send(context.Background(), pres); err != nil {
		t.Fatal(err)
	}
	if st := a.rec.wait(t, "presence from the room"); st.Get("id") != "p1" || st.Get("from") != "r@conference.b.test/bob" {
		t.Errorf("got %s", st)
	}
}

func TestRoomDomainOptions(t *testing.T) {
	base := func() Options {
		return Options{Domains: []string{"b.test"}, Resolver: newWorld(t).res, DialbackSecret: "0123456789abcdef0123",
			TLSConfig: &tls.Config{Certificates: []tls.Certificate{(*testCA)(nil).issue(t, "b.test")}, MinVersion: tls.VersionTLS12}}
	}
	for _, rooms := range [][]string{{""}, {"B.test"}, {"c.test", "C.TEST"}, {"r@c.test"}} {
		o := base()
		o.RoomDomains = rooms
		if _, err := NewS2S(o); err == nil {
			t.Errorf("room domains %q accepted", rooms)
		}
		if _, err := NewComponent(Options{Domains: []string{"b.test"}, RoomDomains: rooms}, "127.0.0.1:1", "s"); err == nil {
			t.Errorf("component room domains %q accepted", rooms)
		}
	}
	o := base()
	o.RoomDomains = []string{"conference.b.test"}
	if _, err := NewS2S(o); err != nil {
		t.Errorf("valid room domain refused: %v", err)
	}
}

// A component serving a room domain routes its IQs to the core and sends
// from it.
func TestComponentRoomDomain(t *testing.T) {
	ln, conns := fakeServer(t, "s3cret")
	core := newFakeRooms()
	core.discoRes = translate.DiscoResult{Identities: []translate.DiscoIdentity{{Category: "conference", Type: "text"}}}
	c, err := NewComponent(Options{
		Domains: []string{"sip.example.org"}, RoomDomains: []string{"conference.sip.example.org"},
		Handler: NewInboundHandler(core), Registerer: prometheus.NewRegistry(), ConnectTimeout: 2 * time.Second,
	}, ln.Addr().String(), "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Error(err)
		}
	}()
	var srv *xconn
	select {
	case srv = <-conns:
	case <-time.After(5 * time.Second):
		t.Fatal("component never authenticated")
	}
	defer srv.abort()
	if err := srv.writeString(`<iq from="alice@xmpp.test/r" to="conference.sip.example.org" id="q1" type="get"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`); err != nil {
		t.Fatal(err)
	}
	res, err := srv.r.next()
	if err != nil {
		t.Fatal(err)
	}
	recv(t, core.disco, "disco via component")
	if res.Get("type") != "result" || res.Get("from") != "conference.sip.example.org" || !strings.Contains(res.String(), `category="conference"`) {
		t.Fatalf("answer %s", res)
	}
	if err := c.Send(context.Background(), NewElement(nsServer, "message", "from", "lobby@conference.sip.example.org", "to", "alice@xmpp.test", "id", "m1")); err != nil {
		t.Fatal(err)
	}
	if out, err := srv.r.next(); err != nil || out.Get("id") != "m1" {
		t.Fatalf("sent %v %v", out, err)
	}
}

// pingingRooms is a room core that also answers XEP-0410 self-pings:
// alice@a.test/r is joined as "alice".
type pingingRooms struct{ *fakeRooms }

func (p pingingRooms) XMPPRoomPing(_ context.Context, from, to jid.JID) error {
	if from.String() == "alice@a.test/r" && to.String() == "lobby@conference.b.test/alice" {
		return nil
	}
	return &StanzaError{Condition: ErrNotAcceptable}
}

// XEP-0410 §3.2: a ping to an occupant JID is answered by the service for
// the core: a result when joined, not-acceptable when not.
func TestRoomSelfPing(t *testing.T) {
	a, _ := roomWorld(t, pingingRooms{newFakeRooms()})
	got := ask(t, a, `<iq from="alice@a.test/r" to="lobby@conference.b.test/alice" id="sp1" type="get"><ping xmlns="urn:xmpp:ping"/></iq>`)
	if got.Get("type") != "result" {
		t.Errorf("self-ping of a joined occupant: %s", got)
	}
	got = ask(t, a, `<iq from="alice@a.test/r" to="lobby@conference.b.test/bob" id="sp2" type="get"><ping xmlns="urn:xmpp:ping"/></iq>`)
	if got.Get("type") != "error" || !strings.Contains(got.String(), "not-acceptable") {
		t.Errorf("self-ping under another nick: %s", got)
	}
}
