package sip

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/sxgw/sxgw/translate"
)

// subscriptionConfig is what ServeSubscriptions installed: the event
// packages served and the body types of their notifications.
type subscriptionConfig struct {
	events      []string // event types, compared byte for byte (RFC 6665 §8.2.1)
	types       []string // NOTIFY body media types, lowercased
	allowEvents string   // Allow-Events value (RFC 6665 §8.2.2)
	accept      string   // Accept value for 406 and 415
}

// packageTypes are the notification body types of the event packages
// whose documents sxgw knows: presence (RFC 3856 §6.6) and conference
// (RFC 4575 §3.7).
func packageTypes(event string) []string {
	switch event {
	case "presence":
		return []string{"application/pidf+xml"}
	case "conference":
		return []string{"application/conference-info+xml"}
	}
	return nil
}

// typesFor returns the configured body types a SUBSCRIBE for event must
// accept (RFC 6665 §4.1.2.1): those of its package, or every configured
// type for a package sxgw does not know.
func (sc *subscriptionConfig) typesFor(event string) []string {
	var out []string
	for _, t := range packageTypes(event) {
		if slices.Contains(sc.types, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return sc.types
	}
	return out
}

// ServeSubscriptions installs the SUBSCRIBE and NOTIFY handlers (RFC 6665)
// for the given event packages (e.g. "presence", RFC 3856) and the media
// types of NOTIFY bodies, both those accepted in received NOTIFYs and those
// a SUBSCRIBE's Accept must allow (e.g. "application/pidf+xml"). Both
// methods are taken for any Request-URI domain, as MESSAGE is: the core
// decides. OPTIONS responses then carry Allow-Events. ServeSubscriptions
// panics on a nil in, no event, or an event that is not an event type.
func (e *Endpoint) ServeSubscriptions(in Inbound, events []string, notifyTypes []string) {
	if in == nil || len(events) == 0 {
		panic("sip: ServeSubscriptions needs an Inbound and at least one event package")
	}
	sc := &subscriptionConfig{}
	for _, ev := range events {
		if !isEventType(ev) {
			panic("sip: ServeSubscriptions: invalid event package " + strconv.Quote(ev))
		}
		if !slices.Contains(sc.events, ev) {
			sc.events = append(sc.events, ev)
		}
	}
	for _, t := range notifyTypes {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" && !slices.Contains(sc.types, t) {
			sc.types = append(sc.types, t)
		}
	}
	sc.allowEvents = strings.Join(sc.events, ", ")
	sc.accept = strings.Join(sc.types, ", ")
	e.events.Store(sc)
	e.HandleGateway(string(sipgosip.SUBSCRIBE), e.subscribeHandler(in, sc))
	e.HandleGateway(string(sipgosip.NOTIFY), e.notifyHandler(in, sc), sc.types...)
}

// allowEventsHeader returns the Allow-Events header listing the packages
// served, nil when none are (RFC 6665 §4.4.4).
func (e *Endpoint) allowEventsHeader() sipgosip.Header {
	sc := e.events.Load()
	if sc == nil {
		return nil
	}
	return sipgosip.NewHeader("Allow-Events", sc.allowEvents)
}

// refuse sends a refusal and counts it.
func (e *Endpoint) refuse(tx sipgosip.ServerTransaction, req *sipgosip.Request, rej *rejection) {
	if rej.metric != "" {
		e.m.badRequests.WithLabelValues(rej.metric).Inc()
	}
	e.respond(tx, req, rej.code, rej.reason, rej.headers...)
}

// checkEvent finds the event package of req (RFC 6665 §8.2.1): a missing
// Event or one not served gets 489 Bad Event with Allow-Events (§7.2.2,
// §8.2.2), a malformed or repeated one 400.
func (sc *subscriptionConfig) checkEvent(req *sipgosip.Request) (eventHeader, *rejection) {
	bad := &rejection{code: 489, reason: "Bad Event", metric: badEvent, headers: []sipgosip.Header{
		sipgosip.NewHeader("Allow-Events", sc.allowEvents),
	}}
	vs := eventHeaders(req)
	switch len(vs) {
	case 0:
		return eventHeader{}, bad
	case 1:
	default:
		return eventHeader{}, badRequest("Duplicate Event Header", badInvalidHeader)
	}
	ev, err := parseEvent(vs[0])
	if err != nil {
		return eventHeader{}, badRequest("Invalid Event Header", badInvalidHeader)
	}
	if !slices.Contains(sc.events, ev.Type) {
		return eventHeader{}, bad
	}
	return ev, nil
}

