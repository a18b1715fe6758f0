package jingle

import "strings"

// The SDP reader: one pass over the text that checks the RFC 8866 §5
// structure and splits it into sections and lines, without interpreting
// attributes (readSession and readMedia do that). Every string it returns
// is a substring of the text.
//
// It is strict where the RFC's structure matters and lenient where
// deployed peers are not:
//   - the session section starts with v=0, o= and s=, in that order, and
//     has at least one t= before the first m= (RFC 8866 §5);
//   - the other lines of a section may come in any order (SylkServer and
//     Blink write t= before c=), but a line type that belongs only to the
//     session section (u, e, p, t, r, z) may not appear in a media section,
//     and i=, u=, k= and the session c= appear at most once;
//   - an unknown type letter makes the whole description malformed
//     (RFC 8866 §5: ignore or reject);
//   - lines end with CRLF or LF; empty lines are skipped; a line holds no
//     NUL and no CR (RFC 8866 §5: text fields);
//   - v=, o=, c=, t=, r=, z=, b= and m= follow their RFC 8866 §9 grammar
//     (o= and c= only with IN and IP4 or IP6, the network types the
//     gateway can use); s=, i=, u=, e=, p= and k= are kept as text;
//   - b= lines with an unknown <bwtype> are kept and ignored (RFC 8866
//     §5.8), attributes may have any name and value (§5.13);
//   - o= may lack its address type and address, as some cameras send it.
//
// Sizes are bounded: MaxSDPLines lines of at most MaxSDPLine bytes and
// MaxMedia media descriptions; exceeding one is ErrTooLarge.

// sdpLine is one line of a section other than v=, o=, s=, c= and m=: typ
// is its type letter. For a= lines key is the attribute name and value
// what follows the first ':' (RFC 8866 §5.13, "" for a property
// attribute); for the others value is the whole value.
type sdpLine struct {
	typ        byte
	key, value string
}

// sdpConn is a c= line (RFC 8866 §5.7). addr may be "" (some peers send
// "c=IN IP4" alone); it keeps any /ttl or /count suffix.
type sdpConn struct {
	netType, addrType, addr string
}

// sdpSection holds what session and media sections share: the last c=
// line and the other lines in the order read.
type sdpSection struct {
	conn    sdpConn
	hasConn bool
	lines   []sdpLine
}

// attr returns the value of the first a=<key> line of the section.
func (s *sdpSection) attr(key string) (string, bool) {
	for i := range s.lines {
		if l := &s.lines[i]; l.typ == 'a' && l.key == key {
			return l.value, true
		}
	}
	return "", false
}

// sdpOrigin is the o= line (RFC 8866 §5.2). sessID and sessVer are
// compared only for equality (RFC 3264 §8); digits beyond 64 bits wrap.
type sdpOrigin struct {
	username          string
	sessID, sessVer   uint64
	netType, addrType string
	addr              string
}

// sdpMedia is one media description (RFC 8866 §5.14).
type sdpMedia struct {
	sdpSection
	media string
	port  uint16
	// portCount is the "/<number of ports>" of the m= line without the
	// slash, "" when absent.
	portCount string
	proto     string
	// fmts is the blank-separated format list, without surrounding
	// blanks.
	fmts string
}

// sdpDesc is a session description: the session section and its media
// descriptions.
type sdpDesc struct {
	sdpSection
	origin sdpOrigin
	name   string
	media  []sdpMedia
}

