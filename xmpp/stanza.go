package xmpp

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// Extension namespaces mapped to translate values.
const (
	nsChatStates = "http://jabber.org/protocol/chatstates" // XEP-0085
	nsReceipts   = "urn:xmpp:receipts"                     // XEP-0184
	nsMarkers    = "urn:xmpp:chat-markers:0"               // XEP-0333
	nsSID        = "urn:xmpp:sid:0"                        // XEP-0359
	nsXHTMLIM    = "http://jabber.org/protocol/xhtml-im"   // XEP-0071
	nsXHTML      = "http://www.w3.org/1999/xhtml"
)

// lang returns the xml:lang attribute of el.
func lang(el *Element) string {
	for _, a := range el.Attr {
		if a.Name.Local == "lang" && a.Name.Space == nsXML {
			return a.Value
		}
	}
	return ""
}

// addresses parses a stanza's from and to (RFC 7622).
func addresses(el *Element) (from, to jid.JID, err error) {
	from, err = jid.Parse(el.Get("from"))
	if err != nil {
		return from, to, &StanzaError{Condition: ErrJIDMalformed, Text: "bad from"}
	}
	to, err = jid.Parse(el.Get("to"))
	if err != nil {
		return from, to, &StanzaError{Condition: ErrJIDMalformed, Text: "bad to"}
	}
	return from, to, nil
}

// pickText returns the text of the child local in the stanza namespace
// whose xml:lang matches want (or has none), else the first one
// (RFC 6121 §5.2.3: several bodies may differ by language).
func pickText(el *Element, local, want string) string {
	first, found := "", false
	for _, n := range el.Nodes {
		c := n.El
		if c == nil || c.Name.Local != local || c.Name.Space != el.Name.Space {
			continue
		}
		if l := lang(c); l == "" || strings.EqualFold(l, want) {
			return c.Text()
		}
		if !found {
			first, found = c.Text(), true
		}
	}
	return first
}

// xhtmlBody returns the XHTML <body/> of an XHTML-IM wrapper in the
// language want (or without xml:lang), else the first: the wrapper holds
// one per language, as the message holds one <body/> per language
// (XEP-0071 §5, §8 rule 4), and pickText chose the plain one the same way.
func xhtmlBody(html *Element, want string) *Element {
	var first *Element
	for _, n := range html.Nodes {
		c := n.El
		if c == nil || c.Name.Space != nsXHTML || c.Name.Local != "body" {
			continue
		}
		if l := lang(c); l == "" || strings.EqualFold(l, want) {
			return c
		}
		if first == nil {
			first = c
		}
	}
	return first
}

// DecodeMessage reads a message stanza into a translate value.
func DecodeMessage(el *Element) (translate.XMPPMessage, error) {
	from, to, err := addresses(el)
	if err != nil {
		return translate.XMPPMessage{}, err
	}
	m := translate.XMPPMessage{From: from, To: to, ID: el.Get("id"), Type: el.Get("type"), Lang: lang(el)}
	m.Body = pickText(el, "body", m.Lang)
	m.Subject = pickText(el, "subject", m.Lang)
	// An empty <subject/> matters in a room (XEP-0045 §7.2.15, §8.1).
	m.SubjectSet = el.Child(el.Name.Space, "subject") != nil
	m.Thread = pickText(el, "thread", m.Lang)
	for _, n := range el.Nodes {
		c := n.El
		if c == nil {
			continue
		}
		switch c.Name.Space {
		case nsChatStates:
			switch c.Name.Local {
			case "active", "composing", "paused", "inactive", "gone":
				m.ChatState = c.Name.Local
			}
		case nsReceipts:
			switch c.Name.Local {
			case "request":
				m.ReceiptRequest = true
			case "received":
				m.ReceiptFor = c.Get("id")
			}
		case nsMarkers:
			switch c.Name.Local {
			case "markable":
				m.Markable = true
			case "displayed":
				m.DisplayedFor = c.Get("id")
			}
		case nsSID:
			if c.Name.Local == "origin-id" {
				m.OriginID = c.Get("id")
			}
		case nsXHTMLIM:
			if b := xhtmlBody(c, m.Lang); b != nil && c.Name.Local == "html" {
				var sb strings.Builder
				b.appendTo(&sb, "")
				m.HTML = sb.String()
			}
		}
	}
	if err := decodeMUCMessage(el, &m); err != nil {
		// An error stanza is never answered (RFC 6120 §8.3.1): deliver
		// it without the parts that do not parse.
		if m.Type != translate.TypeError {
			return m, err
		}
		m.MUCUser, m.DirectInvite, m.Delay = nil, nil, nil
	}
	if err := decodeJingleMessage(el, &m); err != nil && m.Type != translate.TypeError {
		return m, err
	}
	if m.Type == translate.TypeError {
		m.Err = valueError(ParseStanzaError(el))
	}
	return m, nil
}

