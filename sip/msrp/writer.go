package msrp

import (
	"bytes"
	"io"
	"strconv"
)

// The writer is strict: it refuses a Message that does not follow the
// RFC 4975 §9 grammar and writes the header fields in the order of
// RFC 4975 §7.1: To-Path, From-Path, then the other fields, then the MIME
// fields with Content-Type last. Between From-Path and the MIME fields, a
// parsed Message keeps the order it was received in (RFC 4975 §11.5 and
// §11.6 put Success-Report and Failure-Report in different orders); a
// Message built in code gets Message-ID, Byte-Range, Success-Report,
// Failure-Report, Status, Use-Nickname, then Headers in their order.

// Append appends the wire form of m (RFC 4975 §9 msrp-req-or-resp) to b.
// On error b is returned unchanged.
func (m *Message) Append(b []byte) ([]byte, error) {
	if m.HasBody() && ContainsEndLine(m.Body, m.TransactionID) {
		return b, ErrEndLineInBody
	}
	out, err := m.AppendHeader(b)
	if err != nil {
		return b, err
	}
	if m.HasBody() {
		out = append(out, m.Body...)
	}
	return AppendEndLine(out, m.TransactionID, m.flag(), m.HasBody()), nil
}

// WriteTo writes the wire form of m to w in one Write call. It implements
// io.WriterTo.
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	b, err := m.Append(make([]byte, 0, 256+len(m.Body)))
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}

// AppendHeader appends the start line and header fields of m to b, and the
// empty line that separates them from a body when m has one. Together with
// the body and AppendEndLine it lets a sender write a chunk piecewise and
// interrupt it (RFC 4975 §5.1). It does not look at m.Body; use
// ContainsEndLine on what will be written. On error b is returned
// unchanged.
func (m *Message) AppendHeader(b []byte) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return b, err
	}
	b = append(b, "MSRP "...)
	b = append(b, m.TransactionID...)
	b = append(b, ' ')
	if m.Code != 0 {
		b = strconv.AppendInt(b, int64(m.Code), 10)
		if m.Comment != "" {
			b = append(b, ' ')
			b = append(b, m.Comment...)
		}
	} else {
		b = append(b, m.Method...)
	}
	b = append(b, "\r\n"...)
	b = appendPathField(b, "To-Path: ", m.ToPath)
	b = appendPathField(b, "From-Path: ", m.FromPath)

	var done uint16
	ext := 0 // next entry of Headers to consider for a fieldExt
	for _, k := range m.order {
		if k != fieldExt {
			b = m.appendField(b, k, &done)
			continue
		}
		for ext < len(m.Headers) && m.Headers[ext].isMIME() {
			ext++
		}
		if ext < len(m.Headers) {
			b = appendHeader(b, m.Headers[ext].Name, m.Headers[ext].Value)
			ext++
		}
	}
	for k := fieldMessageID; k <= fieldUseNickname; k++ {
		b = m.appendField(b, k, &done)
	}
	for ; ext < len(m.Headers); ext++ {
		if h := m.Headers[ext]; !h.isMIME() {
			b = appendHeader(b, h.Name, h.Value)
		}
	}
	for _, h := range m.Headers {
		if h.isMIME() {
			b = appendHeader(b, h.Name, h.Value)
		}
	}
	if m.ContentType != "" {
		b = appendHeader(b, "Content-Type", m.ContentType)
		b = append(b, "\r\n"...)
	}
	return b, nil
}

// AppendEndLine appends the end-line of transaction tid with flag
// (RFC 4975 §7.1), preceded by the CRLF that ends a body when afterBody is
// set.
func AppendEndLine(b []byte, tid string, flag Flag, afterBody bool) []byte {
	if afterBody {
		b = append(b, "\r\n"...)
	}
	b = append(b, endLineDashes...)
	b = append(b, tid...)
	return append(b, byte(flag), '\r', '\n')
}

// ContainsEndLine reports whether body contains the end-line text of
// transaction tid ("-------" tid and a continuation flag), which
// RFC 4975 §7.1 forbids in a body.
func ContainsEndLine(body []byte, tid string) bool {
	var pat [len(endLineDashes) + maxTIDLen]byte
	p := append(append(pat[:0], endLineDashes...), tid...)
	for {
		i := bytes.Index(body, p)
		if i < 0 {
			return false
		}
		if k := i + len(p); k < len(body) && Flag(body[k]).valid() {
			return true
		}
		body = body[i+1:]
	}
}

func (m *Message) flag() Flag {
	if m.Flag == 0 {
		return FlagEnd
	}
	return m.Flag
}

