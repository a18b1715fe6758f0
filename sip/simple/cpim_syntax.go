package simple

import (
	"strings"
	"unicode/utf8"
)

// Lexical pieces of the CPIM message header syntax (RFC 3862 §3.6).

// isNameChar reports whether c is a NAMECHAR: US-ASCII except ".", CTLs
// and SEPARATORS.
func isNameChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// isName reports whether s is a Name (1*NAMECHAR).
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}

// isHeaderName reports whether s is a Header-name: [Name-prefix "."] Name.
func isHeaderName(s string) bool {
	if prefix, name, ok := strings.Cut(s, "."); ok {
		return isName(prefix) && isName(name)
	}
	return isName(s)
}

// isToken reports whether s is a Token (1*TOKENCHAR: NAMECHAR, "." or
// non-ASCII UTF-8).
func isToken(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isNameChar(c) && c != '.' && c < utf8.RuneSelf {
			return false
		}
	}
	return true
}

// checkHeaderLine reports whether a raw message header line has only
// characters RFC 3862 §2.2 allows: UTF-8 without control characters. A raw
// horizontal tab is tolerated (and read as a tab).
func checkHeaderLine(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return utf8.ValidString(s)
}

// unescape decodes the character escape mechanism of RFC 3862 §2.3:
// \\ \" \' \b \t \n \r and \uxxxx (UCS-2, surrogate pairs combined, a lone
// surrogate becomes U+FFFD). As §2.3.1 says, any other escape stands for
// the character after the backslash and a backslash ending the value is
// ignored.
func unescape(s string) string {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 == len(s) {
			break // isolated trailing backslash
		}
		e := s[i+1]
		i += 2
		switch e {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'u':
			u, ok := hex4(s[i:])
			if !ok {
				b.WriteByte('u')
				continue
			}
			i += 4
			r := rune(u)
			if utf16IsHigh(r) {
				if len(s) >= i+6 && s[i] == '\\' && s[i+1] == 'u' {
					if lo, ok := hex4(s[i+2:]); ok && utf16IsLow(rune(lo)) {
						r = 0x10000 + (r-0xD800)<<10 + (rune(lo) - 0xDC00)
						i += 6
					}
				}
			}
			b.WriteRune(r) // a lone surrogate is written as U+FFFD
		default:
			// \\, \", \' and unrecognized escapes: the next character
			// (which may be the first byte of a multi-byte rune: the rest
			// follows unchanged).
			b.WriteByte(e)
		}
	}
	return b.String()
}

func utf16IsHigh(r rune) bool { return 0xD800 <= r && r < 0xDC00 }
func utf16IsLow(r rune) bool  { return 0xDC00 <= r && r < 0xE000 }

// hex4 parses exactly four hexadecimal digits at the start of s.
func hex4(s string) (uint16, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var v uint16
	for i := range 4 {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint16(c)
	}
	return v, true
}

// appendEscaped appends s with the escapes RFC 3862 §2.3.1 requires of a
// generator: the special sequences for backslash, backspace, tab, line feed
// and carriage return, \u00xx for other control characters, and, inside a
// quoted String (quoted), \" for the double quote. ok is false if s is not
// valid UTF-8.
func appendEscaped(b []byte, s string, quoted bool) ([]byte, bool) {
	const hexDigits = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\b':
			b = append(b, `\b`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '"' && quoted:
			b = append(b, `\"`...)
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return b, utf8.ValidString(s)
}
