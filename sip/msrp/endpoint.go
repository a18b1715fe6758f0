package msrp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ErrConfig: EndpointOptions that cannot work.
var ErrConfig = errors.New("msrp: bad endpoint options")

// Defaults of EndpointOptions.
const (
	DefaultMaxMessage     = 1 << 20
	DefaultGlobalBytes    = 256 << 20
	DefaultConnectTimeout = 30 * time.Second
)

// EndpointOptions configure an Endpoint. Zero fields take the defaults.
type EndpointOptions struct {
	// Listen is the TCP address of the msrp listener ("0.0.0.0:2855";
	// "127.0.0.1:0" picks a port): the authority of our msrp URIs.
	Listen string
	// TLSListen, when set, is the address of a second listener, TLS
	// only: the authority of our msrps URIs (TCP/TLS/MSRP). RFC 4975 §6:
	// an msrps URI means TLS on its authority, an msrp one plain TCP, so
	// each scheme has a port of its own. "": no msrps sessions.
	TLSListen string
	// Host is the host written in our MSRP URIs; required when Listen's
	// host is unspecified (0.0.0.0, ::, empty).
	Host string
	// TLSCertificate is our certificate for msrps, as TLS server and as
	// client (RFC 8122 §6.2: both present one); its fingerprints go in
	// our SDP (Endpoint.Fingerprints). Self-signed is fine: peers check
	// it by fingerprint (RFC 8122 §6.1). Required with TLSListen,
	// ignored without.
	TLSCertificate *tls.Certificate
	// TLSRootCAs verify a peer we dial whose SDP has no a=fingerprint
	// (RFC 4975 §5.4: its certificate must then be valid for the host of
	// its URI); nil: the system roots. Peers that give a fingerprint are
	// verified by it alone (RFC 8122 §6.1, RFC 4975 §14.4).
	TLSRootCAs *x509.CertPool
	// RequireTLS refuses sessions over plain TCP: Session.Connect of an
	// msrp (not msrps) session fails with ErrTLSRequired. Needs
	// TLSListen.
	RequireTLS bool
	// ChunkSize is the largest body of the chunks we send
	// (DefaultChunkSize, 2048, when 0; RFC 4975 §7.1.1).
	ChunkSize int
	// MaxMessage is the largest message we receive, our a=max-size
	// (RFC 4975 §8.6); DefaultMaxMessage (1 MiB) when 0. Larger ones get
	// 413.
	MaxMessage int64
	// SessionBytes bounds the memory of one session: its incomplete
	// messages and the messages waiting for its handler. Default: the
	// larger of DefaultSessionBytes (4 MiB) and MaxMessage.
	SessionBytes int64
	// GlobalBytes bounds the memory of all incomplete messages;
	// DefaultGlobalBytes (256 MiB) when 0.
	GlobalBytes int64
	// IdleTimeout closes a session that carried no traffic for this long
	// (its handler is told, ErrIdle); 0: never.
	IdleTimeout time.Duration
	// ConnectTimeout bounds an active connect (dial, TLS, the bodiless
	// SEND's response), the passive wait of Session.Connect, and how long
	// an accepted connection may stay without a session;
	// DefaultConnectTimeout (30 s) when 0.
	ConnectTimeout time.Duration
	// TransactionTimeout is how long Send waits for the responses to its
	// chunks before failing with 408; DefaultTransactionTimeout (30 s,
	// RFC 4975 §7.1.1) when 0.
	TransactionTimeout time.Duration
	// MaxConnections bounds the connections accepted and open at once;
	// MaxConnectionsPerIP those from one peer address (an IPv6 peer's
	// /64). A connection beyond either is closed at once, before any
	// read, and counted in sxgw_msrp_refused_connections_total. Dialled
	// connections are not counted. DefaultMaxConnections (4096) and
	// DefaultMaxConnectionsPerIP (64) when 0.
	MaxConnections      int
	MaxConnectionsPerIP int
	// Registerer receives the metrics; nil keeps them unregistered.
	Registerer prometheus.Registerer
	// Logger (the caller adds any component attribute); nil discards.
	Logger *slog.Logger
}

