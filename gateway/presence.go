package gateway

import (
	"context"

	"github.com/sxgw/sxgw/translate"
)

// XMPPPresence receives presence stanzas for served domains. Presence
// interworking (RFC 8048) is not built yet: stanzas are accepted and
// ignored, which is what RFC 6121 §8.5.2.1.1 asks for presence that a
// server cannot deliver.
func (g *Gateway) XMPPPresence(_ context.Context, _ translate.XMPPPresence) error {
	return nil
}