// subscribeHandler answers SUBSCRIBE as notifier (RFC 6665 §4.2.1): the
// checks of §4.2.1.1, then the core's decision, then 200 with Expires and
// our Contact. 202 is not used (RFC 6665 §8.3.1 deprecates it).
func (e *Endpoint) subscribeHandler(in Inbound, sc *subscriptionConfig) Handler {
	return func(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
		ev, rej := sc.checkEvent(req)
		if rej != nil {
			e.refuse(tx, req, rej)
			return
		}
		// RFC 6665 §4.1.2.1: an Accept allowing none of the types the
		// package sends gets 406.
		accept, hasAccept := parseAccept(headerValues(req, "Accept"))
		if hasAccept {
			types := sc.typesFor(ev.Type)
			if _, ok := acceptable(accept, types); !ok {
				e.refuse(tx, req, &rejection{code: 406, reason: "Not Acceptable", metric: badNotAcceptable,
					headers: []sipgosip.Header{sipgosip.NewHeader("Accept", strings.Join(types, ", "))}})
				return
			}
		}
		expires, err := singleDelta(headerValues(req, "Expires"))
		if err != nil {
			e.refuse(tx, req, badRequest("Invalid Expires Header", badInvalidHeader))
			return
		}
		// RFC 6665 §4.2.1.1: non-zero and below our minimum gets 423.
		if expires > 0 && expires < minExpires {
			e.refuse(tx, req, &rejection{code: 423, reason: "Interval Too Brief", metric: badIntervalTooBrief,
				headers: []sipgosip.Header{sipgosip.NewHeader("Min-Expires", strconv.Itoa(minExpires))}})
			return
		}
		isNew := !hasTag(req.To().Params)
		// RFC 3261 §8.1.1.8: a dialog-creating request has one Contact.
		_, present, ok := validContact(req)
		switch {
		case isNew && !present:
			e.refuse(tx, req, badRequest("Missing Contact Header", badMissingHeader))
			return
		case present && !ok:
			e.refuse(tx, req, badRequest("Invalid Contact Header", badInvalidHeader))
			return
		}

		d := uasDialog(req)
		if isNew {
			d.LocalTag = sipgosip.GenerateTagN(16)
		} else {
			// RFC 3261 §12.2: the route set is fixed when the dialog is made.
			d.RouteSet = nil
		}
		s := translate.SIPSubscribe{
			Dialog:     d,
			New:        isNew,
			RequestURI: uriString(req.Recipient),
			Event:      ev.Type,
			EventID:    ev.ID,
			Expires:    expires,
			Accept:     accept,
		}
		ctx, cancel := context.WithTimeout(context.Background(), coreTimeout)
		granted, after, err := in.SIPSubscribe(ctx, s)
		cancel()
		if err != nil {
			e.respondError(tx, req, err, sc)
			return
		}
		if granted < 0 {
			e.log.Error("core granted a negative subscription expiry", "expires", granted)
			e.respond(tx, req, 500, "Server Internal Error")
			return
		}
		// RFC 6665 §4.2.1.1: the notifier may shorten, never lengthen.
		if expires >= 0 && granted > expires {
			granted = expires
		}
		res := sipgosip.NewResponseFromRequest(req, 200, "OK", nil)
		res.To().Params.Add("tag", d.LocalTag)
		res.AppendHeader(sipgosip.NewHeader("Expires", strconv.Itoa(granted)))
		res.AppendHeader(e.responseContact(req, tx, req.To().Address.User))
		res.AppendHeader(sipgosip.NewHeader("Allow-Events", sc.allowEvents))
		if err := tx.Respond(res); err != nil {
			e.log.Warn("sending response failed", "method", "SUBSCRIBE", "status", 200, "error", err)
		}
		// The subscription stands even if the 200 was lost (the peer
		// retransmits and the transaction answers again), so the core's
		// NOTIFY follows in any case.
		if after != nil {
			after()
		}
	}
}

