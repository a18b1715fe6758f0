package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/sip/simple"
	"github.com/sxgw/sxgw/translate"
)

// notifyInterval is the least time between two NOTIFYs of one
// subscription carrying presence changes; changes in between are merged
// (coalesced) into the next one.
const notifyInterval = 500 * time.Millisecond

// presenceEvent is the SIP event package (RFC 3856).
const presenceEvent = "presence"

func pidfAccept() []string { return []string{translate.ContentTypePIDF} }

// XMPPPresence handles presence stanzas for served domains (RFC 8048):
// subscription management both ways and presence notifications from XMPP
// users to the SIP users watching them.
func (g *Gateway) XMPPPresence(ctx context.Context, p translate.XMPPPresence) error {
	if g.serves(p.From.Domainpart()) {
		return refuse(0, translate.CondForbidden, "loop: sender is in a domain this gateway serves")
	}
	if g.isRoomDomain(p.To.Domainpart()) {
		return g.roomPresence(ctx, p)
	}
	ports, err := g.ports()
	if err != nil {
		return err
	}
	switch p.Type {
	case translate.PresenceSubscribed:
		g.authorizedSIPWatcher(ports, p.To, p.From)
	case translate.PresenceUnsubscribed:
		g.rejectedSIPWatcher(ports, p.To, p.From)
	case translate.PresenceAvailable, translate.PresenceUnavailable:
		g.presenceForSIPWatchers(p)
	case translate.PresenceSubscribe:
		return g.subscribeSIP(ports, p.From.Bare(), p.To.Bare())
	case translate.PresenceUnsubscribe:
		g.unsubscribeSIP(ports, p.From.Bare(), p.To.Bare())
	case translate.PresenceProbe:
		g.probeSIP(ports, p.From.Bare(), p.To.Bare())
	}
	g.m.presence.WithLabelValues(dirXMPPToSIP, presenceLabel(p.Type)).Inc()
	return nil
}

func presenceLabel(t string) string {
	if t == "" {
		return "available"
	}
	return t
}

// ---- SIP watchers of XMPP users (RFC 8048 §5.3, §6.2) ----

// SIPSubscribe handles a SUBSCRIBE for presence of an XMPP user.
func (g *Gateway) SIPSubscribe(ctx context.Context, s translate.SIPSubscribe) (int, func(), error) {
	if strings.EqualFold(s.Event, conferenceEvent) {
		return g.roomSubscribe(s)
	}
	ports, err := g.ports()
	if err != nil {
		return 0, nil, err
	}
	if !s.New {
		return g.refreshSIPWatcher(ports, s)
	}
	watcher, presentity, err := g.sipAddresses(s.Dialog.RemoteURI, s.RequestURI)
	if err != nil {
		return 0, nil, err
	}
	watcher, presentity = watcher.Bare(), presentity.Bare()
	expires := clampExpires(s.Expires)
	if expires == 0 {
		// RFC 8048 §7: a one-shot fetch. Answer with what is known and
		// probe the XMPP user for next time.
		after := func() {
			g.sendPresence(ports, translate.XMPPPresence{From: watcher, To: presentity, Type: translate.PresenceProbe})
			body, ctype := g.pidfFor(watcher, presentity, s.RequestURI)
			g.sendNotify(ports, &subscription{id: subID(s.Dialog.CallID, s.Dialog.LocalTag), dialog: s.Dialog},
				translate.SIPNotify{State: translate.SubStateTerminated, Reason: "timeout", ContentType: ctype, Body: body}, true)
		}
		return 0, after, nil
	}
	sub := &subscription{
		id: subID(s.Dialog.CallID, s.Dialog.LocalTag), kind: kindSIPWatcher,
		watcher: watcher, presentity: presentity, state: subPending,
		dialog: s.Dialog, expires: time.Now().Add(time.Duration(expires) * time.Second),
	}
	g.pres.mu.Lock()
	// An authorization already granted on another dialog for the pair
	// makes this one active at once.
	for _, o := range g.pres.find(kindSIPWatcher, watcher, presentity) {
		if o.state == subActive {
			sub.state = subActive
		}
	}
	g.pres.add(sub)
	g.armExpiry(ports, sub)
	g.persist(sub)
	state := sub.state
	g.pres.mu.Unlock()
	g.m.subscriptions.WithLabelValues(kindSIPWatcher).Inc()
	after := func() {
		// RFC 6665 §4.2.1.2: NOTIFY at once; RFC 8048 §5.3: the XMPP
		// user is asked for authorization.
		g.notifyState(ports, sub)
		if state == subPending {
			g.sendPresence(ports, translate.XMPPPresence{From: watcher, To: presentity, Type: translate.PresenceSubscribe})
		} else {
			g.sendPresence(ports, translate.XMPPPresence{From: watcher, To: presentity, Type: translate.PresenceProbe})
		}
	}
	return expires, after, nil
}

