package sip

import (
	"fmt"
	"math"
	"net/netip"
	"runtime/debug"
	"strconv"
	"sync"

	sipgosip "github.com/emiago/sipgo/sip"
)

// serve is sipgo's entry for every incoming request (its no-route
// handler): ACKs go to serveAck, everything else through the pipeline.
func (e *Endpoint) serve(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
	if !e.enter() {
		return
	}
	defer e.leave()

	if req.IsAck() {
		e.serveAck(req, tx)
		return
	}
	e.pipeline(req, &serverTx{ServerTransaction: tx, e: e, req: req, method: methodLabel(req.Method)}, false)
}

// pipeline runs the checks of RFC 3261 §8.2 in order, then the method's
// handler, on a request inside its server transaction w. shed refuses it
// at once, as an overload does.
func (e *Endpoint) pipeline(req *sipgosip.Request, w pipelineTx, shed bool) {
	if (shed || e.busy.Load() > maxInflight) && req.Method != sipgosip.CANCEL && (req.To() == nil || !hasTag(req.To().Params)) {
		// Overloaded: shed new work at once (RFC 3261 §21.5.4).
		e.m.badRequests.WithLabelValues(badOverload).Inc()
		if t, ok := w.(*udpTx); ok {
			// The fast path's transactions share one stored 503.
			_ = t.finish(e.fast.shed)
			return
		}
		e.respond(w, req, 503, "Service Unavailable", sipgosip.NewHeader("Retry-After", overloadRetryAfter))
		return
	}
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("handler panicked", "method", methodLabel(req.Method), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if !w.answered() {
				e.respond(w, req, 500, "Server Internal Error")
			}
		}
	}()

	rt := e.routes.Load()
	if rej := e.checkSized(req, rt, w.wireSize(), w.source()); rej != nil {
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
	if !w.answered() && !w.detachedFromHandler() {
		// The transaction would end without a final response.
		e.log.Error("handler returned without a final response", "method", methodLabel(req.Method))
		e.respond(w, req, 500, "Server Internal Error")
	}
}

// check runs the pipeline of checks, returning the first refusal.
func (e *Endpoint) check(req *sipgosip.Request, rt *routes) *rejection {
	return e.checkSized(req, rt, -1, netip.AddrPort{})
}

// checkSized is check for a request of size bytes on the wire (-1:
// unknown, measured from req) received from src (the zero value: unknown,
// read from req).
func (e *Endpoint) checkSized(req *sipgosip.Request, rt *routes, size int, src netip.AddrPort) *rejection {
	if size < 0 {
		if rej := checkSize(req, e.o.MaxMessageSize); rej != nil {
			return rej
		}
	} else if size > e.o.MaxMessageSize {
		// RFC 3261 §21.5.14, as checkSize.
		return &rejection{code: 513, reason: "Message Too Large", metric: badTooLarge}
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
	if err := e.authorize(req, src); err != nil {
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
	if rej == nil && e.authorize(req, netip.AddrPort{}) != nil {
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

// respond sends a final response to req with the given extra headers
// through tx. The pipeline's transactions (pipelineTx) render it
// themselves and add Server; another tx gets a response built by sipgo.
func (e *Endpoint) respond(tx sipgosip.ServerTransaction, req *sipgosip.Request, code int, reason string, headers ...sipgosip.Header) {
	var err error
	if p, ok := tx.(pipelineTx); ok {
		err = p.respondStatus(code, reason, headers)
	} else {
		res := sipgosip.NewResponseFromRequest(req, code, reason, nil)
		for _, h := range headers {
			res.AppendHeader(h)
		}
		err = tx.Respond(res)
	}
	if err != nil {
		e.log.Warn("sending response failed", "method", methodLabel(req.Method), "status", code, "error", err)
	}
}

// overloadRetryAfter is the Retry-After of a request refused for overload
// (RFC 3261 §20.33), in seconds.
const overloadRetryAfter = "5"

// pipelineTx is the server transaction the pipeline hands to handlers:
// responses get Server (RFC 3261 §20.35), final ones are counted, and it
// knows whether one was sent.
type pipelineTx interface {
	sipgosip.ServerTransaction
	// respondStatus sends a final response with the given status and extra
	// headers, built from the request.
	respondStatus(code int, reason string, headers []sipgosip.Header) error
	// answered reports whether a final response was sent (or attempted).
	answered() bool
	// detachedFromHandler reports whether the handler left the final
	// response to the core, which sends it later (MessageStarter).
	detachedFromHandler() bool
	// wireSize is the size of the request as received, -1 if unknown.
	wireSize() int
	// source is the transport address the request came from, the zero
	// value if it is only known as req.Source().
	source() netip.AddrPort
}

// serverTx is the pipelineTx over a sipgo server transaction.
type serverTx struct {
	sipgosip.ServerTransaction
	e      *Endpoint
	req    *sipgosip.Request
	method string

	mu    sync.Mutex
	final bool
}

// Respond sends res, adding Server if missing.
func (t *serverTx) Respond(res *sipgosip.Response) error {
	if res.GetHeader("Server") == nil {
		res.AppendHeader(sipgosip.NewHeader("Server", t.e.o.UserAgent))
	}
	if res.StatusCode >= 200 {
		t.mu.Lock()
		t.final = true
		t.mu.Unlock()
		// Counted before the send, so the count is in place when the
		// peer sees the response.
		t.e.m.requests.WithLabelValues(t.method, classLabel(res.StatusCode)).Inc()
	}
	return t.ServerTransaction.Respond(res)
}

func (t *serverTx) respondStatus(code int, reason string, headers []sipgosip.Header) error {
	res := sipgosip.NewResponseFromRequest(t.req, code, reason, nil)
	for _, h := range headers {
		res.AppendHeader(h)
	}
	return t.Respond(res)
}

func (t *serverTx) wireSize() int { return -1 }

func (t *serverTx) source() netip.AddrPort { return netip.AddrPort{} }

// detachedFromHandler reports false: the handler of a sipgo transaction
// answers before it returns.
func (t *serverTx) detachedFromHandler() bool { return false }

func (t *serverTx) answered() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.final
}
