package gateway

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// isRoomDomain reports whether domain is the conference service.
func (g *Gateway) isRoomDomain(domain string) bool {
	return g.o.ConferenceDomain != "" && strings.EqualFold(domain, g.o.ConferenceDomain)
}

// roomFor returns the room of a room JID's localpart, creating it when
// create is set; the second result tells whether it was created. It
// never returns a room that was removed from the table.
func (g *Gateway) roomFor(local string, create bool) (*room, bool, error) {
	name := roomName(local)
	if name == "" {
		return nil, false, refuse(404, translate.CondItemNotFound, "no room")
	}
	for range 4 {
		var r *room
		created := false
		if create {
			if g.rooms.count() >= maxRooms && g.rooms.get(name) == nil {
				return nil, false, refuse(503, translate.CondResourceConstraint, "too many rooms")
			}
			r, created = g.rooms.getOrCreate(name, func() *room { return g.makeRoom(name) })
		} else {
			r = g.rooms.get(name)
		}
		if r == nil {
			return nil, false, refuse(404, translate.CondItemNotFound, "no such room")
		}
		r.mu.Lock()
		gone := r.gone
		r.mu.Unlock()
		if !gone {
			if created {
				g.m.rooms.Inc()
			}
			return r, created, nil
		}
	}
	return nil, false, refuse(503, translate.CondResourceConstraint, "room is being removed")
}

// Bounds on what anyone on either network can make the service hold.
const (
	maxRooms       = 10000
	maxOccupants   = 5000
	maxSubjectLen  = 1024
	maxInvitesEach = 16 // invitations in one message
)

// lockRoom returns the room of a localpart locked, created when create is
// set, and whether this call created it (and it is still empty). It never
// returns a room that was removed from the table meanwhile (a last
// occupant leaving as someone joins).
func (g *Gateway) lockRoom(local string, create bool) (*room, bool, error) {
	for range 8 {
		r, created, err := g.roomFor(local, create)
		if err != nil {
			return nil, false, err
		}
		r.mu.Lock()
		if !r.gone {
			return r, created && len(r.occupants) == 0, nil
		}
		r.mu.Unlock()
	}
	return nil, false, refuse(503, translate.CondResourceConstraint, "room is being removed")
}

// makeRoom builds an empty room named name.
func (g *Gateway) makeRoom(name string) *room {
	j, err := jid.New(name, g.o.ConferenceDomain, "")
	if err != nil {
		j = jid.JID{}
	}
	return newRoom(name, j, "sip:"+name+"@"+g.o.ConferenceDomain, time.Now())
}

// dropIfEmptyLocked removes a non-persistent room without occupants and
// without conference subscribers (they keep an empty room alive until
// their subscriptions end); r.mu held.
func (g *Gateway) dropIfEmptyLocked(r *room) {
	if len(r.occupants) > 0 || len(r.confSubs) > 0 || r.persistent || r.gone {
		return
	}
	r.gone = true
	g.rooms.remove(r)
	g.m.rooms.Dec()
}

// occupantPresence is o's presence as the room sends it to `to`
// (XEP-0045 §7.2.3): from room/nick, with its item; self adds 110.
func occupantPresence(r *room, o occupant, to jid.JID, unavailable bool, statuses ...int) translate.XMPPPresence {
	p := translate.XMPPPresence{From: o.occupantJID(r), To: to, Show: o.show, Status: o.status,
		MUCUser: &translate.MUCUser{Items: []translate.MUCItem{occupantItem(&o)}, Statuses: statuses}}
	if unavailable {
		p.Type, p.Show = translate.PresenceUnavailable, ""
		p.MUCUser.Items[0].Role = translate.RoleNone
	}
	return p
}

