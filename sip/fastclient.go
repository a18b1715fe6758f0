package sip

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"
)

// The UDP fast path for the requests sxgw sends. sipgo runs every client
// transaction on goroutines of its own with its timers, clones the request
// and hands every response to a new goroutine; for the non-INVITE requests
// sxgw sends over UDP (MESSAGE above all, NOTIFY, SUBSCRIBE, BYE) the
// endpoint runs the transaction itself on the sender's goroutine (RFC 3261
// §17.1.2: Timer E retransmits from T1 doubling to T2, and every T2 once a
// provisional response came; Timer F gives up after 64*T1), and the
// listener's reader hands it its responses, matched by the branch of the
// top Via (§17.1.3; the CSeq method checked too). INVITE transactions and
// the other transports stay with sipgo.

// clientTxs are the fast path's client transactions waiting for their
// final response, by branch, and the branches of those completed within
// Timer K (T4 over UDP, RFC 3261 §17.1.2.2), whose late copies of the
// final response are absorbed.
type clientTxs struct {
	n     atomic.Int64 // transactions waiting or completed within T4
	mu    sync.Mutex
	txs   map[string]*clientTx
	done  [2]map[string]struct{} // completed: this T4 period and the last
	since time.Time              // start of done[0]'s period
	conns sync.Map               // netip.AddrPort (local, unmapped) -> *net.UDPConn: UDP listeners
}

// clientTx is one transaction's side the reader talks to.
type clientTx struct {
	method     sipgosip.RequestMethod
	proceeding atomic.Bool             // a provisional response came
	final      chan *sipgosip.Response // buffered: the first final response
}

func newClientTxs() *clientTxs {
	return &clientTxs{txs: map[string]*clientTx{}, done: [2]map[string]struct{}{{}, {}}, since: time.Now()}
}

// rotate starts a new T4 period when the current one is over; branches
// completed two periods ago (at least T4) are forgotten. Holds c.mu.
func (c *clientTxs) rotate(now time.Time) {
	if now.Sub(c.since) < sipgosip.T4 {
		return
	}
	if now.Sub(c.since) >= 2*sipgosip.T4 {
		clear(c.done[1])
	} else {
		c.done[1] = c.done[0]
	}
	c.done[0] = map[string]struct{}{}
	c.since = now
	c.count()
}

func (c *clientTxs) count() { c.n.Store(int64(len(c.txs) + len(c.done[0]) + len(c.done[1]))) }

// addConn records a UDP listener socket requests may leave from.
func (c *clientTxs) addConn(uc *net.UDPConn) {
	if ua, ok := uc.LocalAddr().(*net.UDPAddr); ok {
		ap := ua.AddrPort()
		c.conns.Store(netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), uc)
	}
}

// connFor returns the listener socket of local address laddr.
func (c *clientTxs) connFor(laddr sipgosip.Addr) (*net.UDPConn, bool) {
	ip, ok := netip.AddrFromSlice(laddr.IP)
	if !ok || laddr.Port <= 0 || laddr.Port > 65535 {
		return nil, false
	}
	v, ok := c.conns.Load(netip.AddrPortFrom(ip.Unmap(), uint16(laddr.Port)))
	if !ok {
		return nil, false
	}
	return v.(*net.UDPConn), true
}

func (c *clientTxs) add(branch string, tx *clientTx) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.txs[branch]; dup {
		return false
	}
	c.txs[branch] = tx
	c.count()
	return true
}

// remove ends the transaction of branch; completed, its branch is kept
// for Timer K.
func (c *clientTxs) remove(branch string, completed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.txs, branch)
	c.rotate(time.Now())
	if completed {
		c.done[0][branch] = struct{}{}
	}
	c.count()
}

