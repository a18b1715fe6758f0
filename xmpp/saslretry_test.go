package xmpp

import (
	"strings"
	"testing"
)

// RFC 6120 §6.4.5: a peer that exceeds a reasonable number of SASL retries
// gets a policy-violation stream error instead of endless <failure/>s
// (each attempt costs us a certificate verification).
func TestSASLRetriesAreBounded(t *testing.T) {
	w := newWorld(t)
	ca := newTestCA(t)
	b := w.server("b.test", ca.issue(t, "b.test"), ca.pool)
	// dialRaw presents no certificate, so EXTERNAL fails every time.
	p := dialRaw(t, b.s.Addr(), "a.test", "b.test")
	auth := `<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="EXTERNAL">=</auth>`
	for i := range maxSASLAttempts {
		p.raw(auth)
		if el := p.next(); el.Name.Local != "failure" {
			t.Fatalf("attempt %d answered %s", i+1, el)
		}
	}
	p.raw(auth)
	p.expectStreamError(CondPolicyViolation)
}

// XEP-0220 §2.2: <db:verify/> with a type is an answer; on an inbound
// stream it is unsolicited and gets no reply (§3 "Unsolicited Dialback").
func TestUnsolicitedVerifyIsIgnored(t *testing.T) {
	w := newWorld(t)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	p := dialRaw(t, b.s.Addr(), "a.test", "b.test")
	key := strings.Repeat("0", 64)
	p.raw(`<db:verify from="a.test" to="b.test" id="answer" type="valid">` + key + `</db:verify>`)
	p.raw(`<db:verify from="a.test" to="b.test" id="request">` + key + `</db:verify>`)
	el := p.next()
	if el.Name.Local != "verify" || el.Get("id") != "request" || el.Get("type") != "invalid" {
		t.Fatalf("got %s, want only the answer to the request", el)
	}
}
