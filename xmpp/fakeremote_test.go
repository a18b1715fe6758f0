package xmpp

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"testing"
	"time"
)

// fakeRemote is a hand-driven receiving server for one domain: it accepts
// s2s streams, does STARTTLS, accepts any dialback key and then hands each
// authenticated stream to the test, which plays the remote from there on.
type fakeRemote struct {
	t     *testing.T
	ln    net.Listener
	conns chan *xconn
	wg    sync.WaitGroup

	mu   sync.Mutex
	open []*xconn
}

func newFakeRemote(t *testing.T, w *world, domain string) *fakeRemote {
	t.Helper()
	return newFakeRemoteAnswering(t, w, domain, "valid")
}

// newFakeRemoteAnswering answers dialback with the given type: valid,
// invalid, error (item-not-found) or close (ends the stream instead).
func newFakeRemoteAnswering(t *testing.T, w *world, domain, answer string) *fakeRemote {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeRemote{t: t, ln: ln, conns: make(chan *xconn, 16)}
	cfg := &tls.Config{Certificates: []tls.Certificate{(*testCA)(nil).issue(t, domain)}, MinVersion: tls.VersionTLS12}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.negotiate(nc, domain, answer, cfg)
			}()
		}
	}()
	t.Cleanup(f.stop)
	w.publish(domain, ln.Addr())
	return f
}

// negotiate plays the receiving server up to a valid dialback result.
func (f *fakeRemote) negotiate(nc net.Conn, domain, answer string, cfg *tls.Config) {
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := newXConn(nc, nsServer, 1<<20)
	f.mu.Lock()
	f.open = append(f.open, c)
	f.mu.Unlock()
	h, err := c.r.header()
	if err != nil {
		c.abort()
		return
	}
	peer := headerAttr(h, "from")
	_ = c.header(domain, peer, "fake-1", true)
	_ = c.send(NewElement(nsStream, "features").Add(NewElement(nsTLS, "starttls")))
	if el, err := c.r.next(); err != nil || el.Name.Local != "starttls" {
		c.abort()
		return
	}
	_ = c.send(NewElement(nsTLS, "proceed"))
	if err := c.startTLS(context.Background(), cfg, true); err != nil {
		c.abort()
		return
	}
	if _, err := c.r.header(); err != nil {
		c.abort()
		return
	}
	_ = c.header(domain, peer, "fake-2", true)
	_ = c.send(NewElement(nsStream, "features").Add(NewElement(nsDBFeature, "dialback").Add(NewElement(nsDBFeature, "errors"))))
	el, err := c.r.next()
	if err != nil || el.Name.Space != nsDialback || el.Name.Local != "result" {
		c.abort()
		return
	}
	reply := dbResult(domain, el.Get("from"), answer, "")
	switch answer {
	case "error":
		reply = dialbackError("result", domain, el.Get("from"), "", ErrItemNotFound)
	case "close":
		c.close(nil)
		return
	}
	if err := c.send(reply); err != nil {
		c.abort()
		return
	}
	if answer != "valid" {
		_ = readUntilEnd(c)
		c.close(nil)
		return
	}
	f.conns <- c
}

// next returns the next authenticated stream.
func (f *fakeRemote) next() *xconn {
	f.t.Helper()
	select {
	case c := <-f.conns:
		return c
	case <-time.After(10 * time.Second):
		f.t.Fatal("no stream reached the fake remote")
		return nil
	}
}

func (f *fakeRemote) stop() {
	_ = f.ln.Close()
	f.mu.Lock()
	for _, c := range f.open {
		c.abort()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// readUntilEnd reads c until the peer's closing tag or an error, which it
// returns (io.EOF for a clean close).
func readUntilEnd(c *xconn) error {
	for {
		if _, err := c.r.next(); err != nil {
			return err
		}
	}
}
