package gateway

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/sxgw/sxgw/jingle"
	"github.com/sxgw/sxgw/translate"
)

// trickleWait is how long a session-initiate whose transports carry no
// candidate yet waits for them (XEP-0176 trickle, transport-info) before
// the INVITE goes out: a SIP peer without trickle (RFC 8840) needs them
// all in the offer.
const trickleWait = 2 * time.Second

// XMPPJingle handles a Jingle IQ to a SIP user (XEP-0166 §7): a
// session-initiate starts a call to SIP; the other actions belong to a
// call by sid. nil acknowledges the IQ; errors carry the XEP-0166 §10
// conditions.
func (g *Gateway) XMPPJingle(_ context.Context, iq translate.JingleIQ) error {
	js, cs, _, err := g.callPorts()
	if err != nil {
		return err
	}
	if g.serves(iq.From.Domainpart()) {
		return refuse(0, translate.CondForbidden, "loop: sender is in a domain this gateway serves")
	}
	j, err := jingle.Decode(iq.Payload)
	if err != nil {
		return &translate.JingleError{Condition: translate.CondBadRequest, Type: "modify", Text: err.Error()}
	}
	if j.Action == jingle.ActionSessionInitiate {
		return g.callFromXMPP(js, cs, iq, j)
	}
	c := g.calls.bySession(j.SID, iq.From)
	if c == nil {
		return unknownSession()
	}
	switch j.Action {
	case jingle.ActionTransportReplace, jingle.ActionDescriptionInfo, jingle.ActionSecurityInfo:
		// Not translated to SIP: refused, the session goes on.
		return &translate.JingleError{Condition: translate.CondFeatureNotImplemented, Type: "cancel", Text: string(j.Action) + " is not translated to SIP"}
	case jingle.ActionContentAdd, jingle.ActionContentModify, jingle.ActionContentRemove:
		return g.contentChange(js, cs, c, j)
	}
	c.mu.Lock()
	_, err = c.session.Receive(j)
	var restarted []jingle.ContentRef
	if err == nil && j.Action == jingle.ActionTransportInfo {
		restarted, err = jingle.ApplyTransportInfo(c.contents, j)
	}
	dir, answered := c.dir, c.answered
	if err == nil && j.Action == jingle.ActionTransportInfo && len(restarted) == 0 && (answered || c.cancel != nil) {
		// Candidates the SIP party's SDP lacks (its INVITE or 200 went
		// out already): sent in a re-INVITE once the trickle pauses.
		c.late = true
	}
	late := c.late && answered
	c.mu.Unlock()
	if err != nil {
		return sessionIQError(err)
	}
	switch {
	case len(restarted) > 0 && answered:
		// XEP-0176 §5.9: an ICE restart of an established session is a new
		// offer to the SIP party (RFC 8445 §9 via re-INVITE).
		g.reofferSIP(cs, c)
	case late:
		g.reofferLater(cs, c)
	}
	switch j.Action {
	case jingle.ActionSessionAccept:
		c.post(callEvent{accept: j})
	case jingle.ActionContentAccept:
		c.post(callEvent{contentAccept: j})
	case jingle.ActionContentReject:
		c.post(callEvent{contentReject: j})
	case jingle.ActionSessionInfo:
		if j.Info != nil && j.Info.Kind == jingle.InfoRinging {
			c.post(callEvent{ringing: true})
		}
	case jingle.ActionSessionTerminate:
		reason := j.Reason
		if reason == nil {
			reason = &jingle.Reason{Condition: jingle.ConditionSuccess}
		}
		c.mu.Lock()
		answered = c.answered // the answer may have raced with this
		if !answered {
			c.terminated = true
		}
		cancel := c.cancel
		c.mu.Unlock()
		switch {
		case answered:
			g.hangUpSIP(cs, c)
			g.endCall(c, outcomeAnswered)
		case dir == dirSIPToXMPP:
			c.post(callEvent{reject: reason})
		case cancel != nil:
			cancel() // the INVITE is CANCELed (RFC 3261 §9.1)
		}
	}
	return nil
}

