package gateway

import (
	"context"

	"github.com/sxgw/sxgw/translate"
)

// Calls (INVITEs without MSRP media, RFC 3261 §13) are not translated
// yet: the SIP side handles MSRP chats itself and passes every other INVITE
// here, where it is refused with 488 Not Acceptable Here; no such dialog
// exists to ACK or BYE.

// SIPInvite refuses the session.
func (g *Gateway) SIPInvite(context.Context, translate.SIPInvite, func(int)) ([]byte, error) {
	return nil, refuse(488, translate.CondNotAcceptable, "no session support yet")
}

// SIPAck has nothing to confirm: no INVITE is ever accepted.
func (g *Gateway) SIPAck(context.Context, translate.SIPDialog) {}

// SIPBye answers 481: no session exists (RFC 3261 §15.1.2).
func (g *Gateway) SIPBye(context.Context, translate.SIPDialog) error {
	return refuse(481, translate.CondItemNotFound, "no such session")
}
