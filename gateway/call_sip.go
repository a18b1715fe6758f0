package gateway

import (
	"context"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/jingle"
	"github.com/sxgw/sxgw/translate"
)

// sipResource is the resource of a SIP party's JID when its URI names no
// device (no gr parameter): Jingle addresses full JIDs (XEP-0166 §7.1).
const sipResource = "sip"

// SIPInvite translates a call from SIP (an INVITE without MSRP media) to
// Jingle: the SDP offer becomes the contents of a session that rings every
// device of the XMPP user through an XEP-0353 propose to the bare JID;
// the device that proceeds gets the session-initiate, and its
// session-accept is the 200's SDP answer. A device named by the
// Request-URI's gr parameter gets the session-initiate at once. ctx ends
// on CANCEL: the XMPP side is told with retract or session-terminate.
func (g *Gateway) SIPInvite(ctx context.Context, inv translate.SIPInvite, progress func(int)) ([]byte, error) {
	if !inv.New {
		return g.reinvite(ctx, inv)
	}
	js, _, p, err := g.callPorts()
	if err != nil {
		return nil, err
	}
	from, to, err := g.sipAddresses(inv.Dialog.RemoteURI, inv.RequestURI)
	if err != nil {
		return nil, err
	}
	if len(inv.SDP) == 0 {
		// RFC 3261 §13.2.1 allows an offerless INVITE; a Jingle
		// session-initiate needs the contents.
		return nil, refuse(488, translate.CondNotAcceptable, "an INVITE to XMPP needs an SDP offer")
	}
	if from.Resourcepart() == "" {
		from, _ = from.WithResource(sipResource)
	}
	c := &call{sid: newID(), dir: dirSIPToXMPP, sipJID: from, xmppJID: to, dialog: inv.Dialog,
		mapping: jingle.NewMapping(jingle.RoleInitiator, sessionID()), events: make(chan callEvent, 8), started: time.Now()}
	c.session = jingle.NewSession(c.sid, jingle.RoleInitiator)
	media, err := c.mapping.SDPToJingle(jingle.Offer, inv.SDP)
	if err != nil {
		g.m.calls.WithLabelValues(dirSIPToXMPP, outcomeFailed).Inc()
		return nil, sdpFailure(err)
	}
	c.sipContents = media.Contents
	if !g.calls.add(c, to) {
		return nil, refuse(500, translate.CondInternalServerError, "session id collision")
	}
	g.calls.setDialog(c, inv.Dialog)
	answer, outcome, err := g.ringXMPP(ctx, js, p, c, media, progress)
	if err != nil {
		g.endCall(c, outcome)
		return nil, err
	}
	c.mu.Lock()
	late := c.terminated
	c.mu.Unlock()
	if late {
		// The XMPP party ended the session as it accepted: no 200.
		g.endCall(c, outcomeCanceled)
		return nil, refuse(487, translate.CondRecipientUnavailable, "the call ended before it was answered")
	}
	return answer, nil
}

