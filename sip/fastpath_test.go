package sip

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sxgw/sxgw/translate"
)

// msgCore is an Inbound whose SIPMessage answers by body: "block" waits
// for release, "refuse" is 403, anything else is accepted. Every call is
// counted.
type msgCore struct {
	*fakeCore
	calls   atomic.Int64
	got     chan translate.SIPMessage
	release chan struct{}
}

func newMsgCore() *msgCore {
	return &msgCore{fakeCore: newFakeCore(), got: make(chan translate.SIPMessage, 16), release: make(chan struct{})}
}

func (c *msgCore) SIPMessage(ctx context.Context, m translate.SIPMessage) error {
	c.calls.Add(1)
	c.got <- m
	switch string(m.Body) {
	case "block":
		select {
		case <-c.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	case "refuse":
		return &StatusError{Code: 403, Reason: "Forbidden"}
	}
	return nil
}

// StartSIPMessage answers as SIPMessage does, from a goroutine of its own
// for "block" (as the gateway answers after its error window): the fast
// path's worker must not wait for it.
func (c *msgCore) StartSIPMessage(ctx context.Context, m translate.SIPMessage, done func(error)) {
	switch string(m.Body) {
	case "block":
		go func() { done(c.SIPMessage(ctx, m)) }()
		return
	case "panic":
		panic("core bug")
	}
	done(c.SIPMessage(ctx, m))
}

// A core that panics while starting a MESSAGE gets it answered 500, and
// the request no longer counts as in flight: Close returns.
func TestFastPathStarterPanics(t *testing.T) {
	e, _ := startEndpoint(t, Options{})
	e.ServeMessages(newMsgCore(), 1024)
	p := newUDPPeer(t, addrOf(t, e, TransportUDP))
	p.send(p.messageRequest("", "text/plain", "panic"))
	b := p.recv(3 * time.Second)
	if b == nil {
		t.Fatal("no response")
	}
	if res := parseResponse(t, b); res.StatusCode != 500 {
		t.Fatalf("got %d, want 500", res.StatusCode)
	}
	closed := make(chan error, 1)
	go func() { closed <- e.Close() }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs on the request whose core panicked")
	}
}

// udpPeer is a SIP UA on a UDP socket of its own.
type udpPeer struct {
	t    *testing.T
	c    *net.UDPConn
	dst  netip.AddrPort
	addr string
}

func newUDPPeer(t *testing.T, dst netip.AddrPort) *udpPeer {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &udpPeer{t: t, c: c, dst: dst, addr: c.LocalAddr().String()}
}

func (p *udpPeer) send(b []byte) {
	p.t.Helper()
	if _, err := p.c.WriteToUDPAddrPort(b, p.dst); err != nil {
		p.t.Fatal(err)
	}
}

// recv returns the next datagram, or nil if none came within wait.
func (p *udpPeer) recv(wait time.Duration) []byte {
	p.t.Helper()
	buf := make([]byte, 65536)
	_ = p.c.SetReadDeadline(time.Now().Add(wait))
	n, _, err := p.c.ReadFromUDPAddrPort(buf)
	if err != nil {
		return nil
	}
	return buf[:n]
}

// messageRequest is a MESSAGE from p with the given Via parameters,
// Content-Type and body, under a fresh branch and Call-ID.
func (p *udpPeer) messageRequest(viaParams, contentType, body string) []byte {
	raw := "MESSAGE sip:alice@xmpp.test SIP/2.0\n" +
		"Via: SIP/2.0/UDP $ADDR;branch=$BRANCH" + viaParams + "\n" +
		"Max-Forwards: 70\n" +
		"To: <sip:alice@xmpp.test>\n" +
		"From: <sip:bob@example.test>;tag=49583\n" +
		"Call-ID: $CALLID\n" +
		"CSeq: 7 MESSAGE\n" +
		"Content-Type: " + contentType + "\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\n\n" + body
	return []byte(renderRequest(raw, map[string]string{"$ADDR": p.addr}))
}

