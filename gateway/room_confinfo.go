package gateway

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/sxgw/sxgw/sip/simple"
	"github.com/sxgw/sxgw/translate"
)

// conferenceEvent is the conference event package (RFC 4575 §3).
const conferenceEvent = "conference"

// maxConfSubs bounds the conference subscriptions of one room: each costs
// a NOTIFY per change.
const maxConfSubs = 256

// confSub is one SIP subscription to a room's participant list (RFC
// 4575). Its fields are guarded by the room's lock.
type confSub struct {
	id      string
	dialog  translate.SIPDialog
	expires time.Time
	timer   *time.Timer
	// version numbers the documents of this subscription (§5.2).
	version uint32
	// sent is what the subscriber knows: user entity -> a digest of the
	// user as last sent; subject likewise. Later NOTIFYs are partial
	// (§4.4) and only when something changed.
	sent    map[string]string
	subject string
	full    bool // the next NOTIFY carries the full state
}

// SIPSubscribe for Event: conference to a room URI (RFC 4575 §3; RFC
// 7701 §7.4): a new subscription gets a full participant list at once,
// later changes as partial documents.
func (g *Gateway) roomSubscribe(s translate.SIPSubscribe) (int, func(), error) {
	ports, err := g.ports()
	if err != nil {
		return 0, nil, err
	}
	id := subID(s.Dialog.CallID, s.Dialog.LocalTag)
	if !s.New {
		return g.refreshConfSub(ports, id, s)
	}
	target, err := translate.SIPToJID(s.RequestURI, translate.AddressOptions{})
	if err != nil || !g.isRoomDomain(target.Domainpart()) || target.Localpart() == "" {
		return 0, nil, refuse(404, translate.CondItemNotFound, "no such conference")
	}
	r, _, err := g.lockRoom(target.Localpart(), false)
	if err != nil {
		return 0, nil, err
	}
	defer r.mu.Unlock()
	expires := clampExpires(s.Expires)
	if expires == 0 {
		// A fetch (RFC 6665 §4.4.3): one NOTIFY with the state, terminated.
		cs := &confSub{id: id, dialog: s.Dialog, full: true, sent: map[string]string{}}
		body := g.confDocLocked(r, cs)
		return 0, func() { g.sendConfNotify(ports, cs, r, body, 0, true) }, nil
	}
	if len(r.confSubs) >= maxConfSubs {
		return 0, nil, refuse(503, translate.CondResourceConstraint, "too many subscriptions to this conference")
	}
	cs := &confSub{id: id, dialog: s.Dialog, expires: time.Now().Add(time.Duration(expires) * time.Second), full: true, sent: map[string]string{}}
	r.confSubs[id] = cs
	r.nSubs.Add(1)
	g.rooms.subs(id, r)
	g.armConfExpiry(ports, r, cs)
	g.m.subscriptions.WithLabelValues("conference").Inc()
	return expires, func() { g.notifyConference(ports, r) }, nil
}

