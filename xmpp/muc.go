package xmpp

import (
	"strconv"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// MUC wire format (XEP-0045) and the extensions rooms use on message and
// presence stanzas: direct invitations (XEP-0249) and delayed delivery
// (XEP-0203).
//
// Decoding is strict where a malformed element would make the core act
// on a wrong value: an unknown role or affiliation, a status code that is
// not an integer in 100..999 (XEP-0045 §19.2 schema), a JID that does not
// parse in an item, invite or decline, history limits that are not
// non-negative integers or a since that is not an XEP-0082 DateTime, and
// repeated elements that carry one value (two muc#user <x/> in a stanza,
// XEP-0045 §7.2.2) are bad-request. Three things are ignored instead:
// elements and attributes sxgw has no value for (<destroy/>, an item's
// <continue/>, an actor's jid, future extensions: the registries are
// open, §16); a jabber:x:conference <x/> without a jid, the legacy
// payload some services add to mediated invitations (§7.8.2,
// implementation note); and a <delay/> whose stamp or from does not
// parse, which is informational only (XEP-0203 §2), so the message is
// kept without it. Status codes in range that the registry does not
// (yet) define are kept. Error stanzas keep none of this when it is
// malformed, since they cannot be answered (stanza.go).

// Namespaces of the MUC payloads.
const (
	nsMUC        = "http://jabber.org/protocol/muc"       // XEP-0045 §19.1
	nsMUCUser    = "http://jabber.org/protocol/muc#user"  // XEP-0045 §19.2
	nsMUCAdmin   = "http://jabber.org/protocol/muc#admin" // XEP-0045 §19.3
	nsMUCOwner   = "http://jabber.org/protocol/muc#owner" // XEP-0045 §19.4
	nsConference = "jabber:x:conference"                  // XEP-0249 §2
	nsDelay      = "urn:xmpp:delay"                       // XEP-0203 §2
)

// badRequest is the stanza error for malformed MUC payloads (RFC 6120
// §8.3.3.1: the XML does not conform to the schema).
func badRequest(text string) *StanzaError {
	return &StanzaError{Condition: ErrBadRequest, Text: text}
}

// decodeMUCMessage reads the MUC parts of a message stanza into m: the
// muc#user <x/> (mediated invitations and declines, XEP-0045 §7.8.2;
// status codes, §10.2.1), an XEP-0249 direct invitation and an XEP-0203
// delay.
func decodeMUCMessage(el *Element, m *translate.XMPPMessage) error {
	for _, n := range el.Nodes {
		c := n.El
		if c == nil || c.Name.Local != "x" && c.Name.Local != "delay" {
			continue
		}
		switch {
		case c.Name.Space == nsMUCUser && c.Name.Local == "x":
			if m.MUCUser != nil {
				return badRequest("more than one muc#user element")
			}
			u, err := decodeMUCUser(c)
			if err != nil {
				return err
			}
			m.MUCUser = u
		case c.Name.Space == nsConference && c.Name.Local == "x":
			if c.Get("jid") == "" {
				continue // legacy mediated-invitation payload (XEP-0045 §7.8.2)
			}
			if m.DirectInvite != nil {
				return badRequest("more than one direct invitation")
			}
			room, err := jid.Parse(c.Get("jid"))
			if err != nil {
				return badRequest("direct invitation: bad room jid")
			}
			m.DirectInvite = &translate.DirectInvite{Room: room, Reason: c.Get("reason"), Password: c.Get("password")}
		case c.Name.Space == nsDelay && c.Name.Local == "delay":
			// XEP-0203 §2: the first usable one is kept (the room's,
			// for MUC history, XEP-0045 §7.2.13).
			if m.Delay == nil {
				m.Delay = decodeDelay(c)
			}
		}
	}
	return nil
}

// decodeMUCPresence reads the MUC parts of a presence stanza into p: the
// join element (XEP-0045 §7.2.1) with its password (§7.2.5) and history
// limits (§7.2.14), and the muc#user <x/> a room puts on occupant
// presence (§7.2.2).
func decodeMUCPresence(el *Element, p *translate.XMPPPresence) error {
	for _, n := range el.Nodes {
		c := n.El
		if c == nil || c.Name.Local != "x" {
			continue
		}
		switch c.Name.Space {
		case nsMUC:
			if p.MUCJoin != nil {
				return badRequest("more than one muc element")
			}
			j, err := decodeMUCJoin(c)
			if err != nil {
				return err
			}
			p.MUCJoin = j
		case nsMUCUser:
			if p.MUCUser != nil {
				return badRequest("more than one muc#user element")
			}
			u, err := decodeMUCUser(c)
			if err != nil {
				return err
			}
			p.MUCUser = u
		}
	}
	return nil
}

// decodeMUCJoin reads <x xmlns='http://jabber.org/protocol/muc'/>.
func decodeMUCJoin(x *Element) (*translate.MUCJoin, error) {
	j := &translate.MUCJoin{MaxChars: -1, MaxStanzas: -1, Seconds: -1}
	var seenPassword, seenHistory bool
	for _, n := range x.Nodes {
		c := n.El
		if c == nil || c.Name.Space != nsMUC {
			continue
		}
		switch c.Name.Local {
		case "password":
			if seenPassword {
				return nil, badRequest("more than one password")
			}
			seenPassword = true
			j.Password = c.Text()
		case "history":
			if seenHistory {
				return nil, badRequest("more than one history element")
			}
			seenHistory = true
			var err error
			if j.MaxChars, err = historyLimit(c, "maxchars"); err != nil {
				return nil, err
			}
			if j.MaxStanzas, err = historyLimit(c, "maxstanzas"); err != nil {
				return nil, err
			}
			if j.Seconds, err = historyLimit(c, "seconds"); err != nil {
				return nil, err
			}
			if s := c.Get("since"); s != "" {
				t, ok := parseDateTime(s)
				if !ok {
					return nil, badRequest("history since is not an XEP-0082 DateTime")
				}
				j.Since = t
			}
		}
	}
	return j, nil
}

// historyLimit reads one of the xs:int history attributes (XEP-0045
// §7.2.14); absent is -1, negative or non-numeric values are bad-request.
func historyLimit(h *Element, attr string) (int, error) {
	s := h.Get(attr)
	if s == "" {
		return -1, nil
	}
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil || v < 0 {
		return 0, badRequest("history " + attr + " must be a non-negative integer")
	}
	return int(v), nil
}

// decodeMUCUser reads <x xmlns='http://jabber.org/protocol/muc#user'/>
// (XEP-0045 §19.2).
func decodeMUCUser(x *Element) (*translate.MUCUser, error) {
	u := &translate.MUCUser{}
	var seenPassword bool
	for _, n := range x.Nodes {
		c := n.El
		if c == nil || c.Name.Space != nsMUCUser {
			continue
		}
		switch c.Name.Local {
		case "item":
			it, err := decodeMUCItem(c)
			if err != nil {
				return nil, err
			}
			u.Items = append(u.Items, it)
		case "status":
			code, err := strconv.ParseInt(c.Get("code"), 10, 32)
			if err != nil || code < 100 || code > 999 {
				return nil, badRequest("status code must be an integer in 100..999")
			}
			u.Statuses = append(u.Statuses, int(code))
		case "invite":
			inv, err := decodeInvite(c)
			if err != nil {
				return nil, err
			}
			u.Invites = append(u.Invites, inv)
		case "decline":
			if u.Decline != nil {
				return nil, badRequest("more than one decline")
			}
			d, err := decodeInvite(c)
			if err != nil {
				return nil, err
			}
			u.Decline = &d
		case "password":
			if seenPassword {
				return nil, badRequest("more than one password")
			}
			seenPassword = true
			u.Password = c.Text()
		}
	}
	return u, nil
}

// decodeMUCItem reads an <item/> of muc#user or muc#admin (XEP-0045
// §19.2, §19.3); the children are qualified by the item's namespace.
func decodeMUCItem(c *Element) (translate.MUCItem, error) {
	it := translate.MUCItem{Affiliation: c.Get("affiliation"), Role: c.Get("role"), Nick: c.Get("nick")}
	if !validAffiliation(it.Affiliation) {
		return it, badRequest("unknown affiliation")
	}
	if !validRole(it.Role) {
		return it, badRequest("unknown role")
	}
	if s := c.Get("jid"); s != "" {
		j, err := jid.Parse(s)
		if err != nil {
			return it, badRequest("item: bad jid")
		}
		it.JID = j
	}
	if r := c.Child(c.Name.Space, "reason"); r != nil {
		it.Reason = r.Text()
	}
	if a := c.Child(c.Name.Space, "actor"); a != nil {
		it.Actor = a.Get("nick")
	}
	return it, nil
}

// decodeInvite reads an <invite/> or <decline/> (XEP-0045 §7.8.2).
func decodeInvite(c *Element) (translate.MUCInvite, error) {
	var inv translate.MUCInvite
	var err error
	if s := c.Get("from"); s != "" {
		if inv.From, err = jid.Parse(s); err != nil {
			return inv, badRequest(c.Name.Local + ": bad from jid")
		}
	}
	if s := c.Get("to"); s != "" {
		if inv.To, err = jid.Parse(s); err != nil {
			return inv, badRequest(c.Name.Local + ": bad to jid")
		}
	}
	if r := c.Child(nsMUCUser, "reason"); r != nil {
		inv.Reason = r.Text()
	}
	return inv, nil
}

// decodeDelay reads an XEP-0203 <delay/>, or nil when it is unusable.
func decodeDelay(c *Element) *translate.Delay {
	t, ok := parseDateTime(c.Get("stamp"))
	if !ok {
		return nil
	}
	d := &translate.Delay{Stamp: t}
	if s := c.Get("from"); s != "" {
		f, err := jid.Parse(s)
		if err != nil {
			return nil
		}
		d.From = f
	}
	return d
}

// parseDateTime parses an XEP-0082 §3.2 DateTime
// (CCYY-MM-DDThh:mm:ss[.sss]TZD) into UTC. Instants whose UTC year falls
// outside 0000..9999 are refused: they cannot be written back.
func parseDateTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Time{}, false
	}
	return t, true
}

