package xmpp

import (
	"reflect"
	"slices"
	"testing"
)

// FuzzMUCMessageCodec: whatever DecodeMessage accepts among MUC
// messages, EncodeMessage renders so that decoding it again gives the
// same value.
func FuzzMUCMessageCodec(f *testing.F) {
	for _, w := range mucMessageWire {
		f.Add(w)
	}
	f.Add(`<message from="c.test" to="u@x.test"><x xmlns="http://jabber.org/protocol/muc#user"><destroy/><item affiliation="none" role="none" nick="n" jid="a@x.test/r"><actor nick="m"/><reason>r</reason></item><status code="999"/></x><x xmlns="jabber:x:conference">legacy</x></message>`)
	f.Add(`<message from="r@c.test/n" to="u@x.test/r" type="groupchat"><delay xmlns="urn:xmpp:delay" stamp="9999-12-31T23:59:59.999999999-01:00"/></message>`)
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
			m.Err.Type = m2.Err.Type
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("not stable:\n%+v\n%+v\nwire %s", m, m2, out)
		}
	})
}

// FuzzMUCPresenceCodec is the same for presence.
func FuzzMUCPresenceCodec(f *testing.F) {
	for _, w := range mucPresenceWire {
		f.Add(w)
	}
	f.Add(`<presence from="u@x.test/r" to="r@c.test/n"><x xmlns="http://jabber.org/protocol/muc"><history maxchars="2147483647" since="2002-10-13T23:58:37.5+05:30"/></x></presence>`)
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

// FuzzRoomIQ feeds IQs to the room IQ decoders: no panics, and what they
// accept re-encodes to the same value (admin items, submitted fields).
func FuzzRoomIQ(f *testing.F) {
	for _, w := range roomIQWire {
		f.Add(w)
	}
	f.Fuzz(func(t *testing.T, wire string) {
		st := parseOne(wire)
		if st == nil || st.Name.Local != "iq" {
			return
		}
		payload := st.FirstChild()
		if payload == nil || roomIQKind(payload) == "" {
			return
		}
		switch payload.Name.Space {
		case nsDiscoInfo, nsDiscoItem:
			q, err := decodeDiscoQuery(st, payload)
			if err == nil && q.Items != (payload.Name.Space == nsDiscoItem) {
				t.Fatalf("disco kind lost: %+v", q)
			}
		case nsMUCAdmin:
			a, err := decodeMUCAdmin(st, payload)
			if err != nil {
				return
			}
			q := NewElement(nsMUCAdmin, "query")
			for _, it := range a.Items {
				q.Add(encodeMUCItem(nsMUCAdmin, it))
			}
			again := parseOne(NewElement(nsServer, "iq", "from", st.Get("from"), "to", st.Get("to"), "type", st.Get("type")).Add(q).String())
			if again == nil {
				t.Fatalf("re-encoded admin query does not parse: %s", q)
			}
			a2, err := decodeMUCAdmin(again, again.FirstChild())
			if err != nil || !reflect.DeepEqual(a, a2) {
				t.Fatalf("admin not stable: %+v\n%+v (%v)", a, a2, err)
			}
		case nsMUCOwner:
			o, err := decodeMUCOwner(st, payload)
			if err != nil || !o.Submit {
				return
			}
			x := NewElement(nsXData, "x", "type", "submit")
			keys := make([]string, 0, len(o.Fields))
			for k := range o.Fields {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				x.Add(formField(k, "", "", o.Fields[k], nil))
			}
			iq := NewElement(nsServer, "iq", "from", st.Get("from"), "to", st.Get("to"), "type", "set").Add(NewElement(nsMUCOwner, "query").Add(x))
			again := parseOne(iq.String())
			if again == nil {
				t.Fatalf("re-encoded form does not parse: %s", iq)
			}
			o2, err := decodeMUCOwner(again, again.FirstChild())
			if err != nil || !reflect.DeepEqual(o, o2) {
				t.Fatalf("owner not stable: %+v\n%+v (%v)", o, o2, err)
			}
		}
	})
}