// refreshConfSub refreshes or ends (Expires 0) a conference subscription.
func (g *Gateway) refreshConfSub(ports *sides, id string, s translate.SIPSubscribe) (int, func(), error) {
	r := g.rooms.subRoom(id)
	if r == nil {
		return 0, nil, refuse(481, translate.CondItemNotFound, "no such subscription")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cs := r.confSubs[id]
	if cs == nil {
		return 0, nil, refuse(481, translate.CondItemNotFound, "no such subscription")
	}
	cs.dialog.RemoteCSeq = s.Dialog.RemoteCSeq
	expires := clampExpires(s.Expires)
	if expires == 0 {
		g.dropConfSubLocked(r, cs)
		return 0, func() { g.sendConfNotify(ports, cs, r, nil, 0, true) }, nil
	}
	cs.expires = time.Now().Add(time.Duration(expires) * time.Second)
	cs.full = true // a refresh gets the full state (RFC 6665 §4.2.1.2)
	g.armConfExpiry(ports, r, cs)
	return expires, func() { g.notifyConference(ports, r) }, nil
}

// armConfExpiry ends a subscription that is not refreshed in time; r.mu
// held.
func (g *Gateway) armConfExpiry(ports *sides, r *room, cs *confSub) {
	if cs.timer != nil {
		cs.timer.Stop()
	}
	cs.timer = time.AfterFunc(time.Until(cs.expires), func() {
		r.mu.Lock()
		if r.confSubs[cs.id] != cs || time.Now().Before(cs.expires) {
			r.mu.Unlock()
			return
		}
		g.dropConfSubLocked(r, cs)
		r.mu.Unlock()
		g.sendConfNotify(ports, cs, r, nil, 0, true)
	})
}

// dropConfSubLocked forgets cs; r.mu held.
func (g *Gateway) dropConfSubLocked(r *room, cs *confSub) {
	if cs.timer != nil {
		cs.timer.Stop()
	}
	if r.confSubs[cs.id] == cs {
		delete(r.confSubs, cs.id)
		r.nSubs.Add(-1)
		g.rooms.unsub(cs.id)
		g.m.subscriptions.WithLabelValues("conference").Dec()
	}
	g.dropIfEmptyLocked(r)
}

// notifyConference sends each subscriber of r what changed since its last
// NOTIFY, in the room's order (RFC 4575 §4.4 partial notifications).
func (g *Gateway) notifyConference(p *sides, r *room) {
	if r.nSubs.Load() == 0 {
		return // a subscription made later starts with the full state
	}
	_ = g.roomJob(r, func() {
		type out struct {
			cs      *confSub
			body    []byte
			expires int
		}
		var sends []out
		r.mu.Lock()
		for _, cs := range r.confSubs {
			if body := g.confDocLocked(r, cs); body != nil {
				sends = append(sends, out{cs, body, max(0, int(time.Until(cs.expires).Seconds()))})
			}
		}
		r.mu.Unlock()
		for _, s := range sends {
			g.sendConfNotify(p, s.cs, r, s.body, s.expires, false)
		}
	})
}

// confUser is one <user> of the document: the occupants sharing a URI
// are one user with one endpoint each (RFC 4575 §5.6, §5.7; RFC 7701
// §6.1: one participant may join from several user agents).
func confUsersLocked(r *room) []simple.ConferenceUser {
	list := make([]*occupant, 0, len(r.occupants))
	for _, o := range r.occupants {
		list = append(list, o)
	}
	slices.SortFunc(list, func(a, b *occupant) int {
		if c := a.joined.Compare(b.joined); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	var users []simple.ConferenceUser
	index := map[string]int{}
	for _, o := range list {
		ep := simple.ConferenceEndpoint{Entity: endpointEntity(o), Status: "connected", DisplayText: o.nick,
			Media: []simple.ConferenceMedia{{ID: "1", Type: "message", Status: "sendrecv"}}}
		if i, ok := index[o.uri]; ok {
			users[i].Endpoints = append(users[i].Endpoints, ep)
			continue
		}
		u := simple.ConferenceUser{Entity: o.uri, DisplayText: o.nick, Nickname: o.nick,
			Roles: []string{o.role}, Endpoints: []simple.ConferenceEndpoint{ep}}
		if o.side == sideXMPP {
			// RFC 7702 §5 Table 2: an xmpp: associated AOR is the
			// occupant's full JID.
			u.AssociatedAORs = []string{"xmpp:" + o.real.String()}
		}
		index[o.uri] = len(users)
		users = append(users, u)
	}
	return users
}

// endpointEntity names an occupant's endpoint: its SIP session, or its
// XMPP full JID.
func endpointEntity(o *occupant) string {
	if o.side == sideXMPP {
		return "xmpp:" + o.real.String()
	}
	return o.uri + ";sxgw-session=" + shortHash(o.session)
}

// userDigest is what changes of a user make a partial NOTIFY necessary.
func userDigest(u *simple.ConferenceUser) string {
	var b strings.Builder
	b.WriteString(u.Nickname)
	for _, r := range u.Roles {
		b.WriteString("\x00" + r)
	}
	for _, e := range u.Endpoints {
		b.WriteString("\x01" + e.Entity + "\x00" + e.DisplayText)
	}
	return b.String()
}

// confDocLocked builds cs's next document, or nil when nothing changed
// since its last one; r.mu held.
func (g *Gateway) confDocLocked(r *room, cs *confSub) []byte {
	users := confUsersLocked(r)
	ci := &simple.ConferenceInfo{Entity: r.uri, State: simple.ConferencePartial,
		Users: &simple.ConferenceUsers{State: simple.ConferencePartial}}
	if cs.full {
		ci.State = simple.ConferenceFull
		ci.Users.State = simple.ConferenceFull
		ci.Users.Users = users
		ci.Description = &simple.ConferenceDescription{DisplayText: r.name, Subject: r.subject}
		cs.sent = make(map[string]string, len(users))
		for i := range users {
			cs.sent[users[i].Entity] = userDigest(&users[i])
		}
		cs.subject, cs.full = r.subject, false
	} else {
		seen := make(map[string]bool, len(users))
		for i := range users {
			u := &users[i]
			seen[u.Entity] = true
			d := userDigest(u)
			if cs.sent[u.Entity] != d {
				cs.sent[u.Entity] = d
				ci.Users.Users = append(ci.Users.Users, *u)
			}
		}
		gone := make([]string, 0)
		for e := range cs.sent {
			if !seen[e] {
				gone = append(gone, e)
			}
		}
		slices.Sort(gone)
		for _, e := range gone {
			delete(cs.sent, e)
			ci.Users.Users = append(ci.Users.Users, simple.ConferenceUser{Entity: e, State: simple.ConferenceDeleted})
		}
		if cs.subject != r.subject {
			cs.subject = r.subject
			ci.Description = &simple.ConferenceDescription{Subject: r.subject}
		}
		if len(ci.Users.Users) == 0 && ci.Description == nil {
			return nil
		}
		if len(ci.Users.Users) == 0 {
			ci.Users = nil
		}
	}
	cs.version++
	ci.Version = cs.version
	body, err := ci.Marshal()
	if err != nil {
		g.log.Warn("conference document not built", "err", err)
		return nil
	}
	return body
}

// sendConfNotify sends one NOTIFY of cs, in cs's order; final ends the
// subscription (terminated, RFC 6665 §4.2.2).
func (g *Gateway) sendConfNotify(p *sides, cs *confSub, r *room, body []byte, expires int, final bool) {
	n := translate.SIPNotify{Event: conferenceEvent, State: translate.SubStateActive, Expires: expires, RetryAfter: -1}
	if final {
		n.State, n.Reason, n.Expires = translate.SubStateTerminated, "timeout", -1
	}
	if body != nil {
		n.ContentType, n.Body = simple.ContentTypeConferenceInfo, body
	}
	err := g.queue.submit("conf\x00"+cs.id, func() {
		r.mu.Lock()
		d := cs.dialog
		r.mu.Unlock()
		ctx, cancel := context.WithTimeout(g.ctx, sipSendTimeout)
		defer cancel()
		nd, err := p.sip.Notify(ctx, d, n)
		r.mu.Lock()
		cs.dialog.LocalCSeq = max(cs.dialog.LocalCSeq, nd.LocalCSeq)
		if err != nil && !final && isDialogGone(err) {
			g.dropConfSubLocked(r, cs)
		}
		r.mu.Unlock()
		if err != nil {
			g.m.notifies.WithLabelValues(resultError).Inc()
			return
		}
		g.m.notifies.WithLabelValues(resultOK).Inc()
	})
	if err != nil {
		g.log.Warn("conference NOTIFY not queued", "err", err)
	}
}
