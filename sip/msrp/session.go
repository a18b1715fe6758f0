package msrp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of sessions.
var (
	// ErrIdle: the session carried no traffic for the endpoint's idle
	// timeout and was closed.
	ErrIdle = errors.New("msrp: session idle")

	// ErrSessionClosed: the session has ended.
	ErrSessionClosed = errors.New("msrp: session closed")

	// ErrNotConnected: the session has no connection yet (Connect has not
	// succeeded).
	ErrNotConnected = errors.New("msrp: session not connected")

	// ErrConnectionLost: the connection of the session failed or was
	// closed by the peer; RFC 4975 §5.4: its sessions have failed.
	ErrConnectionLost = errors.New("msrp: connection lost")

	// ErrAlreadyConnected: Connect was called twice.
	ErrAlreadyConnected = errors.New("msrp: session already connected")
)

// Handler receives what happens on a session. Its methods are called in
// order, one at a time, on the session's own goroutine: a handler that
// blocks holds up only its session, and a session whose handler falls
// behind by more than the session memory bound refuses new messages with
// 413. Handlers may call the Session's methods (Send waits for the peer's
// responses, which the connection's reader takes independently).
type Handler interface {
	// MSRPMessage delivers a complete message: a SEND with a non-empty
	// body, reassembled from its chunks (RFC 4975 §7.3.1). The Message
	// is the handler's; it holds the header fields of the first chunk and
	// Byte-Range 1-N/N, ready for Session.Report. Bodiless SENDs are not
	// delivered.
	MSRPMessage(s *Session, m *Message)
	// MSRPReport delivers a REPORT about a message this session sent
	// (RFC 4975 §7.3.2); REPORTs about unknown Message-IDs are dropped.
	MSRPReport(s *Session, r *Message)
	// MSRPClosed tells that the session ended by itself: its connection
	// failed or was closed by the peer (err wraps ErrConnectionLost), it
	// was idle (err wraps ErrIdle), or its TLS peer failed
	// authentication (err wraps ErrFingerprint). It is not called after
	// Session.Close or Endpoint.Close. Nothing is delivered after it.
	MSRPClosed(s *Session, err error)
}

// recentSent is how many Message-IDs a session remembers of the messages
// it sent, to match the REPORTs about them (RFC 4975 §7.3.2).
const recentSent = 128

// Reassembly housekeeping: incomplete messages that got no chunk for
// staleAfter are dropped, looked for at most every sweepEvery.
const (
	sweepEvery = 30 * time.Second
	staleAfter = 2 * time.Minute
)

// eventCost is what a queued event counts against the session memory
// bound besides its body, so that many small messages are bounded too.
const eventCost = 512

type eventKind uint8

const (
	evMessage eventKind = iota
	evReport
	evNickname
	evClosed
)

type event struct {
	kind eventKind
	m    *Message
	err  error
	cost int64
	// c and nick: the connection a NICKNAME came on, which its
	// response goes back on, and its decoded nickname.
	c    *conn
	nick string
}

// Session is one MSRP session (RFC 4975 §5): a local URI registered at
// the Endpoint, the peer's path once connected, and the connection it is
// bound to. Its methods are safe for concurrent use.
type Session struct {
	e         *Endpoint
	h         Handler
	id        string // session-id of the local URI
	local     Path
	secure    bool // msrps: over TLS only
	acceptAll bool
	accept    []string // media types in lower case; "type/*" wildcards

	ready chan struct{} // closed when Connect gives the remote path
	dead  chan struct{} // closed when the session ends
	wake  chan struct{} // capacity 1: events are queued

	last       atomic.Int64 // UnixNano of the last traffic
	userClosed atomic.Bool

	mu      sync.Mutex
	remote  Path
	fps     []Fingerprint // the peer's a=fingerprint, given with remote
	endErr  error         // why the session ended
	conn    *conn
	bound   chan struct{} // closed when a connection is bound
	closed  bool
	sending map[string]*sendOp // messages being sent, by Message-ID
	sentIDs recentIDs

	rmu       sync.Mutex // guards ra and lastSweep
	ra        *Reassembler
	lastSweep time.Time

	qmu    sync.Mutex
	queue  []event
	spare  []event
	qbytes int64
}

