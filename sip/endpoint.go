package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo"
	sipgosip "github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
)

// Endpoint is sxgw's SIP user agent: listeners, the request pipeline and the
// client for outgoing requests.
type Endpoint struct {
	o     Options
	log   *slog.Logger
	specs []listenSpec
	proxy *sipgosip.Uri
	m     *metrics

	clientTLS  *tls.Config // outgoing TLS, verified by name in ensureTLS
	tlsMu      sync.Mutex
	tlsDialing map[string]chan struct{} // address -> closed when its dial ends
	handoff    *tlsHandoff              // guarded by mu

	ua     *sipgo.UserAgent
	server *sipgo.Server
	client *sipgo.Client
	parser *sipgosip.Parser
	fast   *fastPath // MESSAGE over UDP, outside sipgo's transactions
	// clients are the non-INVITE client transactions over UDP run outside
	// sipgo's.
	clients *clientTxs

	routes   atomic.Pointer[routes]
	events   atomic.Pointer[subscriptionConfig] // set by ServeSubscriptions
	draining atomic.Bool
	local    atomic.Pointer[localNames]

	mu        sync.Mutex // guards the fields below and routes updates
	started   bool
	closed    bool
	listeners []Listener
	closers   []io.Closer
	serving   sync.WaitGroup // listener goroutines
	inflight  sync.WaitGroup // requests inside the pipeline
	busy      atomic.Int64   // the same, countable

	// coreCtx is the context of the core's work on requests answered
	// after their handler returned (MessageStarter); Close cancels it.
	coreCtx    context.Context
	coreCancel context.CancelFunc

	chats    atomic.Pointer[chats] // set by ServeChats
	srcIPs   sync.Map              // netip.Addr -> string: our source address towards it
	srcCount atomic.Int64
}

// udpReadBuffer is the receive (and send) buffer of UDP listeners.
const udpReadBuffer = 4 << 20

// maxInflight bounds the requests being handled at once; beyond it new
// requests are shed with 503 and Retry-After (RFC 3261 §21.5.4) instead
// of queueing until UDP buffers overflow.
const maxInflight = 20000

// Listener is a bound listening address.
type Listener struct {
	Transport string // "udp", "tcp", "tls" or "ws"
	Addr      net.Addr
}

// New checks o and builds an Endpoint; nothing is bound until Start.
func New(o Options) (*Endpoint, error) {
	specs, proxy, err := o.check()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	e := &Endpoint{
		o:     o,
		log:   o.Logger.With("component", "sip"),
		specs: specs,
		proxy: proxy,
		m:     m,

		tlsDialing: map[string]chan struct{}{},
	}
	e.coreCtx, e.coreCancel = context.WithCancel(context.Background())
	e.fast = newFastPath(e)
	e.clients = newClientTxs()
	if o.Registerer != nil {
		for _, c := range []prometheus.Collector{e.fast.absorbs, e.fast.delay} {
			if err := o.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("%w: metrics: %w", ErrConfig, err)
			}
		}
	}
	e.clientTLS = &tls.Config{MinVersion: tls.VersionTLS12}
	if o.TLSConfig != nil {
		e.clientTLS = o.TLSConfig.Clone()
	}
	e.local.Store(newLocalNames(o.Domains))
	e.routes.Store(newRoutes(nil, nil, nil))

	sipgoLog := slog.New(quietHandler{inner: e.log.Handler()}).With("lib", "sipgo")
	// The parser must take requests somewhat larger than MaxMessageSize so
	// that they reach the pipeline and get 513 instead of being dropped.
	parser := sipgosip.NewParser()
	parser.MaxMessageLength = max(sipgosip.ParseMaxMessageLength, 2*o.MaxMessageSize)
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(o.UserAgent),
		sipgo.WithUserAgentHostname(e.defaultDomain()),
		sipgo.WithUserAgenTLSConfig(e.clientTLS),
		sipgo.WithUserAgentParser(parser),
		sipgo.WithUserAgentTransactionLayerOptions(sipgosip.WithTransactionLayerLogger(sipgoLog)),
		sipgo.WithUserAgentTransportLayerOptions(sipgosip.WithTransportLayerLogger(sipgoLog)),
	)
	if err != nil {
		return nil, fmt.Errorf("sip: user agent: %w", err)
	}
	server, err := sipgo.NewServer(ua, sipgo.WithServerLogger(sipgoLog))
	if err != nil {
		_ = ua.Close()
		return nil, fmt.Errorf("sip: server: %w", err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(sipgoLog))
	if err != nil {
		_ = ua.Close()
		return nil, fmt.Errorf("sip: client: %w", err)
	}
	// Every request goes through serve: no per-method handler is given to
	// sipgo, so its no-route handler sees them all.
	server.OnNoRoute(e.serve)
	e.ua, e.server, e.client, e.parser = ua, server, client, parser
	return e, nil
}

// defaultDomain is the host used in From when an outgoing request has none.
func (e *Endpoint) defaultDomain() string {
	if len(e.o.Domains) > 0 {
		return normalizeDomain(e.o.Domains[0])
	}
	return "localhost"
}