// roomPresence handles presence to the conference service (XEP-0045 §7.2
// enter, §7.6 nick change, §7.14 exit, presence updates).
func (g *Gateway) roomPresence(_ context.Context, p translate.XMPPPresence) error {
	ports, err := g.ports()
	if err != nil {
		return err
	}
	if p.To.Localpart() == "" {
		return nil // presence to the service itself means nothing
	}
	key := p.From.String()
	switch p.Type {
	case translate.PresenceUnavailable, translate.PresenceError:
		if r, _, err := g.roomFor(p.To.Localpart(), false); err == nil {
			g.leaveRoom(ports, r, key, p.Status, 0)
		}
		return nil
	case translate.PresenceAvailable:
	default:
		return nil // no subscriptions to rooms or occupants (§7.2: presence only)
	}
	if p.From.Resourcepart() == "" {
		return refuse(400, translate.CondBadRequest, "an occupant is a full JID")
	}
	if p.To.Resourcepart() == "" {
		// §7.2.1: no nickname.
		return refuse(400, translate.CondJIDMalformed, "a room nickname is required")
	}
	shown, nkey, err := prepareNick(p.To.Resourcepart())
	if err != nil {
		return err
	}
	r, created, err := g.lockRoom(p.To.Localpart(), true)
	if err != nil {
		return err
	}
	if o := r.occupants[key]; o != nil {
		defer r.mu.Unlock()
		if o.nickKey != nkey {
			return g.changeNickLocked(ports, r, o, shown, nkey)
		}
		// A presence update, or a join from a client that lost track
		// (§7.2.1: send it everything again).
		o.show, o.status = p.Show, p.Status
		v := *o
		others := r.recipientsLocked(key)
		resync := p.MUCJoin != nil
		var state joinState
		if resync {
			state = g.joinStateLocked(r, key, p.MUCJoin)
		}
		return g.roomJob(r, func() {
			if resync {
				g.sendJoinState(ports, r, v, state, false)
				return
			}
			for _, rc := range others {
				if rc.side == sideXMPP {
					g.roomPresenceTo(ports, occupantPresence(r, v, rc.to, false))
				}
			}
			g.roomPresenceTo(ports, occupantPresence(r, v, v.real, false, translate.StatusNonAnonymous, translate.StatusSelf))
		})
	}
	if other := r.byNick[nkey]; other != nil {
		g.dropIfEmptyLocked(r)
		r.mu.Unlock()
		g.m.roomJoinFailures.WithLabelValues("conflict").Inc()
		// §7.2.9.
		return refuse(409, translate.CondConflict, "that nickname is in use")
	}
	if len(r.occupants) >= maxOccupants {
		r.mu.Unlock()
		g.m.roomJoinFailures.WithLabelValues("full").Inc()
		// §7.2.11: the room is full.
		return refuse(503, translate.CondServiceUnavailable, "the room is full")
	}
	o := &occupant{side: sideXMPP, key: key, nick: shown, nickKey: nkey, real: p.From,
		pm: true, affiliation: translate.AffiliationNone, role: translate.RoleParticipant,
		show: p.Show, status: p.Status, joined: time.Now()}
	if u, err := translate.JIDToSIP(p.From.Bare(), translate.AddressOptions{}); err == nil {
		o.uri = u
	} else {
		o.uri = "sip:" + p.From.Bare().String()
	}
	if created {
		o.affiliation, o.role = translate.AffiliationOwner, translate.RoleModerator
	}
	g.addOccupantLocked(r, o)
	v := *o
	state := g.joinStateLocked(r, key, p.MUCJoin)
	others := r.recipientsLocked(key)
	err = g.roomJob(r, func() {
		for _, rc := range others {
			if rc.side == sideXMPP {
				g.roomPresenceTo(ports, occupantPresence(r, v, rc.to, false))
			}
		}
		g.sendJoinState(ports, r, v, state, created)
	})
	r.mu.Unlock()
	if err != nil {
		g.removeOccupant(r, key)
		return err
	}
	g.notifyConference(ports, r)
	return nil
}

// addOccupantLocked registers o in r; r.mu held.
func (g *Gateway) addOccupantLocked(r *room, o *occupant) {
	r.occupants[o.key] = o
	r.byNick[o.nickKey] = o
	g.m.occupants.WithLabelValues(o.side).Inc()
}

// removeOccupant undoes a join whose announcement could not be queued.
func (g *Gateway) removeOccupant(r *room, key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o := r.occupants[key]; o != nil {
		delete(r.occupants, key)
		delete(r.byNick, o.nickKey)
		g.m.occupants.WithLabelValues(o.side).Dec()
	}
	g.dropIfEmptyLocked(r)
}

// joinState is what a joining XMPP occupant is sent, copied under the
// room lock: the others' presence, the history it asked for, the
// subject.
type joinState struct {
	others    []occupant
	history   []histEntry
	subject   string
	subjectBy string
}

