package simple

import (
	"time"
	"unicode/utf8"
)

// xmlHeader starts every XML document this package writes (RFC 3863 §4.1:
// the XML declaration is mandatory, with an encoding declaration).
const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// xmlWriter appends an XML document to a byte slice. The first invalid
// value (not UTF-8, or a character XML 1.0 cannot carry) is kept in err and
// makes the document unusable.
type xmlWriter struct {
	codec string
	b     []byte
	err   error
}

// raw appends s unescaped (markup written by this package).
func (w *xmlWriter) raw(s string) { w.b = append(w.b, s...) }

// text appends s escaped for character data or a double-quoted attribute
// value. \r, \n and \t become character references so that attribute
// value normalization and line-end handling give back the same string.
func (w *xmlWriter) text(what, s string) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '&':
				w.raw("&amp;")
			case '<':
				w.raw("&lt;")
			case '>':
				w.raw("&gt;")
			case '"':
				w.raw("&quot;")
			case '\t':
				w.raw("&#x9;")
			case '\n':
				w.raw("&#xA;")
			case '\r':
				w.raw("&#xD;")
			default:
				if c < 0x20 {
					w.fail(what + " contains a control character XML cannot carry")
					return
				}
				w.b = append(w.b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			w.fail(what + " is not valid UTF-8")
			return
		}
		if !xmlChar(r) {
			w.fail(what + " contains a character XML cannot carry")
			return
		}
		w.b = append(w.b, s[i:i+n]...)
		i += n
	}
}

// attr appends ` name="value"`.
func (w *xmlWriter) attr(name, value string) {
	w.raw(" ")
	w.raw(name)
	w.raw(`="`)
	w.text(name, value)
	w.raw(`"`)
}

// elem appends <name>text</name>.
func (w *xmlWriter) elem(name, text string) {
	w.raw("<")
	w.raw(name)
	w.raw(">")
	w.text("<"+name+">", text)
	w.raw("</")
	w.raw(name)
	w.raw(">")
}

// time appends <name>t</name> in RFC 3339 form.
func (w *xmlWriter) time(name string, t time.Time) {
	s, ok := formatTime(t)
	if !ok {
		w.fail("<" + name + "> time out of range")
		return
	}
	w.elem(name, s)
}

func (w *xmlWriter) fail(msg string) {
	if w.err == nil {
		w.err = invalid(w.codec, msg)
	}
}

// result returns the document, or the first error.
func (w *xmlWriter) result() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	return w.b, nil
}

// xmlChar reports whether r is in the XML 1.0 Char production (non-ASCII
// part; ASCII is handled inline).
func xmlChar(r rune) bool {
	return r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
