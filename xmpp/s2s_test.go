package xmpp

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func discoGet(from, to, id string) *Element {
	return NewElement(nsServer, "iq", "from", from, "to", to, "id", id, "type", "get").
		Add(NewElement(nsDiscoInfo, "query"))
}

func TestDialbackRoundTrip(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)

	if err := a.s.Send(context.Background(), discoGet("alice@a.test/res", "b.test", "d1")); err != nil {
		t.Fatal(err)
	}
	res := a.rec.wait(t, "disco#info result")
	if res.Get("type") != "result" || res.Get("id") != "d1" || res.Get("from") != "b.test" || res.Get("to") != "alice@a.test/res" {
		t.Fatalf("unexpected answer: %s", res)
	}
	q := res.Child(nsDiscoInfo, "query")
	id := q.Child(nsDiscoInfo, "identity")
	if id == nil || id.Get("category") != "gateway" || id.Get("type") != "simple" {
		t.Fatalf("identity missing: %s", res)
	}
	feats := map[string]bool{}
	for _, n := range q.Nodes {
		if n.El != nil && n.El.Name.Local == "feature" {
			feats[n.El.Get("var")] = true
		}
	}
	for _, f := range []string{nsDiscoInfo, nsDiscoItem, nsPing, nsVersion} {
		if !feats[f] {
			t.Errorf("feature %s not advertised", f)
		}
	}
	// Both directions were authenticated by dialback, both verified.
	for name, n := range map[string]*node{"a": a, "b": b} {
		if v := testutil.ToFloat64(n.s.m.dialback.WithLabelValues("receiving", "valid")); v != 1 {
			t.Errorf("%s: receiving dialback valid = %v, want 1", name, v)
		}
		if v := testutil.ToFloat64(n.s.m.dialback.WithLabelValues("authoritative", "valid")); v != 1 {
			t.Errorf("%s: authoritative dialback valid = %v, want 1", name, v)
		}
		if v := testutil.ToFloat64(n.s.m.streams.WithLabelValues("out", "established")); v != 1 {
			t.Errorf("%s: out established = %v", name, v)
		}
	}

	// A message reaches the core of b with its addresses intact, over the
	// stream already up (no second dialback).
	msg := NewElement(nsServer, "message", "from", "alice@a.test/res", "to", "bob@b.test", "type", "chat", "id", "m1").
		Add(NewElement(nsServer, "body").AddText("hi <bob> & \"co\""))
	if err := a.s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	got := b.rec.wait(t, "message")
	if got.Get("from") != "alice@a.test/res" || got.Get("to") != "bob@b.test" || got.Child(nsServer, "body").Text() != `hi <bob> & "co"` {
		t.Fatalf("message mangled: %s", got)
	}
	if v := testutil.ToFloat64(a.s.m.dialback.WithLabelValues("initiating", "valid")); v != 1 {
		t.Errorf("initiating dialbacks = %v, want 1 (stream reused)", v)
	}
}

func TestSASLExternal(t *testing.T) {
	w := newWorld(t)
	ca := newTestCA(t)
	a := w.server("a.test", ca.issue(t, "a.test"), ca.pool)
	b := w.server("b.test", ca.issue(t, "b.test"), ca.pool)
	if err := a.s.Send(context.Background(), discoGet("a.test", "b.test", "x1")); err != nil {
		t.Fatal(err)
	}
	if res := a.rec.wait(t, "result"); res.Get("type") != "result" {
		t.Fatalf("got %s", res)
	}
	for name, n := range map[string]*node{"a": a, "b": b} {
		if v := testutil.ToFloat64(n.s.m.external.WithLabelValues("initiating", "success")); v != 1 {
			t.Errorf("%s: EXTERNAL initiating success = %v", name, v)
		}
		if v := testutil.ToFloat64(n.s.m.dialback.WithLabelValues("initiating", "valid")); v != 0 {
			t.Errorf("%s: dialback used although EXTERNAL was possible", name)
		}
	}
}

