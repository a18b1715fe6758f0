package jingle

import (
	"errors"
	"testing"
)

func TestMessageRoundTrip(t *testing.T) {
	tests := []struct {
		name, in string
		want     Message
	}{
		{"propose", `<propose xmlns='urn:xmpp:jingle-message:0' id='ca3cf894-5325-482f-a412-a6e9f832298d'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'/></propose>`,
			Message{Action: MessagePropose, ID: "ca3cf894-5325-482f-a412-a6e9f832298d", Descriptions: []RTPDescription{{Media: "audio"}}}},
		{"ringing", `<ringing xmlns='urn:xmpp:jingle-message:0' id='x'/>`, Message{Action: MessageRinging, ID: "x"}},
		{"proceed", `<proceed xmlns='urn:xmpp:jingle-message:0' id='x'/>`, Message{Action: MessageProceed, ID: "x"}},
		{"accept", `<accept xmlns='urn:xmpp:jingle-message:0' id='x'/>`, Message{Action: MessageAccept, ID: "x"}},
		{"retract", `<retract xmlns='urn:xmpp:jingle-message:0' id='x'><reason xmlns="urn:xmpp:jingle:1"><cancel/><text>Retracted</text></reason></retract>`,
			Message{Action: MessageRetract, ID: "x", Reason: &Reason{Condition: ConditionCancel, Text: "Retracted"}}},
		{"reject tie-break", `<reject xmlns='urn:xmpp:jingle-message:0' id='x'><reason xmlns="urn:xmpp:jingle:1"><expired/><text>Tie-Break</text></reason><tie-break/></reject>`,
			Message{Action: MessageReject, ID: "x", Reason: &Reason{Condition: ConditionExpired, Text: "Tie-Break"}, TieBreak: true}},
		{"finish", `<finish xmlns='urn:xmpp:jingle-message:0' id='x'><reason xmlns="urn:xmpp:jingle:1"><success/></reason></finish>`,
			Message{Action: MessageFinish, ID: "x", Reason: &Reason{Condition: ConditionSuccess}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := DecodeMessage([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if m.Action != tt.want.Action || m.ID != tt.want.ID || m.TieBreak != tt.want.TieBreak || len(m.Descriptions) != len(tt.want.Descriptions) ||
				(m.Reason == nil) != (tt.want.Reason == nil) || (m.Reason != nil && *m.Reason != *tt.want.Reason) {
				t.Fatalf("got %+v (reason %+v)", m, m.Reason)
			}
			out, err := m.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if d := diffTree(parseTree(t, []byte(tt.in), ""), parseTree(t, out, ""), ""); d != "" {
				t.Errorf("%s\n%s", d, out)
			}
		})
	}
}

func TestMessageBad(t *testing.T) {
	for _, in := range []string{
		`<propose xmlns='urn:xmpp:jingle-message:0' id='x'/>`,
		`<propose xmlns='urn:xmpp:jingle-message:0'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'/></propose>`,
		`<dance xmlns='urn:xmpp:jingle-message:0' id='x'/>`,
		`<proceed xmlns='urn:xmpp:jingle-message:1' id='x'/>`,
		`<reject xmlns='urn:xmpp:jingle-message:0' id='x'><reason xmlns="urn:xmpp:jingle:1"><text>no condition</text></reason></reject>`,
		`<propose xmlns='urn:xmpp:jingle-message:0' id='x'><description xmlns='urn:xmpp:jingle:apps:rtp:1'/></propose>`,
		`not xml`,
	} {
		if m, err := DecodeMessage([]byte(in)); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %+v %v", in, m, err)
		}
	}
}