// joinStateLocked copies what §7.2.3-§7.2.16 send a newcomer; r.mu held.
func (g *Gateway) joinStateLocked(r *room, self string, j *translate.MUCJoin) joinState {
	var s joinState
	for _, o := range r.occupants {
		if o.key != self {
			s.others = append(s.others, *o)
		}
	}
	s.history = historyFor(r.history, j, time.Now())
	s.subject, s.subjectBy = r.subject, r.subjectBy
	return s
}

// historyFor applies a join's history limits (§7.2.15): maxstanzas,
// maxchars (of the stanzas as sent; approximated by their bodies),
// seconds and since.
func historyFor(h []histEntry, j *translate.MUCJoin, now time.Time) []histEntry {
	if j == nil {
		return append([]histEntry(nil), h...)
	}
	start := 0
	if j.MaxStanzas >= 0 && len(h)-start > j.MaxStanzas {
		start = len(h) - j.MaxStanzas
	}
	if j.Seconds >= 0 {
		cut := now.Add(-time.Duration(j.Seconds) * time.Second)
		for start < len(h) && h[start].stamp.Before(cut) {
			start++
		}
	}
	if !j.Since.IsZero() {
		for start < len(h) && h[start].stamp.Before(j.Since) {
			start++
		}
	}
	if j.MaxChars >= 0 {
		total := 0
		i := len(h)
		for i > start {
			total += len(h[i-1].body) + 200 // the stanza around the body
			if total > j.MaxChars {
				break
			}
			i--
		}
		start = i
	}
	return append([]histEntry(nil), h[start:]...)
}

// sendJoinState sends a joining XMPP occupant the room (§7.2.3 order):
// the others' presence, its own with 110 (and 201 for a new room), the
// history with delays (§7.2.15), then the subject, which ends the join
// (§7.2.16).
func (g *Gateway) sendJoinState(p *sides, r *room, self occupant, s joinState, created bool) {
	for _, o := range s.others {
		g.roomPresenceTo(p, occupantPresence(r, o, self.real, false))
	}
	statuses := []int{translate.StatusNonAnonymous, translate.StatusSelf}
	if created {
		statuses = append(statuses, translate.StatusCreated)
	}
	g.roomPresenceTo(p, occupantPresence(r, self, self.real, false, statuses...))
	for _, h := range s.history {
		from, err := r.jid.WithResource(h.nick)
		if err != nil {
			continue
		}
		g.roomToXMPP(p, translate.XMPPMessage{From: from, To: self.real, ID: h.id, Type: translate.TypeGroupchat,
			Body: h.body, HTML: h.html, Delay: &translate.Delay{Stamp: h.stamp, From: r.jid}})
	}
	from := r.jid
	if s.subjectBy != "" {
		if j, err := r.jid.WithResource(s.subjectBy); err == nil {
			from = j
		}
	}
	g.roomToXMPP(p, translate.XMPPMessage{From: from, To: self.real, ID: newID(), Type: translate.TypeGroupchat,
		Subject: s.subject, SubjectSet: true})
}

// changeNickLocked changes an occupant's nickname (XEP-0045 §7.6; RFC
// 7701 §7.2 for SIP occupants): unavailable with 303 and the new nick,
// then available under the new nick, to every XMPP occupant; r.mu held.
func (g *Gateway) changeNickLocked(p *sides, r *room, o *occupant, shown, nkey string) error {
	if other := r.byNick[nkey]; other != nil && other != o {
		return refuse(425, translate.CondConflict, "that nickname is in use")
	}
	old := *o
	delete(r.byNick, o.nickKey)
	o.nick, o.nickKey = shown, nkey
	r.byNick[nkey] = o
	v := *o
	all := r.recipientsLocked("")
	g.roomJobForce(r, func() {
		for _, rc := range all {
			if rc.side != sideXMPP {
				continue
			}
			var self []int
			if rc.key == v.key {
				self = []int{translate.StatusSelf}
			}
			gone := occupantPresence(r, old, rc.to, true, append([]int{translate.StatusNickChanged}, self...)...)
			gone.MUCUser.Items[0].Nick = v.nick
			g.roomPresenceTo(p, gone)
			g.roomPresenceTo(p, occupantPresence(r, v, rc.to, false, self...))
		}
	})
	g.notifyConference(p, r)
	return nil
}

