package xmpp

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// router handles authenticated inbound stanzas for served domains, in both
// deployments: it answers what concerns the gateway as an XMPP entity and
// hands the rest to the core.
type router struct {
	domains []string
	// roomDomains host MUC rooms: served like domains, but their disco
	// and MUC IQs go to rooms (roomiq.go).
	roomDomains []string
	rooms       RoomInbound
	features    []string
	version     string
	handler     Handler
	send        func(ctx context.Context, st *Element) error
	pending     *tracker
	m           *metrics
	log         *slog.Logger

	// jingle receives Jingle IQs to users (jingle.go); nil leaves them
	// to handler.
	jingle JingleInbound
	// userFeatures are the disco#info features of users (useriq.go);
	// nil leaves user disco to handler.
	userFeatures []string
	maxStanza    int
	// jobs runs Jingle signalling in order per sender (serial.go).
	jobs *serialQueues
}

// newRouter returns the router for the options, sending with send.
func newRouter(o *Options, send func(ctx context.Context, st *Element) error, m *metrics) *router {
	return &router{
		domains: o.Domains, roomDomains: o.RoomDomains, rooms: roomsOf(o.Handler),
		features: o.Features, version: o.Version, handler: o.Handler,
		send: send, pending: newTracker(), m: m, log: o.Logger,
		jingle: jingleOf(o.Handler), userFeatures: userFeatureList(o.UserFeatures),
		maxStanza: o.MaxStanzaSize, jobs: newSerialQueues(),
	}
}

// serves reports whether domain is one of ours (case-insensitive, RFC 7622 §3.2).
func (r *router) serves(domain string) bool {
	return containsFold(r.domains, domain) || containsFold(r.roomDomains, domain)
}

// isRoomDomain reports whether domain is one of the room domains.
func (r *router) isRoomDomain(domain string) bool { return containsFold(r.roomDomains, domain) }

func containsFold(list []string, s string) bool {
	for _, d := range list {
		if strings.EqualFold(d, s) {
			return true
		}
	}
	return false
}

// route handles one authenticated stanza addressed to a served domain.
func (r *router) route(ctx context.Context, st *Element) {
	r.m.stanzas.WithLabelValues("in", stanzaKind(st)).Inc()
	if st.Name.Local == "iq" {
		switch st.Get("type") {
		case "result", "error":
			// RFC 6120 §8.2.3: never answered. Ours, or the core's.
			if r.pending.resolve(st) {
				return
			}
		case "get", "set":
			if r.local(ctx, st) || r.userIQ(ctx, st) || r.roomIQ(ctx, st) {
				return
			}
		default:
			r.reply(ctx, st, &StanzaError{Condition: ErrBadRequest, Text: "iq type must be get, set, result or error"})
			return
		}
	}
	if r.jingleMessage(ctx, st) {
		return
	}
	r.deliver(ctx, st)
}

// deliver hands st to the handler and answers its error.
func (r *router) deliver(ctx context.Context, st *Element) {
	if r.handler == nil {
		r.unhandled(ctx, st)
		return
	}
	if err := r.handler.XMPPStanza(ctx, st); err != nil {
		r.reply(ctx, st, asStanzaError(err))
	}
}

// unhandled answers what nobody handles: IQ get/set with
// service-unavailable (RFC 6120 §8.4), messages with service-unavailable
// (RFC 6121 §8.5.2), presence is ignored (RFC 6121 §8.5.2.1.1).
func (r *router) unhandled(ctx context.Context, st *Element) {
	switch st.Name.Local {
	case "iq":
		if t := st.Get("type"); t == "get" || t == "set" {
			r.reply(ctx, st, &StanzaError{Condition: ErrServiceUnavailable})
		}
	case "message":
		r.reply(ctx, st, &StanzaError{Condition: ErrServiceUnavailable})
	}
}

// reply sends an error reply to st unless st must not be answered.
func (r *router) reply(ctx context.Context, st *Element, serr *StanzaError) {
	if er := ErrorReply(st, serr); er != nil {
		if err := r.send(ctx, er); err != nil {
			r.log.Debug("error reply not sent", "err", err)
		}
	}
}