// ringXMPP runs the set-up of a SIP-initiated call up to the answer.
func (g *Gateway) ringXMPP(ctx context.Context, js JingleSender, p *sides, c *call, media *jingle.Media, progress func(int)) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(ctx, callRingTimeout)
	defer cancel()
	proposed := false
	if c.xmppJID.Resourcepart() == "" {
		// XEP-0353 §3: propose to the bare JID, so that every device rings.
		desc := make([]jingle.RTPDescription, 0, len(media.Contents))
		for _, ct := range media.Contents {
			if ct.Description != nil {
				desc = append(desc, jingle.RTPDescription{Media: ct.Description.Media})
			}
		}
		if err := g.sendJingleMessage(p, c, &jingle.Message{Action: jingle.MessagePropose, ID: c.sid, Descriptions: desc}); err != nil {
			return nil, outcomeFailed, err
		}
		proposed = true
	} else if err := g.initiate(js, c, media); err != nil {
		return nil, outcomeFailed, err
	}
	initiated := !proposed
	for {
		select {
		case <-ctx.Done():
			// CANCEL (or no answer in time): retract the proposal or end
			// the session (XEP-0353 §3.2, XEP-0166 §6.7 cancel).
			outcome, status := outcomeCanceled, 487
			if ctx.Err() == context.DeadlineExceeded {
				outcome, status = outcomeRejected, 480
			}
			if initiated {
				g.terminate(js, c, jingle.ConditionCancel, "")
			} else {
				_ = g.sendJingleMessage(p, c, &jingle.Message{Action: jingle.MessageRetract, ID: c.sid,
					Reason: &jingle.Reason{Condition: jingle.ConditionCancel}})
			}
			return nil, outcome, refuse(status, translate.CondRecipientUnavailable, "no answer")
		case ev := <-c.events:
			switch {
			case ev.ringing:
				progress(180)
			case ev.reject != nil:
				code, reason := statusForReason(ev.reject.Condition)
				return nil, outcomeRejected, refuse(code, translate.CondNotAcceptable, reason)
			case !ev.proceed.Equal(jid.JID{}) && !initiated:
				c.mu.Lock()
				c.xmppJID = ev.proceed
				c.mu.Unlock()
				if err := g.initiate(js, c, media); err != nil {
					return nil, outcomeFailed, err
				}
				initiated = true
				progress(180)
			case ev.accept != nil:
				c.mu.Lock()
				c.contents, c.groups = ev.accept.Contents, ev.accept.Groups
				sdp, err := c.mapping.JingleToSDP(jingle.Answer, c.contents, c.groups)
				if err == nil {
					c.lastSDP = sdp.Body
				}
				c.mu.Unlock()
				if err != nil {
					g.terminate(js, c, jingleReasonOf(err), "")
					return nil, outcomeFailed, sdpFailure(err)
				}
				// Answered from here on: a session-terminate that comes
				// before the 200 is out is a BYE after it.
				g.answeredCall(c)
				return sdp.Body, outcomeAnswered, nil
			}
		}
	}
}

// initiate sends session-initiate (XEP-0166 §6.2) to the XMPP device.
func (g *Gateway) initiate(js JingleSender, c *call, media *jingle.Media) error {
	c.mu.Lock()
	j := media.Jingle(jingle.ActionSessionInitiate, c.sid)
	j.Initiator = c.sipJID.String()
	_, err := c.session.Send(j)
	c.mu.Unlock()
	if err != nil {
		return refuse(500, translate.CondInternalServerError, err.Error())
	}
	if err := g.sendJingle(js, c, j); err != nil {
		return translate.ErrorOf(err)
	}
	return nil
}

// sendJingleMessage sends an XEP-0353 message of c from the SIP party to
// the XMPP party.
func (g *Gateway) sendJingleMessage(p *sides, c *call, m *jingle.Message) error {
	body, err := m.Encode()
	if err != nil {
		return refuse(500, translate.CondInternalServerError, err.Error())
	}
	c.mu.Lock()
	from, to := c.sipJID, c.xmppJID
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(g.ctx, jingleIQTimeout)
	defer cancel()
	if err := p.xmpp.SendMessage(ctx, translate.XMPPMessage{From: from, To: to, ID: newID(), Type: translate.TypeChat, JingleMessage: body}); err != nil {
		return translate.ErrorOf(err)
	}
	return nil
}