// refreshSIPWatcher handles a SUBSCRIBE inside an existing dialog: a
// refresh, or with Expires 0 the end of the subscription.
func (g *Gateway) refreshSIPWatcher(ports *sides, s translate.SIPSubscribe) (int, func(), error) {
	g.pres.mu.Lock()
	sub := g.pres.byID[subID(s.Dialog.CallID, s.Dialog.LocalTag)]
	if sub == nil || sub.kind != kindSIPWatcher {
		g.pres.mu.Unlock()
		return 0, nil, refuse(481, translate.CondItemNotFound, "no such subscription")
	}
	sub.dialog.RemoteCSeq = s.Dialog.RemoteCSeq
	if s.Dialog.RemoteTarget != "" {
		sub.dialog.RemoteTarget = s.Dialog.RemoteTarget
	}
	expires := clampExpires(s.Expires)
	if expires == 0 {
		g.pres.remove(sub)
		g.pres.mu.Unlock()
		g.unpersist(sub.id)
		g.m.subscriptions.WithLabelValues(kindSIPWatcher).Dec()
		after := func() {
			// RFC 8048 §5.3: NOTIFY closed, terminated;reason=timeout, and
			// unavailable presence to the XMPP user.
			body, _ := translate.PresenceToPIDF(g.presentityURI(sub), nil).Marshal()
			g.sendNotify(ports, sub, translate.SIPNotify{State: translate.SubStateTerminated, Reason: "timeout",
				ContentType: translate.ContentTypePIDF, Body: body}, true)
			g.sendPresence(ports, translate.XMPPPresence{From: sub.watcher, To: sub.presentity, Type: translate.PresenceUnavailable})
		}
		return 0, after, nil
	}
	sub.expires = time.Now().Add(time.Duration(expires) * time.Second)
	g.armExpiry(ports, sub)
	sub.lastBody = nil // every refresh gets a full NOTIFY (RFC 6665 §4.2.1.2)
	g.persist(sub)
	g.pres.mu.Unlock()
	return expires, func() { g.notifyState(ports, sub) }, nil
}

// armExpiry ends a SIP watcher's subscription when it is not refreshed
// in time (RFC 6665 §4.2.2: terminated;reason=timeout). Caller holds mu.
func (g *Gateway) armExpiry(ports *sides, sub *subscription) {
	if sub.timer != nil {
		sub.timer.Stop()
	}
	sub.timer = time.AfterFunc(time.Until(sub.expires), func() {
		g.pres.mu.Lock()
		if g.pres.byID[sub.id] != sub || time.Now().Before(sub.expires) {
			g.pres.mu.Unlock()
			return
		}
		g.pres.remove(sub)
		g.pres.mu.Unlock()
		g.unpersist(sub.id)
		g.m.subscriptions.WithLabelValues(kindSIPWatcher).Dec()
		g.sendNotify(ports, sub, translate.SIPNotify{State: translate.SubStateTerminated, Reason: "timeout"}, true)
	})
}

// authorizedSIPWatcher: the XMPP user granted a SIP watcher
// (<presence type='subscribed'/>): NOTIFY active (RFC 8048 §5.3).
func (g *Gateway) authorizedSIPWatcher(ports *sides, watcher, presentity jid.JID) {
	g.pres.mu.Lock()
	subs := g.pres.find(kindSIPWatcher, watcher, presentity)
	var changed []*subscription
	for _, s := range subs {
		if s.state != subActive {
			s.state = subActive
			g.persist(s)
			changed = append(changed, s)
		}
	}
	g.pres.mu.Unlock()
	for _, s := range changed {
		g.notifyState(ports, s)
	}
}

