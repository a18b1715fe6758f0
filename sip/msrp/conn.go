package msrp

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Connection tuning.
const (
	// writeTimeout bounds one write: a peer that reads nothing for this
	// long has failed, and so has the connection.
	writeTimeout = 30 * time.Second
	// maxDataQueue is how many octets of SEND chunks may wait to be
	// written before senders wait for room: enough to keep the
	// connection busy, little enough to bound memory.
	maxDataQueue = 64 << 10
	// maxCtrlQueue bounds the responses and REPORTs waiting to be
	// written: a peer that makes us queue more is not reading them.
	maxCtrlQueue = 1 << 20
	// readBufferSize is the bufio buffer of each connection.
	readBufferSize = 4 << 10
)

var (
	errConnClosing = errors.New("msrp: connection closing")
	errBoundElse   = errors.New("msrp: session bound to another connection")
	errOverflow    = errors.New("msrp: peer does not read its responses")
)

// conn is one transport connection (TCP or TLS), accepted or dialled,
// carrying the sessions bound to it (RFC 4975 §5.4). One goroutine reads
// it and dispatches requests and responses; another writes it: senders
// and the reader queue whole frames, so chunks of different messages
// interleave only at chunk boundaries, and responses and REPORTs go
// before queued SEND chunks (RFC 4975 §7.1.1: they must not wait behind
// large SENDs). The reader never waits for a write, so two peers sending
// large messages to each other at once cannot deadlock.
type conn struct {
	e        *Endpoint
	nc       net.Conn
	key      string // dialKey for a dialled connection, "" for an accepted one
	accepted bool
	peer     netip.Addr    // of an accepted connection: its place in Endpoint.admit
	done     chan struct{} // closed when the connection has ended

	// TLS: secure for msrps; host is the host dialled ("" for an
	// accepted connection); peerCerts what the peer presented, leaf
	// first. Set before the connection carries any session.
	secure    bool
	host      string
	peerCerts []*x509.Certificate

	mu        sync.Mutex
	closed    bool // no new bindings: closing or ended
	ended     bool
	everBound bool
	sessions  map[*Session]struct{}
	pending   map[string]*sendOp // transaction id -> the Send awaiting its response

	// Write queue, guarded by qmu; wake (capacity 1) tells the writer.
	qmu     sync.Mutex
	qclosed bool
	closing bool          // write what is queued, then close
	ctrl    wbuf          // responses and REPORTs
	data    wbuf          // SEND chunks
	space   chan struct{} // closed (and replaced) when the writer takes the queue
	waiting bool          // a sender waits on space
	wake    chan struct{}

	// Owned by the reader goroutine.
	resp Message
}

func newConn(e *Endpoint, nc net.Conn, key string, accepted bool) *conn {
	return &conn{
		e:        e,
		nc:       nc,
		key:      key,
		accepted: accepted,
		done:     make(chan struct{}),
		space:    make(chan struct{}),
		wake:     make(chan struct{}, 1),
	}
}

// readLoop reads frames until the connection ends.
func (c *conn) readLoop() {
	defer c.e.wg.Done()
	if c.accepted {
		// An accepted connection must bind a session within the connect
		// timeout (RFC 4975 §5.4: the first request names it); the
		// deadline is lifted by the first binding.
		deadline := time.Now().Add(c.e.o.ConnectTimeout)
		if err := c.nc.SetReadDeadline(deadline); err != nil {
			c.fail(reasonRead, err)
			return
		}
		if tc, ok := c.nc.(*tls.Conn); ok {
			_ = tc.SetWriteDeadline(deadline)
			if err := tc.Handshake(); err != nil {
				c.fail(reasonHandshake, err)
				return
			}
			_ = tc.SetWriteDeadline(time.Time{})
			c.peerCerts = tc.ConnectionState().PeerCertificates
		}
	}
	rd := NewReader(bufio.NewReaderSize(c.nc, readBufferSize), c.e.limits, c.e.pool)
	var m Message
	for {
		err := rd.Read(&m)
		if err != nil {
			var fe *FrameError
			if errors.As(err, &fe) && fe.Recoverable {
				// RFC 4975 §7.3: a malformed request (400) or a chunk over
				// the size bound (413) is answered; the stream goes on.
				if fe.Request && fe.Code != 0 {
					c.refuse(&m, fe.Code)
					if fe.Code == StatusTooLarge {
						c.dropPartial(&m)
					}
				}
				continue
			}
			c.fail(c.readReason(err), err)
			return
		}
		if m.IsRequest() {
			c.request(&m)
		} else {
			c.response(&m)
		}
		rd.Release()
	}
}

