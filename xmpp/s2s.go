package xmpp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"mellium.im/xmpp/jid"
)

// S2S is the server-to-server endpoint: it accepts streams from remote
// servers on the listener and keeps one outbound stream per (local, remote)
// domain pair for the stanzas we send (RFC 6120 §4.1: s2s streams are
// unidirectional).
type S2S struct {
	o   Options
	m   *metrics
	rt  *router
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// linkIdle is how long an outbound link may stay unused (linkIdleDefault).
	linkIdle time.Duration

	mu       sync.Mutex
	ln       net.Listener
	links    map[linkKey]*outLink
	inbound  map[*inStream]struct{}
	draining bool
	in       inLimits
	// verifying counts dialback verifications in progress, at most
	// maxVerifying (maxVerificationsDefault).
	verifying, maxVerifying int
}

type linkKey struct{ local, remote string }

// NewS2S validates the options and returns an endpoint; Start binds it.
func NewS2S(o Options) (*S2S, error) {
	o.defaults()
	if len(o.Domains) == 0 {
		return nil, fmt.Errorf("xmpp: no domains to serve: %w", ErrConfig)
	}
	if err := o.checkDomains(); err != nil {
		return nil, err
	}
	if o.TLSConfig == nil || len(o.TLSConfig.Certificates) == 0 && o.TLSConfig.GetCertificate == nil {
		return nil, fmt.Errorf("xmpp: a TLS certificate is required: %w", ErrConfig)
	}
	if o.Resolver == nil {
		return nil, fmt.Errorf("xmpp: no resolver: %w", ErrConfig)
	}
	if len(o.DialbackSecret) < 16 {
		return nil, fmt.Errorf("xmpp: dialback secret shorter than 16 bytes: %w", ErrConfig)
	}
	m := newMetrics(o.Registerer)
	ctx, cancel := context.WithCancel(context.Background())
	s := &S2S{
		o: o, m: m, log: o.Logger, ctx: ctx, cancel: cancel,
		links: make(map[linkKey]*outLink), inbound: make(map[*inStream]struct{}),
		linkIdle: linkIdleDefault, maxVerifying: maxVerificationsDefault, in: newInLimits(),
	}
	s.rt = newRouter(&o, s.Send, m)
	return s, nil
}

// Start binds the listener and serves it until Close.
func (s *S2S) Start(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.o.Listen)
	if err != nil {
		return fmt.Errorf("xmpp: listen %s: %w", s.o.Listen, err)
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	s.log.Info("s2s listener bound", "addr", ln.Addr().String())
	s.wg.Add(1)
	go s.accept(ln)
	return nil
}

// Addr is the bound listener address (nil before Start).
func (s *S2S) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

func (s *S2S) accept(ln net.Listener) {
	defer s.wg.Done()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || s.ctx.Err() != nil {
				return
			}
			// Temporary failure (e.g. EMFILE): back off, capped.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("s2s accept failed", "err", err)
			select {
			case <-time.After(delay):
			case <-s.ctx.Done():
				return
			}
			continue
		}
		delay = 0
		key := peerKey(nc.RemoteAddr())
		s.mu.Lock()
		if s.draining {
			s.mu.Unlock()
			_ = nc.Close()
			continue
		}
		if cond := s.in.admit(key); cond != "" {
			answer := s.in.refusing < maxRefusing
			if answer {
				s.in.refusing++
			}
			s.mu.Unlock()
			s.m.refused.WithLabelValues(cond).Inc()
			s.log.Debug("s2s inbound connection refused", "condition", cond)
			if !answer {
				_ = nc.Close()
				continue
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.refuse(nc, cond)
				s.mu.Lock()
				s.in.refusing--
				s.mu.Unlock()
			}()
			continue
		}
		c := newXConn(nc, nsServer, min(s.o.MaxStanzaSize, maxNegotiationElement))
		st := &inStream{s: s, c: c, authed: make(map[string]bool)}
		s.inbound[st] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			st.serve(s.ctx)
			s.mu.Lock()
			delete(s.inbound, st)
			s.in.release(key)
			s.mu.Unlock()
		}()
	}
}

// Send routes a stanza from one of our domains: to a served domain it is
// handled locally, otherwise it is queued on the outbound stream to the
// recipient's domain. It fails at once (and the caller answers its own
// sender) when the stanza is malformed or the queue is full; later
// delivery failures come back to the sender as error stanzas.
func (s *S2S) Send(ctx context.Context, st *Element) error {
	local, remote, err := s.addresses(st)
	if err != nil {
		return err
	}
	return s.dispatch(ctx, st, local, remote)
}

