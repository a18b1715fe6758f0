package xmpp

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
)

// Outbound link timing.
const (
	backoffMin      = time.Second
	backoffMax      = time.Minute
	linkIdleDefault = 10 * time.Minute // an idle link closes its stream
)

// outLink owns the outbound stream for one (local, remote) domain pair:
// a bounded queue, connection with capped backoff, liveness pings, and
// bounces for what cannot be delivered (RFC 6120 §8.3, §10.4.3).
type outLink struct {
	s             *S2S
	local, remote string
	queue         chan *Element
	// gone is set, under s.mu, once run has stopped for good on idleness:
	// nobody reads queue any more.
	gone bool

	mu    sync.Mutex
	state string // "", negotiating, established, backoff
}

func newOutLink(s *S2S, local, remote string) *outLink {
	return &outLink{s: s, local: local, remote: remote, queue: make(chan *Element, s.o.QueueSize)}
}

func (l *outLink) stateName() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state == "" {
		return "idle"
	}
	return l.state
}

func (l *outLink) setState(state string) {
	l.mu.Lock()
	old := l.state
	l.state = state
	l.mu.Unlock()
	if old == state {
		return
	}
	for _, st := range [2]string{old, state} {
		if st == "negotiating" || st == "established" {
			g := l.s.m.streams.WithLabelValues("out", st)
			if st == old {
				g.Dec()
			} else {
				g.Inc()
			}
		}
	}
	if l.s.o.LinkState != nil {
		name := state
		if name == "" {
			name = "idle"
		}
		l.s.o.LinkState(l.remote, name)
	}
}

// enqueue adds a stanza without blocking; a full queue is the sender's
// error (resource-constraint, RFC 6120 §8.3.3.18). It holds s.mu so that
// neither an idle stop nor shutdown can come between its check and the
// enqueue and strand the stanza in a queue nobody reads.
func (l *outLink) enqueue(st *Element) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	switch {
	case l.gone:
		return errLinkGone
	case l.s.draining:
		// Close has begun: run may already have bounced the queue.
		return &StanzaError{Condition: ErrServiceUnavailable, Text: "shutting down"}
	}
	select {
	case l.queue <- st:
		return nil
	default:
		l.s.m.bounced.WithLabelValues(ErrResourceConstraint).Inc()
		return &StanzaError{Condition: ErrResourceConstraint, Text: "too many stanzas queued for " + l.remote}
	}
}

// run is the link's goroutine.
func (l *outLink) run(ctx context.Context) {
	defer l.setState("")
	backoff := time.Duration(0)
	var carry *Element // a stanza whose write failed, retried first
	for {
		first := carry
		carry = nil
		if first == nil {
			idle := time.NewTimer(l.s.linkIdle)
			select {
			case first = <-l.queue:
				idle.Stop()
			case <-ctx.Done():
				idle.Stop()
				return
			case <-idle.C:
				if l.s.dropLink(l) {
					return
				}
				continue
			}
		}
		if backoff > 0 {
			l.setState("backoff")
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				l.bounce(first, ErrRemoteServerTimeout)
				l.bounceQueued(ErrRemoteServerTimeout)
				return
			}
		}
		l.setState("negotiating")
		c, err := l.connect(ctx)
		if err != nil {
			if ctx.Err() != nil {
				l.bounce(first, ErrRemoteServerTimeout)
				l.bounceQueued(ErrRemoteServerTimeout)
				return
			}
			cond := bounceCondition(err)
			l.s.log.Info("s2s outbound connection failed", "remote", l.remote, "err", err)
			l.bounce(first, cond)
			l.bounceQueued(cond)
			backoff = min(max(2*backoff, backoffMin), backoffMax)
			continue
		}
		backoff = 0
		l.setState("established")
		l.s.log.Info("s2s outbound stream established", "local", l.local, "remote", l.remote)
		carry = l.serve(ctx, c, first)
		if ctx.Err() != nil {
			if carry != nil {
				l.bounce(carry, ErrRemoteServerTimeout)
			}
			l.bounceQueued(ErrRemoteServerTimeout)
			return
		}
		l.setState("")
	}
}

// connect opens and authenticates a stream within the attempt budget.
func (l *outLink) connect(ctx context.Context) (*xconn, error) {
	actx, cancel := context.WithTimeout(ctx, l.s.o.ConnectTimeout)
	defer cancel()
	c, feats, id, err := l.s.openStream(actx, l.local, l.remote)
	if err == nil {
		err = l.s.authenticateOut(actx, c, feats, id, l.local, l.remote)
		if err != nil {
			giveUp(actx, c, err)
		}
	}
	if err != nil {
		reason := "protocol"
		var ce *connectError
		if errors.As(err, &ce) {
			reason = ce.reason
		}
		l.s.m.connectFails.WithLabelValues(reason).Inc()
		return nil, err
	}
	if !c.unwatch() {
		c.abort()
		l.s.m.connectFails.WithLabelValues("timeout").Inc()
		return nil, failure("timeout", actx.Err())
	}
	_ = c.nc.SetDeadline(time.Time{})
	c.r.setLimit(l.s.o.MaxStanzaSize)
	return c, nil
}

