package msrp

import (
	"strings"
)

// Method names (RFC 4975 §7, RFC 7701 §7.1). Other methods are parsed
// too (RFC 4975 §9 other-method) and must be answered with 501
// (RFC 4975 §12).
const (
	MethodSEND     = "SEND"
	MethodREPORT   = "REPORT"
	MethodNICKNAME = "NICKNAME"
)

// Flag is the continuation flag of an end-line (RFC 4975 §7.1).
type Flag byte

const (
	// FlagEnd ("$"): the chunk ends the message. Always used by responses.
	FlagEnd Flag = '$'
	// FlagMore ("+"): more chunks of the message follow.
	FlagMore Flag = '+'
	// FlagAbort ("#"): the sender aborts the message; no more chunks follow.
	FlagAbort Flag = '#'
)

func (f Flag) valid() bool { return f == FlagEnd || f == FlagMore || f == FlagAbort }

// ReportMode is the value of a Success-Report or Failure-Report header
// field (RFC 4975 §5.3). The zero value means the field is absent.
type ReportMode uint8

const (
	ReportUnset ReportMode = iota
	ReportYes
	ReportNo
	ReportPartial // Failure-Report only
)

func (r ReportMode) String() string {
	switch r {
	case ReportYes:
		return "yes"
	case ReportNo:
		return "no"
	case ReportPartial:
		return "partial"
	}
	return ""
}

// Unknown is the value of a Byte-Range end or total written "*".
const Unknown int64 = -1

// ByteRange is the value of a Byte-Range header field (RFC 4975 §7.1.1):
// positions count octets from 1. The zero value (Start 0) means the field
// is absent.
type ByteRange struct {
	Start int64 // first octet of the chunk, from 1
	End   int64 // last octet, or Unknown ("*"); Start-1 for an empty chunk
	Total int64 // size of the whole message, or Unknown ("*")
}

// IsZero reports whether the Byte-Range header field is absent.
func (r ByteRange) IsZero() bool { return r.Start == 0 }

func (r ByteRange) valid() bool {
	if r.Start < 1 || r.End < Unknown || r.Total < Unknown {
		return false
	}
	if r.End != Unknown && r.End < r.Start-1 {
		return false
	}
	return r.End == Unknown || r.Total == Unknown || r.End <= r.Total
}

// Status is the value of a Status header field (RFC 4975 §9): namespace
// "000" means Code has the meaning of the MSRP response code (RFC 4975
// §7.1.3). The zero value (Code 0) means the field is absent.
type Status struct {
	Namespace int
	Code      int
	Comment   string
}

// IsZero reports whether the Status header field is absent.
func (s Status) IsZero() bool { return s.Code == 0 }

// Header is a header field the Message has no field for: an extension
// header (RFC 4975 §12, which MUST be ignored if not understood) or a MIME
// header other than Content-Type (Content-ID, Content-Description,
// Content-Disposition, other Content-*; RFC 4975 §9 Other-Mime-header).
type Header struct {
	Name  string
	Value string
}

// isMIME reports whether a header is a MIME header: they go after the
// others, just before Content-Type (RFC 4975 §7.1, §9 content-stuff).
func (h Header) isMIME() bool { return hasPrefixFold(h.Name, "Content-") }

