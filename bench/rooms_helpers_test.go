package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/gateway"
	"github.com/sxgw/sxgw/internal/dnsres"
	"github.com/sxgw/sxgw/internal/dnstest"
	"github.com/sxgw/sxgw/sip/msrp"
	"github.com/sxgw/sxgw/sip/simple"
	"github.com/sxgw/sxgw/translate"
	"github.com/sxgw/sxgw/xmpp"
)

// The room of the fan-out benchmark: lobby@conference.sip.test, hosted by
// the gateway, with roomSIP MSRP participants and roomXMPP XMPP occupants
// from xmpp.test.
const (
	roomDomain = "conference." + sipDomain
	roomName   = "lobby"
	roomJID    = roomName + "@" + roomDomain
	roomURI    = "sip:" + roomJID
	roomSIP    = 500
	roomXMPP   = 500
	// joinBatch participants join at a time; the next batch waits until
	// the previous one was announced (and, for XMPP joiners, sent the
	// room: their subjects arrived), so that neither the room's backlog
	// (the core refuses a join flood with 503) nor the s2s queue fills.
	joinBatch = 20
	// setupTimeout bounds each wait while the room is being filled.
	setupTimeout = 2 * time.Minute
	// sideLabel is the pprof label that tells sxgw's goroutines (value
	// "sxgw") from the in-process receivers' ("receiver").
	sideLabel = "side"
)

// sipUser, xmppUser: SIP participants are user0 .. user499 of sip.test,
// XMPP occupants user500 .. user999 of xmpp.test, so that no nickname
// collides (a colliding SIP nickname would be renamed, an XMPP one
// refused, XEP-0045 §7.2.9).
func sipUser(i int) string  { return "user" + strconv.Itoa(i) }
func xmppUser(i int) string { return "user" + strconv.Itoa(roomSIP+i) }

// sipSession is the SIP side's handle of participant i's MSRP session.
func sipSession(i int) string { return "room-msrp-" + strconv.Itoa(i) }

// xmppOccupant is XMPP occupant i's full JID.
func xmppOccupant(i int) jid.JID {
	return jid.MustParse(xmppUser(i) + "@" + xmppDomain + "/r")
}

// tally counts the room message copies that reached the receivers of both
// sides and signals when a target count is reached. When track is set,
// it also records who got a copy, to check that everyone got exactly one.
type tally struct {
	n       atomic.Int64
	target  atomic.Int64
	reached chan struct{}
	track   atomic.Pointer[recipientSet]
}

func newTally() *tally { return &tally{reached: make(chan struct{}, 1)} }

func (t *tally) add(who string) {
	if s := t.track.Load(); s != nil {
		s.add(who)
	}
	if t.n.Add(1) == t.target.Load() {
		select {
		case t.reached <- struct{}{}:
		default:
		}
	}
}

// expect sets the target to want more copies than have arrived; call it
// before sending, then wait.
func (t *tally) expect(want int) {
	select {
	case <-t.reached: // a stale signal
	default:
	}
	t.target.Store(t.n.Load() + int64(want))
}

// wait returns once the target is reached, or fails after d.
func (t *tally) wait(d time.Duration) error {
	if t.n.Load() >= t.target.Load() {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-t.reached:
		return nil
	case <-timer.C:
		return fmt.Errorf("%d of %d copies arrived", t.n.Load(), t.target.Load())
	}
}

// recipientSet records how many copies each recipient got.
type recipientSet struct {
	mu  sync.Mutex
	got map[string]int
}

func (s *recipientSet) add(who string) {
	s.mu.Lock()
	s.got[who]++
	s.mu.Unlock()
}

// xmppSink is the server for xmpp.test: it counts what the room sends its
// XMPP occupants over the s2s stream.
type xmppSink struct {
	copies              *tally
	presences, subjects atomic.Int64
}

