package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/sxgw/sxgw/translate"
)

// rawPeer is a bare UDP socket playing a SIP peer (notifier, proxy) whose
// wire behaviour the test controls.
type rawPeer struct {
	c *net.UDPConn
}

func newRawPeer(t *testing.T) *rawPeer {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &rawPeer{c: c}
}

func (p *rawPeer) addr() netip.AddrPort { return p.c.LocalAddr().(*net.UDPAddr).AddrPort() }

// read returns the next SIP message received within wait, or nil.
func (p *rawPeer) read(wait time.Duration) (sipgosip.Message, netip.AddrPort) {
	buf := make([]byte, 65536)
	_ = p.c.SetReadDeadline(time.Now().Add(wait))
	n, src, err := p.c.ReadFromUDPAddrPort(buf)
	if err != nil {
		return nil, netip.AddrPort{}
	}
	msg, err := sipgosip.ParseMessage(buf[:n])
	if err != nil {
		return nil, netip.AddrPort{}
	}
	return msg, src
}

// readRequest returns the next request received within wait, or nil.
func (p *rawPeer) readRequest(wait time.Duration) (*sipgosip.Request, netip.AddrPort) {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		msg, src := p.read(time.Until(deadline))
		if req, ok := msg.(*sipgosip.Request); ok {
			return req, src
		}
	}
	return nil, netip.AddrPort{}
}

// reply answers req, sent from src, with code; edit adjusts the response.
func (p *rawPeer) reply(req *sipgosip.Request, src netip.AddrPort, code int, edit func(*sipgosip.Response)) error {
	res := sipgosip.NewResponseFromRequest(req, code, reasonPhrase(code), nil)
	if code >= 200 && code < 300 && req.To() != nil && !hasTag(req.To().Params) {
		res.To().Params.Add("tag", "peer-tag")
	}
	if edit != nil {
		edit(res)
	}
	_, err := p.c.WriteToUDPAddrPort([]byte(res.String()), src)
	return err
}

// answerOnce answers the next request with code in the background and
// hands the request over (nil if none came in time).
func (p *rawPeer) answerOnce(t *testing.T, code int, edit func(*sipgosip.Response)) <-chan *sipgosip.Request {
	ch := make(chan *sipgosip.Request, 1)
	go func() {
		req, src := p.readRequest(5 * time.Second)
		if req != nil {
			if err := p.reply(req, src, code, edit); err != nil {
				t.Errorf("reply: %v", err)
			}
		}
		ch <- req
	}()
	return ch
}

func routeValues(m interface {
	GetHeaders(string) []sipgosip.Header
}) []string {
	var vs []string
	for _, h := range m.GetHeaders("Route") {
		vs = append(vs, h.Value())
	}
	return vs
}

