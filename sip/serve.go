package sip

import (
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"sync"

	sipgosip "github.com/emiago/sipgo/sip"
)

// serve is the single entry for every incoming request (sipgo's no-route
// handler): the checks of RFC 3261 §8.2 in order, then the method's handler.
func (e *Endpoint) serve(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
	if !e.enter() {
		return
	}
	defer e.leave()

	if req.IsAck() {
		e.serveAck(req, tx)
		return
	}
	if e.busy.Load() > maxInflight && req.Method != sipgosip.CANCEL && (req.To() == nil || !hasTag(req.To().Params)) {
		// Overloaded: shed new work at once (RFC 3261 §21.5.4).
		e.m.badRequests.WithLabelValues(badOverload).Inc()
		e.respond(tx, req, 503, "Service Unavailable", sipgosip.NewHeader("Retry-After", "5"))
		return
	}
	w := &serverTx{ServerTransaction: tx, e: e, method: methodLabel(req.Method)}
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("handler panicked", "method", w.method, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if !w.answered() {
				e.respond(w, req, 500, "Server Internal Error")
			}
		}
	}()

	rt := e.routes.Load()
	if rej := e.check(req, rt); rej != nil {
		if rej.metric != "" {
			e.m.badRequests.WithLabelValues(rej.metric).Inc()
		}
		e.respond(w, req, rej.code, rej.reason, rej.headers...)
		return
	}
	h := rt.handlers[req.Method]
	if h == nil {
		h = e.builtin(req.Method)
	}
	h(req, w)
	if !w.answered() {
		// sipgo would end the transaction without a final response.
		e.log.Error("handler returned without a final response", "method", w.method)
		e.respond(w, req, 500, "Server Internal Error")
	}
}

// check runs the pipeline of checks, returning the first refusal.
func (e *Endpoint) check(req *sipgosip.Request, rt *routes) *rejection {
	if rej := checkSize(req, e.o.MaxMessageSize); rej != nil {
		return rej
	}
	if rej := checkSyntax(req); rej != nil {
		return rej
	}
	// While draining, only CANCEL and requests inside existing dialogs (with
	// a To tag, RFC 3261 §12.2.2) go on; the rest get 503 (RFC 3261 §21.5.4).
	if e.draining.Load() && req.Method != sipgosip.CANCEL && !hasTag(req.To().Params) {
		secs := int64(math.Ceil(e.o.RetryAfter.Seconds()))
		return &rejection{code: 503, reason: "Service Unavailable", headers: []sipgosip.Header{
			sipgosip.NewHeader("Retry-After", strconv.FormatInt(secs, 10)),
		}}
	}
	if err := e.authorize(req); err != nil {
		return rejectionFor(err)
	}
	if rej := checkMaxForwards(req); rej != nil {
		return rej
	}
	// RFC 3261 §8.2.2.1: a Request-URI that is not ours gets 404, unless
	// the method is one the gateway relays to the other side.
	if !rt.foreign[req.Method] && !e.local.Load().isLocal(req.Recipient.Host) {
		return &rejection{code: 404, reason: "Not Found", metric: badUnknownDomain}
	}
	if rej := checkRequire(req, e.supported()); rej != nil {
		return rej
	}
	// RFC 3261 §8.2.1: a method that is not handled gets 405 with Allow.
	if rt.handlers[req.Method] == nil && e.builtin(req.Method) == nil {
		return &rejection{code: 405, reason: "Method Not Allowed", headers: []sipgosip.Header{
			sipgosip.NewHeader("Allow", rt.allow),
		}}
	}
	return nil
}

// supported lists the option tags this endpoint implements (RFC 3261
// §20.37): norefersub (RFC 4488) when rooms take REFER, which honours
// Refer-Sub: false.
func (e *Endpoint) supported() []string {
	if cs := e.chats.Load(); cs != nil && cs.rooms != nil {
		return []string{"norefersub"}
	}
	return nil
}

// builtin returns the endpoint's own handler for a method, if any.
func (e *Endpoint) builtin(m sipgosip.RequestMethod) Handler {
	switch m {
	case sipgosip.OPTIONS:
		return e.handleOptions
	case sipgosip.CANCEL:
		return e.handleCancel
	}
	return nil
}

// handleCancel answers a CANCEL that matched no transaction (sipgo answers
// the ones that do): RFC 3261 §9.2.
func (e *Endpoint) handleCancel(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
	e.respond(tx, req, 481, "Call/Transaction Does Not Exist")
}

// serveAck passes an ACK that sipgo did not absorb (the ACK of a 2xx,
// RFC 3261 §13.2.2.4) to the ACK handler. An ACK is never answered
// (RFC 3261 §17.2.1); an invalid or unauthorized one is dropped.
func (e *Endpoint) serveAck(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
	rej := checkSize(req, e.o.MaxMessageSize)
	if rej == nil {
		rej = checkSyntax(req)
	}
	if rej == nil && e.authorize(req) != nil {
		rej = rejectionFor(nil)
	}
	if rej != nil {
		e.m.badRequests.WithLabelValues(rej.metric).Inc()
		return
	}
	if h := e.routes.Load().handlers[sipgosip.ACK]; h != nil {
		defer func() {
			if p := recover(); p != nil {
				e.log.Error("ACK handler panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			}
		}()
		h(req, tx)
	}
}

// respond sends a final response built from req with the given extra
// headers through tx (which adds Server).
func (e *Endpoint) respond(tx sipgosip.ServerTransaction, req *sipgosip.Request, code int, reason string, headers ...sipgosip.Header) {
	res := sipgosip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range headers {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		e.log.Warn("sending response failed", "method", methodLabel(req.Method), "status", code, "error", err)
	}
}

// serverTx wraps a sipgo server transaction: it stamps every response with
// Server (RFC 3261 §20.35), counts final responses, and records whether a
// final response was sent.
type serverTx struct {
	sipgosip.ServerTransaction
	e      *Endpoint
	method string

	mu    sync.Mutex
	final bool
}

// Respond sends res, adding Server if missing.
func (t *serverTx) Respond(res *sipgosip.Response) error {
	if res.GetHeader("Server") == nil {
		res.AppendHeader(sipgosip.NewHeader("Server", t.e.o.UserAgent))
	}
	isFinal := res.StatusCode >= 200
	if isFinal {
		t.mu.Lock()
		t.final = true
		t.mu.Unlock()
	}
	if isFinal {
		// Counted before the send, so the count is in place when the
		// peer sees the response.
		t.e.m.requests.WithLabelValues(t.method, classLabel(res.StatusCode)).Inc()
	}
	return t.ServerTransaction.Respond(res)
}

// answered reports whether a final response was sent (or attempted).
func (t *serverTx) answered() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.final
}