// hangUpSIP sends the BYE of an answered call, in the background.
func (g *Gateway) hangUpSIP(cs CallSender, c *call) {
	// After any re-INVITE of the call, with the dialog as it then is.
	if err := g.queue.submitForce(callKey(c), func() {
		c.mu.Lock()
		d := c.dialog
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(g.ctx, sipSendTimeout)
		defer cancel()
		if _, err := cs.Bye(ctx, d); err != nil {
			g.log.Debug("BYE of a call failed", "err", err)
		}
	}); err != nil {
		g.log.Debug("BYE of a call not queued", "err", err)
	}
}

// callKey orders the in-dialog requests of a call.
func callKey(c *call) string { return "call\x00" + c.sid }

// callJob runs fn in the call's order (bounded backlog).
func (g *Gateway) callJob(c *call, fn func()) error {
	return g.queue.submit(callKey(c), fn)
}

// callFromXMPP starts a call from an XMPP user to a SIP user: the
// session-initiate is acknowledged, then its contents become the SDP offer
// of an INVITE (XEP-0166 §6.2, RFC 3264).
func (g *Gateway) callFromXMPP(js JingleSender, cs CallSender, iq translate.JingleIQ, j *jingle.Jingle) error {
	if !g.serves(iq.To.Domainpart()) || iq.To.Localpart() == "" {
		return &translate.JingleError{Condition: translate.CondItemNotFound, Type: "cancel", Text: "no such user"}
	}
	to := iq.To
	if to.Resourcepart() == "" {
		to, _ = to.WithResource(sipResource)
	}
	c := &call{sid: j.SID, dir: dirXMPPToSIP, sipJID: to, xmppJID: iq.From,
		mapping: jingle.NewMapping(jingle.RoleResponder, sessionID()), events: make(chan callEvent, 8), started: time.Now(),
		contents: j.Contents, groups: j.Groups}
	c.session = jingle.NewSession(j.SID, jingle.RoleResponder)
	if _, err := c.session.Receive(j); err != nil {
		return sessionIQError(err)
	}
	if !g.calls.add(c, iq.From) {
		return &translate.JingleError{Condition: translate.CondConflict, Type: "cancel", Text: "session id in use"}
	}
	g.goBG(func() { g.dialSIP(js, cs, c, iq) })
	return nil
}

