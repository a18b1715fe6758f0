package xmpp

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// rawPeer is a hand-driven initiating server, for misbehaving on purpose.
type rawPeer struct {
	t  *testing.T
	c  *xconn
	id string
}

// dialRaw opens a stream from -> to on addr and completes STARTTLS.
func dialRaw(t *testing.T, addr net.Addr, from, to string) *rawPeer {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr.String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	p := &rawPeer{t: t, c: newXConn(nc, nsServer, 1<<20)}
	t.Cleanup(p.c.abort)
	p.open(from, to)
	if err := p.c.send(NewElement(nsTLS, "starttls")); err != nil {
		t.Fatal(err)
	}
	if el := p.next(); el.Name.Local != "proceed" {
		t.Fatalf("starttls answered %s", el)
	}
	if err := p.c.startTLS(context.Background(), &tls.Config{InsecureSkipVerify: true}, false); err != nil { //nolint:gosec // test peer
		t.Fatal(err)
	}
	p.open(from, to)
	return p
}

func (p *rawPeer) open(from, to string) *Element {
	p.t.Helper()
	if err := p.c.header(from, to, "", true); err != nil {
		p.t.Fatal(err)
	}
	h, err := p.c.r.header()
	if err != nil {
		p.t.Fatal(err)
	}
	p.id = headerAttr(h, "id")
	return p.next()
}

func (p *rawPeer) next() *Element {
	p.t.Helper()
	el, err := p.c.r.next()
	if err != nil {
		p.t.Fatalf("read: %v", err)
	}
	return el
}

func (p *rawPeer) raw(s string) {
	p.t.Helper()
	if err := p.c.writeString(s); err != nil {
		p.t.Fatal(err)
	}
}

// expectStreamError reads until a stream error and checks its condition,
// then checks the stream is closed.
func (p *rawPeer) expectStreamError(cond string) {
	p.t.Helper()
	for range 10 {
		el, err := p.c.r.next()
		if err != nil {
			p.t.Fatalf("stream ended without error %s: %v", cond, err)
		}
		if el.Name.Space == nsStream && el.Name.Local == "error" {
			if se := parseStreamError(el); se.Condition != cond {
				p.t.Fatalf("stream error %s, want %s", se.Condition, cond)
			}
			if _, err := p.c.r.next(); err == nil {
				p.t.Fatal("stream still open after stream error")
			}
			return
		}
	}
	p.t.Fatalf("no stream error %s", cond)
}

// dialbackAs authenticates the raw peer for domain using key.
func (p *rawPeer) dialbackAs(domain, to, key string) string {
	p.t.Helper()
	if err := p.c.send(dbResult(domain, to, "", key)); err != nil {
		p.t.Fatal(err)
	}
	el := p.next()
	if el.Name.Space != nsDialback || el.Name.Local != "result" {
		p.t.Fatalf("dialback answered %s", el)
	}
	return el.Get("type")
}

func TestSpoofedFromIsRefused(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	p := dialRaw(t, b.s.Addr(), "a.test", "b.test")
	// The raw peer knows a.test's secret, so a.test vouches for its key.
	key := dialbackKey(a.s.o.DialbackSecret, "b.test", "a.test", p.id)
	if typ := p.dialbackAs("a.test", "b.test", key); typ != "valid" {
		t.Fatalf("dialback result %q", typ)
	}
	// Positive control: a stanza from the authenticated domain is routed.
	p.raw(`<message from="x@a.test" to="y@b.test" id="ok1"><body>fine</body></message>`)
	if got := b.rec.wait(t, "routed message"); got.Get("id") != "ok1" {
		t.Fatalf("routed %s", got)
	}
	p.raw(`<message from="mallory@evil.test" to="y@b.test" id="spoof"><body>evil</body></message>`)
	p.expectStreamError(CondInvalidFrom)
	b.rec.none(t, 200*time.Millisecond)
	if v := testutil.ToFloat64(b.s.m.streamErrors.WithLabelValues("sent", CondInvalidFrom)); v != 1 {
		t.Errorf("invalid-from counted %v times", v)
	}
	// Other streams are unaffected: a and b still talk.
	if err := a.s.Send(context.Background(), discoGet("a.test", "b.test", "after")); err != nil {
		t.Fatal(err)
	}
	if got := a.rec.wait(t, "disco after spoof"); got.Get("id") != "after" {
		t.Fatalf("got %s", got)
	}
}

