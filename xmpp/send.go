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
	return sendMessage(ctx, func(ctx context.Context, el *Element) error {
		return s.sendAddressed(ctx, el, m.From, m.To)
	}, m)
}

// SendPresence sends a presence stanza built from p.
func (s *S2S) SendPresence(ctx context.Context, p translate.XMPPPresence) error {
	return s.sendAddressed(ctx, EncodePresence(p), p.From, p.To)
}

// SendMessage sends a message stanza built from m.
func (c *Component) SendMessage(ctx context.Context, m translate.XMPPMessage) error {
	return sendMessage(ctx, c.Send, m)
}

// SendJingle sends a Jingle request (XEP-0166) as an IQ set with the
// given id (one is generated when empty) and waits for the answer: nil
// for the result that acknowledges it, a *translate.JingleError for an
// IQ error (with the Jingle condition, if any), an error wrapping
// ctx.Err() when ctx ends first. A payload that is not one well-formed
// <jingle xmlns='urn:xmpp:jingle:1'/> element with an action and a sid
// is refused without sending (a *StanzaError bad-request).
func (s *S2S) SendJingle(ctx context.Context, iq translate.JingleIQ) error {
	return s.rt.sendJingle(ctx, iq)
}

// SendJingle is S2S.SendJingle through the XMPP server.
func (c *Component) SendJingle(ctx context.Context, iq translate.JingleIQ) error {
	return c.rt.sendJingle(ctx, iq)
}

// SendPresence sends a presence stanza built from p.
func (c *Component) SendPresence(ctx context.Context, p translate.XMPPPresence) error {
	return c.Send(ctx, EncodePresence(p))
}
