package sip

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sxgw/sxgw/translate"
)

// The presence tests' core takes no sessions.
func (c *fakeCore) SIPInvite(context.Context, translate.SIPInvite, func(int)) ([]byte, error) {
	return nil, &StatusError{Code: 488, Reason: "Not Acceptable Here"}
}

func (c *fakeCore) SIPAck(context.Context, translate.SIPDialog) {}

func (c *fakeCore) SIPBye(context.Context, translate.SIPDialog) error {
	return &StatusError{Code: 481, Reason: "Call/Transaction Does Not Exist"}
}

// Session descriptions exchanged in the tests (an MSRP chat, RFC 4975).
const (
	offerSDP  = "v=0\r\no=carol 1 1 IN IP4 127.0.0.1\r\ns= -\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=message 7394 TCP/MSRP *\r\na=accept-types:message/cpim text/plain\r\na=path:msrp://127.0.0.1:7394/iau39;tcp\r\n"
	answerSDP = "v=0\r\no=alice 2 2 IN IP4 127.0.0.1\r\ns= -\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=message 12763 TCP/MSRP *\r\na=accept-types:message/cpim text/plain\r\na=path:msrp://127.0.0.1:12763/kjhd37s2s20w2a;tcp\r\n"
)

// inviteCore is an Inbound for sessions: it records what reaches it and
// answers with onInvite (default: answerSDP) and onBye (default: nil).
type inviteCore struct {
	mu       sync.Mutex
	invites  []translate.SIPInvite
	acks     []translate.SIPDialog
	byes     []translate.SIPDialog
	onInvite func(ctx context.Context, inv translate.SIPInvite, progress func(int)) ([]byte, error)
	onBye    func(translate.SIPDialog) error

	gotInvite, gotAck, gotBye chan struct{}
}

func newInviteCore() *inviteCore {
	return &inviteCore{gotInvite: make(chan struct{}, 64), gotAck: make(chan struct{}, 64), gotBye: make(chan struct{}, 64)}
}

func (c *inviteCore) SIPMessage(context.Context, translate.SIPMessage) error { return nil }

func (c *inviteCore) SIPSubscribe(context.Context, translate.SIPSubscribe) (int, func(), error) {
	return 0, nil, &StatusError{Code: 489, Reason: "Bad Event"}
}

func (c *inviteCore) SIPNotify(context.Context, translate.SIPNotify) error {
	return &StatusError{Code: 481, Reason: "Subscription Does Not Exist"}
}

func (c *inviteCore) SIPInvite(ctx context.Context, inv translate.SIPInvite, progress func(int)) ([]byte, error) {
	c.mu.Lock()
	c.invites = append(c.invites, inv)
	f := c.onInvite
	c.mu.Unlock()
	c.gotInvite <- struct{}{}
	if f != nil {
		return f(ctx, inv, progress)
	}
	return []byte(answerSDP), nil
}

func (c *inviteCore) SIPAck(_ context.Context, d translate.SIPDialog) {
	c.mu.Lock()
	c.acks = append(c.acks, d)
	c.mu.Unlock()
	c.gotAck <- struct{}{}
}

func (c *inviteCore) SIPBye(_ context.Context, d translate.SIPDialog) error {
	c.mu.Lock()
	c.byes = append(c.byes, d)
	f := c.onBye
	c.mu.Unlock()
	c.gotBye <- struct{}{}
	if f != nil {
		return f(d)
	}
	return nil
}

func (c *inviteCore) setInvite(f func(context.Context, translate.SIPInvite, func(int)) ([]byte, error)) {
	c.mu.Lock()
	c.onInvite = f
	c.mu.Unlock()
}

func (c *inviteCore) setBye(f func(translate.SIPDialog) error) {
	c.mu.Lock()
	c.onBye = f
	c.mu.Unlock()
}

func (c *inviteCore) lastInvite(t *testing.T) translate.SIPInvite {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.invites) == 0 {
		t.Fatal("no INVITE reached the core")
	}
	return c.invites[len(c.invites)-1]
}

