package gateway

import (
	"context"
	"strings"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// roomInviteTimeout bounds an INVITE from a room to a SIP user, ringing
// included (SylkServer gives up after 90 s).
const roomInviteTimeout = 90 * time.Second

// inviteFromXMPP handles an occupant's mediated invitation (XEP-0045
// §7.8.2): an XMPP invitee gets the invitation from the room; a SIP
// invitee gets an INVITE from the room (RFC 7701 §5.2 with the room as
// the inviter, RFC 4579 §5.5's dial-out).
func (g *Gateway) inviteFromXMPP(p *sides, r *room, m translate.XMPPMessage) error {
	r.mu.Lock()
	inviter := r.occupants[m.From.String()]
	var who occupant
	if inviter != nil {
		who = *inviter
	}
	r.mu.Unlock()
	if inviter == nil {
		// §7.8.2: the service may restrict invitations to occupants.
		return refuse(403, translate.CondForbidden, "only occupants may invite")
	}
	if len(m.MUCUser.Invites) > maxInvitesEach {
		return refuse(403, translate.CondPolicyViolation, "too many invitations in one message")
	}
	for _, inv := range m.MUCUser.Invites {
		if inv.To.Domainpart() == "" {
			return refuse(400, translate.CondJIDMalformed, "invitation without invitee")
		}
	}
	for _, inv := range m.MUCUser.Invites {
		g.invite(p, r, who.real.Bare(), who.uri, inv.To, inv.Reason)
	}
	return nil
}

// invite invites one user to r on behalf of inviter: a user of a domain
// the gateway serves is a SIP user and gets an INVITE from the room;
// anyone else is an XMPP user and gets a mediated invitation.
func (g *Gateway) invite(p *sides, r *room, inviter jid.JID, inviterURI string, invitee jid.JID, reason string) {
	g.m.roomInvites.WithLabelValues(inviteSide(g, invitee)).Inc()
	if !g.serves(invitee.Domainpart()) {
		g.roomToXMPP(p, translate.XMPPMessage{From: r.jid, To: invitee, ID: newID(),
			MUCUser: &translate.MUCUser{Invites: []translate.MUCInvite{{From: inviter, Reason: reason}}}})
		return
	}
	to, err := translate.JIDToSIP(invitee.Bare(), g.sipSide)
	if err != nil {
		g.log.Info("invitee has no SIP address", "err", err)
		return
	}
	g.goBG(func() {
		ctx, cancel := context.WithTimeout(g.ctx, roomInviteTimeout)
		defer cancel()
		subject := "Invitation to " + r.jid.String()
		if inviterURI != "" {
			subject += " from " + inviterURI
		}
		id, err := p.sip.ChatStart(ctx, translate.SIPChat{From: r.uri, To: to, Subject: subject, Room: true})
		if err != nil {
			g.log.Info("room invitation not accepted", "err", err)
			return
		}
		if err := g.joinSIP(p, r.name, id, invitee.Bare(), invitee.Localpart(), true); err != nil {
			p.sip.ChatEnd(id)
		}
	})
}

func inviteSide(g *Gateway, invitee jid.JID) string {
	if g.serves(invitee.Domainpart()) {
		return sideSIP
	}
	return sideXMPP
}

// SIPRefer handles a REFER to a room (RFC 4579 §5.5 add, §5.11 remove):
// only participants may invite (an outsider gets 403); removing takes a
// moderator. The invitee is reached on its own side (see invite).
func (g *Gateway) SIPRefer(_ context.Context, rf translate.SIPRefer) error {
	ports, err := g.ports()
	if err != nil {
		return err
	}
	r, _, err := g.roomOfURI(rf.Room, false)
	if err != nil {
		return err
	}
	var referrer *occupant
	r.mu.Lock()
	for _, o := range r.occupants {
		if o.side == sideSIP && uriKey(o.uri) == uriKey(rf.From) {
			if referrer == nil || o.role == translate.RoleModerator {
				v := *o
				referrer = &v
			}
		}
	}
	r.mu.Unlock()
	if referrer == nil {
		return refuse(403, translate.CondForbidden, "only participants may refer to the room")
	}
	switch strings.ToUpper(rf.Method) {
	case "", "INVITE":
		invitee, err := translate.SIPToJID(rf.Target, g.xmppSide)
		if err != nil {
			// A SIP user of ours maps with the SIP side's options.
			if invitee, err = translate.SIPToJID(rf.Target, g.sipSide); err != nil {
				return refuse(400, translate.CondBadRequest, "Refer-To is not an address")
			}
		}
		if g.isRoomDomain(invitee.Domainpart()) {
			return refuse(400, translate.CondBadRequest, "a room cannot be invited")
		}
		g.invite(ports, r, referrer.real, referrer.uri, invitee.Bare(), "")
		return nil
	case "BYE":
		if referrer.role != translate.RoleModerator {
			return refuse(403, translate.CondForbidden, "only moderators may remove participants")
		}
		return g.kickByURI(ports, r, rf.Target, referrer.nick)
	default:
		return refuse(400, translate.CondBadRequest, "Refer-To method must be INVITE or BYE (RFC 4579)")
	}
}

// kickByURI removes every occupant with the given URI (RFC 4579 §5.11;
// XEP-0045 §8.2: status 307): SIP sessions are ended with BYE.
func (g *Gateway) kickByURI(p *sides, r *room, uri, actor string) error {
	var victims []occupant
	r.mu.Lock()
	for _, o := range r.occupants {
		if uriKey(o.uri) == uriKey(uri) {
			victims = append(victims, *o)
		}
	}
	r.mu.Unlock()
	if len(victims) == 0 {
		return refuse(404, translate.CondItemNotFound, "no such participant")
	}
	for _, v := range victims {
		g.kick(p, r, v, actor)
	}
	return nil
}

// kick removes one occupant with status 307 (XEP-0045 §8.2).
func (g *Gateway) kick(p *sides, r *room, v occupant, actor string) {
	_ = actor
	if v.side == sideSIP {
		g.rooms.unsession(v.session)
		p.sip.ChatEnd(v.session)
	}
	g.leaveRoom(p, r, v.key, "", translate.StatusKicked)
}

// directInvite handles an XEP-0249 direct invitation sent by an XMPP user
// to a SIP user for one of our rooms: the SIP user gets an INVITE from
// the room, as with a mediated invitation.
func (g *Gateway) directInvite(m translate.XMPPMessage) error {
	p, err := g.ports()
	if err != nil {
		return err
	}
	if !g.serves(m.To.Domainpart()) {
		return refuse(0, translate.CondItemNotFound, "no such user here")
	}
	r, _, err := g.roomFor(m.DirectInvite.Room.Localpart(), false)
	if err != nil {
		return err
	}
	r.mu.Lock()
	member := r.occupants[m.From.String()] != nil
	r.mu.Unlock()
	if !member {
		// As for mediated invitations: only occupants invite.
		return refuse(403, translate.CondForbidden, "only occupants may invite to the room")
	}
	inviterURI, _ := translate.JIDToSIP(m.From.Bare(), translate.AddressOptions{})
	g.invite(p, r, m.From.Bare(), inviterURI, m.To.Bare(), m.DirectInvite.Reason)
	return nil
}
