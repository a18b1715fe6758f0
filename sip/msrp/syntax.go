package msrp

// Character classes and small lexical helpers of the RFC 4975 §9 grammar.

// Length bounds of identifiers. RFC 4975 §9 defines ident as 4 to 32
// characters; peers (and RFC 7573's own examples, whose Message-IDs are
// 36-character UUIDs) exceed that, so the parser and the writer accept 1 to
// maxTIDLen (transaction ids) or maxIdentLen (Message-IDs) characters.
// Identifiers this package generates follow the RFC.
const (
	maxTIDLen   = 64
	maxIdentLen = 256
)

// endLineDashes starts every end-line (RFC 4975 §9 end-line).
const endLineDashes = "-------"

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

// isIdentChar: RFC 4975 §9 ident-char = ALPHANUM / "." / "-" / "+" / "%" / "=".
func isIdentChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '-' || c == '+' || c == '%' || c == '='
}

// validIdent reports whether s is an ident (RFC 4975 §9) of 1..max
// characters: ALPHANUM followed by ident-chars.
func validIdent(s string, max int) bool {
	if len(s) == 0 || len(s) > max || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentChar(s[i]) {
			return false
		}
	}
	return true
}

// validMethod: RFC 4975 §9 other-method = 1*UPALPHA. Bounded to 32 letters.
func validMethod(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isUpper(s[i]) {
			return false
		}
	}
	return true
}

// isTokenChar: RFC 4975 §9 token = 1*(%x21 / %x23-27 / %x2A-2B / %x2D-2E /
// %x30-39 / %x41-5A / %x5E-7E).
func isTokenChar(c byte) bool {
	switch {
	case c == 0x21, 0x23 <= c && c <= 0x27, c == 0x2A, c == 0x2B,
		c == 0x2D, c == 0x2E, isDigit(c), isUpper(c), 0x5E <= c && c <= 0x7E:
		return true
	}
	return false
}

// validHeaderName: RFC 4975 §9 hname = ALPHA *token.
func validHeaderName(s string) bool {
	if len(s) == 0 || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// validText reports whether s may appear as a header value or comment:
// RFC 4975 §9 utf8text = *(HTAB / %x20-7E / UTF8-NONASCII). Control
// characters (CR and LF above all) are refused; bytes above 0x7F are
// passed through without checking that they form valid UTF-8, so that the
// parser and the writer accept exactly the same values.
func validText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7F {
			return false
		}
	}
	return true
}

// isSpace: the whitespace tolerated around header values.
func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// parseUint parses 1..18 decimal digits (no sign, no overflow possible).
func parseUint(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// parse3Digits parses exactly three decimal digits (RFC 4975 §9
// status-code, namespace).
func parse3Digits(s string) (int, bool) {
	if len(s) != 3 || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[2]) {
		return 0, false
	}
	return int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0'), true
}

// equalFoldASCII compares ASCII strings case-insensitively without
// allocating (header names, scheme, transport).
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || !isAlpha(x) {
			return false
		}
	}
	return true
}

// hasPrefixFold reports whether s starts with prefix, ASCII
// case-insensitively.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && equalFoldASCII(s[:len(prefix)], prefix)
}
