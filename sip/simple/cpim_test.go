package simple

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The RFC examples: RFC 3862 §5.1 (with its outer MIME header),
// RFC 5438 §7.1.1.3, §7.2.1.1, §7.2.1.2, §8.1 and §8.3 (without the blank
// line between message and content headers), RFC 7702 examples 13 and 17.
func TestParseCPIMRFCExamples(t *testing.T) {
	imdnBody := func(file string) []byte {
		b := readTestdata(t, file)
		_, body, ok := bytes.Cut(b, []byte("\n\n"))
		if !ok {
			t.Fatalf("%s: no body", file)
		}
		return body
	}
	nsIMDN := map[string]string{"imdn": NamespaceIMDN}
	bob, alice := []string{"Bob <im:bob@example.com>"}, []string{"Alice <im:alice@example.com>"}
	notification := []Header{{Name: "Content-Disposition", Value: "notification"}, {Name: "Content-length", Value: "..."}}
	tests := []struct {
		file string
		want *CPIM
	}{
		{"cpim-rfc3862-5.1.txt", &CPIM{
			From:     []string{"MR SANDERS <im:piglet@100akerwood.com>"},
			To:       []string{"Depressed Donkey <im:eeyore@100akerwood.com>"},
			DateTime: mustTime(t, "2000-12-13T13:40:00-08:00"),
			Subject:  []LangText{{Text: "the weather will be fine today"}, {Lang: "fr", Text: "beau temps prevu pour aujourd'hui"}},
			NS:       map[string]string{"MyFeatures": "mid:MessageFeatures@id.foo.com"},
			Headers: []Header{
				{Name: "Require", Value: "MyFeatures.VitalMessageOption"},
				{Name: "MyFeatures.VitalMessageOption", Value: "Confirmation-requested"},
				{Name: "MyFeatures.WackyMessageOption", Value: "Use-silly-font"},
			},
			ContentType:    "text/xml; charset=utf-8",
			ContentHeaders: []Header{{Name: "Content-ID", Value: "<1234567890@foo.com>"}},
			Body:           []byte("<body>\nHere is the text of my message.\n</body>\n"),
		}},
		{"cpim-rfc5438-7.1.1.3.txt", &CPIM{
			From: alice, To: []string{"Bob <im:bob@example.com>"},
			DateTime: mustTime(t, "2006-04-04T12:16:49-05:00"),
			NS:       nsIMDN,
			Headers: []Header{
				{Name: "imdn.Message-ID", Value: "34jk324j"},
				{Name: "imdn.Disposition-Notification", Value: "positive-delivery, negative-delivery"},
			},
			ContentType:    "text/plain",
			ContentHeaders: []Header{{Name: "Content-length", Value: "12"}},
			Body:           []byte("Hello World\n"),
		}},
		{"cpim-rfc5438-7.2.1.1.txt", &CPIM{
			From: bob, To: alice, NS: nsIMDN,
			Headers:     []Header{{Name: "imdn.Message-ID", Value: "d834jied93rf"}},
			ContentType: ContentTypeIMDN, ContentHeaders: notification,
			Body: imdnBody("cpim-rfc5438-7.2.1.1.txt"),
		}},
		{"cpim-rfc5438-7.2.1.2.txt", &CPIM{
			From: bob, To: alice, NS: nsIMDN,
			Headers:     []Header{{Name: "imdn.Message-ID", Value: "dfjkleriou432333"}},
			ContentType: ContentTypeIMDN, ContentHeaders: notification,
			Body: imdnBody("cpim-rfc5438-7.2.1.2.txt"),
		}},
		{"cpim-rfc5438-8.1.txt", &CPIM{
			From: bob, To: alice,
			ContentType: ContentTypeIMDN, ContentHeaders: notification,
			Body: func() []byte { b := imdnBody("cpim-rfc5438-8.1.txt"); _, b, _ = bytes.Cut(b, []byte("\n\n")); return b }(),
		}},
		{"cpim-rfc5438-8.3.txt", &CPIM{
			From: bob, To: alice, NS: nsIMDN,
			Headers:     []Header{{Name: "imdn.Message-ID", Value: "d834jied93rf"}},
			ContentType: `multipart/mixed;                   boundary="imdn-boundary"`, ContentHeaders: notification,
			Body: imdnBody("cpim-rfc5438-8.3.txt"),
		}},
		{"cpim-rfc7702-example13.txt", &CPIM{
			From: []string{`"Juliet" <sip:juliet@example.com>`}, To: []string{"<sip:montague@chat.example.org>"},
			DateTime:    mustTime(t, "2008-10-15T15:02:31-03:00"),
			ContentType: "text/plain", Body: []byte("Who knows where Romeo is?\n"),
		}},
		{"cpim-rfc7702-example17.txt", &CPIM{
			From: []string{"<sip:juliet@example.org>;gr=yn0cl4bnw0yr3vym"}, To: []string{"<sip:montague@chat.example.org>;gr=Romeo"},
			DateTime:    mustTime(t, "2008-10-15T15:02:31-03:00"),
			ContentType: "text/plain", Body: []byte("O Romeo, Romeo! wherefore art thou Romeo?\n"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in := readTestdata(t, tt.file)
			got, err := ParseCPIM(in)
			if err != nil {
				t.Fatal(err)
			}
			if !same(got, tt.want) {
				t.Fatalf("ParseCPIM:\n got %+v\nwant %+v", got, tt.want)
			}
			// CRLF, as RFC 3862 §2.2 requires on the wire, reads the same
			// apart from the body, which is kept byte for byte.
			crlf, err := ParseCPIM(bytes.ReplaceAll(in, []byte("\n"), []byte("\r\n")))
			if err != nil {
				t.Fatal(err)
			}
			crlf.Body = bytes.ReplaceAll(crlf.Body, []byte("\r\n"), []byte("\n"))
			if !same(crlf, tt.want) {
				t.Fatalf("CRLF:\n got %+v\nwant %+v", crlf, tt.want)
			}
			out, err := got.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			again, err := ParseCPIM(out)
			if err != nil {
				t.Fatalf("re-parse: %v\n%s", err, out)
			}
			if !same(again, tt.want) {
				t.Fatalf("round trip:\n got %+v\nwant %+v\n%s", again, tt.want, out)
			}
		})
	}
}

// An IMDN travels in CPIM: RFC 5438 §7.2.1.1 end to end.
func TestCPIMCarriesIMDN(t *testing.T) {
	c, err := ParseCPIM(readTestdata(t, "cpim-rfc5438-7.2.1.1.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := c.GetNS(NamespaceIMDN, "Message-ID"); !ok || id != "d834jied93rf" {
		t.Fatalf("Message-ID = %q, %v", id, ok)
	}
	n, err := ParseIMDN(c.Body)
	if err != nil {
		t.Fatal(err)
	}
	if n.MessageID != "34jk324j" || n.Delivery != IMDNDelivered {
		t.Fatalf("IMDN = %+v", n)
	}
}

func TestCPIMMarshalGolden(t *testing.T) {
	tests := []struct {
		name string
		c    *CPIM
	}{
		// What the gateway sends for an XMPP message asking for a receipt
		// (RFC 5438 §7.1.1).
		{"cpim-im.txt", &CPIM{
			From:     []string{"Juliet <sip:juliet@example.com>"},
			To:       []string{"<sip:romeo@example.net>"},
			DateTime: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC),
			Subject:  []LangText{{Lang: "en", Text: "Hi"}},
			NS:       map[string]string{"imdn": NamespaceIMDN},
			Headers: []Header{
				{Name: "imdn.Message-ID", Value: "Xa9Ql0LXo2yB"},
				{Name: "imdn.Disposition-Notification", Value: (NotifyPositiveDelivery | NotifyDisplay).String()},
			},
			ContentType: "text/plain; charset=utf-8",
			Body:        []byte("Wherefore art thou?"),
		}},
		// An IMDN (RFC 5438 §7.2.1.1).
		{"cpim-imdn.txt", &CPIM{
			From:           []string{"<sip:romeo@example.net>"},
			To:             []string{"<sip:juliet@example.com>"},
			NS:             map[string]string{"imdn": NamespaceIMDN},
			Headers:        []Header{{Name: "imdn.Message-ID", Value: "d834jied93rf"}},
			ContentType:    ContentTypeIMDN,
			ContentHeaders: []Header{{Name: "Content-Disposition", Value: "notification"}},
			Body:           []byte("<imdn/>"),
		}},
		// Escapes (RFC 3862 §2.3.1) and parameters (§3.6).
		{"cpim-escapes.txt", &CPIM{
			From:        []string{"\"Back\\slash\" <im:a@b>"},
			Subject:     []LangText{{Text: "tab\tnewline\ncr\rbell\x07del\x7fquote\"'"}},
			NS:          map[string]string{"": "urn:x:default", "x": "urn:x:ext"},
			Headers:     []Header{{Name: "x.H", Value: "v", Params: []Param{{Name: "tok", Value: "a.b"}, {Name: "str", Value: "two words, \"quoted\""}, {Name: "empty"}}}},
			ContentType: "text/plain",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, out)
			back, err := ParseCPIM(out)
			if err != nil {
				t.Fatalf("re-parse: %v\n%s", err, out)
			}
			if !same(back, tt.c) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", back, tt.c)
			}
		})
	}
}

