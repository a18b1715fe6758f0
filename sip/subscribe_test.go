package sip

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sxgw/sxgw/translate"
)

const pidfType = "application/pidf+xml"

// fakeCore is an Inbound recording what reaches it; its answers come from
// the optional functions (default: grant the requested expiry or 3600,
// accept every NOTIFY).
type fakeCore struct {
	mu          sync.Mutex
	subscribes  []translate.SIPSubscribe
	notifies    []translate.SIPNotify
	onSubscribe func(translate.SIPSubscribe) (int, func(), error)
	onNotify    func(translate.SIPNotify) error
	gotSub      chan struct{}
	gotNotify   chan struct{}
}

func newFakeCore() *fakeCore {
	return &fakeCore{gotSub: make(chan struct{}, 64), gotNotify: make(chan struct{}, 64)}
}

func (c *fakeCore) SIPMessage(context.Context, translate.SIPMessage) error { return nil }

func (c *fakeCore) SIPSubscribe(ctx context.Context, s translate.SIPSubscribe) (int, func(), error) {
	c.mu.Lock()
	c.subscribes = append(c.subscribes, s)
	f := c.onSubscribe
	c.mu.Unlock()
	c.gotSub <- struct{}{}
	if f != nil {
		return f(s)
	}
	if s.Expires >= 0 {
		return s.Expires, nil, nil
	}
	return 3600, nil, nil
}

func (c *fakeCore) SIPNotify(ctx context.Context, n translate.SIPNotify) error {
	c.mu.Lock()
	c.notifies = append(c.notifies, n)
	f := c.onNotify
	c.mu.Unlock()
	c.gotNotify <- struct{}{}
	if f != nil {
		return f(n)
	}
	return nil
}

func (c *fakeCore) setSubscribe(f func(translate.SIPSubscribe) (int, func(), error)) {
	c.mu.Lock()
	c.onSubscribe = f
	c.mu.Unlock()
}

func (c *fakeCore) setNotify(f func(translate.SIPNotify) error) {
	c.mu.Lock()
	c.onNotify = f
	c.mu.Unlock()
}

func (c *fakeCore) lastSubscribe(t *testing.T) translate.SIPSubscribe {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.subscribes) == 0 {
		t.Fatal("no SUBSCRIBE reached the core")
	}
	return c.subscribes[len(c.subscribes)-1]
}

func (c *fakeCore) lastNotify(t *testing.T) translate.SIPNotify {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.notifies) == 0 {
		t.Fatal("no NOTIFY reached the core")
	}
	return c.notifies[len(c.notifies)-1]
}

func (c *fakeCore) counts() (subs, notifies int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.subscribes), len(c.notifies)
}

// waitFor waits for one signal on ch.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// wantCount checks a counter, giving the endpoint a moment: a response
// is counted after it was sent, so the peer may see it first.
func wantCount(t *testing.T, c prometheus.Collector, want float64) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		got := testutil.ToFloat64(c)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("counter = %v, want %v", got, want)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startPresence starts an endpoint serving presence subscriptions.
func startPresence(t *testing.T, o Options) (*Endpoint, *fakeCore) {
	t.Helper()
	e, _ := startEndpoint(t, o)
	core := newFakeCore()
	e.ServeSubscriptions(core, []string{"presence"}, []string{pidfType})
	return e, core
}