func TestWrongDialbackKey(t *testing.T) {
	w := newWorld(t)
	w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	p := dialRaw(t, b.s.Addr(), "a.test", "b.test")
	if typ := p.dialbackAs("a.test", "b.test", strings.Repeat("0", 64)); typ != "invalid" {
		t.Fatalf("wrong key answered %q", typ)
	}
	p.expectStreamError(CondNotAuthorized)
	if v := testutil.ToFloat64(b.s.m.dialback.WithLabelValues("receiving", "invalid")); v != 1 {
		t.Errorf("invalid dialbacks counted %v", v)
	}
}

func TestDialbackForUnknownDomain(t *testing.T) {
	w := newWorld(t)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	p := dialRaw(t, b.s.Addr(), "ghost.test", "b.test")
	// ghost.test has no DNS: the authoritative server cannot be reached.
	if typ := p.dialbackAs("ghost.test", "b.test", strings.Repeat("a", 64)); typ != "error" {
		t.Fatalf("got %q", typ)
	}
}

func TestBadInputStreamErrors(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil, func(o *Options) { o.MaxStanzaSize = 4096 })
	authed := func(t *testing.T) *rawPeer {
		p := dialRaw(t, b.s.Addr(), "a.test", "b.test")
		if typ := p.dialbackAs("a.test", "b.test", dialbackKey(a.s.o.DialbackSecret, "b.test", "a.test", p.id)); typ != "valid" {
			t.Fatalf("dialback %q", typ)
		}
		return p
	}
	cases := []struct {
		name, send, cond string
		authed           bool
	}{
		{"malformed", `<message from="x@a.test" to="y@b.test"><body></message>`, CondNotWellFormed, true},
		{"oversized", `<message from="x@a.test" to="y@b.test"><body>` + strings.Repeat("x", 10000) + `</body></message>`, CondPolicyViolation, true},
		{"unknown namespace", `<foo xmlns="urn:example:foo"/>`, CondUnsupportedStanzaType, true},
		{"unknown stanza", `<bar/>`, CondUnsupportedStanzaType, true},
		{"comment", `<!-- hi -->`, CondRestrictedXML, true},
		{"to not served", `<message from="x@a.test" to="y@c.test"/>`, CondHostUnknown, true},
		{"no from", `<message to="y@b.test"/>`, CondImproperAddressing, true},
		{"before auth", `<message from="x@a.test" to="y@b.test"/>`, CondNotAuthorized, false},
		{"undefined entity", `<message from="x@a.test" to="y@b.test"><body>&foo;</body></message>`, CondNotWellFormed, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p *rawPeer
			if c.authed {
				p = authed(t)
			} else {
				p = dialRaw(t, b.s.Addr(), "a.test", "b.test")
			}
			p.raw(c.send)
			p.expectStreamError(c.cond)
		})
	}
	b.rec.none(t, 100*time.Millisecond)
}