// RFC 3862 §2.3.1: decoding every escape form.
func TestCPIMUnescape(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`plain`, "plain"},
		{`a\\b`, `a\b`},
		{`\"\'`, `"'`},
		{`\b\t\n\r`, "\b\t\n\r"},
		{`\u0041\u00e9\u20AC`, "Aé€"},
		{`\ud83d\ude00`, "\U0001F600"},         // surrogate pair
		{`\ud83d`, "\uFFFD"},                   // lone high surrogate
		{`\ude00x`, "\uFFFDx"},                 // lone low surrogate
		{`\ud83d\u0041`, "\uFFFDA"},            // high surrogate then not low
		{`\u00`, "u00"},                        // short \u: the character after the backslash
		{`\uZZZZ`, "uZZZZ"},                    // not hex
		{`\q`, "q"},                            // unrecognized escape
		{`\é`, "é"},                            // escaped multi-byte character
		{`end\`, "end"},                        // isolated trailing backslash
		{`\u0000\u001f\u007f`, "\x00\x1f\x7f"}, // escaped controls
	} {
		if got := unescape(tt.in); got != tt.want {
			t.Errorf("unescape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Message header syntax accepted (RFC 3862 §3.6) and what it means.
func TestParseCPIMHeaders(t *testing.T) {
	const content = "\r\nContent-Type: text/plain\r\n\r\nbody"
	tests := []struct {
		name    string
		headers string
		check   func(t *testing.T, c *CPIM)
	}{
		{"empty value", "Require: \r\nx: \r\n", func(t *testing.T, c *CPIM) {
			if len(c.Headers) != 2 || c.Headers[0].Value != "" {
				t.Fatalf("%+v", c.Headers)
			}
		}},
		{"empty value without space", "x:\r\n", func(t *testing.T, c *CPIM) {
			if v, ok := c.Get("x"); !ok || v != "" {
				t.Fatalf("%q %v", v, ok)
			}
		}},
		{"value keeps extra spaces", "Subject:  two  \r\n", func(t *testing.T, c *CPIM) {
			if c.Subject[0].Text != " two  " {
				t.Fatalf("%q", c.Subject[0].Text)
			}
		}},
		{"case-sensitive names", "from: <im:x@y>\r\nFrom: <im:a@b>\r\nCC: <im:c@d>\r\n", func(t *testing.T, c *CPIM) {
			if len(c.From) != 1 || c.From[0] != "<im:a@b>" || len(c.CC) != 0 {
				t.Fatalf("From %q CC %q", c.From, c.CC)
			}
			if v, ok := c.Get("from"); !ok || v != "<im:x@y>" {
				t.Fatalf("from = %q", v)
			}
		}},
		{"several To and cc", "To: <im:a@b>\r\nTo: <im:c@d>\r\ncc: <im:e@f>\r\n", func(t *testing.T, c *CPIM) {
			if len(c.To) != 2 || len(c.CC) != 1 {
				t.Fatalf("To %q CC %q", c.To, c.CC)
			}
		}},
		{"params", "x.H:;a=b;q=\"s;\\\"t\";lang=en v\r\nNS: x <urn:x>\r\n", func(t *testing.T, c *CPIM) {
			want := []Param{{"a", "b"}, {"q", `s;"t`}, {"lang", "en"}}
			if !same(&c.Headers[0].Params, &want) || c.Headers[0].Value != "v" {
				t.Fatalf("%+v", c.Headers[0])
			}
		}},
		{"raw tab tolerated", "Subject: a\tb\r\n", func(t *testing.T, c *CPIM) {
			if c.Subject[0].Text != "a\tb" {
				t.Fatalf("%q", c.Subject[0].Text)
			}
		}},
		{"default namespace", "NS: <urn:ietf:params:imdn>\r\nMessage-ID: m1\r\n", func(t *testing.T, c *CPIM) {
			if v, ok := c.GetNS(NamespaceIMDN, "Message-ID"); !ok || v != "m1" {
				t.Fatalf("GetNS = %q, %v", v, ok)
			}
		}},
		{"any prefix for IMDN", "NS: foo <urn:ietf:params:imdn>\r\nNS: imdn <urn:other>\r\nimdn.Message-ID: wrong\r\nfoo.Message-ID: right\r\n", func(t *testing.T, c *CPIM) {
			if v, ok := c.GetNS(NamespaceIMDN, "Message-ID"); !ok || v != "right" {
				t.Fatalf("GetNS = %q, %v", v, ok)
			}
			if v, ok := c.Get("imdn.Message-ID"); !ok || v != "wrong" {
				t.Fatalf("Get = %q, %v", v, ok)
			}
			if _, ok := c.Get("Imdn.Message-ID"); ok {
				t.Fatal("Get is not case-sensitive on the prefix")
			}
		}},
		{"core headers through GetNS", "From: <im:a@b>\r\nDateTime: 2001-02-01T12:16:49-05:00\r\n", func(t *testing.T, c *CPIM) {
			if v, ok := c.GetNS(cpimHeadersNS, "From"); !ok || v != "<im:a@b>" {
				t.Fatalf("GetNS From = %q, %v", v, ok)
			}
			if v, ok := c.Get("DateTime"); !ok || v != "2001-02-01T12:16:49-05:00" {
				t.Fatalf("Get DateTime = %q, %v", v, ok)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCPIM([]byte(tt.headers + content))
			if err != nil {
				t.Fatal(err)
			}
			if c.ContentType != "text/plain" || string(c.Body) != "body" {
				t.Fatalf("content %q %q", c.ContentType, c.Body)
			}
			tt.check(t, c)
		})
	}
}

