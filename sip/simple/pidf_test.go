package simple

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The RFC examples (RFC 3863 §4.2.2-§4.3.3, RFC 4480 §4, RFC 8048
// examples 4, 19 and 20) and what they mean.
func TestParsePIDFRFCExamples(t *testing.T) {
	one := func(id, contact, prio string) []Tuple {
		return []Tuple{{ID: id, Basic: "open", Contact: contact, ContactPriority: prio}}
	}
	tests := []struct {
		file string
		want *Presence
	}{
		{"pidf-rfc3863-4.2.2-prefixed.xml", &Presence{Entity: "pres:someone@example.com", Tuples: one("sg89ae", "tel:+09012345678", "0.8")}},
		{"pidf-rfc3863-4.2.2-default.xml", &Presence{Entity: "pres:someone@example.com", Tuples: one("sg89ae", "tel:+09012345678", "0.8")}},
		{"pidf-rfc3863-4.2.4-location.xml", &Presence{Entity: "pres:someone@example.com", Tuples: one("ub93s3", "im:someone@example.com", "")}},
		{"pidf-rfc3863-4.3.1.xml", &Presence{
			Entity: "pres:someone@example.com",
			Tuples: []Tuple{
				{
					ID: "bs35r9", Basic: "open", Contact: "im:someone@mobilecarrier.net", ContactPriority: "0.8",
					Notes: []Note{
						{Lang: "en", Text: "Don't Disturb Please!"},
						{Lang: "fr", Text: "Ne derangez pas, s'il vous plait"},
					},
					Timestamp: mustTime(t, "2001-10-27T16:49:29Z"),
				},
				{ID: "eg92n8", Basic: "open", Contact: "mailto:someone@example.com", ContactPriority: "1.0"},
			},
			Notes: []Note{{Text: "I'll be in Tokyo next week"}},
		}},
		{"pidf-rfc3863-4.3.2.xml", &Presence{
			Entity: "pres:someone@example.com",
			Tuples: []Tuple{
				{ID: "ck38g9", Basic: "open", Contact: "tel:+09012345678", ContactPriority: "0.65"},
				// The contact URI is on its own line: white space is
				// collapsed (xs:anyURI).
				{ID: "md66je", Basic: "open", Contact: "im:someone@mobilecarrier.net", ContactPriority: "1.0"},
			},
		}},
		// The mustUnderstand extension is outside <status>: ignored.
		{"pidf-rfc3863-4.3.3.xml", &Presence{Entity: "pres:someone@example.com", Tuples: one("tj25ds", "tel:+09012345678", "0.725")}},
		{"pidf-rfc4480-4-rpid.xml", &Presence{
			Entity: "pres:someone@example.com",
			Tuples: []Tuple{
				{
					ID: "bs35r9", Basic: "open", Contact: "im:someone@mobile.example.net", ContactPriority: "0.8",
					Notes: []Note{
						{Lang: "en", Text: "Don't Disturb Please!"},
						{Lang: "fr", Text: "Ne derangez pas, s'il vous plait"},
					},
					Timestamp: mustTime(t, "2005-10-27T16:49:29Z"),
				},
				{ID: "ty4658", Basic: "open", Contact: "mailto:secretary@example.com", ContactPriority: "1.0"},
				{ID: "eg92n8", Basic: "open", Contact: "mailto:someone@example.com", ContactPriority: "1.0"},
			},
			Notes: []Note{{Text: "I'll be in Tokyo next week"}},
			// <rpid:note> inside <activities> and the device note are not
			// person notes; <rpid:unknown/> under <privacy> is not an
			// activity.
			Persons: []Person{{ID: "p1", Activities: []string{"away"}, Notes: []Note{{Text: "Scoring 120"}}}},
		}},
		{"pidf-rfc8048-example4.xml", &Presence{
			Entity: "pres:romeo@example.net",
			Tuples: []Tuple{{ID: "ID-dr4hcr0st3lup4c", Basic: "open", Show: "away"}},
		}},
		{"pidf-rfc8048-example19.xml", &Presence{
			Entity: "pres:juliet@example.com",
			Tuples: []Tuple{{ID: "ID-yn0cl4bnw0yr3vym", Basic: "open", Show: "away"}},
		}},
		{"pidf-rfc8048-example20.xml", &Presence{
			Entity: "pres:romeo@example.net",
			Tuples: []Tuple{{ID: "ID-dr4hcr0st3lup4c", Basic: "closed"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in := readTestdata(t, tt.file)
			got, err := ParsePIDF(in)
			if err != nil {
				t.Fatal(err)
			}
			if !same(got, tt.want) {
				t.Fatalf("ParsePIDF:\n got %+v\nwant %+v", got, tt.want)
			}
			// CRLF line ends mean the same.
			crlf, err := ParsePIDF([]byte(strings.ReplaceAll(string(in), "\n", "\r\n")))
			if err != nil || !same(crlf, tt.want) {
				t.Fatalf("CRLF: %v\n got %+v", err, crlf)
			}
			// Round trip: what Marshal writes parses back the same.
			out, err := got.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			again, err := ParsePIDF(out)
			if err != nil {
				t.Fatalf("re-parse: %v\n%s", err, out)
			}
			if !same(again, tt.want) {
				t.Fatalf("round trip:\n got %+v\nwant %+v\n%s", again, tt.want, out)
			}
		})
	}
}

// Marshal output, byte for byte: the RFC 8048 §6.2 show embedding, RPID
// and data-model namespaces only when used, escaping.
func TestPIDFMarshalGolden(t *testing.T) {
	tests := []struct {
		name string
		p    *Presence
	}{
		// RFC 8048 Example 19: XMPP presence with <show>away</show>.
		{"pidf-show.xml", &Presence{
			Entity: "pres:juliet@example.com",
			Tuples: []Tuple{{ID: TupleID("yn0cl4bnw0yr3vym"), Basic: "open", Show: "away"}},
		}},
		// RFC 8048 §5.3.3: basic closed.
		{"pidf-closed.xml", &Presence{
			Entity: "pres:romeo@example.net",
			Tuples: []Tuple{{ID: "ID-dr4hcr0st3lup4c", Basic: "closed"}},
		}},
		{"pidf-full.xml", &Presence{
			Entity: "sip:alice@example.com",
			Tuples: []Tuple{
				{
					ID: "ID-phone", Basic: "open", Show: "dnd", Contact: "sip:alice@example.com;gr=phone",
					ContactPriority: "0.992",
					Notes:           []Note{{Lang: "en", Text: `In a meeting <until 3 & "later">`}, {Lang: "fr", Text: "En réunion\nligne 2"}},
					Timestamp:       time.Date(2024, 5, 6, 7, 8, 9, 120000000, time.FixedZone("", 2*3600)),
				},
				{ID: "ID-desk", Basic: "closed"},
				{ID: "ID-empty"},
			},
			Notes:   []Note{{Text: "presence note"}},
			Persons: []Person{{ID: "p1", Activities: []string{"busy", "on-the-phone"}, Notes: []Note{{Lang: "de", Text: "Telefoniert"}}}},
		}},
		{"pidf-person-no-rpid.xml", &Presence{
			Entity:  "pres:bob@example.org",
			Persons: []Person{{ID: "p", Notes: []Note{{Text: "only a note"}}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.p.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, out)
			back, err := ParsePIDF(out)
			if err != nil {
				t.Fatalf("re-parse: %v\n%s", err, out)
			}
			if !same(back, tt.p) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", back, tt.p)
			}
		})
	}
}

// What PIDF allows but the model reads in a particular way.
func TestParsePIDFTolerance(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	tests := []struct {
		name string
		in   string
		want *Presence
	}{
		{"prefix for show", `<p:presence xmlns:p="urn:ietf:params:xml:ns:pidf" xmlns:j="jabber:client" entity="pres:a@b"><p:tuple id="t"><p:status><p:basic>open</p:basic><j:show> xa </j:show></p:status></p:tuple></p:presence>`,
			&Presence{Entity: "pres:a@b", Tuples: []Tuple{{ID: "t", Basic: "open", Show: "xa"}}}},
		{"unknown show value ignored", `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@b"><tuple id="t"><status><show xmlns="jabber:client">sleeping</show></status></tuple></presence>`,
			&Presence{Entity: "pres:a@b", Tuples: []Tuple{{ID: "t"}}}},
		{"show outside jabber:client ignored", `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@b"><tuple id="t"><status><basic>open</basic><show>away</show></status></tuple></presence>`,
			&Presence{Entity: "pres:a@b", Tuples: []Tuple{{ID: "t", Basic: "open"}}}},
		{"mustUnderstand extension in status ignored", `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:x="urn:x" entity="pres:a@b"><tuple id="t"><status><basic>closed</basic><x:y mustUnderstand="1"><x:z/></x:y></status></tuple></presence>`,
			&Presence{Entity: "pres:a@b", Tuples: []Tuple{{ID: "t", Basic: "closed"}}}},
		{"unknown pidf element ignored", `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@b"><future><tuple id="inner"><status/></tuple></future></presence>`,
			&Presence{Entity: "pres:a@b"}},
		{"out of range priority dropped", `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@b"><tuple id="t"><status><basic>open</basic></status><contact priority="1.5">sip:a@b</contact></tuple></presence>`,
			&Presence{Entity: "pres:a@b", Tuples: []Tuple{{ID: "t", Basic: "open", Contact: "sip:a@b"}}}},
		{"inherited xml:lang", `<presence xmlns="urn:ietf:params:xml:ns:pidf" xml:lang="de" entity="pres:a@b"><tuple id="t" xml:lang="fr"><status/><note>fr</note><note xml:lang="en">en</note></tuple><note>de</note></presence>`,
			&Presence{Entity: "pres:a@b", Tuples: []Tuple{{ID: "t", Notes: []Note{{Lang: "fr", Text: "fr"}, {Lang: "en", Text: "en"}}}}, Notes: []Note{{Lang: "de", Text: "de"}}}},
		{"note text kept verbatim", `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@b"><note>  a &amp; b&#xD;<!-- c --> d </note></presence>`,
			&Presence{Entity: "pres:a@b", Notes: []Note{{Text: "  a & b\r d "}}}},
		{"person before tuple, activities merged", `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:r="urn:ietf:params:xml:ns:pidf:rpid" entity="pres:a@b"><dm:person id="p"><r:activities><r:meal/><r:other>x</r:other></r:activities><r:activities><r:meal/><r:vacation/></r:activities></dm:person><tuple id="t"><status><basic>open</basic></status></tuple></presence>`,
			&Presence{Entity: "pres:a@b", Tuples: []Tuple{{ID: "t", Basic: "open"}}, Persons: []Person{{ID: "p", Activities: []string{"meal", "vacation"}}}}},
		{"comments and PIs around root", `<!-- c --><?pi x?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity=" pres:a@b "/><!-- d -->` + "\n",
			&Presence{Entity: "pres:a@b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePIDF([]byte(head + tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !same(got, tt.want) {
				t.Fatalf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParsePIDFErrors(t *testing.T) {
	const ns = `xmlns="urn:ietf:params:xml:ns:pidf"`
	many := func(n int, f func(i int) string) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(f(i))
		}
		return b.String()
	}
	tests := []struct {
		name  string
		in    string
		limit bool
	}{
		{"empty", ``, false},
		{"not XML", `hello`, false},
		{"wrong root", `<presence xmlns="urn:ietf:params:xml:ns:pidf:x" entity="pres:a@b"/>`, false},
		{"no namespace", `<presence entity="pres:a@b"/>`, false},
		{"no entity", `<presence ` + ns + `/>`, false},
		{"tuple without id", `<presence ` + ns + ` entity="e"><tuple><status/></tuple></presence>`, false},
		{"tuple without status", `<presence ` + ns + ` entity="e"><tuple id="t"/></presence>`, false},
		{"two status", `<presence ` + ns + ` entity="e"><tuple id="t"><status/><status/></tuple></presence>`, false},
		{"bad basic", `<presence ` + ns + ` entity="e"><tuple id="t"><status><basic>away</basic></status></tuple></presence>`, false},
		{"two basic", `<presence ` + ns + ` entity="e"><tuple id="t"><status><basic>open</basic><basic>open</basic></status></tuple></presence>`, false},
		{"two show", `<presence ` + ns + ` entity="e"><tuple id="t"><status><show xmlns="jabber:client">away</show><show xmlns="jabber:client">xa</show></status></tuple></presence>`, false},
		{"element in basic", `<presence ` + ns + ` entity="e"><tuple id="t"><status><basic><b/>open</basic></status></tuple></presence>`, false},
		{"duplicate tuple id", `<presence ` + ns + ` entity="e"><tuple id="t"><status/></tuple><tuple id="t"><status/></tuple></presence>`, false},
		{"two contacts", `<presence ` + ns + ` entity="e"><tuple id="t"><status/><contact>a</contact><contact>b</contact></tuple></presence>`, false},
		{"bad timestamp", `<presence ` + ns + ` entity="e"><tuple id="t"><status/><timestamp>yesterday</timestamp></tuple></presence>`, false},
		{"two timestamps", `<presence ` + ns + ` entity="e"><tuple id="t"><status/><timestamp>2001-10-27T16:49:29Z</timestamp><timestamp>2001-10-27T16:49:29Z</timestamp></tuple></presence>`, false},
		{"person without id", `<presence ` + ns + ` entity="e"><person xmlns="urn:ietf:params:xml:ns:pidf:data-model"/></presence>`, false},
		{"unclosed", `<presence ` + ns + ` entity="e"><tuple id="t">`, false},
		{"mismatched tags", `<presence ` + ns + ` entity="e"></tuple>`, false},
		{"DOCTYPE", `<!DOCTYPE presence [<!ENTITY x "y">]><presence ` + ns + ` entity="e"/>`, false},
		{"entity reference", `<presence ` + ns + ` entity="&x;"/>`, false},
		{"external entity", `<!DOCTYPE p SYSTEM "file:///etc/passwd"><presence ` + ns + ` entity="e"/>`, false},
		{"two roots", `<presence ` + ns + ` entity="e"/><presence ` + ns + ` entity="e"/>`, false},
		{"text after root", `<presence ` + ns + ` entity="e"/>junk`, false},
		{"text before root", `junk<presence ` + ns + ` entity="e"/>`, false},
		{"latin-1", `<?xml version="1.0" encoding="ISO-8859-1"?><presence ` + ns + ` entity="e"/>`, false},
		{"bad UTF-8", "<presence " + ns + " entity=\"e\"><note>\xff</note></presence>", false},
		{"control character", "<presence " + ns + " entity=\"e\"><note>\x01</note></presence>", false},
		{"too many tuples", `<presence ` + ns + ` entity="e">` + many(MaxTuples+1, func(i int) string { return fmt.Sprintf(`<tuple id="t%d"><status/></tuple>`, i) }) + `</presence>`, true},
		{"too many notes", `<presence ` + ns + ` entity="e">` + many(MaxNotes+1, func(int) string { return `<note>n</note>` }) + `</presence>`, true},
		{"too many tuple notes", `<presence ` + ns + ` entity="e"><tuple id="t"><status/>` + many(MaxNotes+1, func(int) string { return `<note>n</note>` }) + `</tuple></presence>`, true},
		{"too many persons", `<presence ` + ns + ` entity="e">` + many(MaxPersons+1, func(i int) string {
			return fmt.Sprintf(`<person xmlns="urn:ietf:params:xml:ns:pidf:data-model" id="p%d"/>`, i)
		}) + `</presence>`, true},
		{"too many activities", `<presence ` + ns + ` entity="e"><person xmlns="urn:ietf:params:xml:ns:pidf:data-model" id="p"><r:activities xmlns:r="urn:ietf:params:xml:ns:pidf:rpid">` +
			many(MaxActivities+1, func(i int) string { return "<r:" + rpidActivities[i] + "/>" }) + `</r:activities></person></presence>`, true},
		{"too deep", `<presence ` + ns + ` entity="e"><x xmlns="urn:x">` + strings.Repeat("<a>", maxXMLDepth) + strings.Repeat("</a>", maxXMLDepth) + `</x></presence>`, true},
		{"too many elements", `<presence ` + ns + ` entity="e"><x xmlns="urn:x">` + strings.Repeat("<a/>", maxXMLElements) + `</x></presence>`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePIDF([]byte(tt.in))
			wantErr(t, err, ErrMalformed, "pidf")
			if tt.limit {
				wantErr(t, err, ErrLimit, "pidf")
			}
		})
	}
}

func TestPIDFMarshalInvalid(t *testing.T) {
	ok := func() *Presence {
		return &Presence{Entity: "pres:a@b", Tuples: []Tuple{{ID: "t", Basic: "open"}}}
	}
	tests := []struct {
		name string
		edit func(p *Presence)
	}{
		{"no entity", func(p *Presence) { p.Entity = "" }},
		{"no tuple id", func(p *Presence) { p.Tuples[0].ID = "" }},
		{"duplicate tuple id", func(p *Presence) { p.Tuples = append(p.Tuples, p.Tuples[0]) }},
		{"bad basic", func(p *Presence) { p.Tuples[0].Basic = "away" }},
		{"bad show", func(p *Presence) { p.Tuples[0].Show = "busy" }},
		{"bad priority", func(p *Presence) { p.Tuples[0].ContactPriority = "0.5000" }},
		{"priority above 1", func(p *Presence) { p.Tuples[0].ContactPriority = "1.5" }},
		{"control character", func(p *Presence) { p.Tuples[0].Notes = []Note{{Text: "a\x00b"}} }},
		{"bad UTF-8", func(p *Presence) { p.Notes = []Note{{Text: "\xff"}} }},
		{"non-character", func(p *Presence) { p.Entity = "pres:\uFFFE" }},
		{"person without id", func(p *Presence) { p.Persons = []Person{{}} }},
		{"unknown activity", func(p *Presence) { p.Persons = []Person{{ID: "p", Activities: []string{"dancing"}}} }},
		{"repeated activity", func(p *Presence) { p.Persons = []Person{{ID: "p", Activities: []string{"away", "away"}}} }},
		{"year 10000", func(p *Presence) { p.Tuples[0].Timestamp = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"too many tuples", func(p *Presence) {
			p.Tuples = nil
			for i := range MaxTuples + 1 {
				p.Tuples = append(p.Tuples, Tuple{ID: fmt.Sprint(i)})
			}
		}},
		{"too many notes", func(p *Presence) { p.Tuples[0].Notes = make([]Note, MaxNotes+1) }},
	}
	if _, err := ok().Marshal(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok()
			tt.edit(p)
			out, err := p.Marshal()
			wantErr(t, err, ErrInvalid, "pidf")
			if out != nil {
				t.Fatal("output with an error")
			}
		})
	}
}

func TestQValue(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "1": true, "0.": true, "0.5": true, "0.021": true, "1.00": true, "1.000": true, "0.999": true,
		"": false, "0.5000": false, "1.001": false, "1.5": false, "2": false, ".5": false, "0,5": false, "-0": false, "01": false, "0.a": false,
	} {
		if got := validQValue(s); got != want {
			t.Errorf("validQValue(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestRPIDActivities(t *testing.T) {
	a := RPIDActivities()
	if len(a) != 26 || !isRPIDActivity("on-the-phone") || isRPIDActivity("other") {
		t.Fatalf("RPIDActivities = %v", a)
	}
	a[0] = "changed"
	if RPIDActivities()[0] != "appointment" {
		t.Fatal("RPIDActivities shares its slice")
	}
}
