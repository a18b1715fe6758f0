package jingle

import (
	"encoding/xml"
	"strings"
)

// Condition is the machine-readable condition of a <reason/> (XEP-0166
// §7.4).
type Condition string

// The XEP-0166 §7.4 conditions.
const (
	ConditionAlternativeSession      Condition = "alternative-session"
	ConditionBusy                    Condition = "busy"
	ConditionCancel                  Condition = "cancel"
	ConditionConnectivityError       Condition = "connectivity-error"
	ConditionDecline                 Condition = "decline"
	ConditionExpired                 Condition = "expired"
	ConditionFailedApplication       Condition = "failed-application"
	ConditionFailedTransport         Condition = "failed-transport"
	ConditionGeneralError            Condition = "general-error"
	ConditionGone                    Condition = "gone"
	ConditionIncompatibleParameters  Condition = "incompatible-parameters"
	ConditionMediaError              Condition = "media-error"
	ConditionSecurityError           Condition = "security-error"
	ConditionSuccess                 Condition = "success"
	ConditionTimeout                 Condition = "timeout"
	ConditionUnsupportedApplications Condition = "unsupported-applications"
	ConditionUnsupportedTransports   Condition = "unsupported-transports"
)

// Valid reports whether c is one of the XEP-0166 §7.4 conditions.
func (c Condition) Valid() bool {
	switch c {
	case ConditionAlternativeSession, ConditionBusy, ConditionCancel, ConditionConnectivityError,
		ConditionDecline, ConditionExpired, ConditionFailedApplication, ConditionFailedTransport,
		ConditionGeneralError, ConditionGone, ConditionIncompatibleParameters, ConditionMediaError,
		ConditionSecurityError, ConditionSuccess, ConditionTimeout, ConditionUnsupportedApplications,
		ConditionUnsupportedTransports:
		return true
	}
	return false
}

// Reason is a <reason/> element (XEP-0166 §7.4): exactly one condition, an
// optional text and an optional element of another namespace.
type Reason struct {
	Condition Condition
	// SID is the session of <alternative-session><sid/></alternative-session>.
	// On input the bare text form (<alternative-session>SID</...>) is
	// accepted too.
	SID string
	// Text is the human-readable <text/>.
	Text string
	// Detail is the element of another namespace, such as
	// <crypto-required xmlns='urn:xmpp:jingle:apps:rtp:errors:1'/>.
	Detail *Element
}

// NewCryptoRequired returns the XEP-0167 <crypto-required/> detail.
func NewCryptoRequired() *Element {
	return &Element{XMLName: xml.Name{Space: NSRTPErrors, Local: "crypto-required"}}
}

// NewInvalidCrypto returns the XEP-0167 <invalid-crypto/> detail.
func NewInvalidCrypto() *Element {
	return &Element{XMLName: xml.Name{Space: NSRTPErrors, Local: "invalid-crypto"}}
}

// MarshalXML writes the reason. The condition and text inherit the
// namespace of the <reason/> element.
func (r *Reason) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Name.Local = "reason"
	start.Attr = nil
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	cond := xml.StartElement{Name: xml.Name{Local: string(r.Condition)}}
	if err := e.EncodeToken(cond); err != nil {
		return err
	}
	if r.Condition == ConditionAlternativeSession && r.SID != "" {
		if err := e.EncodeElement(r.SID, xml.StartElement{Name: xml.Name{Local: "sid"}}); err != nil {
			return err
		}
	}
	if err := e.EncodeToken(cond.End()); err != nil {
		return err
	}
	if r.Text != "" {
		if err := e.EncodeElement(r.Text, xml.StartElement{Name: xml.Name{Local: "text"}}); err != nil {
			return err
		}
	}
	if r.Detail != nil {
		if err := e.Encode(r.Detail); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// UnmarshalXML reads a reason. Elements in the reason's own namespace
// that are not conditions are skipped; the first element of another
// namespace becomes Detail.
func (r *Reason) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	*r = Reason{}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if t.Name.Space != start.Name.Space {
				if r.Detail != nil {
					if err := d.Skip(); err != nil {
						return err
					}
					continue
				}
				r.Detail = new(Element)
				if err := d.DecodeElement(r.Detail, &t); err != nil {
					return err
				}
				continue
			}
			switch c := Condition(t.Name.Local); {
			case t.Name.Local == "text":
				if err := d.DecodeElement(&r.Text, &t); err != nil {
					return err
				}
			case c == ConditionAlternativeSession:
				var alt struct {
					SID  string `xml:"sid"`
					Text string `xml:",chardata"`
				}
				if err := d.DecodeElement(&alt, &t); err != nil {
					return err
				}
				r.Condition = c
				r.SID = strings.TrimSpace(alt.SID)
				if r.SID == "" {
					r.SID = strings.TrimSpace(alt.Text)
				}
			case c.Valid() && r.Condition == "":
				r.Condition = c
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