// sendAddressed is Send for a stanza built from typed JIDs (already
// valid): the domains come from them instead of parsing the stanza's
// attributes again.
func (s *S2S) sendAddressed(ctx context.Context, st *Element, from, to jid.JID) error {
	if from.Domainpart() == "" || to.Domainpart() == "" {
		return s.Send(ctx, st) // the parse gives the right error
	}
	if !s.rt.serves(from.Domainpart()) {
		return &StanzaError{Condition: ErrNotAllowed, Text: "from is not a served domain"}
	}
	return s.dispatch(ctx, st, strings.ToLower(from.Domainpart()), strings.ToLower(to.Domainpart()))
}

// dispatch routes st from local to remote: locally for a served domain,
// else on the outbound link.
func (s *S2S) dispatch(ctx context.Context, st *Element, local, remote string) error {
	if s.rt.serves(remote) {
		s.rt.route(ctx, st)
		return nil
	}
	// A link that closed itself for idleness between the look-up and the
	// enqueue refuses the stanza; the next look-up makes a new one.
	for range 3 {
		l, err := s.link(local, remote)
		if err != nil {
			return err
		}
		if err := l.enqueue(st); !errors.Is(err, errLinkGone) {
			return err
		}
	}
	return &StanzaError{Condition: ErrResourceConstraint, Text: "outbound stream to " + remote + " keeps closing"}
}

// addresses checks a stanza's addressing for sending (RFC 6120 §8.1.1.1,
// §8.1.2.1: both required on s2s) and returns the domain pair.
func (s *S2S) addresses(st *Element) (local, remote string, err error) {
	from, err := jid.Parse(st.Get("from"))
	if err != nil {
		return "", "", &StanzaError{Condition: ErrJIDMalformed, Text: "bad from address"}
	}
	to, err := jid.Parse(st.Get("to"))
	if err != nil {
		return "", "", &StanzaError{Condition: ErrJIDMalformed, Text: "bad to address"}
	}
	if !s.rt.serves(from.Domainpart()) {
		return "", "", &StanzaError{Condition: ErrNotAllowed, Text: "from is not a served domain"}
	}
	return strings.ToLower(from.Domainpart()), strings.ToLower(to.Domainpart()), nil
}

// link returns the outbound link for a domain pair, creating it.
func (s *S2S) link(local, remote string) (*outLink, error) {
	k := linkKey{local, remote}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return nil, &StanzaError{Condition: ErrServiceUnavailable, Text: "shutting down"}
	}
	l := s.links[k]
	if l == nil {
		l = newOutLink(s, local, remote)
		s.links[k] = l
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			l.run(s.ctx)
		}()
	}
	return l, nil
}

// dropLink removes an idle link if it is still the registered one.
func (s *S2S) dropLink(l *outLink) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(l.queue) > 0 {
		return false
	}
	if s.links[linkKey{l.local, l.remote}] == l {
		delete(s.links, linkKey{l.local, l.remote})
	}
	l.gone = true
	return true
}

// PeerStatus describes the outbound stream to one remote domain.
type PeerStatus struct {
	Local, Remote string
	State         string
	Queued        int
}

// Peers lists the outbound links.
func (s *S2S) Peers() []PeerStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PeerStatus, 0, len(s.links))
	for _, l := range s.links {
		out = append(out, PeerStatus{Local: l.local, Remote: l.remote, State: l.stateName(), Queued: len(l.queue)})
	}
	return out
}

// Close stops accepting, closes every stream with </stream:stream>
// (RFC 6120 §4.4) and waits for the goroutines, bounded by ctx.
func (s *S2S) Close(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	ln := s.ln
	ins := make([]*inStream, 0, len(s.inbound))
	for st := range s.inbound {
		ins = append(ins, st)
	}
	s.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	s.cancel() // links close their streams gracefully on cancel
	s.rt.jobs.stop()
	done := make(chan struct{})
	go func() {
		// Ending a stream can wait for a write in progress to a slow peer:
		// do it here, bounded by ctx like the rest. Each stream's reader
		// then waits for the peer's closing tag (RFC 6120 §4.4).
		for _, st := range ins {
			st.c.end(nil)
		}
		s.wg.Wait()
		s.rt.jobs.wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("xmpp: close: %w", ctx.Err())
	}
}

// startVerify reserves one of the dialback verifications that may run at
// once, each an outbound connection to a domain a peer named; false when
// none is free.
func (s *S2S) startVerify() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.verifying >= s.maxVerifying {
		return false
	}
	s.verifying++
	return true
}

func (s *S2S) endVerify() {
	s.mu.Lock()
	s.verifying--
	s.mu.Unlock()
}