// respondError sends the final response an error from the core carries,
// with the header fields its status calls for (Min-Expires for 423,
// Allow-Events for 489).
func (e *Endpoint) respondError(tx sipgosip.ServerTransaction, req *sipgosip.Request, err error, sc *subscriptionConfig) {
	code, reason := statusOf(err)
	var headers []sipgosip.Header
	switch code {
	case 423:
		m := minExpires
		var se *StatusError
		if errors.As(err, &se) && se.MinExpires > 0 {
			m = se.MinExpires
		}
		headers = append(headers, sipgosip.NewHeader("Min-Expires", strconv.Itoa(m)))
	case 489:
		headers = append(headers, sipgosip.NewHeader("Allow-Events", sc.allowEvents))
	}
	e.respond(tx, req, code, reason, headers...)
}

// Subscribe sends a SUBSCRIBE (RFC 6665 §4.1.2) for event in d and waits
// for its final response. With d.RemoteTag empty it creates the dialog:
// d.CallID, d.LocalTag, d.LocalURI and d.RemoteURI must be set, the
// Request-URI is d.RemoteURI and To has no tag. Otherwise it refreshes (or
// with expires 0 ends) the subscription inside d: Request-URI d.RemoteTarget,
// Route d.RouteSet (RFC 3261 §12.2.1.1). CSeq is d.LocalCSeq+1; Accept
// lists accept when non-empty.
//
// It returns d updated: LocalCSeq always (once a request was built), and
// from a 2xx the remote tag, the route set (Record-Route reversed, RFC 3261
// §12.1.2) and the remote target (Contact) of a new dialog; and the granted
// expiry: the response's Expires, else expires. A non-2xx final response is
// a *StatusError (with MinExpires for 423).
func (e *Endpoint) Subscribe(ctx context.Context, d translate.SIPDialog, event string, expires int, accept []string) (translate.SIPDialog, int, error) {
	if !isEventType(event) {
		return d, 0, fmt.Errorf("%w: event %q", ErrBadRequest, event)
	}
	if expires < 0 {
		return d, 0, fmt.Errorf("%w: negative expires %d", ErrBadRequest, expires)
	}
	expires = min(expires, maxDeltaSeconds)
	req, err := newDialogRequest(sipgosip.SUBSCRIBE, d)
	if err != nil {
		return d, 0, err
	}
	req.AppendHeader(sipgosip.NewHeader("Event", event))
	req.AppendHeader(sipgosip.NewHeader("Expires", strconv.Itoa(expires)))
	if len(accept) > 0 {
		req.AppendHeader(sipgosip.NewHeader("Accept", strings.Join(accept, ", ")))
	}
	if h := e.allowEventsHeader(); h != nil && d.RemoteTag == "" {
		req.AppendHeader(h) // RFC 6665 §4.4.4: in dialog-creating requests
	}
	d.LocalCSeq++
	res, err := e.sendInDialog(ctx, req, d)
	if err != nil {
		return d, 0, err
	}
	d.LocalCSeq = max(d.LocalCSeq, cseqOf(res)) // a request resent with credentials took the next one
	if res.StatusCode >= 300 {
		return d, 0, statusErrorOf(res)
	}
	if d, err = uacUpdate(d, res); err != nil {
		return d, 0, err
	}
	granted := expires
	if v, err := singleDelta(headerValues(res, "Expires")); err == nil && v >= 0 {
		// RFC 6665 §4.2.1.1: the notifier may shorten, never lengthen.
		granted = min(v, expires)
	}
	return d, granted, nil
}

// sendInDialog adds our Contact to req, built for the listener matching
// the transport the first hop will be reached by, and sends req with Do.
func (e *Endpoint) sendInDialog(ctx context.Context, req *sipgosip.Request, d translate.SIPDialog) (*sipgosip.Response, error) {
	local, err := parseDialogURI(d.LocalURI)
	if err != nil {
		return nil, err
	}
	hop := e.nextHop(req)
	// RFC 3261 §8.1.1.8: a sips: Request-URI or top Route asks for a sips:
	// Contact.
	secure := req.Recipient.Scheme == "sips" || hop.Scheme == "sips"
	c, err := e.requestContact(ctx, hop, local.User, secure)
	if err != nil {
		e.m.outgoing.WithLabelValues(methodLabel(req.Method), classError).Inc()
		return nil, err
	}
	req.AppendHeader(c)
	return e.Do(ctx, req)
}