// withDefaults checks o and fills in the defaults.
func (o EndpointOptions) withDefaults() (EndpointOptions, error) {
	if o.Listen == "" {
		return o, fmt.Errorf("%w: no Listen address", ErrConfig)
	}
	lhost, _, err := splitListen("Listen", o.Listen)
	if err != nil {
		return o, err
	}
	if o.TLSListen != "" {
		if _, _, err := splitListen("TLSListen", o.TLSListen); err != nil {
			return o, err
		}
		if o.TLSCertificate == nil {
			return o, fmt.Errorf("%w: TLSListen needs TLSCertificate", ErrConfig)
		}
	} else if o.RequireTLS {
		return o, fmt.Errorf("%w: RequireTLS needs TLSListen", ErrConfig)
	}
	if o.Host == "" {
		ip, err := netip.ParseAddr(lhost)
		if lhost == "" || (err == nil && ip.IsUnspecified()) {
			return o, fmt.Errorf("%w: Host is required when listening on %q", ErrConfig, o.Listen)
		}
		o.Host = lhost
	}
	if err := (URI{Host: o.Host, Port: 1, Transport: "tcp"}).Validate(); err != nil {
		return o, fmt.Errorf("%w: Host %q: %w", ErrConfig, o.Host, err)
	}
	if o.ChunkSize < 0 || o.MaxMessage < 0 || o.SessionBytes < 0 || o.GlobalBytes < 0 ||
		o.IdleTimeout < 0 || o.ConnectTimeout < 0 || o.TransactionTimeout < 0 ||
		o.MaxConnections < 0 || o.MaxConnectionsPerIP < 0 {
		return o, fmt.Errorf("%w: negative size, duration or limit", ErrConfig)
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.MaxMessage == 0 {
		o.MaxMessage = DefaultMaxMessage
	}
	if o.MaxMessage > 1<<30 {
		return o, fmt.Errorf("%w: MaxMessage over 1 GiB", ErrConfig)
	}
	if o.SessionBytes == 0 {
		o.SessionBytes = max(DefaultSessionBytes, o.MaxMessage)
	}
	if o.GlobalBytes == 0 {
		o.GlobalBytes = max(DefaultGlobalBytes, o.SessionBytes)
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.TransactionTimeout == 0 {
		o.TransactionTimeout = DefaultTransactionTimeout
	}
	if o.MaxConnections == 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	if o.MaxConnectionsPerIP == 0 {
		o.MaxConnectionsPerIP = DefaultMaxConnectionsPerIP
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// splitListen checks a listen address and returns its host and port.
func splitListen(name, addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %s: %w", ErrConfig, name, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("%w: %s: bad port %q", ErrConfig, name, port)
	}
	return host, p, nil
}

// Endpoint is an MSRP endpoint (RFC 4975): a listener (and one for TLS),
// the sessions registered under their local URIs, and the connections
// they use, accepted or dialled (and reused, RFC 4975 §5.4). Its methods
// are safe for concurrent use.
type Endpoint struct {
	o       EndpointOptions
	log     *slog.Logger
	met     *metrics
	pool    *BufferPool
	budget  *Budget
	limits  Limits
	admit   *admission
	reg     *registry
	tls     *tlsSide // nil without TLSListen
	wg      sync.WaitGroup
	port    atomic.Int32
	tlsPort atomic.Int32
	done    chan struct{} // closed by Close

	mu      sync.Mutex
	ln      net.Listener
	tlsLn   net.Listener
	started bool
	closed  bool
}

// NewEndpoint checks o and builds an Endpoint; nothing is bound until
// Start.
func NewEndpoint(o EndpointOptions) (*Endpoint, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	met, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	e := &Endpoint{
		o:      o,
		log:    o.Logger,
		met:    met,
		pool:   NewBufferPool(),
		budget: NewBudget(o.GlobalBytes),
		// A chunk may hold a whole message (RFC 4975 §7.1.1): chunks
		// over MaxMessage get 413 from the Reader.
		limits: Limits{MaxBody: int(o.MaxMessage)},
		admit:  newAdmission(o.MaxConnections, o.MaxConnectionsPerIP),
		done:   make(chan struct{}),
	}
	if o.TLSListen != "" {
		if e.tls, err = newTLSSide(o.TLSCertificate, o.TLSRootCAs); err != nil {
			return nil, err
		}
		_, p, _ := splitListen("TLSListen", o.TLSListen)
		e.tlsPort.Store(int32(p))
	}
	e.reg = newRegistry(&e.wg)
	_, p, _ := splitListen("Listen", o.Listen)
	e.port.Store(int32(p))
	return e, nil
}

// Start binds the listeners and starts accepting connections.
func (e *Endpoint) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.closed:
		return fmt.Errorf("msrp: start: %w", net.ErrClosed)
	case e.started:
		return fmt.Errorf("msrp: start: already started")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", e.o.Listen)
	if err != nil {
		return fmt.Errorf("msrp: listen: %w", err)
	}
	var tln net.Listener
	if e.tls != nil {
		if tln, err = lc.Listen(ctx, "tcp", e.o.TLSListen); err != nil {
			_ = ln.Close()
			return fmt.Errorf("msrp: listen (tls): %w", err)
		}
		if a, ok := tln.Addr().(*net.TCPAddr); ok {
			e.tlsPort.Store(int32(a.Port))
		}
	}
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		e.port.Store(int32(a.Port))
	}
	e.ln, e.tlsLn, e.started = ln, tln, true
	e.wg.Add(1)
	go e.acceptLoop(ln, nil)
	if tln != nil {
		e.wg.Add(1)
		go e.acceptLoop(tln, e.tls.server)
	}
	return nil
}

// Addr returns the listener's address, nil before Start.
func (e *Endpoint) Addr() net.Addr {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ln == nil {
		return nil
	}
	return e.ln.Addr()
}

// TLSAddr returns the TLS listener's address, nil before Start or
// without TLSListen.
func (e *Endpoint) TLSAddr() net.Addr {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tlsLn == nil {
		return nil
	}
	return e.tlsLn.Addr()
}

// TLS reports whether the endpoint takes msrps sessions (TLSListen).
func (e *Endpoint) TLS() bool { return e.tls != nil }

// RequireTLS reports whether sessions over plain TCP are refused.
func (e *Endpoint) RequireTLS() bool { return e.o.RequireTLS }

// Fingerprints returns the a=fingerprint values of our certificate for
// the SDP of msrps sessions (RFC 8122 §5, §5.1: SHA-256, and the hash of
// the certificate's signature when that differs), nil without TLS. The
// caller may keep and change the slice.
func (e *Endpoint) Fingerprints() []Fingerprint {
	if e.tls == nil {
		return nil
	}
	out := make([]Fingerprint, len(e.tls.fps))
	for i, f := range e.tls.fps {
		out[i] = Fingerprint{Hash: f.Hash, Digest: append([]byte(nil), f.Digest...)}
	}
	return out
}

// Close closes every session (without calling MSRPClosed) and
// connection and the listener, then waits for the endpoint's goroutines
// (handlers included) to end, or for ctx.
func (e *Endpoint) Close(ctx context.Context) error {
	e.mu.Lock()
	if !e.closed {
		e.closed = true
		close(e.done)
		if e.ln != nil {
			_ = e.ln.Close()
		}
		if e.tlsLn != nil {
			_ = e.tlsLn.Close()
		}
	}
	e.mu.Unlock()
	sessions, conns := e.reg.close()
	for _, s := range sessions {
		s.Close()
	}
	for _, c := range conns {
		c.fail("", nil)
	}
	waited := make(chan struct{})
	go func() {
		e.wg.Wait()
		close(waited)
	}()
	select {
	case <-waited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("msrp: close: %w", ctx.Err())
	}
}

// NewSession creates a session over plain TCP with a fresh local URI,
// msrp://Host:port/<session-id>;tcp, registered so that requests for
// it are taken (call it after Start, which fixes the port). accept lists
// the media types the session takes (our a=accept-types, RFC 4975
// §8.6): "*" or an empty list takes any, "type/*" any subtype; others
// are refused with 415. After Endpoint.Close the session is born closed.
func (e *Endpoint) NewSession(h Handler, accept []string) *Session {
	return e.newSession(h, accept, false)
}

// NewTLSSession is NewSession over TLS: its local URI is
// msrps://Host:tlsport/<session-id>;tcp (TCP/TLS/MSRP, RFC 4975 §6), on
// the TLS listener; its SDP carries Fingerprints. ErrNoTLS without
// TLSListen.
func (e *Endpoint) NewTLSSession(h Handler, accept []string) (*Session, error) {
	if e.tls == nil {
		return nil, ErrNoTLS
	}
	return e.newSession(h, accept, true), nil
}

func (e *Endpoint) newSession(h Handler, accept []string, secure bool) *Session {
	s := newSession(e, h, accept)
	s.secure = secure
	ok := e.reg.addSession(s, func(id string) {
		s.id = id
		port := e.port.Load()
		if secure {
			port = e.tlsPort.Load()
		}
		s.local = Path{{
			Secure:    secure,
			Host:      e.o.Host,
			Port:      int(port),
			SessionID: id,
			Transport: "tcp",
		}}
		e.met.sessions.Inc()
	})
	if !ok {
		s.closed = true
		s.userClosed.Store(true)
		close(s.dead)
		return s
	}
	go s.run()
	return s
}

// acceptLoop accepts connections until the listener is closed; with
// cfg, over TLS (the handshake runs on the connection's reader).
func (e *Endpoint) acceptLoop(ln net.Listener, cfg *tls.Config) {
	defer e.wg.Done()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors and the like: back off, keep serving.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			e.log.Warn("msrp: accept failed", "err", err, "retry_in", delay)
			select {
			case <-time.After(delay):
				continue
			case <-e.done:
				return
			}
		}
		delay = 0
		peer := peerKey(nc.RemoteAddr())
		if reason := e.admit.admit(peer); reason != "" {
			// Over a limit: closed at once, nothing read or written.
			_ = nc.Close()
			e.met.refused.WithLabelValues(reason).Inc()
			e.log.Debug("msrp: connection refused", "reason", reason, "remote", nc.RemoteAddr().String())
			continue
		}
		if cfg != nil {
			nc = tls.Server(nc, cfg)
		}
		c := newConn(e, nc, "", true)
		c.peer, c.secure = peer, cfg != nil
		if !e.startConn(c) {
			_ = nc.Close()
			e.admit.release(peer)
			return
		}
	}
}

