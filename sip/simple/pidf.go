package simple

import (
	"encoding/xml"
	"slices"
	"time"
)

// ContentTypePIDF is the media type of PIDF documents (RFC 3863 §3.1).
const ContentTypePIDF = "application/pidf+xml"

// XML namespaces of PIDF and the extensions this package reads.
const (
	nsPIDF         = "urn:ietf:params:xml:ns:pidf"            // RFC 3863 §4.2.2
	nsDataModel    = "urn:ietf:params:xml:ns:pidf:data-model" // RFC 4479 (<person>)
	nsRPID         = "urn:ietf:params:xml:ns:pidf:rpid"       // RFC 4480 §3.1
	nsJabberClient = "jabber:client"                          // RFC 8048 §6.2 note 7
)

// Presence is a PIDF document (RFC 3863 §4.1.1) with the parts of RPID
// (RFC 4480) and of the RFC 8048 §6 mapping that the gateway uses.
// Everything else in a document (other extensions, <device> elements, RPID
// elements other than activities) is ignored on parsing, as RFC 3863
// §4.2.3 requires of unrecognized elements.
type Presence struct {
	// Entity is the presentity, the 'entity' attribute: a pres: or sip:
	// URI. Required.
	Entity string
	// Tuples are the presence tuples, in document order (at most
	// MaxTuples).
	Tuples []Tuple
	// Notes are the presence-level notes (at most MaxNotes).
	Notes []Note
	// Persons are the data-model <person> elements (RFC 4479) carrying
	// RPID activities (at most MaxPersons).
	Persons []Person
}

// Tuple is a PIDF <tuple> (RFC 3863 §4.1.2).
type Tuple struct {
	// ID is the tuple id, unique in the document. RFC 8048 §6.2 note 2:
	// for an XMPP resource it is "ID-" + resourcepart (TupleID).
	ID string
	// Basic is the <basic> status: "open", "closed" or "" when absent
	// (RFC 3863 §4.1.4).
	Basic string
	// Show is the XMPP <show xmlns='jabber:client'/> embedded in <status>
	// as RFC 8048 §6.2 note 7 recommends: "away", "chat", "dnd", "xa" or
	// "" (RFC 6121 §4.7.2.1). Other values are ignored when parsing.
	Show string
	// Contact is the <contact> URI, "" if absent.
	Contact string
	// ContactPriority is the contact's 'priority' attribute as written, a
	// decimal between 0 and 1 with at most three decimals (RFC 3863
	// §4.1.5), "" if absent. An out-of-range value is dropped when parsing,
	// as §4.1.5 says. See FormatPriority and ParsePriority for the RFC 8048
	// mapping to XMPP priorities.
	ContactPriority string
	// Notes are the tuple's notes (at most MaxNotes).
	Notes []Note
	// Timestamp is the <timestamp> (RFC 3863 §4.1.7); zero if absent.
	Timestamp time.Time
}

// Note is a PIDF <note> with its language (RFC 3863 §4.1.6). Lang is the
// xml:lang in scope ("" if none); Text is kept exactly as written.
type Note struct {
	Lang, Text string
}

// Person is a data-model <person> (RFC 4479 §3.1) with its RPID activities
// (RFC 4480 §3.2) and notes.
type Person struct {
	// ID is the person's id attribute. Required.
	ID string
	// Activities are the RPID activity names in document order, each once:
	// "away", "busy", "on-the-phone", "meal", "vacation", ... (the
	// enumeration of RFC 4480 §3.2, see RPIDActivities). <other> and
	// activities from other namespaces are ignored.
	Activities []string
	// Notes are the person's data-model notes (at most MaxNotes).
	Notes []Note
}

// rpidActivities is the activity enumeration of RFC 4480 §3.2, sorted.
var rpidActivities = []string{
	"appointment", "away", "breakfast", "busy", "dinner", "holiday",
	"in-transit", "looking-for-work", "lunch", "meal", "meeting",
	"on-the-phone", "performance", "permanent-absence", "playing",
	"presentation", "shopping", "sleeping", "spectator", "steering",
	"travel", "tv", "unknown", "vacation", "working", "worship",
}

// RPIDActivities returns the activity names of RFC 4480 §3.2 (without
// <other>), sorted. The result is a fresh copy.
func RPIDActivities() []string { return slices.Clone(rpidActivities) }

func isRPIDActivity(s string) bool {
	_, ok := slices.BinarySearch(rpidActivities, s)
	return ok
}