// formatDateTime renders t as an XEP-0082 DateTime in UTC, with a
// fraction only when t has one.
func formatDateTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func validAffiliation(a string) bool {
	switch a {
	case "", translate.AffiliationOwner, translate.AffiliationAdmin, translate.AffiliationMember,
		translate.AffiliationNone, translate.AffiliationOutcast:
		return true
	}
	return false
}

func validRole(r string) bool {
	switch r {
	case "", translate.RoleModerator, translate.RoleParticipant, translate.RoleVisitor, translate.RoleNone:
		return true
	}
	return false
}

// encodeMUCMessage adds the MUC parts of m to a message stanza.
func encodeMUCMessage(el *Element, m *translate.XMPPMessage) {
	if m.MUCUser != nil {
		el.Add(encodeMUCUser(m.MUCUser))
	}
	if d := m.DirectInvite; d != nil {
		// XEP-0249 §2: jid is required; reason and password optional.
		el.Add(NewElement(nsConference, "x", "jid", d.Room.String(), "password", d.Password, "reason", d.Reason))
	}
	if d := m.Delay; d != nil {
		el.Add(NewElement(nsDelay, "delay", "from", d.From.String(), "stamp", formatDateTime(d.Stamp)))
	}
}

// encodeMUCPresence adds the MUC parts of p to a presence stanza.
func encodeMUCPresence(el *Element, p *translate.XMPPPresence) {
	if j := p.MUCJoin; j != nil {
		x := NewElement(nsMUC, "x")
		h := NewElement(nsMUC, "history",
			"maxchars", historyAttr(j.MaxChars), "maxstanzas", historyAttr(j.MaxStanzas), "seconds", historyAttr(j.Seconds))
		if !j.Since.IsZero() {
			h.Set("since", formatDateTime(j.Since))
		}
		if len(h.Attr) > 0 {
			x.Add(h)
		}
		if j.Password != "" {
			x.Add(NewElement(nsMUC, "password").AddText(j.Password))
		}
		el.Add(x)
	}
	if p.MUCUser != nil {
		el.Add(encodeMUCUser(p.MUCUser))
	}
}