// rejectedSIPWatcher: the XMPP user refused or revoked a SIP watcher:
// NOTIFY terminated;reason=rejected (RFC 8048 §5.3).
func (g *Gateway) rejectedSIPWatcher(ports *sides, watcher, presentity jid.JID) {
	g.pres.mu.Lock()
	subs := g.pres.find(kindSIPWatcher, watcher, presentity)
	for _, s := range subs {
		g.pres.remove(s)
	}
	g.pres.mu.Unlock()
	for _, s := range subs {
		g.unpersist(s.id)
		g.m.subscriptions.WithLabelValues(kindSIPWatcher).Dec()
		g.sendNotify(ports, s, translate.SIPNotify{State: translate.SubStateTerminated, Reason: "rejected"}, true)
	}
}

// presenceForSIPWatchers records an XMPP user's presence sent to a SIP
// user and notifies that user's subscriptions (RFC 8048 §6.2).
func (g *Gateway) presenceForSIPWatchers(p translate.XMPPPresence) {
	watcher, presentity := p.To.Bare(), p.From.Bare()
	k := pairKey(watcher, presentity)
	g.pres.mu.Lock()
	defer g.pres.mu.Unlock()
	subs := g.pres.find(kindSIPWatcher, watcher, presentity)
	if len(subs) == 0 {
		return
	}
	res := g.pres.resources[k]
	if res == nil {
		res = make(map[string]translate.XMPPPresence)
		g.pres.resources[k] = res
	}
	r := p.From.Resourcepart()
	switch {
	case r == "" && p.Type == translate.PresenceUnavailable:
		// The account is offline: every resource with it.
		clear(res)
	case r != "":
		// A resource speaks for itself: the account-level state is moot.
		delete(res, "")
	}
	res[r] = p
	for _, s := range subs {
		if s.state == subActive {
			g.scheduleNotify(s)
		}
	}
}

// scheduleNotify sends s a NOTIFY with the current presence soon, merging
// changes that come within notifyInterval. Caller holds mu.
func (g *Gateway) scheduleNotify(s *subscription) {
	if s.dirty {
		g.m.coalesced.Inc()
		return
	}
	s.dirty = true
	wait := time.Until(s.lastSent.Add(notifyInterval))
	fire := func() {
		ports, err := g.ports()
		if err != nil {
			return
		}
		g.pres.mu.Lock()
		s.dirty = false
		live := g.pres.byID[s.id] == s
		g.pres.mu.Unlock()
		if live {
			g.notifyState(ports, s)
		}
	}
	if wait <= 0 {
		go fire()
		return
	}
	time.AfterFunc(wait, fire)
}

// notifyState sends the subscription's current state: pending without a
// body, active with the presence known (an empty body when nothing is
// known yet, RFC 8048 §5.3), change-only.
func (g *Gateway) notifyState(ports *sides, s *subscription) {
	g.pres.mu.Lock()
	n := translate.SIPNotify{State: translate.SubStatePending, Expires: max(0, int(time.Until(s.expires).Seconds()))}
	if s.state == subActive {
		n.State = translate.SubStateActive
		k := pairKey(s.watcher, s.presentity)
		if len(g.pres.resources[k]) > 0 {
			body, ctype := g.pidfLocked(k, g.presentityURI(s))
			if s.lastBody != nil && bytes.Equal(body, s.lastBody) {
				g.pres.mu.Unlock()
				g.m.coalesced.Inc()
				return
			}
			n.Body, n.ContentType = body, ctype
			s.lastBody = body
		}
	}
	s.lastSent = time.Now()
	g.pres.mu.Unlock()
	g.sendNotify(ports, s, n, false)
}

// pidfFor renders the known presence of a pair as PIDF ("" type when
// nothing is known).
func (g *Gateway) pidfFor(watcher, presentity jid.JID, entity string) ([]byte, string) {
	g.pres.mu.Lock()
	defer g.pres.mu.Unlock()
	k := pairKey(watcher, presentity)
	if len(g.pres.resources[k]) == 0 {
		return nil, ""
	}
	return g.pidfLocked(k, entity)
}

