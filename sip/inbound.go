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
	// SIPSubscribe handles a SUBSCRIBE (RFC 6665 §4.2.1) for a supported
	// event package: a new subscription (s.New, s.Dialog.LocalTag chosen by
	// the SIP side), a refresh, or with Expires 0 an unsubscription. It
	// returns the granted expiry in seconds (no longer than s.Expires when
	// that is not -1), or an error whose status is sent (e.g. 481 for an
	// unknown dialog, 403). after, if non-nil, is called once the 200 has
	// been sent, on the request's goroutine: the core sends its NOTIFY from
	// there (RFC 6665 §4.2.1.2).
	SIPSubscribe(ctx context.Context, s translate.SIPSubscribe) (expires int, after func(), err error)
	// SIPNotify handles a NOTIFY (RFC 6665 §4.1.3) received in a dialog the
	// core started with Endpoint.Subscribe. An error's status is sent (481
	// when the core knows no such subscription).
	SIPNotify(ctx context.Context, n translate.SIPNotify) error
}