// leaveRoom removes the occupant keyed key (XEP-0045 §7.14; RFC 7702 §5
// step 9 and §6 BYE): everyone, the leaver included when it is on XMPP,
// gets its unavailable presence. status is the leaver's status text;
// code, when not 0, is a status code such as 307 (kicked).
func (g *Gateway) leaveRoom(p *sides, r *room, key, status string, code int) {
	r.mu.Lock()
	o := r.occupants[key]
	if o == nil {
		r.mu.Unlock()
		return
	}
	delete(r.occupants, key)
	delete(r.byNick, o.nickKey)
	g.m.occupants.WithLabelValues(o.side).Dec()
	v := *o
	v.status = status
	others := r.recipientsLocked("")
	g.roomJobForce(r, func() {
		var codes []int
		if code != 0 {
			codes = []int{code}
		}
		for _, rc := range others {
			if rc.side == sideXMPP {
				g.roomPresenceTo(p, occupantPresence(r, v, rc.to, true, codes...))
			}
		}
		if v.side == sideXMPP {
			g.roomPresenceTo(p, occupantPresence(r, v, v.real, true, append(codes, translate.StatusSelf)...))
		}
	})
	g.dropIfEmptyLocked(r)
	r.mu.Unlock()
	g.notifyConference(p, r)
}

// roomMessage handles messages to the conference service: groupchat to
// a room (§7.4), private messages to room/nick (§7.5), subject changes
// (§8.1), mediated invitations (§7.8.2).
func (g *Gateway) roomMessage(_ context.Context, m translate.XMPPMessage) error {
	if m.Type == translate.TypeError {
		return nil // errors about what a room sent: the occupant's problem
	}
	ports, err := g.ports()
	if err != nil {
		return err
	}
	if m.To.Localpart() == "" {
		return refuse(405, translate.CondServiceUnavailable, "the conference service takes no messages")
	}
	r, _, err := g.roomFor(m.To.Localpart(), false)
	if err != nil {
		return err
	}
	if m.MUCUser != nil && len(m.MUCUser.Invites) > 0 && m.To.Resourcepart() == "" {
		return g.inviteFromXMPP(ports, r, m)
	}
	if m.MUCUser != nil && m.MUCUser.Decline != nil {
		return nil // declines are not relayed (the inviter may be on SIP)
	}
	key := m.From.String()
	r.mu.Lock()
	o := r.occupants[key]
	if o == nil {
		r.mu.Unlock()
		// §7.4: only occupants speak.
		return refuse(403, translate.CondNotAcceptable, "only occupants may send messages to the room")
	}
	sender := *o
	if m.To.Resourcepart() != "" {
		target, err := g.pmTargetLocked(r, m.To.Resourcepart())
		r.mu.Unlock()
		if err != nil {
			return err
		}
		return g.privateFromXMPP(ports, r, sender, target, m)
	}
	if m.Type != translate.TypeGroupchat {
		r.mu.Unlock()
		return refuse(400, translate.CondBadRequest, "messages to a room are groupchat (XEP-0045 §7.4)")
	}
	if utf8.RuneCountInString(m.Subject) > maxSubjectLen || len(m.HTML) > maxRoomBody {
		r.mu.Unlock()
		return refuse(413, translate.CondNotAcceptable, "subject or formatted body too long for the room")
	}
	if m.Body == "" && m.Subject != "" || m.SubjectSet && m.Body == "" {
		// §8.1: a subject change; every participant may change it here.
		r.subject, r.subjectBy = m.Subject, sender.nick
		if r.persistent {
			g.persistRoomLocked(r)
		}
		all := r.recipientsLocked("")
		err := g.roomJob(r, func() {
			from := sender.occupantJID(r)
			for _, rc := range all {
				if rc.side == sideXMPP {
					g.roomToXMPP(ports, translate.XMPPMessage{From: from, To: rc.to, ID: m.ID, Type: translate.TypeGroupchat, Subject: m.Subject, SubjectSet: true})
				}
			}
		})
		r.mu.Unlock()
		if err == nil {
			g.notifyConference(ports, r)
		}
		return err
	}
	start := time.Now()
	all := r.recipientsLocked("")
	if m.Body != "" {
		if utf8.RuneCountInString(m.Body) > maxRoomBody {
			r.mu.Unlock()
			return refuse(413, translate.CondNotAcceptable, "message too long for the room")
		}
		r.addHistoryLocked(histEntry{nick: sender.nick, real: sender.real, uri: sender.uri, id: m.ID, body: m.Body, html: m.HTML, stamp: start}, g.o.RoomHistory)
	}
	err = g.roomJob(r, func() { g.broadcastFromXMPP(ports, r, sender, all, m, start) })
	r.mu.Unlock()
	return err
}