// TestFastPathRetransmissions sends MESSAGEs and their retransmissions
// over UDP: each reaches the core once; a retransmission while the core
// works is absorbed, one after the final response gets that response
// again, byte for byte (RFC 3261 §17.2.2).
func TestFastPathRetransmissions(t *testing.T) {
	e, _ := startEndpoint(t, Options{})
	core := newMsgCore()
	e.ServeMessages(core, 1024)
	p := newUDPPeer(t, addrOf(t, e, TransportUDP))

	cases := []struct {
		name, via, ctype, body string
		code                   int
		header, value          string // expected in the response
		calls                  int64
	}{
		{"accepted", "", "text/plain", "hello", 200, "", "", 1},
		{"rport", ";rport", "text/plain;charset=UTF-8", "hi", 200, "Via", "SIP/2.0/UDP " + p.addr + ";branch=*;rport=" + p.addr[strings.LastIndexByte(p.addr, ':')+1:] + ";received=127.0.0.1", 1},
		{"refused by the core", "", "text/plain", "refuse", 403, "", "", 1},
		{"unsupported type", "", "application/json", "{}", 415, "Accept", strings.Join(messageTypes(), ", "), 0},
		{"too large", "", "text/plain", strings.Repeat("x", 1025), 413, "", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := core.calls.Load()
			req := p.messageRequest(c.via, c.ctype, c.body)
			p.send(req)
			first := p.recv(3 * time.Second)
			if first == nil {
				t.Fatal("no response")
			}
			res := parseResponse(t, first)
			if res.StatusCode != c.code {
				t.Fatalf("got %d %s, want %d", res.StatusCode, res.Reason, c.code)
			}
			if to := res.To(); to == nil || !hasTag(to.Params) {
				t.Errorf("To without a tag: %v", res.To())
			}
			if v, _ := header(res, "Server"); v != "sxgw/test" {
				t.Errorf("Server = %q", v)
			}
			if c.header != "" {
				got, _ := header(res, c.header)
				if !matchStar(got, c.value) {
					t.Errorf("%s = %q, want %q", c.header, got, c.value)
				}
			}
			for i := range 2 {
				p.send(req)
				again := p.recv(3 * time.Second)
				if !bytes.Equal(again, first) {
					t.Fatalf("retransmission %d answered\n%s\nfirst answer\n%s", i+1, again, first)
				}
			}
			if n := core.calls.Load() - before; n != c.calls {
				t.Errorf("the core got %d calls, want %d", n, c.calls)
			}
			drain(core.got)
		})
	}

	t.Run("while the core works", func(t *testing.T) {
		req := p.messageRequest("", "text/plain", "block")
		p.send(req)
		select {
		case <-core.got:
		case <-time.After(3 * time.Second):
			t.Fatal("the MESSAGE never reached the core")
		}
		for range 3 {
			p.send(req)
		}
		if b := p.recv(300 * time.Millisecond); b != nil {
			t.Fatalf("answered while the core works:\n%s", b)
		}
		core.release <- struct{}{}
		first := p.recv(3 * time.Second)
		if first == nil || parseResponse(t, first).StatusCode != 200 {
			t.Fatalf("final response %q", first)
		}
		p.send(req)
		if again := p.recv(3 * time.Second); !bytes.Equal(again, first) {
			t.Fatalf("retransmission answered\n%s\nfirst answer\n%s", again, first)
		}
		if b := p.recv(200 * time.Millisecond); b != nil {
			t.Fatalf("absorbed retransmissions answered later:\n%s", b)
		}
		select {
		case m := <-core.got:
			t.Fatalf("delivered twice: %+v", m)
		default:
		}
	})

	if got := testutil.ToFloat64(e.m.requests.WithLabelValues("MESSAGE", "2xx")); got != 3 {
		t.Errorf("requests{MESSAGE,2xx} = %v, want 3 (retransmissions are not requests)", got)
	}
	// Two per case, three absorbed while the core worked and one after.
	if got := testutil.ToFloat64(e.fast.absorbs); got != float64(2*len(cases)+4) {
		t.Errorf("sxgw_sip_retransmissions_absorbed_total = %v, want %d", got, 2*len(cases)+4)
	}
	if got := e.fast.txs.len(); got != len(cases)+1 {
		t.Errorf("%d transactions remembered, want %d", got, len(cases)+1)
	}
}