func (g *Gateway) pidfLocked(k, entity string) ([]byte, string) {
	res := g.pres.resources[k]
	list := make([]translate.XMPPPresence, 0, len(res))
	for _, p := range res {
		list = append(list, p)
	}
	sortPresences(list)
	body, err := translate.PresenceToPIDF(entity, list).Marshal()
	if err != nil {
		g.log.Warn("PIDF not built", "err", err)
		return nil, ""
	}
	return body, translate.ContentTypePIDF
}

// presentityURI is the SIP URI of a SIP watcher's XMPP presentity.
func (g *Gateway) presentityURI(s *subscription) string {
	if u, err := translate.JIDToSIP(s.presentity, translate.AddressOptions{}); err == nil {
		return u
	}
	return "sip:" + s.presentity.String()
}

// sendNotify sends a NOTIFY in s's dialog, in order with the others of s.
// final marks the last one (the dialog is gone from the table already).
func (g *Gateway) sendNotify(ports *sides, s *subscription, n translate.SIPNotify, final bool) {
	n.Event = presenceEvent
	err := g.queue.submit(s.id, func() {
		g.pres.mu.Lock()
		d := s.dialog
		g.pres.mu.Unlock()
		ctx, cancel := context.WithTimeout(g.ctx, sipSendTimeout)
		defer cancel()
		nd, err := ports.sip.Notify(ctx, d, n)
		g.pres.mu.Lock()
		// The CSeq was used even when the request failed.
		s.dialog.LocalCSeq = max(s.dialog.LocalCSeq, nd.LocalCSeq)
		g.pres.mu.Unlock()
		if err != nil {
			g.m.notifies.WithLabelValues(resultError).Inc()
			g.log.Info("NOTIFY failed", "err", err)
			if !final && isDialogGone(err) {
				// RFC 6665 §4.2.2: 481 (or a timeout) ends the subscription.
				g.dropSIPWatcher(s)
			}
			return
		}
		g.m.notifies.WithLabelValues(resultOK).Inc()
		g.pres.mu.Lock()
		if !final && g.pres.byID[s.id] == s {
			g.persist(s)
		}
		g.pres.mu.Unlock()
	})
	if err != nil {
		g.log.Warn("NOTIFY not queued", "err", err)
	}
}

// isDialogGone reports a NOTIFY answer that ends the subscription.
func isDialogGone(err error) bool {
	var sc interface{ SIPResponse() (int, string) }
	if errors.As(err, &sc) {
		code, _ := sc.SIPResponse()
		return code == 481 || code == 408 || code >= 500 && code != 503
	}
	return errors.Is(err, context.DeadlineExceeded)
}

func (g *Gateway) dropSIPWatcher(s *subscription) {
	g.pres.mu.Lock()
	live := g.pres.byID[s.id] == s
	if live {
		g.pres.remove(s)
	}
	g.pres.mu.Unlock()
	if live {
		g.unpersist(s.id)
		g.m.subscriptions.WithLabelValues(kindSIPWatcher).Dec()
	}
}

// sendPresence sends a presence stanza, logging failures.
func (g *Gateway) sendPresence(ports *sides, p translate.XMPPPresence) {
	ctx, cancel := context.WithTimeout(g.ctx, 5*time.Second)
	defer cancel()
	if err := ports.xmpp.SendPresence(ctx, p); err != nil {
		g.log.Info("presence not sent", "type", p.Type, "err", err)
		return
	}
	g.m.presence.WithLabelValues(dirSIPToXMPP, presenceLabel(p.Type)).Inc()
}

// ---- XMPP watchers of SIP users (RFC 8048 §5.2, §6.3) ----

// subscribeSIP: an XMPP user asks to see a SIP user's presence: SUBSCRIBE
// (RFC 8048 §5.2); <presence type='subscribed'/> waits for an active NOTIFY.
func (g *Gateway) subscribeSIP(ports *sides, watcher, presentity jid.JID) error {
	from, err := translate.JIDToSIP(watcher, g.xmppSide)
	if err != nil {
		return err
	}
	to, err := translate.JIDToSIP(presentity, g.sipSide)
	if err != nil {
		return err
	}
	g.pres.mu.Lock()
	for _, s := range g.pres.find(kindXMPPWatcher, watcher, presentity) {
		if s.state != subTerminating {
			authorized := s.authorized
			g.pres.mu.Unlock()
			if authorized {
				// Already authorized: say so again (RFC 6121 §3.1.3).
				g.sendPresence(ports, translate.XMPPPresence{From: presentity, To: watcher, Type: translate.PresenceSubscribed})
			}
			return nil
		}
	}
	callID := newTag() + newTag() + "@sxgw"
	tag := newTag()
	sub := &subscription{
		id: subID(callID, tag), kind: kindXMPPWatcher, watcher: watcher, presentity: presentity,
		state: subPending, expires: time.Now().Add(defaultExpires * time.Second),
		dialog: translate.SIPDialog{CallID: callID, LocalURI: from, LocalTag: tag, RemoteURI: to},
	}
	g.pres.add(sub)
	g.persist(sub)
	g.pres.mu.Unlock()
	g.m.subscriptions.WithLabelValues(kindXMPPWatcher).Inc()
	g.refreshSIP(ports, sub, defaultExpires)
	return nil
}

