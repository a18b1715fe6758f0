package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// sipSendTimeout bounds one MESSAGE sent to SIP (RFC 3261 §17.1.2.2:
// Timer F is 64*T1 = 32 s).
const sipSendTimeout = 32 * time.Second

// SIPMessage translates a SIP MESSAGE into a message stanza (RFC 7572
// §5, Table 2). It returns once the stanza is on its way and no XMPP
// error came back within ErrorWait, or with the error mapped to the SIP
// status by RFC 7247 §7.3.
func (g *Gateway) SIPMessage(ctx context.Context, m translate.SIPMessage) error {
	ch := make(chan error, 1)
	g.StartSIPMessage(ctx, m, func(err error) { ch <- err })
	return <-ch
}

// StartSIPMessage is SIPMessage answering through done, called exactly
// once: at once when the outcome is known, or from a goroutine of its own
// after the error window, so that the caller never waits.
func (g *Gateway) StartSIPMessage(ctx context.Context, m translate.SIPMessage, done func(error)) {
	start := time.Now()
	p, err := g.ports()
	if err != nil {
		done(err)
		return
	}
	from, to, err := g.sipAddresses(m.From, m.RequestURI)
	if err != nil {
		g.m.messages.WithLabelValues(dirSIPToXMPP, resultRejected).Inc()
		done(err)
		return
	}
	if g.isRoomDomain(to.Domainpart()) {
		// RFC 7701 rooms are MSRP sessions; SIP MESSAGE is not one of
		// their ways in.
		g.m.messages.WithLabelValues(dirSIPToXMPP, resultRejected).Inc()
		done(refuse(403, translate.CondNotAllowed, "join the room with an MSRP session (RFC 7701)"))
		return
	}
	// A request resent under a new transaction (failover, a forking
	// proxy) is answered again, not delivered twice (RFC 3261 §8.2.2.2).
	var cseq [20]byte
	if !g.dedup.first(start, m.From, m.CallID, string(strconv.AppendUint(cseq[:0], uint64(m.CSeq), 10))) {
		g.m.messages.WithLabelValues(dirSIPToXMPP, resultDuplicate).Inc()
		done(nil)
		return
	}
	x, err := translate.MessageToXMPP(m, from, to)
	if translate.IsNothingToSend(err) {
		g.m.messages.WithLabelValues(dirSIPToXMPP, resultDropped).Inc()
		done(nil)
		return
	}
	if err != nil {
		g.m.messages.WithLabelValues(dirSIPToXMPP, resultRejected).Inc()
		done(err)
		return
	}
	if x.ReceiptFor != "" && !g.receipts.first(start, x.To.Bare().String(), x.ReceiptFor) {
		// Already acknowledged by the 200 of the MESSAGE (see XMPPMessage).
		g.m.messages.WithLabelValues(dirSIPToXMPP, resultDuplicate).Inc()
		done(nil)
		return
	}
	if x.ID == "" {
		x.ID = newID()
	}
	// A recipient that took a message without error recently is known to
	// exist: answer at once. Otherwise wait the error window.
	target := bareString(x.To)
	if g.known.has(start, target) {
		if err := p.xmpp.SendMessage(ctx, x); err != nil {
			g.m.messages.WithLabelValues(dirSIPToXMPP, resultError).Inc()
			done(translate.ErrorOf(err))
			return
		}
		g.m.latency.WithLabelValues(dirSIPToXMPP).Observe(time.Since(start).Seconds())
		g.m.messages.WithLabelValues(dirSIPToXMPP, resultOK).Inc()
		done(nil)
		return
	}
	sender := x.From.String()
	ch := g.wait.expect(sender, x.ID)
	if err := p.xmpp.SendMessage(ctx, x); err != nil {
		g.wait.forget(sender, x.ID)
		g.m.messages.WithLabelValues(dirSIPToXMPP, resultError).Inc()
		done(translate.ErrorOf(err))
		return
	}
	g.m.latency.WithLabelValues(dirSIPToXMPP).Observe(time.Since(start).Seconds())
	wait := func() {
		defer g.wait.forget(sender, x.ID)
		t := time.NewTimer(g.o.ErrorWait)
		defer t.Stop()
		select {
		case se := <-ch:
			g.m.messages.WithLabelValues(dirSIPToXMPP, resultError).Inc()
			done(translate.FromStanzaError(se.Condition, se.Text, x.To.Resourcepart() != "", ""))
			return
		case <-t.C:
			g.known.first(time.Now(), target)
		case <-ctx.Done():
		case <-g.ctx.Done():
		}
		g.m.messages.WithLabelValues(dirSIPToXMPP, resultOK).Inc()
		done(nil)
	}
	if !g.goBG(wait) {
		// Closing: no goroutine may start; the stanza is on its way.
		g.wait.forget(sender, x.ID)
		g.m.messages.WithLabelValues(dirSIPToXMPP, resultOK).Inc()
		done(nil)
	}
}

