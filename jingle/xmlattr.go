package jingle

import (
	"encoding/xml"
	"strconv"
)

// requireAttrs fails with a *SchemaError when start lacks one of the
// named attributes (or has it empty).
func requireAttrs(start xml.StartElement, names ...string) error {
	for _, n := range names {
		found := false
		for _, a := range start.Attr {
			if a.Name.Local == n && a.Name.Space == "" && a.Value != "" {
				found = true
				break
			}
		}
		if !found {
			return schemaErr(start.Name.Local, n, "missing")
		}
	}
	return nil
}

// XSBool is an xs:boolean attribute: "true" or "1" read as true, "false"
// or "0" as false; true is written as "1". Use it with omitempty.
type XSBool bool

// MarshalXMLAttr writes "1" for true.
func (b XSBool) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	if b {
		return xml.Attr{Name: name, Value: "1"}, nil
	}
	return xml.Attr{Name: name, Value: "0"}, nil
}

// UnmarshalXMLAttr accepts the four xs:boolean lexical forms.
func (b *XSBool) UnmarshalXMLAttr(attr xml.Attr) error {
	switch attr.Value {
	case "true", "1":
		*b = true
	case "false", "0":
		*b = false
	default:
		return schemaErr("", attr.Name.Local, "not an xs:boolean: "+strconv.Quote(attr.Value))
	}
	return nil
}