// reinvite answers a re-INVITE (RFC 3261 §14.2, RFC 3264 §8): a
// session refresh gets the same SDP again; new m-lines become a
// content-add (XEP-0166 §6.8) whose content-accept gives the answer (a
// content-reject answers them with port 0); m-lines set to port 0 become
// a content-remove. Other changes (codecs, direction) are refused with 488
// and the call goes on as it was (§14.2: a failed re-INVITE leaves the
// session unchanged).
func (g *Gateway) reinvite(ctx context.Context, inv translate.SIPInvite) ([]byte, error) {
	c := g.calls.byDlg(inv.Dialog)
	if c == nil {
		return nil, refuse(481, translate.CondItemNotFound, "no such call")
	}
	js, _, _, err := g.callPorts()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(inv.SDP) == 0 {
		defer c.mu.Unlock()
		if c.lastSDP == nil {
			return nil, refuse(488, translate.CondNotAcceptable, "no session description")
		}
		return c.lastSDP, nil
	}
	media, err := c.mapping.SDPToJingle(jingle.Offer, inv.SDP)
	if err != nil {
		c.mu.Unlock()
		return nil, sdpFailure(err)
	}
	if media.Unchanged && c.lastSDP != nil {
		defer c.mu.Unlock()
		return c.lastSDP, nil
	}
	added := pick(media.Contents, media.Added)
	removed := media.Removed
	restarted := iceRestarts(c.sipContents, media.Contents)
	c.sipContents = media.Contents
	c.mu.Unlock()
	if len(restarted) > 0 && len(added) == 0 && len(removed) == 0 {
		// XEP-0176 §5.9: new ICE credentials are an ICE restart, told to
		// the XMPP party in transport-info.
		ti := &jingle.Jingle{Action: jingle.ActionTransportInfo, SID: c.sid, Contents: restarted}
		c.mu.Lock()
		_, err := c.session.Send(ti)
		c.mu.Unlock()
		if err == nil {
			g.goBG(func() {
				if err := g.sendJingle(js, c, ti); err != nil {
					g.log.Debug("transport-info not acknowledged", "err", err)
				}
			})
		}
		return g.answerCurrent(c, nil)
	}
	switch {
	case len(added) > 0 && len(removed) == 0:
		return g.addContents(ctx, js, c, added)
	case len(removed) > 0 && len(added) == 0:
		return g.removeContents(js, c, removed)
	case len(added) == 0 && len(removed) == 0:
		if mod := g.modifiedSenders(c, media.Contents); mod != nil {
			return g.modifyContents(js, c, mod)
		}
	}
	return g.answerCurrent(c, refuse(488, translate.CondFeatureNotImplemented, "this media change is not translated to Jingle yet"))
}

// modifiedSenders returns the contents whose senders (SDP direction) the
// re-offer changed, with only their new senders: hold and resume (RFC
// 3264 §8.4).
func (g *Gateway) modifiedSenders(c *call, offered []jingle.Content) []jingle.Content {
	c.mu.Lock()
	defer c.mu.Unlock()
	var mod []jingle.Content
	for _, o := range offered {
		for _, cur := range c.contents {
			if cur.Name == o.Name && cur.Senders.Or() != o.Senders.Or() {
				mod = append(mod, jingle.Content{Creator: cur.Creator, Name: cur.Name, Senders: o.Senders.Or()})
			}
		}
	}
	return mod
}

// modifyContents sends content-modify (XEP-0166 §6.9) with the new
// senders and answers the re-INVITE with them.
func (g *Gateway) modifyContents(js JingleSender, c *call, mod []jingle.Content) ([]byte, error) {
	c.mu.Lock()
	j := &jingle.Jingle{Action: jingle.ActionContentModify, SID: c.sid, Contents: mod}
	_, err := c.session.Send(j)
	if err == nil {
		c.contents = changedContents(c.contents, j)
	}
	c.mu.Unlock()
	if err != nil {
		return g.answerCurrent(c, refuse(491, translate.CondUnexpectedRequest, err.Error()))
	}
	g.goBG(func() {
		if err := g.sendJingle(js, c, j); err != nil {
			g.log.Debug("content-modify not acknowledged", "err", err)
		}
	})
	return g.answerCurrent(c, nil)
}

// iceRestarts returns the contents of next whose ICE credentials differ
// from those in prev, with their transport only (for transport-info).
func iceRestarts(prev, next []jingle.Content) []jingle.Content {
	var out []jingle.Content
	for _, n := range next {
		for _, p := range prev {
			if n.Name == p.Name && n.ICEUDP != nil && p.ICEUDP != nil && n.ICEUDP.Ufrag != p.ICEUDP.Ufrag {
				out = append(out, jingle.Content{Creator: n.Creator, Name: n.Name, ICEUDP: n.ICEUDP})
			}
		}
	}
	return out
}

