package sip

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/sxgw/sxgw/translate"
)

// INVITE as UAC (RFC 3261 §13.2): routed and failed over like Do (RFC 3263
// §4.3), but on a transaction of its own, so that provisional responses
// are seen, a CANCEL can follow (§9.1) and every 2xx is acknowledged by us
// (§13.2.2.4), as sipgo's transaction layer only acknowledges non-2xx
// final responses.

// Invite sends an INVITE with the session description sdp (an offer,
// RFC 3264 §4; may be empty for an offerless INVITE) in d and waits for
// the final response. With d.RemoteTag empty it creates the dialog:
// d.CallID, d.LocalTag, d.LocalURI and d.RemoteURI must be set. Otherwise
// it is a re-INVITE inside d (RFC 3261 §14.1). subject, when not empty,
// becomes the Subject header. Provisional responses other than 100 are
// reported to progress, if not nil, on Invite's goroutine (it must not
// block).
//
// A 2xx is acknowledged (RFC 3261 §13.2.2.4: to the remote target through
// the route set, and again for every retransmission of it); a 2xx from
// another branch of a forking proxy is acknowledged and ended with a BYE.
// Invite then returns d updated from the 2xx (RemoteTag, RemoteTarget =
// Contact, RouteSet = Record-Route reversed, RFC 3261 §12.1.2) and its body,
// the answer. A non-2xx final response is a *StatusError (sipgo's
// transaction acknowledges it). The returned dialog's LocalCSeq is that of
// the INVITE once one was built, even on error.
//
// When ctx ends before the final response, the INVITE is cancelled (RFC
// 3261 §9.1: once a provisional response came) and Invite returns
// ctx.Err() after the final response (487) or 64*T1; a 2xx that still
// arrives is acknowledged and ended with a BYE.
//
// Targets are tried as by Do (RFC 3263 §4.3), but only until one sent a
// provisional response other than 100 Trying (which a proxy sends for
// itself, RFC 3261 §16.2): after that the request has reached a UAS, which
// may be ringing, and is not sent anywhere else.
func (e *Endpoint) Invite(ctx context.Context, d translate.SIPDialog, sdp []byte, subject string, progress func(status int)) (translate.SIPDialog, []byte, error) {
	return e.sendInvite(ctx, d, sdp, subject, progress, false)
}

// sendInvite is Invite; focus adds 'isfocus' to the Contact (a room's
// INVITE, RFC 4579 §5.2).
func (e *Endpoint) sendInvite(ctx context.Context, d translate.SIPDialog, sdp []byte, subject string, progress func(status int), focus bool) (translate.SIPDialog, []byte, error) {
	if e.isClosed() {
		return d, nil, ErrClosed
	}
	req, err := newDialogRequest(sipgosip.INVITE, d)
	if err != nil {
		return d, nil, err
	}
	local, err := parseDialogURI(d.LocalURI)
	if err != nil {
		return d, nil, err
	}
	d.LocalCSeq++
	hop := e.nextHop(req)
	// RFC 3261 §8.1.1.8: a sips: Request-URI or top Route asks for a sips:
	// Contact.
	secure := req.Recipient.Scheme == "sips" || hop.Scheme == "sips"
	contact, err := e.requestContact(ctx, hop, local.User, secure)
	if err != nil {
		e.m.outgoing.WithLabelValues("INVITE", classError).Inc()
		return d, nil, err
	}
	if focus {
		contact.Params.Add("isfocus", "")
	}
	req.AppendHeader(contact)
	// RFC 3261 §13.2.1: Allow and Supported SHOULD be in an INVITE.
	req.AppendHeader(sipgosip.NewHeader("Allow", e.routes.Load().allow))
	req.AppendHeader(sipgosip.NewHeader("Supported", strings.Join(e.supported(), ", ")))
	if subject != "" {
		req.AppendHeader(sipgosip.NewHeader("Subject", subject))
	}
	if len(sdp) > 0 {
		req.AppendHeader(sipgosip.NewHeader("Content-Type", sdpType))
		req.SetBody(sdp)
	}

	res, nd, err := e.invite(ctx, req, d, progress)
	class := classError
	if res != nil {
		class = classLabel(res.StatusCode)
	}
	e.m.outgoing.WithLabelValues("INVITE", class).Inc()
	if err != nil {
		return d, nil, err
	}
	if res.StatusCode >= 300 {
		return d, nil, statusErrorOf(res)
	}
	return nd, res.Body(), nil
}

