package sip

import (
	"slices"
	"strings"

	sipgosip "github.com/emiago/sipgo/sip"
)

// Handler answers one request. It must send its final response through tx
// before returning (sipgo ends the transaction then); if it does not, the
// endpoint answers 500. Responses get the Server header added. An ACK
// handler sends nothing (RFC 3261 §17.2.1).
type Handler func(req *sipgosip.Request, tx sipgosip.ServerTransaction)

// routes is an immutable method table with the header values derived from
// it; Handle replaces it as a whole.
type routes struct {
	handlers map[sipgosip.RequestMethod]Handler
	// foreign marks methods whose handler takes requests for any
	// Request-URI: the gateway, not the endpoint, decides where they go.
	foreign map[sipgosip.RequestMethod]bool
	accept  []string // content types registered, in order
	allow   string   // Allow value (RFC 3261 §20.5), sorted
	acceptV string   // Accept value (RFC 3261 §20.1)
}

// baseAccept is what OPTIONS advertises before any feature registers more
// (RFC 3261 §11.2 lists application/sdp).
const baseAccept = "application/sdp"

func newRoutes(handlers map[sipgosip.RequestMethod]Handler, foreign map[sipgosip.RequestMethod]bool, accept []string) *routes {
	r := &routes{handlers: handlers, foreign: foreign, accept: accept}
	allowed := []string{string(sipgosip.OPTIONS)}
	for m := range handlers {
		allowed = append(allowed, string(m))
	}
	// ACK and CANCEL exist for INVITE transactions (RFC 3261 §9, §17).
	if _, ok := handlers[sipgosip.INVITE]; ok {
		allowed = append(allowed, string(sipgosip.ACK), string(sipgosip.CANCEL))
	}
	slices.Sort(allowed)
	r.allow = strings.Join(slices.Compact(allowed), ", ")

	types := []string{baseAccept}
	for _, t := range accept {
		if !containsFold(types, t) {
			types = append(types, t)
		}
	}
	r.acceptV = strings.Join(types, ", ")
	return r
}

// Handle registers h for method (case-insensitive, replacing an earlier
// handler) and adds the content types h accepts to the Accept header of
// OPTIONS responses. Allow and 405 answers derive from what is registered.
// OPTIONS is answered by the endpoint unless a handler replaces it.
// Handle panics on an empty method or a nil handler.
func (e *Endpoint) Handle(method string, h Handler, accept ...string) {
	e.handle(method, h, false, accept)
}

// HandleGateway is Handle for a method the gateway translates: its
// requests reach h whatever domain their Request-URI names (the SIP-to-XMPP
// gateway relays requests for foreign domains, RFC 7247 §4), and h decides.
func (e *Endpoint) HandleGateway(method string, h Handler, accept ...string) {
	e.handle(method, h, true, accept)
}

func (e *Endpoint) handle(method string, h Handler, foreign bool, accept []string) {
	method = strings.ToUpper(strings.TrimSpace(method))
	if method == "" || h == nil {
		panic("sip: Handle needs a method and a handler")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.routes.Load()
	handlers := make(map[sipgosip.RequestMethod]Handler, len(old.handlers)+1)
	for m, oh := range old.handlers {
		handlers[m] = oh
	}
	handlers[sipgosip.RequestMethod(method)] = h
	fm := make(map[sipgosip.RequestMethod]bool, len(old.foreign)+1)
	for m, v := range old.foreign {
		fm[m] = v
	}
	fm[sipgosip.RequestMethod(method)] = foreign
	types := slices.Clone(old.accept)
	for _, t := range accept {
		if t = strings.TrimSpace(t); t != "" && !containsFold(types, t) {
			types = append(types, t)
		}
	}
	e.routes.Store(newRoutes(handlers, fm, types))
}
