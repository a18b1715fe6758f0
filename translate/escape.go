package translate

import "strings"

// JID escaping, XEP-0106. Only the localpart is ever escaped (XEP-0106 §2).

const escLowerHex = "0123456789abcdef"

// escapeCode returns the character an XEP-0106 escape sequence \ab stands
// for (XEP-0106 §3.2, §3.3). Case is significant: only lowercase hex names
// a sequence ("CASE IS SIGNIFICANT", §3.1).
func escapeCode(a, b byte) (byte, bool) {
	switch a {
	case '2':
		switch b {
		case '0':
			return ' ', true
		case '2':
			return '"', true
		case '6':
			return '&', true
		case '7':
			return '\'', true
		case 'f':
			return '/', true
		}
	case '3':
		switch b {
		case 'a':
			return ':', true
		case 'c':
			return '<', true
		case 'e':
			return '>', true
		}
	case '4':
		if b == '0' {
			return '@', true
		}
	case '5':
		if b == 'c' {
			return '\\', true
		}
	}
	return 0, false
}

// isCodeFold reports whether ab names an escape sequence ignoring ASCII
// case. A backslash before such a pair is escaped to \5c, and \5c before one
// is unescaped: a localpart goes through the PRECIS UsernameCaseMapped
// profile (RFC 7622 §3.3) after escaping, which lowercases "\2F" into the
// live sequence "\2f"; escaping its backslash keeps it literal.
func isCodeFold(a, b byte) bool {
	if 'A' <= b && b <= 'F' {
		b += 'a' - 'A'
	}
	_, ok := escapeCode(a, b)
	return ok
}

// mustEscape reports whether c is one of the characters XEP-0106 §3.2
// escapes: space and the eight RFC 7622 §3.3.1 forbids in a localpart.
func mustEscape(c byte) bool {
	switch c {
	case ' ', '"', '&', '\'', '/', ':', '<', '>', '@':
		return true
	}
	return false
}

// EscapeLocal escapes s for use as a JID localpart (XEP-0106 §3.2 and the
// address transformation algorithm of §4.2): space " & ' / : < > @ become
// \20 \22 \26 \27 \2f \3a \3c \3e \40, and a backslash becomes \5c only
// when it starts a character sequence that is itself an escape (§4.1 rule
// 7, §4.4); every other character is kept.
//
// XEP-0106 §4.1 rule 6 forbids \20 as the first or last character of an
// escaped localpart, so a string that begins or ends with a space has no
// valid escaping: EscapeLocal still returns the mechanical result, which
// UnescapeLocal does not reverse. Callers refuse such input (SIPToJID
// does). For every other s, UnescapeLocal(EscapeLocal(s)) == s.
func EscapeLocal(s string) string {
	i := 0
	for ; i < len(s); i++ {
		if mustEscape(s[i]) || (s[i] == '\\' && i+2 < len(s) && isCodeFold(s[i+1], s[i+2])) {
			break
		}
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case mustEscape(c):
			b.WriteByte('\\')
			b.WriteByte(escLowerHex[c>>4])
			b.WriteByte(escLowerHex[c&0x0f])
		case c == '\\' && i+2 < len(s) && isCodeFold(s[i+1], s[i+2]):
			b.WriteString(`\5c`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// UnescapeLocal reverses EscapeLocal for a JID localpart (XEP-0106 §3.3).
// It unescapes only the specified sequences (§4.1 rule 3) and leaves
// everything else as it is:
//   - partial sequences and sequences for other characters ("\2plus",
//     "foo\bar", "foob\41r", §4.4) and uppercase ones ("\2F");
//   - \20 as the first or last sequence of the localpart, which an escaped
//     localpart never has (§4.1 rule 6);
//   - \5c not followed by a sequence: an escaper writes \5c only before
//     one (§4.1 rule 7), so "\5cbar" is literal.
func UnescapeLocal(s string) string {
	out, _ := unescapeLocal(s, false)
	return out
}

// unescapeLocal is UnescapeLocal; with sig it also returns the sequences
// it unescaped, one byte each (the character), in order.
func unescapeLocal(s string, sig bool) (string, string) {
	first := strings.IndexByte(s, '\\')
	if first < 0 {
		return s, ""
	}
	var b, codes strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:first])
	for i := first; i < len(s); {
		c := s[i]
		if c != '\\' || i+3 > len(s) {
			b.WriteByte(c)
			i++
			continue
		}
		u, ok := escapeCode(s[i+1], s[i+2])
		switch {
		case !ok:
		case u == '\\':
			// \5c is the escaped backslash only before a sequence.
			if i+5 > len(s) || !isCodeFold(s[i+3], s[i+4]) {
				ok = false
			}
		case u == ' ':
			if i == 0 || i+3 == len(s) {
				ok = false
			}
		}
		if !ok {
			b.WriteByte(c)
			i++
			continue
		}
		b.WriteByte(u)
		if sig {
			codes.WriteByte(u)
		}
		i += 3
	}
	return b.String(), codes.String()
}
