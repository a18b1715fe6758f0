package simple

import (
	"strings"
	"unicode/utf8"
)

// CPIMAddress is the value of a CPIM From, To or cc header (RFC 3862
// §4.1-4.3) or of the IMDN Original-To, IMDN-Record-Route and IMDN-Route
// headers (RFC 5438 §10): [ Formal-name ] "<" URI ">".
type CPIMAddress struct {
	// Name is the Formal-name (display name), unquoted; "" if absent.
	Name string
	// URI is the address between the angle brackets.
	URI string
	// Params is whatever follows the ">" after a ";", without that ";"
	// (RFC 7702 §5 examples write "<sip:room@example.org>;gr=Romeo"), ""
	// if nothing follows.
	Params string
}

// ParseCPIMAddress parses an unescaped From, To or cc header value (as in
// the CPIM fields). The URI must be non-empty and free of white space and
// angle brackets.
func ParseCPIMAddress(v string) (CPIMAddress, error) {
	const codec = "cpim"
	var a CPIMAddress
	gt := strings.LastIndexByte(v, '>')
	if gt < 0 {
		return a, malformed(codec, "address without <URI>")
	}
	if tail := v[gt+1:]; tail != "" {
		if tail[0] != ';' {
			return a, malformed(codec, "text after the address URI")
		}
		a.Params = tail[1:]
	}
	lt := strings.LastIndexByte(v[:gt], '<')
	if lt < 0 {
		return a, malformed(codec, "address without <URI>")
	}
	a.URI = v[lt+1 : gt]
	if a.URI == "" || strings.ContainsFunc(a.URI, func(r rune) bool { return r <= ' ' || r == '<' || r == '>' || r == 0x7f }) {
		return a, malformed(codec, "bad address URI")
	}
	name := strings.TrimRight(v[:lt], " \t")
	if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
		name = name[1 : len(name)-1] // Formal-name = String
	}
	a.Name = name
	return a, nil
}

// String formats a as a header value for the CPIM fields: the Name as
// tokens if it is made of them, or else as a quoted String (RFC 3862
// §3.6 Formal-name). The header escaping that Marshal applies to the whole
// value cannot carry a double quote inside a quoted name, so such quotes
// are dropped from Name.
func (a CPIMAddress) String() string {
	var b strings.Builder
	if a.Name != "" {
		if isFormalNameTokens(a.Name) {
			b.WriteString(a.Name)
		} else {
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(a.Name, `"`, ""))
			b.WriteByte('"')
		}
		b.WriteByte(' ')
	}
	b.WriteByte('<')
	b.WriteString(a.URI)
	b.WriteByte('>')
	if a.Params != "" {
		b.WriteByte(';')
		b.WriteString(a.Params)
	}
	return b.String()
}

// isFormalNameTokens reports whether s is 1*( Token SP ) less the final
// space: tokens separated by single spaces.
func isFormalNameTokens(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for tok := range strings.SplitSeq(s, " ") {
		if !isToken(tok) {
			return false
		}
	}
	return true
}