func (m *Message) appendField(b []byte, k fieldKind, done *uint16) []byte {
	if *done&(1<<k) != 0 {
		return b
	}
	*done |= 1 << k
	switch k {
	case fieldMessageID:
		if m.MessageID != "" {
			b = appendHeader(b, "Message-ID", m.MessageID)
		}
	case fieldByteRange:
		if !m.ByteRange.IsZero() {
			b = append(b, "Byte-Range: "...)
			b = m.ByteRange.AppendTo(b)
			b = append(b, "\r\n"...)
		}
	case fieldSuccessReport:
		if m.SuccessReport != ReportUnset {
			b = appendHeader(b, "Success-Report", m.SuccessReport.String())
		}
	case fieldFailureReport:
		if m.FailureReport != ReportUnset {
			b = appendHeader(b, "Failure-Report", m.FailureReport.String())
		}
	case fieldStatus:
		if !m.Status.IsZero() {
			b = append(b, "Status: "...)
			b = m.Status.AppendTo(b)
			b = append(b, "\r\n"...)
		}
	case fieldUseNickname:
		if m.UseNickname != "" {
			b = appendHeader(b, "Use-Nickname", m.UseNickname)
		}
	}
	return b
}

func appendHeader(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...)
}

func appendPathField(b []byte, name string, p Path) []byte {
	b = append(b, name...)
	b = p.AppendTo(b)
	return append(b, "\r\n"...)
}

// AppendTo appends the text of r ("1-25/25", "1-*/*") to b.
func (r ByteRange) AppendTo(b []byte) []byte {
	b = strconv.AppendInt(b, r.Start, 10)
	b = append(b, '-')
	b = appendRangeNum(b, r.End)
	b = append(b, '/')
	return appendRangeNum(b, r.Total)
}

// String returns the text of r as in a Byte-Range header field.
func (r ByteRange) String() string { return string(r.AppendTo(nil)) }

func appendRangeNum(b []byte, n int64) []byte {
	if n == Unknown {
		return append(b, '*')
	}
	return strconv.AppendInt(b, n, 10)
}

// AppendTo appends the text of s ("000 200 OK") to b.
func (s Status) AppendTo(b []byte) []byte {
	b = append3Digits(b, s.Namespace)
	b = append(b, ' ')
	b = append3Digits(b, s.Code)
	if s.Comment != "" {
		b = append(b, ' ')
		b = append(b, s.Comment...)
	}
	return b
}

// String returns the text of s as in a Status header field.
func (s Status) String() string { return string(s.AppendTo(nil)) }

func append3Digits(b []byte, n int) []byte {
	return append(b, byte('0'+n/100), byte('0'+n/10%10), byte('0'+n%10))
}

// Validate reports whether m can be written: each part must follow the
// RFC 4975 §9 grammar, as the Reader checks it, so that what is written
// reads back the same.
func (m *Message) Validate() error {
	if !validIdent(m.TransactionID, maxTIDLen) {
		return invalid("bad transaction id %q", m.TransactionID)
	}
	if m.Code != 0 {
		if m.Method != "" || m.Code < 100 || m.Code > 999 {
			return invalid("bad response status %d", m.Code)
		}
		if !validText(m.Comment) {
			return invalid("bad comment")
		}
		if m.ContentType != "" || len(m.Body) > 0 {
			return invalid("a response has no body")
		}
	} else if !validMethod(m.Method) {
		return invalid("bad method %q", m.Method)
	}
	if len(m.ToPath) == 0 || len(m.FromPath) == 0 {
		return invalid("To-Path and From-Path are required")
	}
	for _, p := range [2]Path{m.ToPath, m.FromPath} {
		for _, u := range p {
			if err := u.Validate(); err != nil {
				return invalid("%v", err)
			}
		}
	}
	if m.MessageID != "" && !validIdent(m.MessageID, maxIdentLen) {
		return invalid("bad Message-ID %q", m.MessageID)
	}
	if m.SuccessReport > ReportNo || m.FailureReport > ReportPartial {
		return invalid("bad report mode")
	}
	if !m.ByteRange.IsZero() && !m.ByteRange.valid() {
		return invalid("bad Byte-Range %v", m.ByteRange)
	}
	if s := m.Status; !s.IsZero() {
		if s.Namespace < 0 || s.Namespace > 999 || s.Code < 100 || s.Code > 999 || !validValue(s.Comment) {
			return invalid("bad Status")
		}
	}
	if !validValue(m.UseNickname) || !validValue(m.ContentType) {
		return invalid("bad header field value")
	}
	if len(m.Body) > 0 && m.ContentType == "" {
		return invalid("a body needs a Content-Type")
	}
	for _, h := range m.Headers {
		if !validHeaderName(h.Name) || !validValue(h.Value) {
			return invalid("bad header field %q", h.Name)
		}
		if k := fieldOf(h.Name); k != fieldExt && k != fieldMIME {
			return invalid("header field %s belongs in its own Message field", h.Name)
		}
	}
	if m.Flag != 0 && !m.Flag.valid() {
		return invalid("bad continuation flag %q", m.Flag)
	}
	return nil
}

// validValue: a header field value that reads back unchanged (no control
// characters, no surrounding spaces).
func validValue(s string) bool {
	return validText(s) && (s == "" || (!isSpace(s[0]) && !isSpace(s[len(s)-1])))
}
