package jingle

import (
	"os"
	"testing"

	"github.com/pion/sdp/v3"
)

func readVector(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkSDPToJingle converts the Chrome audio+video offer (vector 03).
func BenchmarkSDPToJingle(b *testing.B) {
	body := readVector(b, "03-chrome-webrtc-offer.sdp")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		m := NewMapping(RoleInitiator, 1)
		if _, err := m.SDPToJingle(Offer, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJingleToSDP writes vector 03's contents back as an offer.
func BenchmarkJingleToSDP(b *testing.B) {
	body := readVector(b, "03-chrome-webrtc-offer.sdp")
	r, err := NewMapping(RoleInitiator, 1).SDPToJingle(Offer, body)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m := NewMapping(RoleResponder, 1)
		if _, err := m.JingleToSDP(Offer, r.Contents, r.Groups); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPionRoundTrip is the yardstick: pion/sdp alone parses and
// re-marshals vector 03.
func BenchmarkPionRoundTrip(b *testing.B) {
	body := string(readVector(b, "03-chrome-webrtc-offer.sdp"))
	b.ReportAllocs()
	for b.Loop() {
		var sd sdp.SessionDescription
		if err := sd.UnmarshalString(body); err != nil {
			b.Fatal(err)
		}
		if _, err := sd.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadSDP is the package's SDP reader alone on vector 03: the
// floor of SDPToJingle.
func BenchmarkReadSDP(b *testing.B) {
	body := readVector(b, "03-chrome-webrtc-offer.sdp")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var d sdpDesc
		if err := d.parse(string(body)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPionParse is pion/sdp's parse alone, to compare with
// BenchmarkReadSDP.
func BenchmarkPionParse(b *testing.B) {
	body := string(readVector(b, "03-chrome-webrtc-offer.sdp"))
	b.ReportAllocs()
	for b.Loop() {
		var sd sdp.SessionDescription
		if err := sd.UnmarshalString(body); err != nil {
			b.Fatal(err)
		}
	}
}
