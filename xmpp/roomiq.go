package xmpp

import (
	"context"
	"strings"

	"github.com/sxgw/sxgw/translate"
)

// IQs of the MUC service sxgw hosts on its room domains: service
// discovery (XEP-0030, XEP-0045 §6), role and affiliation lists and
// changes (muc#admin, XEP-0045 §8, §9) and room configuration and
// destruction (muc#owner, §10). They are decoded into translate values
// for the core's RoomInbound and its answer is encoded here.

// roomIQKind names the room IQ a payload asks for, or "".
func roomIQKind(payload *Element) string {
	if payload.Name.Local != "query" {
		return ""
	}
	switch payload.Name.Space {
	case nsDiscoInfo, nsDiscoItem, nsMUCAdmin, nsMUCOwner:
		return payload.Name.Space
	}
	return ""
}

// roomIQ handles an IQ get or set addressed to a room domain whose
// payload is one of the room IQs; false leaves st to the handler.
// Without a RoomInbound it answers service-unavailable (RFC 6120 §8.4).
func (r *router) roomIQ(ctx context.Context, st *Element) bool {
	if !r.isRoomDomain(domainOf(st.Get("to"))) {
		return false
	}
	payload := st.FirstChild()
	if payload != nil && payload.Name.Space == nsPing && payload.Name.Local == "ping" && st.Get("type") == "get" {
		if pinger, ok := r.rooms.(RoomPinger); ok && resourceOf(st.Get("to")) != "" {
			// XEP-0410 §3.2: a self-ping to an occupant JID is answered by
			// the service: joined or not-acceptable.
			from, to, err := addresses(st)
			if err == nil {
				err = pinger.XMPPRoomPing(ctx, from, to)
			}
			if err != nil {
				r.reply(ctx, st, asStanzaError(err))
				return true
			}
			r.result(ctx, st, nil)
			return true
		}
	}
	if payload == nil || roomIQKind(payload) == "" {
		return false
	}
	if r.rooms == nil {
		r.reply(ctx, st, &StanzaError{Condition: ErrServiceUnavailable})
		return true
	}
	res, err := answerRoomIQ(ctx, r.rooms, st, payload)
	if err != nil {
		r.reply(ctx, st, asStanzaError(err))
		return true
	}
	r.result(ctx, st, res)
	return true
}

// answerRoomIQ decodes a room IQ, asks the core and encodes the result
// payload (nil for an empty result).
func answerRoomIQ(ctx context.Context, rooms RoomInbound, st, payload *Element) (*Element, error) {
	set := st.Get("type") == "set"
	switch payload.Name.Space {
	case nsDiscoInfo, nsDiscoItem:
		q, err := decodeDiscoQuery(st, payload)
		if err != nil {
			return nil, err
		}
		res, err := rooms.XMPPDisco(ctx, q)
		if err != nil {
			return nil, err
		}
		if q.Items {
			return encodeDiscoItems(q.Node, res), nil
		}
		return encodeDiscoInfo(q.Node, res), nil
	case nsMUCAdmin:
		a, err := decodeMUCAdmin(st, payload)
		if err != nil {
			return nil, err
		}
		items, err := rooms.XMPPMUCAdmin(ctx, a)
		if err != nil || set {
			return nil, err
		}
		q := NewElement(nsMUCAdmin, "query")
		for _, it := range items {
			q.Add(encodeMUCItem(nsMUCAdmin, it))
		}
		return q, nil
	default: // nsMUCOwner
		o, err := decodeMUCOwner(st, payload)
		if err != nil {
			return nil, err
		}
		values, err := rooms.XMPPMUCOwner(ctx, o)
		if err != nil || set {
			return nil, err
		}
		return NewElement(nsMUCOwner, "query").Add(roomConfigForm(values)), nil
	}
}

// decodeDiscoQuery reads a disco#info or disco#items get (XEP-0030 §3.1,
// §4.1); the service, a room and an occupant may all be asked (XEP-0045
// §6.6 leaves occupant queries to the room).
func decodeDiscoQuery(st, payload *Element) (translate.DiscoQuery, error) {
	from, to, err := addresses(st)
	if err != nil {
		return translate.DiscoQuery{}, err
	}
	if st.Get("type") != "get" {
		return translate.DiscoQuery{}, badRequest("disco queries are IQ get")
	}
	return translate.DiscoQuery{From: from, To: to, Items: payload.Name.Space == nsDiscoItem, Node: payload.Get("node")}, nil
}

