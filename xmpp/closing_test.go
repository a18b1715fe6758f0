package xmpp

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// stillOpen reports whether nothing arrives on nc for d: the peer neither
// wrote nor closed the connection.
func stillOpen(t *testing.T, nc net.Conn, d time.Duration) {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(d))
	var b [1]byte
	_, err := nc.Read(b[:])
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("connection closed before our closing tag (RFC 6120 §4.4): %v", err)
	}
}

// closedWithin checks that the peer closes nc within d.
func closedWithin(t *testing.T, nc net.Conn, d time.Duration) {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, nc)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open %v after our closing tag", d)
	}
}

func sendTo(t *testing.T, s *S2S, to, id string) {
	t.Helper()
	msg := NewElement(nsServer, "message", "from", "u@a.test", "to", to, "id", id).Add(NewElement(nsServer, "body").AddText("x"))
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
}

func readID(t *testing.T, c *xconn, id string) {
	t.Helper()
	for range 20 {
		el, err := c.r.next()
		if err != nil {
			t.Fatalf("waiting for %s: %v", id, err)
		}
		if el.Get("id") == id {
			return
		}
	}
	t.Fatalf("%s never arrived", id)
}

// RFC 6120 §4.4: the peer closes our outbound stream; we answer with our
// closing tag instead of dropping the connection.
func TestOutboundAnswersPeerClose(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	far := newFakeRemote(t, w, "far.test")
	sendTo(t, a.s, "x@far.test", "m1")
	c := far.next()
	readID(t, c, "m1")
	if err := c.writeString("</stream:stream>"); err != nil {
		t.Fatal(err)
	}
	if err := readUntilEnd(c); !errors.Is(err, io.EOF) {
		t.Fatalf("our stream ended with %v, want our closing tag", err)
	}
}

// RFC 6120 §4.4 steps 1 and 4: when we close an outbound stream, the TCP
// connection stays up until the peer's closing tag.
func TestOutboundCloseWaitsForPeer(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	far := newFakeRemote(t, w, "far.test")
	sendTo(t, a.s, "x@far.test", "m1")
	c := far.next()
	readID(t, c, "m1")
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- a.s.Close(ctx)
	}()
	if err := readUntilEnd(c); !errors.Is(err, io.EOF) {
		t.Fatalf("stream ended with %v, want a closing tag", err)
	}
	stillOpen(t, c.nc, 300*time.Millisecond)
	if err := c.writeString("</stream:stream>"); err != nil {
		t.Fatal(err)
	}
	closedWithin(t, c.nc, closeWait/2)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// RFC 6120 §4.9.1.1 and §4.4: after a stream error on an inbound stream we
// wait for the peer's closing tag before closing the connection.
func TestInboundStreamErrorWaitsForPeer(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	p := dialRaw(t, b.s.Addr(), "a.test", "b.test")
	if typ := p.dialbackAs("a.test", "b.test", dialbackKey(a.s.o.DialbackSecret, "b.test", "a.test", p.id)); typ != "valid" {
		t.Fatalf("dialback %q", typ)
	}
	p.raw(`<bar/>`)
	p.expectStreamError(CondUnsupportedStanzaType)
	stillOpen(t, p.c.nc, 300*time.Millisecond)
	p.raw("</stream:stream>")
	closedWithin(t, p.c.nc, closeWait/2)
}

// S2S.Close closes inbound streams the same way.
func TestInboundCloseWaitsForPeer(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	p := dialRaw(t, b.s.Addr(), "a.test", "b.test")
	if typ := p.dialbackAs("a.test", "b.test", dialbackKey(a.s.o.DialbackSecret, "b.test", "a.test", p.id)); typ != "valid" {
		t.Fatalf("dialback %q", typ)
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- b.s.Close(ctx)
	}()
	if err := readUntilEnd(p.c); !errors.Is(err, io.EOF) {
		t.Fatalf("stream ended with %v, want a closing tag", err)
	}
	// Data that the peer still sends is processed (§4.4 step 2).
	p.raw(`<message from="x@a.test" to="y@b.test" id="late"/>`)
	if got := b.rec.wait(t, "late message"); got.Get("id") != "late" {
		t.Fatalf("routed %s", got)
	}
	stillOpen(t, p.c.nc, 300*time.Millisecond)
	p.raw("</stream:stream>")
	closedWithin(t, p.c.nc, closeWait/2)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A peer that sends far more than the stanza limit still gets to write it
// and to read the policy-violation stream error: we consume its data
// instead of resetting the connection under it.
func TestOversizedStanzaErrorIsDelivered(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil, func(o *Options) { o.MaxStanzaSize = 4096 })
	p := dialRaw(t, b.s.Addr(), "a.test", "b.test")
	if typ := p.dialbackAs("a.test", "b.test", dialbackKey(a.s.o.DialbackSecret, "b.test", "a.test", p.id)); typ != "valid" {
		t.Fatalf("dialback %q", typ)
	}
	wrote := make(chan error, 1)
	go func() {
		wrote <- p.c.writeString(`<message from="x@a.test" to="y@b.test"><body>` + strings.Repeat("x", 4<<20) + `</body></message>`)
	}()
	p.expectStreamError(CondPolicyViolation)
	if err := <-wrote; err != nil {
		t.Fatalf("peer could not finish writing: %v", err)
	}
}

// XEP-0220 §2.1.1: stanzas queued for a domain pair whose dialback the
// receiving server answered "invalid" go back with internal-server-error;
// after a dialback error, or the stream closing before the answer, with
// remote-server-timeout.
func TestDialbackFailureBounces(t *testing.T) {
	cases := []struct{ answer, cond string }{
		{"invalid", ErrInternalServerError},
		{"error", ErrRemoteServerTimeout},
		{"close", ErrRemoteServerTimeout},
	}
	for _, c := range cases {
		t.Run(c.answer, func(t *testing.T) {
			w := newWorld(t)
			a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
			newFakeRemoteAnswering(t, w, "far.test", c.answer)
			sendTo(t, a.s, "x@far.test", "q1")
			got := a.rec.wait(t, "bounce")
			se := ParseStanzaError(got)
			if got.Get("id") != "q1" || got.Get("type") != "error" || se == nil || se.Condition != c.cond {
				t.Fatalf("bounce %s, want %s", got, c.cond)
			}
		})
	}
}

// Close is bounded by its context even when a peer that stopped reading
// holds up our writes on its stream.
func TestCloseNotHeldBySlowReader(t *testing.T) {
	w := newWorld(t)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	p := dialRaw(t, b.s.Addr(), "a.test", "b.test")
	req := strings.Repeat(`<db:verify from="a.test" to="b.test" id="x">`+strings.Repeat("0", 64)+`</db:verify>`, 1000)
	go func() {
		// Ask and never read the answers, until b stops reading too.
		for range 200 {
			if p.c.writeString(req) != nil {
				return
			}
		}
	}()
	time.Sleep(500 * time.Millisecond)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		done <- b.s.Close(ctx)
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Close ignored its context")
	}
}
