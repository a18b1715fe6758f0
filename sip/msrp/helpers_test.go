package msrp

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// crlf turns the LF line endings of a test vector into CRLF, the wire
// form (RFC 4975 §9).
func crlf(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }

// vector reads testdata/name in its wire form (CRLF).
func vector(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return crlf(b)
}

// vectorNames lists the .msrp files of testdata, sorted.
func vectorNames(tb testing.TB) []string {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.msrp"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("no test vectors: %v", err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	sort.Strings(names)
	return names
}

// readOne parses exactly one frame from b.
func readOne(tb testing.TB, b []byte) (*Message, error) {
	tb.Helper()
	r := NewReader(bufio.NewReader(bytes.NewReader(b)), Limits{}, nil)
	m := new(Message)
	err := r.Read(m)
	return m, err
}

// sameMessage compares the values two Messages carry (not the order of
// their header fields, which only affects how they are written).
func sameMessage(a, b *Message) bool {
	if a.TransactionID != b.TransactionID || a.Method != b.Method || a.Code != b.Code ||
		a.Comment != b.Comment || a.MessageID != b.MessageID ||
		a.SuccessReport != b.SuccessReport || a.FailureReport != b.FailureReport ||
		a.ByteRange != b.ByteRange || a.Status != b.Status || a.UseNickname != b.UseNickname ||
		a.ContentType != b.ContentType || a.flag() != b.flag() || !bytes.Equal(a.Body, b.Body) {
		return false
	}
	if !reflect.DeepEqual([]URI(a.ToPath), []URI(b.ToPath)) || !reflect.DeepEqual([]URI(a.FromPath), []URI(b.FromPath)) {
		return false
	}
	// The writer keeps the order of the extension fields and of the MIME
	// fields, but puts the MIME fields last.
	return slices.Equal(headersOf(a, false), headersOf(b, false)) && slices.Equal(headersOf(a, true), headersOf(b, true))
}

func headersOf(m *Message, mime bool) []Header {
	var hs []Header
	for _, h := range m.Headers {
		if h.isMIME() == mime {
			hs = append(hs, h)
		}
	}
	return hs
}

func mustURI(tb testing.TB, s string) URI {
	tb.Helper()
	u, err := ParseURI(s)
	if err != nil {
		tb.Fatalf("ParseURI(%q): %v", s, err)
	}
	return u
}

// testSend builds a SEND between two fixed URIs.
func testSend(tb testing.TB, tid string, body string) *Message {
	tb.Helper()
	m := &Message{
		TransactionID: tid,
		Method:        MethodSEND,
		ToPath:        Path{mustURI(tb, "msrp://bob.example.com:8888/9di4eae923wzd;tcp")},
		FromPath:      Path{mustURI(tb, "msrp://alicepc.example.com:7777/iau39soe2843z;tcp")},
		MessageID:     "12339sdqwer",
		ContentType:   "text/plain",
		Body:          []byte(body),
		Flag:          FlagEnd,
	}
	n := int64(len(body))
	m.ByteRange = ByteRange{Start: 1, End: n, Total: n}
	return m
}

func wire(tb testing.TB, m *Message) []byte {
	tb.Helper()
	b, err := m.Append(nil)
	if err != nil {
		tb.Fatalf("Append: %v", err)
	}
	return b
}

func lines(s ...string) string { return strings.Join(s, "\r\n") + "\r\n" }
