package gateway

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// RFC 7573: a chat opened from SIP carries messages both ways, gone ends
// it, and BYE becomes gone.
func TestChatBothWays(t *testing.T) {
	g, x, s := newTestGateway(t, nil)
	ctx := context.Background()
	c := translate.SIPChat{ID: "chat-1", From: "sip:carol@sip.test", To: "sip:alice@xmpp.test", CallID: "call-9"}
	if err := g.SIPChatStart(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := g.SIPChatMessage(ctx, c, translate.SIPMessage{ContentType: "text/plain", Body: []byte("hello alice"), TransactionID: "msg-1"}); err != nil {
		t.Fatal(err)
	}
	<-x.changed
	x.mu.Lock()
	got := x.messages[0]
	x.mu.Unlock()
	if got.Type != translate.TypeChat || got.Thread != "call-9" || got.Body != "hello alice" || got.ID != "msg-1" || !got.From.Equal(carolBare) {
		t.Fatalf("stanza %+v", got)
	}
	// Alice answers: it goes into the chat, not as a MESSAGE.
	alice := jid.MustParse("alice@xmpp.test/phone")
	if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: alice, To: carolBare, Type: "chat", Body: "hi carol", ID: "r1"}); err != nil {
		t.Fatal(err)
	}
	<-s.changed
	s.mu.Lock()
	if len(s.chatSends) != 1 || s.chatSends[0].id != "chat-1" || string(s.chatSends[0].m.Body) != "hi carol" || len(s.messages) != 0 {
		t.Fatalf("chat sends %+v, MESSAGEs %d", s.chatSends, len(s.messages))
	}
	s.mu.Unlock()
	// gone ends the chat (RFC 7573 §6.1).
	if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: alice, To: carolBare, Type: "chat", ChatState: "gone"}); err != nil {
		t.Fatal(err)
	}
	<-s.changed
	s.mu.Lock()
	if len(s.chatEnds) != 1 || s.chatEnds[0] != "chat-1" {
		t.Fatalf("chat ends %+v", s.chatEnds)
	}
	s.mu.Unlock()
	// The SIP side confirms the end: alice gets gone.
	g.SIPChatEnd(ctx, c)
	<-x.changed
	x.mu.Lock()
	last := x.messages[len(x.messages)-1]
	x.mu.Unlock()
	if last.ChatState != "gone" || last.Thread != "call-9" {
		t.Fatalf("end stanza %+v", last)
	}
	// Unknown chat: 481.
	if err := g.SIPChatMessage(ctx, c, translate.SIPMessage{ContentType: "text/plain", Body: []byte("x")}); translate.ErrorOf(err).SIPStatus != 481 {
		t.Fatalf("message after the end: %v", err)
	}
}

func TestChatRefusals(t *testing.T) {
	g, _, _ := newTestGateway(t, nil)
	if err := g.SIPChatStart(context.Background(), translate.SIPChat{ID: "x", From: "sip:m@elsewhere.test", To: "sip:alice@xmpp.test"}); translate.ErrorOf(err).SIPStatus != 403 {
		t.Fatalf("foreign sender: %v", err)
	}
}

// RFC 7573 §4: with chats on, an XMPP user's chat message to a SIP user
// opens an MSRP chat and goes into it; the next one reuses it.
func TestChatFromXMPP(t *testing.T) {
	g, err := New(Options{Domains: []string{"sip.test"}, ChatMSRP: true, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	x, s := newFakeXMPP(), newFakeSIP()
	g.Attach(x, s)
	defer g.Close()
	ctx := context.Background()
	alice := jid.MustParse("alice@xmpp.test/phone")
	for _, body := range []string{"first", "second"} {
		if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: alice, To: carolBare, Type: "chat", Body: body}); err != nil {
			t.Fatal(err)
		}
		<-s.changed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.chatStarts) != 1 || s.chatStarts[0].To != "sip:carol@sip.test" || s.chatStarts[0].From != "sip:alice@xmpp.test;gr=phone" {
		t.Fatalf("chat starts %+v", s.chatStarts)
	}
	if len(s.chatSends) != 2 || string(s.chatSends[1].m.Body) != "second" || s.chatSends[0].id != s.chatSends[1].id || len(s.messages) != 0 {
		t.Fatalf("sends %+v, MESSAGEs %d", s.chatSends, len(s.messages))
	}
	// A normal message still goes as MESSAGE (RFC 7572).
	s.mu.Unlock()
	_ = g.XMPPMessage(ctx, translate.XMPPMessage{From: alice, To: carolBare, Body: "page"})
	<-s.changed
	s.mu.Lock()
	if len(s.messages) != 1 {
		t.Errorf("normal message: %d MESSAGEs", len(s.messages))
	}
}