// bareString is j.Bare().String() in one allocation (RFC 7622 §3.1:
// localpart@domainpart, or the domainpart alone).
func bareString(j jid.JID) string {
	var arr [128]byte
	b := arr[:0]
	if local := j.Localpart(); local != "" {
		b = append(append(b, local...), '@')
	}
	return string(append(b, j.Domainpart()...))
}

// sipAddresses maps the sender and the target of a SIP request to JIDs
// (RFC 7247 §6.4): the sender must be of a served domain (we speak for it
// on XMPP), the target must not (that would loop back into SIP).
func (g *Gateway) sipAddresses(fromURI, targetURI string) (from, to jid.JID, err error) {
	from, err = g.sipJIDs.jid(fromURI)
	if err != nil {
		return from, to, err
	}
	if !g.serves(from.Domainpart()) {
		return from, to, refuse(403, translate.CondForbidden, "sender's domain is not served by this gateway")
	}
	to, err = g.xmppJIDs.jid(targetURI)
	if err != nil {
		return from, to, err
	}
	if g.serves(to.Domainpart()) {
		return from, to, refuse(482, translate.CondNotAcceptable, "loop: target is in a domain this gateway serves")
	}
	return from, to, nil
}

// XMPPMessage translates a message stanza into a SIP MESSAGE (RFC 7572
// §4, Table 1). Sending happens in order per conversation, after this
// returns; a SIP failure comes back to the sender as a stanza error.
func (g *Gateway) XMPPMessage(ctx context.Context, m translate.XMPPMessage) error {
	if g.isRoomDomain(m.To.Domainpart()) {
		if g.serves(m.From.Domainpart()) {
			return refuse(0, translate.CondForbidden, "loop: sender is in a domain this gateway serves")
		}
		return g.roomMessage(ctx, m)
	}
	if len(m.JingleMessage) > 0 && m.Type != translate.TypeError {
		if g.serves(m.From.Domainpart()) {
			return refuse(0, translate.CondForbidden, "loop: sender is in a domain this gateway serves")
		}
		return g.jingleMessage(m)
	}
	if m.DirectInvite != nil && g.isRoomDomain(m.DirectInvite.Room.Domainpart()) && m.Type != translate.TypeError {
		return g.directInvite(m)
	}
	if m.Type == translate.TypeError {
		// Whoever answers with an error is no longer known to accept
		// messages: the next SIP sender waits the error window again.
		g.known.forget(m.From.Bare().String())
		if m.Err == nil || !g.wait.resolve(m.To.String(), m.ID, m.Err) {
			// Too late for the SIP answer (or not ours): counted, so an
			// operator can see when the error window is too short.
			g.m.lateErrors.Inc()
		}
		return nil
	}
	start := time.Now()
	p, err := g.ports()
	if err != nil {
		return err
	}
	if g.serves(m.From.Domainpart()) {
		g.m.messages.WithLabelValues(dirXMPPToSIP, resultRejected).Inc()
		return refuse(0, translate.CondForbidden, "loop: sender is in a domain this gateway serves")
	}
	if m.Type == translate.TypeGroupchat {
		g.m.messages.WithLabelValues(dirXMPPToSIP, resultRejected).Inc()
		return refuse(0, translate.CondServiceUnavailable, "group chat is not available here")
	}
	from, err := translate.JIDToSIP(m.From, g.xmppSide)
	if err != nil {
		g.m.messages.WithLabelValues(dirXMPPToSIP, resultRejected).Inc()
		return err
	}
	to, err := translate.JIDToSIP(m.To.Bare(), g.sipSide)
	if err != nil {
		g.m.messages.WithLabelValues(dirXMPPToSIP, resultRejected).Inc()
		return err
	}
	s, ok, err := translate.MessageToSIP(m, from, to, g.o.MaxSIPBody, start)
	if err != nil {
		g.m.messages.WithLabelValues(dirXMPPToSIP, resultRejected).Inc()
		return err
	}
	if s.CallID == "" {
		s.CallID = translate.ConversationCallID(m.From.Bare().String(), m.To.Bare().String())
	}
	// Chat messages go over MSRP (RFC 7573) when chats are on or one is
	// open with the recipient; others (and type normal) as MESSAGE.
	// A bodiless receipt may come without type (XEP-0184 §5.2): it belongs
	// to the chat it acknowledges, where it becomes the REPORT.
	receiptInChat := m.ReceiptFor != "" && m.Body == "" && g.chatFor(m.From, m.To) != nil
	if receiptInChat || m.Type == translate.TypeChat && (g.o.ChatMSRP || g.chatFor(m.From, m.To) != nil) {
		return g.chatToSIP(p, m, s, ok, from, to)
	}
	if !ok {
		g.m.messages.WithLabelValues(dirXMPPToSIP, resultDropped).Inc()
		return nil
	}
	// CSeq grows across all MESSAGEs, so it also grows within each Call-ID.
	s.CSeq = g.cseq.Add(1)
	job := func() {
		g.m.latency.WithLabelValues(dirXMPPToSIP).Observe(time.Since(start).Seconds())
		sctx, cancel := context.WithTimeout(g.ctx, sipSendTimeout)
		defer cancel()
		status, err := p.sip.SendMessage(sctx, s)
		if err == nil {
			g.m.messages.WithLabelValues(dirXMPPToSIP, resultOK).Inc()
			if m.ReceiptRequest && status == 200 && m.ID != "" {
				g.receipt(p, m)
			}
			return
		}
		g.m.messages.WithLabelValues(dirXMPPToSIP, resultError).Inc()
		g.log.Debug("SIP MESSAGE failed", "err", err)
		g.bounceToXMPP(p, m, sipFailure(err))
	}
	if err := g.queue.submit(m.From.String()+"\x00"+m.To.Bare().String(), job); err != nil {
		g.m.messages.WithLabelValues(dirXMPPToSIP, resultRejected).Inc()
		return refuse(0, translate.CondResourceConstraint, "too many messages waiting for this recipient")
	}
	return nil
}

