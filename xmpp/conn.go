package xmpp

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// writeTimeout bounds one write so a stalled peer cannot block a sender.
const writeTimeout = 30 * time.Second

// xconn is one TCP (or TLS) connection carrying an XML stream in each
// direction. Reads happen on one goroutine; writes are serialized.
type xconn struct {
	nc net.Conn
	r  *streamReader
	// ns is the namespace the stream header declares. Stanzas are held in
	// jabber:server whatever the stream; on a component stream they are
	// written unqualified so they inherit jabber:component:accept.
	ns  string
	tls bool

	wmu    sync.Mutex
	bw     *bufio.Writer
	closed bool
}

func newXConn(nc net.Conn, ns string, maxStanza int) *xconn {
	return &xconn{nc: nc, ns: ns, r: newStreamReader(nc, maxStanza), bw: bufio.NewWriterSize(nc, 4096)}
}

// writeString writes raw stream text and flushes it.
func (c *xconn) writeString(s string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := c.bw.WriteString(s); err != nil {
		return fmt.Errorf("xmpp: write: %w", err)
	}
	if err := c.bw.Flush(); err != nil {
		return fmt.Errorf("xmpp: write: %w", err)
	}
	return nil
}

// send writes elements in one flush.
func (c *xconn) send(els ...*Element) error {
	var b strings.Builder
	for _, el := range els {
		el.appendTo(&b, nsServer)
	}
	return c.writeString(b.String())
}

// header writes our stream header (RFC 6120 §4.7).
func (c *xconn) header(from, to, id string, dialback bool) error {
	var b strings.Builder
	b.WriteString(`<?xml version='1.0'?><stream:stream xmlns="`)
	b.WriteString(c.ns)
	b.WriteString(`" xmlns:stream="` + nsStream + `"`)
	if dialback {
		b.WriteString(` xmlns:db="` + nsDialback + `"`)
	}
	for _, kv := range [][2]string{{"from", from}, {"to", to}, {"id", id}} {
		if kv[1] != "" {
			b.WriteString(" " + kv[0] + `="`)
			escapeAttr(&b, kv[1])
			b.WriteByte('"')
		}
	}
	if c.ns != nsComponent {
		b.WriteString(` version="1.0"`)
	}
	b.WriteString(">")
	return c.writeString(b.String())
}

// startTLS upgrades the connection (RFC 6120 §5.4.3.3) and resets the
// reader for the restarted stream.
func (c *xconn) startTLS(ctx context.Context, cfg *tls.Config, server bool) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	var tc *tls.Conn
	if server {
		tc = tls.Server(c.nc, cfg)
	} else {
		tc = tls.Client(c.nc, cfg)
	}
	hctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return fmt.Errorf("xmpp: tls handshake: %w", err)
	}
	c.nc = tc
	c.bw.Reset(tc)
	c.r.reset(tc)
	c.tls = true
	return nil
}

// tlsState returns the TLS connection state, if TLS is on.
func (c *xconn) tlsState() (tls.ConnectionState, bool) {
	if tc, ok := c.nc.(*tls.Conn); ok {
		return tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}

// close ends the stream: an optional stream error, then the closing tag
// (RFC 6120 §4.4), then the connection.
func (c *xconn) close(se *StreamError) {
	var b strings.Builder
	if se != nil {
		se.element().appendTo(&b, nsServer)
	}
	b.WriteString("</stream:stream>")
	_ = c.writeString(b.String())
	c.wmu.Lock()
	c.closed = true
	c.wmu.Unlock()
	_ = c.nc.Close()
}

// abort closes the connection without writing.
func (c *xconn) abort() {
	c.wmu.Lock()
	c.closed = true
	c.wmu.Unlock()
	_ = c.nc.Close()
}

// newStreamID returns an unpredictable stream id (RFC 6120 §4.7.3; XEP-0185
// relies on it being unique).
func newStreamID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
