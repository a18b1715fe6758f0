package msrp

import (
	"strings"
)

// fieldKind names the header fields the Message has a field for. The
// kinds from fieldMessageID to fieldUseNickname are in the order the
// writer uses for a Message built in code.
type fieldKind uint8

const (
	fieldExt fieldKind = iota // an entry of Headers that is not a MIME header
	fieldMessageID
	fieldByteRange
	fieldSuccessReport
	fieldFailureReport
	fieldStatus
	fieldUseNickname
	fieldToPath
	fieldFromPath
	fieldContentType
	fieldMIME // an entry of Headers that is a MIME header
)

// fieldOf classifies a header field name (case-insensitively: RFC 4975
// §9 names are ABNF literals).
func fieldOf(name string) fieldKind {
	switch len(name) {
	case 6:
		if equalFoldASCII(name, "Status") {
			return fieldStatus
		}
	case 7:
		if equalFoldASCII(name, "To-Path") {
			return fieldToPath
		}
	case 9:
		if equalFoldASCII(name, "From-Path") {
			return fieldFromPath
		}
	case 10:
		if equalFoldASCII(name, "Message-ID") {
			return fieldMessageID
		}
		if equalFoldASCII(name, "Byte-Range") {
			return fieldByteRange
		}
	case 12:
		if equalFoldASCII(name, "Content-Type") {
			return fieldContentType
		}
		if equalFoldASCII(name, "Use-Nickname") {
			return fieldUseNickname
		}
	case 14:
		if equalFoldASCII(name, "Success-Report") {
			return fieldSuccessReport
		}
		if equalFoldASCII(name, "Failure-Report") {
			return fieldFailureReport
		}
	}
	if hasPrefixFold(name, "Content-") {
		return fieldMIME
	}
	return fieldExt
}

// splitStartLine splits the start line (RFC 4975 §9 req-start,
// resp-start) after "MSRP ": the transaction id and the rest. ok is false
// when the line does not start with "MSRP " and a plausible transaction id;
// the frame cannot be delimited then.
func splitStartLine(line []byte) (tid, rest []byte, ok bool) {
	if len(line) < 6 || string(line[:5]) != "MSRP " {
		return nil, nil, false
	}
	line = line[5:]
	sp := 0
	for sp < len(line) && line[sp] != ' ' {
		sp++
	}
	tid = line[:sp]
	if !validIdent(string(tid), maxTIDLen) {
		return nil, nil, false
	}
	if sp < len(line) {
		rest = line[sp+1:]
	}
	return tid, rest, true
}

// parseFrame parses the text of a frame's start line and header fields
// (each line ending in LF, optionally preceded by CR; the text may end
// with the empty line before a body) into m, which must be Reset. Fields
// parsed before an error stay set.
func parseFrame(m *Message, text string) error {
	line, text := nextLine(text)
	if err := parseStartLine(m, line); err != nil {
		return err
	}
	var seen uint16
	for text != "" {
		line, text = nextLine(text)
		if line == "" {
			break // the empty line before the body
		}
		if err := parseField(m, line, &seen); err != nil {
			return err
		}
	}
	return checkFrame(m)
}

