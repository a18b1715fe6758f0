package sip

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
)

// The UDP fast path. sipgo hands every request to a goroutine of its own
// with a full server transaction (a state machine, timers, a context, a
// response built as a header list then serialized). For MESSAGE over UDP,
// the bulk of the traffic, the endpoint does that work itself: the
// listener's reads pass through fastUDP, which takes MESSAGE datagrams
// before sipgo sees them and runs them on reused worker goroutines, in a
// non-INVITE server transaction of its own (RFC 3261 §17.2.2: a
// retransmission while Trying is absorbed, one after the final response
// gets it again, for Timer J = 64*T1) whose responses are written straight
// from the request's bytes. Every other datagram goes on to sipgo as
// before. The request pipeline (checks, handlers) is the same for both.

// fastQueue bounds the MESSAGEs waiting for a fast-path worker: about
// 100 ms of work at 40,000 requests a second, beyond fastMaxQueueDelay
// (what waits longer is refused anyway).
const fastQueue = 4096

// fastWorkers is how many workers serve the fast path: one per CPU but
// one. MESSAGE handling waits neither on the core (MessageStarter) nor on
// the network (sends are queued), so a worker keeps a CPU busy. The CPU
// left over is the socket reader's: the Go scheduler looks at the network
// only when a CPU runs out of work, so with every CPU busy on workers the
// reader would run only every 10 ms or so, the socket's buffer would
// overflow, and overload would be dropped instead of refused with 503.
func fastWorkers() int { return max(1, runtime.GOMAXPROCS(0)-1) }

// fastMaxQueueDelay bounds how long a MESSAGE may wait between its
// arrival in the socket's buffer (the kernel's timestamp, where there is
// one) and the start of its processing. Beyond it the endpoint is
// overloaded (the work queued ahead of the request takes longer than this
// to run): the request gets 503 with Retry-After at once (RFC 3261
// §21.5.4), which costs a fraction of serving it, so that the backlog
// shrinks before the socket's buffer overflows and requests are lost
// unanswered. A 4 MiB buffer holds about 60 ms of datagrams at 30,000
// MESSAGEs a second: the bound sits well inside it, and far under T1
// (500 ms), so that shedding starts before UAs retransmit into the
// backlog.
const fastMaxQueueDelay = 50 * time.Millisecond

// fastClockJump is a queueing delay taken for a step of the wall clock
// between a datagram's arrival stamp and its read rather than a real wait.
const fastClockJump = 10 * time.Second

// fastJob is one MESSAGE datagram taken from a UDP listener.
type fastJob struct {
	data []byte // a copy: the listener reuses its buffer
	src  netip.AddrPort
	conn *net.UDPConn
	read time.Time // when it arrived in the socket (or was read off it)
}

// fastPath is the endpoint's state for the UDP fast path.
type fastPath struct {
	keyer   txKeyer
	txs     *txTable
	workers *workerPool[fastJob]
	bufs    sync.Pool // *[]byte, response buffers
	ok      *txReply  // the 200 OK every accepted MESSAGE shares
	shed    *txReply  // the 503 every refused one shares
	absorbs prometheus.Counter
	delay   prometheus.Histogram // arrival to start of processing
}

func newFastPath(e *Endpoint) *fastPath {
	f := &fastPath{
		keyer: newTxKeyer(),
		ok:    &txReply{code: 200, reason: "OK"},
		shed: &txReply{code: 503, reason: "Service Unavailable",
			headers: []headerLine{{"Retry-After", overloadRetryAfter}}},
		absorbs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sxgw_sip_retransmissions_absorbed_total",
			Help: "Retransmitted SIP requests absorbed by their server transaction (dropped while it works, or answered again with its final response), not processed again.",
		}),
		delay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "sxgw_sip_queue_delay_seconds",
			Help:    "Time SIP MESSAGEs over UDP waited between their arrival in the socket and the start of their processing; beyond 50 ms they are refused with 503.",
			Buckets: []float64{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1},
		}),
	}
	f.txs = newTxTable(txTableMax, time.Now(), f.ok, f.shed)
	f.bufs.New = func() any { b := make([]byte, 0, 1500); return &b }
	f.workers = newWorkerPool(fastWorkers(), fastQueue, func(j fastJob) { e.serveFast(j, false) })
	return f
}

