package bench

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sxgw/sxgw/gateway"
	"github.com/sxgw/sxgw/translate"
	"github.com/sxgw/sxgw/xmpp"
)

// stallTimeout bounds how long a benchmark waits for any one response,
// arrival or queue slot before it gives up.
const stallTimeout = 10 * time.Second

// window is how many messages the socket benchmarks keep in flight: enough
// to keep every stage busy, few enough that sxgw's SIP socket, which keeps
// the kernel's default receive buffer (about a hundred datagrams on
// loopback), never overflows; a lost datagram would stall the run.
const window = 32

// BenchmarkSIPToXMPP sends SIP MESSAGEs over UDP to sxgw's SIP endpoint,
// which hands them to the core, which sends message stanzas over one
// dialback-authenticated TLS s2s stream to a Go server for xmpp.test. An op
// is one MESSAGE answered 200 and its stanza arrived. allocs/op covers the
// whole process: sipgo's parse and transaction, the core, the s2s encoding
// and the receiving server's parse (BenchmarkS2SMessages has the s2s part
// alone).
func BenchmarkSIPToXMPP(b *testing.B) {
	warm := &counter{done: make(chan struct{}), want: 1}
	recv := &counter{}
	var current atomic.Pointer[counter]
	current.Store(warm)
	p := newPipeline(b, handlerFunc(func(ctx context.Context, st *xmpp.Element) error {
		return current.Load().XMPPStanza(ctx, st)
	}))

	slots := make(chan struct{}, window)
	var ok, other atomic.Int64
	ua := startUA(b, 4<<20, windowed(slots, &ok, &other))
	local := ua.LocalAddr().(*net.UDPAddr)

	var pkt []byte
	send := func(i int) {
		pkt = appendMessage(pkt[:0], local, i)
		if _, err := ua.WriteToUDP(pkt, p.sipAddr); err != nil {
			b.Fatal(err)
		}
	}
	// Warm up: the first message sets up the s2s stream (dialback both ways).
	slots <- struct{}{}
	send(0)
	select {
	case <-warm.done:
	case <-time.After(stallTimeout):
		b.Fatal("the warm-up message never arrived")
	}
	waitFor(b, "the warm-up response", func() bool { return ok.Load()+other.Load() == 1 })

	recv.done = make(chan struct{})
	recv.want = int64(b.N)
	current.Store(recv)
	stall := time.NewTimer(stallTimeout)
	defer stall.Stop()
	cpu0 := processCPU(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		stall.Reset(stallTimeout)
		select {
		case slots <- struct{}{}:
		case <-stall.C:
			b.Fatalf("no response for %v after %d of %d messages (a datagram was lost?)", stallTimeout, i-1, b.N)
		}
		send(i)
	}
	select {
	case <-recv.done:
	case <-time.After(stallTimeout):
		b.Fatalf("only %d of %d stanzas arrived (%d answered 200, %d otherwise; sxgw's socket dropped %d datagrams)", recv.n.Load(), b.N, ok.Load()-1, other.Load(), udpDrops(b, p.sipAddr.Port))
	}
	waitFor(b, "every response", func() bool { return ok.Load()+other.Load() == int64(b.N)+1 })
	b.StopTimer()
	cpu := processCPU(b) - cpu0
	if n := other.Load(); n > 0 {
		b.Fatalf("%d MESSAGEs got a final response other than 200", n)
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkXMPPToSIP sends message stanzas from a Go server for xmpp.test
// over one s2s stream to sxgw, whose core sends each as a SIP MESSAGE (the
// next hop found by RFC 3263 SRV) to a Go UA that answers 200, spread over
// 256 conversations. An op is one stanza whose MESSAGE got its 200 back to
// sxgw. allocs/op covers the whole process, the sending server's s2s
// encoding included.
func BenchmarkXMPPToSIP(b *testing.B) {
	p := newPipeline(b, nil)
	uas := startUAS(b)
	p.dns.AddSRV("_sip._udp."+sipDomain, "ua."+sipDomain, uint16(uas.addr.Port), 0, 0)
	p.dns.AddA("ua."+sipDomain, "127.0.0.1")

	const pairs = 256
	msg := func(i int) *xmpp.Element {
		k := strconv.Itoa(i % pairs)
		return xmpp.NewElement("jabber:server", "message",
			"from", "u"+k+"@xmpp.test/desk", "to", "carol"+k+"@sip.test", "type", "chat", "id", "m"+strconv.Itoa(i)).
			Add(xmpp.NewElement("jabber:server", "body").AddText("Hello Carol, this is a typical short chat message."))
	}
	ctx := context.Background()
	// Warm up: the first message sets up the s2s stream.
	uas.slots <- struct{}{}
	if err := p.peer.Send(ctx, msg(0)); err != nil {
		b.Fatal(err)
	}
	waitFor(b, "the warm-up MESSAGE", func() bool { return uas.got.Load() == 1 })
	els := make([]*xmpp.Element, b.N)
	for i := range els {
		els[i] = msg(i + 1)
	}
	stall := time.NewTimer(stallTimeout)
	defer stall.Stop()
	b.ReportAllocs()
	b.ResetTimer()
	for i, el := range els {
		stall.Reset(stallTimeout)
		select {
		case uas.slots <- struct{}{}:
		case <-stall.C:
			b.Fatalf("no MESSAGE for %v after %d of %d stanzas", stallTimeout, i, b.N)
		}
		if err := p.peer.Send(ctx, el); err != nil {
			b.Fatal(err)
		}
	}
	waitFor(b, "every MESSAGE", func() bool { return uas.got.Load() >= int64(b.N)+1 })
	waitFor(b, "every transaction to end", p.core.Idle)
	if n := uas.got.Load(); n != int64(b.N)+1 {
		b.Fatalf("the UA received %d MESSAGEs, want %d (sxgw's socket dropped %d datagrams)", n, b.N+1, udpDrops(b, p.ep.Addrs()[0].Addr.(*net.UDPAddr).Port))
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkSIPToXMPPCore is the core alone: a decoded MESSAGE through
// address mapping, de-duplication and translation (RFC 7572 §5) to a stanza
// serialized for the wire; no sockets. Run in parallel, as sipgo hands each
// request to a goroutine of its own.
func BenchmarkSIPToXMPPCore(b *testing.B) {
	x := &encodingSender{}
	core, err := gateway.New(gateway.Options{Domains: []string{sipDomain}, ErrorWait: benchErrorWait})
	if err != nil {
		b.Fatal(err)
	}
	defer core.Close()
	core.Attach(x, &answeringSIP{})
	msgs := make([]translate.SIPMessage, b.N)
	body := []byte("Hello Alice, this is a typical short chat message.")
	for i := range msgs {
		n := strconv.Itoa(i)
		msgs[i] = translate.SIPMessage{
			RequestURI: "sip:alice@xmpp.test", From: "sip:carol@sip.test", To: "sip:alice@xmpp.test",
			CallID: "bench-" + n, CSeq: 1, TransactionID: "z9hG4bK-" + n,
			ContentType: "text/plain", Body: body,
		}
	}
	var next atomic.Int64
	b.SetParallelism(64)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if err := core.SIPMessage(ctx, msgs[next.Add(1)-1]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if got := x.n.Load(); got != int64(b.N) {
		b.Fatalf("%d stanzas sent, want %d", got, b.N)
	}
}

// BenchmarkXMPPToSIPCore is the core alone: a parsed message stanza decoded
// (xmpp.NewInboundHandler), translated (RFC 7572 §4) and run through its
// conversation's queue to a SIP side that answers 200 at once; no sockets.
func BenchmarkXMPPToSIPCore(b *testing.B) {
	s := &answeringSIP{}
	core, err := gateway.New(gateway.Options{Domains: []string{sipDomain}})
	if err != nil {
		b.Fatal(err)
	}
	defer core.Close()
	core.Attach(&encodingSender{}, s)
	h := xmpp.NewInboundHandler(core)
	els := make([]*xmpp.Element, b.N)
	for i := range els {
		k := strconv.Itoa(i % 256)
		els[i] = xmpp.NewElement("jabber:server", "message",
			"from", "u"+k+"@xmpp.test/desk", "to", "carol"+k+"@sip.test", "type", "chat", "id", "m"+strconv.Itoa(i)).
			Add(xmpp.NewElement("jabber:server", "body").AddText("Hello Carol, this is a typical short chat message."))
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for _, el := range els {
		if err := h.XMPPStanza(ctx, el); err != nil {
			b.Fatal(err)
		}
	}
	waitFor(b, "every MESSAGE", func() bool { return s.n.Load() == int64(b.N) })
	waitFor(b, "the queues to empty", core.Idle)
	b.StopTimer()
}

// waitFor polls cond until it holds, failing after stallTimeout.
func waitFor(b *testing.B, what string, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(stallTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// goUAS is a SIP UA on UDP that answers every MESSAGE with 200 (RFC 3261
// §8.2.6: Via, From, To, Call-ID and CSeq copied) and frees a slot of the
// sender's window for each.
type goUAS struct {
	conn  *net.UDPConn
	addr  *net.UDPAddr
	got   atomic.Int64
	slots chan struct{}
}

func startUAS(b *testing.B) *goUAS {
	b.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	_ = c.SetReadBuffer(4 << 20)
	u := &goUAS{conn: c, addr: c.LocalAddr().(*net.UDPAddr), slots: make(chan struct{}, window)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		in := make([]byte, 64<<10)
		var out []byte
		for {
			n, from, err := c.ReadFromUDPAddrPort(in)
			if err != nil {
				return
			}
			req := in[:n]
			if !bytes.HasPrefix(req, []byte("MESSAGE ")) {
				continue
			}
			out = appendOK(out[:0], req)
			if _, err := c.WriteToUDPAddrPort(out, from); err != nil {
				return
			}
			u.got.Add(1)
			select {
			case <-u.slots:
			default:
			}
		}
	}()
	b.Cleanup(func() { c.Close(); <-done })
	return u
}

// appendOK appends a 200 response to req.
func appendOK(out, req []byte) []byte {
	out = append(out, "SIP/2.0 200 OK\r\n"...)
	head, _, _ := bytes.Cut(req, []byte("\r\n\r\n"))
	for len(head) > 0 {
		var line []byte
		line, head, _ = bytes.Cut(head, []byte("\r\n"))
		name, _, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		switch string(bytes.ToLower(bytes.TrimSpace(name))) {
		case "via", "v", "from", "f", "call-id", "i", "cseq":
			out = append(append(out, line...), "\r\n"...)
		case "to", "t":
			out = append(append(out, line...), ";tag=bench-uas\r\n"...)
		}
	}
	return append(out, "Content-Length: 0\r\n\r\n"...)
}

// encodingSender is the XMPP side for the core benchmarks: it encodes and
// serializes each message as the s2s endpoint would, and counts them.
type encodingSender struct{ n atomic.Int64 }

func (s *encodingSender) SendMessage(_ context.Context, m translate.XMPPMessage) error {
	el, err := xmpp.EncodeMessage(m)
	if err != nil {
		return err
	}
	if el.String() == "" {
		return net.ErrClosed
	}
	s.n.Add(1)
	return nil
}

func (s *encodingSender) SendPresence(context.Context, translate.XMPPPresence) error { return nil }

// answeringSIP is the SIP side for the core benchmarks: every MESSAGE is
// answered 200 at once.
type answeringSIP struct{ n atomic.Int64 }

func (s *answeringSIP) SendMessage(context.Context, translate.SIPMessage) (int, error) {
	s.n.Add(1)
	return 200, nil
}

func (s *answeringSIP) Subscribe(_ context.Context, d translate.SIPDialog, _ string, expires int, _ []string) (translate.SIPDialog, int, error) {
	return d, expires, nil
}

func (s *answeringSIP) Notify(_ context.Context, d translate.SIPDialog, _ translate.SIPNotify) (translate.SIPDialog, error) {
	return d, nil
}

func (s *answeringSIP) ChatSend(context.Context, string, translate.SIPMessage) error { return nil }

func (s *answeringSIP) ChatEnd(string) {}

func (s *answeringSIP) ChatStart(context.Context, translate.SIPChat) (string, error) {
	return "", errors.New("bench: no chats")
}