// pick returns the contents named by refs.
func pick(contents []jingle.Content, refs []jingle.ContentRef) []jingle.Content {
	var out []jingle.Content
	for _, r := range refs {
		for _, ct := range contents {
			if ct.Name == r.Name && ct.CreatorOr() == r.Creator {
				out = append(out, ct)
			}
		}
	}
	return out
}

// addContents sends content-add and turns the answer into the SDP answer.
func (g *Gateway) addContents(ctx context.Context, js JingleSender, c *call, added []jingle.Content) ([]byte, error) {
	c.mu.Lock()
	j := &jingle.Jingle{Action: jingle.ActionContentAdd, SID: c.sid, Contents: added}
	_, err := c.session.Send(j)
	c.mu.Unlock()
	if err != nil {
		return g.answerCurrent(c, refuse(491, translate.CondUnexpectedRequest, err.Error()))
	}
	if err := g.sendJingle(js, c, j); err != nil {
		return g.answerCurrent(c, translate.ErrorOf(err))
	}
	ctx, cancel := context.WithTimeout(ctx, jingleIQTimeout)
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return g.answerCurrent(c, refuse(408, translate.CondRemoteServerTimeout, "no answer to content-add"))
		case ev := <-c.events:
			switch {
			case ev.contentAccept != nil:
				c.mu.Lock()
				c.contents = append(c.contents, ev.contentAccept.Contents...)
				c.mu.Unlock()
				return g.answerCurrent(c, nil)
			case ev.contentReject != nil:
				// RFC 3264 §6: the answer refuses the new streams with
				// port 0; the call goes on with the others.
				return g.answerCurrent(c, nil)
			}
		}
	}
}

// removeContents sends content-remove and answers with the lines at
// port 0.
func (g *Gateway) removeContents(js JingleSender, c *call, removed []jingle.ContentRef) ([]byte, error) {
	c.mu.Lock()
	var gone []jingle.Content
	keep := c.contents[:0:0]
	for _, ct := range c.contents {
		drop := false
		for _, r := range removed {
			if ct.Name == r.Name {
				drop = true
			}
		}
		if drop {
			gone = append(gone, jingle.Content{Creator: ct.Creator, Name: ct.Name})
		} else {
			keep = append(keep, ct)
		}
	}
	c.contents = keep
	j := &jingle.Jingle{Action: jingle.ActionContentRemove, SID: c.sid, Contents: gone}
	_, err := c.session.Send(j)
	c.mu.Unlock()
	if err == nil && len(gone) > 0 {
		g.goBG(func() {
			if err := g.sendJingle(js, c, j); err != nil {
				g.log.Debug("content-remove not acknowledged", "err", err)
			}
		})
	}
	return g.answerCurrent(c, nil)
}

// answerCurrent answers the re-INVITE with the SDP of the contents in
// play, or returns failure when set.
func (g *Gateway) answerCurrent(c *call, failure error) ([]byte, error) {
	if failure != nil {
		return nil, failure
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	sdp, err := c.mapping.JingleToSDP(jingle.Answer, c.contents, c.groups)
	if err != nil {
		return nil, sdpFailure(err)
	}
	c.lastSDP = sdp.Body
	return sdp.Body, nil
}

// SIPAck: the SIP side confirmed the answer; the dialog as it is now
// (the remote target from the ACK) is kept for the BYE.
func (g *Gateway) SIPAck(_ context.Context, d translate.SIPDialog) {
	c := g.calls.byDlg(d)
	if c == nil {
		return
	}
	c.mu.Lock()
	if d.RemoteTarget != "" {
		c.dialog.RemoteTarget = d.RemoteTarget
	}
	c.mu.Unlock()
}

// SIPBye: the SIP party hung up: session-terminate success (XEP-0166
// §6.7).
func (g *Gateway) SIPBye(_ context.Context, d translate.SIPDialog) error {
	c := g.calls.byDlg(d)
	if c == nil {
		return refuse(481, translate.CondItemNotFound, "no such call")
	}
	if js, _, _, err := g.callPorts(); err == nil {
		g.terminate(js, c, jingle.ConditionSuccess, "")
	}
	g.endCall(c, outcomeAnswered)
	return nil
}