func (s *xmppSink) XMPPStanza(_ context.Context, st *xmpp.Element) error {
	switch st.Name.Local {
	case "presence":
		s.presences.Add(1)
	case "message":
		switch {
		case st.Child("", "body") != nil:
			s.copies.add(st.Get("to"))
		case st.Child("", "subject") != nil:
			s.subjects.Add(1) // the end of a join (XEP-0045 §7.2.16)
		}
	}
	return nil
}

// msrpSink is the handler of a receiving MSRP session: one SIP
// participant's client.
type msrpSink struct {
	copies *tally
	who    string
}

func (s msrpSink) MSRPMessage(*msrp.Session, *msrp.Message) { s.copies.add(s.who) }
func (msrpSink) MSRPReport(*msrp.Session, *msrp.Message)    {}
func (msrpSink) MSRPClosed(*msrp.Session, error)            {}

// quietSession is the handler of sxgw's side of an MSRP session, which
// receives nothing here (the receivers ask for no reports).
type quietSession struct{}

func (quietSession) MSRPMessage(*msrp.Session, *msrp.Message) {}
func (quietSession) MSRPReport(*msrp.Session, *msrp.Message)  {}
func (quietSession) MSRPClosed(*msrp.Session, error)          {}

// errUnused answers the SIPSender methods the room fan-out does not use.
var errUnused = errors.New("bench: not used by the room benchmark")

// msrpChats is the gateway's SIPSender: ChatSend sends over the MSRP
// session of a room participant, as sip.Endpoint.ChatSend does (same
// content type handling, Failure-Report: no, RFC 7573 §7). The map is
// filled before the gateway is attached and only read afterwards.
type msrpChats struct {
	sessions map[string]*msrp.Session
}

func (c *msrpChats) ChatSend(ctx context.Context, id string, m translate.SIPMessage) error {
	s := c.sessions[id]
	if s == nil {
		return fmt.Errorf("bench: no MSRP session %q", id)
	}
	ct := m.ContentType
	if ct == "" {
		ct = "text/plain"
	}
	if strings.HasPrefix(ct, "text/") && !strings.Contains(ct, "charset") {
		ct += ";charset=utf-8"
	}
	_, err := s.Send(ctx, ct, m.Body, false, "no")
	return err
}

func (*msrpChats) SendMessage(context.Context, translate.SIPMessage) (int, error) {
	return 0, errUnused
}

func (*msrpChats) Subscribe(context.Context, translate.SIPDialog, string, int, []string) (translate.SIPDialog, int, error) {
	return translate.SIPDialog{}, 0, errUnused
}

func (*msrpChats) Notify(context.Context, translate.SIPDialog, translate.SIPNotify) (translate.SIPDialog, error) {
	return translate.SIPDialog{}, errUnused
}

func (*msrpChats) ChatEnd(string) {}

func (*msrpChats) ChatStart(context.Context, translate.SIPChat) (string, error) {
	return "", errUnused
}

var _ gateway.SIPSender = (*msrpChats)(nil)

// roomRig is sxgw's room core wired to real transports: the gateway
// hosting lobby@conference.sip.test, its s2s endpoint for sip.test and
// conference.sip.test sending over one dialback-authenticated TLS stream
// to a Go server for xmpp.test (xmppSink), and an MSRP endpoint whose
// sessions reach a second MSRP endpoint playing the SIP participants'
// clients (msrpSink). Both receivers run in this process.
type roomRig struct {
	core     *gateway.Gateway
	reg      *prometheus.Registry
	gw, peer *xmpp.S2S
	xmpp     *xmppSink
	copies   *tally
}

