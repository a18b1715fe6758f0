package gateway

import (
	"context"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// ChatReceiptSender is what end-to-end receipts in MSRP chats need from
// the SIP side besides SIPSender (sip.Endpoint satisfies it): RFC 7573 §7
// maps an XEP-0184 <request/> to Success-Report: yes and the REPORT back
// to <received/>, and the other way round. A SIP side without it gets
// chat messages with receipt requests through ChatSend, their receipts
// then coming only as IMDNs (RFC 5438).
type ChatReceiptSender interface {
	// ChatSendReceipt sends m into a chat asking for a success REPORT;
	// the outcome comes back to SIPChatReport with token.
	ChatSendReceipt(ctx context.Context, chatID string, m translate.SIPMessage, token string) error
	// ChatReceipt sends the success REPORT owed for the MSRP message
	// messageID of a chat (SIPChatMessageReceipt).
	ChatReceipt(ctx context.Context, chatID, messageID string) error
}

// chatReceiptsMax bounds the receipts a chat waits for in each
// direction; the oldest is forgotten first (a receipt may never come:
// XEP-0184 §5 lets a client send none).
const chatReceiptsMax = 128

// askedReceipt is a message from SIP whose XMPP recipient was asked for
// a receipt: the MSRP message owed a success REPORT, and whether its
// sender also asked for an IMDN (RFC 5438, in message/cpim).
type askedReceipt struct {
	messageID string
	imdn      bool
}

// sentReceipt is a message from XMPP sent into a chat with a receipt
// request: who gets the <received/> (the full JID that sent it), for
// which stanza id.
type sentReceipt struct {
	sender jid.JID
	id     string
}

// fifo is a map bounded to chatReceiptsMax entries, the oldest dropped
// first. Its user guards it.
type fifo[V any] struct {
	m     map[string]V
	order []string // keys in arrival order; some may be gone from m
}

func (f *fifo[V]) put(k string, v V) {
	if f.m == nil {
		f.m = make(map[string]V)
	}
	if _, ok := f.m[k]; !ok {
		f.order = append(f.order, k)
	}
	f.m[k] = v
	for len(f.m) > chatReceiptsMax && len(f.order) > 0 {
		delete(f.m, f.order[0])
		f.order = f.order[1:]
	}
	if len(f.order) > 2*chatReceiptsMax {
		// Compact: keep the keys still present, in order.
		live := make([]string, 0, len(f.m))
		for _, k := range f.order {
			if _, ok := f.m[k]; ok {
				live = append(live, k)
			}
		}
		f.order = live
	}
}

func (f *fifo[V]) take(k string) (V, bool) {
	v, ok := f.m[k]
	if ok {
		delete(f.m, k)
	}
	return v, ok
}

// SIPChatMessageReceipt is SIPChatMessage for a message whose MSRP SEND
// asked for a success REPORT (RFC 7573 §7: Success-Report: yes ->
// XEP-0184 <request/>). A content message goes with a receipt request
// (asked: the REPORT waits for the <received/>); a chat state or a
// notification gets none and counts as delivered.
func (g *Gateway) SIPChatMessageReceipt(ctx context.Context, c translate.SIPChat, m translate.SIPMessage) (asked bool, err error) {
	return g.chatMessage(ctx, c, m, true)
}

// SIPChatReport maps the REPORT about a message ChatSendReceipt sent
// (RFC 7573 §7): success becomes the XEP-0184 <received/> to its XMPP
// sender, failure an error message. Each message is answered once: an
// error response to the SEND may have answered it already.
func (g *Gateway) SIPChatReport(_ context.Context, c translate.SIPChat, token string, status int) {
	p, err := g.ports()
	if err != nil {
		return
	}
	g.chats.mu.Lock()
	st := g.chats.byID[c.ID]
	var r sentReceipt
	var ok bool
	if st != nil {
		r, ok = st.sent.take(token)
	}
	g.chats.mu.Unlock()
	if !ok {
		return
	}
	m := translate.XMPPMessage{From: r.sender, To: st.sipUser, ID: r.id, Type: translate.TypeChat, Thread: st.thread}
	if status == 200 {
		g.receipt(p, m)
		return
	}
	if e := translate.FromSIPStatus(status, ""); e != nil {
		g.bounceToXMPP(p, m, e)
	}
}

// sendWithReceipt sends an XMPP chat message whose sender asked for a
// receipt into chat st asking for a success REPORT; false when the SIP
// side cannot. An error response comes back to the sender as an error,
// unless a failure REPORT did already.
func (g *Gateway) sendWithReceipt(ctx context.Context, p *sides, st *chatState, m translate.XMPPMessage, s translate.SIPMessage) bool {
	rs, ok := p.sip.(ChatReceiptSender)
	if !ok {
		return false
	}
	token := newID()
	g.chats.mu.Lock()
	st.sent.put(token, sentReceipt{sender: m.From, id: m.ID})
	g.chats.mu.Unlock()
	if err := rs.ChatSendReceipt(ctx, st.id, s, token); err != nil {
		g.m.messages.WithLabelValues(dirXMPPToSIP, resultError).Inc()
		g.chats.mu.Lock()
		_, mine := st.sent.take(token)
		g.chats.mu.Unlock()
		if mine {
			g.bounceToXMPP(p, m, sipFailure(err))
		}
		return true
	}
	g.m.messages.WithLabelValues(dirXMPPToSIP, resultOK).Inc()
	return true
}

// receiptToSIP maps an XMPP user's <received/> for a message of chat st
// to the success REPORT its MSRP sender asked for (RFC 7573 §7). It
// reports whether that is all there is to send: true unless the sender
// also asked for an IMDN, which then goes too.
func (g *Gateway) receiptToSIP(ctx context.Context, p *sides, st *chatState, receiptFor string) bool {
	g.chats.mu.Lock()
	a, ok := st.asked.take(receiptFor)
	g.chats.mu.Unlock()
	if !ok {
		return false
	}
	if rs, can := p.sip.(ChatReceiptSender); can {
		if err := rs.ChatReceipt(ctx, st.id, a.messageID); err != nil {
			g.log.Debug("chat receipt not sent as REPORT", "err", err)
		}
	}
	return !a.imdn
}

// expectReceipt records that the XMPP recipient of stanza id of chat st
// is asked for a receipt for MSRP message messageID.
func (g *Gateway) expectReceipt(st *chatState, id string, a askedReceipt) {
	g.chats.mu.Lock()
	st.asked.put(id, a)
	g.chats.mu.Unlock()
}

// forgetReceipt undoes expectReceipt for a message that was not sent.
func (g *Gateway) forgetReceipt(st *chatState, id string) {
	g.chats.mu.Lock()
	st.asked.take(id)
	g.chats.mu.Unlock()
}

// receiptNew reports whether a <received/> for id to xmppUser was not
// sent yet: a message may be acknowledged both by an IMDN and by a
// REPORT, and a 200 of a MESSAGE.
func (g *Gateway) receiptNew(xmppUser jid.JID, id string) bool {
	return g.receipts.first(time.Now(), xmppUser.Bare().String(), id)
}