// refreshSIP sends SUBSCRIBE in sub's dialog (creating it when new) and
// arms the next refresh before expiry (RFC 6665 §4.1.2.1).
func (g *Gateway) refreshSIP(ports *sides, sub *subscription, expires int) {
	err := g.queue.submit(sub.id, func() {
		g.pres.mu.Lock()
		d := sub.dialog
		g.pres.mu.Unlock()
		ctx, cancel := context.WithTimeout(g.ctx, sipSendTimeout)
		defer cancel()
		nd, granted, err := ports.sip.Subscribe(ctx, d, presenceEvent, expires, pidfAccept())
		if err != nil {
			g.pres.mu.Lock()
			sub.dialog.LocalCSeq = max(sub.dialog.LocalCSeq, nd.LocalCSeq)
			g.pres.mu.Unlock()
			g.subscribeFailed(ports, sub, expires, err)
			return
		}
		g.pres.mu.Lock()
		defer g.pres.mu.Unlock()
		if g.pres.byID[sub.id] != sub {
			return
		}
		// A NOTIFY may have come before the 2xx and set the remote tag.
		if sub.dialog.RemoteTag == "" || sub.dialog.RemoteTag == nd.RemoteTag {
			sub.dialog = nd
		} else {
			sub.dialog.LocalCSeq = nd.LocalCSeq
		}
		if expires == 0 {
			return
		}
		sub.expires = time.Now().Add(time.Duration(granted) * time.Second)
		g.armRefresh(ports, sub)
		g.persist(sub)
	})
	if err != nil {
		g.log.Warn("SUBSCRIBE not queued", "err", err)
	}
}

// armRefresh schedules the next SUBSCRIBE refresh: at 90 % of the
// remaining time, at least 5 s before expiry. Caller holds mu.
func (g *Gateway) armRefresh(ports *sides, sub *subscription) {
	if sub.timer != nil {
		sub.timer.Stop()
	}
	left := time.Until(sub.expires)
	at := min(left*9/10, left-5*time.Second)
	sub.timer = time.AfterFunc(max(at, time.Second), func() {
		g.pres.mu.Lock()
		live := g.pres.byID[sub.id] == sub && sub.state != subTerminating
		g.pres.mu.Unlock()
		if live {
			g.refreshSIP(ports, sub, defaultExpires)
		}
	})
}

// subscribeFailed applies RFC 8048 §5.2 to a failed SUBSCRIBE: 403, 489,
// 603 (and the other definite refusals) end the authorization and tell
// the XMPP user; 423 retries with Min-Expires; 481 starts a new dialog;
// other failures retry later.
func (g *Gateway) subscribeFailed(ports *sides, sub *subscription, expires int, err error) {
	code := 0
	var sc interface{ SIPResponse() (int, string) }
	if errors.As(err, &sc) {
		code, _ = sc.SIPResponse()
	}
	g.log.Info("SUBSCRIBE failed", "status", code, "err", err)
	g.pres.mu.Lock()
	fetch := sub.state == subFetch
	g.pres.mu.Unlock()
	if fetch {
		g.dropFetch(sub) // a probe has no authorization to end
		return
	}
	var me interface{ MinExpiresValue() int }
	switch {
	case code == 423 && errors.As(err, &me) && me.MinExpiresValue() > expires:
		g.refreshSIP(ports, sub, me.MinExpiresValue())
	case code == 481:
		g.pres.mu.Lock()
		sub.dialog.RemoteTag, sub.dialog.RemoteTarget, sub.dialog.RouteSet = "", "", nil
		g.pres.mu.Unlock()
		g.refreshSIP(ports, sub, expires)
	case code == 403 || code == 489 || code == 603 || code == 404 || code == 604 || code == 488 || code == 606 || code == 405 || code == 501:
		g.endXMPPWatcher(ports, sub, true)
	default:
		// Transient (timeout, 408, 480, 5xx): try again later, keeping
		// the XMPP authorization (RFC 8048 §5.2 treats 423/481 so too).
		g.pres.mu.Lock()
		if g.pres.byID[sub.id] == sub {
			sub.expires = time.Now().Add(2 * time.Minute)
			g.armRefresh(ports, sub)
		}
		g.pres.mu.Unlock()
	}
}

