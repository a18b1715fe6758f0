package gateway

import (
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// Sides of a room occupant.
const (
	sideXMPP = "xmpp"
	sideSIP  = "sip"
)

// occupant is one participant of a room, from either side. Occupants are
// identified by address (an XMPP full JID, a SIP session), never by nick
// (RFC 7702 §7, XEP-0045 §7.2.3).
type occupant struct {
	side string
	// key identifies the occupant in room.occupants: the full JID for
	// XMPP, "sip\x00"+session id for SIP.
	key string
	// nick is the nickname as shown; nickKey its RFC 8266 comparison
	// form, the key in room.byNick.
	nick, nickKey string
	// real is the occupant's real address as a JID: an XMPP user's full
	// JID, a SIP user's address mapped to XMPP (RFC 7247 §6).
	real jid.JID
	// uri is the occupant's SIP URI as the SIP side sees it: the SIP
	// user's own, or an XMPP user's address mapped to SIP.
	uri string
	// session is the SIP side's handle of a SIP occupant's MSRP session.
	session string
	// pm is false for SIP occupants whose a=chatroom lacks
	// private-messages (RFC 7701 §6.2: 428).
	pm                bool
	affiliation, role string
	// presence is the XMPP occupant's last presence (show/status), sent
	// on to the others.
	show, status string
	joined       time.Time
}

// jid returns the occupant JID: room@service/nick (XEP-0045 §4.1).
func (o *occupant) occupantJID(r *room) jid.JID {
	j, err := r.jid.WithResource(o.nick)
	if err != nil {
		return r.jid
	}
	return j
}

// histEntry is one message of a room's history (XEP-0045 §7.2.15).
type histEntry struct {
	nick  string
	real  jid.JID
	uri   string
	id    string
	body  string
	html  string
	stamp time.Time
}

// room is one chat room with two faces: a MUC room (XEP-0045) and an
// MSRP chat room (RFC 7701) of which sxgw is the focus and the switch.
type room struct {
	name string  // the localpart, lowercased
	jid  jid.JID // room@service
	uri  string  // sip:room@service

	mu         sync.Mutex
	occupants  map[string]*occupant // by occupant.key
	byNick     map[string]*occupant // by occupant.nickKey
	subject    string
	subjectBy  string
	history    []histEntry // ring of at most historySize, oldest first
	persistent bool
	created    time.Time
	// confSubs are the conference event package subscriptions (RFC
	// 4575) to this room, by subscription id.
	confSubs map[string]*confSub
	// nSubs is len(confSubs), readable without the lock: changes need
	// no conference job when nobody subscribes.
	nSubs atomic.Int32
	// gone is set when the room was removed from the table; a join
	// racing with the removal retries on a new room.
	gone bool
}

func newRoom(name string, j jid.JID, uri string, now time.Time) *room {
	return &room{
		name: name, jid: j, uri: uri, created: now,
		occupants: make(map[string]*occupant),
		byNick:    make(map[string]*occupant),
		confSubs:  make(map[string]*confSub),
	}
}

// addHistoryLocked appends to the history ring; r.mu held.
func (r *room) addHistoryLocked(h histEntry, size int) {
	if size <= 0 {
		return
	}
	if len(r.history) >= size {
		copy(r.history, r.history[1:])
		r.history = r.history[:size-1]
	}
	r.history = append(r.history, h)
}

// roomTable holds the rooms of the conference service, by name.
type roomTable struct {
	mu    sync.Mutex
	rooms map[string]*room
	// bySub finds the room of a conference event subscription by its
	// id, for refreshes and unsubscribes inside its dialog.
	bySub map[string]*room
	// bySession finds the room of a SIP occupant's MSRP session.
	bySession map[string]*room
}

func newRoomTable() *roomTable {
	return &roomTable{rooms: make(map[string]*room), bySub: make(map[string]*room), bySession: make(map[string]*room)}
}

func (t *roomTable) session(id string, r *room) {
	t.mu.Lock()
	t.bySession[id] = r
	t.mu.Unlock()
}

func (t *roomTable) unsession(id string) {
	t.mu.Lock()
	delete(t.bySession, id)
	t.mu.Unlock()
}

func (t *roomTable) sessionRoom(id string) *room {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bySession[id]
}

func (t *roomTable) subs(id string, r *room) {
	t.mu.Lock()
	t.bySub[id] = r
	t.mu.Unlock()
}

func (t *roomTable) unsub(id string) {
	t.mu.Lock()
	delete(t.bySub, id)
	t.mu.Unlock()
}

func (t *roomTable) subRoom(id string) *room {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bySub[id]
}

// roomName returns the lowercased room name of a room JID or URI user
// part; rooms compare case-insensitively, as the localparts of XMPP
// addresses do after RFC 7613 case mapping.
func roomName(local string) string { return strings.ToLower(local) }

// get returns the room, or nil.
func (t *roomTable) get(name string) *room {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rooms[name]
}

// getOrCreate returns the room and whether it was created now.
func (t *roomTable) getOrCreate(name string, mk func() *room) (*room, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r := t.rooms[name]; r != nil {
		return r, false
	}
	r := mk()
	t.rooms[name] = r
	return r, true
}

// remove drops r if it is still the table's room of its name.
func (t *roomTable) remove(r *room) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.rooms[r.name] == r {
		delete(t.rooms, r.name)
	}
}

// count returns the number of rooms.
func (t *roomTable) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.rooms)
}

// list returns the rooms, in no order.
func (t *roomTable) list() []*room {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*room, 0, len(t.rooms))
	for _, r := range t.rooms {
		out = append(out, r)
	}
	return out
}

// shortHash is a short stable name for a handle that must not show
// itself (a SIP session id) in documents sent to others.
func shortHash(s string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return strconv.FormatUint(h.Sum64(), 36)
}

// occupantItem is the muc#user item describing o (XEP-0045 §7.2.3): the
// rooms are non-anonymous, so the real JID is included for everyone.
func occupantItem(o *occupant) translate.MUCItem {
	return translate.MUCItem{Affiliation: o.affiliation, Role: o.role, JID: o.real}
}
