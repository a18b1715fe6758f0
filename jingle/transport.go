package jingle

import "encoding/xml"

// ICEUDPTransport is <transport xmlns='urn:xmpp:jingle:transports:ice-udp:1'/>
// (XEP-0176 §5.3) with the XEP-0320 fingerprint.
type ICEUDPTransport struct {
	Ufrag string `xml:"ufrag,attr,omitempty"`
	Pwd   string `xml:"pwd,attr,omitempty"`
	// Fingerprint is the DTLS-SRTP fingerprint (XEP-0320 §1).
	Fingerprint *Fingerprint   `xml:"urn:xmpp:jingle:apps:dtls:0 fingerprint"`
	Candidates  []ICECandidate `xml:"candidate"`
	// RemoteCandidates is a=remote-candidates (XEP-0176 §5.7).
	RemoteCandidates []RemoteCandidate `xml:"remote-candidate"`
	// GatheringComplete is the de-facto <gathering-complete/> end of
	// candidates (no XEP defines it; a=end-of-candidates).
	GatheringComplete Flag `xml:"gathering-complete,omitempty"`
}

// ICECandidate is an ICE-UDP <candidate/> (XEP-0176 §5.3).
type ICECandidate struct {
	Component  uint8  `xml:"component,attr"`
	Foundation string `xml:"foundation,attr"`
	Generation uint8  `xml:"generation,attr"`
	// ID is unique in the session and has no SDP form.
	ID string `xml:"id,attr"`
	IP string `xml:"ip,attr"`
	// Network is the a=candidate network-id extension, 0 when absent.
	Network  uint8  `xml:"network,attr,omitempty"`
	Port     uint16 `xml:"port,attr"`
	Priority uint32 `xml:"priority,attr"`
	// Protocol is lower case: udp (or tcp, de facto).
	Protocol string `xml:"protocol,attr"`
	RelAddr  string `xml:"rel-addr,attr,omitempty"`
	RelPort  uint16 `xml:"rel-port,attr,omitempty"`
	// Type is host, prflx, srflx or relay.
	Type string `xml:"type,attr"`
	// TCPType is the RFC 6544 tcptype (active, passive, so), de facto.
	TCPType string `xml:"tcptype,attr,omitempty"`
}

// UnmarshalXML requires the attributes the XEP-0176 schema requires,
// except generation, which defaults to 0.
func (c *ICECandidate) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain ICECandidate
	if err := requireAttrs(start, "component", "foundation", "id", "ip", "port", "priority", "protocol", "type"); err != nil {
		return err
	}
	return d.DecodeElement((*plain)(c), &start)
}

// RemoteCandidate is <remote-candidate component ip port/> (XEP-0176 §5.7).
type RemoteCandidate struct {
	Component uint8  `xml:"component,attr"`
	IP        string `xml:"ip,attr"`
	Port      uint16 `xml:"port,attr"`
}

// UnmarshalXML requires every attribute.
func (c *RemoteCandidate) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain RemoteCandidate
	if err := requireAttrs(start, "component", "ip", "port"); err != nil {
		return err
	}
	return d.DecodeElement((*plain)(c), &start)
}

// RawUDPTransport is <transport xmlns='urn:xmpp:jingle:transports:raw-udp:1'/>
// (XEP-0177 §4): component 1 is RTP, component 2 RTCP.
type RawUDPTransport struct {
	// Fingerprint is a XEP-0320 fingerprint for DTLS-SRTP without ICE.
	Fingerprint *Fingerprint   `xml:"urn:xmpp:jingle:apps:dtls:0 fingerprint"`
	Candidates  []RawCandidate `xml:"candidate"`
}

// RawCandidate is a Raw UDP <candidate/> (XEP-0177 §4).
type RawCandidate struct {
	Component  uint8  `xml:"component,attr"`
	Generation uint8  `xml:"generation,attr"`
	ID         string `xml:"id,attr"`
	IP         string `xml:"ip,attr"`
	Port       uint16 `xml:"port,attr"`
	// Type is optional: host, prflx, srflx or relay.
	Type string `xml:"type,attr,omitempty"`
}

// UnmarshalXML requires component, ip and port; id and generation are
// tolerated missing, as in the XEP-0177 example.
func (c *RawCandidate) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain RawCandidate
	if err := requireAttrs(start, "component", "ip", "port"); err != nil {
		return err
	}
	return d.DecodeElement((*plain)(c), &start)
}