// endXMPPWatcher forgets an XMPP watcher's subscription; with tell, the
// XMPP user gets <presence type='unsubscribed'/>.
func (g *Gateway) endXMPPWatcher(ports *sides, sub *subscription, tell bool) {
	g.pres.mu.Lock()
	live := g.pres.byID[sub.id] == sub
	if live {
		g.pres.remove(sub)
	}
	g.pres.mu.Unlock()
	if !live {
		return
	}
	g.unpersist(sub.id)
	g.m.subscriptions.WithLabelValues(kindXMPPWatcher).Dec()
	if tell {
		g.sendPresence(ports, translate.XMPPPresence{From: sub.presentity, To: sub.watcher, Type: translate.PresenceUnsubscribed})
	}
}

// unsubscribeSIP: the XMPP user cancels: SUBSCRIBE Expires 0, then
// <presence type='unsubscribed'/> (RFC 8048 §5.2).
func (g *Gateway) unsubscribeSIP(ports *sides, watcher, presentity jid.JID) {
	g.pres.mu.Lock()
	subs := g.pres.find(kindXMPPWatcher, watcher, presentity)
	for _, s := range subs {
		s.state = subTerminating
		if s.timer != nil {
			s.timer.Stop()
		}
		// The final NOTIFY has 32 s to come (RFC 6665 §4.1.2.3).
		s.timer = time.AfterFunc(sipSendTimeout, func() { g.endXMPPWatcher(ports, s, false) })
		g.persist(s)
	}
	g.pres.mu.Unlock()
	for _, s := range subs {
		if s.dialog.RemoteTag != "" {
			g.refreshSIP(ports, s, 0)
		}
		g.sendPresence(ports, translate.XMPPPresence{From: presentity, To: watcher, Type: translate.PresenceUnsubscribed})
	}
}

// probeSIP: the XMPP user's server asks for a SIP user's presence. With an
// active subscription a refresh makes the notifier send the current state;
// otherwise a one-shot SUBSCRIBE with Expires 0 in a new dialog fetches it
// (RFC 8048 §7).
func (g *Gateway) probeSIP(ports *sides, watcher, presentity jid.JID) {
	g.pres.mu.Lock()
	var active *subscription
	busy := false
	for _, s := range g.pres.find(kindXMPPWatcher, watcher, presentity) {
		if s.state == subActive && s.dialog.RemoteTag != "" {
			active = s
		} else {
			busy = true // pending, terminating or fetching already
		}
	}
	if active != nil {
		// Forget what was forwarded so the answer reaches the prober.
		prefix := pairKey(watcher, presentity) + "\x00"
		for k := range g.pres.sent {
			if strings.HasPrefix(k, prefix) {
				delete(g.pres.sent, k)
			}
		}
		g.pres.mu.Unlock()
		g.refreshSIP(ports, active, defaultExpires)
		return
	}
	if busy {
		g.pres.mu.Unlock()
		return
	}
	from, err1 := translate.JIDToSIP(watcher, g.xmppSide)
	to, err2 := translate.JIDToSIP(presentity, g.sipSide)
	if err1 != nil || err2 != nil {
		g.pres.mu.Unlock()
		return
	}
	callID, tag := newTag()+newTag()+"@sxgw", newTag()
	sub := &subscription{
		id: subID(callID, tag), kind: kindXMPPWatcher, watcher: watcher, presentity: presentity, state: subFetch,
		dialog: translate.SIPDialog{CallID: callID, LocalURI: from, LocalTag: tag, RemoteURI: to},
	}
	g.pres.add(sub)
	// The NOTIFY of a fetch comes at once; forget the dialog after 64*T1.
	sub.timer = time.AfterFunc(sipSendTimeout, func() { g.dropFetch(sub) })
	g.pres.mu.Unlock()
	g.refreshSIP(ports, sub, 0)
}

