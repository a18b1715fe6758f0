package jingle

import (
	"bytes"
	"encoding/xml"
	"fmt"
)

// MessageAction is the element of a XEP-0353 Jingle Message Initiation
// payload.
type MessageAction string

// The XEP-0353 actions. Accept is the pre-0.4 form some clients still send
// to their own bare JID; Ringing and Finish are from 0.4 on.
const (
	MessagePropose MessageAction = "propose"
	MessageRetract MessageAction = "retract"
	MessageAccept  MessageAction = "accept"
	MessageProceed MessageAction = "proceed"
	MessageReject  MessageAction = "reject"
	MessageRinging MessageAction = "ringing"
	MessageFinish  MessageAction = "finish"
)

// Valid reports whether a is a XEP-0353 action.
func (a MessageAction) Valid() bool {
	switch a {
	case MessagePropose, MessageRetract, MessageAccept, MessageProceed, MessageReject, MessageRinging, MessageFinish:
		return true
	}
	return false
}

// Message is a XEP-0353 payload of a <message type='chat'/>: <propose/>,
// <retract/>, <accept/>, <proceed/>, <reject/>, <ringing/> or <finish/> in
// urn:xmpp:jingle-message:0.
type Message struct {
	Action MessageAction
	// ID is the session id the later session-initiate uses as sid.
	ID string
	// Descriptions of a propose: one per media type, usually with only
	// the media attribute (XEP-0353 §3.1).
	Descriptions []RTPDescription
	// Reason of a retract, reject or finish, in urn:xmpp:jingle:1.
	Reason *Reason
	// TieBreak marks a retract or reject sent by the tie-break rule
	// (XEP-0353 §4.1).
	TieBreak bool
}

// MarshalXML writes the payload in the XEP-0353 namespace.
func (m *Message) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	start := xml.StartElement{
		Name: xml.Name{Space: NSMessage, Local: string(m.Action)},
		Attr: []xml.Attr{{Name: xml.Name{Local: "id"}, Value: m.ID}},
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for i := range m.Descriptions {
		if err := e.EncodeElement(&m.Descriptions[i], xml.StartElement{Name: xml.Name{Space: NSRTP, Local: "description"}}); err != nil {
			return err
		}
	}
	if m.Reason != nil {
		if err := e.EncodeElement(m.Reason, xml.StartElement{Name: xml.Name{Space: NSJingle, Local: "reason"}}); err != nil {
			return err
		}
	}
	if m.TieBreak {
		tb := xml.StartElement{Name: xml.Name{Local: "tie-break"}}
		if err := e.EncodeToken(tb); err != nil {
			return err
		}
		if err := e.EncodeToken(tb.End()); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// UnmarshalXML reads a payload; Action is the element's local name.
// Unknown children are skipped.
func (m *Message) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	*m = Message{Action: MessageAction(start.Name.Local)}
	for _, a := range start.Attr {
		if a.Name.Space == "" && a.Name.Local == "id" {
			m.ID = a.Value
		}
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			switch {
			case t.Name.Space == NSRTP && t.Name.Local == "description":
				if len(m.Descriptions) >= MaxMedia {
					return schemaErr(start.Name.Local, "", "too many descriptions")
				}
				m.Descriptions = append(m.Descriptions, RTPDescription{})
				if err := d.DecodeElement(&m.Descriptions[len(m.Descriptions)-1], &t); err != nil {
					return err
				}
			case t.Name.Space == NSJingle && t.Name.Local == "reason" && m.Reason == nil:
				m.Reason = new(Reason)
				if err := d.DecodeElement(m.Reason, &t); err != nil {
					return err
				}
			case t.Name.Local == "tie-break" && (t.Name.Space == NSMessage || t.Name.Space == NSErrors):
				m.TieBreak = true
				if err := d.Skip(); err != nil {
					return err
				}
			default:
				if err := d.Skip(); err != nil {
					return err
				}
			}
		}
	}
}

// Validate checks the XEP-0353 rules: a known action, an id, and at least
// one description in a propose. Errors wrap ErrBadRequest.
func (m *Message) Validate() error {
	if !m.Action.Valid() {
		return schemaErr(string(m.Action), "", "unknown jingle-message action")
	}
	if m.ID == "" {
		return schemaErr(string(m.Action), "id", "missing")
	}
	if m.Action == MessagePropose && len(m.Descriptions) == 0 {
		return schemaErr("propose", "", "no description")
	}
	if m.Reason != nil {
		if err := m.Reason.validate(); err != nil {
			return err
		}
	}
	return nil
}

// DecodeMessage parses and validates one XEP-0353 payload element.
func DecodeMessage(data []byte) (*Message, error) {
	if len(data) > MaxXMLSize {
		return nil, &SchemaError{Element: "message", Problem: "larger than MaxXMLSize", Err: ErrTooLarge}
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	var start xml.StartElement
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		if s, ok := tok.(xml.StartElement); ok {
			start = s
			break
		}
	}
	if start.Name.Space != NSMessage {
		return nil, schemaErr(start.Name.Local, "xmlns", "not "+NSMessage)
	}
	m := new(Message)
	if err := d.DecodeElement(m, &start); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Encode returns the XML form of m.
func (m *Message) Encode() ([]byte, error) {
	b, err := xml.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("jingle: encode: %w", err)
	}
	return b, nil
}