// invite sends orig to the targets of its next hop in turn (RFC 3263
// §4.3) and returns the final response and, for a 2xx, the dialog it
// made. A target that answered 408 or 503, or failed, before any
// provisional response but 100 gives way to the next; the last such
// 408/503 is returned when none is left.
func (e *Endpoint) invite(ctx context.Context, orig *sipgosip.Request, d translate.SIPDialog, progress func(int)) (*sipgosip.Response, translate.SIPDialog, error) {
	base := orig.Clone()
	targets, err := e.nextHops(ctx, base)
	if err != nil {
		return nil, d, err
	}
	if err := e.complete(base); err != nil {
		return nil, d, err
	}
	var lastRes *sipgosip.Response
	var lastErr error
	for _, t := range targets {
		if ctx.Err() != nil {
			break
		}
		res, nd, reached, err := e.inviteAttempt(ctx, base, t, d, progress)
		if err == nil && isChallenge(res) && len(e.o.Credentials) > 0 && !hasAuthorization(base) {
			// RFC 3261 §22.2: the INVITE again, with credentials and the
			// next CSeq, to the same target (sipgo's transaction ACKed
			// the challenge).
			if authed, ok := e.authorized(base, res); ok {
				base = authed
				d.LocalCSeq = cseqOf(res) + 1
				res, nd, reached, err = e.inviteAttempt(ctx, base, t, d, progress)
			}
		}
		switch {
		case err != nil && reached:
			return nil, d, err
		case err != nil:
			e.log.Debug("INVITE to target failed", "target", t.String(), "error", err)
			lastErr = fmt.Errorf("sip: INVITE via %s: %w", t, err)
		case !reached && (res.StatusCode == 408 || res.StatusCode == 503):
			lastRes = res
		default:
			return res, nd, nil
		}
	}
	if lastRes != nil {
		return lastRes, d, nil
	}
	if lastErr == nil {
		lastErr = ctx.Err()
	}
	return nil, d, lastErr
}

// nextHops adds the outbound proxy as Route to req when it has none and
// returns the targets of its next hop, as Do does (RFC 3261 §8.1.2, RFC
// 3263 §4).
func (e *Endpoint) nextHops(ctx context.Context, req *sipgosip.Request) ([]Target, error) {
	dest := req.Recipient
	switch {
	case e.proxy != nil:
		dest = *e.proxy
		if req.Route() == nil {
			route := e.proxy.Clone()
			route.UriParams = route.UriParams.Clone()
			if route.UriParams == nil {
				route.UriParams = sipgosip.NewParams()
			}
			route.UriParams.Add("lr", "")
			req.PrependHeader(&sipgosip.RouteHeader{Address: *route})
		}
	case req.Route() != nil:
		dest = req.Route().Address
	}
	return e.Locate(ctx, dest)
}

// stamp addresses r to t with a Via of a new branch (RFC 3261 §8.1.1.7,
// §18.1.1; rport, RFC 3581 §3), leaving over UDP from our listening
// socket so that the peer sees our port; over TLS it makes sure a
// connection verified for t's name exists.
func (e *Endpoint) stamp(ctx context.Context, r *sipgosip.Request, t Target) error {
	transport := strings.ToUpper(t.Transport)
	r.SetTransport(transport)
	r.SetDestination(t.Addr.String())
	via := &sipgosip.ViaHeader{
		ProtocolName:    "SIP",
		ProtocolVersion: "2.0",
		Transport:       transport,
		Params:          sipgosip.NewParams(),
	}
	via.Params.Add("branch", sipgosip.GenerateBranchN(16))
	via.Params.Add("rport", "")
	if t.Transport == TransportUDP {
		dst := t.Addr.Addr()
		if l, ok := e.udpListenerFor(dst); ok {
			r.Laddr = sipgosip.Addr{IP: net.IP(l.Addr().AsSlice()), Port: int(l.Port())}
			via.Port = int(l.Port())
			if !l.Addr().IsUnspecified() {
				via.Host = l.Addr().String()
			}
		}
		if via.Host == "" {
			via.Host = e.sourceFor(dst)
		}
	}
	r.PrependHeader(via)
	if t.Transport == TransportTLS {
		return e.ensureTLS(ctx, t)
	}
	return nil
}