// historyAttr renders a history limit; negative means absent.
func historyAttr(v int) string {
	if v < 0 {
		return ""
	}
	return strconv.Itoa(v)
}

// encodeMUCUser renders a muc#user <x/> in the order of the XEP-0045
// examples: invitations, decline, items, status codes, password.
func encodeMUCUser(u *translate.MUCUser) *Element {
	x := NewElement(nsMUCUser, "x")
	for _, inv := range u.Invites {
		x.Add(encodeInvite("invite", inv))
	}
	if u.Decline != nil {
		x.Add(encodeInvite("decline", *u.Decline))
	}
	for _, it := range u.Items {
		x.Add(encodeMUCItem(nsMUCUser, it))
	}
	for _, code := range u.Statuses {
		x.Add(NewElement(nsMUCUser, "status", "code", strconv.Itoa(code)))
	}
	if u.Password != "" {
		x.Add(NewElement(nsMUCUser, "password").AddText(u.Password))
	}
	return x
}

// encodeMUCItem renders an <item/> in namespace ns (muc#user or
// muc#admin), children in schema order: actor, reason.
func encodeMUCItem(ns string, it translate.MUCItem) *Element {
	e := NewElement(ns, "item", "affiliation", it.Affiliation, "jid", it.JID.String(), "nick", it.Nick, "role", it.Role)
	if it.Actor != "" {
		e.Add(NewElement(ns, "actor", "nick", it.Actor))
	}
	if it.Reason != "" {
		e.Add(NewElement(ns, "reason").AddText(it.Reason))
	}
	return e
}

func encodeInvite(local string, inv translate.MUCInvite) *Element {
	e := NewElement(nsMUCUser, local, "from", inv.From.String(), "to", inv.To.String())
	if inv.Reason != "" {
		e.Add(NewElement(nsMUCUser, "reason").AddText(inv.Reason))
	}
	return e
}
