package simple

import (
	"bytes"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ContentTypeCPIM is the media type of CPIM messages (RFC 3862 §7.1).
const ContentTypeCPIM = "message/cpim"

// NamespaceIMDN is the CPIM header namespace of the IMDN headers
// Message-ID, Disposition-Notification, Original-To, IMDN-Record-Route and
// IMDN-Route (RFC 5438 §6.1), usually declared as "NS: imdn
// <urn:ietf:params:imdn>". Look those headers up with GetNS.
const NamespaceIMDN = "urn:ietf:params:imdn"

// CPIM is a message/cpim message (RFC 3862): message headers, then the
// encapsulated MIME content.
//
// The headers RFC 3862 §4 defines have their own fields; every other
// message header is in Headers, in order. Marshal writes From, To, cc,
// DateTime, Subject and NS first (NS before any use of a prefix, as §3.4
// requires), then Headers: parsing and marshalling give back the same
// value, not necessarily the same bytes (a gateway is an end point for the
// messages it translates, not a relay that must keep them intact, §6).
type CPIM struct {
	// From, To and CC are the values of the From, To and cc headers
	// (RFC 3862 §4.1-4.3), unescaped, in order: `Alice <im:alice@x>`.
	// ParseCPIMAddress splits one.
	From, To, CC []string
	// DateTime is the DateTime header (§4.4); zero if absent.
	DateTime time.Time
	// Subject holds the Subject headers (§4.5) with their lang parameter.
	Subject []LangText
	// NS maps each namespace prefix declared by an NS header (§4.6) to its
	// URI; "" is the default namespace ("NS: <uri>").
	NS map[string]string
	// Headers are the other message headers in order, with their names as
	// sent ("imdn.Message-ID", "Require", ...) and unescaped values.
	Headers []Header
	// ContentType is the Content-Type of the encapsulated content
	// (required, §2.4), as written: "text/plain; charset=utf-8".
	ContentType string
	// ContentHeaders are the other MIME headers of the content, in order
	// (Content-ID, Content-Disposition, ...). Names are case-insensitive
	// MIME names, kept as written; folded values are unfolded.
	ContentHeaders []Header
	// Body is the content after the blank line, byte for byte (its end is
	// the end of the enclosing SIP or MSRP body).
	Body []byte
}

// Header is one message or content header. Params are the message header
// parameters of RFC 3862 §3.6 (";lang=fr", ext-params), always empty for
// content headers.
type Header struct {
	Name, Value string
	Params      []Param
}

// Param is a message header parameter; Value is unquoted and unescaped.
type Param struct {
	Name, Value string
}

// LangText is a text with its language tag (RFC 3862 §3.3); Lang "" means
// none was given (i-default).
type LangText struct {
	Lang, Text string
}

// Header names of RFC 3862 §4 (case-sensitive, §3).
const (
	cpimFrom     = "From"
	cpimTo       = "To"
	cpimCC       = "cc"
	cpimDateTime = "DateTime"
	cpimSubject  = "Subject"
	cpimNS       = "NS"
)

func isCoreCPIMHeader(name string) bool {
	switch name {
	case cpimFrom, cpimTo, cpimCC, cpimDateTime, cpimSubject, cpimNS:
		return true
	}
	return false
}

// isContentHeaderName reports whether a header name is a MIME Content-*
// header (case-insensitive).
func isContentHeaderName(name string) bool {
	return len(name) > len("content-") && strings.EqualFold(name[:len("content-")], "content-")
}

// ParseCPIM parses a message/cpim body (RFC 3862 §2): message headers, a
// blank line, the MIME headers of the content, a blank line, the content.
// The outer "Content-Type: message/cpim" belongs to the enclosing SIP or
// MSRP message; a copy of that header block at the start of b (as in the
// RFC's examples) is skipped. Lines may end in CRLF or LF.
//
// Message headers follow §3.6 strictly (case-sensitive names, one space
// after the colon and parameters, no control characters, UTF-8), and their
// values are unescaped (§2.3). A Content-* header where a message header is
// expected starts the content headers: RFC 5438 §7.1.1.3 and RFC 7702 §5
// show messages without the blank line between the two blocks.
func ParseCPIM(b []byte) (*CPIM, error) {
	const codec = "cpim"
	c := &CPIM{}
	// The header blocks end at the third blank line at the latest (outer
	// MIME headers, message headers, content headers): one string for
	// them, which the parsed values share.
	end := headerEnd(b)
	l := lineReader{s: string(b[:end])}

	// An outer MIME header block naming message/cpim (RFC 3862 §2.1).
	if line, ok := l.peek(); ok {
		if name, value, ok := mimeHeader(line); ok && strings.EqualFold(name, "Content-Type") && isCPIMType(value) {
			for n := 0; ; n++ {
				line, ok := l.next()
				if !ok {
					return nil, malformed(codec, "no message headers after the outer MIME headers")
				}
				if len(line) == 0 {
					break
				}
				if n == MaxCPIMContentHeaders {
					return nil, overLimit(codec, "too many outer MIME headers")
				}
			}
		}
	}

	// Message headers (RFC 3862 §2.2, §3).
	dateTime := false
	for n := 0; ; n++ {
		line, ok := l.peek()
		if !ok {
			return nil, malformed(codec, "no content headers")
		}
		if len(line) == 0 {
			l.next()
			break
		}
		if name, _, _ := strings.Cut(line, ":"); isContentHeaderName(name) {
			break // content headers without the separating blank line
		}
		l.next()
		if n == MaxCPIMHeaders {
			return nil, overLimit(codec, "too many message headers")
		}
		if err := c.addHeader(codec, line, &dateTime); err != nil {
			return nil, err
		}
	}

	// Content headers (RFC 3862 §2.4): MIME syntax, folding allowed.
	var hs []Header
	for lines := 0; ; lines++ {
		line, ok := l.next()
		if !ok || line == "" {
			break
		}
		if lines == maxCPIMContentLines {
			return nil, overLimit(codec, "too many content header lines")
		}
		if line[0] == ' ' || line[0] == '\t' {
			// Folded continuation (RFC 5322 §2.2.3): unfold by dropping
			// the line break only.
			if len(hs) == 0 {
				return nil, malformed(codec, "content headers start with a continuation line")
			}
			if !checkMIMEValue(line) {
				return nil, malformed(codec, "bad character in a content header")
			}
			h := &hs[len(hs)-1]
			h.Value = strings.Trim(h.Value+line, " \t")
			continue
		}
		name, value, ok := mimeHeader(line)
		if !ok {
			return nil, malformed(codec, "bad content header line")
		}
		if !checkMIMEValue(line) {
			return nil, malformed(codec, "bad character in a content header")
		}
		hs = append(hs, Header{Name: name, Value: value})
	}
	contentType := false
	for _, h := range hs {
		if !strings.EqualFold(h.Name, "Content-Type") {
			c.ContentHeaders = append(c.ContentHeaders, h)
			continue
		}
		if contentType {
			return nil, malformed(codec, "more than one Content-Type")
		}
		contentType = true
		c.ContentType = h.Value
	}
	if c.ContentType == "" {
		return nil, malformed(codec, "no Content-Type for the content")
	}
	if len(c.ContentHeaders) > MaxCPIMContentHeaders {
		return nil, overLimit(codec, "too many content headers")
	}
	if l.i < len(b) {
		c.Body = bytes.Clone(b[l.i:])
	}
	return c, nil
}

// addHeader parses one message header line (RFC 3862 §3.6):
// Header-name ":" *( ";" Parameter ) SP Header-value.
func (c *CPIM) addHeader(codec, line string, dateTime *bool) error {
	if !checkHeaderLine(line) {
		return malformed(codec, "control character or bad UTF-8 in a message header")
	}
	name, rest, ok := strings.Cut(line, ":")
	if !ok || !isHeaderName(name) {
		return malformed(codec, "bad message header name")
	}
	var params []Param
	for len(rest) > 0 && rest[0] == ';' {
		if len(params) == maxCPIMParams {
			return overLimit(codec, "too many header parameters")
		}
		p, n, ok := parseParam(rest[1:])
		if !ok {
			return malformed(codec, "bad parameter in header "+name)
		}
		params = append(params, p)
		rest = rest[1+n:]
	}
	switch {
	case rest == "":
	case rest[0] == ' ':
		rest = rest[1:]
	default:
		return malformed(codec, "no space after header name "+name)
	}
	value := unescape(rest)
	switch name {
	case cpimFrom:
		c.From = append(c.From, value)
	case cpimTo:
		c.To = append(c.To, value)
	case cpimCC:
		c.CC = append(c.CC, value)
	case cpimDateTime:
		if *dateTime {
			return malformed(codec, "more than one DateTime")
		}
		*dateTime = true
		t, err := parseTime(codec, "DateTime", value)
		if err != nil {
			return err
		}
		c.DateTime = t
	case cpimSubject:
		lt := LangText{Text: value}
		for _, p := range params {
			if p.Name == "lang" {
				lt.Lang = p.Value
			}
		}
		c.Subject = append(c.Subject, lt)
	case cpimNS:
		prefix, uri, ok := parseNS(value)
		if !ok {
			return malformed(codec, "bad NS header")
		}
		if c.NS == nil {
			c.NS = make(map[string]string, 1)
		}
		c.NS[prefix] = uri
	default:
		c.Headers = append(c.Headers, Header{Name: name, Value: value, Params: params})
	}
	return nil
}

// parseParam parses Param-name "=" Param-value after a ";" (RFC 3862
// §3.6), returning the bytes consumed.
func parseParam(s string) (Param, int, bool) {
	i := 0
	for i < len(s) && isNameChar(s[i]) {
		i++
	}
	if i == 0 || i == len(s) || s[i] != '=' {
		return Param{}, 0, false
	}
	p := Param{Name: s[:i]}
	i++
	if i < len(s) && s[i] == '"' {
		// String = DQUOTE *( Str-char / Escape ) DQUOTE
		j := i + 1
		for ; j < len(s) && s[j] != '"'; j++ {
			if s[j] == '\\' {
				j++
			}
		}
		if j >= len(s) {
			return Param{}, 0, false
		}
		p.Value = unescape(s[i+1 : j])
		return p, j + 1, true
	}
	j := i
	for j < len(s) && (isNameChar(s[j]) || s[j] == '.' || s[j] >= 0x80) {
		j++
	}
	if j == i {
		return Param{}, 0, false
	}
	p.Value = s[i:j]
	return p, j, true
}

// parseNS parses an NS header value: [ Name-prefix ] "<" URI ">" (RFC 3862
// §4.6), allowing white space before the "<".
func parseNS(v string) (prefix, uri string, ok bool) {
	lt := strings.IndexByte(v, '<')
	if lt < 0 || !strings.HasSuffix(v, ">") {
		return "", "", false
	}
	prefix = strings.TrimRight(v[:lt], " \t")
	uri = v[lt+1 : len(v)-1]
	if prefix != "" && !isName(prefix) || !isNSURI(uri) {
		return "", "", false
	}
	return prefix, uri, true
}

// isNSURI reports whether s can be the URI of an NS header: non-empty,
// without white space, angle brackets or control characters.
func isNSURI(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r == '<' || r == '>' || r == 0x7f
	})
}