func TestParseCPIMContent(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *CPIM
	}{
		{"no message headers", "\r\nContent-Type: text/plain\r\n\r\nhi", &CPIM{ContentType: "text/plain", Body: []byte("hi")}},
		{"no body", "From: <im:a@b>\r\n\r\nContent-Type: text/plain\r\n", &CPIM{From: []string{"<im:a@b>"}, ContentType: "text/plain"}},
		{"body keeps blank lines and CRLF", "\nContent-Type: text/plain\n\n\r\n\r\nx\r\n", &CPIM{ContentType: "text/plain", Body: []byte("\r\n\r\nx\r\n")}},
		{"content-type any case, folded", "\nCONTENT-TYPE: multipart/mixed;\r\n\tboundary=b  \r\ncontent-id:  <x>\r\n\r\n", &CPIM{
			ContentType: "multipart/mixed;\tboundary=b", ContentHeaders: []Header{{Name: "content-id", Value: "<x>"}},
		}},
		{"outer header with parameters skipped", "Content-Type: Message/CPIM; x=y\r\nContent-Length: 99\r\n\r\nTo: <im:a@b>\r\n\r\nContent-Type: text/plain\r\n\r\nhi", &CPIM{To: []string{"<im:a@b>"}, ContentType: "text/plain", Body: []byte("hi")}},
		{"nested CPIM is content", "\r\nContent-Type: message/cpim\r\n\r\nFrom: <im:a@b>\r\n", &CPIM{ContentType: "message/cpim", Body: []byte("From: <im:a@b>\r\n")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCPIM([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !same(c, tt.want) {
				t.Fatalf("\n got %+v\nwant %+v", c, tt.want)
			}
		})
	}
}

func TestParseCPIMErrors(t *testing.T) {
	const content = "\r\nContent-Type: text/plain\r\n\r\nbody"
	many := func(n int, line string) string { return strings.Repeat(line, n) }
	tests := []struct {
		name  string
		in    string
		limit bool
	}{
		{"empty", "", false},
		{"headers only", "From: <im:a@b>\r\n", false},
		{"no content type", "From: <im:a@b>\r\n\r\nContent-ID: <x>\r\n\r\nhi", false},
		{"no content type, no content headers", "From: <im:a@b>\r\n\r\n\r\nhi", false},
		{"two content types", "\r\nContent-Type: a/b\r\nContent-type: c/d\r\n\r\n", false},
		{"no colon", "From <im:a@b>\r\n" + content, false},
		{"no space", "From:<im:a@b>\r\n" + content, false},
		{"space before colon", "From : <im:a@b>\r\n" + content, false},
		{"leading space", " From: <im:a@b>\r\n" + content, false},
		{"separator in name", "Fr(om: x\r\n" + content, false},
		{"two dots in name", "a.b.c: x\r\n" + content, false},
		{"empty prefix", ".b: x\r\n" + content, false},
		{"control character", "Subject: a\x01b\r\n" + content, false},
		{"DEL", "Subject: a\x7fb\r\n" + content, false},
		{"bare CR", "Subject: a\rb\r\n" + content, false},
		{"bad UTF-8", "Subject: \xff\r\n" + content, false},
		{"bad DateTime", "DateTime: yesterday\r\n" + content, false},
		{"two DateTime", "DateTime: 2001-02-01T12:16:49-05:00\r\nDateTime: 2001-02-01T12:16:49-05:00\r\n" + content, false},
		{"bad NS", "NS: imdn urn:ietf:params:imdn\r\n" + content, false},
		{"NS with empty URI", "NS: imdn <>\r\n" + content, false},
		{"NS with bad prefix", "NS: a.b <urn:x>\r\n" + content, false},
		{"bad param", "Subject:;lang fr\r\n" + content, false},
		{"unterminated string param", "Subject:;a=\"x y\r\n" + content, false},
		{"empty token param", "Subject:;a= x\r\n" + content, false},
		{"continuation first", "\r\n x\r\nContent-Type: a/b\r\n\r\n", false},
		{"bad content header", "\r\nContent-Type: a/b\r\nno colon\r\n\r\n", false},
		{"control in content header", "\r\nContent-Type: a/b\x00\r\n\r\n", false},
		{"outer headers only", "Content-Type: message/cpim\r\nX: y\r\n", false},
		{"too many message headers", many(MaxCPIMHeaders+1, "x: y\r\n") + content, true},
		{"too many params", "x:" + many(maxCPIMParams+1, ";a=b") + " v\r\n" + content, true},
		{"too many content headers", "\r\nContent-Type: a/b\r\n" + many(MaxCPIMContentHeaders+1, "Content-X: y\r\n") + "\r\n", true},
		{"too many folded lines", "\r\nContent-Type: a/b\r\n" + many(maxCPIMContentLines, " x\r\n") + "\r\n", true},
		{"too many outer headers", "Content-Type: message/cpim\r\n" + many(MaxCPIMContentHeaders+1, "X: y\r\n") + "\r\n" + content, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCPIM([]byte(tt.in))
			wantErr(t, err, ErrMalformed, "cpim")
			if tt.limit {
				wantErr(t, err, ErrLimit, "cpim")
			}
		})
	}
}

