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

// roomJobForce is roomJob for membership changes that happened already
// (a leave, a nick change): they are announced even past the backlog
// bound, which leaves and nick changes cannot grow faster than joins.
func (g *Gateway) roomJobForce(r *room, fn func()) {
	if err := g.queue.submitForce("room\x00"+r.name, fn); err != nil {
		g.m.roomDrops.Inc()
	}
}

// roomToXMPP sends one stanza to an XMPP occupant; failures are counted
// (the s2s link bounces what it cannot deliver).
// The XMPP side only queues (a full queue is an error at once), so no
// deadline is needed.
func (g *Gateway) roomToXMPP(p *sides, m translate.XMPPMessage) {
	if err := p.xmpp.SendMessage(g.ctx, m); err != nil {
		g.m.roomDrops.Inc()
		g.log.Debug("room message not sent", "err", err)
	}
}

func (g *Gateway) roomPresenceTo(p *sides, pr translate.XMPPPresence) {
	if err := p.xmpp.SendPresence(g.ctx, pr); err != nil {
		g.log.Debug("room presence not sent", "err", err)
	}
}

// roomToSIP queues one MSRP message to a SIP occupant's session, in
// that session's order: a slow participant delays only itself, and one
// that falls a whole backlog behind loses messages (counted) instead of
// holding up the room. The copies of one message share f's deadline.
func (g *Gateway) roomToSIP(p *sides, f *fanout, session string, m translate.SIPMessage) {
	err := g.queue.submit("roomsip\x00"+session, func() {
		defer f.done()
		if err := p.sip.ChatSend(f.ctx, session, m); err != nil {
			g.m.roomDrops.Inc()
			g.log.Debug("room message not sent over MSRP", "err", err)
		}
	})
	if err != nil {
		g.m.roomDrops.Inc()
		f.done()
	}
}

// fanout tracks one room message's SIP copies: they share one deadline
// (one timer per message, not per copy), and the fan-out latency
// (message in to last copy out) is observed once, when the last copy is
// handed to its transport.
type fanout struct {
	g       *Gateway
	ctx     context.Context
	cancel  context.CancelFunc
	start   time.Time
	observe bool
	pending atomic.Int64
}

// newFanout tracks n copies; the caller's own share ends with one more
// done. observe records the latency (room messages, not history).
func (g *Gateway) newFanout(start time.Time, n int, observe bool) *fanout {
	f := &fanout{g: g, start: start, observe: observe}
	f.ctx, f.cancel = context.WithTimeout(g.ctx, roomSendTimeout)
	f.pending.Store(int64(n) + 1) // +1 for the caller
	return f
}

func (f *fanout) done() {
	if f.pending.Add(-1) == 0 {
		f.cancel()
		if f.observe {
			f.g.m.roomFanout.Observe(time.Since(f.start).Seconds())
		}
	}
}