// mimeHeader splits a MIME header line into its name (RFC 5322 ftext) and
// its value without surrounding white space.
func mimeHeader(line string) (name, value string, ok bool) {
	name, value, ok = strings.Cut(line, ":")
	if !ok || !isMIMEName(name) {
		return "", "", false
	}
	return name, strings.Trim(value, " \t"), true
}

// isMIMEName reports whether s is a MIME header name (RFC 5322 ftext).
func isMIMEName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// checkMIMEValue reports whether a content header line or value is UTF-8
// without control characters other than tab.
func checkMIMEValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return utf8.ValidString(s)
}

// isCPIMType reports whether a Content-Type value is message/cpim.
func isCPIMType(v string) bool {
	mt, _, _ := strings.Cut(v, ";")
	return strings.EqualFold(strings.TrimSpace(mt), ContentTypeCPIM)
}

// Get returns the value of the first message header named name, matched
// exactly: header names and namespace prefixes are case-sensitive (RFC
// 3862 §3, §3.4). From, To, cc and Subject give their first value and
// DateTime its RFC 3339 form; NS is not available here (see the NS
// field). Headers in a declared namespace are better found with GetNS.
func (c *CPIM) Get(name string) (string, bool) {
	first := func(vs []string) (string, bool) {
		if len(vs) == 0 {
			return "", false
		}
		return vs[0], true
	}
	switch name {
	case cpimFrom:
		return first(c.From)
	case cpimTo:
		return first(c.To)
	case cpimCC:
		return first(c.CC)
	case cpimDateTime:
		if c.DateTime.IsZero() {
			return "", false
		}
		return formatTime(c.DateTime)
	case cpimSubject:
		if len(c.Subject) == 0 {
			return "", false
		}
		return c.Subject[0].Text, true
	case cpimNS:
		return "", false
	}
	for _, h := range c.Headers {
		if h.Name == name {
			return h.Value, true
		}
	}
	return "", false
}

