package sip

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/sxgw/sxgw/translate"
)

// INVITE as UAS (RFC 3261 §13.3): the checks, 100 Trying at once, the
// core's decision on its own goroutine (with 1xx on its request), the final
// response, then the 2xx retransmitted until its ACK (§13.3.1.4), which
// sipgo's transaction layer does not do (RFC 6026 §7.1 leaves it to the
// TU). sipgo answers a CANCEL that matches a pending INVITE itself (200 to
// the CANCEL, 487 to the INVITE, RFC 3261 §9.2); the core learns it through
// its context.

// inviteTimeout bounds how long an INVITE waits for the core's answer (a
// ringing phone): longer than a proxy's Timer C (RFC 3261 §16.6: more than
// 3 minutes) would be pointless. An INVITE's Expires may shorten it
// (§13.3.1).
const inviteTimeout = 3 * time.Minute

// sdpType is the media type of session descriptions (RFC 3264, RFC 4566).
const sdpType = "application/sdp"

// inviteTimers are the intervals of 2xx retransmission (RFC 3261
// §13.3.1.4): first after t1, doubling up to t2, given up after ackWait.
type inviteTimers struct {
	t1, t2, ackWait time.Duration
}

// defaultInviteTimers uses the transaction layer's T1 and T2 (RFC 3261
// §17.1.1.1) and 64*T1.
func defaultInviteTimers() inviteTimers {
	return inviteTimers{t1: sipgosip.T1, t2: sipgosip.T2, ackWait: 64 * sipgosip.T1}
}

// dialogID identifies a dialog from our side (RFC 3261 §12).
type dialogID struct {
	callID, localTag, remoteTag string
}

// ackWait is a 2xx waiting for its ACK: the INVITE's CSeq number and where
// the ACK (true) or the dialog's end by BYE (false) is reported.
type ackWait struct {
	cseq uint32
	done chan bool // buffered 1
}

// inviteServer is what ServeInvites installed: the INVITE, ACK and BYE
// handlers and the state they share.
type inviteServer struct {
	e      *Endpoint
	in     Inbound
	types  []string // body types accepted, lowercased
	accept string   // Accept value for 415
	timers inviteTimers

	mu      sync.Mutex
	pending map[dialogID]*serverInvite // INVITEs without a final response
	acks    map[dialogID]*ackWait      // 2xx retransmitted until ACK
}

// ServeInvites installs the INVITE, ACK and BYE handlers (RFC 3261 §13,
// §15): INVITEs for any Request-URI domain go to in.SIPInvite (as MESSAGE
// does, the core decides), the ACK of a 2xx to in.SIPAck, a BYE to
// in.SIPBye. A CANCEL matching a pending INVITE ends it with 487 (RFC 3261
// §9.2). accept lists the body types an INVITE may carry (default
// application/sdp); others get 415 with Accept. The core's SIPInvite is
// called on its own goroutine; its progress callback sends 101-199
// responses until the final one (it must not be called after SIPInvite
// returned, and is ignored then).
//
// When ctx of SIPInvite ends (CANCEL, a BYE for the early dialog, the
// INVITE's Expires or 3 minutes, the endpoint closing), no 2xx is sent
// whatever SIPInvite returns; if it still returned an answer for a new
// dialog, SIPBye follows so that the core drops the session. A 2xx that is
// not acknowledged within 64*T1 ends the session: the core gets SIPBye and,
// for a new dialog, the peer a BYE (RFC 3261 §13.3.1.4); for a re-INVITE
// only the core is told, as the dialog's local CSeq is the core's.
//
// Limits: an INVITE without an offer reaches the core with an empty SDP;
// the answer the ACK then carries is not passed on (SIPAck has no body),
// so a core that cannot do without it refuses such INVITEs (488). Glare
// (RFC 3261 §14.2: 491 for an INVITE received while ours is pending in
// the dialog) is for the core to detect; a second INVITE while one is
// pending in the same dialog gets 500 with Retry-After here.
func (e *Endpoint) ServeInvites(in Inbound, accept []string) {
	e.serveInvites(in, accept, defaultInviteTimers())
}