// local answers IQs addressed to a served domain itself (no localpart or
// resourcepart): disco (XEP-0030), version (XEP-0092), ping (XEP-0199).
// A room domain's disco is left to the core (roomIQ).
func (r *router) local(ctx context.Context, st *Element) bool {
	to := st.Get("to")
	if strings.ContainsAny(to, "@/") {
		return false
	}
	payload := st.FirstChild()
	if payload == nil {
		r.reply(ctx, st, &StanzaError{Condition: ErrBadRequest, Text: "iq without payload"})
		return true
	}
	get := st.Get("type") == "get"
	disco := get && !r.isRoomDomain(domainOf(to))
	var res *Element
	switch {
	case disco && payload.Name.Space == nsDiscoInfo && payload.Name.Local == "query":
		if payload.Get("node") != "" {
			r.reply(ctx, st, &StanzaError{Condition: ErrItemNotFound})
			return true
		}
		res = r.discoInfo()
	case disco && payload.Name.Space == nsDiscoItem && payload.Name.Local == "query":
		if payload.Get("node") != "" {
			r.reply(ctx, st, &StanzaError{Condition: ErrItemNotFound})
			return true
		}
		res = r.discoItems(to)
	case get && payload.Name.Space == nsVersion && payload.Name.Local == "query":
		res = NewElement(nsVersion, "query").Add(
			NewElement(nsVersion, "name").AddText("sxgw"),
			NewElement(nsVersion, "version").AddText(r.version))
	case get && payload.Name.Space == nsPing && payload.Name.Local == "ping":
	default:
		return false
	}
	r.result(ctx, st, res)
	return true
}

// baseFeatures are implemented by this package for every served domain.
func baseFeatures() []string {
	return []string{nsDiscoInfo, nsDiscoItem, nsPing, nsVersion}
}

// discoInfo is the XEP-0030 §3.1 answer for a served domain: identity
// gateway/simple (the registry's category for a SIMPLE gateway).
func (r *router) discoInfo() *Element {
	q := NewElement(nsDiscoInfo, "query")
	q.Add(NewElement(nsDiscoInfo, "identity", "category", "gateway", "type", "simple", "name", "sxgw"))
	feats := append(baseFeatures(), r.features...)
	slices.Sort(feats)
	for _, f := range slices.Compact(feats) {
		q.Add(NewElement(nsDiscoInfo, "feature", "var", f))
	}
	return q
}

// discoItems is the XEP-0030 §4.1 answer for a served domain: the room
// domains under it, so that clients find the MUC service (XEP-0045 §6.1).
func (r *router) discoItems(domain string) *Element {
	q := NewElement(nsDiscoItem, "query")
	suffix := "." + strings.ToLower(domain)
	for _, d := range r.roomDomains {
		if strings.HasSuffix(strings.ToLower(d), suffix) {
			q.Add(NewElement(nsDiscoItem, "item", "jid", d))
		}
	}
	return q
}

// result sends the IQ result to st with payload res (none when nil).
func (r *router) result(ctx context.Context, st, res *Element) {
	out := NewElement(st.Name.Space, "iq", "from", st.Get("to"), "to", st.Get("from"), "id", st.Get("id"), "type", "result")
	if res != nil {
		out.Add(res)
	}
	if err := r.send(ctx, out); err != nil {
		r.log.Debug("iq result not sent", "err", err)
	}
}

// tracker matches IQ results and errors to the requests we sent.
type tracker struct {
	mu      sync.Mutex
	waiting map[string]chan *Element
}

func newTracker() *tracker { return &tracker{waiting: make(map[string]chan *Element)} }

func trackKey(peer, id string) string { return strings.ToLower(peer) + "\x00" + id }

// expect registers a request with id sent to peer (a bare domain).
func (t *tracker) expect(peer, id string) chan *Element {
	ch := make(chan *Element, 1)
	t.mu.Lock()
	t.waiting[trackKey(peer, id)] = ch
	t.mu.Unlock()
	return ch
}

// expectNew is expect for a request whose id the caller chose: false,
// registering nothing, when the same id to the same peer is waiting.
func (t *tracker) expectNew(peer, id string) (chan *Element, bool) {
	k := trackKey(peer, id)
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, dup := t.waiting[k]; dup {
		return nil, false
	}
	ch := make(chan *Element, 1)
	t.waiting[k] = ch
	return ch, true
}

// forget drops a registration (after a timeout).
func (t *tracker) forget(peer, id string) {
	t.mu.Lock()
	delete(t.waiting, trackKey(peer, id))
	t.mu.Unlock()
}

// resolve delivers a result or error IQ to its waiter; false when none.
func (t *tracker) resolve(st *Element) bool {
	k := trackKey(st.Get("from"), st.Get("id"))
	t.mu.Lock()
	ch, ok := t.waiting[k]
	delete(t.waiting, k)
	t.mu.Unlock()
	if ok {
		ch <- st
	}
	return ok
}

// ping sends an XEP-0199 ping from local to remote and waits for any
// answer: a result or an error both prove the peer alive.
func (r *router) ping(ctx context.Context, local, remote string, timeout time.Duration) error {
	id := "ping-" + newStreamID()
	ch := r.pending.expect(remote, id)
	defer r.pending.forget(remote, id)
	iq := NewElement(nsServer, "iq", "from", local, "to", remote, "id", id, "type", "get").Add(NewElement(nsPing, "ping"))
	if err := r.send(ctx, iq); err != nil {
		return err
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	select {
	case <-ch:
		return nil
	case <-tctx.Done():
		return tctx.Err()
	}
}
