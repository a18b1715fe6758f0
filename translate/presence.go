package translate

import (
	"strings"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/sip/simple"
)

// ContentTypePIDF is the presence document type (RFC 3863).
const ContentTypePIDF = "application/pidf+xml"

// PresenceToPIDF maps the current presence of an XMPP user's resources to
// one PIDF document for a SIP watcher (RFC 8048 §6.2, Table 1): one tuple
// per resource with id "ID-"+resourcepart, no type -> basic open,
// unavailable -> closed, <status/> -> <note/> with its language, <show/>
// embedded in <status> as note 7 recommends, non-negative <priority/> ->
// contact priority (note 6). entity is the presentity's SIP URI. With no
// resource at all the presentity is offline: one closed tuple.
func PresenceToPIDF(entity string, resources []XMPPPresence) *simple.Presence {
	p := &simple.Presence{Entity: entity}
	for _, r := range resources {
		t := simple.Tuple{ID: simple.TupleID(tupleResource(r.From)), Basic: "open", Show: r.Show, Contact: entity}
		if r.Type == PresenceUnavailable {
			t.Basic, t.Show = "closed", ""
		}
		if r.Status != "" {
			t.Notes = []simple.Note{{Lang: r.Lang, Text: r.Status}}
		}
		if r.HasPriority {
			if q, ok := simple.FormatPriority(int(r.Priority)); ok {
				t.ContactPriority = q
			}
		}
		p.Tuples = append(p.Tuples, t)
	}
	if len(p.Tuples) == 0 {
		p.Tuples = []simple.Tuple{{ID: simple.TupleID("offline"), Basic: "closed"}}
	}
	return p
}

// tupleResource is the resourcepart a tuple id is built from; a bare JID
// (presence from the account itself) gets a fixed name.
func tupleResource(j jid.JID) string {
	if r := j.Resourcepart(); r != "" {
		return tupleIDSafe(r)
	}
	return "default"
}

// tupleIDSafe keeps the characters xs:ID allows after the prefix (NCName:
// letters, digits, '.', '-', '_'); others become '_'.
func tupleIDSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		case r > 0x7f:
			return r
		}
		return '_'
	}, s)
}

// PIDFToPresence maps a PIDF document from a SIP presentity to presence
// stanzas for an XMPP watcher (RFC 8048 §6.3, Table 2): one stanza per
// tuple, from the presentity with the tuple id's resource, basic open ->
// available and closed -> unavailable, <note/> -> <status/> (preferring
// lang), the embedded <show/> and the contact priority. A tuple without a
// basic status is skipped. from is the presentity's bare JID.
func PIDFToPresence(doc *simple.Presence, from, to jid.JID, lang string) []XMPPPresence {
	var out []XMPPPresence
	for _, t := range doc.Tuples {
		if t.Basic != "open" && t.Basic != "closed" {
			continue
		}
		src := from
		if res := simple.TupleResource(t.ID); res != "" {
			if full, err := from.WithResource(res); err == nil {
				src = full
			}
		}
		x := XMPPPresence{From: src, To: to}
		if t.Basic == "closed" {
			x.Type = PresenceUnavailable
		} else {
			x.Show = t.Show
		}
		notes := t.Notes
		if len(notes) == 0 {
			notes = doc.Notes
		}
		if n, ok := pickNote(notes, lang); ok {
			x.Status, x.Lang = n.Text, n.Lang
		}
		if pr, ok := simple.ParsePriority(t.ContactPriority); ok && x.Type == "" {
			x.Priority, x.HasPriority = int8(pr), true
		}
		out = append(out, x)
	}
	return out
}

// pickNote returns the note in lang, else one without a language, else
// the first.
func pickNote(notes []simple.Note, lang string) (simple.Note, bool) {
	if len(notes) == 0 {
		return simple.Note{}, false
	}
	for _, n := range notes {
		if lang != "" && strings.EqualFold(n.Lang, lang) {
			return n, true
		}
	}
	for _, n := range notes {
		if n.Lang == "" {
			return n, true
		}
	}
	return notes[0], true
}