func TestBounceUnknownDomain(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	// nowhere.test has no SRV and no A record: remote-server-not-found.
	msg := NewElement(nsServer, "message", "from", "alice@a.test", "to", "x@nowhere.test", "id", "b1").
		Add(NewElement(nsServer, "body").AddText("hello?"))
	if err := a.s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	got := a.rec.wait(t, "bounce")
	se := ParseStanzaError(got)
	if got.Get("type") != "error" || got.Get("id") != "b1" || se == nil || se.Condition != ErrRemoteServerNotFound || got.Get("to") != "alice@a.test" {
		t.Fatalf("bounce = %s", got)
	}
	// An error stanza is never bounced.
	errMsg := NewElement(nsServer, "message", "from", "alice@a.test", "to", "x@nowhere.test", "type", "error")
	if err := a.s.Send(context.Background(), errMsg); err != nil {
		t.Fatal(err)
	}
	a.rec.none(t, 300*time.Millisecond)
}

func TestQueueFull(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil, func(o *Options) {
		o.QueueSize = 2
		// Hold every connection attempt until the test ends.
		o.Dialer = func(ctx context.Context, _, _ string) (net.Conn, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}
	})
	w.dns.AddA("slow.test", "127.0.0.1")
	var full error
	for i := range 10 {
		err := a.s.Send(context.Background(), NewElement(nsServer, "message", "from", "a.test", "to", "slow.test", "id", string(rune('a'+i))))
		if err != nil {
			full = err
			break
		}
	}
	se, ok := full.(*StanzaError)
	if !ok || se.Condition != ErrResourceConstraint {
		t.Fatalf("queue never reported full: %v", full)
	}
}

func TestUnhandledIQ(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	b.s.rt.handler = nil // no core: b answers by itself
	iq := NewElement(nsServer, "iq", "from", "a.test", "to", "b.test", "id", "u1", "type", "set").
		Add(NewElement("urn:example:unknown", "query"))
	if err := a.s.Send(context.Background(), iq); err != nil {
		t.Fatal(err)
	}
	got := a.rec.wait(t, "error")
	if se := ParseStanzaError(got); se == nil || se.Condition != ErrServiceUnavailable || got.Get("id") != "u1" {
		t.Fatalf("got %s", got)
	}
	// A result IQ to b is never answered.
	res := NewElement(nsServer, "iq", "from", "a.test", "to", "b.test", "id", "u2", "type", "result")
	if err := a.s.Send(context.Background(), res); err != nil {
		t.Fatal(err)
	}
	// Version answers.
	ver := NewElement(nsServer, "iq", "from", "a.test", "to", "b.test", "id", "v1", "type", "get").Add(NewElement(nsVersion, "query"))
	if err := a.s.Send(context.Background(), ver); err != nil {
		t.Fatal(err)
	}
	got = a.rec.wait(t, "version")
	if got.Get("id") != "v1" || got.Child(nsVersion, "query").Child(nsVersion, "name").Text() != "sxgw" {
		t.Fatalf("version answer %s (u2 must not have been answered)", got)
	}
}

func TestHandlerErrorBecomesStanzaError(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	b.rec.err = &StanzaError{Condition: ErrItemNotFound}
	if err := a.s.Send(context.Background(), NewElement(nsServer, "message", "from", "u@a.test", "to", "nobody@b.test", "id", "e1")); err != nil {
		t.Fatal(err)
	}
	b.rec.wait(t, "message at b")
	got := a.rec.wait(t, "error at a")
	if se := ParseStanzaError(got); se == nil || se.Condition != ErrItemNotFound || se.Type != "cancel" {
		t.Fatalf("got %s", got)
	}
}

func TestSendValidation(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	cases := map[string]*Element{
		ErrNotAllowed:   NewElement(nsServer, "message", "from", "x@other.test", "to", "y@b.test"),
		ErrJIDMalformed: NewElement(nsServer, "message", "from", "a.test", "to", "@@"),
	}
	for want, st := range cases {
		err := a.s.Send(context.Background(), st)
		se, ok := err.(*StanzaError)
		if !ok || se.Condition != want {
			t.Errorf("Send(%s) = %v, want %s", st, err, want)
		}
	}
}

func TestCloseEndsStreamsGracefully(t *testing.T) {
	w := newWorld(t)
	a := w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
	if err := a.s.Send(context.Background(), discoGet("a.test", "b.test", "c1")); err != nil {
		t.Fatal(err)
	}
	a.rec.wait(t, "result")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// a saw its inbound stream from b end without a stream error and its
	// outbound one closed by b's listener going away.
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(a.s.m.streams.WithLabelValues("in", "established")) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("a still has an inbound stream from b")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if v := testutil.ToFloat64(a.s.m.streamErrors.WithLabelValues("received", CondUndefinedCondition)); v != 0 {
		t.Errorf("stream errors received: %v", v)
	}
}