func (e *Endpoint) serveInvites(in Inbound, accept []string, timers inviteTimers) {
	if in == nil {
		panic("sip: ServeInvites needs an Inbound")
	}
	s := &inviteServer{
		e: e, in: in, timers: timers,
		pending: map[dialogID]*serverInvite{},
		acks:    map[dialogID]*ackWait{},
	}
	for _, t := range accept {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" && !containsFold(s.types, t) {
			s.types = append(s.types, t)
		}
	}
	if len(s.types) == 0 {
		s.types = []string{sdpType}
	}
	s.accept = strings.Join(s.types, ", ")
	e.HandleGateway(string(sipgosip.INVITE), s.handleInvite, s.types...)
	e.HandleGateway(string(sipgosip.ACK), s.handleAck)
	e.HandleGateway(string(sipgosip.BYE), s.handleBye)
}

// serverInvite is one INVITE being answered.
type serverInvite struct {
	s       *inviteServer
	req     *sipgosip.Request
	tx      sipgosip.ServerTransaction
	dialog  translate.SIPDialog // LocalTag chosen before the core is asked
	id      dialogID
	contact *sipgosip.ContactHeader
	isNew   bool // no To tag: the INVITE creates the dialog
	cancel  context.CancelFunc
	wait    *ackWait // the 2xx's ACK wait, once registered (guarded by s.mu)

	// ending is the endReason that cancelled the core's context. Atomic:
	// sipgo reports a CANCEL holding its transaction's lock, which a
	// response sent under mu also takes.
	ending atomic.Int32

	mu    sync.Mutex // orders responses; guards final
	final bool       // a final response was decided: no more 1xx
}

// endReason says why an INVITE's context ended before the core answered.
type endReason int32

const (
	endNone     endReason = iota
	endCancel             // CANCEL (sipgo sent the 487)
	endBye                // BYE in the dialog (RFC 3261 §15.1.2)
	endTxDone             // the transaction ended (transport error, Close)
	endDeadline           // the INVITE's Expires or inviteTimeout
)

// stop cancels the core's context for reason (the first reason wins).
func (u *serverInvite) stop(reason endReason) {
	u.ending.CompareAndSwap(int32(endNone), int32(reason))
	u.cancel()
}

// check applies the INVITE-specific checks of RFC 3261 §8.2.3 and §8.1.1.8.
func (s *inviteServer) check(req *sipgosip.Request) *rejection {
	unsupported := func() *rejection {
		return &rejection{code: 415, reason: "Unsupported Media Type", metric: badContentType,
			headers: []sipgosip.Header{sipgosip.NewHeader("Accept", s.accept)}}
	}
	// RFC 3261 §8.2.3: an encoding not understood gets 415 with
	// Accept-Encoding; none is understood here.
	for _, v := range headerValues(req, "Content-Encoding") {
		for enc := range strings.SplitSeq(v, ",") {
			if enc = strings.TrimSpace(enc); enc != "" && !strings.EqualFold(enc, "identity") {
				rej := unsupported()
				rej.headers = append(rej.headers, sipgosip.NewHeader("Accept-Encoding", "identity"))
				return rej
			}
		}
	}
	if len(req.Body()) > 0 && !containsFold(s.types, mediaType(req)) {
		return unsupported()
	}
	// RFC 3261 §8.1.1.8, §20 Table 3: an INVITE has one Contact.
	if _, present, ok := validContact(req); !present {
		return badRequest("Missing Contact Header", badMissingHeader)
	} else if !ok {
		return badRequest("Invalid Contact Header", badInvalidHeader)
	}
	return nil
}

