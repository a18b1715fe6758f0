package sip

import (
	"context"

	"github.com/sxgw/sxgw/translate"
)

// Inbound is what the SIP side needs from the core (implemented by the
// gateway, wired by main), so the SIP package never imports the gateway.
// A returned error becomes the final response: errors that carry a SIP
// status (a SIPResponse() (int, string) method, as translate.Error has) keep
// it, others are 500.
type Inbound interface {
	// SIPMessage delivers a MESSAGE (RFC 3428) to translate.
	SIPMessage(ctx context.Context, m translate.SIPMessage) error
}
