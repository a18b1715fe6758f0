package xmpp

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// writeTimeout bounds one write so a stalled peer cannot block a sender.
const writeTimeout = 30 * time.Second

// writeBuffer is a stream's write buffer: a batch of stanzas (see
// batcher) up to its size goes out as one TLS record (at most 16 KiB of
// payload, RFC 8446 §5.1) and one system call.
const writeBuffer = 16 << 10

// closeWait is how long we wait, after sending our closing tag, for the
// peer's before we close the connection (RFC 6120 §4.4 step 3: "a
// reasonable amount of time").
const closeWait = 2 * time.Second

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
	// unwatch, when set, stops cutting reads and writes short at the end
	// of the context of a connection attempt; it reports false if that
	// already happened.
	unwatch func() bool

	wmu sync.Mutex
	bw  *bufio.Writer
	// opened: our stream header is out and no restart has superseded it,
	// so a closing tag is meaningful. closed: nothing more may be written.
	// tagSent: our closing tag went out.
	opened, closed, tagSent bool
}

func newXConn(nc net.Conn, ns string, maxStanza int) *xconn {
	return &xconn{nc: nc, ns: ns, r: newStreamReader(nc, maxStanza), bw: bufio.NewWriterSize(nc, writeBuffer)}
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
	if err := c.writeString(b.String()); err != nil {
		return err
	}
	c.wmu.Lock()
	c.opened = true
	c.wmu.Unlock()
	return nil
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
	c.opened = false // the stream restarts on the encrypted connection
	return nil
}

// tlsState returns the TLS connection state, if TLS is on.
func (c *xconn) tlsState() (tls.ConnectionState, bool) {
	if tc, ok := c.nc.(*tls.Conn); ok {
		return tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}

// end closes our stream: an optional stream error, then the closing tag
// (RFC 6120 §4.4, §4.9.1.1); nothing is written after it. The read
// deadline becomes closeWait from now, so whoever reads sees the peer's
// closing tag or gives up in time (§4.4 steps 1–3). end does not close
// the connection, so any goroutine may call it while another one reads.
func (c *xconn) end(se *StreamError) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	_ = c.nc.SetReadDeadline(time.Now().Add(closeWait))
	if !c.opened {
		return // no stream of ours is open (not yet, or restarting)
	}
	var b strings.Builder
	if se != nil {
		se.element().appendTo(&b, nsServer)
	}
	b.WriteString("</stream:stream>")
	_ = c.nc.SetWriteDeadline(time.Now().Add(closeWait))
	if _, err := c.bw.WriteString(b.String()); err == nil && c.bw.Flush() == nil {
		c.tagSent = true
	}
}

// close ends the stream, waits for the peer's closing tag (bounded by
// closeWait) and closes the connection (RFC 6120 §4.4). Only the goroutine
// that reads the stream may call it: it reads what the peer still sends.
func (c *xconn) close(se *StreamError) {
	c.end(se)
	c.wmu.Lock()
	wait := c.tagSent
	c.wmu.Unlock()
	if wait {
		c.r.drain()
	}
	c.abort()
}

// closeFor closes c after a failure: with the stream error err carries
// when we detected it (RFC 6120 §4.9.1.1), else with a plain closing tag.
// Like close, only the reading goroutine may call it.
func (c *xconn) closeFor(err error) {
	var se *StreamError
	if errors.As(err, &se) && !se.Received {
		c.close(se)
		return
	}
	c.close(nil)
}

// abort closes the connection without writing.
func (c *xconn) abort() {
	c.wmu.Lock()
	c.closed = true
	nc := c.nc
	c.wmu.Unlock()
	_ = nc.Close()
}

// extendRead moves the read deadline to d from now, unless the stream is
// closing and end has set the deadline for the peer's closing tag.
func (c *xconn) extendRead(d time.Duration) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.closed {
		_ = c.nc.SetReadDeadline(time.Now().Add(d))
	}
}

// newStreamID returns an unpredictable stream id (RFC 6120 §4.7.3; XEP-0185
// relies on it being unique).
func newStreamID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
