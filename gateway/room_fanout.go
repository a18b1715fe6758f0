package gateway

import (
	"context"
	"sync/atomic"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// roomSendTimeout bounds one copy of a room message to one participant.
const roomSendTimeout = 30 * time.Second

// recipient is a room occupant as a delivery target, copied out of the
// room under its lock so that sending needs no lock.
type recipient struct {
	side    string
	key     string
	to      jid.JID // XMPP: the occupant's full JID
	session string  // SIP: the occupant's session
	pm      bool
}

// recipientsLocked returns every occupant but the one keyed except; r.mu
// held.
func (r *room) recipientsLocked(except string) []recipient {
	out := make([]recipient, 0, len(r.occupants))
	for _, o := range r.occupants {
		if o.key == except {
			continue
		}
		out = append(out, recipient{side: o.side, key: o.key, to: o.real, session: o.session, pm: o.pm})
	}
	return out
}

// roomJob runs fn in the room's order: membership changes and messages
// are sent in the order they happened, one room at a time. A room whose
// backlog is full refuses (flood control).
func (g *Gateway) roomJob(r *room, fn func()) error {
	if err := g.queue.submit("room\x00"+r.name, fn); err != nil {
		g.m.roomDrops.Inc()
		return refuse(503, translate.CondResourceConstraint, "the room is too busy")
	}
	return nil
}

// roomToXMPP sends one stanza to an XMPP occupant; failures are counted
// (the s2s link bounces what it cannot deliver).
func (g *Gateway) roomToXMPP(p *sides, m translate.XMPPMessage) {
	ctx, cancel := context.WithTimeout(context.Background(), roomSendTimeout)
	defer cancel()
	if err := p.xmpp.SendMessage(ctx, m); err != nil {
		g.m.roomDrops.Inc()
		g.log.Debug("room message not sent", "err", err)
	}
}

func (g *Gateway) roomPresenceTo(p *sides, pr translate.XMPPPresence) {
	ctx, cancel := context.WithTimeout(context.Background(), roomSendTimeout)
	defer cancel()
	if err := p.xmpp.SendPresence(ctx, pr); err != nil {
		g.log.Debug("room presence not sent", "err", err)
	}
}

// roomToSIP queues one MSRP message to a SIP occupant's session, in
// that session's order: a slow participant delays only itself, and one
// that falls a whole backlog behind loses messages (counted) instead of
// holding up the room. done, if set, runs after the attempt.
func (g *Gateway) roomToSIP(p *sides, session string, m translate.SIPMessage, done func()) {
	err := g.queue.submit("roomsip\x00"+session, func() {
		if done != nil {
			defer done()
		}
		ctx, cancel := context.WithTimeout(context.Background(), roomSendTimeout)
		defer cancel()
		if err := p.sip.ChatSend(ctx, session, m); err != nil {
			g.m.roomDrops.Inc()
			g.log.Debug("room message not sent over MSRP", "err", err)
		}
	})
	if err != nil {
		g.m.roomDrops.Inc()
		if done != nil {
			done()
		}
	}
}

// fanout tracks one room message's copies so that the fan-out latency
// (message in to last copy out) is observed once, when the last copy is
// handed to its transport.
type fanout struct {
	g       *Gateway
	start   time.Time
	pending atomic.Int64
}

func (g *Gateway) newFanout(start time.Time, n int) *fanout {
	f := &fanout{g: g, start: start}
	f.pending.Store(int64(n) + 1) // +1 for the room job itself
	return f
}

func (f *fanout) done() {
	if f.pending.Add(-1) == 0 {
		f.g.m.roomFanout.Observe(time.Since(f.start).Seconds())
	}
}