func (c *inviteCore) lastAck(t *testing.T) translate.SIPDialog {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.acks) == 0 {
		t.Fatal("no ACK reached the core")
	}
	return c.acks[len(c.acks)-1]
}

func (c *inviteCore) lastBye(t *testing.T) translate.SIPDialog {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.byes) == 0 {
		t.Fatal("no BYE reached the core")
	}
	return c.byes[len(c.byes)-1]
}

func (c *inviteCore) counts() (invites, acks, byes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.invites), len(c.acks), len(c.byes)
}

// noSignal checks that nothing arrives on ch for a while.
func noSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Errorf("unexpected %s", what)
	case <-time.After(300 * time.Millisecond):
	}
}

// ringPause separates a provisional response from the final one: sipgo
// hands each received message to a goroutine of its own, so responses
// sent back to back on loopback may be processed out of order (then the
// 1xx after the final one is dropped, as RFC 3261 §17.1.1.2 wants).
func ringPause() { time.Sleep(50 * time.Millisecond) }

// startInvites starts an endpoint serving sessions with timers.
func startInvites(t *testing.T, o Options, timers inviteTimers) (*Endpoint, *inviteCore) {
	t.Helper()
	e, _ := startEndpoint(t, o)
	core := newInviteCore()
	e.serveInvites(core, []string{sdpType}, timers)
	return e, core
}

// contactFor is the Contact (and so the remote target) an endpoint gives
// for user on transport.
func contactFor(t *testing.T, e *Endpoint, user, transport string) string {
	u := "sip:" + user + "@" + addrOf(t, e, transport).String()
	if transport != TransportUDP {
		u += ";transport=" + transport
	}
	return u
}