// isShow reports whether s is an XMPP <show/> value (RFC 6121 §4.7.2.1).
func isShow(s string) bool {
	return s == "away" || s == "chat" || s == "dnd" || s == "xa"
}

// ParsePIDF parses an application/pidf+xml document.
//
// It is strict on what PIDF requires (the root <presence> in the PIDF
// namespace with an entity, tuples with a unique id and exactly one
// <status>, <basic> open or closed, at most one <contact> and <timestamp>
// per tuple, RFC 3339 timestamps) and ignores unknown elements and
// extensions, including mustUnderstand ones (RFC 3863 §4.2.3: such an
// element is itself not processed). Element order is not enforced.
// The size of b is the caller's concern; counts and nesting are bounded
// (limits.go).
func ParsePIDF(b []byte) (*Presence, error) {
	const codec = "pidf"
	r := newXMLReader(codec, b)
	root, err := r.root(nsPIDF, "presence")
	if err != nil {
		return nil, err
	}
	p := &Presence{}
	entity, _ := attr(root, "", "entity")
	if p.Entity = collapse(entity); p.Entity == "" {
		return nil, malformed(codec, "<presence> without entity")
	}
	lang := xmlLang(root, "")
	for {
		se, ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		switch {
		case se.Name.Space == nsPIDF && se.Name.Local == "tuple":
			if len(p.Tuples) == MaxTuples {
				return nil, overLimit(codec, "too many tuples")
			}
			t, err := parseTuple(r, se, lang)
			if err != nil {
				return nil, err
			}
			for i := range p.Tuples {
				if p.Tuples[i].ID == t.ID {
					return nil, malformed(codec, "duplicate tuple id")
				}
			}
			p.Tuples = append(p.Tuples, t)
		case se.Name.Space == nsPIDF && se.Name.Local == "note":
			if p.Notes, err = parseNote(r, se, lang, p.Notes); err != nil {
				return nil, err
			}
		case se.Name.Space == nsDataModel && se.Name.Local == "person":
			if len(p.Persons) == MaxPersons {
				return nil, overLimit(codec, "too many persons")
			}
			pe, err := parsePerson(r, se, lang)
			if err != nil {
				return nil, err
			}
			p.Persons = append(p.Persons, pe)
		default:
			// RFC 3863 §4.2.3: unrecognized elements are ignored with
			// all their content.
			if err := r.skip(); err != nil {
				return nil, err
			}
		}
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	return p, nil
}

// parseNote reads a <note> (PIDF or data-model) and appends it to notes.
func parseNote(r *xmlReader, se xml.StartElement, lang string, notes []Note) ([]Note, error) {
	if len(notes) == MaxNotes {
		return nil, overLimit(r.codec, "too many notes")
	}
	text, err := r.text("note")
	if err != nil {
		return nil, err
	}
	return append(notes, Note{Lang: xmlLang(se, lang), Text: text}), nil
}

// parseTuple reads a <tuple> (RFC 3863 §4.1.2).
func parseTuple(r *xmlReader, se xml.StartElement, lang string) (Tuple, error) {
	var t Tuple
	id, _ := attr(se, "", "id")
	if t.ID = collapse(id); t.ID == "" {
		return t, malformed(r.codec, "<tuple> without id")
	}
	lang = xmlLang(se, lang)
	var status, contact, timestamp bool
	for {
		c, ok, err := r.next()
		if err != nil {
			return t, err
		}
		if !ok {
			break
		}
		if c.Name.Space != nsPIDF {
			if err := r.skip(); err != nil {
				return t, err
			}
			continue
		}
		switch c.Name.Local {
		case "status":
			if status {
				return t, malformed(r.codec, "<tuple> with more than one <status>")
			}
			status = true
			if err := parseStatus(r, &t); err != nil {
				return t, err
			}
		case "contact":
			if contact {
				return t, malformed(r.codec, "<tuple> with more than one <contact>")
			}
			contact = true
			if pr, ok := attr(c, "", "priority"); ok && validQValue(collapse(pr)) {
				t.ContactPriority = collapse(pr)
			}
			s, err := r.text("contact")
			if err != nil {
				return t, err
			}
			t.Contact = collapse(s)
		case "note":
			if t.Notes, err = parseNote(r, c, lang, t.Notes); err != nil {
				return t, err
			}
		case "timestamp":
			if timestamp {
				return t, malformed(r.codec, "<tuple> with more than one <timestamp>")
			}
			timestamp = true
			s, err := r.text("timestamp")
			if err != nil {
				return t, err
			}
			if t.Timestamp, err = parseTime(r.codec, "<timestamp>", collapse(s)); err != nil {
				return t, err
			}
		default:
			if err := r.skip(); err != nil {
				return t, err
			}
		}
	}
	if !status {
		return t, malformed(r.codec, "<tuple> without <status>")
	}
	return t, nil
}

// parseStatus reads a <status> (RFC 3863 §4.1.3) into t.
func parseStatus(r *xmlReader, t *Tuple) error {
	var basic, show bool
	for {
		c, ok, err := r.next()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		switch {
		case c.Name.Space == nsPIDF && c.Name.Local == "basic":
			if basic {
				return malformed(r.codec, "<status> with more than one <basic>")
			}
			basic = true
			s, err := r.text("basic")
			if err != nil {
				return err
			}
			switch s = collapse(s); s {
			case "open", "closed":
				t.Basic = s
			default:
				return malformed(r.codec, "<basic> is neither open nor closed")
			}
		case c.Name.Space == nsJabberClient && c.Name.Local == "show":
			// RFC 8048 §6.2 note 7 and §6.3 note 3.
			if show {
				return malformed(r.codec, "<status> with more than one <show>")
			}
			show = true
			s, err := r.text("show")
			if err != nil {
				return err
			}
			if s = collapse(s); isShow(s) {
				t.Show = s
			}
		default:
			if err := r.skip(); err != nil {
				return err
			}
		}
	}
}

// parsePerson reads a data-model <person> (RFC 4479 §3.1) for its RPID
// activities (RFC 4480 §3.2) and notes.
func parsePerson(r *xmlReader, se xml.StartElement, lang string) (Person, error) {
	var p Person
	id, _ := attr(se, "", "id")
	if p.ID = collapse(id); p.ID == "" {
		return p, malformed(r.codec, "<person> without id")
	}
	lang = xmlLang(se, lang)
	for {
		c, ok, err := r.next()
		if err != nil {
			return p, err
		}
		if !ok {
			return p, nil
		}
		switch {
		case c.Name.Space == nsRPID && c.Name.Local == "activities":
			if p.Activities, err = parseActivities(r, p.Activities); err != nil {
				return p, err
			}
		case c.Name.Space == nsDataModel && c.Name.Local == "note":
			if p.Notes, err = parseNote(r, c, lang, p.Notes); err != nil {
				return p, err
			}
		default:
			if err := r.skip(); err != nil {
				return p, err
			}
		}
	}
}

// parseActivities reads an RPID <activities> element, adding the
// activities not yet in acts. A person may carry several <activities>
// elements (with different from/until, RFC 4480 §3.1).
func parseActivities(r *xmlReader, acts []string) ([]string, error) {
	for {
		c, ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return acts, nil
		}
		if c.Name.Space != nsRPID || !isRPIDActivity(c.Name.Local) {
			// <note>, <other> and foreign activities.
			if err := r.skip(); err != nil {
				return nil, err
			}
			continue
		}
		if err := r.empty(c.Name.Local); err != nil {
			return nil, err
		}
		if slices.Contains(acts, c.Name.Local) {
			continue
		}
		if len(acts) == MaxActivities {
			return nil, overLimit(r.codec, "too many activities")
		}
		acts = append(acts, c.Name.Local)
	}
}