// serve writes queued stanzas on an established stream until it fails,
// idles out or ctx ends. It returns a stanza whose write failed.
func (l *outLink) serve(ctx context.Context, c *xconn, first *Element) *Element {
	readDone := make(chan error, 1)
	go func() { readDone <- l.drainReads(c) }()
	// finish closes our stream and lets the reader wait for the peer's
	// closing tag, bounded by closeWait (RFC 6120 §4.4).
	finish := func(se *StreamError) *Element {
		c.end(se)
		<-readDone
		c.abort()
		return nil
	}

	// A stopped timer whose channel never fires when pings are disabled.
	ping := time.NewTimer(max(l.s.o.PingInterval, time.Hour))
	ping.Stop()
	resetPing := func() {
		if l.s.o.PingInterval > 0 {
			ping.Reset(l.s.o.PingInterval)
		}
	}
	resetPing()
	defer ping.Stop()
	idle := time.NewTimer(l.s.linkIdle)
	defer idle.Stop()
	// Several pings may be out at once; the first failure is enough.
	pingFailed := make(chan struct{}, 1)
	bt := newBatcher()
	defer bt.stop()
	pending := first
	for {
		if pending != nil {
			batch := bt.gather(pending, l.queue, ctx.Done())
			pending = nil
			err := c.send(batch...)
			bt.wrote()
			if err != nil {
				l.s.log.Info("s2s outbound write failed", "remote", l.remote, "err", err)
				c.abort()
				<-readDone
				for _, st := range batch[1:] {
					l.bounce(st, ErrRemoteServerTimeout)
				}
				return batch[0]
			}
			for _, st := range batch {
				l.s.m.stanzas.WithLabelValues("out", stanzaKind(st)).Inc()
			}
			resetPing()
			idle.Reset(l.s.linkIdle)
		}
		select {
		case pending = <-l.queue:
		case err := <-readDone:
			l.s.log.Info("s2s outbound stream closed by peer", "remote", l.remote, "err", err)
			// Answer the peer's closing tag or stream error with ours
			// (RFC 6120 §4.4, §4.9.1.1), or report our own parse error.
			c.closeFor(err)
			return nil
		case <-ping.C:
			l.s.wg.Add(1)
			go func() {
				defer l.s.wg.Done()
				if err := l.s.rt.ping(ctx, l.local, l.remote, 2*l.s.o.ConnectTimeout); err != nil && ctx.Err() == nil {
					select {
					case pingFailed <- struct{}{}:
					default:
					}
				}
			}()
			resetPing()
		case <-pingFailed:
			l.s.log.Info("s2s outbound stream unresponsive to ping", "remote", l.remote)
			return finish(streamErr(CondConnectionTimeout, ""))
		case <-idle.C:
			return finish(nil)
		case <-ctx.Done():
			return finish(nil)
		}
	}
}

// drainReads reads what the peer sends on our outbound stream (normally
// nothing but its closing tag) and reports how the stream ended.
func (l *outLink) drainReads(c *xconn) error {
	for {
		el, err := c.r.next()
		if err != nil {
			return err
		}
		if el.Name.Space == nsStream && el.Name.Local == "error" {
			se := parseStreamError(el)
			l.s.m.streamErrors.WithLabelValues("received", conditionLabel(se.Condition)).Inc()
			return se
		}
	}
}

// bounceCondition maps a connection failure to the stanza error condition
// returned to senders (RFC 6120 §8.3.3.15/16; XEP-0220 §2.1.1 for failed
// dialback).
func bounceCondition(err error) string {
	var ce *connectError
	switch {
	case errors.Is(err, errDialbackInvalid):
		return ErrInternalServerError
	case errors.Is(err, errDialbackFailed), errors.As(err, &ce) && ce.reason == "timeout":
		return ErrRemoteServerTimeout
	}
	return ErrRemoteServerNotFound
}

// bounce answers an undeliverable stanza with an error from the remote
// domain's point of view, delivered to the local sender. Errors are never
// answered (RFC 6120 §8.3.1).
func (l *outLink) bounce(st *Element, cond string) {
	l.s.m.bounced.WithLabelValues(conditionLabel(cond)).Inc()
	reply := ErrorReply(st, &StanzaError{Condition: cond, By: l.local})
	if reply == nil {
		return
	}
	// The error comes from the unreachable remote domain (§8.3.3.15 example).
	if to := reply.Get("from"); to != "" && !strings.EqualFold(domainOf(to), l.remote) {
		reply.Set("from", l.remote)
	}
	l.s.rt.route(l.s.ctx, reply)
}

func (l *outLink) bounceQueued(cond string) {
	for {
		select {
		case st := <-l.queue:
			l.bounce(st, cond)
		default:
			return
		}
	}
}