func TestSubscribeRefusals(t *testing.T) {
	e, core := startPresence(t, Options{})
	cases := []struct {
		file    string
		code    int
		reason  string
		headers map[string]string
		metric  string
	}{
		{"subscribe_no_event.sip", 489, "Bad Event", map[string]string{"Allow-Events": "presence"}, badEvent},
		{"subscribe_unknown_event.sip", 489, "Bad Event", map[string]string{"Allow-Events": "presence"}, badEvent},
		// RFC 6665 §8.2.1: a template package is another event type.
		{"subscribe_template_event.sip", 489, "Bad Event", map[string]string{"Allow-Events": "presence"}, badEvent},
		{"subscribe_bad_event.sip", 400, "Invalid Event Header", nil, badInvalidHeader},
		{"subscribe_two_events.sip", 400, "Duplicate Event Header", nil, badInvalidHeader},
		{"subscribe_not_acceptable.sip", 406, "Not Acceptable", map[string]string{"Accept": pidfType}, badNotAcceptable},
		{"subscribe_accept_q0.sip", 406, "Not Acceptable", map[string]string{"Accept": pidfType}, badNotAcceptable},
		{"subscribe_bad_expires.sip", 400, "Invalid Expires Header", nil, badInvalidHeader},
		{"subscribe_brief.sip", 423, "Interval Too Brief", map[string]string{"Min-Expires": "60"}, badIntervalTooBrief},
		{"subscribe_no_contact.sip", 400, "Missing Contact Header", nil, badMissingHeader},
		{"subscribe_bad_contact.sip", 400, "Invalid Contact Header", nil, badInvalidHeader},
	}
	for _, transport := range []string{TransportUDP, TransportTCP} {
		target := addrOf(t, e, transport)
		for _, c := range cases {
			t.Run(transport+"/"+c.file, func(t *testing.T) {
				before := testutil.ToFloat64(e.m.badRequests.WithLabelValues(c.metric))
				res := exchange(t, transport, target, c.file, 3*time.Second, nil)
				if res == nil {
					t.Fatal("no response")
				}
				if res.StatusCode != c.code || res.Reason != c.reason {
					t.Fatalf("got %d %q, want %d %q", res.StatusCode, res.Reason, c.code, c.reason)
				}
				for name, want := range c.headers {
					if got, _ := header(res, name); got != want {
						t.Errorf("%s = %q, want %q", name, got, want)
					}
				}
				if got := testutil.ToFloat64(e.m.badRequests.WithLabelValues(c.metric)); got != before+1 {
					t.Errorf("bad_requests{%s} = %v, want %v", c.metric, got, before+1)
				}
			})
		}
	}
	if subs, _ := core.counts(); subs != 0 {
		t.Errorf("%d refused SUBSCRIBEs reached the core", subs)
	}
	wantCount(t, e.m.requests.WithLabelValues("SUBSCRIBE", "4xx"), float64(2*len(cases)))
}