// handleInvite answers an initial INVITE or a re-INVITE (RFC 3261 §13.3.1,
// §14.2).
func (s *inviteServer) handleInvite(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
	e := s.e
	if rej := s.check(req); rej != nil {
		e.refuse(tx, req, rej)
		return
	}
	wait := inviteTimeout
	expires, err := singleDelta(headerValues(req, "Expires"))
	if err != nil {
		e.refuse(tx, req, badRequest("Invalid Expires Header", badInvalidHeader))
		return
	}
	if expires >= 0 {
		wait = min(wait, time.Duration(expires)*time.Second)
	}

	isNew := !hasTag(req.To().Params)
	d := uasDialog(req)
	if isNew {
		d.LocalTag = sipgosip.GenerateTagN(16)
	} else {
		// RFC 3261 §12.2: the route set is fixed when the dialog is made.
		d.RouteSet = nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	u := &serverInvite{
		s: s, req: req, tx: tx, dialog: d,
		id:      dialogID{callID: d.CallID, localTag: d.LocalTag, remoteTag: d.RemoteTag},
		contact: e.responseContact(req, tx, req.To().Address.User),
		isNew:   isNew,
		cancel:  cancel,
	}
	if !s.begin(u) {
		// RFC 3261 §14.2: an INVITE while another is pending in the dialog.
		e.respond(tx, req, 500, "Server Internal Error",
			sipgosip.NewHeader("Retry-After", strconv.Itoa(rand.IntN(11))))
		return
	}
	defer s.forget(u)
	// RFC 3261 §8.2.6.1: 100 Trying at once, the core may take a while.
	e.respond(tx, req, 100, "Trying")

	if !tx.OnCancel(func(*sipgosip.Request) { u.stop(endCancel) }) {
		u.stop(endCancel) // already cancelled or ended
	}

	inv := translate.SIPInvite{
		Dialog:     d,
		New:        isNew,
		RequestURI: uriString(req.Recipient),
		Subject:    headerValue(req, "Subject"),
		SDP:        req.Body(),
	}
	s.finish(u, expires, s.ask(ctx, u, inv))
}

// begin registers u as the pending INVITE of its dialog; false if another
// one is pending there.
func (s *inviteServer) begin(u *serverInvite) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, busy := s.pending[u.id]; busy {
		return false
	}
	s.pending[u.id] = u
	return true
}

// forget removes what u left in the registries (normally nothing: finish
// and awaitAck clean up; this covers a panic).
func (s *inviteServer) forget(u *serverInvite) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending[u.id] == u {
		delete(s.pending, u.id)
	}
	if w := s.acks[u.id]; w != nil && w == u.wait {
		delete(s.acks, u.id)
	}
}

// coreAnswer is what SIPInvite returned; abandoned means that it did not
// return in time after its context ended.
type coreAnswer struct {
	sdp       []byte
	err       error
	abandoned bool
}

// ask calls the core on its own goroutine and waits for it, cancelling its
// context when the transaction ends. Once the context is done the core has
// coreTimeout to return.
func (s *inviteServer) ask(ctx context.Context, u *serverInvite, inv translate.SIPInvite) coreAnswer {
	results := make(chan coreAnswer, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				s.e.log.Error("core panicked in SIPInvite", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				results <- coreAnswer{err: fmt.Errorf("sip: core panicked: %v", p)}
			}
		}()
		a, err := s.in.SIPInvite(ctx, inv, u.progress)
		results <- coreAnswer{sdp: a, err: err}
	}()
	txDone := u.tx.Done()
	ctxDone := ctx.Done()
	var grace <-chan time.Time
	for {
		select {
		case r := <-results:
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				u.stop(endDeadline)
			}
			return r
		case <-txDone:
			txDone = nil
			u.stop(endTxDone)
		case <-ctxDone:
			ctxDone = nil
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				u.stop(endDeadline)
			}
			t := time.NewTimer(coreTimeout)
			defer t.Stop()
			grace = t.C
		case <-grace:
			s.e.log.Error("core did not return from SIPInvite after its context ended")
			return coreAnswer{err: ctx.Err(), abandoned: true}
		}
	}
}

