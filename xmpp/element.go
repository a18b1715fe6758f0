package xmpp

import (
	"encoding/xml"
	"strings"
)

// Namespaces used on the wire.
const (
	nsStream    = "http://etherx.jabber.org/streams"
	nsServer    = "jabber:server"
	nsComponent = "jabber:component:accept"
	nsDialback  = "jabber:server:dialback"
	nsDBFeature = "urn:xmpp:features:dialback"
	nsTLS       = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL      = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsStanzas   = "urn:ietf:params:xml:ns:xmpp-stanzas"
	nsStreams   = "urn:ietf:params:xml:ns:xmpp-streams"
	nsXML       = "http://www.w3.org/XML/1998/namespace"
	nsDiscoInfo = "http://jabber.org/protocol/disco#info"
	nsDiscoItem = "http://jabber.org/protocol/disco#items"
	nsVersion   = "jabber:iq:version"
	nsPing      = "urn:xmpp:ping"
)

// Node is one child of an Element: either an element or character data.
type Node struct {
	El   *Element
	Text string
}

// Element is a parsed XML element: a stanza or one of its descendants.
// Namespaces are resolved (Name.Space is the namespace URI); namespace
// declarations are not kept as attributes.
type Element struct {
	Name  xml.Name
	Attr  []xml.Attr
	Nodes []Node
}

// NewElement returns an element with the given namespace, local name and
// attributes given as name/value pairs.
func NewElement(space, local string, attrs ...string) *Element {
	e := &Element{Name: xml.Name{Space: space, Local: local}}
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] != "" {
			e.Attr = append(e.Attr, xml.Attr{Name: xml.Name{Local: attrs[i]}, Value: attrs[i+1]})
		}
	}
	return e
}

// Get returns the value of the unqualified attribute local, or "".
func (e *Element) Get(local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// Set sets the unqualified attribute local; an empty value removes it.
func (e *Element) Set(local, value string) {
	for i, a := range e.Attr {
		if a.Name.Local == local && a.Name.Space == "" {
			if value == "" {
				e.Attr = append(e.Attr[:i], e.Attr[i+1:]...)
			} else {
				e.Attr[i].Value = value
			}
			return
		}
	}
	if value != "" {
		e.Attr = append(e.Attr, xml.Attr{Name: xml.Name{Local: local}, Value: value})
	}
}

// Add appends child elements and returns e.
func (e *Element) Add(children ...*Element) *Element {
	for _, c := range children {
		e.Nodes = append(e.Nodes, Node{El: c})
	}
	return e
}

// AddText appends character data and returns e.
func (e *Element) AddText(s string) *Element {
	e.Nodes = append(e.Nodes, Node{Text: s})
	return e
}

// Child returns the first child element with the given namespace and local
// name ("" matches any namespace), or nil.
func (e *Element) Child(space, local string) *Element {
	for _, n := range e.Nodes {
		if n.El != nil && n.El.Name.Local == local && (space == "" || n.El.Name.Space == space) {
			return n.El
		}
	}
	return nil
}

// FirstChild returns the first child element, or nil.
func (e *Element) FirstChild() *Element {
	for _, n := range e.Nodes {
		if n.El != nil {
			return n.El
		}
	}
	return nil
}

// Text returns the concatenated character data directly inside e.
func (e *Element) Text() string {
	var b strings.Builder
	for _, n := range e.Nodes {
		if n.El == nil {
			b.WriteString(n.Text)
		}
	}
	return b.String()
}

// String returns the element serialized with a default namespace of
// jabber:server, as it would appear on an s2s stream.
func (e *Element) String() string {
	var b strings.Builder
	e.appendTo(&b, nsServer)
	return b.String()
}