// Message is one MSRP frame: a request (a SEND chunk, a REPORT, a
// NICKNAME, an unknown method) or a response (RFC 4975 §7, §9).
//
// Ownership: a Message filled by Reader.Read is reused by the next Read on
// the same Message, and its Body points into the Reader's buffer, valid
// until the Reader's next Read or Release. Strings (every string field,
// including those inside ToPath, FromPath and Headers) are immutable and
// may be kept; the slices (Body, ToPath, FromPath, Headers) may not: keep
// a Clone.
type Message struct {
	// TransactionID frames the request and matches its response
	// (RFC 4975 §7.1).
	TransactionID string
	// Method is the request method; "" in a response.
	Method string
	// Code is the response status code (RFC 4975 §10); 0 in a request.
	Code int
	// Comment is the text after the status code of a response, if any.
	Comment string

	// ToPath and FromPath are the To-Path and From-Path header fields,
	// required in every frame (RFC 4975 §7.1).
	ToPath   Path
	FromPath Path

	// MessageID is the Message-ID header field; "" when absent.
	MessageID string
	// SuccessReport and FailureReport are the report header fields; use
	// WantsSuccessReport and FailureMode for their effective values.
	SuccessReport ReportMode
	FailureReport ReportMode
	// ByteRange is the Byte-Range header field; zero when absent.
	ByteRange ByteRange
	// Status is the Status header field of a REPORT; zero when absent.
	Status Status
	// UseNickname is the Use-Nickname header field (RFC 7701 §7.1) as
	// written, quotes included; "" when absent. See Nickname and
	// SetNickname.
	UseNickname string
	// ContentType is the Content-Type header field; a request has a body
	// exactly when it has a Content-Type (RFC 4975 §7.1).
	ContentType string
	// Headers holds the other header fields in the order received.
	Headers []Header

	// Body is the content of the chunk; nil or empty in a bodiless frame.
	Body []byte
	// Flag is the continuation flag of the end-line; the zero value is
	// written as FlagEnd.
	Flag Flag

	// order records the sequence of the header fields between From-Path
	// and the MIME headers, as parsed, so that writing a parsed frame
	// keeps it (see writer.go). nil for a Message built in code.
	order []fieldKind
}

// IsRequest reports whether m is a request (it has no response code).
func (m *Message) IsRequest() bool { return m.Code == 0 }

// HasBody reports whether the request has a body: Content-Type is
// present exactly when a body is (RFC 4975 §7.1). Bodiless requests are
// distinct from requests with empty bodies.
func (m *Message) HasBody() bool { return m.ContentType != "" }

// WantsSuccessReport reports whether the sender asked for success REPORTs
// (RFC 4975 §7.1.1: an absent Success-Report means "no").
func (m *Message) WantsSuccessReport() bool { return m.SuccessReport == ReportYes }

// FailureMode returns the effective Failure-Report value: ReportYes when
// the field is absent (RFC 4975 §7.1.1).
func (m *Message) FailureMode() ReportMode {
	if m.FailureReport == ReportUnset {
		return ReportYes
	}
	return m.FailureReport
}

// IsComplete reports whether the request carries a whole message in one
// chunk: no Byte-Range or one starting at 1, and the end-line flag "$"
// (RFC 4975 §7.3.1).
func (m *Message) IsComplete() bool {
	return (m.ByteRange.Start <= 1) && (m.Flag == FlagEnd || m.Flag == 0)
}

// MediaType returns the media type of Content-Type in lower case without
// parameters ("text/plain"), or "".
func (m *Message) MediaType() string { return MediaType(m.ContentType) }

// MediaType returns the type/subtype of a Content-Type value in lower
// case, without parameters and surrounding spaces.
func MediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(trimSpace(ct))
}

// Header returns the value of the first header field in Headers named
// name (case-insensitively), or "".
func (m *Message) Header(name string) string {
	for _, h := range m.Headers {
		if equalFoldASCII(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// AddHeader appends a header field to Headers.
func (m *Message) AddHeader(name, value string) {
	m.Headers = append(m.Headers, Header{Name: name, Value: value})
}

// Reset clears m, keeping the capacity of its slices for reuse.
func (m *Message) Reset() {
	*m = Message{
		ToPath:   m.ToPath[:0],
		FromPath: m.FromPath[:0],
		Headers:  m.Headers[:0],
		order:    m.order[:0],
	}
}

// Clone returns a deep copy of m that shares no slice with it: safe to
// keep after the Reader's next Read.
func (m *Message) Clone() *Message {
	c := m.CloneHeader()
	if m.Body != nil {
		c.Body = append([]byte{}, m.Body...)
	}
	return c
}

// CloneHeader is Clone without the body (Body is nil in the copy).
func (m *Message) CloneHeader() *Message {
	c := *m
	c.ToPath = m.ToPath.Clone()
	c.FromPath = m.FromPath.Clone()
	if m.Headers != nil {
		c.Headers = append([]Header(nil), m.Headers...)
	}
	if m.order != nil {
		c.order = append([]fieldKind(nil), m.order...)
	}
	c.Body = nil
	return &c
}
