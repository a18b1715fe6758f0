package gateway

import (
	"context"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

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

// receiptSIP is the fake SIP side with end-to-end chat receipts
// (ChatReceiptSender): sends asking for reports and the REPORTs owed are
// recorded; sendErr fails ChatSendReceipt.
type receiptSIP struct {
	*fakeSIP
	sendErr  error
	tracked  []trackedSend
	receipts []string // chat id + " " + MSRP Message-ID
}

type trackedSend struct {
	id, token string
	m         translate.SIPMessage
}

var _ ChatReceiptSender = (*receiptSIP)(nil)

func (r *receiptSIP) ChatSendReceipt(_ context.Context, chatID string, m translate.SIPMessage, token string) error {
	r.mu.Lock()
	r.tracked = append(r.tracked, trackedSend{chatID, token, m})
	err := r.sendErr
	r.mu.Unlock()
	r.changed <- struct{}{}
	return err
}

func (r *receiptSIP) ChatReceipt(_ context.Context, chatID, messageID string) error {
	r.mu.Lock()
	r.receipts = append(r.receipts, chatID+" "+messageID)
	r.mu.Unlock()
	r.changed <- struct{}{}
	return nil
}

// newReceiptGateway is a core with chats over a receiptSIP.
func newReceiptGateway(t *testing.T, o Options) (*Gateway, *fakeXMPP, *receiptSIP) {
	t.Helper()
	o.Domains, o.Registerer = []string{"sip.test"}, prometheus.NewRegistry()
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	x, s := newFakeXMPP(), &receiptSIP{fakeSIP: newFakeSIP()}
	g.Attach(x, s)
	t.Cleanup(g.Close)
	return g, x, s
}

// waitXMPP waits for a stanza sent to XMPP matching pred.
func waitXMPP(t *testing.T, x *fakeXMPP, what string, pred func(translate.XMPPMessage) bool) translate.XMPPMessage {
	t.Helper()
	return waitIn(t, "no message: "+what, &x.mu, &x.messages, x.changed, pred)
}

// RFC 7573 §7, MSRP -> XMPP: a message asking for a success REPORT asks
// alice for a receipt; her <received/> becomes the REPORT (ChatReceipt),
// and only that unless the SIP sender also asked for an IMDN; chat
// states ask nothing.
func TestChatReceiptsFromSIP(t *testing.T) {
	g, x, s := newReceiptGateway(t, Options{})
	ctx := context.Background()
	c := translate.SIPChat{ID: "chat-r", From: "sip:carol@sip.test", To: "sip:alice@xmpp.test", CallID: "call-r"}
	if err := g.SIPChatStart(ctx, c); err != nil {
		t.Fatal(err)
	}
	asked, err := g.SIPChatMessageReceipt(ctx, c, translate.SIPMessage{ContentType: "text/plain", Body: []byte("read me"), TransactionID: "msrp-1"})
	if err != nil || !asked {
		t.Fatalf("SIPChatMessageReceipt = %v, %v", asked, err)
	}
	got := waitXMPP(t, x, "the chat message", func(m translate.XMPPMessage) bool { return m.Body == "read me" })
	if !got.ReceiptRequest || got.ID != "msrp-1" || got.Type != translate.TypeChat {
		t.Fatalf("stanza %+v: want a chat message with a receipt request", got)
	}
	// A chat state: no receipt asked, nothing owed.
	composing := `<?xml version="1.0" encoding="UTF-8"?><isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state></isComposing>`
	if asked, err := g.SIPChatMessageReceipt(ctx, c, translate.SIPMessage{ContentType: translate.ContentTypeIsComposing, Body: []byte(composing), TransactionID: "msrp-2"}); err != nil || asked {
		t.Fatalf("chat state: asked %v, %v", asked, err)
	}
	if st := waitXMPP(t, x, "composing", func(m translate.XMPPMessage) bool { return m.ChatState == "composing" }); st.ReceiptRequest {
		t.Error("a chat state asks for a receipt")
	}

	alice := jid.MustParse("alice@xmpp.test/phone")
	// The receipt without a type (XEP-0184 §5.2 allows it) still belongs
	// to the chat.
	if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: alice, To: carolBare, ReceiptFor: "msrp-1", ID: "ack-1"}); err != nil {
		t.Fatal(err)
	}
	waitIn(t, "no REPORT for msrp-1", &s.mu, &s.receipts, s.changed, func(r string) bool { return r == "chat-r msrp-1" })
	// A receipt for a message that asked for no REPORT goes as an IMDN,
	// as any receipt did before; msrp-1's went as its REPORT only.
	if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: alice, To: carolBare, Type: "chat", ReceiptFor: "msrp-2", ID: "ack-2"}); err != nil {
		t.Fatal(err)
	}
	waitIn(t, "no IMDN for msrp-2", &s.mu, &s.chatSends, s.changed, func(c chatSend) bool {
		return c.m.ContentType == translate.ContentTypeCPIM && strings.Contains(string(c.m.Body), "msrp-2")
	})
	s.mu.Lock()
	if len(s.receipts) != 1 || len(s.chatSends) != 1 {
		t.Errorf("REPORTs %q and %d sends, want msrp-1's REPORT and msrp-2's IMDN", s.receipts, len(s.chatSends))
	}
	s.mu.Unlock()

	// A CPIM message with an IMDN request and Success-Report: both the
	// REPORT and the IMDN go back.
	cpim := "From: <sip:carol@sip.test>\r\nTo: <sip:alice@xmpp.test>\r\nNS: imdn <urn:ietf:params:imdn>\r\n" +
		"imdn.Message-ID: imdn-7\r\nimdn.Disposition-Notification: positive-delivery\r\n\r\n" +
		"Content-Type: text/plain\r\n\r\nwith IMDN"
	if asked, err := g.SIPChatMessageReceipt(ctx, c, translate.SIPMessage{ContentType: translate.ContentTypeCPIM, Body: []byte(cpim), TransactionID: "msrp-3"}); err != nil || !asked {
		t.Fatalf("CPIM: asked %v, %v", asked, err)
	}
	if m := waitXMPP(t, x, "the CPIM message", func(m translate.XMPPMessage) bool { return m.Body == "with IMDN" }); m.ID != "imdn-7" || !m.ReceiptRequest {
		t.Fatalf("CPIM stanza %+v", m)
	}
	if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: alice, To: carolBare, Type: "chat", ReceiptFor: "imdn-7", ID: "ack-7"}); err != nil {
		t.Fatal(err)
	}
	waitIn(t, "no REPORT for msrp-3", &s.mu, &s.receipts, s.changed, func(r string) bool { return r == "chat-r msrp-3" })
	waitIn(t, "no IMDN for imdn-7", &s.mu, &s.chatSends, s.changed, func(c chatSend) bool {
		return strings.Contains(string(c.m.Body), "imdn-7")
	})
}