// TestInviteRoundTrip: A invites B (100, 180, 200 with the answer, ACK),
// re-INVITEs, and BYEs; both cores see the dialog as the other side made
// it, and the CSeqs advance.
func TestInviteRoundTrip(t *testing.T) {
	for _, transport := range []string{TransportUDP, TransportTCP} {
		t.Run(transport, func(t *testing.T) {
			a, coreA := startInvites(t, Options{Domains: []string{"sip.test"}}, defaultInviteTimers())
			b, coreB := startInvites(t, Options{Domains: []string{"xmpp.test"}}, defaultInviteTimers())
			ctx := doCtx(t)
			coreB.setInvite(func(_ context.Context, inv translate.SIPInvite, progress func(int)) ([]byte, error) {
				if inv.New {
					progress(180)
					ringPause()
				}
				return []byte(answerSDP), nil
			})
			d := translate.SIPDialog{
				CallID: "inv-" + transport + "@sip.test", LocalURI: "sip:carol@sip.test", LocalTag: "carol-1",
				RemoteURI: fmt.Sprintf("sip:alice@%s;transport=%s", addrOf(t, b, transport), transport),
			}
			var progress []int
			ad, answer, err := a.Invite(ctx, d, []byte(offerSDP), "chat", func(s int) { progress = append(progress, s) })
			if err != nil {
				t.Fatalf("Invite: %v", err)
			}
			if string(answer) != answerSDP {
				t.Errorf("answer %q", answer)
			}
			if !slices.Equal(progress, []int{180}) {
				t.Errorf("progress %v, want [180]", progress)
			}
			inv := coreB.lastInvite(t)
			bd := inv.Dialog
			if !inv.New || string(inv.SDP) != offerSDP || inv.Subject != "chat" || inv.RequestURI != d.RemoteURI {
				t.Errorf("B's invite %+v", inv)
			}
			if bd.CallID != d.CallID || bd.LocalTag == "" || bd.LocalURI != d.RemoteURI || bd.RemoteURI != "sip:carol@sip.test" ||
				bd.RemoteTag != "carol-1" || bd.RemoteCSeq != 1 || bd.RemoteTarget != contactFor(t, a, "carol", transport) ||
				bd.RouteSet != nil || bd.LocalCSeq != 0 {
				t.Errorf("B's dialog %+v", bd)
			}
			if ad.RemoteTag != bd.LocalTag || ad.LocalCSeq != 1 || ad.RouteSet != nil ||
				ad.RemoteTarget != contactFor(t, b, "alice", transport) || ad.CallID != d.CallID || ad.LocalTag != "carol-1" {
				t.Errorf("A's dialog %+v, B's tag %q", ad, bd.LocalTag)
			}
			waitFor(t, coreB.gotAck, "B's SIPAck")
			if ack := coreB.lastAck(t); ack.CallID != d.CallID || ack.LocalTag != bd.LocalTag || ack.RemoteTag != "carol-1" || ack.RemoteCSeq != 1 {
				t.Errorf("B's ACK dialog %+v", ack)
			}

			// re-INVITE in the dialog: same call, New false, B's tag.
			const offer2 = offerSDP + "a=sendonly\r\n"
			ad2, answer, err := a.Invite(ctx, ad, []byte(offer2), "", nil)
			if err != nil {
				t.Fatalf("re-INVITE: %v", err)
			}
			inv = coreB.lastInvite(t)
			if inv.New || string(inv.SDP) != offer2 || inv.Dialog.LocalTag != bd.LocalTag || inv.Dialog.RemoteCSeq != 2 ||
				inv.Dialog.RouteSet != nil || inv.Subject != "" {
				t.Errorf("B's re-INVITE %+v", inv)
			}
			if ad2.LocalCSeq != 2 || ad2.RemoteTag != ad.RemoteTag || string(answer) != answerSDP {
				t.Errorf("A's dialog after re-INVITE %+v", ad2)
			}
			waitFor(t, coreB.gotAck, "B's second SIPAck")
			if ack := coreB.lastAck(t); ack.RemoteCSeq != 2 {
				t.Errorf("second ACK CSeq %d", ack.RemoteCSeq)
			}

			// A hangs up; B's core then forgets the dialog and a second
			// BYE gets its 481.
			ad3, err := a.Bye(ctx, ad2)
			if err != nil {
				t.Fatalf("Bye: %v", err)
			}
			waitFor(t, coreB.gotBye, "B's SIPBye")
			if bye := coreB.lastBye(t); bye.CallID != d.CallID || bye.LocalTag != bd.LocalTag || bye.RemoteTag != "carol-1" || bye.RemoteCSeq != 3 {
				t.Errorf("B's BYE dialog %+v", bye)
			}
			if ad3.LocalCSeq != 3 {
				t.Errorf("LocalCSeq after BYE %d", ad3.LocalCSeq)
			}
			coreB.setBye(func(translate.SIPDialog) error {
				return &StatusError{Code: 481, Reason: "Call/Transaction Does Not Exist"}
			})
			_, err = a.Bye(ctx, ad3)
			var se *StatusError
			if !errors.As(err, &se) || se.Code != 481 {
				t.Errorf("second BYE: %v, want a 481 StatusError", err)
			}
			if inv, _, _ := coreA.counts(); inv != 0 {
				t.Errorf("A's core got %d INVITEs", inv)
			}
			wantCount(t, a.m.outgoing.WithLabelValues("INVITE", "2xx"), 2)
			wantCount(t, b.m.requests.WithLabelValues("INVITE", "2xx"), 2)
			wantCount(t, b.m.requests.WithLabelValues("BYE", "2xx"), 1)
			wantCount(t, b.m.requests.WithLabelValues("BYE", "4xx"), 1)
			wantCount(t, b.m.ackTimeouts, 0)
		})
	}
}

