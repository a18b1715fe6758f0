package xmpp

import (
	"context"

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

// NewInboundHandler adapts the core's Inbound to a Handler: it decodes
// stanzas into translate values and answers IQs nobody handles.
func NewInboundHandler(in Inbound) Handler { return inboundHandler{in} }

type inboundHandler struct{ in Inbound }

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