// parse reads text into d. Errors wrap ErrMalformedSDP (and ErrTooLarge
// for a bound).
func (d *sdpDesc) parse(text string) error {
	if strings.IndexByte(text, 0) >= 0 {
		return sdpErr("NUL byte")
	}
	nLines := strings.Count(text, "\n") + 1
	if nLines > MaxSDPLines {
		return sdpErr("more than %d lines: %w", MaxSDPLines, ErrTooLarge)
	}
	// The lines of all sections share one array that never grows, so
	// that each section can keep a slice of it.
	arena := make([]sdpLine, 0, nLines)
	var (
		sec      = &d.sdpSection
		start    int  // arena index of the section's first line
		media    bool // in a media section
		num      int  // non-empty lines read
		seenT    bool
		once     [4]bool // i, u, k, c (session) seen in this section
		lineNo   int
		rest     = text
		line     string
		typ      byte
		val      string
		closeSec = func() {
			sec.lines = arena[start:len(arena):len(arena)]
			start = len(arena)
		}
	)
	for len(rest) > 0 {
		lineNo++
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			line, rest = rest, ""
		}
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		if len(line) > MaxSDPLine {
			return sdpErr("line %d: %d bytes: %w", lineNo, len(line), ErrTooLarge)
		}
		if len(line) < 2 || line[1] != '=' {
			return sdpErr("line %d: not <type>=<value>", lineNo)
		}
		if strings.IndexByte(line, '\r') >= 0 {
			return sdpErr("line %d: CR inside a line", lineNo)
		}
		typ, val = line[0], line[2:]
		num++
		// RFC 8866 §5: v=, o= and s= open the description, in order.
		switch num {
		case 1:
			if typ != 'v' {
				return sdpErr("line %d: does not start with v=", lineNo)
			}
			if v := trimBlank(val); v == "" || strings.TrimLeft(v, "0") != "" {
				return sdpErr("line %d: version %q", lineNo, clip(val))
			}
			continue
		case 2:
			if typ != 'o' {
				return sdpErr("line %d: o= must follow v=", lineNo)
			}
			if !d.origin.parse(val) {
				return sdpErr("line %d: bad o= line", lineNo)
			}
			continue
		case 3:
			if typ != 's' {
				return sdpErr("line %d: s= must follow o=", lineNo)
			}
			d.name = val
			continue
		}
		if typ == 'm' {
			if !seenT {
				return sdpErr("line %d: no t= line before m=", lineNo)
			}
			closeSec()
			if len(d.media) == MaxMedia {
				return sdpErr("more than %d m-lines: %w", MaxMedia, ErrTooLarge)
			}
			if d.media == nil {
				d.media = make([]sdpMedia, 0, 4)
			}
			// sec moves to the new section: growing d.media cannot
			// leave it behind.
			d.media = append(d.media, sdpMedia{})
			md := &d.media[len(d.media)-1]
			if !md.parseMLine(val) {
				return sdpErr("line %d: bad m= line", lineNo)
			}
			sec, media, once = &md.sdpSection, true, [4]bool{}
			continue
		}
		ok := true
		switch typ {
		case 'a':
			l := sdpLine{typ: 'a', key: val}
			if i := strings.IndexByte(val, ':'); i > 0 {
				l.key, l.value = val[:i], val[i+1:]
			}
			arena = append(arena, l)
			continue
		case 'c':
			if !media {
				ok = !once[3]
				once[3] = true
			}
			ok = ok && sec.conn.parse(val)
			sec.hasConn = true
			if !ok {
				return sdpErr("line %d: bad c= line", lineNo)
			}
			continue
		case 'b':
			ok = validBandwidth(val)
		case 'i':
			ok = !once[0]
			once[0] = true
		case 'k':
			ok = !once[2]
			once[2] = true
		case 'u':
			ok = !media && !once[1]
			once[1] = true
		case 'e', 'p':
			ok = !media
		case 't':
			ok = !media && validTimes(val)
			seenT = true
		case 'r':
			// RFC 8866 §5.10: repeat times belong to the t= before.
			ok = !media && seenT && validRepeat(val)
		case 'z':
			ok = !media && validZone(val)
		default:
			return sdpErr("line %d: unexpected %q line", lineNo, string(typ)+"=")
		}
		if !ok {
			return sdpErr("line %d: bad or misplaced %s= line", lineNo, string(typ))
		}
		arena = append(arena, sdpLine{typ: typ, value: val})
	}
	if num < 3 {
		return sdpErr("missing v=, o= or s=")
	}
	if !seenT {
		return sdpErr("missing t=")
	}
	closeSec()
	return nil
}

