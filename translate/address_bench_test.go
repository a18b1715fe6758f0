package translate

import (
	"strings"
	"testing"

	"mellium.im/xmpp/jid"
)

func BenchmarkSIPToJID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SIPToJID("sip:alice@example.com;gr=desk", AddressOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSIPToJIDComponent(b *testing.B) {
	opts := AddressOptions{ComponentDomain: "sip.example.org"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SIPToJID("sip:alice@example.com", opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJIDToSIP(b *testing.B) {
	j := jid.MustParse("alice@example.com/desk")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := JIDToSIP(j, AddressOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSIPToJIDWorst is the longest, most escaped input the parser
// accepts: bounded work.
func BenchmarkSIPToJIDWorst(b *testing.B) {
	uri := "sip:" + strings.Repeat("%E4%BB%96", 330) + "@example.com;gr=" + strings.Repeat("%E4%BB%96", 100)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = SIPToJID(uri, AddressOptions{})
	}
}

func BenchmarkJIDToSIPIDN(b *testing.B) {
	j, err := jid.New("alice", strings.Repeat("\u4ed6", 60)+".example", "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = JIDToSIP(j, AddressOptions{})
	}
}

func BenchmarkFromSIPStatus(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = FromSIPStatus(486, "Busy Here")
	}
}
