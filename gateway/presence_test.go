package gateway

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/internal/store"
	"github.com/sxgw/sxgw/translate"
)

func newTestGateway(t *testing.T, st SubscriptionStore) (*Gateway, *fakeXMPP, *fakeSIP) {
	t.Helper()
	g, err := New(Options{Domains: []string{"sip.test"}, Store: st, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	x, s := newFakeXMPP(), newFakeSIP()
	g.Attach(x, s)
	t.Cleanup(g.Close)
	return g, x, s
}

var (
	aliceBare = jid.MustParse("alice@xmpp.test")
	carolBare = jid.MustParse("carol@sip.test")
)

func newWatch() translate.SIPSubscribe {
	return translate.SIPSubscribe{
		New: true, RequestURI: "sip:alice@xmpp.test", Event: "presence", Expires: 600,
		Dialog: translate.SIPDialog{CallID: "call-1", LocalURI: "sip:alice@xmpp.test", LocalTag: "gw-tag",
			RemoteURI: "sip:carol@sip.test", RemoteTag: "sipp-tag", RemoteTarget: "sip:carol@127.0.0.1:5099", RemoteCSeq: 1},
	}
}

// RFC 8048 §5.3 and §6.2: a SIP user watches an XMPP user.
func TestSIPWatcherLifecycle(t *testing.T) {
	g, x, s := newTestGateway(t, nil)
	ctx := context.Background()
	exp, after, err := g.SIPSubscribe(ctx, newWatch())
	if err != nil || exp != 600 || after == nil {
		t.Fatalf("SIPSubscribe = %d, %v", exp, err)
	}
	after()
	if n := s.waitNotify(t, 1); n.State != translate.SubStatePending || len(n.Body) != 0 {
		t.Fatalf("first NOTIFY %+v, want pending without body", n)
	}
	x.waitPresence(t, "subscribe to alice", func(p translate.XMPPPresence) bool {
		return p.Type == translate.PresenceSubscribe && p.From.Equal(carolBare) && p.To.Equal(aliceBare)
	})
	// Alice approves: NOTIFY active, no presence known yet -> empty.
	if err := g.XMPPPresence(ctx, translate.XMPPPresence{From: aliceBare, To: carolBare, Type: translate.PresenceSubscribed}); err != nil {
		t.Fatal(err)
	}
	if n := s.waitNotify(t, 2); n.State != translate.SubStateActive || len(n.Body) != 0 {
		t.Fatalf("second NOTIFY %+v, want active without body", n)
	}
	// Alice's presence: NOTIFY with PIDF.
	phone := jid.MustParse("alice@xmpp.test/phone")
	if err := g.XMPPPresence(ctx, translate.XMPPPresence{From: phone, To: carolBare, Show: "dnd", Status: "Busy", Lang: "en"}); err != nil {
		t.Fatal(err)
	}
	n := s.waitNotify(t, 3)
	body := string(n.Body)
	for _, want := range []string{"<basic>open</basic>", "Busy", "dnd", `id="ID-phone"`} {
		if !strings.Contains(body, want) {
			t.Errorf("PIDF lacks %q:\n%s", want, body)
		}
	}
	// Offline: closed.
	if err := g.XMPPPresence(ctx, translate.XMPPPresence{From: phone, To: carolBare, Type: translate.PresenceUnavailable}); err != nil {
		t.Fatal(err)
	}
	if n := s.waitNotify(t, 4); !strings.Contains(string(n.Body), "<basic>closed</basic>") {
		t.Fatalf("offline NOTIFY: %s", n.Body)
	}
	// Unsubscribe (Expires 0 in the dialog): terminated;reason=timeout and
	// unavailable to alice.
	w := newWatch()
	w.New, w.Expires = false, 0
	exp, after, err = g.SIPSubscribe(ctx, w)
	if err != nil || exp != 0 {
		t.Fatal(exp, err)
	}
	after()
	if n := s.waitNotify(t, 5); n.State != translate.SubStateTerminated || n.Reason != "timeout" {
		t.Fatalf("final NOTIFY %+v", n)
	}
	x.waitPresence(t, "unavailable to alice", func(p translate.XMPPPresence) bool {
		return p.Type == translate.PresenceUnavailable && p.To.Equal(aliceBare)
	})
	// The dialog is gone: 481.
	if _, _, err := g.SIPSubscribe(ctx, w); translate.ErrorOf(err).SIPStatus != 481 {
		t.Fatalf("refresh of an ended subscription: %v", err)
	}
}

func TestSIPWatcherRejected(t *testing.T) {
	g, _, s := newTestGateway(t, nil)
	ctx := context.Background()
	_, after, err := g.SIPSubscribe(ctx, newWatch())
	if err != nil {
		t.Fatal(err)
	}
	after()
	s.waitNotify(t, 1)
	if err := g.XMPPPresence(ctx, translate.XMPPPresence{From: aliceBare, To: carolBare, Type: translate.PresenceUnsubscribed}); err != nil {
		t.Fatal(err)
	}
	if n := s.waitNotify(t, 2); n.State != translate.SubStateTerminated || n.Reason != "rejected" {
		t.Fatalf("got %+v, want terminated;reason=rejected (RFC 8048 §5.3)", n)
	}
}

func TestSIPWatcherRefusals(t *testing.T) {
	g, _, _ := newTestGateway(t, nil)
	ctx := context.Background()
	w := newWatch()
	w.Dialog.RemoteURI = "sip:mallory@elsewhere.test" // not a served domain
	if _, _, err := g.SIPSubscribe(ctx, w); translate.ErrorOf(err).SIPStatus != 403 {
		t.Errorf("foreign watcher: %v", err)
	}
	w = newWatch()
	w.RequestURI = "sip:bob@sip.test" // would loop back into SIP
	if _, _, err := g.SIPSubscribe(ctx, w); translate.ErrorOf(err) == nil {
		t.Error("loop accepted")
	}
}

func TestPresenceCoalesced(t *testing.T) {
	g, _, s := newTestGateway(t, nil)
	ctx := context.Background()
	_, after, _ := g.SIPSubscribe(ctx, newWatch())
	after()
	_ = g.XMPPPresence(ctx, translate.XMPPPresence{From: aliceBare, To: carolBare, Type: translate.PresenceSubscribed})
	s.waitNotify(t, 2)
	phone := jid.MustParse("alice@xmpp.test/phone")
	for i := range 20 {
		_ = g.XMPPPresence(ctx, translate.XMPPPresence{From: phone, To: carolBare, Status: "s" + string(rune('a'+i))})
	}
	last := s.waitNotify(t, 3)
	time.Sleep(2 * notifyInterval)
	_, n := s.count()
	if n > 4 {
		t.Errorf("%d NOTIFYs for 20 quick changes: not coalesced", n)
	}
	if got := testutil.ToFloat64(g.m.coalesced); got < 15 {
		t.Errorf("coalesced = %v", got)
	}
	final := s.waitNotify(t, n)
	if !strings.Contains(string(final.Body), ">st<") {
		t.Errorf("the last NOTIFY must carry the last state; got %s (first was %s)", final.Body, last.Body)
	}
}

// RFC 8048 §5.2 and §6.3: an XMPP user watches a SIP user.
func TestXMPPWatcherLifecycle(t *testing.T) {
	g, x, s := newTestGateway(t, nil)
	ctx := context.Background()
	if err := g.XMPPPresence(ctx, translate.XMPPPresence{From: jid.MustParse("alice@xmpp.test/r"), To: carolBare, Type: translate.PresenceSubscribe}); err != nil {
		t.Fatal(err)
	}
	sub := s.waitSubscribes(t, 1)
	if sub.d.RemoteURI != "sip:carol@sip.test" || sub.d.LocalURI != "sip:alice@xmpp.test" || sub.d.RemoteTag != "" || sub.expires != defaultExpires {
		t.Fatalf("SUBSCRIBE %+v", sub)
	}
	// A pending NOTIFY says nothing to alice.
	d := sub.d
	d.RemoteTag = "uas-tag"
	if err := g.SIPNotify(ctx, translate.SIPNotify{Dialog: d, Event: "presence", State: translate.SubStatePending, Expires: 100}); err != nil {
		t.Fatal(err)
	}
	pidf := `<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:carol@sip.test"><tuple id="desk"><status><basic>open</basic></status><note>At work</note></tuple></presence>`
	if err := g.SIPNotify(ctx, translate.SIPNotify{Dialog: d, Event: "presence", State: translate.SubStateActive, Expires: 100,
		ContentType: translate.ContentTypePIDF, Body: []byte(pidf)}); err != nil {
		t.Fatal(err)
	}
	x.waitPresence(t, "subscribed", func(p translate.XMPPPresence) bool {
		return p.Type == translate.PresenceSubscribed && p.From.Equal(carolBare) && p.To.Equal(aliceBare)
	})
	got := x.waitPresence(t, "carol's presence", func(p translate.XMPPPresence) bool { return p.Status == "At work" })
	if got.From.String() != "carol@sip.test/desk" || got.Type != "" {
		t.Fatalf("presence %+v", got)
	}
	x.mu.Lock()
	for _, p := range x.presences[:1] {
		if p.Type != translate.PresenceSubscribed {
			t.Errorf("pending NOTIFY leaked presence %+v", p)
		}
	}
	x.mu.Unlock()
	// Unknown dialog: 481.
	bad := d
	bad.LocalTag = "nope"
	if err := g.SIPNotify(ctx, translate.SIPNotify{Dialog: bad, State: translate.SubStateActive}); translate.ErrorOf(err).SIPStatus != 481 {
		t.Fatalf("unknown dialog: %v", err)
	}
	// Rejected: unsubscribed to alice.
	if err := g.SIPNotify(ctx, translate.SIPNotify{Dialog: d, State: translate.SubStateTerminated, Reason: "rejected"}); err != nil {
		t.Fatal(err)
	}
	x.waitPresence(t, "unsubscribed", func(p translate.XMPPPresence) bool { return p.Type == translate.PresenceUnsubscribed })
	if v := testutil.ToFloat64(g.m.subscriptions.WithLabelValues(kindXMPPWatcher)); v != 0 {
		t.Errorf("subscriptions gauge %v after the end", v)
	}
}

func TestXMPPWatcherRefused(t *testing.T) {
	g, x, s := newTestGateway(t, nil)
	s.subErr = sipStatus(403)
	if err := g.XMPPPresence(context.Background(), translate.XMPPPresence{From: aliceBare, To: carolBare, Type: translate.PresenceSubscribe}); err != nil {
		t.Fatal(err)
	}
	x.waitPresence(t, "unsubscribed after 403 (RFC 8048 §5.2)", func(p translate.XMPPPresence) bool {
		return p.Type == translate.PresenceUnsubscribed && p.From.Equal(carolBare)
	})
}

// A restart resumes both kinds from the store: no new SUBSCRIBE, NOTIFYs
// in the old dialogs still work.
func TestResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	g, _, s := newTestGateway(t, st)
	_ = g.XMPPPresence(ctx, translate.XMPPPresence{From: aliceBare, To: carolBare, Type: translate.PresenceSubscribe})
	d := s.waitSubscribes(t, 1).d
	d.RemoteTag = "uas-tag"
	if err := g.SIPNotify(ctx, translate.SIPNotify{Dialog: d, State: translate.SubStateActive, Expires: 3600}); err != nil {
		t.Fatal(err)
	}
	_, after, err := g.SIPSubscribe(ctx, newWatch())
	if err != nil {
		t.Fatal(err)
	}
	after()
	s.waitNotify(t, 1)
	time.Sleep(100 * time.Millisecond) // let the SUBSCRIBE's answer be stored
	g.Close()

	g2, x2, s2 := newTestGateway(t, st)
	if err := g2.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	pidf := `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:carol@sip.test"><tuple id="desk"><status><basic>open</basic></status><note>Resumed</note></tuple></presence>`
	if err := g2.SIPNotify(ctx, translate.SIPNotify{Dialog: d, State: translate.SubStateActive, ContentType: translate.ContentTypePIDF, Body: []byte(pidf)}); err != nil {
		t.Fatalf("NOTIFY in the resumed dialog: %v", err)
	}
	x2.waitPresence(t, "presence after resume", func(p translate.XMPPPresence) bool { return p.Status == "Resumed" })
	// The SIP watcher's dialog is known too: a refresh is answered.
	w := newWatch()
	w.New = false
	if _, _, err := g2.SIPSubscribe(ctx, w); err != nil {
		t.Fatalf("refresh after resume: %v", err)
	}
	if subs, _ := s2.count(); subs != 0 {
		t.Errorf("%d SUBSCRIBEs after the restart, want 0", subs)
	}
	if v := testutil.ToFloat64(g2.m.subscriptions.WithLabelValues(kindSIPWatcher)); v != 1 {
		t.Errorf("sip-watcher gauge %v", v)
	}
}

// RFC 8048 §7: a probe without a subscription fetches once (Expires 0 in
// a new dialog); the answer's presence reaches the prober, and nothing
// else changes.
func TestProbeFetches(t *testing.T) {
	g, x, s := newTestGateway(t, nil)
	ctx := context.Background()
	if err := g.XMPPPresence(ctx, translate.XMPPPresence{From: aliceBare, To: carolBare, Type: translate.PresenceProbe}); err != nil {
		t.Fatal(err)
	}
	sub := s.waitSubscribes(t, 1)
	if sub.expires != 0 || sub.d.RemoteTag != "" {
		t.Fatalf("fetch SUBSCRIBE %+v", sub)
	}
	d := sub.d
	d.RemoteTag = "uas-tag"
	pidf := `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:carol@sip.test"><tuple id="t"><status><basic>open</basic></status><note>Fetched</note></tuple></presence>`
	if err := g.SIPNotify(ctx, translate.SIPNotify{Dialog: d, State: translate.SubStateTerminated, Reason: "timeout",
		ContentType: translate.ContentTypePIDF, Body: []byte(pidf)}); err != nil {
		t.Fatal(err)
	}
	x.waitPresence(t, "fetched presence", func(p translate.XMPPPresence) bool { return p.Status == "Fetched" })
	x.mu.Lock()
	for _, p := range x.presences {
		if p.Type == translate.PresenceSubscribed || p.Type == translate.PresenceUnsubscribed {
			t.Errorf("a fetch changed the authorization: %+v", p)
		}
	}
	x.mu.Unlock()
	if err := g.SIPNotify(ctx, translate.SIPNotify{Dialog: d, State: translate.SubStateActive}); translate.ErrorOf(err).SIPStatus != 481 {
		t.Errorf("the fetch dialog outlived its final NOTIFY: %v", err)
	}
	if v := testutil.ToFloat64(g.m.subscriptions.WithLabelValues(kindXMPPWatcher)); v != 0 {
		t.Errorf("a fetch counted as a subscription: %v", v)
	}
}