// clip bounds a value quoted in an error message.
func clip(s string) string {
	const n = 32
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// parse reads <username> <sess-id> <sess-version> <nettype> [<addrtype>
// [<unicast-address>]] (RFC 8866 §5.2; the last two may be missing).
func (o *sdpOrigin) parse(v string) bool {
	var id, ver, rest string
	o.username, rest = field(v)
	id, rest = field(rest)
	ver, rest = field(rest)
	o.netType, rest = field(rest)
	o.addrType, rest = field(rest)
	o.addr, rest = field(rest)
	var ok1, ok2 bool
	o.sessID, ok1 = wrapDigits(id)
	o.sessVer, ok2 = wrapDigits(ver)
	return o.username != "" && ok1 && ok2 && o.netType == "IN" && rest == "" &&
		(o.addrType == "" || o.addrType == "IP4" || o.addrType == "IP6")
}

// wrapDigits reads 1*DIGIT modulo 2^64.
func wrapDigits(s string) (uint64, bool) {
	if !allDigits(s) {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		n = n*10 + uint64(s[i]-'0')
	}
	return n, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parse reads <nettype> <addrtype> [<connection-address>] (RFC 8866
// §5.7). Only IN with IP4 or IP6 is usable.
func (c *sdpConn) parse(v string) bool {
	var rest string
	c.netType, rest = field(v)
	c.addrType, rest = field(rest)
	c.addr, rest = field(rest)
	return c.netType == "IN" && (c.addrType == "IP4" || c.addrType == "IP6") && rest == ""
}

// parseMLine reads <media> <port>[/<number of ports>] <proto> <fmt>...
// (RFC 8866 §5.14).
func (md *sdpMedia) parseMLine(v string) bool {
	var port, rest string
	md.media, rest = field(v)
	port, rest = field(rest)
	md.proto, rest = field(rest)
	md.fmts = trimBlank(rest)
	port, count, hasCount := strings.Cut(port, "/")
	n, err := parseUint(port, 16)
	if err != nil || md.media == "" || !validProto(md.proto) || (hasCount && !allDigits(count)) {
		return false
	}
	md.port, md.portCount = uint16(n), count
	return true
}

// validProto checks token *("/" token) (RFC 8866 §9).
func validProto(p string) bool {
	for {
		part, rest, more := strings.Cut(p, "/")
		if part == "" {
			return false
		}
		if !more {
			return true
		}
		p = rest
	}
}

// validBandwidth checks <bwtype>:<bandwidth> (RFC 8866 §5.8).
func validBandwidth(v string) bool {
	typ, n, ok := strings.Cut(v, ":")
	_, isNum := parseUint64(n)
	return ok && isToken(typ) && isNum
}

// bandwidthValue returns the type and value of a valid b= value.
func bandwidthValue(v string) (string, uint64) {
	typ, n, _ := strings.Cut(v, ":")
	x, _ := parseUint64(n)
	return typ, x
}

// parseUint64 reads 1*DIGIT that fits in 64 bits.
func parseUint64(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := uint64(s[i] - '0')
		if c > 9 || n > (1<<64-1-c)/10 {
			return 0, false
		}
		n = n*10 + c
	}
	return n, true
}

// validTimes checks <start-time> <stop-time> (RFC 8866 §5.9).
func validTimes(v string) bool {
	start, rest := field(v)
	stop, rest := field(rest)
	return allDigits(start) && allDigits(stop) && rest == ""
}

// typedTime checks 1*DIGIT [d|h|m|s] (RFC 8866 §9), with an optional
// leading '-' when signed.
func typedTime(s string, signed bool) bool {
	if signed && strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	if n := len(s); n > 1 {
		switch s[n-1] {
		case 'd', 'h', 'm', 's':
			s = s[:n-1]
		}
	}
	return allDigits(s)
}

// validRepeat checks <repeat interval> <active duration> <offsets...>
// (RFC 8866 §5.10; an empty offset list is tolerated).
func validRepeat(v string) bool {
	n := 0
	for rest := v; rest != ""; n++ {
		var f string
		f, rest = field(rest)
		if f == "" {
			break
		}
		if !typedTime(f, false) {
			return false
		}
	}
	return n >= 2
}

// validZone checks <adjustment time> <offset> pairs (RFC 8866 §5.11).
func validZone(v string) bool {
	n := 0
	for rest := v; rest != ""; n++ {
		var f string
		f, rest = field(rest)
		if f == "" {
			break
		}
		if n%2 == 0 && !allDigits(f) || n%2 == 1 && !typedTime(f, true) {
			return false
		}
	}
	return n >= 2 && n%2 == 0
}
