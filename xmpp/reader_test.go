package xmpp

import (
	"errors"
	"io"
	"strings"
	"testing"
)

const testHeader = `<?xml version='1.0'?><stream:stream xmlns="jabber:server" xmlns:stream="http://etherx.jabber.org/streams" xmlns:db="jabber:server:dialback" from="a.test" to="b.test" version="1.0">`

func TestReaderRoundTrip(t *testing.T) {
	in := testHeader + ` <message from="a@a.test" to="b@b.test" xml:lang="en" type="chat"><body>x &amp; y &lt;z&gt;</body>` +
		`<active xmlns="http://jabber.org/protocol/chatstates"/><x xmlns="urn:e" xmlns:p="urn:p" p:attr="v"/></message>` +
		"\n<db:result from=\"a.test\" to=\"b.test\">abc</db:result></stream:stream>"
	r := newStreamReader(strings.NewReader(in), 1<<16)
	h, err := r.header()
	if err != nil || headerAttr(h, "to") != "b.test" || headerAttr(h, "xmlns") != nsServer {
		t.Fatalf("header %v %v", h, err)
	}
	msg, err := r.next()
	if err != nil {
		t.Fatal(err)
	}
	want := `<message from="a@a.test" to="b@b.test" xml:lang="en" type="chat"><body>x &amp; y &lt;z&gt;</body>` +
		`<active xmlns="http://jabber.org/protocol/chatstates"/><x xmlns="urn:e" xmlns:a1="urn:p" a1:attr="v"/></message>`
	if got := msg.String(); got != want {
		t.Fatalf("re-encoded\n got %s\nwant %s", got, want)
	}
	db, err := r.next()
	if err != nil || db.Name.Space != nsDialback || db.Text() != "abc" {
		t.Fatalf("dialback element %v %v", db, err)
	}
	if _, err := r.next(); !errors.Is(err, io.EOF) {
		t.Fatalf("end of stream: %v", err)
	}
}

func TestEscapeInvalidXMLChars(t *testing.T) {
	el := NewElement(nsServer, "body").AddText("a\x00b\x1bc\xffd\r")
	if got := el.String(); got != "<body>a\uFFFDb\uFFFDc\uFFFDd&#xD;</body>" {
		t.Fatalf("got %q", got)
	}
}

// FuzzStreamReader feeds arbitrary bytes after a valid header: the reader
// must never panic, and whatever it parses must survive a re-encode and
// re-parse unchanged.
func FuzzStreamReader(f *testing.F) {
	f.Add(`<message from="a@a.test" to="b@b.test"><body>hi</body></message>`)
	f.Add(`<iq type="get" id="1"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`)
	f.Add(`<db:result from="a" to="b">k</db:result>`)
	f.Add(`<a xml:lang="en"><b xmlns="urn:x" xmlns:y="urn:y" y:z="1">&lt;&#x41;</b></a>`)
	f.Add(`<!-- c --><?pi x?><!DOCTYPE x>`)
	f.Fuzz(func(t *testing.T, body string) {
		r := newStreamReader(strings.NewReader(testHeader+body), 4096)
		if _, err := r.header(); err != nil {
			t.Fatal(err)
		}
		for range 50 {
			el, err := r.next()
			if err != nil {
				return
			}
			enc := el.String()
			r2 := newStreamReader(strings.NewReader(testHeader+enc), 1<<20)
			if _, err := r2.header(); err != nil {
				t.Fatal(err)
			}
			el2, err := r2.next()
			if err != nil {
				t.Fatalf("re-parse of %q: %v", enc, err)
			}
			if enc2 := el2.String(); enc2 != enc {
				t.Fatalf("not stable:\n%q\n%q", enc, enc2)
			}
		}
	})
}