// messageParts holds the parts of a message stanza that nearly every one
// has (its element and attributes, a body, room for a few children), so
// that EncodeMessage allocates them at once. Slices over its arrays grow
// past them as any slice does.
type messageParts struct {
	msg, body Element
	attrs     [5]xml.Attr // from, to, id, type, xml:lang
	nodes     [4]Node
	bodyText  [1]Node
}

// EncodeMessage renders a translate value as a message stanza.
func EncodeMessage(m translate.XMPPMessage) (*Element, error) {
	p := new(messageParts)
	el := &p.msg
	el.Name = xml.Name{Space: nsServer, Local: "message"}
	el.Attr, el.Nodes = p.attrs[:0], p.nodes[:0]
	from, to := jidStrings(m.From, m.To)
	for _, a := range [...][2]string{{"from", from}, {"to", to}, {"id", m.ID}, {"type", m.Type}} {
		if a[1] != "" {
			el.Attr = append(el.Attr, xml.Attr{Name: xml.Name{Local: a[0]}, Value: a[1]})
		}
	}
	if m.Lang != "" {
		el.Attr = append(el.Attr, xmlLang(m.Lang))
	}
	if m.Subject != "" {
		el.Add(NewElement(nsServer, "subject").AddText(m.Subject))
	} else if m.SubjectSet {
		el.Add(NewElement(nsServer, "subject"))
	}
	if m.Body != "" {
		p.body.Name = xml.Name{Space: nsServer, Local: "body"}
		p.body.Nodes = p.bodyText[:0]
		el.Add(p.body.AddText(m.Body))
	}
	if m.Thread != "" {
		el.Add(NewElement(nsServer, "thread").AddText(m.Thread))
	}
	if m.HTML != "" {
		body, err := parseFragment(m.HTML)
		if err != nil || body.Name.Space != nsXHTML || body.Name.Local != "body" {
			return nil, fmt.Errorf("xmpp: XHTML-IM body is not an XHTML <body/>: %w", errOr(err, ErrConfig))
		}
		el.Add(NewElement(nsXHTMLIM, "html").Add(body))
	}
	if m.ChatState != "" {
		el.Add(NewElement(nsChatStates, m.ChatState))
	}
	if m.ReceiptRequest {
		el.Add(NewElement(nsReceipts, "request"))
	}
	if m.ReceiptFor != "" {
		el.Add(NewElement(nsReceipts, "received", "id", m.ReceiptFor))
	}
	if m.Markable {
		el.Add(NewElement(nsMarkers, "markable"))
	}
	if m.DisplayedFor != "" {
		el.Add(NewElement(nsMarkers, "displayed", "id", m.DisplayedFor))
	}
	if m.OriginID != "" {
		el.Add(NewElement(nsSID, "origin-id", "id", m.OriginID))
	}
	encodeMUCMessage(el, &m)
	if err := encodeJingleMessage(el, &m); err != nil {
		return nil, err
	}
	if m.Err != nil {
		el.Add(stanzaErrorOf(m.Err).element())
	}
	return el, nil
}