// fastUDP is a UDP listener socket as sipgo reads it (from one goroutine):
// MESSAGE requests and the responses of fast-path client transactions
// are taken by the fast path, every other datagram is returned.
type fastUDP struct {
	*net.UDPConn
	e       *Endpoint
	stamped bool // the kernel stamps arrivals (enableRxTimestamps)
	oob     [rxOOBSize]byte
}

func newFastUDP(c *net.UDPConn, e *Endpoint) *fastUDP {
	return &fastUDP{UDPConn: c, e: e, stamped: enableRxTimestamps(c)}
}

// ReadFrom returns the next datagram the fast path does not take.
func (c *fastUDP) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		var arrived time.Time
		var n int
		var src netip.AddrPort
		var err error
		if c.stamped {
			var oobn int
			n, oobn, _, src, err = c.ReadMsgUDPAddrPort(b, c.oob[:])
			arrived = rxTime(c.oob[:oobn])
		} else {
			n, src, err = c.ReadFromUDPAddrPort(b)
		}
		if err != nil {
			return n, nil, err
		}
		if !c.e.takeUDP(c.UDPConn, b[:n], src, arrived) && !c.e.takeResponse(b[:n]) {
			return n, net.UDPAddrFromAddrPort(src), nil
		}
	}
}

// isMessageRequest reports whether a datagram starts with a MESSAGE
// request line (method names are case-sensitive, RFC 3261 §7.1).
func isMessageRequest(data []byte) bool {
	return bytes.HasPrefix(data, []byte("MESSAGE "))
}

// takeUDP takes a MESSAGE datagram for the fast path; false leaves it to
// sipgo. arrived is when the kernel received it, or the zero time if
// unknown (then its read is its arrival).
func (e *Endpoint) takeUDP(conn *net.UDPConn, data []byte, src netip.AddrPort, arrived time.Time) bool {
	if !isMessageRequest(data) {
		return false
	}
	if !e.enter() {
		return true // closing: dropped, as sipgo drops it
	}
	now := time.Now()
	if arrived.IsZero() || arrived.After(now) || now.Sub(arrived) > fastClockJump {
		arrived = now
	}
	// The arrival as a time with the monotonic reading of now, so that a
	// step of the wall clock while the job waits does not count.
	j := fastJob{data: bytes.Clone(data), src: src, conn: conn, read: now.Add(-now.Sub(arrived))}
	if now.Sub(arrived) > fastMaxQueueDelay {
		// It waited too long in the socket's buffer: the backlog is
		// already past the bound. Answer 503 here, before taking more
		// work, so that the reader gains on the backlog.
		e.serveFast(j, true)
		return true
	}
	if !e.fast.workers.submit(j) {
		// Every worker is busy and the queue full: answer 503 on the
		// reader (RFC 3261 §21.5.4).
		e.serveFast(j, true)
	}
	return true
}

