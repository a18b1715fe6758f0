package xmpp

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sxgw/sxgw/translate"
)

// Jingle (XEP-0166) and Jingle Message Initiation (XEP-0353) on the wire.
// This package does not model Jingle: it carries the <jingle/> element and
// the XEP-0353 elements as serialized XML between the stream and the core,
// which decodes them with the jingle package. What belongs to the XMPP
// layer is done here: IQ semantics (the ack, errors with Jingle
// conditions, matching our requests to their answers), ordering per
// sender, and bounds on what is serialized.

// Namespaces of Jingle signalling.
const (
	nsJingle        = "urn:xmpp:jingle:1"         // XEP-0166 §7
	nsJingleErrors  = "urn:xmpp:jingle:errors:1"  // XEP-0166 §10
	nsJingleMessage = "urn:xmpp:jingle-message:0" // XEP-0353
	nsHints         = "urn:xmpp:hints"            // XEP-0334
)

// maxJingleMessageSize bounds a serialized XEP-0353 element. Message
// decoding does not know the stream's limit; a propose with a description
// per medium is a few hundred bytes.
const maxJingleMessageSize = 64 << 10

// errTooLarge reports an element whose serialized form exceeds its bound.
var errTooLarge = errors.New("xmpp: element too large")

// jingleIQ hands an IQ set carrying <jingle/> to the core's JingleInbound
// on the sender's queue (serial.go) and answers it: an empty result is
// the ack (XEP-0166 §6.3.1), an error keeps its Jingle condition
// (§6.3.2, §10). false leaves st to the handler, as without a
// JingleInbound (service-unavailable, §6.3.2: no Jingle support).
func (r *router) jingleIQ(ctx context.Context, st *Element) bool {
	if r.jingle == nil || st.Get("type") != "set" {
		return false
	}
	iq, err := decodeJingleIQ(st, r.maxStanza)
	if err != nil {
		r.reply(ctx, st, asStanzaError(err))
		return true
	}
	queued := r.jobs.submit(senderKey(st), func(ctx context.Context) {
		err := r.jingle.XMPPJingle(ctx, iq)
		// The answer goes out even when the job's context has ended.
		ctx = context.WithoutCancel(ctx)
		if err != nil {
			r.reply(ctx, st, asStanzaError(err))
			return
		}
		r.result(ctx, st, nil)
	})
	if !queued {
		// RFC 6120 §8.3.3.18; XEP-0166 §6.3.2 (insufficient resources).
		r.reply(ctx, st, &StanzaError{Condition: ErrResourceConstraint, Text: "too many Jingle requests pending"})
	}
	return true
}

// jingleMessage queues a message carrying an XEP-0353 element behind the
// sender's Jingle IQs, so that the core sees a sender's call signalling
// in the order it was sent; false for other messages, and when there is
// no JingleInbound (the message is then delivered at once, as any).
func (r *router) jingleMessage(ctx context.Context, st *Element) bool {
	if r.jingle == nil || st.Name.Local != "message" || !hasChildIn(st, nsJingleMessage) {
		return false
	}
	queued := r.jobs.submit(senderKey(st), func(ctx context.Context) {
		r.deliver(ctx, st)
	})
	if !queued {
		r.reply(ctx, st, &StanzaError{Condition: ErrResourceConstraint, Text: "too many Jingle requests pending"})
	}
	return true
}

// senderKey names a sender's queue: its full JID as sent.
func senderKey(st *Element) string { return strings.ToLower(st.Get("from")) }

func hasChildIn(el *Element, space string) bool {
	for _, n := range el.Nodes {
		if n.El != nil && n.El.Name.Space == space {
			return true
		}
	}
	return false
}

// decodeJingleIQ reads an IQ set whose payload is <jingle/> addressed to
// a user: one payload (RFC 6120 §8.2.3), an id to answer to, the
// required action and sid (XEP-0166 §7.1), serialized within limit.
func decodeJingleIQ(st *Element, limit int) (translate.JingleIQ, error) {
	from, to, err := addresses(st)
	if err != nil {
		return translate.JingleIQ{}, err
	}
	if to.Localpart() == "" {
		return translate.JingleIQ{}, badRequest("jingle requests go to a user")
	}
	id := st.Get("id")
	if id == "" {
		return translate.JingleIQ{}, badRequest("iq without id")
	}
	var payload *Element
	for _, n := range st.Nodes {
		if n.El == nil {
			continue
		}
		if payload != nil {
			return translate.JingleIQ{}, badRequest("an iq set holds exactly one payload")
		}
		payload = n.El
	}
	if err := checkJingle(payload); err != nil {
		return translate.JingleIQ{}, err
	}
	b, err := marshalElement(payload, limit)
	switch {
	case errors.Is(err, errTooLarge):
		return translate.JingleIQ{}, &StanzaError{Condition: ErrPolicyViolation, Text: "jingle element too large"}
	case err != nil:
		return translate.JingleIQ{}, badRequest("jingle element is not namespace-well-formed")
	}
	return translate.JingleIQ{From: from, To: to, ID: id, Payload: b}, nil
}