func newSession(e *Endpoint, h Handler, accept []string) *Session {
	if h == nil {
		h = nopHandler{}
	}
	s := &Session{
		e:     e,
		h:     h,
		ready: make(chan struct{}),
		dead:  make(chan struct{}),
		wake:  make(chan struct{}, 1),
		bound: make(chan struct{}),
		ra: NewReassembler(ReassemblyConfig{
			MaxMessageSize: e.o.MaxMessage,
			MaxBytes:       e.o.SessionBytes,
		}, e.budget),
	}
	s.acceptAll = len(accept) == 0
	for _, a := range accept {
		mt := MediaType(a)
		if mt == "*" || mt == "*/*" {
			s.acceptAll = true
		}
		if mt != "" {
			s.accept = append(s.accept, mt)
		}
	}
	s.touch()
	return s
}

type nopHandler struct{}

func (nopHandler) MSRPMessage(*Session, *Message) {}
func (nopHandler) MSRPReport(*Session, *Message)  {}
func (nopHandler) MSRPClosed(*Session, error)     {}

// LocalPath returns the session's own URI as a one-element Path: the
// value of the a=path attribute of our SDP (RFC 4975 §8.2).
func (s *Session) LocalPath() Path { return s.local.Clone() }

// Secure reports whether the session is an msrps one, over TLS
// (TCP/TLS/MSRP in SDP, RFC 4975 §8.1).
func (s *Session) Secure() bool { return s.secure }

// RemotePath returns the peer's path given to Connect, or nil.
func (s *Session) RemotePath() Path {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote.Clone()
}

// Connect binds the session to the peer's path (its a=path; the last URI
// is the peer, the first the hop to connect to, RFC 4975 §8.2). Bounded
// by ctx and the endpoint's ConnectTimeout.
//
// The path's scheme must be the session's (ErrSchemeMismatch). For an
// msrps session, fps are the peer's a=fingerprint values (RFC 8122 §5):
// the certificate of the TLS peer that connects, or that we connect to,
// must match one of them (ErrFingerprint: that connection is refused and
// the session torn down, RFC 4975 §14.4). Without fps, a peer we dial
// must have a certificate valid for its host (RFC 4975 §5.4), and a peer
// that dials us is known by its first request only.
//
// active (RFC 4975 §5.4; a=setup:active, RFC 6135): reuse a connection
// already dialled to the same scheme, host and port, or dial one (TLS
// for msrps), then send the bodiless SEND that binds the session at the
// peer and wait for its 200. passive: wait until the peer's first
// request for the session arrives on our listener, its From-Path naming
// the peer of remote (otherwise it is refused with 403).
//
// A peer may connect before Connect is called: its first request waits
// (up to the connect timeout) for Connect to say who the peer is. After
// an error the session stays unconnected: close it.
func (s *Session) Connect(ctx context.Context, remote Path, active bool, fps ...Fingerprint) error {
	if err := checkRemote(remote); err != nil {
		return err
	}
	switch {
	case remote[0].Secure != s.secure:
		return fmt.Errorf("msrp: connect: %w", ErrSchemeMismatch)
	case !s.secure && s.e.o.RequireTLS:
		return fmt.Errorf("msrp: connect: %w", ErrTLSRequired)
	}
	if t := s.e.o.ConnectTimeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return ErrSessionClosed
	case s.remote != nil:
		s.mu.Unlock()
		return ErrAlreadyConnected
	}
	s.remote = remote.Clone()
	s.fps = append([]Fingerprint(nil), fps...)
	close(s.ready)
	bound := s.bound
	s.mu.Unlock()
	s.touch()
	if !active {
		select {
		case <-bound:
			return nil
		case <-s.dead:
			return fmt.Errorf("msrp: connect: %w", s.failure())
		case <-ctx.Done():
			return fmt.Errorf("msrp: connect: no request from the peer: %w", ctx.Err())
		}
	}
	return s.connectActive(ctx, remote, fps)
}

// failure is why the session ended: ErrSessionClosed after Close.
func (s *Session) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.endErr == nil {
		return ErrSessionClosed
	}
	return s.endErr
}

// checkRemote: a path of valid URIs whose first hop can be dialled
// (RFC 4975 §8.2: URIs in SDP carry explicit ports).
func checkRemote(p Path) error {
	if len(p) == 0 {
		return fmt.Errorf("msrp: connect: %w: empty path", ErrBadURI)
	}
	for _, u := range p {
		if err := u.Validate(); err != nil {
			return fmt.Errorf("msrp: connect: %w", err)
		}
	}
	if p[0].Port == 0 {
		return fmt.Errorf("msrp: connect: %w: no port in %s", ErrBadURI, p[0])
	}
	return nil
}