func (c *conn) readReason(err error) string {
	c.mu.Lock()
	bound := c.everBound
	c.mu.Unlock()
	var ne net.Error
	switch {
	case err == io.EOF:
		if bound {
			return reasonEOF
		}
		return "" // opened and closed without ever binding a session
	case errors.As(err, &ne) && ne.Timeout():
		if !bound {
			return reasonUnbound
		}
		return reasonRead
	case errors.Is(err, ErrDesync):
		return reasonDesync
	}
	return reasonRead
}

// request dispatches a request: RFC 4975 §7.3 first finds its session,
// then acts by method.
func (c *conn) request(m *Message) {
	s, code := c.sessionFor(m)
	if s == nil {
		if code != 0 {
			c.refuse(m, code)
		}
		return
	}
	s.touch()
	switch m.Method {
	case MethodSEND:
		c.send(s, m)
	case MethodREPORT:
		s.received(m)
	case MethodNICKNAME:
		// RFC 7701 §7.1: only a chat room's sessions take it; others
		// answer 501 (RFC 4975 §12).
		c.nickname(s, m)
	default:
		// RFC 4975 §12: 501 for a method we do not implement.
		c.refuse(m, StatusNotImplemented)
	}
}

// sessionFor finds the session a request is for, binding it to this
// connection when the request is the first of the session (RFC 4975
// §5.4), or returns the status to refuse it with (0: none, the
// connection was closed).
func (c *conn) sessionFor(m *Message) (*Session, int) {
	// RFC 4975 §7.3: the To-Path has exactly one URI, which must map to
	// an existing session associated with this connection; else 481.
	if len(m.ToPath) != 1 {
		return nil, StatusNoSession
	}
	s := c.e.reg.session(m.ToPath[0].SessionID)
	if s == nil {
		return nil, StatusNoSession
	}
	if s.secure != c.secure {
		// RFC 4975 §6: an msrps session is carried over TLS only, an
		// msrp one over plain TCP (its URI names the other listener).
		return nil, StatusForbidden
	}
	for range 3 {
		s.mu.Lock()
		closed, bound, remote, ready, fps := s.closed, s.conn, s.remote, s.ready, s.fps
		s.mu.Unlock()
		switch {
		case closed:
			return nil, StatusNoSession
		case bound == c:
			return s, 0
		case bound != nil:
			// RFC 4975 §5.4: a session is used on one connection only.
			return nil, StatusSessionAlreadyBound
		case remote == nil:
			// The peer connected before our side called Connect (it
			// learnt our path from the SDP we sent): wait for it.
			if !c.awaitReady(s, ready) {
				return nil, StatusNoSession
			}
			continue
		}
		// RFC 4975 §5.4: the first request binds the session to the
		// connection; its sender must be the peer of the SDP exchange.
		if !fromPathMatches(m.FromPath, remote) {
			return nil, StatusForbidden
		}
		if err := c.e.authenticate(c, fps); err != nil {
			return nil, c.untrusted(s, err)
		}
		switch err := c.bind(s); err {
		case nil:
			return s, 0
		case errBoundElse:
			continue // bound meanwhile: look again
		default:
			return nil, StatusNoSession
		}
	}
	return nil, StatusNoSession
}

