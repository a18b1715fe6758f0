package xmpp

import (
	"context"
	"crypto/sha1" //nolint:gosec // XEP-0114 §3 mandates SHA-1 for the handshake.
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Component connects sxgw to an existing XMPP server as an external
// component (XEP-0114, jabber:component:accept): the server routes every
// stanza for the component domain to us, and we send through it. It
// reconnects with capped backoff; stanzas wait in a bounded queue.
type Component struct {
	o      Options
	server string
	secret string
	domain string
	m      *metrics
	rt     *router
	log    *slog.Logger
	queue  chan *Element
	// unsent is a batch whose write failed, sent first on the next stream
	// (some of it may have reached the server: at least once rather than
	// lost). Used by the run goroutine only.
	unsent []*Element

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	connected bool
}

// NewComponent returns a component for domain (o.Domains[0]) that
// connects to server ("host:port") with the shared secret.
func NewComponent(o Options, server, secret string) (*Component, error) {
	o.defaults()
	if len(o.Domains) != 1 {
		return nil, fmt.Errorf("xmpp: a component serves exactly one domain: %w", ErrConfig)
	}
	if server == "" || secret == "" {
		return nil, fmt.Errorf("xmpp: component needs a server and a secret: %w", ErrConfig)
	}
	if err := o.checkDomains(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Component{
		o: o, server: server, secret: secret, domain: strings.ToLower(o.Domains[0]),
		m: newMetrics(o.Registerer), log: o.Logger, queue: make(chan *Element, o.QueueSize),
		ctx: ctx, cancel: cancel,
	}
	c.rt = newRouter(&c.o, c.Send, c.m)
	return c, nil
}

// Start begins connecting in the background; Connected reports success.
func (c *Component) Start(context.Context) error {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.run()
	}()
	return nil
}

// Connected reports whether the component stream is authenticated.
func (c *Component) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connected
}

func (c *Component) setConnected(v bool) {
	c.mu.Lock()
	c.connected = v
	c.mu.Unlock()
	g := 0.0
	state := "connecting"
	if v {
		g, state = 1, "established"
	}
	c.m.component.Set(g)
	if c.o.LinkState != nil {
		c.o.LinkState(c.server, state)
	}
}

// Send queues a stanza from the component domain (or a room domain).
// Stanzas to those domains are handled locally.
func (c *Component) Send(ctx context.Context, st *Element) error {
	from, to := domainOf(st.Get("from")), domainOf(st.Get("to"))
	if !c.rt.serves(from) {
		return &StanzaError{Condition: ErrNotAllowed, Text: "from is not the component domain"}
	}
	if to == "" {
		return &StanzaError{Condition: ErrJIDMalformed, Text: "no to address"}
	}
	if c.rt.serves(to) {
		c.rt.route(ctx, st)
		return nil
	}
	select {
	case c.queue <- st:
		return nil
	default:
		c.m.bounced.WithLabelValues(ErrResourceConstraint).Inc()
		return &StanzaError{Condition: ErrResourceConstraint, Text: "component queue full"}
	}
}

func (c *Component) run() {
	backoff := time.Duration(0)
	for c.ctx.Err() == nil {
		if backoff > 0 {
			select {
			case <-time.After(backoff):
			case <-c.ctx.Done():
				return
			}
		}
		conn, err := c.connect()
		if err != nil {
			c.log.Warn("component connection failed", "server", c.server, "err", err)
			backoff = min(max(2*backoff, backoffMin), backoffMax)
			continue
		}
		backoff = 0
		c.setConnected(true)
		c.log.Info("component connected", "server", c.server, "domain", c.domain)
		err = c.serve(conn)
		c.setConnected(false)
		if c.ctx.Err() == nil {
			c.log.Warn("component stream ended", "err", err)
			backoff = backoffMin
		}
	}
}