func TestCPIMMarshalInvalid(t *testing.T) {
	ok := func() *CPIM { return &CPIM{From: []string{"<im:a@b>"}, ContentType: "text/plain"} }
	tests := []struct {
		name string
		edit func(c *CPIM)
	}{
		{"no content type", func(c *CPIM) { c.ContentType = "" }},
		{"content type injection", func(c *CPIM) { c.ContentType = "text/plain\r\nX-Evil: 1" }},
		{"content header injection", func(c *CPIM) { c.ContentHeaders = []Header{{Name: "Content-ID", Value: "a\nb"}} }},
		{"content header name", func(c *CPIM) { c.ContentHeaders = []Header{{Name: "Bad Name", Value: "x"}} }},
		{"content type in content headers", func(c *CPIM) { c.ContentHeaders = []Header{{Name: "content-type", Value: "x/y"}} }},
		{"core name in headers", func(c *CPIM) { c.Headers = []Header{{Name: "From", Value: "<im:x@y>"}} }},
		{"content name in headers", func(c *CPIM) { c.Headers = []Header{{Name: "Content-Type", Value: "x/y"}} }},
		{"bad header name", func(c *CPIM) { c.Headers = []Header{{Name: "a:b", Value: "x"}} }},
		{"empty header name", func(c *CPIM) { c.Headers = []Header{{Value: "x"}} }},
		{"bad param name", func(c *CPIM) { c.Headers = []Header{{Name: "x", Params: []Param{{Name: "a b"}}}} }},
		{"bad UTF-8 value", func(c *CPIM) { c.To = []string{"\xff"} }},
		{"bad UTF-8 param", func(c *CPIM) { c.Headers = []Header{{Name: "x", Params: []Param{{Name: "a", Value: "\xff"}}}} }},
		{"bad subject lang", func(c *CPIM) { c.Subject = []LangText{{Lang: "\xff", Text: "x"}} }},
		{"bad NS prefix", func(c *CPIM) { c.NS = map[string]string{"a.b": "urn:x"} }},
		{"bad NS URI", func(c *CPIM) { c.NS = map[string]string{"a": "urn:x y"} }},
		{"year 10000", func(c *CPIM) { c.DateTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"too many headers", func(c *CPIM) { c.Headers = make([]Header, MaxCPIMHeaders) }},
	}
	if _, err := ok().Marshal(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok()
			tt.edit(c)
			out, err := c.Marshal()
			wantErr(t, err, ErrInvalid, "cpim")
			if out != nil {
				t.Fatal("output with an error")
			}
		})
	}
}

