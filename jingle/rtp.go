package jingle

import (
	"encoding/xml"
	"strings"
)

// RTPDescription is <description xmlns='urn:xmpp:jingle:apps:rtp:1'/>
// (XEP-0167 §4) with the children of XEP-0293 (rtcp-fb), XEP-0294
// (rtp-hdrext) and XEP-0339 (source, ssrc-group).
type RTPDescription struct {
	// Media is audio, video, ...
	Media string `xml:"media,attr"`
	// SSRC is the optional description@ssrc.
	SSRC string `xml:"ssrc,attr,omitempty"`
	// PayloadTypes in order of preference.
	PayloadTypes []PayloadType `xml:"payload-type"`
	// RTCPFB applies to every payload type (SDP a=rtcp-fb:*).
	RTCPFB []RTCPFB `xml:"urn:xmpp:jingle:apps:rtp:rtcp-fb:0 rtcp-fb"`
	// RTCPFBTrrInt is a=rtcp-fb:* trr-int.
	RTCPFBTrrInt *TrrInt `xml:"urn:xmpp:jingle:apps:rtp:rtcp-fb:0 rtcp-fb-trr-int"`
	// HdrExts are the negotiated RTP header extensions (a=extmap).
	HdrExts []HdrExt `xml:"urn:xmpp:jingle:apps:rtp:rtp-hdrext:0 rtp-hdrext"`
	// ExtmapAllowMixed is a=extmap-allow-mixed (XEP-0294 §3).
	ExtmapAllowMixed Flag `xml:"urn:xmpp:jingle:apps:rtp:rtp-hdrext:0 extmap-allow-mixed,omitempty"`
	// Sources are a=ssrc lines (XEP-0339 §2.1).
	Sources []Source `xml:"urn:xmpp:jingle:apps:rtp:ssma:0 source"`
	// SSRCGroups are a=ssrc-group lines (XEP-0339 §2.2).
	SSRCGroups []SSRCGroup `xml:"urn:xmpp:jingle:apps:rtp:ssma:0 ssrc-group"`
	// RTCPMux is a=rtcp-mux (XEP-0167 §4).
	RTCPMux Flag `xml:"rtcp-mux,omitempty"`
	// Encryption carries SDES crypto and ZRTP hashes (XEP-0167 §7).
	Encryption *Encryption `xml:"encryption"`
	// Bandwidth is b=AS or b=TIAS (XEP-0167 §4).
	Bandwidth *Bandwidth `xml:"bandwidth"`
}

// UnmarshalXML requires the media attribute.
func (r *RTPDescription) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain RTPDescription
	if err := requireAttrs(start, "media"); err != nil {
		return err
	}
	return d.DecodeElement((*plain)(r), &start)
}

// feedback reports whether any XEP-0293 element is present, which makes
// the profile AVPF for the whole content (XEP-0293 §3).
func (r *RTPDescription) feedback() bool {
	if len(r.RTCPFB) > 0 || r.RTCPFBTrrInt != nil {
		return true
	}
	for i := range r.PayloadTypes {
		if len(r.PayloadTypes[i].RTCPFB) > 0 || r.PayloadTypes[i].RTCPFBTrrInt != nil {
			return true
		}
	}
	return false
}

// PayloadType is <payload-type/> (XEP-0167 §4).
type PayloadType struct {
	ID   uint8  `xml:"id,attr"`
	Name string `xml:"name,attr,omitempty"`
	// ClockRate in Hz, 0 when absent.
	ClockRate uint32 `xml:"clockrate,attr,omitempty"`
	// Channels, 0 when absent (which means 1).
	Channels uint8 `xml:"channels,attr,omitempty"`
	// PTime and MaxPTime in milliseconds, 0 when absent.
	PTime    uint32 `xml:"ptime,attr,omitempty"`
	MaxPTime uint32 `xml:"maxptime,attr,omitempty"`
	// Parameters are the a=fmtp name=value pairs, in SDP order.
	Parameters []Parameter `xml:"parameter"`
	// RTCPFB are this payload type's a=rtcp-fb lines (XEP-0293).
	RTCPFB []RTCPFB `xml:"urn:xmpp:jingle:apps:rtp:rtcp-fb:0 rtcp-fb"`
	// RTCPFBTrrInt is a=rtcp-fb:<pt> trr-int.
	RTCPFBTrrInt *TrrInt `xml:"urn:xmpp:jingle:apps:rtp:rtcp-fb:0 rtcp-fb-trr-int"`
}

// UnmarshalXML requires the id attribute.
func (p *PayloadType) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain PayloadType
	if err := requireAttrs(start, "id"); err != nil {
		return err
	}
	return d.DecodeElement((*plain)(p), &start)
}