// RFC 7573 §7, XMPP -> MSRP: alice's message with a receipt request goes
// asking for a success REPORT (not answered by the send itself); the
// REPORT becomes her <received/>, once; a failure REPORT an error; an
// error response one error only, whatever REPORT follows.
func TestChatReceiptsToSIP(t *testing.T) {
	g, x, s := newReceiptGateway(t, Options{ChatMSRP: true})
	ctx := context.Background()
	alice := jid.MustParse("alice@xmpp.test/phone")
	send := func(id, body string) trackedSend {
		t.Helper()
		if err := g.XMPPMessage(ctx, translate.XMPPMessage{From: alice, To: carolBare, Type: "chat", ID: id, Body: body, ReceiptRequest: true}); err != nil {
			t.Fatal(err)
		}
		return waitIn(t, "no send asking for a REPORT: "+id, &s.mu, &s.tracked, s.changed, func(ts trackedSend) bool {
			return strings.Contains(string(ts.m.Body), body)
		})
	}
	first := send("m-1", "please confirm")
	if first.id != "started-"+first.m.CallID || first.token == "" {
		t.Fatalf("tracked send %+v", first)
	}
	s.mu.Lock()
	plain := len(s.chatSends)
	s.mu.Unlock()
	if plain != 0 {
		t.Errorf("%d plain ChatSends for a message asking for a receipt", plain)
	}
	c := translate.SIPChat{ID: first.id}
	g.SIPChatReport(ctx, c, first.token, 200)
	r := waitXMPP(t, x, "the receipt", func(m translate.XMPPMessage) bool { return m.ReceiptFor == "m-1" })
	if !r.To.Equal(alice) || !r.From.Equal(carolBare) {
		t.Errorf("receipt from %v to %v", r.From, r.To)
	}
	g.SIPChatReport(ctx, c, first.token, 200) // again: nothing more

	second := send("m-2", "will fail")
	g.SIPChatReport(ctx, c, second.token, 415)
	e := waitXMPP(t, x, "the error", func(m translate.XMPPMessage) bool { return m.Type == translate.TypeError && m.ID == "m-2" })
	if !e.To.Equal(alice) || e.Err == nil || e.Err.Condition == "" {
		t.Errorf("error stanza %+v", e)
	}

	s.mu.Lock()
	s.sendErr = sipStatus(415)
	s.mu.Unlock()
	third := send("m-3", "refused at once")
	waitXMPP(t, x, "the error of m-3", func(m translate.XMPPMessage) bool { return m.Type == translate.TypeError && m.ID == "m-3" })
	g.SIPChatReport(ctx, c, third.token, 415) // too late: answered already

	// A marker proves the late REPORT was dropped.
	s.mu.Lock()
	s.sendErr = nil
	s.mu.Unlock()
	fourth := send("m-4", "marker")
	g.SIPChatReport(ctx, c, fourth.token, 200)
	waitXMPP(t, x, "the receipt of m-4", func(m translate.XMPPMessage) bool { return m.ReceiptFor == "m-4" })
	x.mu.Lock()
	defer x.mu.Unlock()
	counts := map[string]int{}
	for _, m := range x.messages {
		switch {
		case m.ReceiptFor != "":
			counts["receipt "+m.ReceiptFor]++
		case m.Type == translate.TypeError:
			counts["error "+m.ID]++
		}
	}
	if want := map[string]int{"receipt m-1": 1, "error m-2": 1, "error m-3": 1, "receipt m-4": 1}; !maps.Equal(counts, want) {
		t.Errorf("receipts and errors %v, want %v", counts, want)
	}
}