// maxRoomBody bounds a room message in characters (RFC 7702 §8 defers
// to RFC 7573 §8: what MSRP carries, bounded by policy).
const maxRoomBody = 64 << 10

// broadcastFromXMPP sends an XMPP occupant's groupchat message to every
// occupant: XMPP occupants (the sender too, XEP-0045 §7.4: the
// reflection keeps the id) get it from room/nick; SIP occupants get it as
// CPIM from the sender's URI to the room (RFC 7702 §5 Table 4).
func (g *Gateway) broadcastFromXMPP(p *sides, r *room, sender occupant, all []recipient, m translate.XMPPMessage, start time.Time) {
	from := sender.occupantJID(r)
	var s translate.SIPMessage
	var ok bool
	sips := 0
	for _, rc := range all {
		if rc.side == sideSIP {
			sips++
		}
	}
	if sips > 0 {
		var err error
		s, ok, err = translate.RoomMessageToSIP(m, sender.nick, sender.uri, r.uri, 0, start)
		if err != nil {
			g.log.Debug("room message not translated", "err", err)
		}
	}
	if !ok {
		sips = 0
	}
	f := g.newFanout(start, sips, true)
	for _, rc := range all {
		switch {
		case rc.side == sideXMPP:
			g.roomToXMPP(p, translate.XMPPMessage{From: from, To: rc.to, ID: m.ID, Type: translate.TypeGroupchat,
				Lang: m.Lang, Body: m.Body, HTML: m.HTML, ChatState: m.ChatState, OriginID: m.OriginID})
		case ok:
			g.roomToSIP(p, f, rc.session, s)
		}
	}
	if m.Body != "" {
		g.m.roomMessages.WithLabelValues(sideXMPP, "public").Inc()
	}
	f.done()
}

// pmTargetLocked finds the occupant a private message names by nick
// (XEP-0045 §7.5); r.mu held.
func (g *Gateway) pmTargetLocked(r *room, nick string) (occupant, error) {
	_, nkey, err := prepareNick(nick)
	if err != nil {
		return occupant{}, refuse(404, translate.CondItemNotFound, "no occupant with that nickname")
	}
	o := r.byNick[nkey]
	if o == nil {
		return occupant{}, refuse(404, translate.CondItemNotFound, "no occupant with that nickname")
	}
	return *o, nil
}

// privateFromXMPP delivers an XMPP occupant's private message (§7.5):
// to an XMPP occupant from room/sendernick, to a SIP occupant as CPIM to
// its URI (RFC 7701 §6.2; 428's rule: only to those taking them).
func (g *Gateway) privateFromXMPP(p *sides, r *room, sender, target occupant, m translate.XMPPMessage) error {
	if m.Type == translate.TypeGroupchat {
		return refuse(400, translate.CondBadRequest, "a private message is not groupchat (XEP-0045 §7.5)")
	}
	if target.side == sideSIP && !target.pm {
		return refuse(428, translate.CondNotAcceptable, "that participant takes no private messages")
	}
	from := sender.occupantJID(r)
	key := "roompm\x00" + sender.key + "\x00" + target.key
	err := g.queue.submit(key, func() {
		if target.side == sideXMPP {
			g.roomToXMPP(p, translate.XMPPMessage{From: from, To: target.real, ID: m.ID, Type: translate.TypeChat,
				Lang: m.Lang, Body: m.Body, HTML: m.HTML, ChatState: m.ChatState, Thread: m.Thread,
				MUCUser: &translate.MUCUser{}})
			return
		}
		s, ok, err := translate.RoomMessageToSIP(m, sender.nick, sender.uri, target.uri, 0, time.Now())
		if err != nil || !ok {
			return
		}
		f := g.newFanout(time.Now(), 1, false)
		g.roomToSIP(p, f, target.session, s)
		f.done()
	})
	if err != nil {
		return refuse(503, translate.CondResourceConstraint, "too many messages waiting")
	}
	if m.Body != "" {
		g.m.roomMessages.WithLabelValues(sideXMPP, "private").Inc()
	}
	return nil
}
