package simple

import (
	"fmt"
	"strings"
	"testing"
)

// RFC 4575 §7.1 and §7.2, RFC 7702 example 9 (no namespace).
func TestParseConferenceInfoRFCExamples(t *testing.T) {
	tests := []struct {
		file string
		want *ConferenceInfo
	}{
		{"conference-rfc4575-7.1-basic.xml", &ConferenceInfo{
			Entity: "sips:conf233@example.com", State: ConferenceFull, Version: 1,
			Description: &ConferenceDescription{Subject: "Agenda: This month's goals"},
			Users: &ConferenceUsers{State: ConferenceFull, Users: []ConferenceUser{
				{Entity: "sip:bob@example.com", State: ConferenceFull, DisplayText: "Bob Hoskins", Endpoints: []ConferenceEndpoint{{
					Entity: "sip:bob@pc33.example.com", State: ConferenceFull, DisplayText: "Bob's Laptop", Status: "disconnected",
					Media: []ConferenceMedia{{ID: "1", DisplayText: "main audio", Type: "audio", Label: "34567", SrcID: "432424", Status: "sendrecv"}},
				}}},
				{Entity: "sip:alice@example.com", State: ConferenceFull, DisplayText: "Alice", Endpoints: []ConferenceEndpoint{{
					Entity: "sip:4kfk4j392jsu@example.com;grid=433kj4j3u", State: ConferenceFull, Status: "connected",
					Media: []ConferenceMedia{{ID: "1", DisplayText: "main audio", Type: "audio", Label: "34567", SrcID: "534232", Status: "sendrecv"}},
				}}},
			}},
		}},
		{"conference-rfc4575-7.2-rich.xml", &ConferenceInfo{
			Entity: "sips:conf233@example.com", State: ConferencePartial, Version: 5,
			Description: &ConferenceDescription{
				DisplayText: "Weekly Sales Meeting", Subject: "Agenda: This month's goals",
				FreeText: "We will start strict on time", Keywords: "sales meeting weekly", MaximumUserCount: 100,
			},
			Users: &ConferenceUsers{State: ConferenceFull, Users: []ConferenceUser{{
				Entity: "sip:bob@example.com", State: ConferenceFull, DisplayText: "Bob Hoskins",
				AssociatedAORs: []string{"mailto:bob@example.com"}, Roles: []string{"participant"},
				Endpoints: []ConferenceEndpoint{{
					Entity: "sip:bob@pc33.example.com", State: ConferenceFull, DisplayText: "Bob's Laptop", Status: "disconnecting",
					Media: []ConferenceMedia{{ID: "1", DisplayText: "main audio", Type: "audio", Label: "34567", SrcID: "432424", Status: "sendrecv"}},
				}},
			}}},
		}},
		{"conference-rfc7702-example9.xml", &ConferenceInfo{
			Entity: "sip:3402934234@chat.example.org", State: ConferenceFull, Version: 0,
			Description: &ConferenceDescription{Subject: "Today in Verona"},
			Users: &ConferenceUsers{State: ConferenceFull, Users: []ConferenceUser{
				{
					Entity: "sip:montague@chat.example.org;gr=Romeo", State: ConferenceFull, DisplayText: "Romeo",
					Roles: []string{"participant"}, AssociatedAORs: []string{"xmpp:romeo@example.org/dr4hcr0st3lup4c"},
					Endpoints: []ConferenceEndpoint{{Entity: "sip:montague@chat.example.org;gr=Romeo", State: ConferenceFull, Status: "connected", Media: []ConferenceMedia{{ID: "211835820", Type: "message"}}}},
				},
				{
					Entity: "sip:montague@chat.example.org;gr=Ben", State: ConferenceFull, DisplayText: "Ben", Roles: []string{"participant"},
					Endpoints: []ConferenceEndpoint{{Entity: "sip:montague@chat.example.org;gr=Ben", State: ConferenceFull, Status: "connected", Media: []ConferenceMedia{{ID: "211835821", Type: "message"}}}},
				},
				{
					Entity: "sip:montague@chat.example.org;gr=JuliC", State: ConferenceFull, DisplayText: "JuliC", Roles: []string{"participant"},
					Endpoints: []ConferenceEndpoint{{Entity: "sip:montague@chat.example.org;gr=JuliC", State: ConferenceFull, Status: "connected", Media: []ConferenceMedia{{ID: "211835822", Type: "message"}}}},
				},
			}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseConferenceInfo(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !same(got, tt.want) {
				t.Fatalf("\n got %+v\nwant %+v", got, tt.want)
			}
			out, err := got.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			again, err := ParseConferenceInfo(out)
			if err != nil || !same(again, tt.want) {
				t.Fatalf("round trip: %v\n got %+v\n%s", err, again, out)
			}
		})
	}
}

func TestConferenceInfoMarshalGolden(t *testing.T) {
	tests := []struct {
		name string
		ci   *ConferenceInfo
	}{
		// A MUC roster as a full document (RFC 7702 §5 Table 2).
		{"conference-full.xml", &ConferenceInfo{
			Entity: "sip:room@conference.example.com", State: ConferenceFull, Version: 1,
			Description: &ConferenceDescription{Subject: "Today in Verona"},
			Users: &ConferenceUsers{State: ConferenceFull, Users: []ConferenceUser{{
				Entity: "sip:room@conference.example.com;gr=Romeo", State: ConferenceFull, DisplayText: "Romeo",
				AssociatedAORs: []string{"xmpp:romeo@example.org/phone"}, Roles: []string{"participant"},
				Endpoints: []ConferenceEndpoint{{
					Entity: "sip:room@conference.example.com;gr=Romeo", State: ConferenceFull, Status: "connected",
					Media: []ConferenceMedia{{ID: "1", Type: "message", Status: "sendrecv"}},
				}},
			}}},
		}},
		// An occupant leaves: a partial document deleting the user.
		{"conference-partial.xml", &ConferenceInfo{
			Entity: "sip:room@conference.example.com", State: ConferencePartial, Version: 2,
			Users: &ConferenceUsers{State: ConferencePartial, Users: []ConferenceUser{{Entity: "sip:room@conference.example.com;gr=Romeo", State: ConferenceDeleted}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.ci.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, out)
			back, err := ParseConferenceInfo(out)
			if err != nil || !same(back, tt.ci) {
				t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, back, tt.ci)
			}
		})
	}
}

func TestParseConferenceInfoErrors(t *testing.T) {
	const open = `<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="sip:c@x" state="full" version="1">`
	users := func(n int, f func(i int) string) string {
		var b strings.Builder
		b.WriteString(open + "<users>")
		for i := range n {
			b.WriteString(f(i))
		}
		b.WriteString("</users></conference-info>")
		return b.String()
	}
	tests := []struct {
		name  string
		in    string
		limit bool
	}{
		{"empty", ``, false},
		{"wrong namespace", `<conference-info xmlns="urn:x" entity="sip:c@x" version="1"/>`, false},
		{"no entity", `<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" version="1"/>`, false},
		{"no version", `<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="sip:c@x"/>`, false},
		{"bad version", `<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="sip:c@x" version="-1"/>`, false},
		{"version too big", `<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="sip:c@x" version="4294967296"/>`, false},
		{"bad state", `<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="sip:c@x" version="1" state="some"/>`, false},
		{"user without entity", open + `<users><user/></users></conference-info>`, false},
		{"duplicate user", open + `<users><user entity="a"/><user entity="a"/></users></conference-info>`, false},
		{"bad user state", open + `<users><user entity="a" state="gone"/></users></conference-info>`, false},
		{"duplicate endpoint", open + `<users><user entity="a"><endpoint entity="e"/><endpoint entity="e"/></user></users></conference-info>`, false},
		{"media without id", open + `<users><user entity="a"><endpoint entity="e"><media/></endpoint></user></users></conference-info>`, false},
		{"duplicate media", open + `<users><user entity="a"><endpoint entity="e"><media id="1"/><media id="1"/></endpoint></user></users></conference-info>`, false},
		{"repeated media type", open + `<users><user entity="a"><endpoint entity="e"><media id="1"><type>audio</type><type>video</type></media></endpoint></user></users></conference-info>`, false},
		{"two users elements", open + `<users/><users/></conference-info>`, false},
		{"bad maximum", open + `<conference-description><maximum-user-count>many</maximum-user-count></conference-description></conference-info>`, false},
		{"empty role", open + `<users><user entity="a"><roles><entry> </entry></roles></user></users></conference-info>`, false},
		{"DOCTYPE", `<!DOCTYPE x>` + open + `</conference-info>`, false},
		{"too many users", users(MaxConferenceUsers+1, func(i int) string { return fmt.Sprintf(`<user entity="u%d"/>`, i) }), true},
		{"too many endpoints", users(1, func(int) string {
			var b strings.Builder
			for i := range MaxConferenceEndpoints + 1 {
				fmt.Fprintf(&b, `<endpoint entity="e%d"/>`, i)
			}
			return `<user entity="u">` + b.String() + `</user>`
		}), true},
		{"too many media", users(1, func(int) string {
			var b strings.Builder
			for i := range MaxConferenceMedia + 1 {
				fmt.Fprintf(&b, `<media id="%d"/>`, i)
			}
			return `<user entity="u"><endpoint entity="e">` + b.String() + `</endpoint></user>`
		}), true},
		{"too many roles", users(1, func(int) string {
			return `<user entity="u"><roles>` + strings.Repeat("<entry>r</entry>", maxConferenceList+1) + `</roles></user>`
		}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConferenceInfo([]byte(tt.in))
			wantErr(t, err, ErrMalformed, "conference-info")
			if tt.limit {
				wantErr(t, err, ErrLimit, "conference-info")
			}
		})
	}
}

func TestConferenceInfoMarshalInvalid(t *testing.T) {
	ok := func() *ConferenceInfo {
		return &ConferenceInfo{Entity: "sip:c@x", State: ConferenceFull, Users: &ConferenceUsers{Users: []ConferenceUser{{
			Entity: "u", Endpoints: []ConferenceEndpoint{{Entity: "e", Media: []ConferenceMedia{{ID: "1"}}}},
		}}}}
	}
	tests := map[string]func(ci *ConferenceInfo){
		"no entity":          func(ci *ConferenceInfo) { ci.Entity = "" },
		"no state":           func(ci *ConferenceInfo) { ci.State = "" },
		"bad users state":    func(ci *ConferenceInfo) { ci.Users.State = "half" },
		"user without key":   func(ci *ConferenceInfo) { ci.Users.Users[0].Entity = "" },
		"duplicate user":     func(ci *ConferenceInfo) { ci.Users.Users = append(ci.Users.Users, ci.Users.Users[0]) },
		"bad status":         func(ci *ConferenceInfo) { ci.Users.Users[0].Endpoints[0].Status = "asleep" },
		"duplicate endpoint": func(ci *ConferenceInfo) { u := &ci.Users.Users[0]; u.Endpoints = append(u.Endpoints, u.Endpoints[0]) },
		"media without id":   func(ci *ConferenceInfo) { ci.Users.Users[0].Endpoints[0].Media[0].ID = "" },
		"bad media status":   func(ci *ConferenceInfo) { ci.Users.Users[0].Endpoints[0].Media[0].Status = "both" },
		"negative maximum":   func(ci *ConferenceInfo) { ci.Description = &ConferenceDescription{MaximumUserCount: -1} },
		"bad text":           func(ci *ConferenceInfo) { ci.Users.Users[0].DisplayText = "\x01" },
		"empty role":         func(ci *ConferenceInfo) { ci.Users.Users[0].Roles = []string{" "} },
	}
	if _, err := ok().Marshal(); err != nil {
		t.Fatal(err)
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			ci := ok()
			edit(ci)
			out, err := ci.Marshal()
			wantErr(t, err, ErrInvalid, "conference-info")
			if out != nil {
				t.Fatal("output with an error")
			}
		})
	}
}

