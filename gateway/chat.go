package gateway

import (
	"context"
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// defaultChatIdle is Options.ChatIdle when not set: RFC 7573 §6.1, after
// XEP-0085's suggestion of about ten minutes.
const defaultChatIdle = 10 * time.Minute

// chatState is one MSRP chat (RFC 7573) between a SIP user and an XMPP
// user.
type chatState struct {
	id       string
	sipUser  jid.JID // bare
	xmppUser jid.JID // bare
	thread   string
	timer    *time.Timer
	// Receipts waited for (RFC 7573 §7, chat_receipts.go), guarded by
	// chatTable.mu: by stanza id, messages from SIP whose XMPP recipient
	// was asked for one; by token, messages from XMPP sent asking for a
	// success REPORT.
	asked fifo[askedReceipt]
	sent  fifo[sentReceipt]
}

// chatTable holds the chats, by the SIP side's id and by user pair.
type chatTable struct {
	mu     sync.Mutex
	byID   map[string]*chatState
	byPair map[string]*chatState // pairKey(sipUser, xmppUser)
}

func newChatTable() *chatTable {
	return &chatTable{byID: make(map[string]*chatState), byPair: make(map[string]*chatState)}
}

// SIPChatStart accepts an MSRP chat a SIP user opens with an XMPP user
// (RFC 7573 §5): the same address rules as a MESSAGE.
func (g *Gateway) SIPChatStart(_ context.Context, c translate.SIPChat) error {
	if _, err := g.ports(); err != nil {
		return err
	}
	from, to, err := g.sipAddresses(c.From, c.To)
	if err != nil {
		return err
	}
	g.openChat(c.ID, from.Bare(), to.Bare(), c.CallID)
	return nil
}

// openChat registers a chat; a newer one replaces an older one for the
// same pair.
func (g *Gateway) openChat(id string, sipUser, xmppUser jid.JID, thread string) *chatState {
	st := &chatState{id: id, sipUser: sipUser, xmppUser: xmppUser, thread: thread}
	g.chats.mu.Lock()
	if old := g.chats.byPair[pairKey(st.sipUser, st.xmppUser)]; old != nil && old.id != st.id {
		g.dropChatLocked(old)
	}
	g.chats.byID[st.id] = st
	g.chats.byPair[pairKey(st.sipUser, st.xmppUser)] = st
	st.timer = time.AfterFunc(g.o.ChatIdle, func() { g.chatIdle(st) })
	g.chats.mu.Unlock()
	g.m.chats.Inc()
	return st
}

// SIPChatMessage translates one MSRP message of a chat into a chat
// message stanza (RFC 7573 §5: type chat, <thread/> from the Call-ID).
func (g *Gateway) SIPChatMessage(ctx context.Context, c translate.SIPChat, m translate.SIPMessage) error {
	_, err := g.chatMessage(ctx, c, m, false)
	return err
}

// chatMessage is SIPChatMessage; with receipt the MSRP sender asked for
// a success REPORT, and a content message asks its XMPP recipient for a
// receipt (RFC 7573 §7, XEP-0184 §5): asked then says so.
func (g *Gateway) chatMessage(ctx context.Context, c translate.SIPChat, m translate.SIPMessage, receipt bool) (asked bool, err error) {
	ports, err := g.ports()
	if err != nil {
		return false, err
	}
	g.chats.mu.Lock()
	st := g.chats.byID[c.ID]
	if st != nil {
		st.timer.Reset(g.o.ChatIdle)
	}
	g.chats.mu.Unlock()
	if st == nil {
		return false, refuse(481, translate.CondItemNotFound, "no such chat")
	}
	x, err := translate.MessageToXMPP(m, st.sipUser, st.xmppUser)
	if translate.IsNothingToSend(err) {
		return false, nil
	}
	if err != nil {
		g.m.messages.WithLabelValues(dirSIPToXMPP, resultRejected).Inc()
		return false, err
	}
	if x.ReceiptFor != "" && !g.receiptNew(x.To, x.ReceiptFor) {
		// An IMDN for a message a REPORT acknowledged already.
		g.m.messages.WithLabelValues(dirSIPToXMPP, resultDuplicate).Inc()
		return false, nil
	}
	x.Type, x.Thread, x.Subject = translate.TypeChat, st.thread, ""
	if x.ID == "" {
		x.ID = newID()
	}
	// XEP-0184 §5: receipts are for content messages, those with a body.
	asked = receipt && x.Body != "" && m.TransactionID != ""
	if asked {
		g.expectReceipt(st, x.ID, askedReceipt{messageID: m.TransactionID, imdn: x.ReceiptRequest})
		x.ReceiptRequest = true
	}
	if err := ports.xmpp.SendMessage(ctx, x); err != nil {
		if asked {
			g.forgetReceipt(st, x.ID)
		}
		g.m.messages.WithLabelValues(dirSIPToXMPP, resultError).Inc()
		return false, translate.ErrorOf(err)
	}
	g.m.messages.WithLabelValues(dirSIPToXMPP, resultOK).Inc()
	return asked, nil
}

// SIPChatEnd: the SIP side ended a chat; the XMPP user gets the gone
// chat state (RFC 7573 §6.1).
func (g *Gateway) SIPChatEnd(_ context.Context, c translate.SIPChat) {
	g.chats.mu.Lock()
	st := g.chats.byID[c.ID]
	if st != nil {
		g.dropChatLocked(st)
	}
	g.chats.mu.Unlock()
	if st == nil {
		return
	}
	if ports, err := g.ports(); err == nil {
		ctx, cancel := context.WithTimeout(g.ctx, 5*time.Second)
		defer cancel()
		_ = ports.xmpp.SendMessage(ctx, translate.XMPPMessage{
			From: st.sipUser, To: st.xmppUser, ID: newID(), Type: translate.TypeChat, Thread: st.thread, ChatState: "gone",
		})
	}
}

func (g *Gateway) dropChatLocked(st *chatState) {
	delete(g.chats.byID, st.id)
	if g.chats.byPair[pairKey(st.sipUser, st.xmppUser)] == st {
		delete(g.chats.byPair, pairKey(st.sipUser, st.xmppUser))
	}
	if st.timer != nil {
		st.timer.Stop()
	}
	g.m.chats.Dec()
}

// chatIdle ends a quiet chat on both sides.
func (g *Gateway) chatIdle(st *chatState) {
	ports, err := g.ports()
	if err != nil {
		return
	}
	ports.sip.ChatEnd(st.id)
}

// chatFor returns the chat between an XMPP sender and a SIP recipient.
func (g *Gateway) chatFor(xmppUser, sipUser jid.JID) *chatState {
	g.chats.mu.Lock()
	defer g.chats.mu.Unlock()
	st := g.chats.byPair[pairKey(sipUser.Bare(), xmppUser.Bare())]
	if st != nil {
		st.timer.Reset(g.o.ChatIdle)
	}
	return st
}

// chatToSIP sends an XMPP chat message over MSRP (RFC 7573): into the
// open chat with the recipient, or into a new one the first message with a
// body opens (§4: INVITE with an MSRP offer); gone ends it (§6.1). A
// receipt request asks for a success REPORT and a <received/> becomes the
// REPORT its MSRP sender asked for (§7). It runs in the conversation's
// order; failures come back to the sender as stanza errors.
func (g *Gateway) chatToSIP(p *sides, m translate.XMPPMessage, s translate.SIPMessage, ok bool, from, to string) error {
	key := m.From.String() + "\x00" + m.To.Bare().String()
	err := g.queue.submit(key, func() {
		ctx, cancel := context.WithTimeout(g.ctx, sipSendTimeout)
		defer cancel()
		st := g.chatFor(m.From, m.To)
		if m.ChatState == "gone" && m.Body == "" {
			if st != nil {
				p.sip.ChatEnd(st.id)
			}
			return
		}
		if m.ReceiptFor != "" && st != nil && g.receiptToSIP(ctx, p, st, m.ReceiptFor) {
			// The REPORT was all the MSRP sender asked for.
			g.m.messages.WithLabelValues(dirXMPPToSIP, resultOK).Inc()
			return
		}
		if !ok {
			g.m.messages.WithLabelValues(dirXMPPToSIP, resultDropped).Inc()
			return
		}
		if st == nil {
			if m.Body == "" {
				// A chat state alone does not open a session.
				g.m.messages.WithLabelValues(dirXMPPToSIP, resultDropped).Inc()
				return
			}
			thread := m.Thread
			if thread == "" {
				thread = s.CallID
			}
			id, err := p.sip.ChatStart(ctx, translate.SIPChat{From: from, To: to, CallID: s.CallID, Subject: "Chat with " + m.From.Bare().String()})
			if err != nil {
				g.m.messages.WithLabelValues(dirXMPPToSIP, resultError).Inc()
				g.bounceToXMPP(p, m, sipFailure(err))
				return
			}
			st = g.openChat(id, m.To.Bare(), m.From.Bare(), thread)
		}
		if m.ReceiptRequest && m.ID != "" && m.Body != "" && g.sendWithReceipt(ctx, p, st, m, s) {
			return
		}
		if err := p.sip.ChatSend(ctx, st.id, s); err != nil {
			g.m.messages.WithLabelValues(dirXMPPToSIP, resultError).Inc()
			g.bounceToXMPP(p, m, sipFailure(err))
			return
		}
		g.m.messages.WithLabelValues(dirXMPPToSIP, resultOK).Inc()
	})
	if err != nil {
		g.m.messages.WithLabelValues(dirXMPPToSIP, resultRejected).Inc()
		return refuse(0, translate.CondResourceConstraint, "too many messages waiting for this recipient")
	}
	return nil
}