func TestSubscribeNew(t *testing.T) {
	e, core := startPresence(t, Options{})
	for _, transport := range []string{TransportUDP, TransportTCP} {
		t.Run(transport, func(t *testing.T) {
			target := addrOf(t, e, transport)
			// after() must run only once the 200 is out: it waits for the
			// test to have received it.
			received := make(chan struct{})
			afterDone := make(chan bool, 1)
			core.setSubscribe(func(s translate.SIPSubscribe) (int, func(), error) {
				return 300, func() {
					select {
					case <-received:
						afterDone <- true
					case <-time.After(2 * time.Second):
						afterDone <- false
					}
				}, nil
			})
			res := exchange(t, transport, target, "subscribe.sip", 4*time.Second, nil)
			close(received)
			if res == nil || res.StatusCode != 200 || res.Reason != "OK" {
				t.Fatalf("got %v, want 200 OK", res)
			}
			select {
			case ok := <-afterDone:
				if !ok {
					t.Fatal("after() ran before the 200 was sent")
				}
			case <-time.After(5 * time.Second):
				t.Fatal("after() not called")
			}

			s := core.lastSubscribe(t)
			toTag, _ := res.To().Params.Get("tag")
			if toTag == "" || toTag != s.Dialog.LocalTag {
				t.Errorf("To tag %q, core's LocalTag %q", toTag, s.Dialog.LocalTag)
			}
			if v, _ := header(res, "Expires"); v != "300" {
				t.Errorf("Expires = %q, want 300", v)
			}
			if v, _ := header(res, "Allow-Events"); v != "presence" {
				t.Errorf("Allow-Events = %q", v)
			}
			wantContact := "<sip:alice@" + target.String() + ">"
			if transport == TransportTCP {
				wantContact = "<sip:alice@" + target.String() + ";transport=tcp>"
			}
			if v, _ := header(res, "Contact"); v != wantContact {
				t.Errorf("Contact = %q, want %q", v, wantContact)
			}
			// RFC 3261 §12.1.1: Record-Route is copied into the 2xx.
			if rr := res.GetHeaders("Record-Route"); len(rr) != 2 {
				t.Errorf("response has %d Record-Route, want 2", len(rr))
			}

			if !s.New || s.Event != "presence" || s.EventID != "" || s.Expires != 600 {
				t.Errorf("subscribe = %+v", s)
			}
			if s.RequestURI != "sip:alice@xmpp.test" || !slices.Equal(s.Accept, []string{pidfType}) {
				t.Errorf("RequestURI %q Accept %q", s.RequestURI, s.Accept)
			}
			d := s.Dialog
			if d.RemoteURI != "sip:bob@peer.test" || d.RemoteTag != "xfg9" || d.LocalURI != "sip:alice@xmpp.test" ||
				d.RemoteCSeq != 17766 || d.LocalCSeq != 0 || d.CallID != res.CallID().Value() {
				t.Errorf("dialog = %+v", d)
			}
			if !strings.HasPrefix(d.RemoteTarget, "sip:bob@127.0.0.1:") || !strings.HasSuffix(d.RemoteTarget, ";transport="+strings.ToUpper(transport)) {
				t.Errorf("RemoteTarget = %q", d.RemoteTarget)
			}
			// RFC 3261 §12.1.1: the UAS keeps Record-Route in order.
			if want := []string{"sip:p2.peer.test;lr", "sip:p1.peer.test;lr"}; !slices.Equal(d.RouteSet, want) {
				t.Errorf("RouteSet = %q, want %q", d.RouteSet, want)
			}
		})
	}
	core.setSubscribe(nil)

	t.Run("compact", func(t *testing.T) {
		res := exchange(t, TransportUDP, addrOf(t, e, TransportUDP), "subscribe_compact.sip", 3*time.Second, nil)
		if res == nil || res.StatusCode != 200 {
			t.Fatalf("got %v, want 200", res)
		}
		s := core.lastSubscribe(t)
		if s.Event != "presence" || s.EventID != "42" || s.Expires != -1 || s.Accept != nil || s.Dialog.RemoteTarget == "" {
			t.Errorf("subscribe = %+v", s)
		}
		if v, _ := header(res, "Expires"); v != "3600" {
			t.Errorf("Expires = %q, want the core's 3600", v)
		}
	})
	t.Run("accept range", func(t *testing.T) {
		res := exchange(t, TransportUDP, addrOf(t, e, TransportUDP), "subscribe_accept_range.sip", 3*time.Second, nil)
		if res == nil || res.StatusCode != 200 {
			t.Fatalf("got %v, want 200", res)
		}
		if s := core.lastSubscribe(t); !slices.Equal(s.Accept, []string{"text/plain", "application/*"}) {
			t.Errorf("Accept = %q", s.Accept)
		}
	})
	t.Run("fetch", func(t *testing.T) {
		res := exchange(t, TransportUDP, addrOf(t, e, TransportUDP), "subscribe_fetch.sip", 3*time.Second, nil)
		if res == nil || res.StatusCode != 200 {
			t.Fatalf("got %v, want 200", res)
		}
		if v, _ := header(res, "Expires"); v != "0" {
			t.Errorf("Expires = %q, want 0", v)
		}
	})
	t.Run("never lengthened", func(t *testing.T) {
		core.setSubscribe(func(translate.SIPSubscribe) (int, func(), error) { return 7200, nil, nil })
		defer core.setSubscribe(nil)
		res := exchange(t, TransportUDP, addrOf(t, e, TransportUDP), "subscribe.sip", 3*time.Second, nil)
		if v, _ := header(res, "Expires"); res == nil || v != "600" {
			t.Errorf("Expires = %q, want the requested 600 (RFC 6665 §4.2.1.1)", v)
		}
	})
	wantCount(t, e.m.requests.WithLabelValues("SUBSCRIBE", "2xx"), 6)
}

