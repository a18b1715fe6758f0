package xmpp

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// appendTo serializes e into b. parentNS is the default namespace in scope;
// an xmlns declaration is written only where the namespace changes.
func (e *Element) appendTo(b *strings.Builder, parentNS string) {
	b.WriteByte('<')
	b.WriteString(e.Name.Local)
	if e.Name.Space != parentNS {
		b.WriteString(` xmlns="`)
		escapeAttr(b, e.Name.Space)
		b.WriteByte('"')
	}
	prefixes := 0
	for _, a := range e.Attr {
		b.WriteByte(' ')
		switch a.Name.Space {
		case "":
		case nsXML, "xml":
			b.WriteString("xml:")
		default:
			// A namespaced attribute other than xml:*: declare a prefix
			// for it on this element (RFC 6120 §11.2 allows any prefix).
			prefixes++
			p := "a" + strconv.Itoa(prefixes)
			b.WriteString("xmlns:" + p + `="`)
			escapeAttr(b, a.Name.Space)
			b.WriteString(`" ` + p + ":")
		}
		b.WriteString(a.Name.Local)
		b.WriteString(`="`)
		escapeAttr(b, a.Value)
		b.WriteByte('"')
	}
	if len(e.Nodes) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	for _, n := range e.Nodes {
		if n.El != nil {
			n.El.appendTo(b, e.Name.Space)
		} else {
			escapeText(b, n.Text)
		}
	}
	b.WriteString("</")
	b.WriteString(e.Name.Local)
	b.WriteByte('>')
}

// validXMLRune reports whether r may appear in an XML 1.0 document
// (XML 1.0 §2.2 Char production).
func validXMLRune(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

func escapeText(b *strings.Builder, s string) { escape(b, s, false) }
func escapeAttr(b *strings.Builder, s string) { escape(b, s, true) }

// escape writes s with markup characters escaped; characters XML cannot
// carry (and invalid UTF-8) become U+FFFD so the stream stays well-formed.
func escape(b *strings.Builder, s string, attr bool) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			var rep string
			switch {
			case c == '<':
				rep = "&lt;"
			case c == '>':
				rep = "&gt;"
			case c == '&':
				rep = "&amp;"
			case c == '"' && attr:
				rep = "&quot;"
			case c == '\'' && attr:
				rep = "&apos;"
			case c == '\r':
				rep = "&#xD;"
			case (c == '\n' || c == '\t') && attr:
				rep = "&#x" + strconv.FormatUint(uint64(c), 16) + ";"
			case c < 0x20 && c != '\n' && c != '\t':
				rep = "\uFFFD"
			default:
				i++
				continue
			}
			b.WriteString(s[last:i])
			b.WriteString(rep)
			i++
			last = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !validXMLRune(r) {
			b.WriteString(s[last:i])
			b.WriteString("\uFFFD")
			i += size
			last = i
			continue
		}
		i += size
	}
	b.WriteString(s[last:])
}