func TestHostUnknownHeader(t *testing.T) {
	w := newWorld(t)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	nc, err := net.DialTimeout("tcp", b.s.Addr().String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	p := &rawPeer{t: t, c: newXConn(nc, nsServer, 1<<20)}
	t.Cleanup(p.c.abort)
	if err := p.c.header("a.test", "elsewhere.test", "", true); err != nil {
		t.Fatal(err)
	}
	if _, err := p.c.r.header(); err != nil {
		t.Fatal(err)
	}
	p.expectStreamError(CondHostUnknown)

	// A header in the wrong namespace.
	nc2, err := net.DialTimeout("tcp", b.s.Addr().String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc2.SetDeadline(time.Now().Add(5 * time.Second))
	p2 := &rawPeer{t: t, c: newXConn(nc2, "jabber:client", 1<<20)}
	t.Cleanup(p2.c.abort)
	if err := p2.c.header("a.test", "b.test", "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := p2.c.r.header(); err != nil {
		t.Fatal(err)
	}
	p2.expectStreamError(CondInvalidNamespace)
}

func TestTLSFailureIsCounted(t *testing.T) {
	w := newWorld(t)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	nc, err := net.DialTimeout("tcp", b.s.Addr().String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	p := &rawPeer{t: t, c: newXConn(nc, nsServer, 1<<20)}
	t.Cleanup(p.c.abort)
	p.open("a.test", "b.test")
	p.raw(`<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>`)
	if el := p.next(); el.Name.Local != "proceed" {
		t.Fatalf("got %s", el)
	}
	p.raw("this is not a TLS client hello\r\n\r\n")
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(b.s.m.tlsFailures.WithLabelValues("in")) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("TLS failure not counted")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Before a stream is authenticated only small negotiation elements are
// expected; a large one is refused at once instead of being parsed into
// memory (the full stanza limit applies once the peer is authenticated).
func TestLargeElementBeforeAuth(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	big := `<message from="x@a.test" to="y@b.test" id="big"><body>` + strings.Repeat("x", 20000) + `</body></message>`
	p := dialRaw(t, b.s.Addr(), "a.test", "b.test")
	p.raw(big)
	p.expectStreamError(CondPolicyViolation)

	p = dialRaw(t, b.s.Addr(), "a.test", "b.test")
	if typ := p.dialbackAs("a.test", "b.test", dialbackKey(a.s.o.DialbackSecret, "b.test", "a.test", p.id)); typ != "valid" {
		t.Fatalf("dialback %q", typ)
	}
	p.raw(big)
	if got := b.rec.wait(t, "large stanza after auth"); got.Get("id") != "big" {
		t.Fatalf("routed %s", got)
	}
}

// The same bound protects our outbound negotiation from a remote server
// (any domain a dialback request names) that sends huge elements.
func TestLargeElementFromRemoteDuringNegotiation(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	w.publish("huge.test", ln.Addr())
	got := make(chan *Element, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
		c := newXConn(nc, nsServer, 1<<20)
		defer c.abort()
		if _, err := c.r.header(); err != nil {
			got <- nil
			return
		}
		_ = c.header("huge.test", "a.test", "h1", true)
		_ = c.writeString(`<stream:features><starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/><x xmlns="urn:example:junk">` +
			strings.Repeat("j", 20000) + `</x></stream:features>`)
		el, _ := c.r.next()
		got <- el
	}()
	sendTo(t, a.s, "x@huge.test", "h1")
	el := <-got
	if el == nil || el.Name.Local != "error" || parseStreamError(el).Condition != CondPolicyViolation {
		t.Fatalf("after oversized features we sent %v, want a policy-violation stream error", el)
	}
}

// XEP-0220 §2.2.1: a wrong key for an additional domain on a stream that
// already carries an authenticated one gets a <forbidden/> dialback error,
// not "invalid" (which tells the peer to stop using the whole stream); the
// authenticated domain goes on working.
func TestWrongKeyForSecondDomain(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	w.server("c.test", (*testCA)(nil).issue(t, "c.test"), nil)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	p := dialRaw(t, b.s.Addr(), "a.test", "b.test")
	if typ := p.dialbackAs("a.test", "b.test", dialbackKey(a.s.o.DialbackSecret, "b.test", "a.test", p.id)); typ != "valid" {
		t.Fatalf("dialback %q", typ)
	}
	if err := p.c.send(dbResult("c.test", "b.test", "", strings.Repeat("0", 64))); err != nil {
		t.Fatal(err)
	}
	el := p.next()
	se := ParseStanzaError(el)
	if el.Name.Local != "result" || el.Get("from") != "b.test" || el.Get("to") != "c.test" || el.Get("type") != "error" || se == nil || se.Condition != ErrForbidden {
		t.Fatalf("wrong key for a second domain answered %s", el)
	}
	p.raw(`<message from="x@a.test" to="y@b.test" id="still"/>`)
	if got := b.rec.wait(t, "message"); got.Get("id") != "still" {
		t.Fatalf("routed %s", got)
	}
}