// checkJingle accepts a <jingle/> element with an action and a sid
// (XEP-0166 §7.1: both REQUIRED).
func checkJingle(el *Element) error {
	switch {
	case el == nil || el.Name.Space != nsJingle || el.Name.Local != "jingle":
		return badRequest("payload is not a <jingle/> in " + nsJingle)
	case el.Get("action") == "" || el.Get("sid") == "":
		return badRequest("jingle without action or sid")
	}
	return nil
}

// sendJingle sends a Jingle IQ set and waits for its answer: nil for a
// result, a *translate.JingleError for an error (XEP-0166 §6.3.2, §10),
// an error wrapping ctx.Err() when ctx ends first (service-unavailable
// when the endpoint closes). Only an answer from the addressee with the
// request's id counts.
func (r *router) sendJingle(ctx context.Context, iq translate.JingleIQ) error {
	payload, err := parseElement(iq.Payload, r.maxStanza)
	if err != nil {
		return &StanzaError{Condition: ErrBadRequest, Text: "jingle payload: " + err.Error()}
	}
	if err := checkJingle(payload); err != nil {
		return err
	}
	from, to := iq.From.String(), iq.To.String()
	if from == "" || to == "" {
		return &StanzaError{Condition: ErrJIDMalformed, Text: "jingle IQ without from or to"}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("xmpp: jingle IQ not sent: %w", err)
	}
	id := iq.ID
	if id == "" {
		id = "jingle-" + newStreamID()
	}
	ch, ok := r.pending.expectNew(to, id)
	if !ok {
		return &StanzaError{Condition: ErrConflict, Text: "an IQ with id " + id + " to this peer is in progress"}
	}
	defer r.pending.forget(to, id)
	st := NewElement(nsServer, "iq", "from", from, "to", to, "id", id, "type", "set").Add(payload)
	if err := r.send(ctx, st); err != nil {
		return err
	}
	select {
	case reply := <-ch:
		if reply.Get("type") == "result" {
			return nil
		}
		return jingleErrorOf(reply)
	case <-ctx.Done():
		return fmt.Errorf("xmpp: jingle IQ %s got no answer: %w", id, ctx.Err())
	case <-r.jobs.ctx.Done():
		return &StanzaError{Condition: ErrServiceUnavailable, Text: "shutting down"}
	}
}

// jingleErrorOf reads an IQ error answering a Jingle request: its stanza
// condition and the Jingle condition beside it (XEP-0166 §10).
func jingleErrorOf(reply *Element) *translate.JingleError {
	je := &translate.JingleError{Condition: ErrUndefinedCondition}
	if se := ParseStanzaError(reply); se != nil {
		je.Condition, je.Type, je.Text = se.Condition, se.Type, se.Text
	}
	if el := reply.Child("", "error"); el != nil {
		for _, n := range el.Nodes {
			if n.El != nil && n.El.Name.Space == nsJingleErrors {
				je.JingleCondition = n.El.Name.Local
				break
			}
		}
	}
	return je
}

// jingleStanzaError renders the core's Jingle error: its stanza condition
// (or the one XEP-0166 §10 pairs with the Jingle condition) and the
// Jingle condition as the application-specific one (RFC 6120 §8.3.2).
// Names outside the specifications are not written.
func jingleStanzaError(je *translate.JingleError) *StanzaError {
	cond := je.Condition
	if cond == "" {
		cond = jingleStanzaCondition(je.JingleCondition)
	}
	if !knownCondition(cond) {
		cond = ErrUndefinedCondition
	}
	typ := je.Type
	switch typ {
	case "", "auth", "cancel", "continue", "modify", "wait":
	default:
		typ = ""
	}
	se := &StanzaError{Type: typ, Condition: cond, Text: je.Text}
	if jingleStanzaCondition(je.JingleCondition) != "" {
		se.app = NewElement(nsJingleErrors, je.JingleCondition)
	}
	return se
}

// jingleStanzaCondition is the stanza condition XEP-0166 §10 pairs with
// a Jingle condition, "" for an unknown one.
func jingleStanzaCondition(jc string) string {
	switch jc {
	case translate.JingleOutOfOrder:
		return ErrUnexpectedRequest
	case translate.JingleTieBreak:
		return ErrConflict
	case translate.JingleUnknownSession:
		return ErrItemNotFound
	case translate.JingleUnsupportedInfo:
		return ErrFeatureNotImplemented
	}
	return ""
}

// knownCondition reports whether cond is an RFC 6120 §8.3.3 condition.
func knownCondition(cond string) bool {
	switch cond {
	case ErrBadRequest, ErrConflict, ErrFeatureNotImplemented, ErrForbidden, ErrGone,
		ErrInternalServerError, ErrItemNotFound, ErrJIDMalformed, ErrNotAcceptable, ErrNotAllowed,
		ErrNotAuthorized, ErrPolicyViolation, ErrRecipientUnavailable, ErrRedirect,
		ErrRegistrationRequired, ErrRemoteServerNotFound, ErrRemoteServerTimeout,
		ErrResourceConstraint, ErrServiceUnavailable, ErrSubscriptionRequired,
		ErrUndefinedCondition, ErrUnexpectedRequest:
		return true
	}
	return false
}

