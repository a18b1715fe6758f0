package gateway

import (
	"context"

	"github.com/sxgw/sxgw/internal/store"
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
// satisfies it). SendMessage returns the final response's status and nil
// for a 2xx, an error with a SIPResponse() (int, string) method for other
// responses, or the transport error.
type SIPSender interface {
	SendMessage(ctx context.Context, m translate.SIPMessage) (int, error)
	// Subscribe sends SUBSCRIBE in d (a new dialog when d.RemoteTag is
	// empty) and returns the dialog updated from the 2xx and the granted
	// expiry in seconds.
	Subscribe(ctx context.Context, d translate.SIPDialog, event string, expires int, accept []string) (translate.SIPDialog, int, error)
	// Notify sends NOTIFY in d and returns the dialog with its new CSeq.
	Notify(ctx context.Context, d translate.SIPDialog, n translate.SIPNotify) (translate.SIPDialog, error)
	// ChatSend sends a message into an MSRP chat (RFC 7573); ChatEnd ends
	// the chat (BYE).
	ChatSend(ctx context.Context, chatID string, m translate.SIPMessage) error
	ChatEnd(chatID string)
	// ChatStart opens a chat from the XMPP side (INVITE with an MSRP offer)
	// and returns its id once the MSRP session is connected.
	ChatStart(ctx context.Context, c translate.SIPChat) (string, error)
}

// SubscriptionStore persists presence subscriptions (internal/store
// satisfies it).
type SubscriptionStore interface {
	PutSubscription(ctx context.Context, sub store.Subscription) error
	DeleteSubscription(ctx context.Context, id string) error
	Subscriptions(ctx context.Context) ([]store.Subscription, error)
}

// RoomStore persists persistent rooms (internal/store satisfies it).
type RoomStore interface {
	PutRoom(ctx context.Context, r store.Room) error
	DeleteRoom(ctx context.Context, name string) error
	Rooms(ctx context.Context) ([]store.Room, error)
}

// JingleSender is what calls need from the XMPP side besides XMPPSender
// (xmpp.S2S and xmpp.Component satisfy it): a Jingle IQ set sent and its
// result awaited; an IQ error comes back as a *translate.JingleError.
type JingleSender interface {
	SendJingle(ctx context.Context, iq translate.JingleIQ) error
}

// CallSender is what calls need from the SIP side (sip.Endpoint satisfies
// it): INVITE as UAC with its provisional responses, and BYE.
type CallSender interface {
	Invite(ctx context.Context, d translate.SIPDialog, sdp []byte, subject string, progress func(status int)) (translate.SIPDialog, []byte, error)
	Bye(ctx context.Context, d translate.SIPDialog) (translate.SIPDialog, error)
}