// cpimHeadersNS is the default namespace of message/cpim headers (RFC 3862
// §4, §7.1).
const cpimHeadersNS = "urn:ietf:params:cpim-headers:"

// GetNS returns the value of the first message header whose name is name
// in the namespace identified by the URI namespace, whatever prefix the
// message declared for it (RFC 3862 §3.4; RFC 5438 §6.1: "servers and
// intermediaries must accept any legal namespace prefix"). For example
// GetNS(NamespaceIMDN, "Message-ID") finds "imdn.Message-ID".
func (c *CPIM) GetNS(namespace, name string) (string, bool) {
	if namespace == cpimHeadersNS && isCoreCPIMHeader(name) {
		// Marshal writes these before any NS header.
		return c.Get(name)
	}
	def := cpimHeadersNS
	if u, ok := c.NS[""]; ok {
		def = u
	}
	for _, h := range c.Headers {
		prefix, local, ok := strings.Cut(h.Name, ".")
		if !ok {
			if h.Name == name && namespace == def {
				return h.Value, true
			}
			continue
		}
		if local == name && prefix != "" && c.NS[prefix] == namespace {
			return h.Value, true
		}
	}
	return "", false
}

// Marshal encodes c as a message/cpim body with CRLF line ends: From, To,
// cc, DateTime, Subject and NS (sorted by prefix) headers, then Headers,
// a blank line, Content-Type and ContentHeaders, a blank line and Body.
// Header values are escaped as RFC 3862 §2.3.1 requires. It returns an
// error wrapping ErrInvalid for what would not parse back the same: no
// ContentType, a header name outside the §3.6 syntax (or in Headers, one
// of the §4 names or a Content-* name), a bad NS prefix or URI, a content
// header value with line breaks or control characters, or text that is not
// UTF-8.
func (c *CPIM) Marshal() ([]byte, error) {
	const codec = "cpim"
	if len(c.From)+len(c.To)+len(c.CC)+len(c.Subject)+len(c.NS)+len(c.Headers)+1 > MaxCPIMHeaders {
		return nil, invalid(codec, "too many message headers")
	}
	if len(c.ContentHeaders) > MaxCPIMContentHeaders {
		return nil, invalid(codec, "too many content headers")
	}
	b := make([]byte, 0, 128+len(c.Body))
	var ok bool
	for _, list := range [...]struct {
		name string
		vs   []string
	}{{cpimFrom, c.From}, {cpimTo, c.To}, {cpimCC, c.CC}} {
		for _, v := range list.vs {
			if b, ok = appendCPIMHeader(b, list.name, nil, v); !ok {
				return nil, invalid(codec, list.name+" is not valid UTF-8")
			}
		}
	}
	if !c.DateTime.IsZero() {
		s, ok := formatTime(c.DateTime)
		if !ok {
			return nil, invalid(codec, "DateTime out of range")
		}
		b, _ = appendCPIMHeader(b, cpimDateTime, nil, s)
	}
	for _, s := range c.Subject {
		var ps []Param
		if s.Lang != "" {
			ps = []Param{{Name: "lang", Value: s.Lang}}
		}
		if b, ok = appendCPIMHeader(b, cpimSubject, ps, s.Text); !ok {
			return nil, invalid(codec, "Subject is not valid UTF-8")
		}
	}
	prefixes := make([]string, 0, len(c.NS))
	for p := range c.NS {
		prefixes = append(prefixes, p)
	}
	slices.Sort(prefixes)
	for _, p := range prefixes {
		uri := c.NS[p]
		if p != "" && !isName(p) || !isNSURI(uri) || !utf8.ValidString(uri) {
			return nil, invalid(codec, "bad NS prefix or URI")
		}
		v := "<" + uri + ">"
		if p != "" {
			v = p + " " + v
		}
		b, _ = appendCPIMHeader(b, cpimNS, nil, v)
	}
	for _, h := range c.Headers {
		if !isHeaderName(h.Name) || isCoreCPIMHeader(h.Name) || isContentHeaderName(h.Name) {
			return nil, invalid(codec, "bad message header name")
		}
		if len(h.Params) > maxCPIMParams {
			return nil, invalid(codec, "too many header parameters")
		}
		for _, p := range h.Params {
			if !isName(p.Name) {
				return nil, invalid(codec, "bad header parameter name")
			}
		}
		if b, ok = appendCPIMHeader(b, h.Name, h.Params, h.Value); !ok {
			return nil, invalid(codec, "header "+h.Name+" is not valid UTF-8")
		}
	}
	b = append(b, "\r\n"...)
	if c.ContentType == "" || !checkMIMEValue(c.ContentType) {
		return nil, invalid(codec, "missing or bad content type")
	}
	b = append(b, "Content-Type: "...)
	b = append(b, c.ContentType...)
	b = append(b, "\r\n"...)
	for _, h := range c.ContentHeaders {
		if !isMIMEName(h.Name) || strings.EqualFold(h.Name, "Content-Type") || !checkMIMEValue(h.Value) {
			return nil, invalid(codec, "bad content header")
		}
		b = append(b, h.Name...)
		b = append(b, ": "...)
		b = append(b, h.Value...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, c.Body...), nil
}

// appendCPIMHeader appends one escaped message header line. ok is false if
// a value or parameter is not valid UTF-8.
func appendCPIMHeader(b []byte, name string, params []Param, value string) ([]byte, bool) {
	b = append(b, name...)
	b = append(b, ':')
	ok := true
	for _, p := range params {
		b = append(b, ';')
		b = append(b, p.Name...)
		b = append(b, '=')
		if isToken(p.Value) {
			b = append(b, p.Value...)
			continue
		}
		b = append(b, '"')
		var vok bool
		b, vok = appendEscaped(b, p.Value, true)
		ok = ok && vok
		b = append(b, '"')
	}
	b = append(b, ' ')
	var vok bool
	b, vok = appendEscaped(b, value, false)
	return append(b, "\r\n"...), ok && vok
}

// headerEnd returns the offset just past the third empty line of b, or
// len(b).
func headerEnd(b []byte) int {
	i, blank := 0, 0
	for i < len(b) {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return len(b)
		}
		if j == 0 || j == 1 && b[i] == '\r' {
			if blank++; blank == 3 {
				return i + j + 1
			}
		}
		i += j + 1
	}
	return len(b)
}

// lineReader splits the header blocks into lines ending in LF or CRLF.
type lineReader struct {
	s string
	i int
}

// peek returns the next line without its line end; ok is false at the end
// of the input.
func (l *lineReader) peek() (line string, ok bool) {
	line, _, ok = l.scan()
	return line, ok
}

// next returns the next line and moves past it.
func (l *lineReader) next() (line string, ok bool) {
	line, n, ok := l.scan()
	l.i += n
	return line, ok
}

func (l *lineReader) scan() (line string, n int, ok bool) {
	rest := l.s[l.i:]
	if rest == "" {
		return "", 0, false
	}
	j := strings.IndexByte(rest, '\n')
	if j < 0 {
		return rest, len(rest), true
	}
	line = strings.TrimSuffix(rest[:j], "\r")
	return line, j + 1, true
}