// TestInviteByeFromCallee: the callee's core ends the session with
// Endpoint.Bye from the dialog it was given; the caller's core gets it.
func TestInviteByeFromCallee(t *testing.T) {
	for _, transport := range []string{TransportUDP, TransportTCP} {
		t.Run(transport, func(t *testing.T) {
			a, coreA := startInvites(t, Options{}, defaultInviteTimers())
			b, coreB := startInvites(t, Options{}, defaultInviteTimers())
			ctx := doCtx(t)
			d := translate.SIPDialog{
				CallID: "callee-bye-" + transport + "@sip.test", LocalURI: "sip:carol@sip.test", LocalTag: "carol-2",
				RemoteURI: fmt.Sprintf("sip:alice@%s;transport=%s", addrOf(t, b, transport), transport),
			}
			ad, _, err := a.Invite(ctx, d, []byte(offerSDP), "", nil)
			if err != nil {
				t.Fatalf("Invite: %v", err)
			}
			waitFor(t, coreB.gotAck, "B's SIPAck")
			bd := coreB.lastInvite(t).Dialog
			bd2, err := b.Bye(ctx, bd)
			if err != nil {
				t.Fatalf("B's Bye: %v", err)
			}
			if bd2.LocalCSeq != 1 {
				t.Errorf("B's LocalCSeq %d", bd2.LocalCSeq)
			}
			waitFor(t, coreA.gotBye, "A's SIPBye")
			got := coreA.lastBye(t)
			if got.CallID != d.CallID || got.LocalTag != "carol-2" || got.RemoteTag != ad.RemoteTag || got.RemoteCSeq != 1 ||
				got.LocalURI != "sip:carol@sip.test" {
				t.Errorf("A's BYE dialog %+v", got)
			}
			if _, err := b.Bye(ctx, translate.SIPDialog{CallID: "x", LocalTag: "y", LocalURI: "sip:a@b", RemoteURI: "sip:c@d"}); !errors.Is(err, ErrBadRequest) {
				t.Errorf("Bye without remote tag: %v", err)
			}
		})
	}
}

// TestInviteRefused: the core's error status reaches the caller as a
// *StatusError; sipgo acknowledges it, the core sees no ACK.
func TestInviteRefused(t *testing.T) {
	cases := []struct {
		name string
		err  error
		code int
	}{
		{"busy", &StatusError{Code: 486, Reason: "Busy Here"}, 486},
		{"translated", translate.FromCondition(translate.CondNotAcceptable, ""), 606}, // RFC 7247 §7.1
		{"decline", &StatusError{Code: 603, Reason: "Decline"}, 603},
		{"plain error", errors.New("boom"), 500},
	}
	a, _ := startEndpoint(t, Options{})
	b, coreB := startInvites(t, Options{}, defaultInviteTimers())
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			coreB.setInvite(func(context.Context, translate.SIPInvite, func(int)) ([]byte, error) { return nil, c.err })
			d := translate.SIPDialog{
				CallID: fmt.Sprintf("refused-%d@sip.test", i), LocalURI: "sip:carol@sip.test", LocalTag: "c",
				RemoteURI: "sip:alice@" + addrOf(t, b, TransportUDP).String(),
			}
			nd, answer, err := a.Invite(doCtx(t), d, []byte(offerSDP), "", nil)
			var se *StatusError
			if !errors.As(err, &se) || se.Code != c.code || answer != nil {
				t.Fatalf("Invite: %v (%q), want a %d StatusError", err, answer, c.code)
			}
			if nd.LocalCSeq != 1 || nd.RemoteTag != "" {
				t.Errorf("dialog after refusal %+v", nd)
			}
		})
	}
	noSignal(t, coreB.gotAck, "SIPAck for a refused INVITE")
	wantCount(t, a.m.outgoing.WithLabelValues("INVITE", "4xx"), 1)
	wantCount(t, a.m.outgoing.WithLabelValues("INVITE", "6xx"), 2)
	wantCount(t, a.m.outgoing.WithLabelValues("INVITE", "5xx"), 1)
}