// newRoomRig starts the rig and fills the room; everything stops when b
// ends. ctx carries the pprof label of sxgw's side: goroutines inherit
// labels when they are created, so the receivers are started under the
// "receiver" label and everything else under ctx's.
func newRoomRig(ctx context.Context, b *testing.B) *roomRig {
	b.Helper()
	d, err := dnstest.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = d.Close() })
	d.SetTTL(60)
	res, err := dnsres.New(dnsres.Options{Server: d.Addr()})
	if err != nil {
		b.Fatal(err)
	}
	r := &roomRig{reg: prometheus.NewRegistry(), copies: newTally()}
	r.xmpp = &xmppSink{copies: r.copies}
	r.core, err = gateway.New(gateway.Options{
		Domains: []string{sipDomain}, ConferenceDomain: roomDomain,
		Registerer: r.reg,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(r.core.Close) // runs first: finish queued room work
	r.gw = startRoomS2S(ctx, b, d, res, []string{sipDomain}, []string{roomDomain}, xmpp.NewInboundHandler(r.core))
	pprof.Do(ctx, pprof.Labels(sideLabel, "receiver"), func(ctx context.Context) {
		r.peer = startRoomS2S(ctx, b, d, res, []string{xmppDomain}, nil, r.xmpp)
	})
	start := time.Now()
	chats := r.connectMSRP(ctx, b)
	r.core.Attach(r.gw, chats)
	connected := time.Now()
	r.fill(ctx, b)
	b.Logf("%d MSRP sessions connected in %v, room filled in %v", roomSIP, connected.Sub(start).Round(time.Millisecond),
		time.Since(connected).Round(time.Millisecond))
	return r
}

// startRoomS2S starts an s2s endpoint serving domains and rooms on a free
// port and publishes its SRV records; it is closed when b ends.
func startRoomS2S(ctx context.Context, b *testing.B, d *dnstest.Server, res xmpp.Resolver, domains, rooms []string, h xmpp.Handler) *xmpp.S2S {
	b.Helper()
	s, err := xmpp.NewS2S(xmpp.Options{
		Domains: domains, RoomDomains: rooms, Listen: "127.0.0.1:0",
		TLSConfig:      &tls.Config{Certificates: []tls.Certificate{selfSigned(b, domains[0])}, MinVersion: tls.VersionTLS12},
		DialbackSecret: "bench-secret-" + domains[0] + "-0123456789", Resolver: res, Handler: h,
		QueueSize: 1 << 16, PingInterval: -1,
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			b.Error(err)
		}
	})
	port := s.Addr().(*net.TCPAddr).Port
	for _, dom := range append(append([]string(nil), domains...), rooms...) {
		d.AddSRV("_xmpp-server._tcp."+dom, "xmpp."+domains[0], uint16(port), 0, 0)
	}
	d.AddA("xmpp."+domains[0], "127.0.0.1")
	return s
}

// connectMSRP starts sxgw's MSRP endpoint and the participants' one, and
// connects one session pair per SIP participant over loopback TCP (sxgw
// side active: the endpoint reuses its connection to the same peer, RFC
// 4975 §5.4).
func (r *roomRig) connectMSRP(ctx context.Context, b *testing.B) *msrpChats {
	b.Helper()
	newEndpoint := func(ctx context.Context) *msrp.Endpoint {
		e, err := msrp.NewEndpoint(msrp.EndpointOptions{Listen: "127.0.0.1:0"})
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Start(ctx); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := e.Close(ctx); err != nil {
				b.Error(err)
			}
		})
		return e
	}
	gwEP := newEndpoint(ctx)
	var clientEP *msrp.Endpoint
	pprof.Do(ctx, pprof.Labels(sideLabel, "receiver"), func(ctx context.Context) { clientEP = newEndpoint(ctx) })
	chats := &msrpChats{sessions: make(map[string]*msrp.Session, roomSIP)}
	for i := range roomSIP {
		id := sipSession(i)
		ours := gwEP.NewSession(quietSession{}, nil)
		passive := make(chan error, 1)
		var theirs *msrp.Session
		pprof.Do(ctx, pprof.Labels(sideLabel, "receiver"), func(ctx context.Context) {
			theirs = clientEP.NewSession(msrpSink{copies: r.copies, who: id}, nil)
			go func() { passive <- theirs.Connect(ctx, ours.LocalPath(), false) }()
		})
		cctx, cancel := context.WithTimeout(ctx, setupTimeout)
		err := ours.Connect(cctx, theirs.LocalPath(), true)
		if err == nil {
			err = <-passive
		}
		cancel()
		if err != nil {
			b.Fatalf("MSRP session %d: %v", i, err)
		}
		chats.sessions[id] = ours
	}
	return chats
}