func (s *Session) connectActive(ctx context.Context, remote Path, fps []Fingerprint) error {
	var c *conn
	for attempt := 0; ; attempt++ {
		c0, fresh, err := s.e.connTo(ctx, remote[0], fps)
		if err != nil {
			return err
		}
		c = c0
		if !fresh {
			// A reused connection was authenticated for another session:
			// check it for this one (RFC 8122 §5.1).
			if err := s.e.authenticate(c, fps); err != nil {
				s.e.met.connErrors.WithLabelValues(tlsReason(err)).Inc()
				return fmt.Errorf("msrp: connect: %w", err)
			}
		}
		err = c.bind(s)
		if err == nil {
			break
		}
		c.closeIfUnused()
		switch {
		case errors.Is(err, errBoundElse):
			return nil // the peer's first request bound it meanwhile
		case errors.Is(err, errConnClosing) && attempt == 0:
			continue // the connection was closing: dial a new one
		case errors.Is(err, ErrSessionClosed):
			err = s.failure()
		}
		return fmt.Errorf("msrp: connect: %w", err)
	}
	// RFC 4975 §5.4: the active endpoint MUST immediately issue a SEND;
	// with nothing to say, a bodiless one. Byte-Range 1-0/0 (§7.1.1).
	m := Message{
		TransactionID: NewTransactionID(),
		Method:        MethodSEND,
		ToPath:        remote,
		FromPath:      s.local,
		MessageID:     NewMessageID(),
		ByteRange:     ByteRange{Start: 1, End: 0, Total: 0},
		Flag:          FlagEnd,
	}
	op := newSendOp(s, m.MessageID)
	op.expect(m.TransactionID, true)
	err := c.register(m.TransactionID, op)
	if err == nil {
		err = c.queueData(ctx, &m, op.done)
	}
	if err == nil {
		op.allQueued()
		err = s.await(ctx, op, true)
	}
	c.unregister(op.tids)
	if err != nil {
		s.unbind(c)
		return fmt.Errorf("msrp: connect: %w", err)
	}
	return nil
}

// unbind undoes a binding whose bodiless SEND failed.
func (s *Session) unbind(c *conn) {
	s.mu.Lock()
	if s.conn != c {
		s.mu.Unlock()
		return
	}
	s.conn = nil
	s.bound = make(chan struct{})
	s.mu.Unlock()
	c.detach(s)
}

// Close ends the session: it is unregistered (later requests for it get
// 481), its pending Sends fail with ErrSessionClosed, nothing more is
// delivered to the handler (MSRPClosed is not called), and its
// connection is closed if no other session uses it.
func (s *Session) Close() {
	s.userClosed.Store(true)
	s.end(ErrSessionClosed, nil, false)
}

