package xmpp

import (
	"strings"
	"testing"
)

func parseStanza(t *testing.T, s string) *Element {
	t.Helper()
	r := newStreamReader(strings.NewReader(testHeader+s), 1<<16)
	if _, err := r.header(); err != nil {
		t.Fatal(err)
	}
	el, err := r.next()
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return el
}

func TestMessageCodec(t *testing.T) {
	cases := []struct{ wire string }{
		{`<message from="juliet@example.com/balcony" to="romeo@example.net" id="m1" type="chat" xml:lang="en"><subject>Hi</subject><body>Wherefore art thou?</body><thread>e0ffe42b</thread></message>`},
		{`<message from="a@x.test/r" to="b@y.test" id="m2" type="chat"><body>hi</body><active xmlns="http://jabber.org/protocol/chatstates"/><request xmlns="urn:xmpp:receipts"/><markable xmlns="urn:xmpp:chat-markers:0"/><origin-id xmlns="urn:xmpp:sid:0" id="o-1"/></message>`},
		{`<message from="a@x.test/r" to="b@y.test" id="m3"><received xmlns="urn:xmpp:receipts" id="m2"/></message>`},
		{`<message from="a@x.test/r" to="b@y.test" id="m4" type="chat"><composing xmlns="http://jabber.org/protocol/chatstates"/></message>`},
		{`<message from="a@x.test/r" to="b@y.test" id="m5"><displayed xmlns="urn:xmpp:chat-markers:0" id="m2"/></message>`},
		{`<message from="a@x.test/r" to="b@y.test" id="m6"><body>bold</body><html xmlns="http://jabber.org/protocol/xhtml-im"><body xmlns="http://www.w3.org/1999/xhtml"><p><strong>bold</strong></p></body></html></message>`},
		{`<message from="b@y.test" to="a@x.test/r" id="m7" type="error"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`},
	}
	for _, c := range cases {
		m, err := DecodeMessage(parseStanza(t, c.wire))
		if err != nil {
			t.Fatalf("decode %s: %v", c.wire, err)
		}
		el, err := EncodeMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := el.String(); got != c.wire {
			t.Errorf("round trip\n got %s\nwant %s", got, c.wire)
		}
	}
	m, _ := DecodeMessage(parseStanza(t, cases[1].wire))
	if m.ChatState != "active" || !m.ReceiptRequest || !m.Markable || m.OriginID != "o-1" || m.Body != "hi" {
		t.Errorf("decoded %+v", m)
	}
	m, _ = DecodeMessage(parseStanza(t, cases[6].wire))
	if m.Err == nil || m.Err.Condition != ErrServiceUnavailable {
		t.Errorf("error not decoded: %+v", m)
	}
}

func TestMessageLanguages(t *testing.T) {
	m, err := DecodeMessage(parseStanza(t, `<message from="a@x.test" to="b@y.test" xml:lang="de"><body xml:lang="en">Hello</body><body>Hallo</body></message>`))
	if err != nil || m.Body != "Hallo" || m.Lang != "de" {
		t.Fatalf("got %+v %v", m, err)
	}
}

func TestPresenceCodec(t *testing.T) {
	cases := []string{
		`<presence from="juliet@example.com/balcony" to="romeo@example.net" xml:lang="en"><show>away</show><status>at the ball</status><priority>-1</priority></presence>`,
		`<presence from="a@x.test/r" to="b@y.test" type="unavailable"/>`,
		`<presence from="a@x.test" to="b@y.test" id="s1" type="subscribe"/>`,
	}
	for _, c := range cases {
		p, err := DecodePresence(parseStanza(t, c))
		if err != nil {
			t.Fatal(err)
		}
		if got := EncodePresence(p).String(); got != c {
			t.Errorf("round trip\n got %s\nwant %s", got, c)
		}
	}
	bad := map[string]string{
		`<presence from="a@x.test" to="b@y.test"><show>sleepy</show></presence>`:      ErrBadRequest,
		`<presence from="a@x.test" to="b@y.test"><priority>500</priority></presence>`: ErrBadRequest,
		`<presence from="a@x.test" to="b@y.test" type="bogus"/>`:                      ErrBadRequest,
	}
	for wire, cond := range bad {
		_, err := DecodePresence(parseStanza(t, wire))
		if se, ok := err.(*StanzaError); !ok || se.Condition != cond {
			t.Errorf("%s: err %v, want %s", wire, err, cond)
		}
	}
}