// fill joins every participant and waits until the join traffic has
// drained: SIP participants first (they cause no XMPP traffic while no
// XMPP occupant is in), then XMPP occupants in batches. Each XMPP joiner
// is sent every other occupant's presence, its own and the subject
// (XEP-0045 §7.2.3, §7.2.16; no history: maxstanzas 0), and its presence
// goes to the XMPP occupants already in.
func (r *roomRig) fill(ctx context.Context, b *testing.B) {
	b.Helper()
	for i := range roomSIP {
		err := r.core.SIPRoomJoin(ctx, translate.SIPRoomJoin{ID: sipSession(i), From: "sip:" + sipUser(i) + "@" + sipDomain,
			Room: roomURI, PrivateMessages: true})
		if err != nil {
			b.Fatalf("SIP join %d: %v", i, err)
		}
		if (i+1)%joinBatch == 0 {
			r.await(b, "SIP joins", r.idle)
		}
	}
	room := jid.MustParse(roomJID)
	for i := 0; i < roomXMPP; {
		for end := min(i+joinBatch, roomXMPP); i < end; i++ {
			to, err := room.WithResource(xmppUser(i))
			if err != nil {
				b.Fatal(err)
			}
			err = r.core.XMPPPresence(ctx, translate.XMPPPresence{From: xmppOccupant(i), To: to,
				MUCJoin: &translate.MUCJoin{MaxChars: -1, MaxStanzas: 0, Seconds: -1}})
			if err != nil {
				b.Fatalf("XMPP join %d: %v", i, err)
			}
		}
		joined := int64(i)
		r.await(b, "XMPP joins", func() bool { return r.xmpp.subjects.Load() >= joined })
	}
	x, s := int64(roomXMPP), int64(roomSIP)
	presences := x*s + x + x*(x-1)
	r.await(b, "join presence", func() bool { return r.xmpp.presences.Load() >= presences })
	r.await(b, "idle", r.idle)
	if got := r.xmpp.presences.Load(); got != presences {
		b.Fatalf("%d occupant presences arrived, want %d", got, presences)
	}
	if got := r.xmpp.subjects.Load(); got != x {
		b.Fatalf("%d joins completed, want %d", got, x)
	}
	if n := r.counter("sxgw_gateway_room_drops_total"); n != 0 {
		b.Fatalf("%v room copies or announcements dropped while filling the room", n)
	}
}

// idle reports whether the core has no queued work and the s2s link
// nothing waiting to be written.
func (r *roomRig) idle() bool {
	if !r.core.Idle() {
		return false
	}
	for _, p := range r.gw.Peers() {
		if p.Queued > 0 {
			return false
		}
	}
	return true
}

// await polls cond until it holds, failing b after setupTimeout.
func (r *roomRig) await(b *testing.B, what string, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(setupTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("%s: no progress after %v (presences %d, subjects %d, copies %d)", what, setupTimeout,
				r.xmpp.presences.Load(), r.xmpp.subjects.Load(), r.copies.n.Load())
		}
		time.Sleep(time.Millisecond)
	}
}

// roomBody is a typical short room message.
const roomBody = "Hello everyone, this is a typical short message to the room."

// sendFromXMPP sends a groupchat message from XMPP occupant i (XEP-0045
// §7.4) as the s2s endpoint hands it to the core.
func (r *roomRig) sendFromXMPP(ctx context.Context, i int, id string) error {
	return r.core.XMPPMessage(ctx, translate.XMPPMessage{From: xmppOccupant(i % roomXMPP), To: jid.MustParse(roomJID),
		ID: id, Type: translate.TypeGroupchat, Body: roomBody})
}