// TestInviteCancel: the caller's context ends while the callee's core
// waits: CANCEL, 487, the callee's core sees its context cancelled.
func TestInviteCancel(t *testing.T) {
	for _, transport := range []string{TransportUDP, TransportTCP} {
		t.Run(transport, func(t *testing.T) {
			a, _ := startEndpoint(t, Options{})
			b, coreB := startInvites(t, Options{}, defaultInviteTimers())
			coreErr := make(chan error, 1)
			coreB.setInvite(func(ctx context.Context, _ translate.SIPInvite, progress func(int)) ([]byte, error) {
				progress(180)
				select {
				case <-ctx.Done():
					coreErr <- ctx.Err()
					return nil, ctx.Err()
				case <-time.After(5 * time.Second):
					coreErr <- nil
					return []byte(answerSDP), nil
				}
			})
			ctx, cancel := context.WithCancel(doCtx(t))
			defer cancel()
			d := translate.SIPDialog{
				CallID: "cancel-" + transport + "@sip.test", LocalURI: "sip:carol@sip.test", LocalTag: "c",
				RemoteURI: fmt.Sprintf("sip:alice@%s;transport=%s", addrOf(t, b, transport), transport),
			}
			start := time.Now()
			_, answer, err := a.Invite(ctx, d, []byte(offerSDP), "", func(s int) {
				if s == 180 {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) || answer != nil {
				t.Fatalf("Invite: %v, want context.Canceled", err)
			}
			if time.Since(start) > 3*time.Second {
				t.Errorf("Invite took %v to give up", time.Since(start))
			}
			select {
			case err := <-coreErr:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("core's context: %v, want cancelled", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("core did not return")
			}
			wantCount(t, b.m.requests.WithLabelValues("INVITE", "4xx"), 1)
			wantCount(t, a.m.outgoing.WithLabelValues("INVITE", classError), 1)
			noSignal(t, coreB.gotAck, "SIPAck for a cancelled INVITE")
		})
	}
}

// TestInviteCancelledBeforeAnyResponse: a context that ends before the
// INVITE is even sent gives ctx.Err() and no INVITE.
func TestInviteCancelledBeforeAnyResponse(t *testing.T) {
	a, _ := startEndpoint(t, Options{})
	b, coreB := startInvites(t, Options{}, defaultInviteTimers())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := translate.SIPDialog{
		CallID: "dead-ctx@sip.test", LocalURI: "sip:carol@sip.test", LocalTag: "c",
		RemoteURI: "sip:alice@" + addrOf(t, b, TransportUDP).String(),
	}
	if _, _, err := a.Invite(ctx, d, []byte(offerSDP), "", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Invite: %v", err)
	}
	noSignal(t, coreB.gotInvite, "INVITE sent with a dead context")
}

// TestInviteFailover: before any provisional response but 100, a 503
// moves on to the next target (RFC 3263 §4.3); the dialog is the good
// one's.
func TestInviteFailover(t *testing.T) {
	busy, busyCore := startInvites(t, Options{}, defaultInviteTimers())
	busyCore.setInvite(func(context.Context, translate.SIPInvite, func(int)) ([]byte, error) {
		return nil, &StatusError{Code: 503, Reason: "Service Unavailable"}
	})
	good, goodCore := startInvites(t, Options{}, defaultInviteTimers())
	dns, res := startDNS(t)
	dns.AddSRV("_sip._udp.example.test", "busy.example.test", addrOf(t, busy, TransportUDP).Port(), 10, 10)
	dns.AddSRV("_sip._udp.example.test", "good.example.test", addrOf(t, good, TransportUDP).Port(), 20, 10)
	dns.AddA("busy.example.test", "127.0.0.1")
	dns.AddA("good.example.test", "127.0.0.1")
	a, _ := startEndpoint(t, Options{Resolver: res})
	d := translate.SIPDialog{
		CallID: "failover@sip.test", LocalURI: "sip:carol@sip.test", LocalTag: "c",
		RemoteURI: "sip:alice@example.test;transport=udp",
	}
	nd, _, err := a.Invite(doCtx(t), d, []byte(offerSDP), "", nil)
	if err != nil {
		t.Fatalf("Invite: %v", err)
	}
	waitFor(t, goodCore.gotAck, "the good target's SIPAck")
	if got := goodCore.lastInvite(t).Dialog.LocalTag; nd.RemoteTag != got {
		t.Errorf("dialog tag %q, want the good target's %q", nd.RemoteTag, got)
	}
	if n, _, _ := busyCore.counts(); n != 1 {
		t.Errorf("busy target got %d INVITEs", n)
	}

	// A ringing target that then fails is not left for another.
	busyCore.setInvite(func(_ context.Context, _ translate.SIPInvite, progress func(int)) ([]byte, error) {
		progress(180)
		ringPause()
		return nil, &StatusError{Code: 503, Reason: "Service Unavailable"}
	})
	d.CallID = "no-failover@sip.test"
	_, _, err = a.Invite(doCtx(t), d, []byte(offerSDP), "", nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 503 {
		t.Fatalf("Invite after ringing: %v, want 503", err)
	}
	if n, _, _ := goodCore.counts(); n != 1 {
		t.Errorf("good target got %d INVITEs, want 1 (no failover after 180)", n)
	}
}

// TestInviteRefusals: wire INVITEs the endpoint refuses before the core.
func TestInviteRefusals(t *testing.T) {
	e, core := startInvites(t, Options{}, defaultInviteTimers())
	cases := []struct {
		file    string
		code    int
		headers map[string]string
	}{
		{"invite_bad_type.sip", 415, map[string]string{"Accept": sdpType}},
		{"invite_gzip.sip", 415, map[string]string{"Accept": sdpType, "Accept-Encoding": "identity"}},
		{"invite_no_contact.sip", 400, nil},
		{"invite_bad_contact.sip", 400, nil}, // two Contacts
		{"invite_bad_expires.sip", 400, nil},
		{"bye_no_totag.sip", 481, nil},
	}
	for _, transport := range []string{TransportUDP, TransportTCP} {
		for _, c := range cases {
			t.Run(transport+"/"+c.file, func(t *testing.T) {
				res := exchange(t, transport, addrOf(t, e, transport), c.file, 3*time.Second, nil)
				if res == nil || res.StatusCode != c.code {
					t.Fatalf("response %v, want %d", res, c.code)
				}
				for name, want := range c.headers {
					if got, _ := header(res, name); got != want {
						t.Errorf("%s = %q, want %q", name, got, want)
					}
				}
			})
		}
	}
	if n, _, b := core.counts(); n != 0 || b != 0 {
		t.Errorf("core got %d INVITEs and %d BYEs", n, b)
	}
	wantCount(t, e.m.badRequests.WithLabelValues(badContentType), 4)
	wantCount(t, e.m.badRequests.WithLabelValues(badMissingHeader), 2)
	wantCount(t, e.m.badRequests.WithLabelValues(badInvalidHeader), 4)
	wantCount(t, e.m.badRequests.WithLabelValues(badNoDialog), 2)
}

// TestServeInvitesAllow: OPTIONS lists the session methods and SDP.
func TestServeInvitesAllow(t *testing.T) {
	e, _ := startInvites(t, Options{}, defaultInviteTimers())
	res := exchange(t, TransportUDP, addrOf(t, e, TransportUDP), "options.sip", 3*time.Second, nil)
	if res == nil || res.StatusCode != 200 {
		t.Fatalf("OPTIONS: %v", res)
	}
	if got, _ := header(res, "Allow"); got != "ACK, BYE, CANCEL, INVITE, OPTIONS" {
		t.Errorf("Allow = %q", got)
	}
	if got, _ := header(res, "Accept"); got != sdpType {
		t.Errorf("Accept = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("ServeInvites(nil) did not panic")
		}
	}()
	e.ServeInvites(nil, nil)
}
