package msrp

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// A Message built in code is written in the RFC 4975 §7.1 order: paths,
// then Message-ID, Byte-Range, reports, Status, Use-Nickname, extension
// fields, MIME fields and Content-Type last, whatever order Headers has.
func TestWriteCanonicalOrder(t *testing.T) {
	m := testSend(t, "d93kswow", "Hi")
	m.SuccessReport, m.FailureReport = ReportYes, ReportPartial
	m.Headers = []Header{{"Content-Disposition", "inline"}, {"X-One", "1"}, {"Content-ID", "<a@b>"}, {"X-Two", "2"}}
	got := string(wire(t, m))
	want := lines("MSRP d93kswow SEND",
		"To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp",
		"From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp",
		"Message-ID: 12339sdqwer",
		"Byte-Range: 1-2/2",
		"Success-Report: yes",
		"Failure-Report: partial",
		"X-One: 1",
		"X-Two: 2",
		"Content-Disposition: inline",
		"Content-ID: <a@b>",
		"Content-Type: text/plain",
		"",
		"Hi",
		"-------d93kswow$")
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// A parsed frame keeps the order of its fields between From-Path and the
// MIME fields; fields set after parsing are added in the canonical place.
func TestWriteKeepsParsedOrder(t *testing.T) {
	in := lines("MSRP abcd SEND", tp, fp, "X-First: a", "Failure-Report: no", "Message-ID: m1",
		"Content-Disposition: inline", "Byte-Range: 1-2/2", "Content-Type: text/plain", "", "hi", "-------abcd$")
	m, err := readOne(t, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	m.SuccessReport = ReportYes
	m.AddHeader("X-Last", "z")
	got := string(wire(t, m))
	want := lines("MSRP abcd SEND", tp, fp, "X-First: a", "Failure-Report: no", "Message-ID: m1",
		"Byte-Range: 1-2/2", "Success-Report: yes", "X-Last: z", "Content-Disposition: inline", "Content-Type: text/plain", "", "hi", "-------abcd$")
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestWriteInvalid(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Message)
		err  error
	}{
		{"empty transaction id", func(m *Message) { m.TransactionID = "" }, ErrInvalid},
		{"transaction id with space", func(m *Message) { m.TransactionID = "ab cd" }, ErrInvalid},
		{"lower-case method", func(m *Message) { m.Method = "send" }, ErrInvalid},
		{"no To-Path", func(m *Message) { m.ToPath = nil }, ErrInvalid},
		{"bad URI", func(m *Message) { m.FromPath[0].Host = "a b" }, ErrInvalid},
		{"CRLF in a header value", func(m *Message) { m.AddHeader("X-Evil", "a\r\nInjected: yes") }, ErrInvalid},
		{"space around a value", func(m *Message) { m.AddHeader("X-A", " a") }, ErrInvalid},
		{"bad header name", func(m *Message) { m.AddHeader("X A", "a") }, ErrInvalid},
		{"typed field in Headers", func(m *Message) { m.AddHeader("message-id", "x") }, ErrInvalid},
		{"body without Content-Type", func(m *Message) { m.ContentType = "" }, ErrInvalid},
		{"Byte-Range end past total", func(m *Message) { m.ByteRange = ByteRange{1, 5, 4} }, ErrInvalid},
		{"Success-Report partial", func(m *Message) { m.SuccessReport = ReportPartial }, ErrInvalid},
		{"Status code 0 with comment is absent, 99 is bad", func(m *Message) { m.Status = Status{Code: 99} }, ErrInvalid},
		{"bad flag", func(m *Message) { m.Flag = '!' }, ErrInvalid},
		{"response with a body", func(m *Message) { m.Method, m.Code = "", 200 }, ErrInvalid},
		{"end-line in the body", func(m *Message) { m.Body = []byte("x\r\n-------d93kswow+\r\ny") }, ErrEndLineInBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testSend(t, "d93kswow", "Hi")
			tt.edit(m)
			prefix := []byte("keep")
			out, err := m.Append(prefix)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Append: %v, want %v", err, tt.err)
			}
			if string(out) != "keep" {
				t.Fatalf("Append changed the buffer on error: %q", out)
			}
		})
	}
}

func TestContainsEndLine(t *testing.T) {
	for _, tt := range []struct {
		body string
		want bool
	}{
		{"", false}, {"-------abcd", false}, {"-------abcd$", true}, {"x-------abcd#y", true},
		{"-------abcd-------abcd+", true}, {"-------abc$", false}, {"-------abcdX", false},
		{"------abcd$", false},
	} {
		if got := ContainsEndLine([]byte(tt.body), "abcd"); got != tt.want {
			t.Errorf("ContainsEndLine(%q) = %v", tt.body, got)
		}
	}
}

// Writing a chunk piecewise (header, part of the body, end-line) gives
// what a Reader reads as the interrupted chunk.
func TestWriteInterrupted(t *testing.T) {
	m := testSend(t, "abcd", "0123456789")
	m.ByteRange = ByteRange{1, Unknown, 10}
	b, err := m.AppendHeader(nil)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, m.Body[:4]...)
	b = AppendEndLine(b, m.TransactionID, FlagMore, true)
	got, err := readOne(t, b)
	if err != nil || string(got.Body) != "0123" || got.Flag != FlagMore || got.ByteRange != m.ByteRange {
		t.Fatalf("%v %+v", err, got)
	}
}

func TestWriteTo(t *testing.T) {
	m := testSend(t, "abcd", "hello")
	var buf bytes.Buffer
	n, err := m.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) || !strings.HasSuffix(buf.String(), "hello\r\n-------abcd$\r\n") {
		t.Fatalf("%d %v %q", n, err, buf.String())
	}
}

func TestByteRangeAndStatusText(t *testing.T) {
	if s := (ByteRange{1, Unknown, Unknown}).String(); s != "1-*/*" {
		t.Error(s)
	}
	if s := (ByteRange{138, 148, 148}).String(); s != "138-148/148" {
		t.Error(s)
	}
	if s := (Status{0, 200, "OK"}).String(); s != "000 200 OK" {
		t.Error(s)
	}
	if s := (Status{1, 413, ""}).String(); s != "001 413" {
		t.Error(s)
	}
}