// untrusted handles a TLS peer that failed authentication for s (its
// certificate does not match the fingerprint of its SDP): the session is
// torn down (RFC 4975 §14.4), and so is the connection (RFC 8122 §6.2),
// unless it carries other sessions, authenticated for them: then only
// this request is refused (403). It returns the status to answer with,
// 0 for none.
func (c *conn) untrusted(s *Session, err error) int {
	c.e.met.connErrors.WithLabelValues(tlsReason(err)).Inc()
	c.e.log.Info("msrp: TLS peer refused", "err", err, "remote", c.nc.RemoteAddr().String())
	s.end(err, nil, true)
	c.mu.Lock()
	unused := !c.everBound
	c.mu.Unlock()
	if unused {
		c.fail("", err) // counted above
		return 0
	}
	return StatusForbidden
}

// awaitReady waits until Connect gives s its remote path, for at most the
// connect timeout.
func (c *conn) awaitReady(s *Session, ready chan struct{}) bool {
	t := time.NewTimer(c.e.o.ConnectTimeout)
	defer t.Stop()
	select {
	case <-ready:
		return true
	case <-s.dead:
	case <-c.done:
	case <-t.C:
	}
	return false
}

// fromPathMatches reports whether a request's From-Path names the peer
// whose path the SDP gave (the last URI of each): equal URIs (RFC 4975
// §6.1), or the same session-id, since a middlebox may rewrite the
// authority (as RFC 6714 does).
func fromPathMatches(from, remote Path) bool {
	if len(from) == 0 || len(remote) == 0 {
		return false
	}
	f, r := from[len(from)-1], remote[len(remote)-1]
	return f.Equal(r) || (f.SessionID != "" && f.SessionID == r.SessionID)
}

// send handles a SEND chunk (RFC 4975 §7.3.1).
func (c *conn) send(s *Session, m *Message) {
	// RFC 4975 §7.3.1, §8.6: a media type the session does not take gets
	// 415 (each chunk carries the Content-Type, so each gets it).
	if m.HasBody() && !s.accepts(m.MediaType()) {
		s.dropPartial(m.MessageID)
		c.refuse(m, StatusUnsupportedMedia)
		return
	}
	a, err := s.assemble(m)
	if err != nil {
		code := StatusBadRequest
		var ce *ChunkError
		if errors.As(err, &ce) {
			code = ce.Code
		}
		c.refuse(m, code)
		return
	}
	if a.Complete && len(a.Message.Body) > 0 {
		msg := a.Message
		if msg == m {
			msg = m.Clone() // the Reader reuses m
		} else {
			c.e.met.reassemblies.Inc()
		}
		// A handler that falls behind makes the session refuse further
		// messages (413) rather than hold the connection's other
		// sessions up. Once pushed, msg is the handler's.
		n := len(msg.Body)
		if !s.push(event{kind: evMessage, m: msg}) {
			c.refuse(m, StatusTooLarge)
			return
		}
		c.e.met.messages.WithLabelValues(dirIn).Inc()
		c.e.met.bytes.WithLabelValues(dirIn).Add(float64(n))
	}
	// Bodiless SENDs (RFC 4975 §5.4, keep-alives) and chunks of
	// incomplete messages are only acknowledged.
	if r := Decide(m, PhaseTransaction, StatusOK); r.Response != 0 {
		c.respond(m, r.Response)
	}
}

// dropPartial forgets the incomplete message of a refused chunk.
func (c *conn) dropPartial(m *Message) {
	if len(m.ToPath) != 1 || m.MessageID == "" {
		return
	}
	if s := c.e.reg.session(m.ToPath[0].SessionID); s != nil && s.boundTo(c) {
		s.dropPartial(m.MessageID)
	}
}

// refuse answers a request with an error status, if its Failure-Report
// asks for it (RFC 4975 §7.1.4, §7.2; never for a REPORT, §7.1.2).
func (c *conn) refuse(m *Message, code int) {
	c.e.met.rejected.WithLabelValues(codeLabel(code)).Inc()
	if r := Decide(m, PhaseTransaction, code); r.Response != 0 {
		c.respond(m, r.Response)
	}
}

// respond queues the response to m (RFC 4975 §7.2: on the connection the
// request came on).
func (c *conn) respond(m *Message, code int) {
	if err := c.resp.InitResponse(m, code, ""); err != nil {
		return // no path to answer on (a malformed request)
	}
	if err := c.queueCtrl(&c.resp); err != nil && !errors.Is(err, ErrConnectionLost) {
		c.e.log.Debug("msrp: response not sent", "code", code, "err", err)
	}
}