// sipFailure maps a failed SIP request to the error for the XMPP sender:
// a final response by RFC 7247 §7.3, no response as a remote server
// timeout or not found.
func sipFailure(err error) *translate.Error {
	var sc interface{ SIPResponse() (int, string) }
	if errors.As(err, &sc) {
		code, reason := sc.SIPResponse()
		return translate.FromSIPStatus(code, reason)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return translate.FromCondition(translate.CondRemoteServerTimeout, "")
	}
	return translate.FromCondition(translate.CondRemoteServerNotFound, "")
}

// bounceToXMPP answers a message stanza with an error (RFC 6120 §8.3).
func (g *Gateway) bounceToXMPP(p *sides, m translate.XMPPMessage, e *translate.Error) {
	reply := translate.XMPPMessage{
		From: m.To, To: m.From, ID: m.ID, Type: translate.TypeError, Thread: m.Thread,
		Err: &translate.StanzaError{Type: e.Type, Condition: e.Condition, Text: e.Text},
	}
	ctx, cancel := context.WithTimeout(g.ctx, 5*time.Second)
	defer cancel()
	if err := p.xmpp.SendMessage(ctx, reply); err != nil {
		g.log.Debug("error reply not sent", "err", err)
	}
}

// receipt acknowledges a message the SIP UA accepted with 200 (RFC 3428
// §5: delivered to the UA; 202 only means accepted on its way) with an
// XEP-0184 receipt; an IMDN for the same message later is not repeated.
func (g *Gateway) receipt(p *sides, m translate.XMPPMessage) {
	if !g.receipts.first(time.Now(), m.From.Bare().String(), m.ID) {
		return
	}
	r := translate.XMPPMessage{From: m.To.Bare(), To: m.From, ID: newID(), ReceiptFor: m.ID, Thread: m.Thread}
	ctx, cancel := context.WithTimeout(g.ctx, 5*time.Second)
	defer cancel()
	if err := p.xmpp.SendMessage(ctx, r); err != nil {
		g.log.Debug("receipt not sent", "err", err)
	}
}

// newID returns a fresh stanza id.
func newID() string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	return "sxgw-" + hex.EncodeToString(b[:])
}