func TestNewDialogRequest(t *testing.T) {
	base := translate.SIPDialog{
		CallID: "c1@sip.test", LocalURI: "sip:carol@sip.test", LocalTag: "lt",
		RemoteURI: "sip:alice@xmpp.test", RemoteTag: "rt", RemoteTarget: "sip:alice@192.0.2.9:5070;transport=tcp",
		LocalCSeq: 41,
	}
	cases := []struct {
		name      string
		edit      func(*translate.SIPDialog)
		ruri      string
		routes    []string
		toTag     string
		wantError bool
	}{
		{"in dialog", nil, "sip:alice@192.0.2.9:5070;transport=tcp", nil, "rt", false},
		{"loose routes", func(d *translate.SIPDialog) {
			d.RouteSet = []string{"<sip:p1.test;lr>", "sip:p2.test;lr"}
		}, "sip:alice@192.0.2.9:5070;transport=tcp", []string{"<sip:p1.test;lr>", "<sip:p2.test;lr>"}, "rt", false},
		// RFC 3261 §12.2.1.1: a strict router is the Request-URI, the
		// remote target the last Route.
		{"strict route", func(d *translate.SIPDialog) {
			d.RouteSet = []string{"sip:strict.test;method=INVITE", "sip:p2.test;lr"}
		}, "sip:strict.test", []string{"<sip:p2.test;lr>", "<sip:alice@192.0.2.9:5070;transport=tcp>"}, "rt", false},
		{"new dialog", func(d *translate.SIPDialog) { d.RemoteTag = "" }, "sip:alice@xmpp.test", nil, "", false},
		{"no target", func(d *translate.SIPDialog) { d.RemoteTarget = "" }, "sip:alice@xmpp.test", nil, "rt", false},
		{"no call-id", func(d *translate.SIPDialog) { d.CallID = "" }, "", nil, "", true},
		{"no local tag", func(d *translate.SIPDialog) { d.LocalTag = "" }, "", nil, "", true},
		{"bad uri", func(d *translate.SIPDialog) { d.RemoteURI = "mailto:x@y" }, "", nil, "", true},
		{"bad route", func(d *translate.SIPDialog) { d.RouteSet = []string{"<>"} }, "", nil, "", true},
		{"cseq exhausted", func(d *translate.SIPDialog) { d.LocalCSeq = 1<<31 - 1 }, "", nil, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := base
			if c.edit != nil {
				c.edit(&d)
			}
			req, err := newDialogRequest(sipgosip.NOTIFY, d)
			if c.wantError {
				if !errors.Is(err, ErrBadRequest) {
					t.Fatalf("err = %v, want ErrBadRequest", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := req.Recipient.String(); got != c.ruri {
				t.Errorf("Request-URI = %q, want %q", got, c.ruri)
			}
			if got := routeValues(req); !slices.Equal(got, c.routes) {
				t.Errorf("Route = %q, want %q", got, c.routes)
			}
			if tag, _ := req.To().Params.Get("tag"); tag != c.toTag {
				t.Errorf("To tag %q, want %q", tag, c.toTag)
			}
			if req.To().Address.String() != "sip:alice@xmpp.test" || req.From().Value() != "<sip:carol@sip.test>;tag=lt" {
				t.Errorf("To %q From %q", req.To().Value(), req.From().Value())
			}
			if req.CSeq().SeqNo != 42 || req.CSeq().MethodName != sipgosip.NOTIFY || req.CallID().Value() != "c1@sip.test" {
				t.Errorf("CSeq %v Call-ID %v", req.CSeq(), req.CallID())
			}
		})
	}
}

// TestSubscriptionRoundTrip: A subscribes to B; B's core grants and
// notifies from after(); A's core gets the NOTIFY in the same dialog; A
// refreshes; B terminates; the CSeqs advance on both sides.
func TestSubscriptionRoundTrip(t *testing.T) {
	for _, transport := range []string{TransportUDP, TransportTCP} {
		t.Run(transport, func(t *testing.T) {
			a, coreA := startPresence(t, Options{Domains: []string{"sip.test"}})
			b, coreB := startPresence(t, Options{Domains: []string{"xmpp.test"}})
			ctx := doCtx(t)
			bAddr := addrOf(t, b, transport)
			aAddr := addrOf(t, a, transport)

			// B's core: grant 1800 and notify from after(), keeping its
			// dialog as the gateway does.
			bDialogs := make(chan translate.SIPDialog, 4)
			// bDialog is B's dialog as its core keeps it (shared with B's
			// handlers: the race detector cannot see ordering through
			// sockets).
			var bDialog translate.SIPDialog
			var bMu sync.Mutex
			coreB.setSubscribe(func(s translate.SIPSubscribe) (int, func(), error) {
				d := s.Dialog
				if !s.New {
					bMu.Lock()
					d = bDialog
					bMu.Unlock()
					d.RemoteCSeq = s.Dialog.RemoteCSeq
				}
				return 1800, func() {
					nd, err := b.Notify(ctx, d, translate.SIPNotify{
						Event: "presence", State: translate.SubStateActive, Expires: 1800, RetryAfter: -1,
						ContentType: pidfType, Body: []byte("<presence/>"),
					})
					if err != nil {
						t.Errorf("B Notify: %v", err)
					}
					bDialogs <- nd
				}, nil
			})

			d := translate.SIPDialog{
				CallID: "rt-" + transport + "@sip.test", LocalURI: "sip:carol@sip.test", LocalTag: "carol-1",
				RemoteURI: fmt.Sprintf("sip:alice@%s;transport=%s", bAddr, transport),
			}
			ad, granted, err := a.Subscribe(ctx, d, "presence", 3600, []string{pidfType})
			if err != nil {
				t.Fatalf("Subscribe: %v", err)
			}
			waitFor(t, coreB.gotSub, "B's SIPSubscribe")
			s := coreB.lastSubscribe(t)
			if granted != 1800 {
				t.Errorf("granted %d, want 1800", granted)
			}
			if ad.RemoteTag == "" || ad.RemoteTag != s.Dialog.LocalTag || ad.LocalCSeq != 1 || ad.RouteSet != nil {
				t.Errorf("A's dialog %+v, B's local tag %q", ad, s.Dialog.LocalTag)
			}
			wantTarget := "sip:alice@" + bAddr.String()
			if transport != TransportUDP {
				wantTarget += ";transport=" + transport
			}
			if ad.RemoteTarget != wantTarget {
				t.Errorf("A's remote target %q, want %q", ad.RemoteTarget, wantTarget)
			}
			wantContactA := "sip:carol@" + aAddr.String()
			if transport != TransportUDP {
				wantContactA += ";transport=" + transport
			}
			sd := s.Dialog
			if !s.New || s.Expires != 3600 || !slices.Equal(s.Accept, []string{pidfType}) || sd.CallID != d.CallID ||
				sd.RemoteTag != "carol-1" || sd.RemoteURI != "sip:carol@sip.test" || sd.RemoteCSeq != 1 ||
				sd.RemoteTarget != wantContactA || sd.LocalURI != d.RemoteURI {
				t.Errorf("B's subscribe %+v", s)
			}

			// B's NOTIFY reaches A's core in the dialog A holds.
			select {
			case nd := <-bDialogs:
				bMu.Lock()
				bDialog = nd
				bMu.Unlock()
			case <-time.After(5 * time.Second):
				t.Fatal("B's Notify did not finish")
			}
			if bDialog.LocalCSeq != 1 {
				t.Errorf("B's LocalCSeq after NOTIFY = %d, want 1", bDialog.LocalCSeq)
			}
			waitFor(t, coreA.gotNotify, "A's SIPNotify")
			n := coreA.lastNotify(t)
			nd := n.Dialog
			if nd.CallID != d.CallID || nd.LocalTag != "carol-1" || nd.RemoteTag != ad.RemoteTag || nd.RemoteCSeq != 1 ||
				nd.RemoteTarget != wantTarget || n.State != translate.SubStateActive || n.Expires != 1800 ||
				n.ContentType != pidfType || string(n.Body) != "<presence/>" {
				t.Errorf("A's notify %+v", n)
			}

			// Refresh inside the dialog: B sees it with its own tag and the
			// next CSeq; the grant never exceeds the request.
			ad2, granted, err := a.Subscribe(ctx, ad, "presence", 600, nil)
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			waitFor(t, coreB.gotSub, "B's refresh")
			s = coreB.lastSubscribe(t)
			if s.New || s.Dialog.LocalTag != ad.RemoteTag || s.Dialog.RemoteCSeq != 2 || s.Expires != 600 {
				t.Errorf("B's refresh %+v", s)
			}
			if granted != 600 || ad2.LocalCSeq != 2 || ad2.RemoteTag != ad.RemoteTag {
				t.Errorf("refresh granted %d, dialog %+v", granted, ad2)
			}
			select {
			case bDialog = <-bDialogs:
			case <-time.After(5 * time.Second):
				t.Fatal("B's second Notify did not finish")
			}
			waitFor(t, coreA.gotNotify, "A's second SIPNotify")
			if n := coreA.lastNotify(t); n.Dialog.RemoteCSeq != 2 || bDialog.LocalCSeq != 2 {
				t.Errorf("second NOTIFY CSeq %d, B's LocalCSeq %d", n.Dialog.RemoteCSeq, bDialog.LocalCSeq)
			}

			// B terminates; then A's core no longer knows the dialog and
			// its 481 comes back to B as a *StatusError.
			bDialog, err = b.Notify(ctx, bDialog, translate.SIPNotify{
				Event: "presence", State: translate.SubStateTerminated, Reason: "timeout", Expires: -1, RetryAfter: -1,
			})
			if err != nil {
				t.Fatalf("terminating Notify: %v", err)
			}
			waitFor(t, coreA.gotNotify, "A's terminating SIPNotify")
			if n := coreA.lastNotify(t); n.State != translate.SubStateTerminated || n.Reason != "timeout" || n.Dialog.RemoteCSeq != 3 {
				t.Errorf("terminating notify %+v", n)
			}
			coreA.setNotify(func(translate.SIPNotify) error {
				return &StatusError{Code: 481, Reason: "Subscription Does Not Exist"}
			})
			bDialog, err = b.Notify(ctx, bDialog, translate.SIPNotify{Event: "presence", State: "active", Expires: 10, RetryAfter: -1})
			var se *StatusError
			if !errors.As(err, &se) || se.Code != 481 {
				t.Fatalf("Notify to a forgotten subscription: %v, want a 481 StatusError", err)
			}
			if bDialog.LocalCSeq != 4 {
				t.Errorf("LocalCSeq after a failed NOTIFY = %d, want 4", bDialog.LocalCSeq)
			}
			wantCount(t, a.m.outgoing.WithLabelValues("SUBSCRIBE", "2xx"), 2)
			wantCount(t, b.m.outgoing.WithLabelValues("NOTIFY", "2xx"), 3)
			wantCount(t, b.m.outgoing.WithLabelValues("NOTIFY", "4xx"), 1)
		})
	}
}

func TestSubscribeIntervalTooBrief(t *testing.T) {
	a, _ := startPresence(t, Options{})
	b, coreB := startPresence(t, Options{})
	d := translate.SIPDialog{
		CallID: "brief@sip.test", LocalURI: "sip:carol@sip.test", LocalTag: "c",
		RemoteURI: "sip:alice@" + addrOf(t, b, TransportUDP).String(),
	}
	nd, _, err := a.Subscribe(doCtx(t), d, "presence", 30, nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 423 || se.MinExpires != 60 {
		t.Fatalf("err = %#v, want 423 with MinExpires 60", err)
	}
	if nd.LocalCSeq != 1 || nd.RemoteTag != "" {
		t.Errorf("dialog after 423: %+v", nd)
	}
	if subs, _ := coreB.counts(); subs != 0 {
		t.Errorf("the core saw a too brief SUBSCRIBE")
	}
	// Arguments that cannot make a request.
	for _, c := range []struct {
		event   string
		expires int
		d       translate.SIPDialog
	}{
		{"", 60, d}, {"presence", -1, d}, {"presence", 60, translate.SIPDialog{}},
	} {
		if _, _, err := a.Subscribe(doCtx(t), c.d, c.event, c.expires, nil); !errors.Is(err, ErrBadRequest) {
			t.Errorf("Subscribe(%q, %d): %v, want ErrBadRequest", c.event, c.expires, err)
		}
	}
	established := d
	established.RemoteTag = "r"
	for _, c := range []struct {
		d translate.SIPDialog
		n translate.SIPNotify
	}{
		{d, translate.SIPNotify{Event: "presence", State: "active"}},                              // no remote tag
		{established, translate.SIPNotify{State: "active"}},                                       // no event
		{established, translate.SIPNotify{Event: "presence", State: "bad state"}},                 // not a token
		{established, translate.SIPNotify{Event: "presence", State: "active", Body: []byte("x")}}, // no type
	} {
		if _, err := a.Notify(doCtx(t), c.d, c.n); !errors.Is(err, ErrBadRequest) {
			t.Errorf("Notify(%+v): %v, want ErrBadRequest", c.n, err)
		}
	}
}

// TestSubscribeRouteSetUAC: the 2xx's Record-Route, reversed, routes the
// refresh (RFC 3261 §12.1.2, §12.2.1.1).
func TestSubscribeRouteSetUAC(t *testing.T) {
	a, _ := startPresence(t, Options{})
	notifier, p1, p2 := newRawPeer(t), newRawPeer(t), newRawPeer(t)
	ctx := doCtx(t)
	aAddr := addrOf(t, a, TransportUDP)
	d := translate.SIPDialog{
		CallID: "routes@sip.test", LocalURI: "sip:carol@sip.test", LocalTag: "carol-rr",
		RemoteURI: "sip:bob@" + notifier.addr().String(),
	}
	got := notifier.answerOnce(t, 200, func(res *sipgosip.Response) {
		res.To().Params.Add("tag", "n-1")
		res.AppendHeader(sipgosip.NewHeader("Record-Route", "<sip:"+p2.addr().String()+";lr>, <sip:"+p1.addr().String()+";lr>"))
		res.AppendHeader(sipgosip.NewHeader("Contact", "<sip:bob@"+notifier.addr().String()+">"))
		res.AppendHeader(sipgosip.NewHeader("Expires", "300"))
	})
	nd, granted, err := a.Subscribe(ctx, d, "presence", 3600, []string{pidfType})
	req := <-got
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	if req == nil {
		t.Fatal("the notifier got nothing")
	}
	// The dialog-creating request (RFC 6665 §4.1.2.1).
	checks := map[string]string{
		"Event": "presence", "Expires": "3600", "Accept": pidfType, "Allow-Events": "presence",
		"Contact": "<sip:carol@" + aAddr.String() + ">", "Call-ID": "routes@sip.test",
		"From": "<sip:carol@sip.test>;tag=carol-rr", "To": "<sip:bob@" + notifier.addr().String() + ">",
		"CSeq": "1 SUBSCRIBE",
	}
	for name, want := range checks {
		if got, _ := header(req, name); got != want {
			t.Errorf("SUBSCRIBE %s = %q, want %q", name, got, want)
		}
	}
	if req.Recipient.String() != d.RemoteURI || req.GetHeader("Route") != nil {
		t.Errorf("Request-URI %q, Route %q", req.Recipient.String(), routeValues(req))
	}
	// RFC 3581: the request leaves from the listener, so replies and
	// NOTIFYs come back to it.
	if v := req.Via(); v == nil || v.Host != "127.0.0.1" || v.Port != int(aAddr.Port()) {
		t.Errorf("Via %v, want sent-by %s", req.Via(), aAddr)
	}
	wantRoutes := []string{"sip:" + p1.addr().String() + ";lr", "sip:" + p2.addr().String() + ";lr"}
	if granted != 300 || nd.RemoteTag != "n-1" || !slices.Equal(nd.RouteSet, wantRoutes) ||
		nd.RemoteTarget != "sip:bob@"+notifier.addr().String() || nd.LocalCSeq != 1 {
		t.Errorf("granted %d dialog %+v", granted, nd)
	}

	// The refresh goes to the first route, p1, with the remote target as
	// Request-URI.
	got = p1.answerOnce(t, 200, nil)
	nd2, granted, err := a.Subscribe(ctx, nd, "presence", 300, nil)
	req = <-got
	if err != nil || req == nil {
		t.Fatalf("refresh: %v (request %v)", err, req)
	}
	if req.Recipient.String() != nd.RemoteTarget {
		t.Errorf("refresh Request-URI %q, want %q", req.Recipient.String(), nd.RemoteTarget)
	}
	if got, want := routeValues(req), []string{"<" + wantRoutes[0] + ">", "<" + wantRoutes[1] + ">"}; !slices.Equal(got, want) {
		t.Errorf("refresh Route %q, want %q", got, want)
	}
	if tag, _ := req.To().Params.Get("tag"); tag != "n-1" || req.CSeq().SeqNo != 2 || req.GetHeader("Allow-Events") != nil {
		t.Errorf("refresh To %q CSeq %d", req.To().Value(), req.CSeq().SeqNo)
	}
	if granted != 300 || nd2.LocalCSeq != 2 || !slices.Equal(nd2.RouteSet, wantRoutes) {
		t.Errorf("refresh granted %d dialog %+v", granted, nd2)
	}
	if msg, _ := p2.read(100 * time.Millisecond); msg != nil {
		t.Errorf("p2 got a message directly: %v", msg)
	}
}

// TestNotifyRouteSetUAS: B took a SUBSCRIBE through a record-routing
// proxy; its NOTIFYs go through that proxy to the subscriber's Contact
// (RFC 3261 §12.1.1, §12.2.1.1).
func TestNotifyRouteSetUAS(t *testing.T) {
	b, core := startPresence(t, Options{})
	proxy := newRawPeer(t)
	ctx := doCtx(t)
	bAddr := addrOf(t, b, TransportUDP)
	dead := closedPort(t)
	results := make(chan translate.SIPDialog, 1)
	core.setSubscribe(func(s translate.SIPSubscribe) (int, func(), error) {
		return 600, func() {
			nd, err := b.Notify(ctx, s.Dialog, translate.SIPNotify{
				Event: "presence", State: translate.SubStateTerminated, Reason: "probation", RetryAfter: 120, Expires: -1,
			})
			if err != nil {
				t.Errorf("Notify: %v", err)
			}
			results <- nd
		}, nil
	})

	msg := loadRequest(t, "subscribe_routed.sip", map[string]string{
		"$ADDR": proxy.addr().String(), "$CONTACT": "127.0.0.1:" + strconv.Itoa(int(dead)),
	})
	if _, err := proxy.c.WriteToUDPAddrPort([]byte(msg), bAddr); err != nil {
		t.Fatal(err)
	}
	var res *sipgosip.Response
	var notify *sipgosip.Request
	var src netip.AddrPort
	deadline := time.Now().Add(5 * time.Second)
	for (res == nil || notify == nil) && time.Now().Before(deadline) {
		m, from := proxy.read(time.Until(deadline))
		switch m := m.(type) {
		case *sipgosip.Response:
			if m.StatusCode >= 200 {
				res = m
			}
		case *sipgosip.Request:
			notify, src = m, from
		}
	}
	if res == nil || res.StatusCode != 200 || notify == nil {
		t.Fatalf("response %v, NOTIFY %v", res, notify)
	}
	if err := proxy.reply(notify, src, 200, nil); err != nil {
		t.Fatal(err)
	}
	var nd translate.SIPDialog
	select {
	case nd = <-results:
	case <-time.After(5 * time.Second):
		t.Fatal("Notify did not return")
	}

	ourTag, _ := res.To().Params.Get("tag")
	checks := map[string]string{
		"Event": "presence", "Subscription-State": "terminated;reason=probation;retry-after=120",
		"CSeq": "1 NOTIFY", "Call-ID": res.CallID().Value(), "To": "<sip:bob@peer.test>;tag=xfg9",
		"From": "<sip:alice@xmpp.test>;tag=" + ourTag, "Contact": "<sip:alice@" + bAddr.String() + ">",
		"Route": "<sip:" + proxy.addr().String() + ";lr>",
	}
	for name, want := range checks {
		if got, _ := header(notify, name); got != want {
			t.Errorf("NOTIFY %s = %q, want %q", name, got, want)
		}
	}
	if want := "sip:bob@127.0.0.1:" + strconv.Itoa(int(dead)); notify.Recipient.String() != want {
		t.Errorf("NOTIFY Request-URI %q, want %q", notify.Recipient.String(), want)
	}
	if v := notify.Via(); v == nil || v.Host != "127.0.0.1" || v.Port != int(bAddr.Port()) {
		t.Errorf("NOTIFY Via %v, want sent-by %s", notify.Via(), bAddr)
	}
	if nd.LocalCSeq != 1 || nd.LocalTag != ourTag {
		t.Errorf("dialog after NOTIFY %+v", nd)
	}

	// A second NOTIFY carries a body and the next CSeq; the peer's 481 is
	// a *StatusError.
	got := proxy.answerOnce(t, 481, nil)
	nd, err := b.Notify(ctx, nd, translate.SIPNotify{
		Event: "presence", State: translate.SubStateActive, Expires: 599, RetryAfter: -1,
		ContentType: pidfType, Body: []byte("<presence/>"),
	})
	req := <-got
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 481 {
		t.Fatalf("err = %v, want a 481 StatusError", err)
	}
	if req == nil || req.CSeq().SeqNo != 2 || string(req.Body()) != "<presence/>" || nd.LocalCSeq != 2 {
		t.Fatalf("second NOTIFY %v, dialog %+v", req, nd)
	}
	for name, want := range map[string]string{"Subscription-State": "active;expires=599", "Content-Type": pidfType} {
		if got, _ := header(req, name); got != want {
			t.Errorf("second NOTIFY %s = %q, want %q", name, got, want)
		}
	}
	if !strings.HasPrefix(req.Recipient.String(), "sip:bob@127.0.0.1:") {
		t.Errorf("second NOTIFY Request-URI %q", req.Recipient.String())
	}
}

// TestSubscribeSendFailure: nothing listens at the target; the error is
// returned with the CSeq spent.
func TestSubscribeSendFailure(t *testing.T) {
	a, _ := startPresence(t, Options{})
	d := translate.SIPDialog{
		CallID: "dead@sip.test", LocalURI: "sip:carol@sip.test", LocalTag: "c", RemoteTag: "r",
		RemoteURI: "sip:bob@peer.test", RemoteTarget: "sip:bob@127.0.0.1:" + strconv.Itoa(int(closedPort(t))) + ";transport=tcp",
		LocalCSeq: 7,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nd, _, err := a.Subscribe(ctx, d, "presence", 600, nil)
	var se *StatusError
	if err == nil || errors.As(err, &se) {
		t.Fatalf("err = %v, want a transport error", err)
	}
	if nd.LocalCSeq != 8 {
		t.Errorf("LocalCSeq = %d, want 8", nd.LocalCSeq)
	}
}