// validQValue reports whether s is a PIDF contact priority (RFC 3863 §4.4,
// type qvalue): 0(.[0-9]{0,3})? or 1(.0{0,3})?.
func validQValue(s string) bool {
	if len(s) == 0 || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return false
	}
	if len(s) == 1 {
		return true
	}
	if s[1] != '.' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' || (s[0] == '1' && s[i] != '0') {
			return false
		}
	}
	return true
}

// Marshal encodes p as an application/pidf+xml document: the PIDF
// namespace as default, the data-model and RPID namespaces declared only
// when persons (and activities) are present, and a tuple's Show as
// <show xmlns='jabber:client'/> inside <status> after <basic> (RFC 8048
// §6.2). It returns an error wrapping ErrInvalid for a value that would
// not be valid PIDF or would not parse back the same: no entity, a tuple
// or person without id, duplicate tuple ids, Basic, Show, ContactPriority
// or an activity outside their sets, counts beyond the limits, or text XML
// cannot carry. A tuple with neither Basic nor Show gets an empty <status/>.
func (p *Presence) Marshal() ([]byte, error) {
	const codec = "pidf"
	if p.Entity == "" {
		return nil, invalid(codec, "no entity")
	}
	if len(p.Tuples) > MaxTuples || len(p.Notes) > MaxNotes || len(p.Persons) > MaxPersons {
		return nil, invalid(codec, "too many tuples, notes or persons")
	}
	rpid := false
	for i := range p.Persons {
		if len(p.Persons[i].Activities) > 0 {
			rpid = true
		}
	}
	w := &xmlWriter{codec: codec, b: make([]byte, 0, 256+200*len(p.Tuples))}
	w.raw(xmlHeader)
	w.raw(`<presence xmlns="` + nsPIDF + `"`)
	if len(p.Persons) > 0 {
		w.raw(` xmlns:dm="` + nsDataModel + `"`)
	}
	if rpid {
		w.raw(` xmlns:rpid="` + nsRPID + `"`)
	}
	w.attr("entity", p.Entity)
	w.raw(">\n")
	for i := range p.Tuples {
		t := &p.Tuples[i]
		if err := t.validate(codec, p.Tuples[:i]); err != nil {
			return nil, err
		}
		w.raw("<tuple")
		w.attr("id", t.ID)
		w.raw(">")
		if t.Basic == "" && t.Show == "" {
			w.raw("<status/>")
		} else {
			w.raw("<status>")
			if t.Basic != "" {
				w.elem("basic", t.Basic)
			}
			if t.Show != "" {
				w.raw(`<show xmlns="` + nsJabberClient + `">` + t.Show + `</show>`)
			}
			w.raw("</status>")
		}
		if t.Contact != "" || t.ContactPriority != "" {
			w.raw("<contact")
			if t.ContactPriority != "" {
				w.attr("priority", t.ContactPriority)
			}
			w.raw(">")
			w.text("<contact>", t.Contact)
			w.raw("</contact>")
		}
		writeNotes(w, "note", t.Notes, "")
		if !t.Timestamp.IsZero() {
			w.time("timestamp", t.Timestamp)
		}
		w.raw("</tuple>\n")
	}
	writeNotes(w, "note", p.Notes, "\n")
	for i := range p.Persons {
		pe := &p.Persons[i]
		if pe.ID == "" {
			return nil, invalid(codec, "person without id")
		}
		if len(pe.Notes) > MaxNotes || len(pe.Activities) > MaxActivities {
			return nil, invalid(codec, "too many person notes or activities")
		}
		w.raw("<dm:person")
		w.attr("id", pe.ID)
		w.raw(">")
		if len(pe.Activities) > 0 {
			w.raw("<rpid:activities>")
			for j, a := range pe.Activities {
				if !isRPIDActivity(a) || slices.Contains(pe.Activities[:j], a) {
					return nil, invalid(codec, "unknown or repeated RPID activity")
				}
				w.raw("<rpid:" + a + "/>")
			}
			w.raw("</rpid:activities>")
		}
		writeNotes(w, "dm:note", pe.Notes, "")
		w.raw("</dm:person>\n")
	}
	w.raw("</presence>\n")
	return w.result()
}

// validate checks t against RFC 3863 and the tuples before it.
func (t *Tuple) validate(codec string, before []Tuple) error {
	switch {
	case t.ID == "":
		return invalid(codec, "tuple without id")
	case t.Basic != "" && t.Basic != "open" && t.Basic != "closed":
		return invalid(codec, "basic status is neither open nor closed")
	case t.Show != "" && !isShow(t.Show):
		return invalid(codec, "show is not away, chat, dnd or xa")
	case t.ContactPriority != "" && !validQValue(t.ContactPriority):
		return invalid(codec, "contact priority is not a qvalue")
	case len(t.Notes) > MaxNotes:
		return invalid(codec, "too many tuple notes")
	}
	for i := range before {
		if before[i].ID == t.ID {
			return invalid(codec, "duplicate tuple id")
		}
	}
	return nil
}

// writeNotes writes notes as <name xml:lang="...">text</name>, each
// followed by sep.
func writeNotes(w *xmlWriter, name string, notes []Note, sep string) {
	for _, n := range notes {
		w.raw("<" + name)
		if n.Lang != "" {
			w.attr("xml:lang", n.Lang)
		}
		w.raw(">")
		w.text("<note>", n.Text)
		w.raw("</" + name + ">" + sep)
	}
}