// TestConferenceNicknameRoundTrip: the RFC 7701 §9.6 (Figure 7) users
// keep their xcon:nickname through parsing and marshalling.
func TestConferenceNicknameRoundTrip(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<conference-info xmlns="urn:ietf:params:xml:ns:conference-info"
 xmlns:xcon="urn:ietf:params:xml:ns:xcon-conference-info"
 entity="sip:chatroom22@chat.example.com" state="full" version="1">
 <conference-description><subject>MSRP nickname example</subject></conference-description>
 <users>
  <user entity="sip:bob@example.com" state="full" xcon:nickname="Dopey Donkey"><display-text>Bob Hoskins</display-text></user>
  <user entity="sip:alice@atlanta.example.com" state="full" xcon:nickname="Alice the great"><display-text>Alice Kay</display-text></user>
 </users>
</conference-info>`
	ci, err := ParseConferenceInfo([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := ci.Users.Users[1].Nickname; got != "Alice the great" {
		t.Fatalf("nickname = %q", got)
	}
	b, err := ci.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `xmlns:xcon="urn:ietf:params:xml:ns:xcon-conference-info"`) ||
		!strings.Contains(string(b), `xcon:nickname="Dopey Donkey"`) {
		t.Fatalf("marshalled without nicknames:\n%s", b)
	}
	again, err := ParseConferenceInfo(b)
	if err != nil {
		t.Fatal(err)
	}
	if again.Users.Users[0].Nickname != "Dopey Donkey" || again.Users.Users[1].DisplayText != "Alice Kay" {
		t.Fatalf("round trip lost data: %+v", again.Users.Users)
	}
}