// jingleMessageAction reports whether local is an XEP-0353 element
// (§3 and the schema, §9; accept is the pre-0.4 form).
func jingleMessageAction(local string) bool {
	switch local {
	case "propose", "retract", "accept", "proceed", "reject", "ringing", "finish":
		return true
	}
	return false
}

// decodeJingleMessage keeps the first XEP-0353 element of a message in
// m.JingleMessage.
func decodeJingleMessage(el *Element, m *translate.XMPPMessage) error {
	for _, n := range el.Nodes {
		c := n.El
		if c == nil || c.Name.Space != nsJingleMessage || !jingleMessageAction(c.Name.Local) {
			continue
		}
		b, err := marshalElement(c, maxJingleMessageSize)
		switch {
		case errors.Is(err, errTooLarge):
			return &StanzaError{Condition: ErrPolicyViolation, Text: "jingle-message element too large"}
		case err != nil:
			return badRequest("jingle-message element is not namespace-well-formed")
		}
		m.JingleMessage = b
		return nil
	}
	return nil
}

// encodeJingleMessage adds m.JingleMessage to a message, with the store
// hint every XEP-0353 message carries (XEP-0353 §3, XEP-0334 §4.4), so
// that archives and offline storage keep a message without a body. The
// type, chat by XEP-0353 §3, is the caller's.
func encodeJingleMessage(el *Element, m *translate.XMPPMessage) error {
	if len(m.JingleMessage) == 0 {
		return nil
	}
	c, err := parseElement(m.JingleMessage, maxJingleMessageSize)
	if err != nil {
		return fmt.Errorf("xmpp: jingle-message element: %w", err)
	}
	if c.Name.Space != nsJingleMessage || !jingleMessageAction(c.Name.Local) {
		return fmt.Errorf("xmpp: <%s xmlns=%q/> is not an XEP-0353 element: %w", c.Name.Local, c.Name.Space, ErrConfig)
	}
	el.Add(c, NewElement(nsHints, "store"))
	return nil
}

// marshalElement serializes el with its namespace declared, so that it
// decodes on its own, refusing more than limit bytes. Declarations are
// written wherever the namespace changes, so a small input can serialize
// to a large output (a long namespace bound to a prefix, then many short
// elements using it): their cost is bounded before anything is written.
func marshalElement(el *Element, limit int) ([]byte, error) {
	if err := checkWellFormed(el); err != nil {
		return nil, err
	}
	if nsCost(el, "", limit) > limit {
		return nil, errTooLarge
	}
	var b strings.Builder
	el.appendTo(&b, "")
	if b.Len() > limit {
		return nil, errTooLarge
	}
	return []byte(b.String()), nil
}

// nsCost is the size of the namespace declarations appendTo writes for
// el under parentNS, counted until it exceeds limit.
func nsCost(el *Element, parentNS string, limit int) int {
	n := 0
	if el.Name.Space != parentNS {
		n += len(el.Name.Space) + len(` xmlns=""`)
	}
	for _, a := range el.Attr {
		if a.Name.Space != "" && a.Name.Space != nsXML && a.Name.Space != "xml" {
			n += len(a.Name.Space) + len(` xmlns:a00=""`)
		}
	}
	for _, c := range el.Nodes {
		if n > limit {
			return n
		}
		if c.El != nil {
			n += nsCost(c.El, el.Name.Space, limit-n)
		}
	}
	return n
}

// parseElement parses b as exactly one XML element, with the stream
// reader's restrictions (no comments, processing instructions or
// directives; bounded depth) and at most limit bytes, that serializes to
// well-formed XML (xmlname.go). Only whitespace may surround it.
func parseElement(b []byte, limit int) (*Element, error) {
	if len(b) > limit {
		return nil, errTooLarge
	}
	r := newStreamReader(bytes.NewReader(b), len(b)+1)
	var el *Element
	for el == nil {
		tok, err := r.token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if el, err = r.element(t); err != nil {
				return nil, err
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return nil, streamErr(CondBadFormat, "text outside element")
			}
		default:
			return nil, streamErr(CondRestrictedXML, "markup outside element")
		}
	}
	for {
		// The raw decoder tells a clean end (io.EOF) from a truncated
		// second element, which token() would not.
		tok, err := r.dec.Token()
		if errors.Is(err, io.EOF) {
			if err := checkWellFormed(el); err != nil {
				return nil, err
			}
			return el, nil
		}
		if err != nil {
			return nil, streamErr(CondNotWellFormed, err.Error())
		}
		if cd, ok := tok.(xml.CharData); !ok || len(bytes.TrimSpace(cd)) != 0 {
			return nil, streamErr(CondBadFormat, "more than one element")
		}
	}
}