func TestCPIMAddress(t *testing.T) {
	tests := []struct {
		in   string
		want CPIMAddress
		out  string // String(); "" means in
	}{
		{"MR SANDERS <im:piglet@100akerwood.com>", CPIMAddress{Name: "MR SANDERS", URI: "im:piglet@100akerwood.com"}, ""},
		{"<im:tigger@100akerwood.com>", CPIMAddress{URI: "im:tigger@100akerwood.com"}, ""},
		{`"Juliet" <sip:juliet@example.com>`, CPIMAddress{Name: "Juliet", URI: "sip:juliet@example.com"}, "Juliet <sip:juliet@example.com>"},
		{`"Dr. J. <Who>" <sip:who@example.com>`, CPIMAddress{Name: "Dr. J. <Who>", URI: "sip:who@example.com"}, ""},
		{`"say "hi"" <sip:q@example.com>`, CPIMAddress{Name: `say "hi"`, URI: "sip:q@example.com"}, `"say hi" <sip:q@example.com>`},
		{"<sip:montague@chat.example.org>;gr=Romeo", CPIMAddress{URI: "sip:montague@chat.example.org", Params: "gr=Romeo"}, ""},
		{"Zoë Ünal <im:z@example.com>", CPIMAddress{Name: "Zoë Ünal", URI: "im:z@example.com"}, ""},
	}
	for _, tt := range tests {
		got, err := ParseCPIMAddress(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseCPIMAddress(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		want := tt.out
		if want == "" {
			want = tt.in
		}
		if s := got.String(); s != want {
			t.Errorf("String() = %q, want %q", s, want)
		}
	}
	for _, bad := range []string{"", "im:a@b", "<>", "Name <im:a@b", "<im:a b>", "<im:a@b> trailing", "<im:<a>@b>"} {
		_, err := ParseCPIMAddress(bad)
		wantErr(t, err, ErrMalformed, "cpim")
	}
}

func ExampleCPIM_Marshal() {
	c := &CPIM{
		From:        []string{CPIMAddress{Name: "Juliet", URI: "sip:juliet@example.com"}.String()},
		To:          []string{CPIMAddress{URI: "sip:romeo@example.net"}.String()},
		NS:          map[string]string{"imdn": NamespaceIMDN},
		Headers:     []Header{{Name: "imdn.Message-ID", Value: "34jk324j"}, {Name: "imdn.Disposition-Notification", Value: NotifyPositiveDelivery.String()}},
		ContentType: "text/plain",
		Body:        []byte("Hello"),
	}
	b, err := c.Marshal()
	if err != nil {
		panic(err)
	}
	fmt.Print(strings.ReplaceAll(string(b), "\r\n", "\n"))
	// Output:
	// From: Juliet <sip:juliet@example.com>
	// To: <sip:romeo@example.net>
	// NS: imdn <urn:ietf:params:imdn>
	// imdn.Message-ID: 34jk324j
	// imdn.Disposition-Notification: positive-delivery
	//
	// Content-Type: text/plain
	//
	// Hello
}

func TestCPIMGet(t *testing.T) {
	c, err := ParseCPIM(readTestdata(t, "cpim-rfc3862-5.1.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"From":                          "MR SANDERS <im:piglet@100akerwood.com>",
		"To":                            "Depressed Donkey <im:eeyore@100akerwood.com>",
		"DateTime":                      "2000-12-13T13:40:00-08:00",
		"Subject":                       "the weather will be fine today",
		"Require":                       "MyFeatures.VitalMessageOption",
		"MyFeatures.WackyMessageOption": "Use-silly-font",
	} {
		if got, ok := c.Get(name); !ok || got != want {
			t.Errorf("Get(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	for _, name := range []string{"cc", "NS", "subject", "myfeatures.WackyMessageOption", "Content-ID"} {
		if got, ok := c.Get(name); ok {
			t.Errorf("Get(%q) = %q, want none", name, got)
		}
	}
	if got, ok := c.GetNS("mid:MessageFeatures@id.foo.com", "VitalMessageOption"); !ok || got != "Confirmation-requested" {
		t.Errorf("GetNS = %q, %v", got, ok)
	}
	if _, ok := c.GetNS("urn:other", "VitalMessageOption"); ok {
		t.Error("GetNS matched another namespace")
	}
	if got, ok := c.GetNS(cpimHeadersNS, "Require"); !ok || got != "MyFeatures.VitalMessageOption" {
		t.Errorf("GetNS(default, Require) = %q, %v", got, ok)
	}
}