// Parameter is a <parameter name value/> of a payload type, feedback
// message or header extension. Both attributes are always written; a bare
// fmtp value such as RFC 4733 "0-15" is name="" value="0-15" (NOTES §5
// item 5).
type Parameter struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// RTCPFB is <rtcp-fb type [subtype]/> (XEP-0293 §3).
type RTCPFB struct {
	Type       string      `xml:"type,attr"`
	Subtype    string      `xml:"subtype,attr,omitempty"`
	Parameters []Parameter `xml:"parameter"`
}

// UnmarshalXML requires the type attribute.
func (f *RTCPFB) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain RTCPFB
	if err := requireAttrs(start, "type"); err != nil {
		return err
	}
	return d.DecodeElement((*plain)(f), &start)
}

// TrrInt is <rtcp-fb-trr-int value/> in milliseconds (XEP-0293 §3).
type TrrInt struct {
	Value uint32 `xml:"value,attr"`
}

// HdrExt is <rtp-hdrext id uri [senders]/> (XEP-0294 §3).
type HdrExt struct {
	ID  uint16 `xml:"id,attr"`
	URI string `xml:"uri,attr"`
	// Senders restricts the direction; empty means both.
	Senders    Senders     `xml:"senders,attr,omitempty"`
	Parameters []Parameter `xml:"parameter"`
}

// UnmarshalXML requires the id and uri attributes.
func (h *HdrExt) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain HdrExt
	if err := requireAttrs(start, "id", "uri"); err != nil {
		return err
	}
	return d.DecodeElement((*plain)(h), &start)
}

// Source is <source ssrc/> with the attributes of one a=ssrc id
// (XEP-0339 §2.1).
type Source struct {
	SSRC       uint32            `xml:"ssrc,attr"`
	Parameters []SourceParameter `xml:"parameter"`
}

// UnmarshalXML requires the ssrc attribute.
func (s *Source) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain Source
	if err := requireAttrs(start, "ssrc"); err != nil {
		return err
	}
	return d.DecodeElement((*plain)(s), &start)
}

// SourceParameter is one a=ssrc attribute; Value is omitted when the SDP
// attribute has none (XEP-0339 §2.1).
type SourceParameter struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr,omitempty"`
}

// SSRCGroup is <ssrc-group semantics/> (XEP-0339 §2.2).
type SSRCGroup struct {
	Semantics string      `xml:"semantics,attr"`
	Sources   []SourceRef `xml:"source"`
}

// SourceRef is a <source ssrc/> inside an ssrc-group.
type SourceRef struct {
	SSRC uint32 `xml:"ssrc,attr"`
}

// Encryption is <encryption [required]/> (XEP-0167 §7).
type Encryption struct {
	// Required is true for RTP/SAVP (SRTP mandatory).
	Required XSBool    `xml:"required,attr,omitempty"`
	Cryptos  []Crypto  `xml:"crypto"`
	ZRTPHash *ZRTPHash `xml:"urn:xmpp:jingle:apps:rtp:zrtp:1 zrtp-hash"`
}

// Crypto is one SDES a=crypto line (XEP-0167 §7, RFC 4568 §9.1).
type Crypto struct {
	Suite         string `xml:"crypto-suite,attr"`
	KeyParams     string `xml:"key-params,attr"`
	SessionParams string `xml:"session-params,attr,omitempty"`
	Tag           string `xml:"tag,attr"`
}

// UnmarshalXML requires crypto-suite, key-params and tag.
func (c *Crypto) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain Crypto
	if err := requireAttrs(start, "crypto-suite", "key-params", "tag"); err != nil {
		return err
	}
	return d.DecodeElement((*plain)(c), &start)
}

// ZRTPHash is <zrtp-hash version>hex</zrtp-hash> (XEP-0262).
type ZRTPHash struct {
	Version string `xml:"version,attr"`
	Value   string `xml:",chardata"`
}

// Bandwidth is <bandwidth type>value</bandwidth> (XEP-0167 §4): b=AS is in
// kbit/s, b=TIAS in bit/s.
type Bandwidth struct {
	Type  string `xml:"type,attr"`
	Value uint64 `xml:",chardata"`
}

// UnmarshalXML requires the type attribute.
func (b *Bandwidth) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain Bandwidth
	if err := requireAttrs(start, "type"); err != nil {
		return err
	}
	return d.DecodeElement((*plain)(b), &start)
}

// Fingerprint is the XEP-0320 DTLS fingerprint inside a transport.
type Fingerprint struct {
	// Hash is the RFC 8122 hash function, e.g. sha-256.
	Hash string `xml:"hash,attr"`
	// Setup is the RFC 4145 role: actpass, active, passive or holdconn.
	Setup string `xml:"setup,attr"`
	// Value is the colon-separated hex fingerprint.
	Value string `xml:",chardata"`
}

// UnmarshalXML requires hash and trims the fingerprint text.
func (f *Fingerprint) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain Fingerprint
	if err := requireAttrs(start, "hash"); err != nil {
		return err
	}
	if err := d.DecodeElement((*plain)(f), &start); err != nil {
		return err
	}
	f.Value = strings.TrimSpace(f.Value)
	return nil
}