// dialSIP places the INVITE of an XMPP-initiated call and reports its
// outcome to the XMPP party: ringing as session-info, the answer as
// session-accept, a failure as session-terminate with the mapped reason.
func (g *Gateway) dialSIP(js JingleSender, cs CallSender, c *call, iq translate.JingleIQ) {
	c.mu.Lock()
	waitTrickle := !hasCandidates(c.contents)
	c.mu.Unlock()
	if waitTrickle {
		t := time.NewTimer(trickleWait)
		select {
		case <-t.C:
		case <-g.ctx.Done():
			t.Stop()
		}
	}
	from, err := translate.JIDToSIP(iq.From.Bare(), g.xmppSide)
	if err != nil {
		g.terminate(js, c, jingle.ConditionGeneralError, "caller has no SIP address")
		g.endCall(c, outcomeFailed)
		return
	}
	to, err := translate.JIDToSIP(iq.To.Bare(), g.sipSide)
	if err != nil {
		g.terminate(js, c, jingle.ConditionGone, "no SIP address")
		g.endCall(c, outcomeFailed)
		return
	}
	c.mu.Lock()
	if c.terminated {
		// The XMPP party hung up while the candidates were awaited.
		c.mu.Unlock()
		g.endCall(c, outcomeCanceled)
		return
	}
	sdp, err := c.mapping.JingleToSDP(jingle.Offer, c.contents, c.groups)
	ctx, cancel := context.WithTimeout(g.ctx, callRingTimeout)
	c.cancel = cancel
	c.mu.Unlock()
	defer cancel()
	if err != nil {
		g.terminate(js, c, jingleReasonOf(err), err.Error())
		g.endCall(c, outcomeFailed)
		return
	}
	d := translate.SIPDialog{CallID: newID() + "@sxgw", LocalTag: newID(), LocalURI: from, RemoteURI: to}
	var ringing atomic.Bool
	d, answer, err := cs.Invite(ctx, d, sdp.Body, "", func(status int) {
		if status == 180 && ringing.CompareAndSwap(false, true) {
			g.goBG(func() {
				_ = g.sendJingle(js, c, &jingle.Jingle{Action: jingle.ActionSessionInfo, SID: c.sid, Info: &jingle.Info{Kind: jingle.InfoRinging}})
			})
		}
	})
	if err != nil {
		if ctx.Err() != nil && g.ctx.Err() == nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			g.endCall(c, outcomeCanceled) // the XMPP party terminated first
			return
		}
		code := 480
		var sc interface{ SIPResponse() (int, string) }
		if errors.As(err, &sc) {
			code, _ = sc.SIPResponse()
		}
		g.terminate(js, c, reasonForStatus(code), err.Error())
		g.endCall(c, outcomeRejected)
		return
	}
	c.mu.Lock()
	c.dialog = d
	media, merr := c.mapping.SDPToJingle(jingle.Answer, answer)
	late := c.terminated
	c.mu.Unlock()
	g.calls.setDialog(c, d)
	if late {
		// Hung up on XMPP while the SIP side answered: end it there.
		g.hangUpSIP(cs, c)
		g.endCall(c, outcomeCanceled)
		return
	}
	if merr != nil {
		g.hangUpSIP(cs, c)
		g.terminate(js, c, jingleReasonOf(merr), merr.Error())
		g.endCall(c, outcomeFailed)
		return
	}
	accept := media.Jingle(jingle.ActionSessionAccept, c.sid)
	accept.Responder = c.sipJID.String()
	c.mu.Lock()
	_, serr := c.session.Send(accept)
	c.mu.Unlock()
	if serr != nil {
		g.hangUpSIP(cs, c)
		g.endCall(c, outcomeFailed)
		return
	}
	// Answered before the session-accept leaves: the XMPP party may hang
	// up as soon as it has it, and that must be a BYE, not a CANCEL.
	g.answeredCall(c)
	c.mu.Lock()
	trickled := c.late
	c.mu.Unlock()
	if trickled {
		g.reofferLater(cs, c) // candidates trickled in while it rang
	}
	if err := g.sendJingle(js, c, accept); err != nil {
		g.hangUpSIP(cs, c)
		g.endCall(c, outcomeFailed)
	}
}

// hasCandidates reports whether any content's transport carries a
// candidate already.
func hasCandidates(cs []jingle.Content) bool {
	for _, c := range cs {
		if c.ICEUDP != nil && len(c.ICEUDP.Candidates) > 0 {
			return true
		}
		if c.RawUDP != nil && len(c.RawUDP.Candidates) > 0 {
			return true
		}
	}
	return false
}