// dropFetch forgets a one-shot fetch.
func (g *Gateway) dropFetch(sub *subscription) {
	g.pres.mu.Lock()
	if g.pres.byID[sub.id] == sub {
		g.pres.remove(sub)
	}
	g.pres.mu.Unlock()
}

// SIPNotify handles a NOTIFY in a dialog the gateway started for an XMPP
// watcher (RFC 8048 §5.2, §6.3).
func (g *Gateway) SIPNotify(ctx context.Context, n translate.SIPNotify) error {
	ports, err := g.ports()
	if err != nil {
		return err
	}
	g.pres.mu.Lock()
	sub := g.pres.byID[subID(n.Dialog.CallID, n.Dialog.LocalTag)]
	if sub == nil || sub.kind != kindXMPPWatcher {
		g.pres.mu.Unlock()
		return refuse(481, translate.CondItemNotFound, "no such subscription")
	}
	if sub.dialog.RemoteTag == "" {
		sub.dialog.RemoteTag = n.Dialog.RemoteTag
	}
	if n.Dialog.RemoteTarget != "" {
		sub.dialog.RemoteTarget = n.Dialog.RemoteTarget
	}
	sub.dialog.RemoteCSeq = n.Dialog.RemoteCSeq
	terminating := sub.state == subTerminating
	if sub.state == subFetch {
		g.pres.mu.Unlock()
		if len(n.Body) > 0 {
			g.forwardPIDF(ports, sub, n, false)
		}
		if n.State == translate.SubStateTerminated {
			g.dropFetch(sub)
		}
		return nil
	}
	firstActive := n.State == translate.SubStateActive && !sub.authorized && !terminating
	if firstActive {
		sub.state, sub.authorized = subActive, true
	}
	g.persist(sub)
	g.pres.mu.Unlock()

	if firstActive {
		g.sendPresence(ports, translate.XMPPPresence{From: sub.presentity, To: sub.watcher, Type: translate.PresenceSubscribed})
	}
	if n.State != translate.SubStatePending && !terminating && (sub.authorized || firstActive) {
		g.forwardPIDF(ports, sub, n, firstActive)
	}
	if n.State == translate.SubStateTerminated {
		switch n.Reason {
		case "deactivated", "timeout", "probation", "giveup", "":
			// RFC 6665 §4.1.3: the subscriber may subscribe again.
			if !terminating {
				g.pres.mu.Lock()
				sub.dialog = translate.SIPDialog{CallID: newTag() + newTag() + "@sxgw", LocalURI: sub.dialog.LocalURI, LocalTag: newTag(), RemoteURI: sub.dialog.RemoteURI}
				old := sub.id
				g.pres.remove(sub)
				sub.id = subID(sub.dialog.CallID, sub.dialog.LocalTag)
				g.pres.add(sub)
				g.persist(sub)
				g.pres.mu.Unlock()
				g.unpersist(old)
				retry := max(n.RetryAfter, 0)
				time.AfterFunc(time.Duration(retry)*time.Second, func() { g.refreshSIP(ports, sub, defaultExpires) })
				return nil
			}
			g.endXMPPWatcher(ports, sub, false)
		default: // rejected, noresource, invariant: the authorization ends
			g.endXMPPWatcher(ports, sub, !terminating)
		}
	}
	return nil
}

