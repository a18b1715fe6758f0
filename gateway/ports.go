package gateway

import (
	"context"

	"github.com/sxgw/sxgw/translate"
)

// XMPPSender is what the core needs from the XMPP side (xmpp.S2S and
// xmpp.Component satisfy it). Send errors that carry a stanza condition
// are the sender's immediate failure; later delivery failures come back
// as error stanzas through the core's XMPPMessage.
type XMPPSender interface {
	SendMessage(ctx context.Context, m translate.XMPPMessage) error
	SendPresence(ctx context.Context, p translate.XMPPPresence) error
}

// SIPSender is what the core needs from the SIP side (sip.Endpoint
// satisfies it). SendMessage returns nil for a 2xx final response, an
// error with a Code field for other responses (see sipStatus), or the
// transport error.
type SIPSender interface {
	SendMessage(ctx context.Context, m translate.SIPMessage) error
}
