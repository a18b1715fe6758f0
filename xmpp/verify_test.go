package xmpp

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// hangingServer accepts connections for a domain and never answers: an
// authoritative server that does not respond.
type hangingServer struct {
	ln    net.Listener
	conns chan net.Conn
	mu    sync.Mutex
	all   []net.Conn
	done  chan struct{}
}

func newHangingServer(t *testing.T, w *world, domain string) *hangingServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hangingServer{ln: ln, conns: make(chan net.Conn, 64), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.all = append(h.all, nc)
			h.mu.Unlock()
			h.conns <- nc
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-h.done
		h.mu.Lock()
		for _, c := range h.all {
			_ = c.Close()
		}
		h.mu.Unlock()
	})
	w.publish(domain, ln.Addr())
	return h
}

func (h *hangingServer) next(t *testing.T) net.Conn {
	t.Helper()
	select {
	case nc := <-h.conns:
		return nc
	case <-time.After(10 * time.Second):
		t.Fatal("no verification connection")
		return nil
	}
}

// A dialback verification is abandoned when the stream that asked for it
// ends: a peer cannot leave verifications running after it left.
func TestVerificationEndsWithStream(t *testing.T) {
	w := newWorld(t)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil, func(o *Options) { o.ConnectTimeout = 8 * time.Second })
	slow := newHangingServer(t, w, "slow.test")
	p := dialRaw(t, b.s.Addr(), "slow.test", "b.test")
	if err := p.c.send(dbResult("slow.test", "b.test", "", strings.Repeat("a", 64))); err != nil {
		t.Fatal(err)
	}
	vc := slow.next(t)
	p.c.abort()
	_ = vc.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := io.Copy(io.Discard, vc)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("verification connection still open after the asking stream ended")
	}
}

// A verification still running when the peer restarts the stream with
// SASL EXTERNAL must not race with the restart (run with -race).
func TestDialbackPendingDuringSASLRestart(t *testing.T) {
	w := newWorld(t)
	ca := newTestCA(t)
	b := w.server("b.test", ca.issue(t, "b.test"), ca.pool)
	newHangingServer(t, w, "slow.test")
	nc, err := net.DialTimeout("tcp", b.s.Addr().String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	p := &rawPeer{t: t, c: newXConn(nc, nsServer, 1<<20)}
	t.Cleanup(p.c.abort)
	p.open("a.test", "b.test")
	p.raw(`<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>`)
	if el := p.next(); el.Name.Local != "proceed" {
		t.Fatalf("got %s", el)
	}
	cfg := &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{ca.issue(t, "a.test")}} //nolint:gosec // test peer
	if err := p.c.startTLS(context.Background(), cfg, false); err != nil {
		t.Fatal(err)
	}
	if f := p.open("a.test", "b.test"); f.Child(nsSASL, "mechanisms") == nil {
		t.Fatalf("EXTERNAL not offered: %s", f)
	}
	// A dialback request whose verification hangs, then SASL EXTERNAL.
	if err := p.c.send(dbResult("slow.test", "b.test", "", strings.Repeat("a", 64))); err != nil {
		t.Fatal(err)
	}
	p.raw(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="EXTERNAL">` + base64.StdEncoding.EncodeToString([]byte("a.test")) + `</auth>`)
	if el := p.next(); el.Name.Local != "success" {
		t.Fatalf("auth answered %s", el)
	}
	p.c.r.restart()
	p.open("a.test", "b.test")
	p.raw(`<message from="x@a.test" to="y@b.test" id="after-sasl"/>`)
	if got := b.rec.wait(t, "message"); got.Get("id") != "after-sasl" {
		t.Fatalf("routed %s", got)
	}
}

// Dialback verifications running at once are bounded across streams; a
// request over the bound gets a resource-constraint dialback error
// (XEP-0220 §2.5) and the stream lives on.
func TestVerificationCap(t *testing.T) {
	w := newWorld(t)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	b.s.mu.Lock()
	b.s.maxVerifying = 1
	b.s.mu.Unlock()
	slow := newHangingServer(t, w, "slow.test")
	newHangingServer(t, w, "slow2.test")
	p1 := dialRaw(t, b.s.Addr(), "slow.test", "b.test")
	if err := p1.c.send(dbResult("slow.test", "b.test", "", strings.Repeat("a", 64))); err != nil {
		t.Fatal(err)
	}
	slow.next(t) // the first verification is running
	p2 := dialRaw(t, b.s.Addr(), "slow2.test", "b.test")
	if err := p2.c.send(dbResult("slow2.test", "b.test", "", strings.Repeat("a", 64))); err != nil {
		t.Fatal(err)
	}
	el := p2.next()
	se := ParseStanzaError(el)
	if el.Name.Local != "result" || el.Get("type") != "error" || se == nil || se.Condition != ErrResourceConstraint {
		t.Fatalf("second verification answered %s", el)
	}
	// The first stream's verification ends (the stream goes), freeing the slot.
	p1.c.abort()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.s.mu.Lock()
		n := b.s.verifying
		b.s.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("verification slot never freed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
