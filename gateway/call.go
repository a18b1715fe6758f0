package gateway

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/jingle"
	"github.com/sxgw/sxgw/translate"
)

// Call timers: how long a call may ring before it is given up (RFC 3261
// §13.3.1.1 leaves it to the UAS; three minutes is the usual phone
// policy), and how long a Jingle IQ may wait for its result.
const (
	callRingTimeout = 3 * time.Minute
	jingleIQTimeout = 30 * time.Second
)

// Call outcomes for metrics.
const (
	outcomeAnswered = "answered"
	outcomeRejected = "rejected"
	outcomeCanceled = "canceled"
	outcomeFailed   = "failed"
)

// call is one call between a SIP party and an XMPP party: one SIP dialog
// and one Jingle session. Its fields are guarded by mu; the events of a
// call are handled one at a time.
type call struct {
	mu sync.Mutex

	sid string
	// dir is the side that called: dirSIPToXMPP or dirXMPPToSIP.
	dir string
	// sipJID is the SIP party as a full JID (the Jingle initiator or
	// responder address); xmppJID the XMPP party's full JID once known.
	sipJID, xmppJID jid.JID
	dialog          translate.SIPDialog
	mapping         *jingle.Mapping
	session         *jingle.Session
	// contents are the XMPP party's contents (candidates merged as they
	// trickle) and groups its groups.
	contents []jingle.Content
	groups   []jingle.Group
	// sipContents are the SIP party's contents as of its last offer
	// (calls from SIP), to see what a re-offer changes.
	sipContents []jingle.Content
	// lastSDP is the SDP the gateway last wrote to the SIP party, sent
	// again for a re-INVITE that changes nothing (RFC 3264 §8).
	lastSDP []byte
	// events carry what the other side did while the SIP transaction of
	// the call is open.
	events  chan callEvent
	started time.Time
	// answered: the 200 went out (SIP->XMPP) or came in (XMPP->SIP).
	answered bool
	ended    bool
	// terminated: the XMPP party ended the session before the call was
	// answered; the SIP side must not be answered or dialled after it.
	terminated bool
	// rang: a ringing event was posted already.
	rang bool
	// late: candidates trickled in after the SIP party got its SDP;
	// reoffer sends them in a re-INVITE once the trickle pauses.
	late    bool
	reoffer *time.Timer
	// cancel ends the INVITE transaction of an XMPP-initiated call.
	cancel context.CancelFunc
}

// callEvent is something the XMPP side did to a call being set up.
type callEvent struct {
	proceed jid.JID        // XEP-0353 proceed from this device
	reject  *jingle.Reason // XEP-0353 reject or session-terminate
	accept  *jingle.Jingle // session-accept
	ringing bool           // XEP-0353 ringing or session-info ringing
	// contentAccept and contentReject answer a content-add of ours.
	contentAccept, contentReject *jingle.Jingle
}

// callTable holds the calls by Jingle session (sid and XMPP party, since
// sids are only unique per initiator) and by SIP dialog.
type callTable struct {
	mu       sync.Mutex
	bySID    map[string]*call
	byDialog map[string]*call
}

func newCallTable() *callTable {
	return &callTable{bySID: make(map[string]*call), byDialog: make(map[string]*call)}
}

// sidKey names a session: the sid with the XMPP party's bare JID.
func sidKey(sid string, xmppUser jid.JID) string {
	return sid + "\x00" + strings.ToLower(xmppUser.Bare().String())
}

func dialogKey(d translate.SIPDialog) string { return d.CallID + "\x00" + d.LocalTag }

func (t *callTable) add(c *call, xmppUser jid.JID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := sidKey(c.sid, xmppUser)
	if t.bySID[k] != nil {
		return false
	}
	t.bySID[k] = c
	return true
}

func (t *callTable) setDialog(c *call, d translate.SIPDialog) {
	t.mu.Lock()
	t.byDialog[dialogKey(d)] = c
	t.mu.Unlock()
}

func (t *callTable) bySession(sid string, xmppUser jid.JID) *call {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bySID[sidKey(sid, xmppUser)]
}

func (t *callTable) byDlg(d translate.SIPDialog) *call {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byDialog[dialogKey(d)]
}

func (t *callTable) remove(c *call, xmppUser jid.JID, d translate.SIPDialog) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.bySID[sidKey(c.sid, xmppUser)] == c {
		delete(t.bySID, sidKey(c.sid, xmppUser))
	}
	if t.byDialog[dialogKey(d)] == c {
		delete(t.byDialog, dialogKey(d))
	}
}

// callPorts returns the call-capable sides, or the error to refuse with.
func (g *Gateway) callPorts() (JingleSender, CallSender, *sides, error) {
	p, err := g.ports()
	if err != nil {
		return nil, nil, nil, err
	}
	js, ok1 := p.xmpp.(JingleSender)
	cs, ok2 := p.sip.(CallSender)
	if !ok1 || !ok2 {
		return nil, nil, nil, refuse(488, translate.CondFeatureNotImplemented, "calls are not available")
	}
	return js, cs, p, nil
}

// sessionID returns a random o= session id (RFC 4566 §5.2).
func sessionID() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:]) >> 2
}

// post hands an event to the call's setup, if it still waits for one.
// Ringing counts once per call, so that devices ringing many times cannot
// crowd out the answer in the buffer.
func (c *call) post(ev callEvent) {
	if ev.ringing {
		c.mu.Lock()
		rang := c.rang
		c.rang = true
		c.mu.Unlock()
		if rang {
			return
		}
	}
	select {
	case c.events <- ev:
	default:
	}
}

// sendJingle sends a Jingle action of c to the XMPP party and waits for
// its result.
func (g *Gateway) sendJingle(js JingleSender, c *call, j *jingle.Jingle) error {
	body, err := j.Encode()
	if err != nil {
		return err
	}
	c.mu.Lock()
	from, to := c.sipJID, c.xmppJID
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(g.ctx, jingleIQTimeout)
	defer cancel()
	return js.SendJingle(ctx, translate.JingleIQ{From: from, To: to, ID: newID(), Payload: body})
}

// terminate sends session-terminate with reason cond to the XMPP party
// (XEP-0166 §6.7), in the background: the caller does not wait for the
// peer's result.
func (g *Gateway) terminate(js JingleSender, c *call, cond jingle.Condition, text string) {
	c.mu.Lock()
	j := &jingle.Jingle{Action: jingle.ActionSessionTerminate, SID: c.sid, Reason: &jingle.Reason{Condition: cond, Text: text}}
	_, err := c.session.Send(j)
	c.mu.Unlock()
	if err != nil {
		return // already over
	}
	g.goBG(func() {
		if err := g.sendJingle(js, c, j); err != nil {
			g.log.Debug("session-terminate not acknowledged", "err", err)
		}
	})
}

// endCall removes a call and records its outcome.
func (g *Gateway) endCall(c *call, outcome string) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended = true
	xmppUser, d, dir, answered := c.xmppJID, c.dialog, c.dir, c.answered
	c.mu.Unlock()
	g.calls.remove(c, xmppUser, d)
	if answered {
		outcome = outcomeAnswered
		g.m.activeCalls.Dec()
	}
	g.m.calls.WithLabelValues(dir, outcome).Inc()
}

// answeredCall marks a call answered and observes its setup time.
func (g *Gateway) answeredCall(c *call) {
	c.mu.Lock()
	c.answered = true
	start := c.started
	c.mu.Unlock()
	g.m.activeCalls.Inc()
	g.m.callSetup.Observe(time.Since(start).Seconds())
}