// progress sends a provisional response for the core (RFC 3261 §13.3.1.1),
// with our To tag and Contact: it creates an early dialog (§12.1.1).
func (u *serverInvite) progress(status int) {
	if status <= 100 || status > 199 {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.final {
		return
	}
	if err := u.tx.Respond(u.response(status, provisionalReason(status), nil)); err != nil {
		u.s.e.log.Debug("sending provisional response failed", "status", status, "error", err)
	}
}

// response builds a response to the INVITE with our To tag (RFC 3261
// §8.2.6.2) and, for 1xx and 2xx, our Contact (§12.1.1); sipgo copies
// Record-Route into those.
func (u *serverInvite) response(code int, reason string, body []byte) *sipgosip.Response {
	res := sipgosip.NewResponseFromRequest(u.req, code, reason, body)
	res.To().Params.Add("tag", u.dialog.LocalTag)
	if code < 300 {
		res.AppendHeader(u.contact)
	}
	return res
}

// finish sends the final response the core's result calls for, then, for a
// 2xx, retransmits it until the ACK.
func (s *inviteServer) finish(u *serverInvite, expires int, a coreAnswer) {
	e := s.e
	answer, coreErr := a.sdp, a.err
	u.mu.Lock()
	u.final = true
	ending := endReason(u.ending.Load())
	ok := ending == endNone && coreErr == nil && len(answer) > 0
	var wait *ackWait
	s.mu.Lock()
	delete(s.pending, u.id)
	if ok {
		// Registered before the 2xx leaves, so that its ACK finds it.
		wait = &ackWait{cseq: u.req.CSeq().SeqNo, done: make(chan bool, 1)}
		s.acks[u.id] = wait
		u.wait = wait
	}
	s.mu.Unlock()

	var res *sipgosip.Response
	switch {
	case ending == endCancel:
		// sipgo sent the 487 when the CANCEL came (RFC 3261 §9.2).
		settle(u.tx, 487)
	case ending == endTxDone:
		settle(u.tx, 0) // nothing can be sent any more
	case ok:
		// RFC 3261 §13.3.1.4: Allow and Supported in the 2xx; the answer
		// (RFC 3264 §5) as its body.
		res = u.response(200, "OK", answer)
		res.AppendHeader(sipgosip.NewHeader("Allow", e.routes.Load().allow))
		res.AppendHeader(sipgosip.NewHeader("Supported", strings.Join(e.supported(), ", ")))
		res.AppendHeader(sipgosip.NewHeader("Content-Type", sdpType))
	case ending == endBye || (ending == endDeadline && expires >= 0):
		// RFC 3261 §15.1.2; §13.3.1: the INVITE's Expires ran out.
		res = u.response(487, "Request Terminated", nil)
	case ending == endDeadline:
		res = u.response(480, "Temporarily Unavailable", nil)
	case coreErr != nil:
		code, reason := statusOf(coreErr)
		res = u.response(code, reason, nil)
	default:
		e.log.Error("core accepted an INVITE without a session description")
		res = u.response(500, "Server Internal Error", nil)
	}
	var err error
	if res != nil {
		if err = u.tx.Respond(res); err != nil {
			e.log.Debug("sending final response failed", "method", "INVITE", "status", res.StatusCode, "error", err)
			if ok && errors.Is(u.tx.Err(), sipgosip.ErrTransactionCanceled) {
				// A CANCEL came between the decision and the send: the
				// transaction keeps retransmitting the last response
				// given to it, which must be the 487 again.
				_ = u.tx.Respond(u.response(487, "Request Terminated", nil))
			}
		}
	}
	u.mu.Unlock()

	if ok && err == nil {
		s.awaitAck(u, wait, res)
		return
	}
	if ok {
		s.dropAck(u.id, wait)
	}
	if coreErr == nil && !a.abandoned && u.isNew {
		// The core took a session the peer never got.
		s.coreBye(u.dialog)
	}
}

// settle records that the final response of tx was dealt with outside it,
// counting it when code is not 0.
func settle(tx sipgosip.ServerTransaction, code int) {
	w, ok := tx.(*serverTx)
	if !ok {
		return
	}
	w.mu.Lock()
	w.final = true
	w.mu.Unlock()
	if code != 0 {
		w.e.m.requests.WithLabelValues(w.method, classLabel(code)).Inc()
	}
}

// awaitAck retransmits the 2xx res until its ACK arrives or the dialog ends
// with a BYE (RFC 3261 §13.3.1.4): after T1, doubling up to T2, for 64*T1
// at most; then the session is ended (§13.3.1.4, §14.2).
func (s *inviteServer) awaitAck(u *serverInvite, wait *ackWait, res *sipgosip.Response) {
	tx := u.tx
	if w, ok := tx.(*serverTx); ok {
		tx = w.ServerTransaction // retransmissions are not counted again
	}
	interval := s.timers.t1
	resend := time.NewTimer(interval)
	defer resend.Stop()
	deadline := time.NewTimer(s.timers.ackWait)
	defer deadline.Stop()
	txDone := tx.Done()
	for {
		select {
		case <-wait.done:
			return
		case <-resend.C:
			if err := tx.Respond(res); err != nil {
				s.e.log.Debug("retransmitting 2xx failed", "error", err)
				continue
			}
			interval = min(2*interval, s.timers.t2)
			resend.Reset(interval)
		case <-txDone:
			// The transaction is gone (Close, transport error): nothing
			// can be retransmitted, but an ACK may still come.
			txDone = nil
			resend.Stop()
			if s.e.isClosed() {
				s.dropAck(u.id, wait)
				return
			}
		case <-deadline.C:
			if !s.dropAck(u.id, wait) {
				return // the ACK or BYE came just now
			}
			s.e.m.ackTimeouts.Inc()
			s.e.log.Warn("no ACK for 2xx: ending the session", "new", u.isNew)
			s.coreBye(u.dialog)
			if u.isNew && !s.e.isClosed() {
				ctx, cancel := context.WithTimeout(context.Background(), s.timers.ackWait)
				defer cancel()
				if _, err := s.e.Bye(ctx, u.dialog); err != nil {
					s.e.log.Warn("BYE after missing ACK failed", "error", err)
				}
			}
			return
		}
	}
}

// dropAck removes wait from the ACK waits; false if it was no longer
// there (its ACK or BYE arrived).
func (s *inviteServer) dropAck(id dialogID, wait *ackWait) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.acks[id] != wait {
		return false
	}
	delete(s.acks, id)
	return true
}