// startConn registers c and starts its reader and writer.
func (e *Endpoint) startConn(c *conn) bool {
	if !e.reg.addConn(c, c.key) {
		return false
	}
	e.met.connections.Inc()
	go c.readLoop()
	go c.writeLoop()
	return true
}

// connTo returns a connection to the hop u: one already dialled to the
// same scheme, host and port (RFC 4975 §5.4: SHOULD reuse; fresh
// false), or a new one, over TLS for msrps, whose certificate is checked
// against fps (tlsSide.authenticate).
func (e *Endpoint) connTo(ctx context.Context, u URI, fps []Fingerprint) (c *conn, fresh bool, err error) {
	key := dialKey(u)
	if c := e.reg.dialedConn(key); c != nil {
		return c, false, nil
	}
	if u.Secure && e.tls == nil {
		return nil, false, fmt.Errorf("msrp: connect: %w", ErrNoTLS)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", hostPort(u))
	if err != nil {
		e.met.connErrors.WithLabelValues(reasonDial).Inc()
		return nil, false, fmt.Errorf("msrp: connect: %w", err)
	}
	var peer []*x509.Certificate
	if u.Secure {
		tc := tls.Client(nc, e.tls.clientConfig(u.Host, fps))
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			e.met.connErrors.WithLabelValues(tlsReason(err)).Inc()
			return nil, false, fmt.Errorf("msrp: connect: tls: %w", err)
		}
		nc, peer = tc, tc.ConnectionState().PeerCertificates
	}
	c = newConn(e, nc, key, false)
	c.secure, c.host, c.peerCerts = u.Secure, u.Host, peer
	if !e.startConn(c) {
		_ = nc.Close()
		return nil, false, fmt.Errorf("msrp: connect: %w", net.ErrClosed)
	}
	return c, true, nil
}

// authenticate checks the TLS peer of c for a session whose peer's SDP
// gave fps (tlsSide.authenticate); plain connections pass.
func (e *Endpoint) authenticate(c *conn, fps []Fingerprint) error {
	if !c.secure || e.tls == nil {
		return nil
	}
	return e.tls.authenticate(c.peerCerts, c.host, fps, !c.accepted)
}

// tlsReason labels a failed TLS handshake or authentication.
func tlsReason(err error) string {
	if errors.Is(err, ErrFingerprint) {
		return reasonFingerprint
	}
	return reasonHandshake
}
