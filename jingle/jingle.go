package jingle

import (
	"encoding/xml"
	"fmt"
)

// Action is the action attribute of <jingle/> (XEP-0166 §7.2).
type Action string

// The Jingle actions (XEP-0166 §7.2).
const (
	ActionContentAccept    Action = "content-accept"
	ActionContentAdd       Action = "content-add"
	ActionContentModify    Action = "content-modify"
	ActionContentReject    Action = "content-reject"
	ActionContentRemove    Action = "content-remove"
	ActionDescriptionInfo  Action = "description-info"
	ActionSecurityInfo     Action = "security-info"
	ActionSessionAccept    Action = "session-accept"
	ActionSessionInfo      Action = "session-info"
	ActionSessionInitiate  Action = "session-initiate"
	ActionSessionTerminate Action = "session-terminate"
	ActionTransportAccept  Action = "transport-accept"
	ActionTransportInfo    Action = "transport-info"
	ActionTransportReject  Action = "transport-reject"
	ActionTransportReplace Action = "transport-replace"
)

// Valid reports whether a is one of the XEP-0166 §7.2 actions; any other
// value gets <bad-request/>.
func (a Action) Valid() bool {
	switch a {
	case ActionContentAccept, ActionContentAdd, ActionContentModify, ActionContentReject,
		ActionContentRemove, ActionDescriptionInfo, ActionSecurityInfo, ActionSessionAccept,
		ActionSessionInfo, ActionSessionInitiate, ActionSessionTerminate, ActionTransportAccept,
		ActionTransportInfo, ActionTransportReject, ActionTransportReplace:
		return true
	}
	return false
}

// Role is a party of a Jingle session; it is also the type of
// content@creator (XEP-0166 §7.3).
type Role string

// The two Jingle roles.
const (
	RoleInitiator Role = "initiator"
	RoleResponder Role = "responder"
)

// Valid reports whether r is initiator or responder.
func (r Role) Valid() bool { return r == RoleInitiator || r == RoleResponder }

// Other returns the opposite role.
func (r Role) Other() Role {
	if r == RoleInitiator {
		return RoleResponder
	}
	return RoleInitiator
}

// Senders is content@senders: which parties send media (XEP-0166 §7.3).
// The zero value means the default, both.
type Senders string

// The values of content@senders.
const (
	SendersBoth      Senders = "both"
	SendersInitiator Senders = "initiator"
	SendersResponder Senders = "responder"
	SendersNone      Senders = "none"
)

// Valid reports whether s is empty or one of the four defined values.
func (s Senders) Valid() bool {
	switch s {
	case "", SendersBoth, SendersInitiator, SendersResponder, SendersNone:
		return true
	}
	return false
}

// Or returns s, or SendersBoth when s is empty (the XEP-0166 default).
func (s Senders) Or() Senders {
	if s == "" {
		return SendersBoth
	}
	return s
}

// Jingle is the <jingle xmlns='urn:xmpp:jingle:1'/> element of an IQ-set
// (XEP-0166 §7.1).
type Jingle struct {
	XMLName   xml.Name `xml:"urn:xmpp:jingle:1 jingle"`
	Action    Action   `xml:"action,attr"`
	Initiator string   `xml:"initiator,attr,omitempty"`
	Responder string   `xml:"responder,attr,omitempty"`
	SID       string   `xml:"sid,attr"`
	// Contents in document order.
	Contents []Content `xml:"content"`
	// Reason may come with any action (XEP-0166 §7.4).
	Reason *Reason `xml:"reason"`
	// Groups are XEP-0338 content groups (BUNDLE, LS, ...).
	Groups []Group `xml:"urn:xmpp:jingle:apps:grouping:0 group"`
	// Info is the XEP-0167 §8 session-info payload, nil for a ping or
	// when the payload is not one this package knows (see Other).
	Info *Info `xml:"urn:xmpp:jingle:apps:rtp:info:1 info"`
	// Other holds child elements this package does not model, such as
	// session-info payloads of other applications.
	Other []Element `xml:",any"`
}

