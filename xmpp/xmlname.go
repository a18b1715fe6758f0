package xmpp

import (
	"errors"
	"unicode"
	"unicode/utf8"
)

// Checks that a parsed element serializes to namespace-well-formed XML.
// encoding/xml accepts more than XML 1.0 and Namespaces in XML allow: a
// local name after a prefix is not checked as a name start (<p:0/>), an
// attribute may repeat, and the reserved namespaces may be bound. The
// stream reader inherits that; an element carried on to a peer or to the
// core as XML must not, or the peer's parser ends the stream.

// nsXMLNS is the namespace of namespace declarations (Namespaces in XML
// §3), which no element or attribute may be in.
const nsXMLNS = "http://www.w3.org/2000/xmlns/"

var errNotWellFormed = errors.New("xmpp: element would not serialize as well-formed XML")

// checkWellFormed reports whether el and its descendants have names that
// are NCNames (Namespaces in XML §3) a strict parser and encoding/xml
// both read, no element in a reserved namespace, no attribute in the
// xmlns namespace, and no attribute twice (§6.3).
func checkWellFormed(el *Element) error {
	if !ncName(el.Name.Local) || el.Name.Space == nsXML || el.Name.Space == nsXMLNS {
		return errNotWellFormed
	}
	for i, a := range el.Attr {
		if !ncName(a.Name.Local) || a.Name.Space == nsXMLNS {
			return errNotWellFormed
		}
		for _, b := range el.Attr[:i] {
			if b.Name == a.Name {
				return errNotWellFormed
			}
		}
	}
	for _, n := range el.Nodes {
		if n.El != nil {
			if err := checkWellFormed(n.El); err != nil {
				return err
			}
		}
	}
	return nil
}

// ncName reports whether s is a name without a colon (XML 1.0 §2.3,
// Namespaces in XML §3) whose first character is also a name start for
// encoding/xml: an ASCII letter, '_' or a letter of categories Lu, Ll,
// Lt, Lo or Nl (XML 1.0 fourth edition, Appendix B).
func ncName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == utf8.RuneError || r == ':' {
			return false
		}
		if i == 0 {
			if !nameStart(r) {
				return false
			}
		} else if !nameChar(r) {
			return false
		}
	}
	return true
}

func nameStart(r rune) bool {
	switch {
	case r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z':
		return true
	case r < 0xC0:
		return false
	}
	return nameStartRange(r) && unicode.In(r, unicode.Lu, unicode.Ll, unicode.Lt, unicode.Lo, unicode.Nl)
}

// nameStartRange is the non-ASCII part of NameStartChar (XML 1.0 fifth
// edition §2.3).
func nameStartRange(r rune) bool {
	return r >= 0xC0 && r <= 0xD6 || r >= 0xD8 && r <= 0xF6 || r >= 0xF8 && r <= 0x2FF ||
		r >= 0x370 && r <= 0x37D || r >= 0x37F && r <= 0x1FFF || r >= 0x200C && r <= 0x200D ||
		r >= 0x2070 && r <= 0x218F || r >= 0x2C00 && r <= 0x2FEF || r >= 0x3001 && r <= 0xD7FF ||
		r >= 0xF900 && r <= 0xFDCF || r >= 0xFDF0 && r <= 0xFFFD || r >= 0x10000 && r <= 0xEFFFF
}

// nameChar is NameChar (XML 1.0 fifth edition §2.3) without ':'.
func nameChar(r rune) bool {
	switch {
	case r == '_' || r == '-' || r == '.' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9':
		return true
	case r < 0xB7:
		return false
	}
	return r == 0xB7 || r >= 0x300 && r <= 0x36F || r == 0x203F || r == 0x2040 || nameStartRange(r)
}