// nextLine returns the first line of s without its LF or CRLF, and the
// rest of s.
func nextLine(s string) (line, rest string) {
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		line, rest = s, ""
	} else {
		line, rest = s[:i], s[i+1:]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

// parseStartLine: RFC 4975 §9
//
//	req-start  = pMSRP SP transact-id SP method CRLF
//	resp-start = pMSRP SP transact-id SP status-code [SP comment] CRLF
func parseStartLine(m *Message, line string) error {
	if !strings.HasPrefix(line, "MSRP ") {
		return malformed("start line does not begin with MSRP")
	}
	line = line[5:]
	tid, rest, ok := strings.Cut(line, " ")
	if !validIdent(tid, maxTIDLen) {
		return malformed("bad transaction id")
	}
	m.TransactionID = tid
	if !ok {
		return malformed("start line has no method or status")
	}
	if rest != "" && isDigit(rest[0]) {
		code, comment, hasComment := strings.Cut(rest, " ")
		c, ok := parse3Digits(code)
		if !ok || c < 100 {
			return malformed("bad status code")
		}
		if hasComment {
			if !validText(comment) {
				return malformed("bad comment")
			}
			m.Comment = comment
		}
		m.Code = c
		return nil
	}
	if !validMethod(rest) {
		return malformed("bad method")
	}
	m.Method = rest
	return nil
}

// parseField parses one header field line (RFC 4975 §9 header). Names are
// case-insensitive; spaces around the value are dropped. A field the
// Message has a field for may appear only once.
func parseField(m *Message, line string, seen *uint16) error {
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		return malformed("header line without a colon")
	}
	name = trimSpace(name)
	if !validHeaderName(name) {
		return malformed("bad header field name")
	}
	if !validText(value) {
		return malformed("control character in the %s header field", name)
	}
	value = trimSpace(value)
	k := fieldOf(name)
	if k != fieldExt && k != fieldMIME {
		if *seen&(1<<k) != 0 {
			return malformed("repeated %s header field", name)
		}
		*seen |= 1 << k
		if value == "" {
			return malformed("empty %s header field", name)
		}
	}
	var err error
	switch k {
	case fieldToPath:
		m.ToPath, err = appendPath(m.ToPath, value)
	case fieldFromPath:
		m.FromPath, err = appendPath(m.FromPath, value)
	case fieldMessageID:
		if !validIdent(value, maxIdentLen) {
			return malformed("bad Message-ID")
		}
		m.MessageID = value
	case fieldSuccessReport:
		switch {
		case equalFoldASCII(value, "yes"):
			m.SuccessReport = ReportYes
		case equalFoldASCII(value, "no"):
			m.SuccessReport = ReportNo
		default:
			return malformed("bad Success-Report")
		}
	case fieldFailureReport:
		switch {
		case equalFoldASCII(value, "yes"):
			m.FailureReport = ReportYes
		case equalFoldASCII(value, "no"):
			m.FailureReport = ReportNo
		case equalFoldASCII(value, "partial"):
			m.FailureReport = ReportPartial
		default:
			return malformed("bad Failure-Report")
		}
	case fieldByteRange:
		m.ByteRange, ok = parseByteRange(value)
		if !ok {
			return malformed("bad Byte-Range")
		}
	case fieldStatus:
		m.Status, ok = parseStatus(value)
		if !ok {
			return malformed("bad Status")
		}
	case fieldUseNickname:
		// Kept as written: a malformed nickname is answered 424, not 400
		// (RFC 7701 §7.1), so it is checked by Message.Nickname.
		m.UseNickname = value
	case fieldContentType:
		m.ContentType = value
		return nil
	case fieldMIME:
		m.Headers = append(m.Headers, Header{Name: name, Value: value})
		return nil
	case fieldExt:
		m.Headers = append(m.Headers, Header{Name: name, Value: value})
	}
	if err != nil {
		return malformed("%s: %v", name, err)
	}
	if k != fieldToPath && k != fieldFromPath {
		m.order = append(m.order, k)
	}
	return nil
}

// parseByteRange: RFC 4975 §9
//
//	Byte-Range = "Byte-Range:" SP range-start "-" range-end "/" total
//	range-start = 1*DIGIT ; range-end = 1*DIGIT / "*" ; total = 1*DIGIT / "*"
//
// with the consistency rules of RFC 4975 §7.1.1 (start from 1, end not
// before start-1 nor after total).
func parseByteRange(s string) (ByteRange, bool) {
	start, rest, ok1 := strings.Cut(s, "-")
	end, total, ok2 := strings.Cut(rest, "/")
	if !ok1 || !ok2 {
		return ByteRange{}, false
	}
	var r ByteRange
	var ok bool
	if r.Start, ok = parseUint(start); !ok {
		return ByteRange{}, false
	}
	if r.End, ok = parseRangeNum(end); !ok {
		return ByteRange{}, false
	}
	if r.Total, ok = parseRangeNum(total); !ok {
		return ByteRange{}, false
	}
	if !r.valid() {
		return ByteRange{}, false
	}
	return r, true
}

func parseRangeNum(s string) (int64, bool) {
	if s == "*" {
		return Unknown, true
	}
	return parseUint(s)
}

// parseStatus: RFC 4975 §9
//
//	Status = "Status:" SP namespace SP status-code [SP comment]
func parseStatus(s string) (Status, bool) {
	if len(s) < 7 || s[3] != ' ' {
		return Status{}, false
	}
	ns, ok1 := parse3Digits(s[:3])
	code, ok2 := parse3Digits(s[4:7])
	if !ok1 || !ok2 || code < 100 {
		return Status{}, false
	}
	st := Status{Namespace: ns, Code: code}
	if len(s) > 7 {
		if s[7] != ' ' {
			return Status{}, false
		}
		st.Comment = s[8:]
	}
	return st, true
}

// checkFrame applies the rules that span header fields (RFC 4975 §7.1,
// §7.1.2, §7.2): both paths present; a response has no body; a REPORT
// carries Message-ID and Status.
func checkFrame(m *Message) error {
	if len(m.ToPath) == 0 || len(m.FromPath) == 0 {
		return malformed("missing To-Path or From-Path")
	}
	if m.Code != 0 && m.ContentType != "" {
		return malformed("response with Content-Type")
	}
	if m.Method == MethodREPORT && (m.MessageID == "" || m.Status.IsZero()) {
		return malformed("REPORT without Message-ID or Status")
	}
	return nil
}
