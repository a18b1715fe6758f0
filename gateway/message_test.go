package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

func sipMsg(cseq uint32, body string) translate.SIPMessage {
	return translate.SIPMessage{RequestURI: "sip:alice@xmpp.test", From: "sip:carol@sip.test", To: "sip:alice@xmpp.test",
		CallID: "c-1", CSeq: cseq, TransactionID: "z9hG4bK" + body, ContentType: "text/plain", Body: []byte(body)}
}

func TestSIPMessageToXMPP(t *testing.T) {
	g, err := New(Options{Domains: []string{"sip.test"}, ErrorWait: 20 * time.Millisecond, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	x, s := newFakeXMPP(), newFakeSIP()
	g.Attach(x, s)
	defer g.Close()
	ctx := context.Background()
	if err := g.SIPMessage(ctx, sipMsg(1, "one")); err != nil {
		t.Fatal(err)
	}
	x.mu.Lock()
	got := x.messages[0]
	x.mu.Unlock()
	if got.Body != "one" || got.From.String() != "carol@sip.test" || got.To.String() != "alice@xmpp.test" || got.Thread != "c-1" {
		t.Fatalf("stanza %+v", got)
	}
	// The same request again under a new transaction is not delivered twice.
	dup := sipMsg(1, "one")
	dup.TransactionID = "z9hG4bKother"
	if err := g.SIPMessage(ctx, dup); err != nil {
		t.Fatal(err)
	}
	// Alice took a message without error: she is known for a while.
	if !g.known.has(time.Now(), "alice@xmpp.test") {
		t.Fatal("recipient not remembered after a clean error window")
	}
	x.mu.Lock()
	n := len(x.messages)
	x.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d stanzas, want 1 (duplicate delivered)", n)
	}
	// An error from her makes the next sender wait again.
	_ = g.XMPPMessage(ctx, translate.XMPPMessage{From: jid.MustParse("alice@xmpp.test"), To: jid.MustParse("carol@sip.test"), Type: translate.TypeError, ID: "late",
		Err: &translate.StanzaError{Type: "cancel", Condition: "service-unavailable"}})
	if g.known.has(time.Now(), "alice@xmpp.test") {
		t.Fatal("an error did not reset the recipient")
	}
	if v := testutil.ToFloat64(g.m.lateErrors); v != 1 {
		t.Errorf("late errors = %v, want 1", v)
	}
	// Refusals: a sender of a foreign domain, a target we serve.
	bad := sipMsg(2, "x")
	bad.From = "sip:mallory@elsewhere.test"
	if err := g.SIPMessage(ctx, bad); translate.ErrorOf(err).SIPStatus != 403 {
		t.Errorf("foreign sender: %v", err)
	}
	loop := sipMsg(3, "x")
	loop.RequestURI = "sip:bob@sip.test"
	if err := g.SIPMessage(ctx, loop); translate.ErrorOf(err) == nil {
		t.Error("loop accepted")
	}
}

func TestSIPMessageErrorWindow(t *testing.T) {
	g, err := New(Options{Domains: []string{"sip.test"}, ErrorWait: 5 * time.Second, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	x, s := newFakeXMPP(), newFakeSIP()
	g.Attach(x, s)
	defer g.Close()
	done := make(chan error, 1)
	go func() { done <- g.SIPMessage(context.Background(), sipMsg(1, "hello")) }()
	<-x.changed
	x.mu.Lock()
	sent := x.messages[0]
	x.mu.Unlock()
	// Prosody answers: no such user.
	_ = g.XMPPMessage(context.Background(), translate.XMPPMessage{From: sent.To, To: sent.From, ID: sent.ID, Type: translate.TypeError,
		Err: &translate.StanzaError{Type: "cancel", Condition: "service-unavailable"}})
	err = <-done
	if e := translate.ErrorOf(err); e == nil || e.SIPStatus != 403 {
		t.Fatalf("got %v, want the RFC 7247 §7.2 mapping of service-unavailable (403)", err)
	}
}

func TestXMPPMessageToSIP(t *testing.T) {
	g, x, s := newTestGateway(t, nil)
	ctx := context.Background()
	alice := jid.MustParse("alice@xmpp.test/phone")
	if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: alice, To: carolBare, ID: "m1", Type: "chat", Body: "hi", ReceiptRequest: true}); err != nil {
		t.Fatal(err)
	}
	<-s.changed
	s.mu.Lock()
	m := s.messages[0]
	s.mu.Unlock()
	if m.From != "sip:alice@xmpp.test;gr=phone" || m.RequestURI != "sip:carol@sip.test" || m.ContentType != translate.ContentTypeCPIM || m.CallID == "" || m.CSeq == 0 {
		t.Fatalf("MESSAGE %+v", m)
	}
	// The UA's 200 comes back to alice as a receipt (XEP-0184).
	<-x.changed
	x.mu.Lock()
	r := x.messages[0]
	x.mu.Unlock()
	if r.ReceiptFor != "m1" || !r.To.Equal(alice) || !r.From.Equal(carolBare) {
		t.Fatalf("receipt %+v", r)
	}
	// A loop (sender in a served domain) is refused.
	if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: jid.MustParse("dave@sip.test"), To: carolBare, Body: "x"}); err == nil {
		t.Error("loop accepted")
	}
}

func TestXMPPMessageSIPFailureBounces(t *testing.T) {
	g, err := New(Options{Domains: []string{"sip.test"}, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	x := newFakeXMPP()
	g.Attach(x, failingSIP{newFakeSIP()})
	defer g.Close()
	alice := jid.MustParse("alice@xmpp.test/phone")
	if err := g.XMPPMessage(context.Background(), translate.XMPPMessage{From: alice, To: carolBare, ID: "m9", Body: "hi"}); err != nil {
		t.Fatal(err)
	}
	<-x.changed
	x.mu.Lock()
	b := x.messages[0]
	x.mu.Unlock()
	// RFC 7247 §7.3: 404 -> item-not-found.
	if b.Type != translate.TypeError || b.ID != "m9" || b.Err == nil || b.Err.Condition != "item-not-found" || !b.To.Equal(alice) {
		t.Fatalf("bounce %+v", b)
	}
}

// failingSIP answers every MESSAGE with 404.
type failingSIP struct{ *fakeSIP }

func (failingSIP) SendMessage(context.Context, translate.SIPMessage) (int, error) {
	return 404, sipStatus(404)
}
