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
	// SIPInvite handles an INVITE (RFC 3261 §13.3): a new session (inv.New,
	// inv.Dialog.LocalTag chosen by the SIP side, the To tag of every
	// response) or a re-INVITE in an existing dialog (§14.2). It returns
	// the session description for the 200 (the answer to inv.SDP, RFC
	// 3264 §5, or an offer when inv.SDP is empty), or an error whose status
	// is sent (486, 488, 603...). It runs on its own goroutine once 100
	// Trying is sent; progress(180) or progress(183) sends that provisional
	// response meanwhile. ctx ends on CANCEL (the peer then gets 487, RFC
	// 3261 §9.2), on a BYE in the dialog, at the INVITE's Expires and when
	// the endpoint closes: no 2xx is sent then, whatever is returned.
	SIPInvite(ctx context.Context, inv translate.SIPInvite, progress func(status int)) (answer []byte, err error)
	// SIPAck tells the core that the 2xx to an INVITE was acknowledged
	// (RFC 3261 §13.3.1.4): the session is established (or modified).
	// d identifies the dialog: Call-ID, tags, URIs and RemoteCSeq (the
	// INVITE's).
	SIPAck(ctx context.Context, d translate.SIPDialog)
	// SIPBye ends the dialog d (RFC 3261 §15.1.2): a BYE from the peer, a
	// 2xx never acknowledged, or a session the core accepted whose 2xx
	// could not be sent. An error's status is sent to a BYE (481 when the
	// core knows no such dialog).
	SIPBye(ctx context.Context, d translate.SIPDialog) error
}

// MessageStarter is an Inbound that can answer a MESSAGE later than its
// SIPMessage returns: StartSIPMessage begins the delivery of m and calls
// done exactly once with what SIPMessage would have returned, either
// before it returns or afterwards from another goroutine (after waiting
// for an error from the far side, say). MESSAGEs over UDP use it, so that
// the endpoint's few workers never wait on the core; ctx ends when the
// endpoint closes, and the core bounds its own waits.
type MessageStarter interface {
	StartSIPMessage(ctx context.Context, m translate.SIPMessage, done func(error))
}