// jingleMessage handles XEP-0353 messages: a propose from an XMPP user to
// a SIP user is answered with proceed at once (the SIP side rings when the
// session-initiate becomes an INVITE); proceed, reject and ringing answer
// the gateway's own propose for a SIP caller.
func (g *Gateway) jingleMessage(m translate.XMPPMessage) error {
	p, err := g.ports()
	if err != nil {
		return err
	}
	jm, err := jingle.DecodeMessage(m.JingleMessage)
	if err != nil {
		return refuse(400, translate.CondBadRequest, err.Error())
	}
	switch jm.Action {
	case jingle.MessagePropose:
		if !g.serves(m.To.Domainpart()) || m.To.Localpart() == "" {
			return refuse(404, translate.CondItemNotFound, "no such user")
		}
		from := m.To
		if from.Resourcepart() == "" {
			from, _ = from.WithResource(sipResource)
		}
		body, err := (&jingle.Message{Action: jingle.MessageProceed, ID: jm.ID}).Encode()
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(g.ctx, jingleIQTimeout)
		defer cancel()
		return p.xmpp.SendMessage(ctx, translate.XMPPMessage{From: from, To: m.From, ID: newID(), Type: translate.TypeChat, JingleMessage: body})
	case jingle.MessageProceed, jingle.MessageReject, jingle.MessageRinging:
		c := g.calls.bySession(jm.ID, m.From)
		if c == nil {
			return nil // a late answer to a call that is over
		}
		switch jm.Action {
		case jingle.MessageProceed:
			c.post(callEvent{proceed: m.From})
		case jingle.MessageReject:
			reason := jm.Reason
			if reason == nil {
				reason = &jingle.Reason{Condition: jingle.ConditionDecline}
			}
			c.post(callEvent{reject: reason})
		case jingle.MessageRinging:
			c.post(callEvent{ringing: true})
		}
	}
	return nil
}

// contentChange translates a content-add, content-remove or
// content-modify of the XMPP party (XEP-0166 §6.8-§6.10) into a
// re-INVITE with the new SDP offer (RFC 3264 §8): the IQ is acknowledged
// at once, and a content-add is then answered with content-accept (the
// 2xx's answer) or content-reject (a failed re-INVITE, which leaves the
// session as it was, RFC 3261 §14.1).
func (g *Gateway) contentChange(js JingleSender, cs CallSender, c *call, j *jingle.Jingle) error {
	c.mu.Lock()
	if !c.answered {
		c.mu.Unlock()
		return &translate.JingleError{Condition: "unexpected-request", Type: "wait", JingleCondition: translate.JingleOutOfOrder, Text: "the session is not established yet"}
	}
	if _, err := c.session.Receive(j); err != nil {
		c.mu.Unlock()
		return sessionIQError(err)
	}
	c.mu.Unlock()
	// In the call's order: one INVITE transaction at a time in the dialog
	// (RFC 3261 §14.1), each offering the contents as they are then.
	err := g.callJob(c, func() {
		c.mu.Lock()
		sdp, err := c.mapping.JingleToSDP(jingle.Offer, changedContents(c.contents, j), c.groups)
		d := c.dialog
		c.mu.Unlock()
		if err != nil {
			if j.Action == jingle.ActionContentAdd {
				g.rejectContents(js, c, j, jingleReasonOf(err))
			}
			return
		}
		ctx, cancel := context.WithTimeout(g.ctx, sipSendTimeout)
		defer cancel()
		nd, answer, err := cs.Invite(ctx, d, sdp.Body, "", nil)
		c.mu.Lock()
		c.dialog.LocalCSeq = max(c.dialog.LocalCSeq, nd.LocalCSeq)
		var media *jingle.Media
		if err == nil {
			c.dialog.RemoteTarget = nd.RemoteTarget
			media, err = c.mapping.SDPToJingle(jingle.Answer, answer)
		}
		if err == nil {
			c.contents = changedContents(c.contents, j)
		}
		c.mu.Unlock()
		if j.Action != jingle.ActionContentAdd {
			if err != nil {
				g.log.Info("re-INVITE for a Jingle content change failed", "action", string(j.Action), "err", err)
			}
			return
		}
		if err != nil {
			g.rejectContents(js, c, j, jingle.ConditionFailedApplication)
			return
		}
		acc := &jingle.Jingle{Action: jingle.ActionContentAccept, SID: c.sid, Contents: pick(media.Contents, refsOf(j.Contents))}
		c.mu.Lock()
		_, serr := c.session.Send(acc)
		c.mu.Unlock()
		if serr == nil {
			serr = g.sendJingle(js, c, acc)
		}
		if serr != nil {
			g.log.Debug("content-accept not sent", "err", serr)
		}
	})
	if err != nil {
		return &translate.JingleError{Condition: translate.CondResourceConstraint, Type: "wait", Text: "too many changes waiting for this call"}
	}
	return nil
}

