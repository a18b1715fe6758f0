package xmpp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"testing"
)

// decodesStandalone reports whether encoding/xml alone reads b to the end.
func decodesStandalone(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// FuzzJingleIQ: whatever Jingle IQ decodeJingleIQ accepts has a payload
// that is one Jingle element within the limit, decodes on its own, and
// serializes to itself again (what the core receives is what SendJingle
// accepts back).
func FuzzJingleIQ(f *testing.F) {
	f.Add(sessionInitiate)
	f.Add(`<iq from="a@x.test/r" to="b@y.test/p" id="i" type="set"><jingle xmlns="urn:xmpp:jingle:1" action="session-info" sid="s"><ringing xmlns="urn:xmpp:jingle:apps:rtp:info:1"/></jingle></iq>`)
	f.Add(`<iq from="a@x.test/r" to="b@y.test" id="i" type="set"><j:jingle xmlns:j="urn:xmpp:jingle:1" xmlns:x="urn:x" action="session-terminate" sid="s" x:a="1" xml:lang="en"><j:reason><j:success/><j:text>bye &amp; &#x10000;</j:text></j:reason></j:jingle></iq>`)
	f.Add(`<iq from="a@x.test/r" to="b@y.test" id="i" type="set"><jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s"><x xmlns=""><![CDATA[<>]]></x></jingle></iq>`)
	const limit = 4096
	f.Fuzz(func(t *testing.T, wire string) {
		el := parseOne(wire)
		if el == nil || el.Name.Local != "iq" {
			return
		}
		iq, err := decodeJingleIQ(el, limit)
		if err != nil {
			if se := asStanzaError(err); !knownCondition(se.Condition) {
				t.Fatalf("unknown condition %q", se.Condition)
			}
			return
		}
		if len(iq.Payload) > limit || iq.To.Localpart() == "" || iq.ID == "" {
			t.Fatalf("accepted %+v", iq)
		}
		if err := decodesStandalone(iq.Payload); err != nil {
			t.Fatalf("payload %s does not decode standalone: %v", iq.Payload, err)
		}
		p, err := parseElement(iq.Payload, limit)
		if err != nil {
			t.Fatalf("payload %s does not parse: %v", iq.Payload, err)
		}
		if err := checkJingle(p); err != nil {
			t.Fatalf("payload %s: %v", iq.Payload, err)
		}
		again, err := marshalElement(p, limit)
		if err != nil || !bytes.Equal(again, iq.Payload) {
			t.Fatalf("not stable:\n%s\n%s %v", iq.Payload, again, err)
		}
	})
}

// FuzzParseElement: what parseElement accepts serializes within the
// limit (or is refused) and reads back to the same serialization.
func FuzzParseElement(f *testing.F) {
	f.Add([]byte(`<jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s"/>`))
	f.Add([]byte(` <p:a xmlns:p="urn:p" xmlns:q="urn:q" q:b="&quot;"><q:c>t&lt;</q:c><d xmlns=""/></p:a> `))
	f.Add([]byte(`<a xml:lang="en">&#xD;&#9;</a><b/>`))
	const limit = 1 << 12
	f.Fuzz(func(t *testing.T, in []byte) {
		el, err := parseElement(in, limit)
		if err != nil {
			return
		}
		b, err := marshalElement(el, limit)
		if err != nil {
			if !errors.Is(err, errTooLarge) {
				t.Fatalf("marshal: %v", err)
			}
			return
		}
		if err := decodesStandalone(b); err != nil {
			t.Fatalf("%s does not decode standalone: %v", b, err)
		}
		el2, err := parseElement(b, limit)
		if err != nil {
			t.Fatalf("%s does not parse again: %v", b, err)
		}
		b2, err := marshalElement(el2, limit)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("not stable:\n%s\n%s %v", b, b2, err)
		}
	})
}

// FuzzJingleMessage: an XEP-0353 element survives decode, encode and
// decode unchanged.
func FuzzJingleMessage(f *testing.F) {
	f.Add(`<message from="a@x.test/r" to="b@y.test" type="chat"><propose xmlns="urn:xmpp:jingle-message:0" id="i"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"/></propose><store xmlns="urn:xmpp:hints"/></message>`)
	f.Add(`<message from="a@x.test/r" to="b@y.test" type="chat"><jm:reject xmlns:jm="urn:xmpp:jingle-message:0" id="i"><reason xmlns="urn:xmpp:jingle:1"><busy/></reason><jm:tie-break/></jm:reject></message>`)
	f.Add(`<message from="a@x.test/r" to="b@y.test"><finish xmlns="urn:xmpp:jingle-message:0" id="i"><migrated to="j"/></finish><body>x</body></message>`)
	f.Fuzz(func(t *testing.T, wire string) {
		el := parseOne(wire)
		if el == nil || el.Name.Local != "message" {
			return
		}
		m, err := DecodeMessage(el)
		if err != nil || m.JingleMessage == nil {
			return
		}
		out, err := EncodeMessage(m)
		if err != nil {
			t.Fatalf("decoded %q but cannot encode it: %v", m.JingleMessage, err)
		}
		if out.Child(nsHints, "store") == nil {
			t.Fatalf("no store hint: %s", out)
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
			m.Err.Type = m2.Err.Type
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("not stable:\n%+v\n%+v\nwire %s", m, m2, out)
		}
	})
}
