package translate

import (
	"strings"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/sip/simple"
)

// RFC 8048 §6.2 Table 1: XMPP presence -> PIDF.
func TestPresenceToPIDFTable1(t *testing.T) {
	phone := jid.MustParse("juliet@example.com/balcony")
	laptop := jid.MustParse("juliet@example.com/chamber")
	doc := PresenceToPIDF("sip:juliet@example.com", []XMPPPresence{
		{From: phone, Show: "away", Status: "at the ball", Lang: "en", Priority: 1, HasPriority: true},
		{From: laptop, Type: PresenceUnavailable, Priority: -1, HasPriority: true},
	})
	if doc.Entity != "sip:juliet@example.com" || len(doc.Tuples) != 2 {
		t.Fatalf("doc %+v", doc)
	}
	a, b := doc.Tuples[0], doc.Tuples[1]
	// resourcepart -> tuple id with the ID- prefix (note 2).
	if a.ID != "ID-balcony" || b.ID != "ID-chamber" {
		t.Errorf("tuple ids %q %q", a.ID, b.ID)
	}
	// type: none -> open, unavailable -> closed (notes 4, 5).
	if a.Basic != "open" || b.Basic != "closed" {
		t.Errorf("basic %q %q", a.Basic, b.Basic)
	}
	// <show/> embedded (note 7), <status/> -> <note/> with xml:lang.
	if a.Show != "away" || len(a.Notes) != 1 || a.Notes[0] != (simple.Note{Lang: "en", Text: "at the ball"}) {
		t.Errorf("show/note %+v", a)
	}
	// priority 1 -> 0.007 (note 6); negative MUST NOT be mapped.
	if a.ContactPriority != "0.007" || b.ContactPriority != "" {
		t.Errorf("priorities %q %q", a.ContactPriority, b.ContactPriority)
	}
	out, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `<show xmlns="jabber:client">away</show>`) {
		t.Errorf("show not embedded as RFC 8048 recommends:\n%s", out)
	}
	// Nobody online: one closed tuple.
	if d := PresenceToPIDF("sip:x@y", nil); len(d.Tuples) != 1 || d.Tuples[0].Basic != "closed" {
		t.Errorf("offline doc %+v", d)
	}
}

// RFC 8048 §6.3 Table 2: PIDF -> XMPP presence.
func TestPIDFToPresenceTable2(t *testing.T) {
	body := `<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:romeo@example.net">
  <tuple id="ID-orchard"><status><basic>open</basic><show xmlns="jabber:client">dnd</show></status>
    <contact priority="0.992">sip:romeo@example.net</contact>
    <note xml:lang="en">Busy</note><note xml:lang="it">Occupato</note></tuple>
  <tuple id="desk"><status><basic>closed</basic></status></tuple>
  <tuple id="nobasic"><status/></tuple>
</presence>`
	doc, err := simple.ParsePIDF([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	from, to := jid.MustParse("romeo@example.net"), jid.MustParse("juliet@example.com")
	got := PIDFToPresence(doc, from, to, "it")
	if len(got) != 2 {
		t.Fatalf("got %d stanzas, want 2 (a tuple without basic is skipped): %+v", len(got), got)
	}
	p := got[0]
	if p.From.String() != "romeo@example.net/orchard" || p.Type != "" || p.Show != "dnd" || p.Status != "Occupato" || p.Lang != "it" ||
		!p.HasPriority || p.Priority != 126 {
		t.Errorf("open tuple -> %+v", p)
	}
	if q := got[1]; q.From.String() != "romeo@example.net/desk" || q.Type != PresenceUnavailable {
		t.Errorf("closed tuple -> %+v", q)
	}
}