// forwardPIDF turns a NOTIFY body into presence for the XMPP watcher,
// change-only per resource. An active NOTIFY without a body on the first
// authorization means "nothing known": unavailable (RFC 8048 §5.2).
func (g *Gateway) forwardPIDF(ports *sides, sub *subscription, n translate.SIPNotify, first bool) {
	var list []translate.XMPPPresence
	if len(n.Body) == 0 {
		if !first && n.State != translate.SubStateTerminated {
			return
		}
		list = []translate.XMPPPresence{{From: sub.presentity, To: sub.watcher, Type: translate.PresenceUnavailable}}
	} else {
		doc, err := simple.ParsePIDF(n.Body)
		if err != nil {
			g.log.Info("NOTIFY with a malformed PIDF", "err", err)
			return
		}
		list = translate.PIDFToPresence(doc, sub.presentity, sub.watcher, "")
	}
	k := pairKey(sub.watcher, sub.presentity)
	for _, p := range list {
		key := k + "\x00" + p.From.Resourcepart()
		g.pres.mu.Lock()
		last, seen := g.pres.sent[key]
		same := seen && samePresence(last, p)
		g.pres.sent[key] = p
		g.pres.mu.Unlock()
		if same {
			g.m.coalesced.Inc()
			continue
		}
		g.sendPresence(ports, p)
	}
}

// ---- restart ----

// Resume loads the stored subscriptions and takes them up again without
// new SUBSCRIBEs: SIP watchers keep their dialogs (the XMPP users are
// probed, at a bounded rate, to learn their presence again); XMPP
// watchers' refreshes are scheduled from the stored expiry.
func (g *Gateway) Resume(ctx context.Context) error {
	if err := g.resumeRooms(ctx); err != nil {
		return err
	}
	if g.o.Store == nil {
		return nil
	}
	ports, err := g.ports()
	if err != nil {
		return err
	}
	recs, err := g.o.Store.Subscriptions(ctx)
	if err != nil {
		return err
	}
	var probes []translate.XMPPPresence
	now := time.Now()
	g.pres.mu.Lock()
	for _, r := range recs {
		var sd storedDialog
		w, err1 := jid.Parse(r.Watcher)
		p, err2 := jid.Parse(r.Presentity)
		if err := json.Unmarshal([]byte(r.Dialog), &sd); err != nil || err1 != nil || err2 != nil ||
			(r.Kind != kindSIPWatcher && r.Kind != kindXMPPWatcher) {
			g.log.Warn("dropping unreadable stored subscription", "id", strconv.Quote(r.ID))
			g.unpersist(r.ID)
			continue
		}
		sub := &subscription{id: r.ID, kind: r.Kind, watcher: w, presentity: p, state: r.State,
			dialog: sd.Dialog, expires: r.Expires, authorized: sd.Authorized}
		// CSeq must keep growing; a few lost increments are harmless.
		sub.dialog.LocalCSeq += 10
		if r.Kind == kindSIPWatcher {
			if !r.Expires.After(now) {
				g.unpersist(r.ID)
				continue
			}
			g.pres.add(sub)
			g.armExpiry(ports, sub)
			if sub.state == subActive {
				probes = append(probes, translate.XMPPPresence{From: w, To: p, Type: translate.PresenceProbe})
			}
		} else {
			if sub.state == subTerminating {
				g.unpersist(r.ID)
				continue
			}
			g.pres.add(sub)
			if sub.dialog.RemoteTag == "" || !r.Expires.After(now.Add(5*time.Second)) {
				sub.dialog = translate.SIPDialog{CallID: sub.dialog.CallID, LocalURI: sub.dialog.LocalURI, LocalTag: sub.dialog.LocalTag, RemoteURI: sub.dialog.RemoteURI, LocalCSeq: sub.dialog.LocalCSeq}
				sub.expires = now // refresh at once (new dialog)
				sub.timer = time.AfterFunc(time.Second, func() { g.refreshSIP(ports, sub, defaultExpires) })
			} else {
				g.armRefresh(ports, sub)
			}
		}
		g.persist(sub)
		g.m.subscriptions.WithLabelValues(sub.kind).Inc()
	}
	g.pres.mu.Unlock()
	g.log.Info("subscriptions resumed", "count", len(recs), "probes", len(probes))
	if len(probes) > 0 {
		g.goBG(func() {
			// At most 100 probes a second: a restart is no storm.
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for _, pr := range probes {
				select {
				case <-tick.C:
				case <-g.ctx.Done():
					return
				}
				g.sendPresence(ports, pr)
			}
		})
	}
	return nil
}

// samePresence compares what a presence stanza shows.
func samePresence(a, b translate.XMPPPresence) bool {
	return a.From.Equal(b.From) && a.Type == b.Type && a.Show == b.Show && a.Status == b.Status &&
		a.Lang == b.Lang && a.HasPriority == b.HasPriority && a.Priority == b.Priority
}