// response matches a response to its transaction (RFC 4975 §7.1.1).
func (c *conn) response(m *Message) {
	c.mu.Lock()
	op := c.pending[m.TransactionID]
	delete(c.pending, m.TransactionID)
	c.mu.Unlock()
	if op != nil {
		op.s.touch()
		op.response(m.Code, m.Comment)
	}
}

// bind associates s with the connection: the session's requests and
// responses use it from now on.
func (c *conn) bind(s *Session) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errConnClosing
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrSessionClosed
	case s.conn == c:
		return nil
	case s.conn != nil:
		return errBoundElse
	}
	s.conn = c
	close(s.bound)
	if c.sessions == nil {
		c.sessions = make(map[*Session]struct{})
	}
	c.sessions[s] = struct{}{}
	if !c.everBound {
		c.everBound = true
		if c.accepted {
			_ = c.nc.SetReadDeadline(time.Time{})
		}
	}
	return nil
}

// detach removes s from the connection, which is closed once it carries
// no session (RFC 4975 §5.4: not while sessions use it), after writing
// what is queued.
func (c *conn) detach(s *Session) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	delete(c.sessions, s)
	idle := len(c.sessions) == 0 && c.everBound && !c.closed
	if idle {
		c.closed = true
		c.e.reg.unindex(c) // no longer offered for reuse (lock order: c.mu, then reg.mu)
	}
	c.mu.Unlock()
	if !idle {
		return
	}
	c.qmu.Lock()
	c.closing = true
	c.qmu.Unlock()
	c.kick()
}

// closeIfUnused closes a dialled connection that never carried a
// session (its binding failed).
func (c *conn) closeIfUnused() {
	c.mu.Lock()
	unused := !c.everBound && !c.accepted
	c.mu.Unlock()
	if unused {
		c.fail("", nil)
	}
}

// register records that op awaits the response to transaction tid.
func (c *conn) register(tid string, op *sendOp) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return ErrConnectionLost
	}
	if c.pending == nil {
		c.pending = make(map[string]*sendOp)
	}
	c.pending[tid] = op
	return nil
}

func (c *conn) unregister(tids []string) {
	if len(tids) == 0 {
		return
	}
	c.mu.Lock()
	for _, t := range tids {
		delete(c.pending, t)
	}
	c.mu.Unlock()
}

// queueCtrl queues a response or a REPORT, ahead of SEND chunks. It
// never waits.
func (c *conn) queueCtrl(m *Message) error {
	c.qmu.Lock()
	if c.qclosed || c.closing {
		c.qmu.Unlock()
		return ErrConnectionLost
	}
	if err := c.ctrl.append(c.e.pool, m); err != nil {
		c.qmu.Unlock()
		return fmt.Errorf("msrp: %w", err)
	}
	over := len(c.ctrl.b) > maxCtrlQueue
	c.qmu.Unlock()
	if over {
		c.fail(reasonOverflow, errOverflow)
		return ErrConnectionLost
	}
	c.kick()
	return nil
}

// queueData queues a SEND chunk, waiting while the queue is full; it
// gives up when ctx ends, the connection ends or stop is closed.
func (c *conn) queueData(ctx context.Context, m *Message, stop <-chan struct{}) error {
	for {
		c.qmu.Lock()
		if c.qclosed || c.closing {
			c.qmu.Unlock()
			return ErrConnectionLost
		}
		if len(c.data.b) < maxDataQueue {
			if err := c.data.append(c.e.pool, m); err != nil {
				c.qmu.Unlock()
				return fmt.Errorf("msrp: %w", err)
			}
			c.qmu.Unlock()
			c.kick()
			return nil
		}
		space := c.space
		c.waiting = true
		c.qmu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			return nil // the caller looks at why
		}
	}
}