// rejectContents answers a content-add with content-reject (XEP-0166
// §6.8).
func (g *Gateway) rejectContents(js JingleSender, c *call, add *jingle.Jingle, cond jingle.Condition) {
	var refs []jingle.Content
	for _, ct := range add.Contents {
		refs = append(refs, jingle.Content{Creator: ct.Creator, Name: ct.Name})
	}
	rej := &jingle.Jingle{Action: jingle.ActionContentReject, SID: c.sid, Contents: refs, Reason: &jingle.Reason{Condition: cond}}
	c.mu.Lock()
	_, err := c.session.Send(rej)
	c.mu.Unlock()
	if err == nil {
		err = g.sendJingle(js, c, rej)
	}
	if err != nil {
		g.log.Debug("content-reject not sent", "err", err)
	}
}

// refsOf names contents.
func refsOf(cs []jingle.Content) []jingle.ContentRef {
	out := make([]jingle.ContentRef, 0, len(cs))
	for _, c := range cs {
		out = append(out, jingle.ContentRef{Creator: c.CreatorOr(), Name: c.Name})
	}
	return out
}

// changedContents applies a content-add, -remove or -modify to the
// XMPP party's contents.
func changedContents(cur []jingle.Content, j *jingle.Jingle) []jingle.Content {
	next := append([]jingle.Content(nil), cur...)
	switch j.Action {
	case jingle.ActionContentAdd:
		next = append(next, j.Contents...)
	case jingle.ActionContentRemove:
		next = next[:0]
		for _, c := range cur {
			gone := false
			for _, r := range j.Contents {
				gone = gone || r.Name == c.Name
			}
			if !gone {
				next = append(next, c)
			}
		}
	case jingle.ActionContentModify:
		for i := range next {
			for _, m := range j.Contents {
				if m.Name == next[i].Name {
					next[i].Senders = m.Senders
				}
			}
		}
	}
	return next
}

// trickleQuiet is how long the trickle must pause before late candidates
// go to the SIP party in one re-INVITE (one per candidate would flood it).
const trickleQuiet = time.Second

// reofferLater schedules reofferSIP for when the trickle pauses.
func (g *Gateway) reofferLater(cs CallSender, c *call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reoffer != nil {
		c.reoffer.Reset(trickleQuiet)
		return
	}
	c.reoffer = time.AfterFunc(trickleQuiet, func() {
		c.mu.Lock()
		c.late, c.reoffer = false, nil
		ended := c.ended
		c.mu.Unlock()
		if !ended {
			g.reofferSIP(cs, c)
		}
	})
}

// reofferSIP sends the SIP party a re-INVITE with the XMPP party's
// current contents, in the background.
func (g *Gateway) reofferSIP(cs CallSender, c *call) {
	c.mu.Lock()
	sdp, err := c.mapping.JingleToSDP(jingle.Offer, c.contents, c.groups)
	c.mu.Unlock()
	if err != nil {
		g.log.Info("ICE restart not offered to SIP", "err", err)
		return
	}
	_ = g.callJob(c, func() {
		ctx, cancel := context.WithTimeout(g.ctx, sipSendTimeout)
		defer cancel()
		c.mu.Lock()
		d := c.dialog // as it is after the re-INVITEs before this one
		c.mu.Unlock()
		nd, answer, err := cs.Invite(ctx, d, sdp.Body, "", nil)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.dialog.LocalCSeq = max(c.dialog.LocalCSeq, nd.LocalCSeq)
		if err == nil {
			_, err = c.mapping.SDPToJingle(jingle.Answer, answer)
		}
		if err != nil {
			g.log.Info("re-INVITE for an ICE restart failed", "err", err)
		}
	})
}