// sendFromMSRP sends a message to all from SIP participant i: message/cpim
// To the room (RFC 7701 §6.1), as the SIP side hands an MSRP SEND of a
// room session to the core.
func (r *roomRig) sendFromMSRP(ctx context.Context, i int, id string) error {
	i %= roomSIP
	c := &simple.CPIM{
		From: []string{"<sip:" + sipUser(i) + "@" + sipDomain + ">"}, To: []string{"<" + roomURI + ">"},
		DateTime: time.Now().UTC(), ContentType: "text/plain; charset=utf-8", Body: []byte(roomBody),
		NS:      map[string]string{"imdn": simple.NamespaceIMDN},
		Headers: []simple.Header{{Name: "imdn.Message-ID", Value: id}},
	}
	body, err := c.Marshal()
	if err != nil {
		return err
	}
	return r.core.SIPRoomMessage(ctx, sipSession(i), translate.SIPMessage{ContentType: translate.ContentTypeCPIM, Body: body})
}

// checkDelivery sends one message from each side and checks that every
// occupant but an MSRP sender got exactly one copy (XEP-0045 §7.4: the
// XMPP sender gets its reflection; RFC 7701 §6.1: the MSRP sender none).
func (r *roomRig) checkDelivery(ctx context.Context, b *testing.B) {
	b.Helper()
	cases := []struct {
		name string
		send func(context.Context, int, string) error
		skip string // the one occupant that gets no copy
	}{
		{"xmpp", r.sendFromXMPP, ""},
		{"msrp", r.sendFromMSRP, sipSession(0)},
	}
	for _, c := range cases {
		set := &recipientSet{got: make(map[string]int)}
		r.copies.track.Store(set)
		want := roomSIP + roomXMPP
		if c.skip != "" {
			want--
		}
		r.copies.expect(want)
		if err := c.send(ctx, 0, "check-"+c.name); err != nil {
			b.Fatalf("from %s: %v", c.name, err)
		}
		if err := r.copies.wait(setupTimeout); err != nil {
			b.Fatalf("from %s: %v", c.name, err)
		}
		r.await(b, "idle", r.idle)
		r.copies.track.Store(nil)
		set.mu.Lock()
		for i := range roomXMPP {
			if n := set.got[xmppOccupant(i).String()]; n != 1 {
				b.Errorf("from %s: XMPP occupant %d got %d copies, want 1", c.name, i, n)
			}
		}
		for i := range roomSIP {
			want := 1
			if sipSession(i) == c.skip {
				want = 0
			}
			if n := set.got[sipSession(i)]; n != want {
				b.Errorf("from %s: MSRP participant %d got %d copies, want %d", c.name, i, n, want)
			}
		}
		if len(set.got) != want {
			b.Errorf("from %s: %d recipients, want %d", c.name, len(set.got), want)
		}
		set.mu.Unlock()
	}
	if b.Failed() {
		b.FailNow()
	}
}

// counter returns the value of an unlabelled counter of the core, 0 if
// it was never touched.
func (r *roomRig) counter(name string) float64 {
	mfs, err := r.reg.Gather()
	if err != nil {
		return -1
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return 0
}

// fanoutSeconds returns the sum and count of the core's fan-out latency
// histogram (sxgw_gateway_room_fanout_seconds: message in to the last
// copy handed to a transport).
func (r *roomRig) fanoutSeconds() (sum float64, count uint64) {
	mfs, err := r.reg.Gather()
	if err != nil {
		return 0, 0
	}
	for _, mf := range mfs {
		if mf.GetName() == "sxgw_gateway_room_fanout_seconds" && len(mf.GetMetric()) > 0 {
			h := mf.GetMetric()[0].GetHistogram()
			return h.GetSampleSum(), h.GetSampleCount()
		}
	}
	return 0, 0
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTick is the unit of /proc/stat (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// machineCPU returns the time all CPUs spent busy and in total, from the
// "cpu" line of /proc/stat (proc(5): user nice system idle iowait irq
// softirq steal ...); ok is false where there is none.
func machineCPU() (busy, total time.Duration, ok bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, false
	}
	var all, idle int64
	for i, s := range f[1:9] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			return 0, 0, false
		}
		all += v
		if i == 3 || i == 4 { // idle, iowait
			idle += v
		}
	}
	return time.Duration(all-idle) * clockTick, time.Duration(all) * clockTick, true
}
