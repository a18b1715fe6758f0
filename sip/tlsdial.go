package sip

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"

	sipgosip "github.com/emiago/sipgo/sip"
)

// Outgoing TLS (RFC 3261 §26.2, RFC 5922 §4.1): the server certificate
// must match the domain of the URI that was resolved, not the IP address
// dialled. sipgo dials the IP and would verify against it, so Do dials TLS
// connections itself, verifies them by name, and hands them to sipgo's TLS
// transport through tlsHandoff as if they had been accepted; sipgo then
// reuses the pooled connection for the request and reads its responses.

// maxTLSDialRounds bounds how often ensureTLS waits for another dial to the
// same address before dialling itself.
const maxTLSDialRounds = 3

// tlsHandoff is a net.Listener whose Accept returns the connections Do
// dialled; sipgo's TLS transport serves it.
type tlsHandoff struct {
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func newTLSHandoff() *tlsHandoff {
	return &tlsHandoff{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *tlsHandoff) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *tlsHandoff) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

// Addr is a placeholder: the handoff listens nowhere.
func (l *tlsHandoff) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4zero} }

// dialedTLS is a client connection verified for name; its first Read, done
// by sipgo's reader after pooling it, signals that sipgo can use it.
type dialedTLS struct {
	*tls.Conn
	name  string
	once  sync.Once
	ready chan struct{}
}

func (c *dialedTLS) Read(p []byte) (int, error) {
	c.once.Do(func() { close(c.ready) })
	return c.Conn.Read(p)
}

// ensureTLS makes sure sipgo's pool holds a TLS connection to t verified for
// t.Host, dialling one if needed.
func (e *Endpoint) ensureTLS(ctx context.Context, t Target) error {
	key := t.Addr.String()
	name := t.Host
	if name == "" {
		name = t.Addr.Addr().String()
	}
	for range maxTLSDialRounds {
		if ok, err := e.pooledTLS(key, name); ok || err != nil {
			return err
		}
		e.tlsMu.Lock()
		wait, busy := e.tlsDialing[key]
		if !busy {
			wait = make(chan struct{})
			e.tlsDialing[key] = wait
		}
		e.tlsMu.Unlock()
		if busy {
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err := e.dialTLS(ctx, t, name)
		e.tlsMu.Lock()
		delete(e.tlsDialing, key)
		close(wait)
		e.tlsMu.Unlock()
		return err
	}
	return fmt.Errorf("sip: TLS connection to %s: gave up waiting for other dials", key)
}

// pooledTLS reports whether sipgo already has a connection to key that is
// valid for name; a pooled connection verified for another name is an error,
// since sipgo would use it regardless.
func (e *Endpoint) pooledTLS(key, name string) (bool, error) {
	pool := e.ua.TransportLayer().Pool("tls")
	c := pool.Get(key)
	if c == nil {
		return false, nil
	}
	defer func() { _, _ = c.TryClose() }()
	tc, ok := c.(*sipgosip.TCPConnection)
	if !ok {
		return false, fmt.Errorf("%w: %s", errTLSName, key)
	}
	var cs tls.ConnectionState
	switch conn := tc.Conn.(type) {
	case *dialedTLS:
		if conn.name == name {
			return true, nil
		}
		cs = conn.ConnectionState()
	case *tls.Conn:
		cs = conn.ConnectionState()
	default:
		return false, fmt.Errorf("%w: %s", errTLSName, key)
	}
	if len(cs.PeerCertificates) == 0 || cs.PeerCertificates[0].VerifyHostname(name) != nil {
		return false, fmt.Errorf("%w: %s is connected for another name than %s", errTLSName, key, name)
	}
	return true, nil
}

// dialTLS connects to t, verifies the server for name and hands the
// connection to sipgo, returning once sipgo has pooled it.
func (e *Endpoint) dialTLS(ctx context.Context, t Target, name string) error {
	handoff, err := e.tlsHandoff()
	if err != nil {
		return err
	}
	cfg := e.clientTLS.Clone()
	cfg.ServerName = name
	d := tls.Dialer{Config: cfg}
	raw, err := d.DialContext(ctx, "tcp", t.Addr.String())
	if err != nil {
		return fmt.Errorf("sip: TLS to %s as %s: %w", t.Addr, name, err)
	}
	c := &dialedTLS{Conn: raw.(*tls.Conn), name: name, ready: make(chan struct{})}
	select {
	case handoff.conns <- c:
	case <-ctx.Done():
		_ = c.Close()
		return ctx.Err()
	case <-handoff.done:
		_ = c.Close()
		return ErrClosed
	}
	select {
	case <-c.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-handoff.done:
		return ErrClosed
	}
}

// tlsHandoff returns the handoff listener, starting sipgo on it the first
// time.
func (e *Endpoint) tlsHandoff() (*tlsHandoff, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	if e.handoff == nil {
		h := newTLSHandoff()
		e.handoff = h
		e.closers = append(e.closers, h)
		e.serving.Add(1)
		go func() {
			defer e.serving.Done()
			_ = e.ua.TransportLayer().ServeTLS(h)
		}()
	}
	return e.handoff, nil
}