// decodeMUCAdmin reads a muc#admin query (XEP-0045 §19.3). It must be
// addressed to a room and hold at least one item; each item names
// either a role or an affiliation, never both (§17.4 rule 4); a role
// change names the occupant by nick (rule 5), an affiliation change the
// user by JID (rule 6).
func decodeMUCAdmin(st, payload *Element) (translate.MUCAdmin, error) {
	from, to, err := addresses(st)
	if err != nil {
		return translate.MUCAdmin{}, err
	}
	a := translate.MUCAdmin{From: from, To: to, Set: st.Get("type") == "set"}
	if to.Localpart() == "" || to.Resourcepart() != "" {
		return a, badRequest("muc#admin requests go to a room")
	}
	for _, n := range payload.Nodes {
		c := n.El
		if c == nil || c.Name.Space != nsMUCAdmin || c.Name.Local != "item" {
			continue
		}
		it, err := decodeMUCItem(c)
		if err != nil {
			return a, err
		}
		if (it.Role == "") == (it.Affiliation == "") {
			return a, badRequest("an item names a role or an affiliation")
		}
		if a.Set && it.Role != "" && it.Nick == "" {
			return a, badRequest("a role change names the occupant's nick")
		}
		if a.Set && it.Affiliation != "" && it.JID.Domainpart() == "" {
			return a, badRequest("an affiliation change names a jid")
		}
		a.Items = append(a.Items, it)
	}
	if len(a.Items) == 0 {
		return a, badRequest("muc#admin query without item")
	}
	return a, nil
}

// decodeMUCOwner reads a muc#owner query (XEP-0045 §19.4), addressed to
// a room: an empty get asks for the configuration form (§10.1.3, §10.2);
// a set submits (§10.1.2, §10.1.3, §10.2) or cancels (§10.1.3, §10.2) a
// form, or destroys the room (§10.9).
func decodeMUCOwner(st, payload *Element) (translate.MUCOwner, error) {
	from, to, err := addresses(st)
	if err != nil {
		return translate.MUCOwner{}, err
	}
	o := translate.MUCOwner{From: from, To: to, Set: st.Get("type") == "set"}
	if to.Localpart() == "" || to.Resourcepart() != "" {
		return o, badRequest("muc#owner requests go to a room")
	}
	var form, destroy *Element
	for _, n := range payload.Nodes {
		c := n.El
		switch {
		case c == nil:
		case c.Name.Space == nsXData && c.Name.Local == "x" && form == nil:
			form = c
		case c.Name.Space == nsMUCOwner && c.Name.Local == "destroy" && destroy == nil:
			destroy = c
		default:
			return o, badRequest("unexpected " + c.Name.Local + " in muc#owner query")
		}
	}
	if !o.Set {
		if form != nil || destroy != nil {
			return o, badRequest("a muc#owner get is empty")
		}
		return o, nil
	}
	switch {
	case form != nil && destroy != nil, form == nil && destroy == nil:
		return o, badRequest("a muc#owner set holds one form or one destroy")
	case destroy != nil:
		o.Destroy = true
		if r := destroy.Child(nsMUCOwner, "reason"); r != nil {
			o.DestroyReason = r.Text()
		}
		return o, nil
	}
	switch form.Get("type") {
	case "submit":
		fields, formType, err := submittedFields(form)
		if err != nil {
			return o, err
		}
		if formType != "" && formType != formTypeRoomConfig {
			return o, badRequest("not a muc#roomconfig form")
		}
		o.Submit, o.Fields = true, fields
	case "cancel":
		o.Cancel = true
	default:
		return o, badRequest("a submitted form has type submit or cancel")
	}
	return o, nil
}

// encodeDiscoInfo renders a disco#info result (XEP-0030 §3.1) with its
// XEP-0128 forms; features and identities are listed once each.
func encodeDiscoInfo(node string, res translate.DiscoResult) *Element {
	q := NewElement(nsDiscoInfo, "query", "node", node)
	seenID := make(map[translate.DiscoIdentity]bool, len(res.Identities))
	for _, id := range res.Identities {
		if !seenID[id] {
			seenID[id] = true
			q.Add(NewElement(nsDiscoInfo, "identity", "category", id.Category, "type", id.Type, "name", id.Name))
		}
	}
	seen := make(map[string]bool, len(res.Features))
	for _, f := range res.Features {
		if f != "" && !seen[f] {
			seen[f] = true
			q.Add(NewElement(nsDiscoInfo, "feature", "var", f))
		}
	}
	for _, f := range res.Forms {
		q.Add(discoForm(f))
	}
	return q
}

// encodeDiscoItems renders a disco#items result (XEP-0030 §4.1).
func encodeDiscoItems(node string, res translate.DiscoResult) *Element {
	q := NewElement(nsDiscoItem, "query", "node", node)
	for _, it := range res.Items {
		q.Add(NewElement(nsDiscoItem, "item", "jid", it.JID.String(), "name", it.Name))
	}
	return q
}

// resourceOf returns the resourcepart of a JID string, "" without one.
func resourceOf(j string) string {
	if i := strings.IndexByte(j, '/'); i >= 0 {
		return j[i+1:]
	}
	return ""
}