// prebuilt tells sipgo's client that a request is complete as it is.
func prebuilt(*sipgo.Client, *sipgosip.Request) error { return nil }

// inviteAttempt sends one copy of base to t as a new INVITE client
// transaction and follows it to its end. reached reports that the request
// got a provisional response from beyond the next hop (101-199) or was
// cancelled, so that no other target may be tried.
func (e *Endpoint) inviteAttempt(ctx context.Context, base *sipgosip.Request, t Target, d translate.SIPDialog, progress func(int)) (res *sipgosip.Response, nd translate.SIPDialog, reached bool, err error) {
	r := base.Clone()
	if err := e.stamp(ctx, r, t); err != nil {
		return nil, d, false, err
	}
	tx, err := e.client.TransactionRequest(ctx, r, prebuilt)
	if err != nil {
		return nil, d, false, err
	}

	var (
		provisional bool // any 1xx: CANCEL may be sent (RFC 3261 §9.1)
		reachedUAS  bool // a 1xx other than 100
		cancelling  bool
		cancelTx    sipgosip.ClientTransaction
		cancelRes   <-chan *sipgosip.Response
		giveUp      <-chan time.Time
		ctxDone     = ctx.Done()
	)
	defer func() {
		if cancelTx != nil {
			cancelTx.Terminate()
		}
	}()
	// RFC 3261 §9.1: CANCEL once a provisional response came, never before.
	sendCancel := func() {
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), 64*sipgosip.T1)
		defer ccancel()
		ct, err := e.client.TransactionRequest(cctx, cancelFor(r), prebuilt)
		if err != nil {
			e.log.Warn("sending CANCEL failed", "error", err)
			return
		}
		cancelTx, cancelRes = ct, ct.Responses()
	}
	for {
		select {
		case res := <-tx.Responses():
			switch {
			case res.StatusCode < 200:
				provisional = true
				reachedUAS = reachedUAS || res.StatusCode > 100
				if cancelling && cancelTx == nil {
					sendCancel()
				}
				if !cancelling && progress != nil && res.StatusCode > 100 {
					progress(res.StatusCode)
				}
			case res.StatusCode < 300:
				nd, err := e.acceptAnswer(tx, r, d, res)
				if cancelling {
					// Answered before the CANCEL took effect: the
					// session is ended at once (RFC 3261 §15).
					if err == nil {
						e.byeLater(nd)
					}
					return nil, d, true, ctx.Err()
				}
				return res, nd, true, err
			default:
				if cancelling {
					return nil, d, true, ctx.Err()
				}
				return res, d, reachedUAS, nil
			}
		case <-tx.Done():
			if cancelling {
				return nil, d, true, ctx.Err()
			}
			err := tx.Err()
			if err == nil {
				err = errNoResponse
			}
			return nil, d, reachedUAS, err
		case <-ctxDone:
			ctxDone = nil
			cancelling = true
			bound := time.NewTimer(64 * sipgosip.T1)
			defer bound.Stop()
			giveUp = bound.C
			if provisional {
				sendCancel()
			}
		case <-cancelRes:
			// The CANCEL's own answer (200, or 481 when too late) says
			// nothing the INVITE's final response will not.
		case <-giveUp:
			tx.Terminate()
			return nil, d, true, ctx.Err()
		}
	}
}

// cancelFor builds the CANCEL of the INVITE inv as sent (RFC 3261 §9.1):
// the same Request-URI, top Via, Route, Call-ID, From, To and CSeq number,
// to the same destination.
func cancelFor(inv *sipgosip.Request) *sipgosip.Request {
	c := sipgosip.NewRequest(sipgosip.CANCEL, *inv.Recipient.Clone())
	c.AppendHeader(inv.Via().Clone())
	for _, h := range inv.GetHeaders("Route") {
		c.AppendHeader(sipgosip.HeaderClone(h))
	}
	mf := sipgosip.MaxForwardsHeader(70)
	c.AppendHeader(&mf)
	c.AppendHeader(sipgosip.HeaderClone(inv.From()))
	c.AppendHeader(sipgosip.HeaderClone(inv.To()))
	c.AppendHeader(sipgosip.HeaderClone(inv.CallID()))
	c.AppendHeader(&sipgosip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sipgosip.CANCEL})
	if h := inv.GetHeader("User-Agent"); h != nil {
		c.AppendHeader(sipgosip.HeaderClone(h))
	}
	c.SetBody(nil)
	c.SetTransport(inv.Transport())
	c.SetDestination(inv.Destination())
	c.Laddr = inv.Laddr
	return c
}