func (c *conn) kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// writeLoop writes what is queued until the connection ends: responses
// and REPORTs first, then SEND chunks, in one system call where the
// transport allows (writev).
func (c *conn) writeLoop() {
	defer c.e.wg.Done()
	bufs := make(net.Buffers, 0, 2)
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
		for {
			c.qmu.Lock()
			if c.qclosed {
				c.qmu.Unlock()
				return
			}
			if len(c.ctrl.b) == 0 && len(c.data.b) == 0 {
				closing := c.closing
				c.qmu.Unlock()
				if closing {
					c.fail("", nil)
					return
				}
				break
			}
			ctrl, data := c.ctrl, c.data
			c.ctrl, c.data = wbuf{}, wbuf{}
			if c.waiting { // senders may queue the next batch meanwhile
				close(c.space)
				c.space = make(chan struct{})
				c.waiting = false
			}
			c.qmu.Unlock()

			bufs = bufs[:0]
			if len(ctrl.b) > 0 {
				bufs = append(bufs, ctrl.b)
			}
			if len(data.b) > 0 {
				bufs = append(bufs, data.b)
			}
			err := c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
			if err == nil {
				_, err = bufs.WriteTo(c.nc)
			}
			ctrl.release(c.e.pool)
			data.release(c.e.pool)
			if err != nil {
				c.fail(reasonWrite, err)
				return
			}
		}
	}
}

// wbuf is a write buffer taken from the Endpoint's BufferPool when
// something is queued and given back once written, so that an idle
// connection holds none.
type wbuf struct {
	p *[]byte
	b []byte
}

// append appends the wire form of m, growing the buffer from the pool.
func (w *wbuf) append(pool *BufferPool, m *Message) error {
	need := frameSizeHint(m)
	if w.p == nil {
		w.p = pool.Get(max(need, 4<<10))
		w.b = *w.p
	} else if cap(w.b)-len(w.b) < need {
		np := pool.Get(len(w.b) + need)
		nb := append(*np, w.b...)
		w.release(pool)
		w.p, w.b = np, nb
	}
	b, err := m.Append(w.b)
	if err != nil {
		return err
	}
	w.b = b
	return nil
}

func (w *wbuf) release(pool *BufferPool) {
	if w.p != nil {
		*w.p = w.b[:0]
		pool.Put(w.p)
	}
	*w = wbuf{}
}

// frameSizeHint estimates the wire size of m from above for usual
// frames (the estimate only saves reallocations).
func frameSizeHint(m *Message) int {
	n := 256 + len(m.Body) + len(m.MessageID) + len(m.ContentType) + len(m.Comment) + len(m.Status.Comment)
	for _, p := range [2]Path{m.ToPath, m.FromPath} {
		for _, u := range p {
			n += 32 + len(u.User) + len(u.Host) + len(u.SessionID) + len(u.Transport) + len(u.Params)
		}
	}
	for _, h := range m.Headers {
		n += 4 + len(h.Name) + len(h.Value)
	}
	return n
}

// fail ends the connection: every session bound to it fails (RFC 4975
// §5.4) and every transaction awaiting a response on it. reason labels
// the error metric; "" for a connection we closed ourselves.
func (c *conn) fail(reason string, cause error) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended, c.closed = true, true
	sessions, pending := c.sessions, c.pending
	c.sessions, c.pending = nil, nil
	c.mu.Unlock()

	c.qmu.Lock()
	c.qclosed = true
	close(c.space)
	c.ctrl.release(c.e.pool)
	c.data.release(c.e.pool)
	c.qmu.Unlock()
	close(c.done)
	_ = c.nc.Close()
	c.e.reg.removeConn(c)
	c.e.met.connections.Dec()
	if c.accepted {
		c.e.admit.release(c.peer)
	}

	err := ErrConnectionLost
	if cause != nil {
		err = fmt.Errorf("%w: %w", ErrConnectionLost, cause)
	}
	if reason != "" {
		c.e.met.connErrors.WithLabelValues(reason).Inc()
		c.e.log.Debug("msrp: connection failed", "reason", reason, "remote", c.nc.RemoteAddr().String(), "err", cause)
	}
	for _, op := range pending {
		op.finish(err)
	}
	for s := range sessions {
		s.end(err, c, true)
	}
}
