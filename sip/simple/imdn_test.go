package simple

import (
	"testing"
	"time"
)

// RFC 5438 §7.2.1.1, §7.2.1.2 and §8.1 examples.
func TestParseIMDNRFCExamples(t *testing.T) {
	base := IMDN{
		MessageID:            "34jk324j",
		DateTime:             mustTime(t, "2008-04-04T12:16:49-05:00"),
		RecipientURI:         "im:bob@example.com",
		OriginalRecipientURI: "im:bob@example.com",
	}
	with := func(f func(n *IMDN)) *IMDN { n := base; f(&n); return &n }
	tests := []struct {
		file string
		want *IMDN
	}{
		{"imdn-rfc5438-7.2.1.1-delivered.xml", with(func(n *IMDN) { n.Delivery = IMDNDelivered })},
		{"imdn-rfc5438-7.2.1.2-displayed.xml", with(func(n *IMDN) { n.Display = IMDNDisplayed })},
		{"imdn-rfc5438-8.1-processed.xml", with(func(n *IMDN) { n.Processing = IMDNProcessed })},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseIMDN(readTestdata(t, tt.file))
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
			again, err := ParseIMDN(out)
			if err != nil || !same(again, tt.want) {
				t.Fatalf("round trip: %v\n got %+v\n%s", err, again, out)
			}
		})
	}
}

func TestIMDNMarshalGolden(t *testing.T) {
	dt := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	tests := []struct {
		name string
		n    *IMDN
	}{
		// XEP-0184 <received/> -> delivered.
		{"imdn-delivered.xml", &IMDN{MessageID: "Xa9Ql0LXo2yB", DateTime: dt, RecipientURI: "sip:romeo@example.net", Delivery: IMDNDelivered}},
		// XEP-0333 <displayed/> -> displayed, with a subject.
		{"imdn-displayed.xml", &IMDN{MessageID: "m&1", DateTime: dt, Subject: "Re: <hi>", SubjectLang: "en", Display: IMDNDisplayed}},
		{"imdn-failed.xml", &IMDN{MessageID: "m2", DateTime: dt, RecipientURI: "sip:a@b", OriginalRecipientURI: "sip:list@b", Delivery: IMDNFailed}},
		{"imdn-none.xml", &IMDN{MessageID: "m3", DateTime: dt}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.n.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, out)
			back, err := ParseIMDN(out)
			if err != nil || !same(back, tt.n) {
				t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, back, tt.n)
			}
		})
	}
}

func TestParseIMDNErrors(t *testing.T) {
	const open = `<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>m</message-id><datetime>2008-04-04T12:16:49-05:00</datetime>`
	const ext = `<x:e xmlns:x="urn:x"/>`
	// Extensions in other namespaces are fine (RFC 5438 §11.1.9).
	if n, err := ParseIMDN([]byte(open + ext + `<delivery-notification>` + ext + `<status>` + ext + `<failed/></status></delivery-notification></imdn>`)); err != nil || n.Delivery != IMDNFailed {
		t.Fatalf("extensions: %+v, %v", n, err)
	}
	for name, in := range map[string]string{
		"empty":                 ``,
		"wrong root":            `<imdn xmlns="urn:ietf:params:xml:ns:imdn:x"/>`,
		"no message-id":         `<imdn xmlns="urn:ietf:params:xml:ns:imdn"><datetime>2008-04-04T12:16:49-05:00</datetime></imdn>`,
		"no datetime":           `<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>m</message-id></imdn>`,
		"bad datetime":          `<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>m</message-id><datetime>April</datetime></imdn>`,
		"two message-ids":       open + `<message-id>n</message-id></imdn>`,
		"two notifications":     open + `<delivery-notification><status><delivered/></status></delivery-notification><display-notification><status><displayed/></status></display-notification></imdn>`,
		"wrong status for type": open + `<display-notification><status><delivered/></status></display-notification></imdn>`,
		"unknown status":        open + `<delivery-notification><status><lost/></status></delivery-notification></imdn>`,
		"two statuses":          open + `<delivery-notification><status><delivered/><failed/></status></delivery-notification></imdn>`,
		"empty status":          open + `<delivery-notification><status/></delivery-notification></imdn>`,
		"no status":             open + `<delivery-notification/></imdn>`,
		"two status elements":   open + `<delivery-notification><status><delivered/></status><status><delivered/></status></delivery-notification></imdn>`,
		"unknown imdn element":  open + `<priority/></imdn>`,
		"DOCTYPE":               `<!DOCTYPE imdn>` + open + `</imdn>`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseIMDN([]byte(in))
			wantErr(t, err, ErrMalformed, "imdn")
		})
	}
}

func TestIMDNMarshalInvalid(t *testing.T) {
	dt := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for name, n := range map[string]*IMDN{
		"no message id":     {DateTime: dt},
		"no datetime":       {MessageID: "m"},
		"two types":         {MessageID: "m", DateTime: dt, Delivery: IMDNDelivered, Display: IMDNDisplayed},
		"wrong status":      {MessageID: "m", DateTime: dt, Display: IMDNDelivered},
		"unknown status":    {MessageID: "m", DateTime: dt, Processing: "lost"},
		"bad text":          {MessageID: "m\x00", DateTime: dt},
		"year out of range": {MessageID: "m", DateTime: time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := n.Marshal()
			wantErr(t, err, ErrInvalid, "imdn")
			if out != nil {
				t.Fatal("output with an error")
			}
		})
	}
}