// jidStrings returns a.String() and b.String() in one allocation.
func jidStrings(a, b jid.JID) (string, string) {
	var arr [256]byte
	buf := appendJID(arr[:0], a)
	n := len(buf)
	buf = appendJID(buf, b)
	s := string(buf)
	return s[:n], s[n:]
}

// appendJID appends j as j.String() writes it: localpart@domainpart/
// resourcepart, without the separators of empty parts (RFC 7622 §3.1).
func appendJID(dst []byte, j jid.JID) []byte {
	if local := j.Localpart(); local != "" {
		dst = append(append(dst, local...), '@')
	}
	dst = append(dst, j.Domainpart()...)
	if res := j.Resourcepart(); res != "" {
		dst = append(append(dst, '/'), res...)
	}
	return dst
}

// DecodePresence reads a presence stanza into a translate value.
func DecodePresence(el *Element) (translate.XMPPPresence, error) {
	from, to, err := addresses(el)
	if err != nil {
		return translate.XMPPPresence{}, err
	}
	p := translate.XMPPPresence{From: from, To: to, ID: el.Get("id"), Type: el.Get("type"), Lang: lang(el)}
	switch p.Type {
	case "", "unavailable", "subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe", "error":
	default:
		return p, &StanzaError{Condition: ErrBadRequest, Text: "unknown presence type"}
	}
	p.Status = pickText(el, "status", p.Lang)
	if show := pickText(el, "show", ""); show != "" {
		switch show {
		case "away", "chat", "dnd", "xa":
			p.Show = show
		default:
			return p, &StanzaError{Condition: ErrBadRequest, Text: "unknown show value"}
		}
	}
	if pr := strings.TrimSpace(pickText(el, "priority", "")); pr != "" {
		v, err := strconv.ParseInt(pr, 10, 8)
		if err != nil {
			return p, &StanzaError{Condition: ErrBadRequest, Text: "priority must be -128..127"}
		}
		p.Priority, p.HasPriority = int8(v), true
	}
	if err := decodeMUCPresence(el, &p); err != nil {
		if p.Type != translate.PresenceError {
			return p, err
		}
		p.MUCJoin, p.MUCUser = nil, nil
	}
	if p.Type == translate.PresenceError {
		p.Err = valueError(ParseStanzaError(el))
	}
	return p, nil
}

// EncodePresence renders a translate value as a presence stanza.
func EncodePresence(p translate.XMPPPresence) *Element {
	el := NewElement(nsServer, "presence", "from", p.From.String(), "to", p.To.String(), "id", p.ID, "type", p.Type)
	if p.Lang != "" {
		el.Attr = append(el.Attr, xmlLang(p.Lang))
	}
	if p.Show != "" {
		el.Add(NewElement(nsServer, "show").AddText(p.Show))
	}
	if p.Status != "" {
		el.Add(NewElement(nsServer, "status").AddText(p.Status))
	}
	if p.HasPriority {
		el.Add(NewElement(nsServer, "priority").AddText(strconv.Itoa(int(p.Priority))))
	}
	encodeMUCPresence(el, &p)
	if p.Err != nil {
		el.Add(stanzaErrorOf(p.Err).element())
	}
	return el
}

func valueError(se *StanzaError) *translate.StanzaError {
	if se == nil {
		return &translate.StanzaError{Type: "cancel", Condition: ErrUndefinedCondition}
	}
	return &translate.StanzaError{Type: se.Type, Condition: se.Condition, Text: se.Text, By: se.By}
}

func stanzaErrorOf(e *translate.StanzaError) *StanzaError {
	return &StanzaError{Type: e.Type, Condition: e.Condition, Text: e.Text, By: e.By}
}

// parseFragment parses one XML element from s (used for XHTML-IM bodies
// held as text), with the stream reader's limits.
func parseFragment(s string) (*Element, error) {
	r := newStreamReader(strings.NewReader(s), len(s)+1)
	for {
		tok, err := r.token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return r.element(t)
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return nil, streamErr(CondBadFormat, "text outside element")
			}
		default:
			return nil, streamErr(CondRestrictedXML, "markup outside element")
		}
	}
}
