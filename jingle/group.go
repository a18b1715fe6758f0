package jingle

// Group is <group xmlns='urn:xmpp:jingle:apps:grouping:0' semantics/>
// (XEP-0338 §2): the contents of an a=group line.
type Group struct {
	Semantics string         `xml:"semantics,attr"`
	Contents  []GroupContent `xml:"content"`
}

// GroupContent names one content of a group; the name is the SDP mid.
type GroupContent struct {
	Name string `xml:"name,attr"`
}

// SemanticsBundle is the RFC 8843 BUNDLE group semantics.
const SemanticsBundle = "BUNDLE"