// matchStar compares got with want, where "*" in want matches up to the
// next ';'.
func matchStar(got, want string) bool {
	for {
		before, after, ok := strings.Cut(want, "*")
		if !ok {
			return got == want
		}
		if !strings.HasPrefix(got, before) {
			return false
		}
		got = got[len(before):]
		i := strings.IndexByte(got, ';')
		if i < 0 {
			i = len(got)
		}
		got, want = got[i:], after
	}
}

func drain[T any](ch chan T) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// TestFastResponseMatchesSipgo writes responses from the request's bytes
// and checks them against those sipgo builds, field by field.
func TestFastResponseMatchesSipgo(t *testing.T) {
	cases := []struct {
		name   string
		head   string // the header fields after the request line
		copied bool   // written from the request's lines
	}{
		{"plain", "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c1\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\n", true},
		{"rport", "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c1\r\nCSeq: 1 MESSAGE\r\n", true},
		{"rport on IPv6", "Via: SIP/2.0/UDP [2001:db8::1]:5060;rport;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c1\r\nCSeq: 1 MESSAGE\r\n", true},
		{"compact and folded", "v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nf: \"A\" <sip:a@x>\r\n ;tag=1\r\nt: sip:b@y\r\ni: c1\r\nCSeq: 1 MESSAGE\r\n", true},
		{"two Vias, Record-Route", "Record-Route: <sip:p1;lr>\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nVia: SIP/2.0/TCP 192.0.2.2;branch=z9hG4bK2\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=9\r\nCall-ID: c1\r\nCSeq: 1 MESSAGE\r\n", true},
		{"Vias on one line", "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1, SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c1\r\nCSeq: 1 MESSAGE\r\n", true},
		{"Vias on one line, rport", "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;rport, SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c1\r\nCSeq: 1 MESSAGE\r\n", false},
		{"empty To tag", "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=\r\nCall-ID: c1\r\nCSeq: 1 MESSAGE\r\n", false},
		{"two Call-IDs", "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c1\r\nCall-ID: c2\r\nCSeq: 1 MESSAGE\r\n", false},
	}
	e, err := New(Options{Domains: []string{"example.test"}, UserAgent: "sxgw/test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	src := netip.MustParseAddrPort("192.0.2.7:40000")
	for _, c := range cases {
		for _, r := range []*txReply{e.fast.ok, {code: 415, reason: "Unsupported Media Type", headers: []headerLine{{"Accept", "text/plain"}}}} {
			t.Run(c.name+"/"+strconv.Itoa(r.code), func(t *testing.T) {
				raw := []byte("MESSAGE sip:b@y SIP/2.0\r\n" + c.head + "Content-Length: 2\r\n\r\nhi")
				tx := fastTxFor(t, e, raw, src)
				copied, ok := tx.appendCopied(nil, r)
				if ok != c.copied {
					t.Fatalf("written from the request's lines: %v, want %v", ok, c.copied)
				}
				built := parseResponse(t, tx.appendBuilt(nil, r))
				got := parseResponse(t, tx.appendResponse(nil, r))
				if ok {
					got = parseResponse(t, copied)
				}
				if got.StatusCode != r.code || got.Reason != r.reason {
					t.Errorf("status %d %q", got.StatusCode, got.Reason)
				}
				for _, name := range []string{"Via", "Record-Route", "From", "To", "Call-ID", "CSeq", "Server", "Accept", "Content-Length"} {
					if g, w := values(got, name), values(built, name); g != w {
						t.Errorf("%s: %q, sipgo builds %q", name, g, w)
					}
				}
			})
		}
	}
}

// fastTxFor parses raw as the fast path does and returns its transaction.
func fastTxFor(t testing.TB, e *Endpoint, raw []byte, src netip.AddrPort) *udpTx {
	t.Helper()
	msg, err := e.parser.ParseSIP(raw)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, raw)
	}
	req := msg.(*sipgosip.Request)
	req.SetTransport("UDP")
	req.SetSource(src.String())
	tx := &udpTx{e: e, dst: src, req: req, raw: raw}
	if id, ok := appendTxID(nil, req); ok && req.To() != nil && !hasTag(req.To().Params) {
		tx.tag = string(e.fast.keyer.appendTag(nil, id))
	}
	return tx
}

