package jingle

import (
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// decodeIQ returns the <jingle/> of a vector IQ.
func decodeIQ(t *testing.T, data []byte) *Jingle {
	t.Helper()
	var iq struct {
		Jingle *Jingle `xml:"urn:xmpp:jingle:1 jingle"`
	}
	if err := xml.Unmarshal(data, &iq); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if iq.Jingle == nil {
		t.Fatal("no <jingle/>")
	}
	if err := iq.Jingle.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return iq.Jingle
}

// TestVectorsRoundTrip decodes every x*.xml and *.xep.xml vector and
// re-encodes it; the result must equal the input semantically. x13 carries
// the alternative session id as bare text, which is accepted and written
// back in the XEP-0166 <sid/> form.
func TestVectorsRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/*.xml")
	if err != nil || len(files) < 18 {
		t.Fatalf("vectors: %v %d", err, len(files))
	}
	normalised := map[string]string{
		"x13-session-terminate-alternative-session.xml": `<jingle xmlns="urn:xmpp:jingle:1" action="session-terminate" sid="a73sjjvkla37jfea"><reason><alternative-session><sid>b84tkkwlmb48kgfb</sid></alternative-session></reason></jingle>`,
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			j := decodeIQ(t, data)
			out, err := j.Encode()
			if err != nil {
				t.Fatal(err)
			}
			want := parseTree(t, data, "jingle")
			if n, ok := normalised[name]; ok {
				want = parseTree(t, []byte(n), "jingle")
			}
			got := parseTree(t, out, "jingle")
			if d := diffTree(want, got, ""); d != "" {
				t.Errorf("round trip differs: %s\n%s", d, out)
			}
			// Decoding our own output gives the same model again.
			j2, err := Decode(out)
			if err != nil {
				t.Fatalf("decode own output: %v", err)
			}
			out2, _ := j2.Encode()
			if string(out2) != string(out) {
				t.Errorf("second round trip differs:\n%s\n%s", out, out2)
			}
		})
	}
}

func TestVectorModel(t *testing.T) {
	read := func(name string) *Jingle {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return decodeIQ(t, data)
	}
	if j := read("x01-session-info-ringing.xml"); j.Info == nil || j.Info.Kind != InfoRinging || len(j.Other) != 0 {
		t.Errorf("x01: info %+v other %v", j.Info, j.Other)
	}
	if j := read("x05-session-info-mute.xml"); j.Info == nil || j.Info.Kind != InfoMute || j.Info.Creator != RoleInitiator || j.Info.Name != "audio" {
		t.Errorf("x05: info %+v", j.Info)
	}
	if j := read("x06-session-info-ping.xml"); j.Info != nil || len(j.Other) != 0 || j.Action != ActionSessionInfo {
		t.Errorf("x06: ping %+v", j)
	}
	if j := read("x08-session-terminate-busy.xml"); j.Reason == nil || j.Reason.Condition != ConditionBusy || j.Reason.Text != "486 Busy Here" {
		t.Errorf("x08: reason %+v", j.Reason)
	}
	if j := read("x13-session-terminate-alternative-session.xml"); j.Reason == nil || j.Reason.Condition != ConditionAlternativeSession || j.Reason.SID != "b84tkkwlmb48kgfb" {
		t.Errorf("x13: reason %+v", j.Reason)
	}
	if j := read("x14-content-reject-stanza-style.xml"); j.Reason == nil || j.Reason.Condition != ConditionFailedApplication || len(j.Contents) != 0 {
		t.Errorf("x14: %+v", j)
	}
	if j := read("x15-content-remove-video.xml"); len(j.Contents) != 1 || j.Contents[0].Name != "video" || j.Contents[0].Creator != RoleInitiator {
		t.Errorf("x15: %+v", j.Contents)
	}
	j := read("x16-transport-info-end-of-candidates.xml")
	if len(j.Contents) != 1 || j.Contents[0].ICEUDP == nil || j.Contents[0].ICEUDP.Ufrag != "H0xy" || !bool(j.Contents[0].ICEUDP.GatheringComplete) {
		t.Errorf("x16: %+v", j.Contents)
	}
	j = read("02-sip-sdes-savp-offer.xep.xml")
	d := j.Contents[0].Description
	if d == nil || d.Encryption == nil || !bool(d.Encryption.Required) || len(d.Encryption.Cryptos) != 2 ||
		d.Encryption.Cryptos[1].SessionParams != "UNENCRYPTED_SRTCP" || d.Bandwidth == nil || d.Bandwidth.Value != 84 {
		t.Errorf("02: description %+v", d)
	}
	if p := d.PayloadTypes[3]; p.Name != "telephone-event" || len(p.Parameters) != 1 || p.Parameters[0] != (Parameter{Name: "", Value: "0-16"}) {
		t.Errorf("02: telephone-event %+v", p)
	}
}

// TestLegacyInfoNamespace: the XEP-0166 example's misspelt namespace is
// accepted and the right one is written.
func TestLegacyInfoNamespace(t *testing.T) {
	in := `<jingle xmlns="urn:xmpp:jingle:1" action="session-info" sid="s1"><ringing xmlns="urn:xmpp:jingle:apps:rtp:1:info"/></jingle>`
	j, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if j.Info == nil || j.Info.Kind != InfoRinging {
		t.Fatalf("info %+v", j.Info)
	}
	out, _ := j.Encode()
	if !strings.Contains(string(out), `<ringing xmlns="urn:xmpp:jingle:apps:rtp:info:1">`) || strings.Contains(string(out), "1:info") {
		t.Errorf("out %s", out)
	}
}

func TestUnknownInfoKept(t *testing.T) {
	in := `<jingle xmlns="urn:xmpp:jingle:1" action="session-info" sid="s1"><checksum xmlns="urn:xmpp:jingle:apps:file-transfer:5" creator="initiator" name="a"/></jingle>`
	j, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if j.Info != nil || len(j.Other) != 1 || j.Other[0].XMLName.Local != "checksum" || j.Other[0].Attr("name") != "a" {
		t.Fatalf("info %+v other %+v", j.Info, j.Other)
	}
	out, _ := j.Encode()
	if d := diffTree(parseTree(t, []byte(in), ""), parseTree(t, out, ""), ""); d != "" {
		t.Errorf("%s: %s", d, out)
	}
}

func TestDecodeBadRequest(t *testing.T) {
	const pre = `<jingle xmlns="urn:xmpp:jingle:1" `
	tests := []struct {
		name, in string
	}{
		{"not xml", `<jingle`},
		{"other root", `<iq xmlns="jabber:client"/>`},
		{"unknown action", pre + `action="session-dance" sid="s"/>`},
		{"no action", pre + `sid="s"/>`},
		{"no sid", pre + `action="session-info"/>`},
		{"initiate without content", pre + `action="session-initiate" sid="s"/>`},
		{"initiate only early-session", pre + `action="session-initiate" sid="s"><content creator="initiator" name="a" disposition="early-session"/></jingle>`},
		{"accept without transport", pre + `action="session-accept" sid="s"><content creator="initiator" name="a"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"/></content></jingle>`},
		{"modify without senders", pre + `action="content-modify" sid="s"><content creator="initiator" name="a"/></jingle>`},
		{"duplicate content", pre + `action="content-remove" sid="s"><content creator="initiator" name="a"/><content creator="initiator" name="a"/></jingle>`},
		{"bad creator", pre + `action="content-remove" sid="s"><content creator="nobody" name="a"/></jingle>`},
		{"no content name", pre + `action="content-remove" sid="s"><content creator="initiator"/></jingle>`},
		{"bad senders", pre + `action="content-modify" sid="s"><content creator="initiator" name="a" senders="all"/></jingle>`},
		{"payload without id", pre + `action="description-info" sid="s"><content creator="initiator" name="a"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><payload-type name="PCMU"/></description></content></jingle>`},
		{"payload id not a number", pre + `action="description-info" sid="s"><content creator="initiator" name="a"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><payload-type id="x"/></description></content></jingle>`},
		{"payload id too big", pre + `action="description-info" sid="s"><content creator="initiator" name="a"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><payload-type id="200" name="x"/></description></content></jingle>`},
		{"dynamic payload without name", pre + `action="description-info" sid="s"><content creator="initiator" name="a"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><payload-type id="96"/></description></content></jingle>`},
		{"duplicate payload id", pre + `action="description-info" sid="s"><content creator="initiator" name="a"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><payload-type id="0"/><payload-type id="0"/></description></content></jingle>`},
		{"description without media", pre + `action="description-info" sid="s"><content creator="initiator" name="a"><description xmlns="urn:xmpp:jingle:apps:rtp:1"/></content></jingle>`},
		{"candidate without ip", pre + `action="transport-info" sid="s"><content creator="initiator" name="a"><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="u" pwd="p"><candidate component="1" foundation="1" generation="0" id="c1" port="1" priority="1" protocol="udp" type="host"/></transport></content></jingle>`},
		{"candidate bad type", pre + `action="transport-info" sid="s"><content creator="initiator" name="a"><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="u" pwd="p"><candidate component="1" foundation="1" generation="0" id="c1" ip="192.0.2.1" port="1" priority="1" protocol="udp" type="nat"/></transport></content></jingle>`},
		{"candidate port out of range", pre + `action="transport-info" sid="s"><content creator="initiator" name="a"><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="u" pwd="p"><candidate component="1" foundation="1" generation="0" id="c1" ip="192.0.2.1" port="70000" priority="1" protocol="udp" type="host"/></transport></content></jingle>`},
		{"duplicate candidate ids", pre + `action="transport-info" sid="s"><content creator="initiator" name="a"><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="u" pwd="p"><candidate component="1" foundation="1" generation="0" id="c1" ip="192.0.2.1" port="1" priority="1" protocol="udp" type="host"/><candidate component="2" foundation="1" generation="0" id="c1" ip="192.0.2.1" port="2" priority="1" protocol="udp" type="host"/></transport></content></jingle>`},
		{"duplicate candidate ids across contents", pre + `action="transport-info" sid="s"><content creator="initiator" name="a"><transport xmlns="urn:xmpp:jingle:transports:raw-udp:1"><candidate component="1" id="c1" ip="192.0.2.1" port="1"/></transport></content><content creator="initiator" name="b"><transport xmlns="urn:xmpp:jingle:transports:raw-udp:1"><candidate component="1" id="c1" ip="192.0.2.1" port="3"/></transport></content></jingle>`},
		{"two transports", pre + `action="transport-info" sid="s"><content creator="initiator" name="a"><transport xmlns="urn:xmpp:jingle:transports:raw-udp:1"/><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1"/></content></jingle>`},
		{"bad setup", pre + `action="transport-info" sid="s"><content creator="initiator" name="a"><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1"><fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="both">AA</fingerprint></transport></content></jingle>`},
		{"reason without condition", pre + `action="session-terminate" sid="s"><reason><text>bye</text></reason></jingle>`},
		{"bad required", pre + `action="description-info" sid="s"><content creator="initiator" name="a"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><encryption required="yes"/></description></content></jingle>`},
		{"crypto without key", pre + `action="description-info" sid="s"><content creator="initiator" name="a"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><encryption><crypto tag="1" crypto-suite="AES_CM_128_HMAC_SHA1_80"/></encryption></description></content></jingle>`},
		{"hdrext without uri", pre + `action="description-info" sid="s"><content creator="initiator" name="a"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><rtp-hdrext xmlns="urn:xmpp:jingle:apps:rtp:rtp-hdrext:0" id="1"/></description></content></jingle>`},
		{"group without semantics", pre + `action="session-info" sid="s"><group xmlns="urn:xmpp:jingle:apps:grouping:0"><content name="a"/></group></jingle>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := Decode([]byte(tt.in))
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("Decode = %+v, %v; want ErrBadRequest", j, err)
			}
		})
	}
}

func TestDecodeLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<jingle xmlns="urn:xmpp:jingle:1" action="transport-info" sid="s"><content creator="initiator" name="a"><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="u" pwd="p">`)
	for i := 0; i <= MaxCandidates; i++ {
		b.WriteString(`<candidate component="1" foundation="1" generation="0" id="c`)
		b.WriteString(strings.Repeat("x", i))
		b.WriteString(`" ip="192.0.2.1" port="1" priority="1" protocol="udp" type="host"/>`)
	}
	b.WriteString(`</transport></content></jingle>`)
	if _, err := Decode([]byte(b.String())); !errors.Is(err, ErrTooLarge) || !errors.Is(err, ErrBadRequest) {
		t.Errorf("too many candidates: %v", err)
	}
	if _, err := Decode(make([]byte, MaxXMLSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too big: %v", err)
	}
}

func TestReasonDetail(t *testing.T) {
	j := &Jingle{Action: ActionSessionTerminate, SID: "s", Reason: &Reason{Condition: ConditionSecurityError, Text: "no SRTP", Detail: NewCryptoRequired()}}
	out, err := j.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `<jingle xmlns="urn:xmpp:jingle:1" action="session-terminate" sid="s"><reason><security-error></security-error><text>no SRTP</text><crypto-required xmlns="urn:xmpp:jingle:apps:rtp:errors:1"></crypto-required></reason></jingle>`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	back, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if r := back.Reason; r.Condition != ConditionSecurityError || r.Detail == nil || r.Detail.XMLName != NewCryptoRequired().XMLName || r.Text != "no SRTP" {
		t.Errorf("%+v", r)
	}
	if NewInvalidCrypto().XMLName.Local != "invalid-crypto" {
		t.Error("invalid-crypto")
	}
}
