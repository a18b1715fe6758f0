package simple

import (
	"strings"
	"testing"
	"time"
)

// RFC 3994 §5 examples.
func TestParseIsComposingRFCExamples(t *testing.T) {
	tests := []struct {
		file string
		want *IsComposing
	}{
		{"iscomposing-rfc3994-5-active.xml", &IsComposing{State: StateActive, ContentType: "text/plain", Refresh: 90}},
		{"iscomposing-rfc3994-5-idle.xml", &IsComposing{State: StateIdle, LastActive: mustTime(t, "2003-01-27T10:43:00Z"), ContentType: "audio"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseIsComposing(readTestdata(t, tt.file))
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
			again, err := ParseIsComposing(out)
			if err != nil || !same(again, tt.want) {
				t.Fatalf("round trip: %v\n got %+v\n%s", err, again, out)
			}
		})
	}
}

func TestIsComposingMarshalGolden(t *testing.T) {
	tests := []struct {
		name string
		c    *IsComposing
	}{
		// XEP-0085 composing -> active (RFC 7573 §6 Table 4).
		{"iscomposing-active.xml", &IsComposing{State: StateActive, ContentType: "text/plain", Refresh: 60}},
		{"iscomposing-idle.xml", &IsComposing{State: StateIdle, LastActive: time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("", -5*3600))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, out)
			back, err := ParseIsComposing(out)
			if err != nil || !same(back, tt.c) {
				t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, back, tt.c)
			}
		})
	}
}

func TestParseIsComposing(t *testing.T) {
	const open = `<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing">`
	tests := []struct {
		name string
		in   string
		want *IsComposing
	}{
		// RFC 3994 §3.5: tokens other than idle and active mean idle.
		{"unknown state is idle", open + `<state>typing</state></isComposing>`, &IsComposing{State: StateIdle}},
		{"white space", open + "<state>\n active </state><refresh> 120 </refresh></isComposing>", &IsComposing{State: StateActive, Refresh: 120}},
		{"extension ignored", open + `<state>active</state><x:y xmlns:x="urn:x"><x:z/></x:y></isComposing>`, &IsComposing{State: StateActive}},
		{"prefixed", `<ic:isComposing xmlns:ic="urn:ietf:params:xml:ns:im-iscomposing"><ic:state>idle</ic:state></ic:isComposing>`, &IsComposing{State: StateIdle}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIsComposing([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !same(got, tt.want) {
				t.Fatalf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseIsComposingErrors(t *testing.T) {
	const open = `<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing">`
	for name, in := range map[string]string{
		"empty":              ``,
		"wrong namespace":    `<isComposing xmlns="urn:ietf:params:xml:ns:im-composing"><state>idle</state></isComposing>`,
		"no state":           open + `<refresh>60</refresh></isComposing>`,
		"two states":         open + `<state>idle</state><state>active</state></isComposing>`,
		"unknown element":    open + `<state>idle</state><typing/></isComposing>`,
		"zero refresh":       open + `<state>idle</state><refresh>0</refresh></isComposing>`,
		"negative refresh":   open + `<state>idle</state><refresh>-5</refresh></isComposing>`,
		"huge refresh":       open + `<state>idle</state><refresh>99999999999</refresh></isComposing>`,
		"bad lastactive":     open + `<state>idle</state><lastactive>now</lastactive></isComposing>`,
		"child in state":     open + `<state><b/>idle</state></isComposing>`,
		"DOCTYPE":            `<!DOCTYPE isComposing>` + open + `<state>idle</state></isComposing>`,
		"unclosed":           open + `<state>idle</state>`,
		"too deep extension": open + `<state>idle</state><x xmlns="urn:x">` + strings.Repeat("<a>", maxXMLDepth) + strings.Repeat("</a>", maxXMLDepth) + `</x></isComposing>`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseIsComposing([]byte(in))
			wantErr(t, err, ErrMalformed, "iscomposing")
		})
	}
}

func TestIsComposingMarshalInvalid(t *testing.T) {
	for name, c := range map[string]*IsComposing{
		"no state":          {},
		"unknown state":     {State: "typing"},
		"negative":          {State: StateActive, Refresh: -1},
		"bad content":       {State: StateActive, ContentType: "\x00"},
		"year out of range": {State: StateIdle, LastActive: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := c.Marshal()
			wantErr(t, err, ErrInvalid, "iscomposing")
			if out != nil {
				t.Fatal("output with an error")
			}
		})
	}
}