// serveFast parses a MESSAGE datagram and runs it through its server
// transaction and the pipeline; shed (or a wait since its read longer
// than fastMaxQueueDelay) refuses it with 503. enter was called for it.
func (e *Endpoint) serveFast(j fastJob, shed bool) {
	var t *udpTx
	defer func() {
		if t == nil || !t.detached {
			e.leave()
		}
	}()
	now := time.Now()
	wait := now.Sub(j.read)
	e.fast.delay.Observe(wait.Seconds())
	if wait > fastMaxQueueDelay {
		shed = true
	}
	req, ok := parseFastMessage(j.data, e.parser.MaxMessageLength)
	if !ok {
		msg, err := e.parser.ParseSIP(j.data)
		if err != nil {
			// As sipgo: an unparsable datagram has no transaction to answer.
			e.log.Debug("dropping unparsable request", "error", err)
			return
		}
		if req, ok = msg.(*sipgosip.Request); !ok {
			return
		}
	}
	req.SetTransport("UDP")
	req.SetSource(j.src.String())
	t = &udpTx{e: e, conn: j.conn, dst: j.src, req: req, raw: j.data}

	var idBuf [256]byte
	id, ok := appendTxID(idBuf[:0], req)
	if !ok {
		// No Via or CSeq: no transaction can be made, a stateless 400
		// (as sipgo answers it).
		_ = t.respondStatus(400, "Bad Request", nil)
		return
	}
	t.key, t.keyed = e.fast.keyer.key(id), true
	if to := req.To(); to != nil && !hasTag(to.Params) {
		var tag [16]byte
		t.tag = string(e.fast.keyer.appendTag(tag[:0], id))
	}
	switch st, r := e.fast.txs.begin(t.key, now); st {
	case txPending:
		e.fast.absorbs.Inc() // RFC 3261 §17.2.2: absorbed while Trying
		return
	case txCompleted:
		e.fast.absorbs.Inc()
		t.resend(r)
		return
	case txFull:
		t.keyed = false // not remembered: answered statelessly
		shed = true
	}
	e.pipeline(req, t, shed)
}

// appendTxID appends the fields identifying req's server transaction (RFC
// 3261 §17.2.3), NUL-separated; false when req lacks Via or CSeq.
func appendTxID(dst []byte, req *sipgosip.Request) ([]byte, bool) {
	via, cseq := req.Via(), req.CSeq()
	if via == nil || cseq == nil {
		return dst, false
	}
	method := cseq.MethodName
	if method == sipgosip.ACK {
		method = sipgosip.INVITE
	}
	branch, _ := via.Params.Get("branch")
	if len(branch) > len(sipgosip.RFC3261BranchMagicCookie) && branch[:len(sipgosip.RFC3261BranchMagicCookie)] == sipgosip.RFC3261BranchMagicCookie {
		// §17.2.3: branch, sent-by and method.
		port := via.Port
		if port <= 0 {
			port = int(sipgosip.DefaultPort(via.Transport))
		}
		dst = append(dst, "3261\x00"...)
		dst = append(dst, branch...)
		dst = append(append(dst, 0), via.Host...)
		dst = strconv.AppendInt(append(dst, 0), int64(port), 10)
		dst = append(append(dst, 0), method...)
		return dst, true
	}
	// §17.2.3 for RFC 2543 peers: Request-URI, tags, Call-ID, CSeq and
	// the top Via.
	dst = append(dst, "2543\x00"...)
	dst = append(dst, req.Recipient.String()...)
	if from := req.From(); from != nil {
		tag, _ := from.Params.Get("tag")
		dst = append(append(dst, 0), tag...)
	}
	if to := req.To(); to != nil {
		tag, _ := to.Params.Get("tag")
		dst = append(append(dst, 0), tag...)
	}
	if cid := req.CallID(); cid != nil {
		dst = append(append(dst, 0), cid.Value()...)
	}
	dst = strconv.AppendUint(append(dst, 0), uint64(cseq.SeqNo), 10)
	dst = append(append(dst, 0), method...)
	dst = append(append(dst, 0), via.Value()...)
	return dst, true
}

// udpTx is the fast path's non-INVITE server transaction over UDP: the
// pipelineTx handlers get for a MESSAGE received on a UDP listener. Its
// final response is remembered in the endpoint's transaction table for
// Timer J (RFC 3261 §17.2.2).
type udpTx struct {
	e     *Endpoint
	conn  *net.UDPConn
	dst   netip.AddrPort // RFC 3261 §18.2.2, RFC 3581 §4: the source
	req   *sipgosip.Request
	raw   []byte // the request as received
	key   txKey
	keyed bool   // in the transaction table
	tag   string // To tag to add (RFC 3261 §8.2.6.2); "" if the request has one
	// detached: the handler left the final response to the core, whose
	// answer ends the request's hold on the endpoint (startMessage). Set
	// and read on the worker's goroutine only.
	detached bool

	final  atomic.Bool
	mu     sync.Mutex
	done   chan struct{} // made on demand, closed on the final response
	closed bool          // done is closed
}