// Start binds every listener, in configuration order, and starts serving
// them. It returns once all are bound, or with the first error (then nothing
// stays bound). Serving continues until Close; ctx only bounds binding.
func (e *Endpoint) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.closed:
		return ErrClosed
	case e.started:
		return ErrStarted
	}
	e.started = true

	local := newLocalNames(e.o.Domains)
	var bound []boundListener
	for _, spec := range e.specs {
		b, err := e.bind(ctx, spec)
		if err != nil {
			for _, b := range bound {
				_ = b.closer.Close()
				if b.transport == TransportUDP {
					e.ua.TransportLayer().Pool("udp").Delete(b.addr.String())
				}
			}
			return err
		}
		bound = append(bound, b)
		local.addListener(spec.addr.Addr())
	}
	e.local.Store(local)
	for _, b := range bound {
		e.listeners = append(e.listeners, Listener{Transport: b.transport, Addr: b.addr})
		e.closers = append(e.closers, b.closer)
		e.serving.Add(1)
		go func() {
			defer e.serving.Done()
			if err := b.serve(); err != nil && !errors.Is(err, net.ErrClosed) {
				e.log.Error("listener stopped", "transport", b.transport, "addr", b.addr.String(), "error", err)
			}
		}()
		e.log.Info("listening", "transport", b.transport, "addr", b.addr.String())
	}
	return nil
}

// boundListener is a bound socket and the sipgo loop serving it.
type boundListener struct {
	transport string
	addr      net.Addr
	closer    io.Closer
	serve     func() error
}

// bind opens the socket of one listener spec.
func (e *Endpoint) bind(ctx context.Context, spec listenSpec) (boundListener, error) {
	family := "4"
	if spec.addr.Addr().Is6() && !spec.addr.Addr().Is4In6() {
		family = "6"
	}
	var lc net.ListenConfig
	b := boundListener{transport: spec.transport}
	if spec.transport == TransportUDP {
		conn, err := lc.ListenPacket(ctx, "udp"+family, spec.addr.String())
		if err != nil {
			return b, fmt.Errorf("sip: listen udp %s: %w", spec.addr, err)
		}
		b.addr, b.closer = conn.LocalAddr(), conn
		uc, ok := conn.(*net.UDPConn)
		if !ok {
			_ = conn.Close()
			return b, fmt.Errorf("sip: listen udp %s: not a UDP socket", spec.addr)
		}
		// sipgo reads and parses on one goroutine: a short stall (GC, CPU
		// contention) must not overflow the kernel's default ~200 KiB
		// buffer and drop requests silently.
		_ = uc.SetReadBuffer(udpReadBuffer)
		_ = uc.SetWriteBuffer(udpReadBuffer)
		// MESSAGE requests are taken off the socket by the fast path;
		// sipgo reads everything else through fc.
		fc := newFastUDP(uc, e)
		e.clients.addConn(uc)
		// Pool the socket now, as sipgo's serve loop will, so that requests
		// sent right after Start already leave from it.
		e.ua.TransportLayer().Pool("udp").Add(conn.LocalAddr().String(), &sipgosip.UDPConnection{
			PacketConn: fc, PacketAddr: conn.LocalAddr().String(), Listener: true,
		})
		b.serve = func() error { return e.server.ServeUDP(fc) }
		return b, nil
	}
	l, err := lc.Listen(ctx, "tcp"+family, spec.addr.String())
	if err != nil {
		return b, fmt.Errorf("sip: listen %s %s: %w", spec.transport, spec.addr, err)
	}
	b.addr, b.closer = l.Addr(), l
	switch spec.transport {
	case TransportTCP:
		b.serve = func() error { return e.server.ServeTCP(l) }
	case TransportTLS:
		tl := tls.NewListener(l, e.o.TLSConfig)
		b.serve = func() error { return e.server.ServeTLS(tl) }
	case TransportWS:
		b.serve = func() error { return e.server.ServeWS(l) }
	}
	return b, nil
}

// Addrs returns the bound listeners in configuration order.
func (e *Endpoint) Addrs() []Listener {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Listener(nil), e.listeners...)
}

// Drain makes the endpoint refuse new requests with 503 and Retry-After
// (RFC 3261 §21.5.4) while requests inside existing dialogs, ACK and CANCEL
// are still processed.
func (e *Endpoint) Drain() {
	e.draining.Store(true)
}

// Close stops the listeners, closes every connection, ends the transactions
// and waits for requests in progress. It is idempotent.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	closers := e.closers
	e.closers = nil
	e.mu.Unlock()

	var errs []error
	for _, c := range closers {
		if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	// Ending the transactions first makes handlers still running (and their
	// outgoing requests) finish promptly.
	if err := e.ua.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		errs = append(errs, err)
	}
	e.coreCancel()
	e.inflight.Wait()
	e.serving.Wait()
	e.fast.workers.stop()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sip: close: %w", err)
	}
	return nil
}

// enter registers a request in the pipeline; false once closed.
func (e *Endpoint) enter() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.inflight.Add(1)
	e.busy.Add(1)
	return true
}

// leave ends what enter began.
func (e *Endpoint) leave() {
	e.busy.Add(-1)
	e.inflight.Done()
}

// Idle reports whether no request is being handled (for draining).
func (e *Endpoint) Idle() bool { return e.busy.Load() == 0 }

// udpListenerFor returns the address of a UDP listener that can send to dst
// (same family) and that sipgo is already serving, so that outgoing UDP
// requests leave from the advertised port (RFC 3261 §18.1.1).
func (e *Endpoint) udpListenerFor(dst netip.Addr) (netip.AddrPort, bool) {
	e.mu.Lock()
	listeners := e.listeners
	e.mu.Unlock()
	pool := e.ua.TransportLayer().Pool("udp")
	for _, l := range listeners {
		ua, ok := l.Addr.(*net.UDPAddr)
		if l.Transport != TransportUDP || !ok {
			continue
		}
		ap := ua.AddrPort()
		a := ap.Addr().Unmap()
		if a.Is4() != dst.Is4() || (!a.IsUnspecified() && a.IsLoopback() != dst.IsLoopback()) {
			continue
		}
		// sipgo finds the socket by its local address once it serves it.
		c := pool.Get(ua.String())
		if c == nil {
			continue
		}
		_, _ = c.TryClose()
		return netip.AddrPortFrom(a, ap.Port()), true
	}
	return netip.AddrPort{}, false
}
