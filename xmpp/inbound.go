package xmpp

import (
	"context"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// Inbound is what the XMPP side needs from the core: the translated
// content of the message and presence stanzas addressed to served domains
// that this package does not answer itself. A returned error is sent back
// to the stanza's sender as a stanza error (a *StanzaError keeps its
// condition; other errors become internal-server-error). Error stanzas are
// delivered too, so the core can match them to what it sent.
type Inbound interface {
	XMPPMessage(ctx context.Context, m translate.XMPPMessage) error
	XMPPPresence(ctx context.Context, p translate.XMPPPresence) error
}

// RoomInbound is what the XMPP side needs from a core that hosts MUC
// rooms (XEP-0045) on Options.RoomDomains: the IQs addressed to the room
// service, a room or an occupant. It is optional: when the Inbound given
// to NewInboundHandler (or a Handler itself) implements it, the package
// decodes those IQs, calls it and encodes the answer; otherwise they get
// service-unavailable. Errors are answered as for Inbound.
type RoomInbound interface {
	// XMPPDisco answers disco#info or disco#items (XEP-0030 §3, §4)
	// addressed to a room domain, a room or an occupant (XEP-0045 §6).
	XMPPDisco(ctx context.Context, q translate.DiscoQuery) (translate.DiscoResult, error)
	// XMPPMUCAdmin lists (get: the voice, ban, member or moderator list,
	// XEP-0045 §8.5, §9.2, §9.5, §9.8) or changes (set: kick, ban,
	// grants, §8, §9) roles and affiliations; the items it returns answer
	// a get and are ignored for a set.
	XMPPMUCAdmin(ctx context.Context, a translate.MUCAdmin) ([]translate.MUCItem, error)
	// XMPPMUCOwner returns the room's current configuration for a get
	// (XEP-0045 §10.2), field var to values, which this package sends as
	// a muc#roomconfig form; for a set (submit, cancel, destroy) the
	// values are ignored.
	XMPPMUCOwner(ctx context.Context, o translate.MUCOwner) (map[string][]string, error)
}

// JingleInbound is what the XMPP side needs from a core that translates
// calls: the Jingle requests (XEP-0166) XMPP users address to the users
// of served domains. It is optional, found like RoomInbound; without it
// they get service-unavailable (XEP-0166 §6.3.2: no Jingle support).
//
// The payload is the <jingle xmlns='urn:xmpp:jingle:1'/> element as XML
// with its namespaces declared, at most Options.MaxStanzaSize bytes, with
// an action and a sid. XMPPJingle is called on a goroutine of the sender
// (not the stream's reader), in the order the sender's requests and
// XEP-0353 messages arrived, with a context that ends after 30 seconds or
// on Close. nil sends the empty result that acknowledges the request
// (XEP-0166 §6.3.1); an error is sent back: a *translate.JingleError
// with its stanza condition and Jingle condition (§10), other errors as
// for Inbound.
type JingleInbound interface {
	XMPPJingle(ctx context.Context, iq translate.JingleIQ) error
}

// RoomPinger is optionally implemented by a RoomInbound: it answers the
// XEP-0410 self-ping an occupant sends to its own occupant JID (nil: the
// sender is joined under that nick; an error, such as not-acceptable,
// that it is not).
type RoomPinger interface {
	XMPPRoomPing(ctx context.Context, from, to jid.JID) error
}

// NewInboundHandler adapts the core's Inbound to a Handler: it decodes
// stanzas into translate values and answers IQs nobody handles. When in
// also implements RoomInbound, room IQs go to it; when it implements
// JingleInbound, Jingle requests do.
func NewInboundHandler(in Inbound) Handler { return inboundHandler{in} }

type inboundHandler struct{ in Inbound }

// roomInbound returns the core's RoomInbound, if it has one.
func (h inboundHandler) roomInbound() RoomInbound {
	ri, _ := h.in.(RoomInbound)
	return ri
}

// jingleInbound returns the core's JingleInbound, if it has one.
func (h inboundHandler) jingleInbound() JingleInbound {
	ji, _ := h.in.(JingleInbound)
	return ji
}

// jingleOf finds the JingleInbound behind a Handler, as roomsOf does.
func jingleOf(h Handler) JingleInbound {
	switch v := h.(type) {
	case JingleInbound:
		return v
	case interface{ jingleInbound() JingleInbound }:
		return v.jingleInbound()
	}
	return nil
}

// roomsOf finds the RoomInbound behind a Handler: the Handler itself, or
// the core an inbound handler wraps; nil when there is none.
func roomsOf(h Handler) RoomInbound {
	switch v := h.(type) {
	case RoomInbound:
		return v
	case interface{ roomInbound() RoomInbound }:
		return v.roomInbound()
	}
	return nil
}

func (h inboundHandler) XMPPStanza(ctx context.Context, st *Element) error {
	switch st.Name.Local {
	case "message":
		m, err := DecodeMessage(st)
		if err != nil {
			return err
		}
		return h.in.XMPPMessage(ctx, m)
	case "presence":
		p, err := DecodePresence(st)
		if err != nil {
			return err
		}
		return h.in.XMPPPresence(ctx, p)
	case "iq":
		if t := st.Get("type"); t == "get" || t == "set" {
			return &StanzaError{Condition: ErrServiceUnavailable}
		}
	}
	return nil
}
