package simple

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
)

// nsXML is the namespace encoding/xml gives the reserved xml: prefix.
const nsXML = "http://www.w3.org/XML/1998/namespace"

// xmlReader is the hardened pull parser under every XML codec here.
//
// encoding/xml in Strict mode with no Entity map accepts only the five
// predefined entities and character references; a document type
// declaration (or any other <!...> directive) is refused outright, so no
// DTD, internal subset or entity definition is ever processed. Nesting
// depth and element count are bounded (limits.go), exactly one root
// element is allowed, and nothing but white space, comments and processing
// instructions may surround it. Encodings other than UTF-8 are refused by
// encoding/xml itself (no CharsetReader).
type xmlReader struct {
	codec    string
	d        *xml.Decoder
	depth    int
	elements int
}

func newXMLReader(codec string, b []byte) *xmlReader {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	return &xmlReader{codec: codec, d: d}
}

// token returns the next start element, end element or character data;
// character data is only valid until the next call. io.EOF is returned
// as is (callers decide whether it is expected).
func (r *xmlReader) token() (xml.Token, error) {
	for {
		tok, err := r.d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, malformedCause(r.codec, "bad XML", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			r.depth++
			r.elements++
			if r.depth > maxXMLDepth {
				return nil, overLimit(r.codec, "XML nested too deeply")
			}
			if r.elements > maxXMLElements {
				return nil, overLimit(r.codec, "too many XML elements")
			}
			return t, nil
		case xml.EndElement:
			r.depth--
			return t, nil
		case xml.CharData:
			return t, nil
		case xml.Directive:
			return nil, malformed(r.codec, "XML directives (DTD) not allowed")
		default: // comments and processing instructions are ignored
		}
	}
}

// root reads the prolog and returns the root element, which must be
// local in namespace space.
func (r *xmlReader) root(space, local string) (xml.StartElement, error) {
	return r.rootIn(local, space)
}

// rootIn reads the prolog and returns the root element, which must be
// local in one of the namespaces spaces.
func (r *xmlReader) rootIn(local string, spaces ...string) (xml.StartElement, error) {
	for {
		tok, err := r.token()
		if err != nil {
			if err == io.EOF {
				return xml.StartElement{}, malformed(r.codec, "no root element")
			}
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != local || !slices.Contains(spaces, t.Name.Space) {
				return xml.StartElement{}, malformed(r.codec, "root element is not <"+local+"> in namespace "+spaces[0])
			}
			return t, nil
		case xml.CharData:
			if !isXMLSpace(t) {
				return xml.StartElement{}, malformed(r.codec, "text before the root element")
			}
		}
	}
}

// finish checks that only white space, comments and processing
// instructions follow the root element.
func (r *xmlReader) finish() error {
	for {
		tok, err := r.token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return malformed(r.codec, "more than one root element")
		case xml.CharData:
			if !isXMLSpace(t) {
				return malformed(r.codec, "text after the root element")
			}
		}
	}
}

// next returns the next child element of the element being read, or
// ok=false once that element's end tag has been consumed. Text between
// children is ignored (the elements read this way have element-only
// content).
func (r *xmlReader) next() (start xml.StartElement, ok bool, err error) {
	for {
		tok, err := r.token()
		if err != nil {
			if err == io.EOF {
				return xml.StartElement{}, false, malformed(r.codec, "unexpected end of document")
			}
			return xml.StartElement{}, false, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, true, nil
		case xml.EndElement:
			return xml.StartElement{}, false, nil
		}
	}
}

// text reads the character content of the element just started, through
// its end tag. Child elements are an error: every element read this way is
// a simple type.
func (r *xmlReader) text(name string) (string, error) {
	var s string
	var b []byte // only used for text split across several tokens
	n := 0
	for {
		tok, err := r.token()
		if err != nil {
			if err == io.EOF {
				return "", malformed(r.codec, "unexpected end of document")
			}
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return "", malformed(r.codec, "unexpected element inside <"+name+">")
		case xml.EndElement:
			if n > 1 {
				return string(b), nil
			}
			return s, nil
		case xml.CharData:
			n++
			if n == 1 {
				s = string(t)
			} else {
				if n == 2 {
					b = append(b, s...)
				}
				b = append(b, t...)
			}
		}
	}
}

// skip consumes the rest of the element just started, through its end tag.
func (r *xmlReader) skip() error {
	depth := r.depth
	for {
		tok, err := r.token()
		if err != nil {
			if err == io.EOF {
				return malformed(r.codec, "unexpected end of document")
			}
			return err
		}
		if _, ok := tok.(xml.EndElement); ok && r.depth < depth {
			return nil
		}
	}
}

// empty reads an element that must have no child elements (text is
// ignored), through its end tag.
func (r *xmlReader) empty(name string) error {
	_, err := r.text(name)
	return err
}

// attr returns the value of the attribute with the given name.
func attr(se xml.StartElement, space, local string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// xmlLang returns the xml:lang attribute of se, or inherited if absent.
func xmlLang(se xml.StartElement, inherited string) string {
	if v, ok := attr(se, nsXML, "lang"); ok {
		return v
	}
	return inherited
}

func isXMLSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// collapse trims XML white space around s (xs:token, xs:anyURI and
// enumerations compare after whitespace processing).
func collapse(s string) string {
	return strings.Trim(s, " \t\n\r")
}