// values joins the values of every name header of m.
func values(m *sipgosip.Response, name string) string {
	var vs []string
	for _, h := range m.GetHeaders(name) {
		vs = append(vs, h.Value())
	}
	return strings.Join(vs, " | ")
}

func TestTxTable(t *testing.T) {
	t0 := time.Now()
	tab := newTxTable(3, t0)
	k := func(i uint64) txKey { return txKey{i, i} }
	steps := []struct {
		key  uint64
		at   time.Duration
		want txBegin
	}{
		{1, 0, txNew},
		{1, time.Second, txPending},
		{2, time.Second, txNew},
		{3, 2 * time.Second, txNew},
		{4, 2 * time.Second, txFull},
		{1, 31 * time.Second, txCompleted}, // completed below, kept for Timer J
		{2, 31 * time.Second, txPending},
		{1, 41 * time.Second, txNew}, // gone after 40 s
		{4, 41 * time.Second, txNew},
		{9, 10 * time.Minute, txNew}, // idle: every generation dropped
		{4, 10 * time.Minute, txNew},
	}
	for i, s := range steps {
		got, r := tab.begin(k(s.key), t0.Add(s.at))
		if got != s.want {
			t.Fatalf("step %d: key %d at %v: %v, want %v", i, s.key, s.at, got, s.want)
		}
		if got == txCompleted && (r == nil || r.code != 200) {
			t.Fatalf("step %d: reply %+v", i, r)
		}
		if i == 1 {
			tab.complete(k(1), &txReply{code: 200, reason: "OK"})
		}
	}
	if n := tab.len(); n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
}

// Replies shared by all transactions are stored as references, others
// in their transaction's generation, and both are found again until the
// generation is dropped.
func TestTxTableReplies(t *testing.T) {
	t0 := time.Now()
	ok := &txReply{code: 200, reason: "OK"}
	shed := &txReply{code: 503, reason: "Service Unavailable"}
	tab := newTxTable(100, t0, ok, shed)
	k := func(i uint64) txKey { return txKey{i, ^i} }
	own := make([]*txReply, 6)
	for i := range own {
		own[i] = &txReply{code: 400 + i}
	}
	for i := uint64(0); i < 8; i++ {
		at := t0.Add(time.Duration(i) * 4 * time.Second) // two per generation
		if got, _ := tab.begin(k(i), at); got != txNew {
			t.Fatalf("key %d: %v", i, got)
		}
		switch i {
		case 0:
			tab.complete(k(i), ok)
		case 1:
			tab.complete(k(i), shed)
		default:
			tab.complete(k(i), own[i-2])
		}
	}
	at := t0.Add(30 * time.Second)
	for i := uint64(0); i < 8; i++ {
		want := ok
		switch {
		case i == 1:
			want = shed
		case i >= 2:
			want = own[i-2]
		}
		got, r := tab.begin(k(i), at)
		if got != txCompleted || r != want {
			t.Errorf("key %d: %v %+v, want completed with %+v", i, got, r, want)
		}
	}
	// 44 s: the generation of keys 0 and 1 (0-8 s) is gone, with the
	// replies of its own.
	at = t0.Add(44 * time.Second)
	for i := uint64(0); i < 8; i++ {
		got, _ := tab.begin(k(i), at)
		if want := map[bool]txBegin{true: txNew, false: txCompleted}[i < 2]; got != want {
			t.Errorf("at 44 s key %d: %v, want %v", i, got, want)
		}
	}
	for gi, m := range tab.own {
		for ref := range m {
			if int(ref) <= len(tab.shared) {
				t.Errorf("generation %d stores shared reply %d as its own", gi, ref)
			}
		}
	}
}