// end ends the session once: when only is not nil, only if the session
// is bound to that connection (which is failing and already forgot it).
// notify queues MSRPClosed.
func (s *Session) end(err error, only *conn, notify bool) {
	s.mu.Lock()
	if s.closed || (only != nil && s.conn != only) {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.endErr = err
	c := s.conn
	s.conn = nil
	ops := s.sending
	s.sending = nil
	s.mu.Unlock()

	s.e.reg.removeSession(s.id, s)
	if c != nil && c != only {
		c.detach(s)
	}
	s.rmu.Lock()
	s.ra.Close()
	s.rmu.Unlock()
	for _, op := range ops {
		op.finish(err)
	}
	s.e.met.sessions.Dec()
	if notify {
		s.qmu.Lock()
		s.queue = append(s.queue, event{kind: evClosed, err: err})
		s.qmu.Unlock()
	}
	close(s.dead) // after the close event is queued: run delivers it
}

func (s *Session) touch() { s.last.Store(time.Now().UnixNano()) }

func (s *Session) boundTo(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn == c
}

// accepts reports whether the session takes media type mt (RFC 4975
// §8.6: "*" takes any, "type/*" any subtype).
func (s *Session) accepts(mt string) bool {
	if s.acceptAll {
		return true
	}
	for _, a := range s.accept {
		if a == mt || (strings.HasSuffix(a, "/*") && strings.HasPrefix(mt, a[:len(a)-1])) {
			return true
		}
	}
	return false
}

// assemble adds a SEND chunk to the session's reassembly.
func (s *Session) assemble(m *Message) (Assembly, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	a, err := s.ra.Add(m)
	if s.ra.Pending() > 0 {
		if now := time.Now(); now.Sub(s.lastSweep) >= sweepEvery {
			s.lastSweep = now
			s.ra.Sweep(staleAfter)
		}
	}
	return a, err
}

func (s *Session) dropPartial(id string) {
	if id == "" {
		return
	}
	s.rmu.Lock()
	s.ra.Drop(id)
	s.rmu.Unlock()
}

// received handles a REPORT (RFC 4975 §7.3.2): one about a message we
// sent goes to the handler; a failure aborts that message if it is still
// being sent. REPORTs are never answered (§7.1.2).
func (s *Session) received(r *Message) {
	if r.Status.IsZero() || r.MessageID == "" {
		return // §7.1.2: a REPORT MUST carry Status and Message-ID
	}
	s.mu.Lock()
	known := s.sentIDs.has(r.MessageID)
	op := s.sending[r.MessageID]
	s.mu.Unlock()
	if !known {
		return // §7.1.2: SHOULD silently ignore
	}
	if r.Status.Code != StatusOK {
		s.e.met.reportFails.WithLabelValues(dirReceived).Inc()
		// §7.3.2: namespace 000 reads as the response code; a failure
		// for a message being sent aborts it.
		if op != nil && r.Status.Namespace == 0 {
			op.finish(&StatusError{Code: r.Status.Code, Comment: r.Status.Comment})
		}
	}
	s.push(event{kind: evReport, m: r.Clone()})
}

// push queues an event for the handler, or reports false when the
// session is over its memory bound (or ended).
func (s *Session) push(ev event) bool {
	ev.cost = eventCost
	if ev.m != nil {
		ev.cost += int64(len(ev.m.Body))
	}
	s.qmu.Lock()
	if s.qbytes > 0 && s.qbytes+ev.cost > s.e.o.SessionBytes {
		s.qmu.Unlock()
		return false
	}
	s.queue = append(s.queue, ev)
	s.qbytes += ev.cost
	s.qmu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return true
}

// run is the session's goroutine: it calls the handler and enforces the
// idle timeout.
func (s *Session) run() {
	defer s.e.wg.Done()
	idle := s.e.o.IdleTimeout
	var timer *time.Timer
	var tick <-chan time.Time
	if idle > 0 {
		timer = time.NewTimer(idle)
		defer timer.Stop()
		tick = timer.C
	}
	for {
		select {
		case <-s.wake:
		case <-s.dead:
		case <-tick:
			if d := time.Since(time.Unix(0, s.last.Load())); d < idle {
				timer.Reset(idle - d)
			} else {
				tick = nil
				s.end(fmt.Errorf("%w: no traffic for %v", ErrIdle, idle), nil, true)
			}
		}
		if s.drain() {
			return
		}
	}
}

// drain delivers the queued events; it reports true when the goroutine
// must end (the session was closed, or MSRPClosed was delivered).
func (s *Session) drain() bool {
	for {
		if s.userClosed.Load() {
			return true
		}
		s.qmu.Lock()
		batch := s.queue
		s.queue, s.spare = s.spare[:0], nil
		s.qmu.Unlock()
		for i := range batch {
			ev := batch[i]
			batch[i] = event{}
			if s.userClosed.Load() {
				return true
			}
			switch ev.kind {
			case evMessage:
				s.h.MSRPMessage(s, ev.m)
			case evReport:
				s.h.MSRPReport(s, ev.m)
			case evNickname:
				s.answerNickname(ev)
			case evClosed:
				s.h.MSRPClosed(s, ev.err)
				return true
			}
			s.qmu.Lock()
			s.qbytes -= ev.cost
			s.qmu.Unlock()
		}
		s.qmu.Lock()
		if cap(batch) <= 64 {
			s.spare = batch[:0] // reused for the next batch
		}
		s.qmu.Unlock()
		if len(batch) == 0 {
			return false
		}
	}
}

// recentIDs remembers the last recentSent Message-IDs, allocated on
// first use so that a session that never sends holds nothing.
type recentIDs struct {
	ids  *[recentSent]string
	next int
}

func (r *recentIDs) add(id string) {
	if r.ids == nil {
		r.ids = new([recentSent]string)
	}
	r.ids[r.next] = id
	r.next = (r.next + 1) % recentSent
}

func (r *recentIDs) has(id string) bool {
	if r.ids == nil {
		return false
	}
	for _, x := range r.ids {
		if x == id {
			return true
		}
	}
	return false
}
