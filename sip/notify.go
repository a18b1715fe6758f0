package sip

import (
	"context"
	"fmt"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/sxgw/sxgw/translate"
)

// notifyHandler answers NOTIFY as subscriber (RFC 6665 §4.1.3): Event
// (489 when missing or not served), a To tag (481: a NOTIFY is always in a
// dialog), Subscription-State (400 when missing or malformed) and the body
// type (415 with Accept) are checked, then the core decides: 200, or the
// status its error carries (481 for an unknown subscription).
func (e *Endpoint) notifyHandler(in Inbound, sc *subscriptionConfig) Handler {
	return func(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
		ev, rej := sc.checkEvent(req)
		if rej != nil {
			// Allow-Events lists what we notify, not what we subscribe to.
			rej.headers = nil
			e.refuse(tx, req, rej)
			return
		}
		if !hasTag(req.To().Params) {
			e.refuse(tx, req, &rejection{code: 481, reason: "Subscription Does Not Exist", metric: badNoDialog})
			return
		}
		vs := headerValues(req, "Subscription-State")
		switch len(vs) {
		case 0:
			e.refuse(tx, req, badRequest("Missing Subscription-State Header", badMissingHeader))
			return
		case 1:
		default:
			e.refuse(tx, req, badRequest("Duplicate Subscription-State Header", badInvalidHeader))
			return
		}
		st, err := parseSubState(vs[0])
		if err != nil {
			e.refuse(tx, req, badRequest("Invalid Subscription-State Header", badInvalidHeader))
			return
		}
		var ct string
		if len(req.Body()) > 0 {
			ct = mediaType(req)
			if !containsFold(sc.types, ct) {
				e.refuse(tx, req, &rejection{code: 415, reason: "Unsupported Media Type", metric: badContentType,
					headers: []sipgosip.Header{sipgosip.NewHeader("Accept", sc.accept)}})
				return
			}
		}
		if _, present, ok := validContact(req); present && !ok {
			e.refuse(tx, req, badRequest("Invalid Contact Header", badInvalidHeader))
			return
		}

		// The dialog from our side, the subscriber's. The route set only
		// matters for a NOTIFY that arrives before the 200 of the SUBSCRIBE
		// and so creates the dialog (RFC 6665 §4.1.2.4, RFC 3261 §12.1.1).
		// RFC 6665 §4.1.3: "expires" means nothing with terminated.
		if st.State == translate.SubStateTerminated {
			st.Expires = -1
		}
		n := translate.SIPNotify{
			Dialog:      uasDialog(req),
			Event:       ev.Type,
			State:       st.State,
			Expires:     st.Expires,
			Reason:      st.Reason,
			RetryAfter:  st.RetryAfter,
			ContentType: ct,
			Body:        req.Body(),
		}
		ctx, cancel := context.WithTimeout(context.Background(), coreTimeout)
		defer cancel()
		if err := in.SIPNotify(ctx, n); err != nil {
			code, reason := statusOf(err)
			e.respond(tx, req, code, reason)
			return
		}
		e.respond(tx, req, 200, "OK")
	}
}

// Notify sends a NOTIFY (RFC 6665 §4.2.2) inside d, an established dialog
// (d.RemoteTag set): Event n.Event, Subscription-State from n.State with
// n.Expires when >= 0 ("active;expires=N", "pending;expires=N"), or n.Reason
// and n.RetryAfter when > 0 ("terminated;reason=R;retry-after=S"), and
// n.Body typed n.ContentType.
// n.Dialog is not used. CSeq is d.LocalCSeq+1; the returned dialog carries
// it (once a request was built) and the remote target of a 2xx's Contact.
// A non-2xx final response is a *StatusError.
func (e *Endpoint) Notify(ctx context.Context, d translate.SIPDialog, n translate.SIPNotify) (translate.SIPDialog, error) {
	if d.RemoteTag == "" {
		return d, fmt.Errorf("%w: NOTIFY needs an established dialog", ErrBadRequest)
	}
	if !isEventType(n.Event) {
		return d, fmt.Errorf("%w: event %q", ErrBadRequest, n.Event)
	}
	state, err := formatSubState(n)
	if err != nil {
		return d, fmt.Errorf("%w: subscription state %q reason %q", ErrBadRequest, n.State, n.Reason)
	}
	if len(n.Body) > 0 && n.ContentType == "" {
		return d, fmt.Errorf("%w: body without a content type", ErrBadRequest)
	}
	req, err := newDialogRequest(sipgosip.NOTIFY, d)
	if err != nil {
		return d, err
	}
	req.AppendHeader(sipgosip.NewHeader("Event", n.Event))
	req.AppendHeader(sipgosip.NewHeader("Subscription-State", state))
	if len(n.Body) > 0 {
		req.AppendHeader(sipgosip.NewHeader("Content-Type", n.ContentType))
		req.SetBody(n.Body)
	}
	d.LocalCSeq++
	res, err := e.sendInDialog(ctx, req, d)
	if err != nil {
		return d, err
	}
	d.LocalCSeq = max(d.LocalCSeq, cseqOf(res)) // a request resent with credentials took the next one
	if res.StatusCode >= 300 {
		return d, statusErrorOf(res)
	}
	return uacUpdate(d, res)
}
