package xmpp

import (
	"context"
	"crypto/sha1" //nolint:gosec // XEP-0114 handshake
	"encoding/hex"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeServer plays the XMPP server side of XEP-0114 §3.
func fakeServer(t *testing.T, secret string) (net.Listener, chan *xconn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	conns := make(chan *xconn, 4)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
			c := newXConn(nc, nsComponent, 1<<20)
			h, err := c.r.header()
			if err != nil || headerAttr(h, "xmlns") != nsComponent {
				c.abort()
				continue
			}
			_ = c.header(headerAttr(h, "to"), "", "s3id", false)
			hs, err := c.r.next()
			sum := sha1.Sum([]byte("s3id" + secret)) //nolint:gosec
			if err != nil || hs.Text() != hex.EncodeToString(sum[:]) {
				c.close(streamErr(CondNotAuthorized, ""))
				continue
			}
			_ = c.send(NewElement(nsServer, "handshake"))
			conns <- c
		}
	}()
	return ln, conns
}

func TestComponent(t *testing.T) {
	ln, conns := fakeServer(t, "s3cret")
	rec := newRecorder()
	reg := prometheus.NewRegistry()
	c, err := NewComponent(Options{
		Domains: []string{"sip.example.org"}, Handler: rec, Registerer: reg, ConnectTimeout: 2 * time.Second,
	}, ln.Addr().String(), "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Error(err)
		}
	}()
	var srv *xconn
	select {
	case srv = <-conns:
	case <-time.After(5 * time.Second):
		t.Fatal("component never authenticated")
	}
	defer srv.abort()

	// The server routes a disco#info to the component domain; the component answers.
	if err := srv.writeString(`<iq from="alice@xmpp.test/r" to="sip.example.org" id="q1" type="get"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`); err != nil {
		t.Fatal(err)
	}
	res, err := srv.r.next()
	if err != nil {
		t.Fatal(err)
	}
	if res.Name.Space != nsComponent || res.Get("type") != "result" || res.Get("id") != "q1" || res.Get("from") != "sip.example.org" {
		t.Fatalf("answer %s (ns %s)", res, res.Name.Space)
	}
	// A message reaches the core in jabber:server, body included.
	if err := srv.writeString(`<message from="alice@xmpp.test/r" to="bob\40sip.test@sip.example.org" id="m1"><body>hi</body></message>`); err != nil {
		t.Fatal(err)
	}
	got := rec.wait(t, "message")
	if got.Name.Space != nsServer || got.Child(nsServer, "body").Text() != "hi" {
		t.Fatalf("routed %s", got)
	}
	// The core sends through the component.
	if err := c.Send(context.Background(), NewElement(nsServer, "message", "from", "bob\\40sip.test@sip.example.org", "to", "alice@xmpp.test", "id", "m2")); err != nil {
		t.Fatal(err)
	}
	out, err := srv.r.next()
	if err != nil || out.Get("id") != "m2" || out.Name.Space != nsComponent {
		t.Fatalf("sent %v %v", out, err)
	}
	if v := testutil.ToFloat64(c.m.component); v != 1 {
		t.Errorf("connected gauge %v", v)
	}
	// Wrong from is refused before anything is written.
	if err := c.Send(context.Background(), NewElement(nsServer, "message", "from", "x@other.org", "to", "alice@xmpp.test")); err == nil {
		t.Error("foreign from accepted")
	}
	// The server drops the stream: the component reconnects.
	srv.close(nil)
	select {
	case srv = <-conns:
		srv.abort()
	case <-time.After(5 * time.Second):
		t.Fatal("component did not reconnect")
	}
}

func TestComponentBadSecret(t *testing.T) {
	ln, conns := fakeServer(t, "right")
	c, err := NewComponent(Options{Domains: []string{"sip.example.org"}, ConnectTimeout: time.Second}, ln.Addr().String(), "wrong")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	select {
	case <-conns:
		t.Fatal("authenticated with a wrong secret")
	default:
	}
	if c.Connected() {
		t.Fatal("reports connected")
	}
	if v := testutil.ToFloat64(c.m.connectFails.WithLabelValues("auth")); v < 1 {
		t.Errorf("auth failures %v", v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// RFC 6120 §4.4: Close sends our closing tag and keeps the connection
// until the server answers with its own.
func TestComponentCloseWaitsForServer(t *testing.T) {
	ln, conns := fakeServer(t, "s3cret")
	c, err := NewComponent(Options{Domains: []string{"sip.example.org"}, ConnectTimeout: 2 * time.Second}, ln.Addr().String(), "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var srv *xconn
	select {
	case srv = <-conns:
	case <-time.After(5 * time.Second):
		t.Fatal("component never authenticated")
	}
	defer srv.abort()
	for deadline := time.Now().Add(5 * time.Second); !c.Connected(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("component never reported connected")
		}
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- c.Close(ctx)
	}()
	if err := readUntilEnd(srv); !errors.Is(err, io.EOF) {
		t.Fatalf("stream ended with %v, want a closing tag", err)
	}
	stillOpen(t, srv.nc, 300*time.Millisecond)
	if err := srv.writeString("</stream:stream>"); err != nil {
		t.Fatal(err)
	}
	closedWithin(t, srv.nc, closeWait/2)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Close does not wait for a connection attempt to time out: a server that
// accepted the connection but never answers must not hold it up.
func TestComponentCloseDuringHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := ln.Accept()
		if err == nil {
			accepted <- nc
		}
	}()
	c, err := NewComponent(Options{Domains: []string{"sip.example.org"}, ConnectTimeout: 8 * time.Second}, ln.Addr().String(), "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case nc := <-accepted:
		t.Cleanup(func() { _ = nc.Close() })
		// The component's stream header: it now waits for ours.
		_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := nc.Read(make([]byte, 64)); err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("component never connected")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
