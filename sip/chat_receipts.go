package sip

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sxgw/sxgw/sip/msrp"
	"github.com/sxgw/sxgw/translate"
)

// ChatReceiptInbound is implemented by a core that maps MSRP delivery
// reports to XMPP message receipts end to end (RFC 7573 §7, XEP-0184).
// With it, a success REPORT says that the message reached the XMPP
// user's client, not merely the core. Without it the chat layer sends a
// success REPORT as soon as the core took the message.
type ChatReceiptInbound interface {
	// SIPChatMessageReceipt is SIPChatMessage for a message whose SEND
	// asked for a success report (Success-Report: yes, RFC 7573 §7: an
	// XEP-0184 request). asked reports that the core asked the XMPP
	// recipient for a receipt: it then calls Endpoint.ChatReceipt with
	// c.ID and m.TransactionID (the MSRP Message-ID) when the receipt
	// comes, and only then is the success REPORT sent. asked false (a
	// chat state or a notification, which get no receipt) sends the
	// success REPORT at once. An error is answered as for SIPChatMessage.
	SIPChatMessageReceipt(ctx context.Context, c translate.SIPChat, m translate.SIPMessage) (asked bool, err error)
	// SIPChatReport delivers the outcome of a message sent with
	// Endpoint.ChatSendReceipt, by the token given there: status 200 for
	// a success REPORT (delivered, RFC 4975 §7.1.2), an MSRP error status
	// for a failure REPORT (§7.1.3).
	SIPChatReport(ctx context.Context, c translate.SIPChat, token string, status int)
}

// Bounds of the report bookkeeping of one chat: how many messages may
// wait for their receipt or REPORT, and for how long. A receipt that does
// not come in time is given up silently: RFC 4975 §7.1.2 lets a
// receiver send no REPORT at all.
const (
	chatReportsMax  = 128
	chatReceiptWait = 2 * time.Minute
)

// chatReports is a chat's report bookkeeping (RFC 7573 §7): the success
// REPORTs we owe for messages received until their XMPP receipt comes,
// and the core's tokens of messages we sent asking for one.
type chatReports struct {
	mu   sync.Mutex
	owed pending[msrp.Delivered] // by the received message's Message-ID
	sent pending[string]         // the core's token, by our Message-ID
}

// pending is a small map whose entries expire and whose size is bounded
// (the oldest entry goes first). Its user guards it.
type pending[V any] struct {
	m map[string]pendingEntry[V]
}

type pendingEntry[V any] struct {
	v  V
	at time.Time
}

// put adds k, making room within chatReportsMax.
func (p *pending[V]) put(k string, v V, now time.Time) {
	if p.m == nil {
		p.m = make(map[string]pendingEntry[V])
	}
	if _, ok := p.m[k]; !ok && len(p.m) >= chatReportsMax {
		oldest, first := "", true
		var at time.Time
		for key, e := range p.m {
			if now.Sub(e.at) > chatReceiptWait {
				delete(p.m, key)
				continue
			}
			if first || e.at.Before(at) {
				oldest, at, first = key, e.at, false
			}
		}
		if len(p.m) >= chatReportsMax {
			delete(p.m, oldest)
		}
	}
	p.m[k] = pendingEntry[V]{v: v, at: now}
}

// take removes k and returns its value unless it expired.
func (p *pending[V]) take(k string, now time.Time) (V, bool) {
	e, ok := p.m[k]
	if ok {
		delete(p.m, k)
	}
	if !ok || now.Sub(e.at) > chatReceiptWait {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (r *chatReports) owe(d msrp.Delivered) {
	r.mu.Lock()
	r.owed.put(d.MessageID(), d, time.Now())
	r.mu.Unlock()
}

func (r *chatReports) takeOwed(id string) (msrp.Delivered, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.owed.take(id, time.Now())
}

func (r *chatReports) expect(id, token string) {
	r.mu.Lock()
	r.sent.put(id, token, time.Now())
	r.mu.Unlock()
}

func (r *chatReports) takeSent(id string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sent.take(id, time.Now())
}

// receiptMessage hands a message asking for a success report to a core
// that maps it to an XMPP receipt request (RFC 7573 §7): the success
// REPORT is owed until Endpoint.ChatReceipt, sent at once when the core
// asked for no receipt, and a refusal is answered as a failure REPORT.
func (h chatHandler) receiptMessage(ctx context.Context, ri ChatReceiptInbound, s *msrp.Session, m *msrp.Message, sm translate.SIPMessage) {
	// Owed before the core sees it: the receipt may come back before
	// SIPChatMessageReceipt returns.
	h.ch.reports.owe(msrp.DeliveredOf(m))
	asked, err := ri.SIPChatMessageReceipt(ctx, h.ch.c, sm)
	if asked && err == nil {
		return
	}
	if _, ok := h.ch.reports.takeOwed(m.MessageID); !ok {
		return // taken by an early ChatReceipt
	}
	code := msrp.StatusOK
	if err != nil {
		code = msrpStatus(err)
	}
	_ = s.Report(ctx, m, code)
}

// MSRPReport: a REPORT about a message ChatSendReceipt sent goes to the
// core by its token (RFC 7573 §7: REPORT -> XEP-0184 <received/>). A
// success REPORT counts once it covers the end of the message (RFC 4975
// §7.1.2 lets a receiver report chunk by chunk); a failure REPORT at
// once.
func (h chatHandler) MSRPReport(_ *msrp.Session, r *msrp.Message) {
	ri, ok := h.cs.in.(ChatReceiptInbound)
	if !ok || h.ch.room != nil {
		return
	}
	if r.Status.Code == msrp.StatusOK {
		if br := r.ByteRange; !br.IsZero() && br.End != msrp.Unknown && br.Total != msrp.Unknown && br.End < br.Total {
			return
		}
	}
	token, ok := h.ch.reports.takeSent(r.MessageID)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), coreTimeout)
	defer cancel()
	ri.SIPChatReport(ctx, h.ch.c, token, r.Status.Code)
}

// ChatSendReceipt is ChatSend for a message whose XMPP sender asked for a
// receipt (RFC 7573 §7: XEP-0184 <request/> -> Success-Report: yes). The
// SEND asks for a success REPORT and, so that a failure is not silent,
// for failure reports too (Failure-Report: yes; it then waits for the
// 200s). The REPORT reaches the core's ChatReceiptInbound.SIPChatReport
// with token; an error response is returned as ChatSend's errors are.
func (e *Endpoint) ChatSendReceipt(ctx context.Context, chatID string, m translate.SIPMessage, token string) error {
	return e.chatSend(ctx, chatID, m, token)
}

// ChatReceipt sends the success REPORT owed for the message with MSRP
// Message-ID messageID of chat chatID, which the core got from
// SIPChatMessageReceipt (RFC 7573 §7: XEP-0184 <received/> -> REPORT). A
// message no REPORT is owed for (unknown, already reported, waited for
// too long) gets nothing: nil.
func (e *Endpoint) ChatReceipt(ctx context.Context, chatID, messageID string) error {
	cs := e.chats.Load()
	if cs == nil {
		return fmt.Errorf("%w: no chat support", ErrConfig)
	}
	cs.mu.Lock()
	ch := cs.byDialog[chatID]
	cs.mu.Unlock()
	if ch == nil {
		return &StatusError{Code: 481, Reason: "No Such Chat"}
	}
	d, ok := ch.reports.takeOwed(messageID)
	if !ok {
		return nil
	}
	if err := ch.session.ReportDelivered(ctx, d, msrp.StatusOK); err != nil {
		return fmt.Errorf("sip: chat receipt: %w", err)
	}
	return nil
}