// acceptAnswer acknowledges the 2xx res to the INVITE inv sent in d and
// returns the dialog it established or refreshed. Retransmissions of it
// are acknowledged again, and a 2xx from another fork (another To tag) of
// a new dialog is acknowledged and ended with a BYE (RFC 3261 §13.2.2.4),
// for as long as the transaction lasts (64*T1).
func (e *Endpoint) acceptAnswer(tx sipgosip.ClientTransaction, inv *sipgosip.Request, d translate.SIPDialog, res *sipgosip.Response) (translate.SIPDialog, error) {
	nd, err := uacUpdate(d, res)
	if err != nil {
		return d, err
	}
	cseq := inv.CSeq().SeqNo
	ack, err := e.sendAck(nd, cseq, nil)
	if err != nil {
		// The 2xx is retransmitted and acknowledged then.
		e.log.Warn("sending ACK failed", "error", err)
	}
	var mu sync.Mutex
	acks := map[string]*sipgosip.Request{nd.RemoteTag: ack}
	tx.OnRetransmission(func(res *sipgosip.Response) {
		if res.StatusCode < 200 || res.StatusCode >= 300 || res.To() == nil {
			return
		}
		tag, _ := res.To().Params.Get("tag")
		mu.Lock()
		defer mu.Unlock()
		if prev, seen := acks[tag]; seen {
			if _, err := e.sendAck(nd, cseq, prev); err != nil {
				e.log.Debug("resending ACK failed", "error", err)
			}
			return
		}
		if d.RemoteTag != "" {
			return // a re-INVITE has one dialog: a stray answer
		}
		fd, err := uacUpdate(d, res)
		if err != nil {
			return
		}
		a, err := e.sendAck(fd, cseq, nil)
		if err != nil {
			e.log.Debug("sending ACK to a forked 2xx failed", "error", err)
		}
		acks[tag] = a
		e.byeLater(fd)
	})
	return nd, nil
}

// sendAck sends the ACK of the 2xx to the INVITE with CSeq number cseq in
// dialog d (RFC 3261 §13.2.2.4): built as a request in d but with the
// INVITE's CSeq number, sent straight to the transport, to the first
// target of its next hop. prev, an ACK sent before, is sent again as it
// is; the ACK sent is returned (nil if it could not be built).
func (e *Endpoint) sendAck(d translate.SIPDialog, cseq uint32, prev *sipgosip.Request) (*sipgosip.Request, error) {
	ack := prev
	if ack == nil {
		ad := d
		ad.LocalCSeq = cseq - 1
		req, err := newDialogRequest(sipgosip.ACK, ad)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), coreTimeout)
		defer cancel()
		targets, err := e.nextHops(ctx, req)
		if err != nil {
			return nil, err
		}
		if err := e.complete(req); err != nil {
			return nil, err
		}
		if err := e.stamp(ctx, req, targets[0]); err != nil {
			return nil, err
		}
		ack = req
	}
	if err := e.client.WriteRequest(ack, prebuilt); err != nil {
		return ack, fmt.Errorf("sip: ACK: %w", err)
	}
	return ack, nil
}

// byeLater ends d with a BYE in the background, bounded by 64*T1.
func (e *Endpoint) byeLater(d translate.SIPDialog) {
	if !e.enter() {
		return
	}
	go func() {
		defer e.leave()
		ctx, cancel := context.WithTimeout(context.Background(), 64*sipgosip.T1)
		defer cancel()
		if _, err := e.Bye(ctx, d); err != nil {
			e.log.Debug("BYE of an unwanted dialog failed", "error", err)
		}
	}()
}