// coreBye calls in.SIPBye for d, logging a failure.
func (s *inviteServer) coreBye(d translate.SIPDialog) {
	ctx, cancel := context.WithTimeout(context.Background(), coreTimeout)
	defer cancel()
	if err := s.in.SIPBye(ctx, d); err != nil {
		s.e.log.Debug("core refused the end of a session", "error", err)
	}
}

// handleAck takes the ACK of a 2xx (RFC 3261 §13.3.1.4): it stops the
// retransmissions and tells the core. The ACK of a non-2xx never gets
// here (its transaction absorbs it); an ACK matching no 2xx (a
// retransmission, or too late) is dropped.
func (s *inviteServer) handleAck(req *sipgosip.Request, _ sipgosip.ServerTransaction) {
	d := uasDialog(req)
	d.RouteSet = nil
	if d.LocalTag == "" {
		return
	}
	id := dialogID{callID: d.CallID, localTag: d.LocalTag, remoteTag: d.RemoteTag}
	s.mu.Lock()
	wait := s.acks[id]
	if wait == nil || wait.cseq != d.RemoteCSeq {
		s.mu.Unlock()
		s.e.log.Debug("ACK matches no 2xx awaiting one")
		return
	}
	delete(s.acks, id)
	s.mu.Unlock()
	wait.done <- true
	ctx, cancel := context.WithTimeout(context.Background(), coreTimeout)
	defer cancel()
	s.in.SIPAck(ctx, d)
}

// handleBye ends a dialog (RFC 3261 §15.1.2): 481 without a To tag,
// otherwise the core's verdict (200, or 481 for a dialog it does not know).
// A pending INVITE in the dialog is answered 487; a BYE in the early
// dialog of a pending initial INVITE ends that INVITE only, and is
// answered 200 without the core, which learns it through SIPInvite's
// context.
func (s *inviteServer) handleBye(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
	e := s.e
	if !hasTag(req.To().Params) {
		e.refuse(tx, req, &rejection{code: 481, reason: "Call/Transaction Does Not Exist", metric: badNoDialog})
		return
	}
	d := uasDialog(req)
	d.RouteSet = nil
	id := dialogID{callID: d.CallID, localTag: d.LocalTag, remoteTag: d.RemoteTag}
	s.mu.Lock()
	pending := s.pending[id]
	wait := s.acks[id]
	delete(s.acks, id)
	s.mu.Unlock()
	if wait != nil {
		wait.done <- false
	}
	if pending != nil {
		pending.stop(endBye)
		if pending.isNew {
			e.respond(tx, req, 200, "OK")
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), coreTimeout)
	defer cancel()
	if err := s.in.SIPBye(ctx, d); err != nil {
		code, reason := statusOf(err)
		e.respond(tx, req, code, reason)
		return
	}
	e.respond(tx, req, 200, "OK")
}

// provisionalReason is the RFC 3261 §21.1 phrase of a 1xx.
func provisionalReason(code int) string {
	switch code {
	case 180:
		return "Ringing"
	case 181:
		return "Call Is Being Forwarded"
	case 182:
		return "Queued"
	case 199:
		return "Early Dialog Terminated" // RFC 6228 §4
	}
	return "Session Progress"
}

// isClosed reports whether Close was called.
func (e *Endpoint) isClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}
