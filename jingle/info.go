package jingle

import "encoding/xml"

// InfoKind names a XEP-0167 §8 session-info payload.
type InfoKind string

// The XEP-0167 §8 session-info payloads.
const (
	InfoActive  InfoKind = "active"
	InfoHold    InfoKind = "hold"
	InfoUnhold  InfoKind = "unhold"
	InfoMute    InfoKind = "mute"
	InfoUnmute  InfoKind = "unmute"
	InfoRinging InfoKind = "ringing"
)

// Valid reports whether k is one of the XEP-0167 payloads.
func (k InfoKind) Valid() bool {
	switch k {
	case InfoActive, InfoHold, InfoUnhold, InfoMute, InfoUnmute, InfoRinging:
		return true
	}
	return false
}

// Info is a session-info payload in urn:xmpp:jingle:apps:rtp:info:1.
type Info struct {
	Kind InfoKind
	// Creator and Name select the content of mute and unmute; an empty
	// Name means every content.
	Creator Role
	Name    string
}

// MarshalXML writes the payload in the XEP-0167 namespace.
func (i *Info) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	start := xml.StartElement{Name: xml.Name{Space: NSRTPInfo, Local: string(i.Kind)}}
	if i.Kind == InfoMute || i.Kind == InfoUnmute {
		if i.Creator != "" {
			start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: "creator"}, Value: string(i.Creator)})
		}
		if i.Name != "" {
			start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: "name"}, Value: i.Name})
		}
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

// UnmarshalXML reads any element as a payload; Kind is its local name.
func (i *Info) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	*i = *infoFrom(start.Name.Local, start.Attr)
	return d.Skip()
}

// info converts a kept element into an Info.
func (e *Element) info() *Info { return infoFrom(e.XMLName.Local, e.Attrs) }

func infoFrom(local string, attrs []xml.Attr) *Info {
	i := &Info{Kind: InfoKind(local)}
	for _, a := range attrs {
		switch a.Name.Local {
		case "creator":
			i.Creator = Role(a.Value)
		case "name":
			i.Name = a.Value
		}
	}
	return i
}