// connect opens the stream and performs the handshake (XEP-0114 §3).
func (c *Component) connect() (*xconn, error) {
	ctx, cancel := context.WithTimeout(c.ctx, c.o.ConnectTimeout)
	defer cancel()
	nc, err := c.o.Dialer(ctx, "tcp", c.server)
	if err != nil {
		c.m.connectFails.WithLabelValues("dial").Inc()
		return nil, fmt.Errorf("xmpp: component dial %s: %w", c.server, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	x := newXConn(nc, nsComponent, c.o.MaxStanzaSize)
	// Close interrupts a handshake the server does not answer.
	x.unwatch = context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Now()) })
	fail := func(reason string, err error) (*xconn, error) {
		c.m.connectFails.WithLabelValues(reason).Inc()
		x.abort()
		return nil, fmt.Errorf("xmpp: component: %w", err)
	}
	if err := x.header("", c.domain, "", false); err != nil {
		return fail("dial", err)
	}
	h, err := x.r.header()
	if err != nil {
		return fail("protocol", err)
	}
	id := headerAttr(h, "id")
	if id == "" {
		return fail("protocol", errors.New("server sent no stream id"))
	}
	sum := sha1.Sum([]byte(id + c.secret)) //nolint:gosec // XEP-0114 §3.
	if err := x.send(NewElement(nsServer, "handshake").AddText(hex.EncodeToString(sum[:]))); err != nil {
		return fail("dial", err)
	}
	el, err := x.r.next()
	if err != nil {
		if conditionOf(err) == "" {
			return fail("protocol", err)
		}
		return fail("auth", err)
	}
	if el.Name.Space == nsStream && el.Name.Local == "error" {
		return fail("auth", parseStreamError(el))
	}
	if el.Name.Local != "handshake" {
		return fail("protocol", fmt.Errorf("expected handshake, got %s", el.Name.Local))
	}
	if !x.unwatch() {
		return fail("timeout", ctx.Err())
	}
	_ = nc.SetDeadline(time.Time{})
	return x, nil
}

// serve pumps the queue out and routes what arrives until the stream ends.
func (c *Component) serve(x *xconn) error {
	readErr := make(chan error, 1)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		readErr <- c.readLoop(x)
	}()
	bt := newBatcher()
	defer bt.stop()
	write := func(batch []*Element) error {
		err := x.send(batch...)
		bt.wrote()
		if err != nil {
			c.unsent = append(c.unsent[:0], batch...)
			x.abort()
			<-readErr
			return err
		}
		for _, st := range batch {
			c.m.stanzas.WithLabelValues("out", stanzaKind(st)).Inc()
		}
		return nil
	}
	if len(c.unsent) > 0 {
		batch := slices.Clone(c.unsent)
		c.unsent = c.unsent[:0]
		if err := write(batch); err != nil {
			return err
		}
	}
	for {
		select {
		case st := <-c.queue:
			if err := write(bt.gather(st, c.queue, c.ctx.Done())); err != nil {
				return err
			}
		case err := <-readErr:
			var se *StreamError
			if errors.As(err, &se) && !se.Received {
				c.m.streamErrors.WithLabelValues("sent", conditionLabel(se.Condition)).Inc()
				x.close(se)
			} else {
				x.close(nil)
			}
			return err
		case <-c.ctx.Done():
			// The reader sees the server's closing tag, or gives up after
			// closeWait (RFC 6120 §4.4).
			x.end(nil)
			<-readErr
			x.abort()
			return nil
		}
	}
}

func (c *Component) readLoop(x *xconn) error {
	for {
		el, err := x.r.next()
		if err != nil {
			return err
		}
		switch {
		case el.Name.Space == nsStream && el.Name.Local == "error":
			se := parseStreamError(el)
			c.m.streamErrors.WithLabelValues("received", conditionLabel(se.Condition)).Inc()
			return se
		case el.Name.Space == nsComponent:
			switch el.Name.Local {
			case "message", "presence", "iq":
			default:
				return streamErr(CondUnsupportedStanzaType, el.Name.Local)
			}
			toServerNS(el)
			if !c.rt.serves(domainOf(el.Get("to"))) {
				return streamErr(CondHostUnknown, "stanza not for the component domain")
			}
			c.rt.route(c.ctx, el)
		default:
			return streamErr(CondUnsupportedStanzaType, el.Name.Local)
		}
	}
}

// toServerNS re-homes a component stanza into jabber:server, the namespace
// the rest of the package works in (elements inheriting the stream's
// default namespace carry jabber:component:accept after parsing).
func toServerNS(el *Element) {
	if el.Name.Space == nsComponent {
		el.Name.Space = nsServer
	}
	for _, n := range el.Nodes {
		if n.El != nil {
			toServerNS(n.El)
		}
	}
}

// Close ends the stream with </stream:stream> and waits, bounded by ctx.
func (c *Component) Close(ctx context.Context) error {
	c.cancel()
	c.rt.jobs.stop()
	done := make(chan struct{})
	go func() { c.wg.Wait(); c.rt.jobs.wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("xmpp: component close: %w", ctx.Err())
	}
}