// get returns the transaction of branch, or completed if its final
// response came within Timer K.
func (c *clientTxs) get(branch string) (tx *clientTx, completed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rotate(time.Now())
	if tx := c.txs[branch]; tx != nil {
		return tx, false
	}
	_, a := c.done[0][branch]
	_, b := c.done[1][branch]
	return nil, a || b
}

// fastAttempt reports whether r, stamped for t, goes as a fast-path
// transaction, and from which socket.
func (e *Endpoint) fastAttempt(r *sipgosip.Request, t Target) (*net.UDPConn, bool) {
	if t.Transport != TransportUDP || r.Method == sipgosip.INVITE || r.Method == sipgosip.ACK || r.Method == sipgosip.CANCEL {
		return nil, false
	}
	return e.clients.connFor(r.Laddr)
}

// attemptUDP runs r as a non-INVITE client transaction over UDP from conn
// to t (RFC 3261 §17.1.2) and returns its final response.
func (e *Endpoint) attemptUDP(ctx context.Context, r *sipgosip.Request, t Target, conn *net.UDPConn) (*sipgosip.Response, error) {
	via := r.Via()
	if via == nil {
		return nil, fmt.Errorf("%w: no Via", ErrBadRequest)
	}
	branch, _ := via.Params.Get("branch")
	tx := &clientTx{method: r.Method, final: make(chan *sipgosip.Response, 1)}
	if branch == "" || !e.clients.add(branch, tx) {
		return nil, fmt.Errorf("%w: branch %q not unique", ErrBadRequest, branch)
	}
	completed := false
	defer func() { e.clients.remove(branch, completed) }()

	var b bytes.Buffer
	r.StringWrite(&b)
	msg := b.Bytes()
	send := func() error {
		if _, err := conn.WriteToUDPAddrPort(msg, t.Addr); err != nil {
			return &net.OpError{Op: "write", Net: "udp", Addr: net.UDPAddrFromAddrPort(t.Addr), Err: err}
		}
		return nil
	}
	if err := send(); err != nil {
		return nil, err
	}
	interval := sipgosip.T1
	timerE := time.NewTimer(interval)
	defer timerE.Stop()
	timerF := time.NewTimer(64 * sipgosip.T1)
	defer timerF.Stop()
	for {
		select {
		case res := <-tx.final:
			completed = true
			return res, nil
		case <-timerE.C:
			if tx.proceeding.Load() {
				interval = sipgosip.T2
			} else {
				interval = min(2*interval, sipgosip.T2)
			}
			if err := send(); err != nil {
				return nil, err
			}
			timerE.Reset(interval)
		case <-timerF.C:
			return nil, fmt.Errorf("%w (Timer F, RFC 3261 §17.1.2.2)", errNoResponse)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-e.coreCtx.Done():
			return nil, ErrClosed
		}
	}
}

// isResponse reports whether a datagram starts with a status line.
func isResponse(data []byte) bool { return bytes.HasPrefix(data, []byte("SIP/2.0 ")) }

// takeResponse hands a response datagram to the fast-path transaction it
// answers; false leaves it to sipgo (not a response, or not for one of
// ours).
func (e *Endpoint) takeResponse(data []byte) bool {
	if e.clients.n.Load() == 0 || !isResponse(data) {
		return false
	}
	msg, err := e.parser.ParseSIP(data)
	if err != nil {
		return false
	}
	res, ok := msg.(*sipgosip.Response)
	if !ok {
		return false
	}
	via, cseq := res.Via(), res.CSeq()
	if via == nil || cseq == nil {
		return false
	}
	branch, _ := via.Params.Get("branch")
	tx, completed := e.clients.get(branch)
	if completed {
		return true // a late copy of a final response (Timer K): absorbed
	}
	if tx == nil || cseq.MethodName != tx.method {
		return false
	}
	if res.StatusCode < 200 {
		tx.proceeding.Store(true)
		return true
	}
	select {
	case tx.final <- res:
	default: // a retransmission of the final response (§17.1.2.2: absorbed)
	}
	return true
}
