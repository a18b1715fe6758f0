package gateway

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// MUC namespaces and features (XEP-0045 §6, §15.2, §17.1).
const (
	nsMUC       = "http://jabber.org/protocol/muc"
	nsDiscoInfo = "http://jabber.org/protocol/disco#info"
	nsDiscoItem = "http://jabber.org/protocol/disco#items"
)

// XMPPDisco answers service discovery on the conference service
// (XEP-0045 §6.1-§6.5): the service lists the public rooms; a room tells
// its features and, in an XEP-0128 form, its occupant count and subject.
func (g *Gateway) XMPPDisco(_ context.Context, q translate.DiscoQuery) (translate.DiscoResult, error) {
	if !g.isRoomDomain(q.To.Domainpart()) {
		return translate.DiscoResult{}, refuse(404, translate.CondItemNotFound, "no such entity")
	}
	if q.Node != "" {
		return translate.DiscoResult{}, refuse(404, translate.CondItemNotFound, "no such node")
	}
	if q.To.Localpart() == "" {
		if q.Items {
			var items []translate.DiscoItem
			for _, r := range g.rooms.list() {
				r.mu.Lock()
				items = append(items, translate.DiscoItem{JID: r.jid, Name: r.name + " (" + strconv.Itoa(len(r.occupants)) + ")"})
				r.mu.Unlock()
			}
			slices.SortFunc(items, func(a, b translate.DiscoItem) int { return strings.Compare(a.JID.String(), b.JID.String()) })
			return translate.DiscoResult{Items: items}, nil
		}
		return translate.DiscoResult{
			Identities: []translate.DiscoIdentity{{Category: "conference", Type: "text", Name: "sxgw chat rooms"}},
			Features:   []string{nsDiscoInfo, nsDiscoItem, nsMUC, "jabber:x:conference"},
		}, nil
	}
	r, _, err := g.roomFor(q.To.Localpart(), false)
	if err != nil {
		return translate.DiscoResult{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if q.To.Resourcepart() != "" {
		// §6.6: an occupant is not queried through the room.
		if _, nkey, err := prepareNick(q.To.Resourcepart()); err != nil || r.byNick[nkey] == nil {
			return translate.DiscoResult{}, refuse(404, translate.CondItemNotFound, "no such occupant")
		}
		return translate.DiscoResult{}, refuse(400, translate.CondBadRequest, "occupants are not queried through the room")
	}
	if q.Items {
		// §6.5: the occupant list may be withheld; it is, so that disco
		// shows no more than presence does to occupants.
		return translate.DiscoResult{}, nil
	}
	life := "muc_temporary"
	if r.persistent {
		life = "muc_persistent"
	}
	return translate.DiscoResult{
		Identities: []translate.DiscoIdentity{{Category: "conference", Type: "text", Name: r.name}},
		Features: []string{nsDiscoInfo, nsDiscoItem, nsMUC, "muc_public", "muc_open", "muc_unmoderated",
			"muc_nonanonymous", "muc_unsecured", life},
		Forms: []translate.DiscoForm{{FormType: "http://jabber.org/protocol/muc#roominfo", Fields: map[string]string{
			"muc#roominfo_occupants": strconv.Itoa(len(r.occupants)),
			"muc#roominfo_subject":   r.subject,
		}}},
	}, nil
}

// XMPPMUCAdmin handles muc#admin (XEP-0045 §8, §9): moderators kick
// (§8.2, role none) and list occupants by role; affiliation changes are
// not offered (RFC 7702 §9: moderation does not cross the gateway, so
// rooms here are open and unmoderated).
func (g *Gateway) XMPPMUCAdmin(_ context.Context, a translate.MUCAdmin) ([]translate.MUCItem, error) {
	if a.To.Localpart() == "" || a.To.Resourcepart() != "" {
		return nil, refuse(400, translate.CondBadRequest, "muc#admin goes to a room")
	}
	p, err := g.ports()
	if err != nil {
		return nil, err
	}
	r, _, err := g.roomFor(a.To.Localpart(), false)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	actor := r.occupants[a.From.String()]
	var who occupant
	if actor != nil {
		who = *actor
	}
	r.mu.Unlock()
	if actor == nil || who.role != translate.RoleModerator {
		return nil, refuse(403, translate.CondForbidden, "only moderators administer the room")
	}
	if !a.Set {
		if len(a.Items) != 1 || a.Items[0].Role == "" {
			return nil, refuse(501, translate.CondFeatureNotImplemented, "only lists by role are offered")
		}
		var out []translate.MUCItem
		r.mu.Lock()
		for _, o := range r.occupants {
			if o.role == a.Items[0].Role {
				it := occupantItem(o)
				it.Nick = o.nick
				out = append(out, it)
			}
		}
		r.mu.Unlock()
		slices.SortFunc(out, func(x, y translate.MUCItem) int { return strings.Compare(x.Nick, y.Nick) })
		return out, nil
	}
	for _, it := range a.Items {
		if it.Role != translate.RoleNone || it.Nick == "" {
			return nil, refuse(501, translate.CondFeatureNotImplemented, "only kicking (role none by nick) is offered")
		}
	}
	for _, it := range a.Items {
		r.mu.Lock()
		target, err := g.pmTargetLocked(r, it.Nick)
		r.mu.Unlock()
		if err != nil {
			return nil, err
		}
		if target.affiliation == translate.AffiliationOwner && target.key != who.key {
			// §8.2: a moderator cannot kick an owner.
			return nil, refuse(405, translate.CondNotAllowed, "owners cannot be kicked")
		}
		g.kick(p, r, target, who.nick)
	}
	return nil, nil
}

// XMPPMUCOwner handles muc#owner (XEP-0045 §10): the room's owner reads
// the configuration and can make the room persistent or temporary
// (muc#roomconfig_persistentroom) and set its name; other fields are
// fixed (public, open, non-anonymous).
func (g *Gateway) XMPPMUCOwner(_ context.Context, o translate.MUCOwner) (map[string][]string, error) {
	if o.To.Localpart() == "" || o.To.Resourcepart() != "" {
		return nil, refuse(400, translate.CondBadRequest, "muc#owner goes to a room")
	}
	r, _, err := g.roomFor(o.To.Localpart(), false)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	owner := r.occupants[o.From.String()]
	if owner == nil || owner.affiliation != translate.AffiliationOwner {
		return nil, refuse(403, translate.CondForbidden, "only the owner configures the room")
	}
	if o.Destroy {
		return nil, refuse(405, translate.CondNotAllowed, "rooms end when their last occupant leaves")
	}
	if o.Set && o.Submit {
		if v, ok := o.Fields["muc#roomconfig_persistentroom"]; ok && len(v) == 1 {
			persistent := v[0] == "1" || v[0] == "true"
			if persistent != r.persistent {
				r.persistent = persistent
				g.persistRoomLocked(r)
			}
		}
		return nil, nil
	}
	if o.Set {
		return nil, nil // cancel: nothing to undo, the room is unlocked
	}
	persistent := "0"
	if r.persistent {
		persistent = "1"
	}
	return map[string][]string{
		"muc#roomconfig_roomname":       {r.name},
		"muc#roomconfig_persistentroom": {persistent},
		"muc#roomconfig_publicroom":     {"1"},
		"muc#roomconfig_membersonly":    {"0"},
		"muc#roomconfig_moderatedroom":  {"0"},
		"muc#roomconfig_changesubject":  {"1"},
		"muc#roomconfig_whois":          {"anyone"},
		"muc#roomconfig_historylength":  {strconv.Itoa(max(0, g.o.RoomHistory))},
	}, nil
}

// XMPPRoomPing answers an occupant's self-ping (XEP-0410 §3.2): nil when
// the sender is in the room under that nickname, not-acceptable when it
// is not (after a kick, or after sxgw restarted and the room forgot it),
// so that the client joins again.
func (g *Gateway) XMPPRoomPing(_ context.Context, from, to jid.JID) error {
	notJoined := refuse(406, translate.CondNotAcceptable, "not an occupant under that nickname")
	r, _, err := g.roomFor(to.Localpart(), false)
	if err != nil {
		return notJoined
	}
	_, nkey, err := prepareNick(to.Resourcepart())
	if err != nil {
		return notJoined
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if o := r.occupants[from.String()]; o == nil || o.nickKey != nkey {
		return notJoined
	}
	return nil
}