// Without ChatReceiptSender, a message with a receipt request goes by
// ChatSend (as message/cpim asking for an IMDN) and no receipt is made
// up from the send.
func TestChatReceiptsWithoutReports(t *testing.T) {
	g, err := New(Options{Domains: []string{"sip.test"}, ChatMSRP: true, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	x, s := newFakeXMPP(), newFakeSIP()
	g.Attach(x, s)
	defer g.Close()
	alice := jid.MustParse("alice@xmpp.test/phone")
	if err := g.XMPPMessage(context.Background(), translate.XMPPMessage{From: alice, To: carolBare, Type: "chat", ID: "m-1", Body: "hello", ReceiptRequest: true}); err != nil {
		t.Fatal(err)
	}
	sent := waitIn(t, "no ChatSend", &s.mu, &s.chatSends, s.changed, func(chatSend) bool { return true })
	if sent.m.ContentType != translate.ContentTypeCPIM || !strings.Contains(string(sent.m.Body), "positive-delivery") {
		t.Errorf("sent %s %q", sent.m.ContentType, sent.m.Body)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, m := range x.messages {
		if m.ReceiptFor != "" {
			t.Errorf("a receipt made up from the send: %+v", m)
		}
	}
}

// Options.ChatIdle ends a quiet chat: ChatEnd (BYE) on the SIP side;
// traffic puts it off.
func TestChatIdle(t *testing.T) {
	const idle = 300 * time.Millisecond
	g, _, s := newReceiptGateway(t, Options{ChatIdle: idle})
	ctx := context.Background()
	c := translate.SIPChat{ID: "chat-idle", From: "sip:carol@sip.test", To: "sip:alice@xmpp.test", CallID: "call-idle"}
	start := time.Now()
	if err := g.SIPChatStart(ctx, c); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		time.Sleep(idle / 2)
		if err := g.SIPChatMessage(ctx, c, translate.SIPMessage{ContentType: "text/plain", Body: []byte("still here")}); err != nil {
			t.Fatal(err)
		}
	}
	waitIn(t, "the idle chat was not ended", &s.mu, &s.chatEnds, s.changed, func(id string) bool { return id == "chat-idle" })
	if d := time.Since(start); d < 3*idle/2+idle {
		t.Errorf("ended after %v: the traffic did not put the timer off", d)
	}
	if g.o.ChatIdle != idle {
		t.Errorf("ChatIdle %v", g.o.ChatIdle)
	}
	g2, err := New(Options{Domains: []string{"sip.test"}, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer g2.Close()
	if g2.o.ChatIdle != 10*time.Minute {
		t.Errorf("default ChatIdle %v, want 10m", g2.o.ChatIdle)
	}
}

func TestFIFO(t *testing.T) {
	var f fifo[int]
	for i := range chatReceiptsMax + 10 {
		f.put(strconv.Itoa(i), i)
	}
	if len(f.m) != chatReceiptsMax {
		t.Fatalf("%d entries, want %d", len(f.m), chatReceiptsMax)
	}
	if _, ok := f.take("0"); ok {
		t.Error("the oldest entry was kept")
	}
	if v, ok := f.take(strconv.Itoa(chatReceiptsMax + 9)); !ok || v != chatReceiptsMax+9 {
		t.Errorf("newest = %v, %v", v, ok)
	}
	if _, ok := f.take(strconv.Itoa(chatReceiptsMax + 9)); ok {
		t.Error("taken twice")
	}
	for i := range 10 * chatReceiptsMax {
		f.put("k"+strconv.Itoa(i), i)
		f.take("k" + strconv.Itoa(i-1))
	}
	if len(f.order) > 2*chatReceiptsMax+1 {
		t.Errorf("order grew to %d", len(f.order))
	}
}