var _ pipelineTx = (*udpTx)(nil)

// errAnswered is returned for a second final response in a transaction.
var errAnswered = errors.New("sip: transaction already answered")

// respondStatus sends a final response written from the request's bytes.
func (t *udpTx) respondStatus(code int, reason string, headers []sipgosip.Header) error {
	r := t.e.fast.ok
	if code != 200 || reason != "OK" || len(headers) > 0 {
		r = &txReply{code: code, reason: reason}
		for _, h := range headers {
			r.headers = append(r.headers, headerLine{h.Name(), h.Value()})
		}
	}
	return t.finish(r)
}

// Respond sends res, a response the handler built: a provisional one as it
// is, a final one with Server added (and the To tag, if res has none)
// and remembered as it was sent.
func (t *udpTx) Respond(res *sipgosip.Response) error {
	if res.GetHeader("Server") == nil {
		res.AppendHeader(sipgosip.NewHeader("Server", t.e.o.UserAgent))
	}
	if to := res.To(); to != nil && t.tag != "" && !hasTag(to.Params) {
		to.Params.Add("tag", t.tag)
	}
	var b bytes.Buffer
	res.StringWrite(&b)
	if res.StatusCode < 200 {
		if t.final.Load() {
			return errAnswered
		}
		return t.send(b.Bytes())
	}
	return t.finish(&txReply{code: res.StatusCode, raw: b.Bytes()})
}

// finish sends the final response r and remembers it for the
// transaction's retransmissions.
func (t *udpTx) finish(r *txReply) error {
	if !t.final.CompareAndSwap(false, true) {
		return errAnswered
	}
	// Counted before the send, so the count is in place when the peer sees
	// the response.
	t.e.m.requests.WithLabelValues(methodLabel(t.req.Method), classLabel(r.code)).Inc()
	if t.keyed {
		t.e.fast.txs.complete(t.key, r)
	}
	t.mu.Lock()
	if t.done != nil && !t.closed {
		close(t.done)
		t.closed = true
	}
	t.mu.Unlock()
	return t.resend(r)
}

// resend writes r for the request of t and sends it.
func (t *udpTx) resend(r *txReply) error {
	if r.raw != nil {
		return t.send(r.raw)
	}
	bp := t.e.fast.bufs.Get().(*[]byte)
	defer t.e.fast.bufs.Put(bp)
	*bp = t.appendResponse((*bp)[:0], r)
	return t.send(*bp)
}

func (t *udpTx) send(b []byte) error {
	if _, err := t.conn.WriteToUDPAddrPort(b, t.dst); err != nil {
		return &net.OpError{Op: "write", Net: "udp", Addr: net.UDPAddrFromAddrPort(t.dst), Err: err}
	}
	return nil
}

func (t *udpTx) answered() bool { return t.final.Load() }

func (t *udpTx) detachedFromHandler() bool { return t.detached }

func (t *udpTx) wireSize() int { return len(t.raw) }

func (t *udpTx) source() netip.AddrPort { return t.dst }

// Acks returns nil: a non-INVITE transaction has no ACK (RFC 3261 §17.2.2).
func (t *udpTx) Acks() <-chan *sipgosip.Request { return nil }

// OnCancel reports false: CANCEL applies to INVITE only (RFC 3261 §9.1);
// a MESSAGE is answered at once.
func (t *udpTx) OnCancel(sipgosip.FnTxCancel) bool { return false }

// Terminate does nothing: the transaction ends with its final response
// (remembered for Timer J, RFC 3261 §17.2.2).
func (t *udpTx) Terminate() {}

// OnTerminate reports false: the transaction keeps no callbacks; Done
// tells when it has its final response.
func (t *udpTx) OnTerminate(sipgosip.FnTxTerminate) bool { return false }

// Done is closed once the final response is sent.
func (t *udpTx) Done() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done == nil {
		t.done = make(chan struct{})
		if t.final.Load() {
			close(t.done)
			t.closed = true
		}
	}
	return t.done
}

// Err is nil: the transaction has no failure of its own.
func (t *udpTx) Err() error { return nil }
