package xmpp

import (
	"context"

	"github.com/sxgw/sxgw/translate"
)

// sendMessage and sendPresence encode translate values for a sender.
func sendMessage(ctx context.Context, send func(context.Context, *Element) error, m translate.XMPPMessage) error {
	el, err := EncodeMessage(m)
	if err != nil {
		return &StanzaError{Condition: ErrBadRequest, Text: err.Error()}
	}
	return send(ctx, el)
}

// SendMessage sends a message stanza built from m.
func (s *S2S) SendMessage(ctx context.Context, m translate.XMPPMessage) error {
	return sendMessage(ctx, s.Send, m)
}

// SendPresence sends a presence stanza built from p.
func (s *S2S) SendPresence(ctx context.Context, p translate.XMPPPresence) error {
	return s.Send(ctx, EncodePresence(p))
}

// SendMessage sends a message stanza built from m.
func (c *Component) SendMessage(ctx context.Context, m translate.XMPPMessage) error {
	return sendMessage(ctx, c.Send, m)
}

// SendPresence sends a presence stanza built from p.
func (c *Component) SendPresence(ctx context.Context, p translate.XMPPPresence) error {
	return c.Send(ctx, EncodePresence(p))
}