func TestSubscribeCoreErrors(t *testing.T) {
	e, core := startPresence(t, Options{})
	target := addrOf(t, e, TransportUDP)
	afterCalled := make(chan struct{}, 1)
	cases := []struct {
		err     error
		code    int
		reason  string
		headers map[string]string
	}{
		{&StatusError{Code: 403, Reason: "Forbidden"}, 403, "Forbidden", nil},
		{&StatusError{Code: 481, Reason: "Subscription Does Not Exist"}, 481, "Subscription Does Not Exist", nil},
		{&StatusError{Code: 423, Reason: "Interval Too Brief", MinExpires: 300}, 423, "Interval Too Brief", map[string]string{"Min-Expires": "300"}},
		{&StatusError{Code: 489}, 489, "Bad Event", map[string]string{"Allow-Events": "presence"}},
		{errors.New("database down"), 500, "Server Internal Error", nil},
	}
	for _, c := range cases {
		t.Run(strconv.Itoa(c.code), func(t *testing.T) {
			core.setSubscribe(func(translate.SIPSubscribe) (int, func(), error) {
				return 0, func() { afterCalled <- struct{}{} }, c.err
			})
			res := exchange(t, TransportUDP, target, "subscribe_refresh.sip", 3*time.Second, map[string]string{"$TOTAG": "gone"})
			if res == nil || res.StatusCode != c.code || res.Reason != c.reason {
				t.Fatalf("got %v, want %d %s", res, c.code, c.reason)
			}
			for name, want := range c.headers {
				if got, _ := header(res, name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
	select {
	case <-afterCalled:
		t.Error("after() called for a refused subscription")
	default:
	}
}

func TestSubscribeRefresh(t *testing.T) {
	e, core := startPresence(t, Options{})
	for _, transport := range []string{TransportUDP, TransportTCP} {
		target := addrOf(t, e, transport)
		res := exchange(t, transport, target, "subscribe_refresh.sip", 3*time.Second, map[string]string{"$TOTAG": "ours-1"})
		if res == nil || res.StatusCode != 200 {
			t.Fatalf("%s: got %v, want 200", transport, res)
		}
		if tag, _ := res.To().Params.Get("tag"); tag != "ours-1" {
			t.Errorf("%s: To tag %q, want the dialog's", transport, tag)
		}
		if v, _ := header(res, "Contact"); !strings.Contains(v, target.String()) {
			t.Errorf("%s: Contact = %q", transport, v)
		}
		s := core.lastSubscribe(t)
		d := s.Dialog
		if s.New || d.LocalTag != "ours-1" || d.RemoteTag != "xfg9" || d.RemoteCSeq != 17767 || s.Expires != 3600 {
			t.Errorf("%s: subscribe = %+v", transport, s)
		}
		if d.RemoteTarget != "" || d.RouteSet != nil {
			t.Errorf("%s: refresh without Contact changed target %q / routes %q", transport, d.RemoteTarget, d.RouteSet)
		}
	}
}

func TestSubscribeContactHost(t *testing.T) {
	cases := []struct {
		name string
		o    Options
		want func(target netip.AddrPort) string
	}{
		{"wildcard listener", Options{Listen: []string{"udp:0.0.0.0:0"}},
			func(target netip.AddrPort) string {
				return "<sip:alice@127.0.0.1:" + strconv.Itoa(int(target.Port())) + ">"
			}},
		{"configured host", Options{Listen: []string{"udp:0.0.0.0:0"}, ContactHost: "gw.example.test"},
			func(target netip.AddrPort) string {
				return "<sip:alice@gw.example.test:" + strconv.Itoa(int(target.Port())) + ">"
			}},
		{"configured IPv6", Options{ContactHost: "[2001:db8::5]"},
			func(target netip.AddrPort) string {
				return "<sip:alice@[2001:db8::5]:" + strconv.Itoa(int(target.Port())) + ">"
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, _ := startPresence(t, c.o)
			port := addrOf(t, e, TransportUDP).Port()
			target := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
			res := exchange(t, TransportUDP, target, "subscribe.sip", 3*time.Second, nil)
			if res == nil || res.StatusCode != 200 {
				t.Fatalf("got %v, want 200", res)
			}
			if got, want := headerString(res, "Contact"), c.want(target); got != want {
				t.Errorf("Contact = %q, want %q", got, want)
			}
		})
	}
	if _, err := New(Options{ContactHost: "bad host"}); !errors.Is(err, ErrConfig) {
		t.Errorf("ContactHost with a space: %v, want ErrConfig", err)
	}
}

func headerString(m interface{ GetHeader(string) sipgosip.Header }, name string) string {
	v, _ := header(m, name)
	return v
}

func TestOptionsAllowEvents(t *testing.T) {
	e, _ := startPresence(t, Options{})
	res := exchange(t, TransportUDP, addrOf(t, e, TransportUDP), "options.sip", 3*time.Second, nil)
	if res == nil || res.StatusCode != 200 {
		t.Fatalf("got %v", res)
	}
	if v, _ := header(res, "Allow-Events"); v != "presence" {
		t.Errorf("Allow-Events = %q", v)
	}
	if v, _ := header(res, "Allow"); v != "NOTIFY, OPTIONS, SUBSCRIBE" {
		t.Errorf("Allow = %q", v)
	}
	if v, _ := header(res, "Accept"); v != "application/sdp, "+pidfType {
		t.Errorf("Accept = %q", v)
	}
	// Without subscriptions there is no Allow-Events.
	plain, _ := startEndpoint(t, Options{})
	res = exchange(t, TransportUDP, addrOf(t, plain, TransportUDP), "options.sip", 3*time.Second, nil)
	if _, ok := header(res, "Allow-Events"); res == nil || ok {
		t.Errorf("Allow-Events without ServeSubscriptions: %v", res)
	}
}

func TestServeSubscriptionsPanics(t *testing.T) {
	e, _ := startEndpoint(t, Options{})
	for _, events := range [][]string{nil, {"pres ence"}, {""}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("events %q: no panic", events)
				}
			}()
			e.ServeSubscriptions(newFakeCore(), events, nil)
		}()
	}
}

// TestTypesForPackage: a SUBSCRIBE must accept its own package's body
// type (RFC 6665 §4.1.2.1): presence takes PIDF (RFC 3856 §6.6),
// conference takes conference-info (RFC 4575 §3.7), an unknown package
// any configured type.
func TestTypesForPackage(t *testing.T) {
	sc := &subscriptionConfig{types: []string{"application/pidf+xml", "application/conference-info+xml"}}
	for _, tc := range []struct {
		event string
		want  []string
	}{
		{"presence", []string{"application/pidf+xml"}},
		{"conference", []string{"application/conference-info+xml"}},
		{"dialog", sc.types},
	} {
		if got := sc.typesFor(tc.event); !slices.Equal(got, tc.want) {
			t.Errorf("typesFor(%q) = %v, want %v", tc.event, got, tc.want)
		}
	}
	only := &subscriptionConfig{types: []string{"application/pidf+xml"}}
	if got := only.typesFor("conference"); !slices.Equal(got, only.types) {
		t.Errorf("with no conference type configured: %v", got)
	}
}
