package gateway

import (
	"context"
	"testing"

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
