package xmpp

import (
	"reflect"
	"strings"
	"testing"
)

// parseOne parses the first element after a stream header, or nil.
func parseOne(s string) *Element {
	r := newStreamReader(strings.NewReader(testHeader+s), 1<<16)
	if _, err := r.header(); err != nil {
		return nil
	}
	el, err := r.next()
	if err != nil {
		return nil
	}
	return el
}

// FuzzMessageCodec: whatever DecodeMessage accepts, EncodeMessage renders
// so that decoding it again gives the same value.
func FuzzMessageCodec(f *testing.F) {
	f.Add(`<message from="a@x.test/r" to="b@y.test" id="m2" type="chat" xml:lang="en"><subject>s</subject><body>hi</body><thread>t</thread><active xmlns="http://jabber.org/protocol/chatstates"/><request xmlns="urn:xmpp:receipts"/><markable xmlns="urn:xmpp:chat-markers:0"/><origin-id xmlns="urn:xmpp:sid:0" id="o-1"/></message>`)
	f.Add(`<message from="a@x.test" to="b@y.test"><body>bold</body><html xmlns="http://jabber.org/protocol/xhtml-im"><body xmlns="http://www.w3.org/1999/xhtml"><p style="x">a<br/>b</p></body></html></message>`)
	f.Add(`<message from="b@y.test" to="a@x.test/r" type="error"><error type="cancel" by="y.test"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">gone</text></error></message>`)
	f.Add(`<message from="a@x.test" to="b@y.test" xml:lang="de"><body xml:lang="en">Hello</body><body>Hallo</body><received xmlns="urn:xmpp:receipts" id="r1"/><displayed xmlns="urn:xmpp:chat-markers:0" id="d1"/></message>`)
	f.Fuzz(func(t *testing.T, wire string) {
		el := parseOne(wire)
		if el == nil || el.Name.Local != "message" {
			return
		}
		m, err := DecodeMessage(el)
		if err != nil {
			return
		}
		out, err := EncodeMessage(m)
		if err != nil {
			t.Fatalf("decoded %+v but cannot encode it: %v", m, err)
		}
		again := parseOne(out.String())
		if again == nil {
			t.Fatalf("encoded message does not parse: %s", out)
		}
		m2, err := DecodeMessage(again)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", out, err)
		}
		if m.Err != nil && m.Err.Type == "" && m2.Err != nil {
			m.Err.Type = m2.Err.Type // a missing error type is filled in from the condition
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("not stable:\n%+v\n%+v\nwire %s", m, m2, out)
		}
	})
}

// FuzzPresenceCodec is the same for presence.
func FuzzPresenceCodec(f *testing.F) {
	f.Add(`<presence from="juliet@example.com/balcony" to="romeo@example.net" xml:lang="en"><show>away</show><status>at the ball</status><priority>-1</priority></presence>`)
	f.Add(`<presence from="a@x.test" to="b@y.test" id="s1" type="subscribe"/>`)
	f.Add(`<presence from="a@x.test" to="b@y.test" type="error"><error type="wait"><remote-server-timeout xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></presence>`)
	f.Fuzz(func(t *testing.T, wire string) {
		el := parseOne(wire)
		if el == nil || el.Name.Local != "presence" {
			return
		}
		p, err := DecodePresence(el)
		if err != nil {
			return
		}
		out := EncodePresence(p)
		again := parseOne(out.String())
		if again == nil {
			t.Fatalf("encoded presence does not parse: %s", out)
		}
		p2, err := DecodePresence(again)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", out, err)
		}
		if p.Err != nil && p.Err.Type == "" && p2.Err != nil {
			p.Err.Type = p2.Err.Type
		}
		if !reflect.DeepEqual(p, p2) {
			t.Fatalf("not stable:\n%+v\n%+v\nwire %s", p, p2, out)
		}
	})
}