// UnmarshalXML decodes a <jingle/> element. Session-info payloads in the
// XEP-0167 namespace (or the misspelt one of the XEP-0166 example) become
// Info.
func (j *Jingle) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain Jingle
	if err := d.DecodeElement((*plain)(j), &start); err != nil {
		return err
	}
	kept := j.Other[:0]
	for _, e := range j.Other {
		if j.Info == nil && (e.XMLName.Space == NSRTPInfo || e.XMLName.Space == NSRTPInfoLegacy) {
			j.Info = e.info()
			continue
		}
		kept = append(kept, e)
	}
	j.Other = kept
	if len(j.Other) == 0 {
		j.Other = nil
	}
	return nil
}

// Content is a <content/> element (XEP-0166 §7.3). A content carries at
// most one description and one transport; unknown ones land in Other.
type Content struct {
	// Creator is the party that first created the content; empty reads as
	// initiator (XEP-0166 §7.3).
	Creator     Role    `xml:"creator,attr"`
	Disposition string  `xml:"disposition,attr,omitempty"`
	Name        string  `xml:"name,attr"`
	Senders     Senders `xml:"senders,attr,omitempty"`
	// Description is the XEP-0167 RTP description.
	Description *RTPDescription `xml:"urn:xmpp:jingle:apps:rtp:1 description"`
	// ICEUDP is the XEP-0176 transport.
	ICEUDP *ICEUDPTransport `xml:"urn:xmpp:jingle:transports:ice-udp:1 transport"`
	// RawUDP is the XEP-0177 transport.
	RawUDP *RawUDPTransport `xml:"urn:xmpp:jingle:transports:raw-udp:1 transport"`
	// Other holds descriptions, transports and security elements of
	// namespaces this package does not model.
	Other []Element `xml:",any"`
}

// CreatorOr returns the creator, or initiator when it is empty.
func (c *Content) CreatorOr() Role {
	if c.Creator == "" {
		return RoleInitiator
	}
	return c.Creator
}

// hasChild reports whether the content has a description (or transport)
// of any namespace.
func (c *Content) hasChild(local string) bool {
	switch {
	case local == "description" && c.Description != nil:
		return true
	case local == "transport" && (c.ICEUDP != nil || c.RawUDP != nil):
		return true
	}
	for _, e := range c.Other {
		if e.XMLName.Local == local {
			return true
		}
	}
	return false
}

// otherNS returns the namespace of the first unmodelled description or
// transport, "" if there is none.
func (c *Content) otherNS(local string) string {
	for _, e := range c.Other {
		if e.XMLName.Local == local {
			return e.XMLName.Space
		}
	}
	return ""
}

// Element is an XML element kept verbatim: its name, attributes and inner
// XML.
type Element struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Inner   string     `xml:",innerxml"`
}

// UnmarshalXML keeps the element but drops namespace declarations, which
// XMLName and the encoder carry.
func (e *Element) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	e.XMLName = start.Name
	e.Attrs = nil
	for _, a := range start.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		e.Attrs = append(e.Attrs, a)
	}
	var inner struct {
		Inner string `xml:",innerxml"`
	}
	if err := d.DecodeElement(&inner, &start); err != nil {
		return err
	}
	e.Inner = inner.Inner
	return nil
}

// Attr returns the value of the attribute with the given local name.
func (e *Element) Attr(local string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// Flag is an empty element whose presence means true, such as <rtcp-mux/>.
// Use it with omitempty.
type Flag bool

// MarshalXML writes the empty element when f is true, nothing otherwise.
func (f Flag) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if !f {
		return nil
	}
	start.Attr = nil
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

// UnmarshalXML sets f and skips the element's content.
func (f *Flag) UnmarshalXML(d *xml.Decoder, _ xml.StartElement) error {
	*f = true
	return d.Skip()
}

// Decode parses one <jingle/> element and validates it. Errors wrap
// ErrBadRequest (or ErrTooLarge): answer them with <bad-request/>.
func Decode(data []byte) (*Jingle, error) {
	if len(data) > MaxXMLSize {
		return nil, &SchemaError{Element: "jingle", Problem: "larger than MaxXMLSize", Err: ErrTooLarge}
	}
	j := new(Jingle)
	if err := xml.Unmarshal(data, j); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if err := j.Validate(); err != nil {
		return nil, err
	}
	return j, nil
}

// Encode returns the XML form of j.
func (j *Jingle) Encode() ([]byte, error) {
	b, err := xml.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("jingle: encode: %w", err)
	}
	return b, nil
}