func TestWorkerPool(t *testing.T) {
	release := make(chan struct{})
	var ran atomic.Int64
	p := newWorkerPool(2, 1, func(int) {
		<-release
		ran.Add(1)
	})
	for i := range 2 {
		if !p.submit(i) {
			t.Fatalf("job %d refused with a free worker slot", i)
		}
	}
	if !p.submit(2) {
		t.Fatal("a third job not queued")
	}
	if p.submit(3) {
		t.Fatal("a fourth job taken by 2 busy workers and a full queue of 1")
	}
	if n := p.running.Load(); n != 2 {
		t.Fatalf("%d workers, want 2", n)
	}
	release <- struct{}{}
	release <- struct{}{}
	release <- struct{}{} // the queued job, on a freed worker
	// The workers wait for work: the next job goes to one of them.
	deadline := time.Now().Add(5 * time.Second)
	for p.waiting.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no worker ever waited")
		}
		time.Sleep(time.Millisecond)
	}
	if !p.submit(4) {
		t.Fatal("job refused with a waiting worker")
	}
	close(release)
	p.stop()
	if n := ran.Load(); n != 4 {
		t.Errorf("%d jobs ran, want 4", n)
	}
	if n := p.running.Load(); n != 0 {
		t.Errorf("%d workers still running", n)
	}
}

// stop runs what is still queued.
func TestWorkerPoolStopRunsQueued(t *testing.T) {
	release := make(chan struct{})
	var ran atomic.Int64
	p := newWorkerPool(1, 8, func(int) {
		<-release
		ran.Add(1)
	})
	for i := range 5 {
		if !p.submit(i) {
			t.Fatalf("job %d refused", i)
		}
	}
	close(release)
	p.stop()
	if n := ran.Load(); n != 5 {
		t.Errorf("%d jobs ran, want 5", n)
	}
}

func TestSimpleMediaType(t *testing.T) {
	cases := []struct {
		in, want string
		fast     bool
	}{
		{"text/plain", "text/plain", true},
		{"Text/Plain;charset=UTF-8", "text/plain", true},
		{" message/cpim ; foo=bar ", "message/cpim", true},
		{"text/plain; charset=\"utf-8\"", "text/plain", false},
		{"text/plain;", "text/plain", false},
		{"text/plain; a=b; c=d", "text/plain", false},
		{"text / plain", "", false},
		{"text", "text", false},
		{"text/pl@in", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, fast := simpleMediaType(c.in)
		if fast != c.fast || (fast && got != c.want) {
			t.Errorf("simpleMediaType(%q) = %q, %v; want %q, %v", c.in, got, fast, c.want, c.fast)
		}
		req := sipgosip.NewRequest(sipgosip.MESSAGE, sipgosip.Uri{Scheme: "sip", Host: "x"})
		if c.in != "" {
			req.AppendHeader(sipgosip.NewHeader("Content-Type", c.in))
		}
		if got := mediaType(req); got != c.want {
			t.Errorf("mediaType(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestURIString(t *testing.T) {
	for _, s := range []string{
		"sip:alice@example.test", "sips:bob:secret@[2001:db8::1]:5061;transport=tcp;lr",
		"sip:192.0.2.1:5060", "sip:carol@example.test;user=phone?subject=hi", "tel:+15551234",
		"sip:a@b;x=\"q r\"",
	} {
		var u sipgosip.Uri
		if err := sipgosip.ParseUri(s, &u); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		c := u
		c.Headers = nil
		if got, want := uriString(u), c.String(); got != want {
			t.Errorf("uriString(%q) = %q, sipgo writes %q", s, got, want)
		}
	}
}
