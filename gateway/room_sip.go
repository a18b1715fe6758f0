package gateway

import (
	"context"
	"net/url"
	"strings"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// sipOccupantKey is the room.occupants key of a SIP session.
func sipOccupantKey(session string) string { return "sip\x00" + session }

// uriKey is the comparison form of a SIP URI naming a participant: the
// scheme-less user@host, lowercased, without parameters or headers
// (RFC 3261 §19.1.4 compares parameters too; participants are named by
// their address of record here).
func uriKey(u string) string {
	u = strings.TrimSpace(u)
	if i := strings.IndexAny(u, ";?"); i >= 0 {
		u = u[:i]
	}
	if i := strings.IndexByte(u, ':'); i >= 0 {
		u = u[i+1:]
	}
	return strings.ToLower(u)
}

// roomOfURI returns the room a SIP room URI names.
func (g *Gateway) roomOfURI(uri string, create bool) (*room, bool, error) {
	target, err := translate.SIPToJID(uri, translate.AddressOptions{})
	if err != nil || !g.isRoomDomain(target.Domainpart()) || target.Localpart() == "" {
		return nil, false, refuse(404, translate.CondItemNotFound, "no such room")
	}
	return g.roomFor(target.Localpart(), create)
}

// sipOccupant returns the room and a copy of the SIP occupant of a
// session.
func (g *Gateway) sipOccupant(session string) (*room, occupant, error) {
	r := g.rooms.sessionRoom(session)
	if r == nil {
		return nil, occupant{}, refuse(481, translate.CondItemNotFound, "not in a room")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.occupants[sipOccupantKey(session)]
	if o == nil {
		return nil, occupant{}, refuse(481, translate.CondItemNotFound, "not in a room")
	}
	return r, *o, nil
}

// SIPRoomJoin: a SIP user joins a room with an MSRP session (RFC 7701
// §5.2; RFC 7702 §6). The room is created if needed. Until it sends
// NICKNAME the participant is shown under a nickname made from its
// display name or user part (RFC 7702 §6: a temporary nickname), which
// the conference event package tells it (RFC 7701 §7.4).
func (g *Gateway) SIPRoomJoin(_ context.Context, j translate.SIPRoomJoin) error {
	ports, err := g.ports()
	if err != nil {
		return err
	}
	user, err := translate.SIPToJID(j.From, g.sipSide)
	if err != nil {
		return err
	}
	if !g.serves(user.Domainpart()) {
		g.m.roomJoinFailures.WithLabelValues("forbidden").Inc()
		return refuse(403, translate.CondForbidden, "participant's domain is not served by this gateway")
	}
	target, err := translate.SIPToJID(j.Room, translate.AddressOptions{})
	if err != nil || !g.isRoomDomain(target.Domainpart()) || target.Localpart() == "" {
		g.m.roomJoinFailures.WithLabelValues("no-room").Inc()
		return refuse(404, translate.CondItemNotFound, "no such room")
	}
	want := j.Display
	if want == "" {
		want = user.Localpart()
	}
	return g.joinSIP(ports, target.Localpart(), j.ID, user, want, j.PrivateMessages)
}

// joinSIP adds a SIP occupant to the room named local (created when
// needed) and announces it.
func (g *Gateway) joinSIP(ports *sides, local, session string, user jid.JID, want string, pm bool) error {
	r, created, err := g.lockRoom(local, true)
	if err != nil {
		g.m.roomJoinFailures.WithLabelValues("no-room").Inc()
		return err
	}
	if len(r.occupants) >= maxOccupants {
		r.mu.Unlock()
		g.m.roomJoinFailures.WithLabelValues("full").Inc()
		return refuse(486, translate.CondServiceUnavailable, "the room is full")
	}
	if g.leftSessions.has(time.Now(), session) {
		g.dropIfEmptyLocked(r)
		r.mu.Unlock()
		return refuse(481, translate.CondItemNotFound, "the session ended before it joined")
	}
	key := sipOccupantKey(session)
	if r.occupants[key] != nil {
		r.mu.Unlock()
		return nil
	}
	shown, nkey, ok := uniqueNickLocked(r, want)
	if !ok {
		g.dropIfEmptyLocked(r)
		r.mu.Unlock()
		g.m.roomJoinFailures.WithLabelValues("conflict").Inc()
		return refuse(486, translate.CondConflict, "no free nickname")
	}
	o := &occupant{side: sideSIP, key: key, nick: shown, nickKey: nkey, real: user.Bare(), session: session,
		pm: pm, affiliation: translate.AffiliationNone, role: translate.RoleParticipant, joined: time.Now()}
	if u, err := translate.JIDToSIP(user.Bare(), g.sipSide); err == nil {
		o.uri = u
	} else {
		o.uri = "sip:" + user.Bare().String()
	}
	if created {
		o.affiliation, o.role = translate.AffiliationOwner, translate.RoleModerator
	}
	g.addOccupantLocked(r, o)
	g.rooms.session(session, r)
	v := *o
	others := r.recipientsLocked(key)
	history := append([]histEntry(nil), r.history...)
	err = g.roomJob(r, func() {
		for _, rc := range others {
			if rc.side == sideXMPP {
				g.roomPresenceTo(ports, occupantPresence(r, v, rc.to, false))
			}
		}
		f := g.newFanout(time.Now(), 0, false)
		defer f.done()
		for _, h := range history {
			s, ok, err := translate.RoomMessageToSIP(translate.XMPPMessage{ID: h.id, Body: h.body}, h.nick, h.uri, r.uri, 0, h.stamp)
			if err == nil && ok {
				f.pending.Add(1)
				g.roomToSIP(ports, f, session, s)
			}
		}
	})
	r.mu.Unlock()
	if err != nil {
		g.rooms.unsession(session)
		g.removeOccupant(r, key)
		return err
	}
	g.notifyConference(ports, r)
	return nil
}

// SIPRoomNickname sets a SIP occupant's nickname (RFC 7701 §7.1): 424
// when it is not a valid nickname, 425 when another occupant has it.
func (g *Gateway) SIPRoomNickname(_ context.Context, session, nick string) error {
	ports, err := g.ports()
	if err != nil {
		return err
	}
	shown, nkey, err := prepareNick(nick)
	if err != nil {
		return refuse(424, translate.CondNotAcceptable, "malformed nickname")
	}
	r := g.rooms.sessionRoom(session)
	if r == nil {
		return refuse(481, translate.CondItemNotFound, "not in a room")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.occupants[sipOccupantKey(session)]
	if o == nil {
		return refuse(481, translate.CondItemNotFound, "not in a room")
	}
	if o.nickKey == nkey && o.nick == shown {
		return nil
	}
	if err := g.changeNickLocked(ports, r, o, shown, nkey); err != nil {
		g.m.roomJoinFailures.WithLabelValues("conflict").Inc()
		return err
	}
	return nil
}

// SIPRoomMessage handles an MSRP message of a SIP occupant (RFC 7701
// §6): to all (CPIM To the room, or no CPIM) or private (To one
// participant, §6.2: 404 when it is none, 428 when it takes no private
// messages). Several To headers get 403 (§6.1).
func (g *Gateway) SIPRoomMessage(_ context.Context, session string, m translate.SIPMessage) error {
	start := time.Now()
	ports, err := g.ports()
	if err != nil {
		return err
	}
	r, sender, err := g.sipOccupant(session)
	if err != nil {
		return err
	}
	from, to, err := translate.RoomAddressees(m)
	if err != nil {
		return err
	}
	if len(to) > 1 {
		return refuse(403, translate.CondNotAcceptable, "one recipient per private message (RFC 7701 §6.2)")
	}
	// §6.1: the switch SHOULD check the sender is who the session is.
	if from.URI != "" && uriKey(from.URI) != uriKey(sender.uri) {
		return refuse(403, translate.CondForbidden, "the CPIM From is not this participant")
	}
	x, err := translate.MessageToXMPP(m, sender.occupantJID(r), r.jid)
	if translate.IsNothingToSend(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(to) == 1 && !g.isRoomAddress(r, to[0].URI, to[0].Params) {
		return g.privateFromSIP(ports, r, sender, to[0].URI, to[0].Params, x, m)
	}
	r.mu.Lock()
	all := r.recipientsLocked(sender.key)
	if x.Body != "" {
		r.addHistoryLocked(histEntry{nick: sender.nick, real: sender.real, uri: sender.uri, id: x.ID, body: x.Body, html: x.HTML, stamp: start}, g.o.RoomHistory)
	}
	err = g.roomJob(r, func() {
		from := sender.occupantJID(r)
		sips := 0
		for _, rc := range all {
			if rc.side == sideSIP {
				sips++
			}
		}
		f := g.newFanout(start, sips, true)
		for _, rc := range all {
			if rc.side == sideXMPP {
				g.roomToXMPP(ports, translate.XMPPMessage{From: from, To: rc.to, ID: x.ID, Type: translate.TypeGroupchat,
					Lang: x.Lang, Body: x.Body, HTML: x.HTML, ChatState: x.ChatState})
			} else {
				// §6.1: the switch MUST NOT modify the content.
				g.roomToSIP(ports, f, rc.session, m)
			}
		}
		f.done()
	})
	r.mu.Unlock()
	if err == nil && x.Body != "" {
		g.m.roomMessages.WithLabelValues(sideSIP, "public").Inc()
	}
	return err
}

// isRoomAddress reports whether a CPIM To names the room itself (not
// the room URI with a gr parameter naming an occupant, RFC 7702 §5).
func (g *Gateway) isRoomAddress(r *room, uri, params string) bool {
	return uriKey(uri) == uriKey(r.uri) && grParam(uri, params) == ""
}

// grParam returns the gr parameter of a URI or of the parameters after
// its angle brackets, percent-decoded; "" if absent.
func grParam(uri, params string) string {
	all := params
	if i := strings.IndexByte(uri, ';'); i >= 0 {
		all = uri[i+1:] + ";" + params
	}
	for p := range strings.SplitSeq(all, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(name, "gr") && value != "" {
			if v, err := url.PathUnescape(value); err == nil {
				return v
			}
			return value
		}
	}
	return ""
}

// privateFromSIP delivers a SIP occupant's private message (RFC 7701
// §6.2) to every session of the participant the To names: an XMPP
// occupant gets a chat message from room/nick (XEP-0045 §7.5), a SIP one
// the message unchanged.
func (g *Gateway) privateFromSIP(p *sides, r *room, sender occupant, toURI, params string, x translate.XMPPMessage, m translate.SIPMessage) error {
	var targets []occupant
	r.mu.Lock()
	if nick := grParam(toURI, params); nick != "" && uriKey(toURI) == uriKey(r.uri) {
		if _, nkey, err := prepareNick(nick); err == nil && r.byNick[nkey] != nil {
			targets = append(targets, *r.byNick[nkey])
		}
	} else {
		k := uriKey(toURI)
		for _, o := range r.occupants {
			if uriKey(o.uri) == k && o.key != sender.key {
				targets = append(targets, *o)
			}
		}
	}
	r.mu.Unlock()
	if len(targets) == 0 {
		return refuse(404, translate.CondItemNotFound, "no such participant (RFC 7701 §6.2)")
	}
	for _, t := range targets {
		if t.side == sideSIP && !t.pm {
			return refuse(428, translate.CondNotAcceptable, "the participant takes no private messages (RFC 7701 §6.2)")
		}
	}
	from := sender.occupantJID(r)
	for _, t := range targets {
		key := "roompm\x00" + sender.key + "\x00" + t.key
		err := g.queue.submit(key, func() {
			if t.side == sideXMPP {
				g.roomToXMPP(p, translate.XMPPMessage{From: from, To: t.real, ID: x.ID, Type: translate.TypeChat,
					Lang: x.Lang, Body: x.Body, HTML: x.HTML, ChatState: x.ChatState, MUCUser: &translate.MUCUser{}})
				return
			}
			f := g.newFanout(time.Now(), 1, false)
			g.roomToSIP(p, f, t.session, m)
			f.done()
		})
		if err != nil {
			return refuse(503, translate.CondResourceConstraint, "too many messages waiting")
		}
	}
	if x.Body != "" {
		g.m.roomMessages.WithLabelValues(sideSIP, "private").Inc()
	}
	return nil
}

// SIPRoomLeave: a SIP occupant's session ended (BYE, MSRP lost,
// inactivity): it leaves the room (RFC 7702 §6: unavailable presence).
func (g *Gateway) SIPRoomLeave(_ context.Context, session string) {
	r := g.rooms.sessionRoom(session)
	if r == nil {
		// A session that ends before its join is recorded (an invitee
		// hanging up as the room's INVITE is answered) must not join
		// afterwards as a ghost.
		g.leftSessions.first(time.Now(), session)
		return
	}
	g.rooms.unsession(session)
	ports, err := g.ports()
	if err != nil {
		return
	}
	g.leaveRoom(ports, r, sipOccupantKey(session), "", 0)
}
