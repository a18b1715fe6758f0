package xmpp

import (
	"context"
	"encoding/xml"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sxgw/sxgw/translate"
)

// sessionInitiate is the XEP-0166 §6.2 example, between alice@a.test and
// carol@b.test (the SIP user's JID).
const sessionInitiate = `<iq from="alice@a.test/orchard" id="xs51r0k4" to="carol@b.test" type="set">` +
	`<jingle xmlns="urn:xmpp:jingle:1" action="session-initiate" initiator="alice@a.test/orchard" sid="a73sjjvkla37jfea">` +
	`<content creator="initiator" name="voice"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio">` +
	`<payload-type id="96" name="speex" clockrate="16000"/><payload-type id="0" name="PCMU"/></description>` +
	`<transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" pwd="asd88fgpdd777uzjYhagZg" ufrag="8hhy">` +
	`<candidate component="1" foundation="1" generation="0" id="el0747fg11" ip="10.0.1.1" network="1" port="8998" priority="2130706431" protocol="udp" type="host"/>` +
	`</transport></content></jingle></iq>`

// jingleSet is a small Jingle IQ set.
func jingleSet(from, to, id, action string) *Element {
	return NewElement(nsServer, "iq", "from", from, "to", to, "id", id, "type", "set").
		Add(NewElement(nsJingle, "jingle", "action", action, "sid", "s-"+id))
}

// fakeCalls is a core that takes calls: it records Jingle IQs and
// messages in arrival order and answers with canned errors. Requests
// from the localpart "slow" wait for gate.
type fakeCalls struct {
	iqs    chan translate.JingleIQ
	msgs   chan translate.XMPPMessage
	events chan string
	gate   chan struct{}

	mu   sync.Mutex
	errs map[string]error // by IQ id
}

func newFakeCalls() *fakeCalls {
	return &fakeCalls{
		iqs: make(chan translate.JingleIQ, 256), msgs: make(chan translate.XMPPMessage, 256),
		events: make(chan string, 512), gate: make(chan struct{}), errs: make(map[string]error),
	}
}

func (f *fakeCalls) XMPPMessage(_ context.Context, m translate.XMPPMessage) error {
	f.events <- "msg:" + m.ID
	f.msgs <- m
	return nil
}

func (f *fakeCalls) XMPPPresence(context.Context, translate.XMPPPresence) error { return nil }

func (f *fakeCalls) XMPPJingle(ctx context.Context, iq translate.JingleIQ) error {
	if iq.From.Localpart() == "slow" {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.events <- "iq:" + iq.ID
	f.iqs <- iq
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.errs[iq.ID]
}

func (f *fakeCalls) failWith(id string, err error) {
	f.mu.Lock()
	f.errs[id] = err
	f.mu.Unlock()
}

// callWorld is a.test (a plain server recording what it receives) and
// b.test, serving SIP users' JIDs for core.
func callWorld(t *testing.T, core Inbound, tweak ...func(*Options)) (a, b *node) {
	w := newWorld(t)
	a = w.server("a.test", (*testCA)(nil).issue(t, "a.test"), nil)
	b = w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil, append([]func(*Options){func(o *Options) {
		o.Handler = NewInboundHandler(core)
	}}, tweak...)...)
	return a, b
}

func mustSend(t *testing.T, n *node, st *Element) {
	t.Helper()
	if err := n.s.Send(context.Background(), st); err != nil {
		t.Fatal(err)
	}
}

// jinglePayload is what a test reads back from a payload with
// encoding/xml alone.
type jinglePayload struct {
	XMLName   xml.Name `xml:"urn:xmpp:jingle:1 jingle"`
	Action    string   `xml:"action,attr"`
	SID       string   `xml:"sid,attr"`
	Initiator string   `xml:"initiator,attr"`
	Contents  []struct {
		Name        string `xml:"name,attr"`
		Description struct {
			Media    string `xml:"media,attr"`
			Payloads []struct {
				ID   string `xml:"id,attr"`
				Name string `xml:"name,attr"`
			} `xml:"payload-type"`
		} `xml:"urn:xmpp:jingle:apps:rtp:1 description"`
		Transport struct {
			Ufrag      string `xml:"ufrag,attr"`
			Candidates []struct {
				ID   string `xml:"id,attr"`
				IP   string `xml:"ip,attr"`
				Port int    `xml:"port,attr"`
			} `xml:"candidate"`
		} `xml:"urn:xmpp:jingle:transports:ice-udp:1 transport"`
	} `xml:"content"`
}

func TestJingleInbound(t *testing.T) {
	core := newFakeCalls()
	a, _ := callWorld(t, core)

	// A session-initiate reaches the core whole and is acknowledged
	// with an empty result (XEP-0166 §6.3.1).
	got := ask(t, a, sessionInitiate)
	if got.Get("type") != "result" || got.FirstChild() != nil {
		t.Fatalf("ack %s", got)
	}
	iq := recv(t, core.iqs, "session-initiate")
	if iq.From.String() != "alice@a.test/orchard" || iq.To.String() != "carol@b.test" || iq.ID != "xs51r0k4" {
		t.Errorf("addresses %+v", iq)
	}
	var j jinglePayload
	if err := xml.Unmarshal(iq.Payload, &j); err != nil {
		t.Fatalf("payload does not decode standalone: %v\n%s", err, iq.Payload)
	}
	if j.Action != "session-initiate" || j.SID != "a73sjjvkla37jfea" || j.Initiator != "alice@a.test/orchard" ||
		len(j.Contents) != 1 || j.Contents[0].Name != "voice" || j.Contents[0].Description.Media != "audio" ||
		len(j.Contents[0].Description.Payloads) != 2 || j.Contents[0].Description.Payloads[1].Name != "PCMU" ||
		j.Contents[0].Transport.Ufrag != "8hhy" || len(j.Contents[0].Transport.Candidates) != 1 ||
		j.Contents[0].Transport.Candidates[0].Port != 8998 {
		t.Errorf("payload decoded to %+v", j)
	}
	want := sessionInitiate[strings.Index(sessionInitiate, "<jingle"):strings.Index(sessionInitiate, "</iq>")]
	if string(iq.Payload) != want {
		t.Errorf("payload\n got %s\nwant %s", iq.Payload, want)
	}

	// A full JID is served the same way.
	got = ask(t, a, jingleSet("alice@a.test/orchard", "carol@b.test/phone", "f1", "session-info").String())
	if got.Get("type") != "result" {
		t.Errorf("full JID: %s", got)
	}
	if iq := recv(t, core.iqs, "full JID"); iq.To.String() != "carol@b.test/phone" {
		t.Errorf("to %s", iq.To)
	}

	// Errors of the core go back with their conditions (XEP-0166 §10).
	const stanzas = `xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"`
	const jerrs = `xmlns="urn:xmpp:jingle:errors:1"`
	errCases := []struct {
		err  error
		wire string
	}{
		{&translate.JingleError{JingleCondition: translate.JingleUnknownSession},
			`<error type="cancel"><item-not-found ` + stanzas + `/><unknown-session ` + jerrs + `/></error>`},
		{&translate.JingleError{Condition: ErrFeatureNotImplemented, Type: "modify", JingleCondition: translate.JingleUnsupportedInfo},
			`<error type="modify"><feature-not-implemented ` + stanzas + `/><unsupported-info ` + jerrs + `/></error>`},
		{&translate.JingleError{JingleCondition: translate.JingleTieBreak},
			`<error type="cancel"><conflict ` + stanzas + `/><tie-break ` + jerrs + `/></error>`},
		{&translate.JingleError{Condition: ErrUnexpectedRequest, JingleCondition: translate.JingleOutOfOrder, Text: "already accepted"},
			`<error type="wait"><unexpected-request ` + stanzas + `/><text ` + stanzas + ` xml:lang="en">already accepted</text><out-of-order ` + jerrs + `/></error>`},
		{&translate.JingleError{Condition: ErrBadRequest, Text: "no content"},
			`<error type="modify"><bad-request ` + stanzas + `/><text ` + stanzas + ` xml:lang="en">no content</text></error>`},
		{&translate.JingleError{Condition: "no such thing", JingleCondition: `bad"name`, Type: "bogus"},
			`<error type="cancel"><undefined-condition ` + stanzas + `/></error>`},
		{translate.FromCondition(translate.CondItemNotFound, ""),
			`<error type="cancel"><item-not-found ` + stanzas + `/></error>`},
		{&StanzaError{Condition: ErrForbidden},
			`<error type="auth"><forbidden ` + stanzas + `/></error>`},
		{errors.New("core failure"),
			`<error type="cancel"><internal-server-error ` + stanzas + `/></error>`},
	}
	for i, c := range errCases {
		id := "e" + strconv.Itoa(i)
		core.failWith(id, c.err)
		got := ask(t, a, jingleSet("alice@a.test/orchard", "carol@b.test", id, "transport-info").String())
		recv(t, core.iqs, id)
		if got.Get("type") != "error" || got.Child("", "error") == nil {
			t.Errorf("%v: answer %s", c.err, got)
			continue
		}
		if w := got.Child("", "error").String(); w != c.wire {
			t.Errorf("%v:\n got %s\nwant %s", c.err, w, c.wire)
		}
	}

	// Malformed requests are answered here; the core never sees them.
	bad := map[string]string{
		`<iq from="alice@a.test/o" to="carol@b.test" id="m1" type="set"><jingle xmlns="urn:xmpp:jingle:1" action="session-info"/></iq>`:                                      ErrBadRequest,
		`<iq from="alice@a.test/o" to="carol@b.test" id="m2" type="set"><jingle xmlns="urn:xmpp:jingle:1" sid="s"/></iq>`:                                                    ErrBadRequest,
		`<iq from="alice@a.test/o" to="carol@b.test" id="m3" type="set"><jingle xmlns="urn:xmpp:jingle:1" action="session-info" sid="s"/><ping xmlns="urn:xmpp:ping"/></iq>`: ErrBadRequest,
		`<iq from="alice@a.test/o" to="carol@b.test" id="m4" type="get"><jingle xmlns="urn:xmpp:jingle:1" action="session-info" sid="s"/></iq>`:                              ErrServiceUnavailable,
		`<iq from="alice@a.test/o" to="b.test" id="m5" type="set"><jingle xmlns="urn:xmpp:jingle:1" action="session-info" sid="s"/></iq>`:                                    ErrServiceUnavailable,
	}
	for wire, cond := range bad {
		got := ask(t, a, wire)
		if se := ParseStanzaError(got); se == nil || se.Condition != cond {
			t.Errorf("%s: answer %s, want %s", wire, got, cond)
		}
	}
	select {
	case iq := <-core.iqs:
		t.Errorf("the core got a malformed request: %+v", iq)
	default:
	}
}

// Without a JingleInbound, Jingle requests get service-unavailable as
// any unhandled IQ (XEP-0166 §6.3.2).
func TestJingleWithoutJingleInbound(t *testing.T) {
	a, _ := callWorld(t, newFakeRooms())
	got := ask(t, a, sessionInitiate)
	if se := ParseStanzaError(got); se == nil || se.Condition != ErrServiceUnavailable {
		t.Fatalf("answer %s", got)
	}
}

// A slow request from one sender holds up that sender's later requests
// and XEP-0353 messages, in order, and nobody else's.
func TestJingleOrderPerSender(t *testing.T) {
	core := newFakeCalls()
	a, _ := callWorld(t, core)
	for _, id := range []string{"s1", "s2", "s3"} {
		mustSend(t, a, jingleSet("slow@a.test/r", "carol@b.test", id, "transport-info"))
	}
	finish := parseStanza(t, `<message from="slow@a.test/r" to="carol@b.test" id="s4" type="chat"><finish xmlns="urn:xmpp:jingle-message:0" id="x"/></message>`)
	mustSend(t, a, finish)
	mustSend(t, a, jingleSet("slow@a.test/r", "carol@b.test", "s5", "session-terminate"))
	// Another sender is answered while slow waits.
	mustSend(t, a, jingleSet("fast@a.test/r", "carol@b.test", "f1", "transport-info"))
	if got := a.rec.wait(t, "fast answer"); got.Get("id") != "f1" || got.Get("type") != "result" {
		t.Fatalf("first answer %s", got)
	}
	if ev := recv(t, core.events, "fast event"); ev != "iq:f1" {
		t.Fatalf("event %s before slow was released", ev)
	}
	close(core.gate)
	for _, want := range []string{"iq:s1", "iq:s2", "iq:s3", "msg:s4", "iq:s5"} {
		if ev := recv(t, core.events, want); ev != want {
			t.Fatalf("event %s, want %s", ev, want)
		}
	}
	answered := map[string]bool{}
	for range 4 {
		got := a.rec.wait(t, "slow answers")
		answered[got.Get("id")] = got.Get("type") == "result"
	}
	for _, id := range []string{"s1", "s2", "s3", "s5"} {
		if !answered[id] {
			t.Errorf("%s not acknowledged: %v", id, answered)
		}
	}
}

// A sender with too many requests waiting gets resource-constraint for
// the excess; the waiting ones are still served.
func TestJingleQueueBound(t *testing.T) {
	core := newFakeCalls()
	a, _ := callWorld(t, core)
	n := maxQueuedPerSender + 2 // one running, a full queue, one too many
	for i := range n {
		mustSend(t, a, jingleSet("slow@a.test/r", "carol@b.test", "q"+strconv.Itoa(i), "transport-info"))
	}
	got := a.rec.wait(t, "refusal")
	if se := ParseStanzaError(got); se == nil || se.Condition != ErrResourceConstraint || got.Get("id") != "q"+strconv.Itoa(n-1) {
		t.Fatalf("answer %s", got)
	}
	close(core.gate)
	for range n - 1 {
		if got := a.rec.wait(t, "ack"); got.Get("type") != "result" {
			t.Fatalf("answer %s", got)
		}
	}
}

func TestSerialQueues(t *testing.T) {
	q := newSerialQueues()
	release := make(chan struct{})
	var mu sync.Mutex
	var order []int
	done := make(chan int, maxQueuedPerSender+1)
	for i := range maxQueuedPerSender + 1 {
		ok := q.submit("k", func(context.Context) {
			if i == 0 {
				<-release
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			done <- i
		})
		if !ok {
			t.Fatalf("job %d refused", i)
		}
	}
	if q.submit("k", func(context.Context) {}) {
		t.Error("a full queue took a job")
	}
	// Other keys may add jobs up to the bound on all jobs.
	for i := maxQueuedPerSender + 1; i < maxSerialJobs; i++ {
		if !q.submit("other"+strconv.Itoa(i%100), func(context.Context) { <-release }) {
			t.Fatalf("job %d refused", i)
		}
	}
	if q.submit("one-too-many", func(context.Context) {}) {
		t.Error("more jobs than the bound")
	}
	close(release)
	for range maxQueuedPerSender + 1 {
		recv(t, done, "job")
	}
	idle := func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return len(q.pending) == 0
	}
	for i := 0; !idle(); i++ {
		if i == 500 {
			t.Fatal("keys still busy")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	for i, v := range order {
		if v != i {
			t.Fatalf("order %v", order)
		}
	}
	mu.Unlock()
	// Jobs see the end of the endpoint; nothing is taken after stop.
	ended := make(chan error, 1)
	blocked := make(chan struct{})
	if !q.submit("late", func(ctx context.Context) { close(blocked); <-ctx.Done(); ended <- ctx.Err() }) {
		t.Fatal("refused")
	}
	<-blocked
	q.stop()
	if q.submit("after", func(context.Context) {}) {
		t.Error("job taken after stop")
	}
	q.wait()
	if err := recv(t, ended, "cancel"); !errors.Is(err, context.Canceled) {
		t.Errorf("job context ended with %v", err)
	}
	if len(q.pending) != 0 {
		t.Errorf("keys left: %d", len(q.pending))
	}
}

// sendJingleAsync runs SendJingle from b and returns its outcome.
func sendJingleAsync(ctx context.Context, b *node, iq translate.JingleIQ) chan error {
	ch := make(chan error, 1)
	go func() { ch <- b.s.SendJingle(ctx, iq) }()
	return ch
}

func TestSendJingle(t *testing.T) {
	core := newFakeCalls()
	a, b := callWorld(t, core)
	carol, alice := mustJID(t, "carol@b.test"), mustJID(t, "alice@a.test/phone")
	payload := []byte(`<jingle xmlns="urn:xmpp:jingle:1" action="session-initiate" sid="s1" initiator="carol@b.test"><content creator="initiator" name="audio"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"/></content></jingle>`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// A result ends the wait with nil; only the addressee's answer counts.
	res := sendJingleAsync(ctx, b, translate.JingleIQ{From: carol, To: alice, ID: "j1", Payload: payload})
	got := a.rec.wait(t, "jingle set")
	if got.Get("type") != "set" || got.Get("id") != "j1" || got.Get("from") != "carol@b.test" || got.Get("to") != "alice@a.test/phone" {
		t.Fatalf("sent %s", got)
	}
	if s := got.FirstChild().String(); s != string(payload) {
		t.Errorf("payload on the wire\n got %s\nwant %s", s, payload)
	}
	mustSend(t, a, NewElement(nsServer, "iq", "from", "alice@a.test/other", "to", "carol@b.test", "id", "j1", "type", "result"))
	mustSend(t, a, NewElement(nsServer, "iq", "from", "alice@a.test/phone", "to", "carol@b.test", "id", "j2", "type", "result"))
	select {
	case err := <-res:
		t.Fatalf("an answer from elsewhere ended the wait: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	mustSend(t, a, NewElement(nsServer, "iq", "from", "alice@a.test/phone", "to", "carol@b.test", "id", "j1", "type", "result"))
	if err := recv(t, res, "result"); err != nil {
		t.Fatalf("result: %v", err)
	}

	// An error carries both conditions; an id is generated when none is given.
	res = sendJingleAsync(ctx, b, translate.JingleIQ{From: carol, To: alice, Payload: payload})
	got = a.rec.wait(t, "jingle set")
	if !strings.HasPrefix(got.Get("id"), "jingle-") {
		t.Errorf("generated id %q", got.Get("id"))
	}
	mustSend(t, a, parseStanza(t, `<iq from="alice@a.test/phone" to="carol@b.test" id="`+got.Get("id")+`" type="error"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><unknown-session xmlns="urn:xmpp:jingle:errors:1"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">gone</text></error></iq>`))
	err := recv(t, res, "error")
	var je *translate.JingleError
	if !errors.As(err, &je) || *je != (translate.JingleError{Condition: ErrItemNotFound, Type: "cancel", JingleCondition: translate.JingleUnknownSession, Text: "gone"}) {
		t.Fatalf("error %#v", err)
	}

	// No answer: the context's end, and nothing left waiting.
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelShort()
	err = b.s.SendJingle(short, translate.JingleIQ{From: carol, To: alice, ID: "j3", Payload: payload})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %v", err)
	}
	a.rec.wait(t, "unanswered set")
	b.s.rt.pending.mu.Lock()
	left := len(b.s.rt.pending.waiting)
	b.s.rt.pending.mu.Unlock()
	if left != 0 {
		t.Errorf("%d requests still tracked", left)
	}

	// A duplicate id in progress is refused.
	res = sendJingleAsync(ctx, b, translate.JingleIQ{From: carol, To: alice, ID: "j4", Payload: payload})
	a.rec.wait(t, "j4")
	err = b.s.SendJingle(ctx, translate.JingleIQ{From: carol, To: alice, ID: "j4", Payload: payload})
	if se, ok := err.(*StanzaError); !ok || se.Condition != ErrConflict {
		t.Errorf("duplicate id: %v", err)
	}
	mustSend(t, a, NewElement(nsServer, "iq", "from", "alice@a.test/phone", "to", "carol@b.test", "id", "j4", "type", "result"))
	if err := recv(t, res, "j4"); err != nil {
		t.Errorf("j4: %v", err)
	}

	// An unreachable domain answers with the bounce (RFC 6120 §8.3.3.16).
	err = b.s.SendJingle(ctx, translate.JingleIQ{From: carol, To: mustJID(t, "x@nowhere.test"), Payload: payload})
	if !errors.As(err, &je) || je.Condition != ErrRemoteServerNotFound {
		t.Errorf("bounce: %v", err)
	}

	// Payloads that are not one Jingle element are refused unsent.
	badPayloads := []string{
		``, `   `, `<jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s">`,
		`<jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s"/><jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s"/>`,
		`<jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s"/><x`,
		`<jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s"/>text`,
		`<jingle xmlns="urn:xmpp:jingle:0" action="a" sid="s"/>`,
		`<query xmlns="urn:xmpp:jingle:1" action="a" sid="s"/>`,
		`<jingle xmlns="urn:xmpp:jingle:1" action="a"/>`,
		`<jingle xmlns="urn:xmpp:jingle:1" sid="s"/>`,
		`<!-- c --><jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s"/>`,
		`<?xml version="1.0"?><jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s"/>`,
		`<jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s">&unknown;</jingle>`,
		`<jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s">` + strings.Repeat("x", 256<<10) + `</jingle>`,
	}
	for _, p := range badPayloads {
		err := b.s.SendJingle(ctx, translate.JingleIQ{From: carol, To: alice, Payload: []byte(p)})
		if se, ok := err.(*StanzaError); !ok || se.Condition != ErrBadRequest {
			t.Errorf("payload %.60q: %v", p, err)
		}
	}
	if err := b.s.SendJingle(ctx, translate.JingleIQ{From: carol, Payload: payload}); err == nil {
		t.Error("no to: accepted")
	}
	a.rec.none(t, 300*time.Millisecond)
}

// Component mode: Jingle both ways through the XMPP server.
func TestComponentJingle(t *testing.T) {
	ln, conns := fakeServer(t, "s3cret")
	core := newFakeCalls()
	c, err := NewComponent(Options{
		Domains: []string{"sip.example.org"}, Handler: NewInboundHandler(core),
		Registerer: prometheus.NewRegistry(), ConnectTimeout: 2 * time.Second,
	}, ln.Addr().String(), "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Error(err)
		}
	}()
	var srv *xconn
	select {
	case srv = <-conns:
	case <-time.After(5 * time.Second):
		t.Fatal("component never authenticated")
	}
	defer srv.abort()
	if err := srv.writeString(`<iq from="alice@xmpp.test/r" to="carol\40sip.test@sip.example.org" id="c1" type="set"><jingle xmlns="urn:xmpp:jingle:1" action="session-info" sid="s1"><ringing xmlns="urn:xmpp:jingle:apps:rtp:info:1"/></jingle></iq>`); err != nil {
		t.Fatal(err)
	}
	res, err := srv.r.next()
	if err != nil {
		t.Fatal(err)
	}
	iq := recv(t, core.iqs, "jingle via component")
	if res.Get("type") != "result" || res.Get("id") != "c1" || res.Get("from") != `carol\40sip.test@sip.example.org` {
		t.Fatalf("answer %s", res)
	}
	if want := `<jingle xmlns="urn:xmpp:jingle:1" action="session-info" sid="s1"><ringing xmlns="urn:xmpp:jingle:apps:rtp:info:1"/></jingle>`; string(iq.Payload) != want {
		t.Errorf("payload %s", iq.Payload)
	}

	out := make(chan error, 1)
	go func() {
		out <- c.SendJingle(context.Background(), translate.JingleIQ{
			From: mustJID(t, `carol\40sip.test@sip.example.org`), To: mustJID(t, "alice@xmpp.test/r"), ID: "o1",
			Payload: []byte(`<jingle xmlns="urn:xmpp:jingle:1" action="session-accept" sid="s1"/>`),
		})
	}()
	sent, err := srv.r.next()
	if err != nil {
		t.Fatal(err)
	}
	if sent.Get("id") != "o1" || sent.Child(nsJingle, "jingle") == nil {
		t.Fatalf("sent %s", sent)
	}
	if err := srv.writeString(`<iq from="alice@xmpp.test/r" to="carol\40sip.test@sip.example.org" id="o1" type="result"/>`); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, out, "component SendJingle"); err != nil {
		t.Fatal(err)
	}
}

// XEP-0353: a propose without a body reaches the core; the core's
// proceed goes out without a body, with the store hint.
func TestJingleMessageRoundTrip(t *testing.T) {
	core := newFakeCalls()
	a, b := callWorld(t, core)
	mustSend(t, a, parseStanza(t, `<message from="alice@a.test/orchard" to="carol@b.test" id="p1" type="chat">`+
		`<propose xmlns="urn:xmpp:jingle-message:0" id="ca3cf894-5325-482f-a412-a6e9f832298d"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"/></propose>`+
		`<store xmlns="urn:xmpp:hints"/></message>`))
	m := recv(t, core.msgs, "propose")
	var p struct {
		XMLName     xml.Name `xml:"urn:xmpp:jingle-message:0 propose"`
		ID          string   `xml:"id,attr"`
		Description []struct {
			Media string `xml:"media,attr"`
		} `xml:"urn:xmpp:jingle:apps:rtp:1 description"`
	}
	if err := xml.Unmarshal(m.JingleMessage, &p); err != nil {
		t.Fatalf("propose does not decode standalone: %v\n%s", err, m.JingleMessage)
	}
	if m.Body != "" || m.Type != "chat" || p.ID != "ca3cf894-5325-482f-a412-a6e9f832298d" || len(p.Description) != 1 || p.Description[0].Media != "audio" {
		t.Errorf("propose %+v %+v", m, p)
	}

	proceed := `<proceed xmlns="urn:xmpp:jingle-message:0" id="ca3cf894-5325-482f-a412-a6e9f832298d"/>`
	err := b.s.SendMessage(context.Background(), translate.XMPPMessage{
		From: mustJID(t, "carol@b.test"), To: mustJID(t, "alice@a.test/orchard"), ID: "p2", Type: "chat",
		JingleMessage: []byte(proceed),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := a.rec.wait(t, "proceed")
	want := `<message from="carol@b.test" to="alice@a.test/orchard" id="p2" type="chat">` + proceed + `<store xmlns="urn:xmpp:hints"/></message>`
	if got.String() != want {
		t.Errorf("sent\n got %s\nwant %s", got, want)
	}
	// Not an XEP-0353 element: refused.
	err = b.s.SendMessage(context.Background(), translate.XMPPMessage{
		From: mustJID(t, "carol@b.test"), To: mustJID(t, "alice@a.test/orchard"),
		JingleMessage: []byte(`<jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s"/>`),
	})
	if se, ok := err.(*StanzaError); !ok || se.Condition != ErrBadRequest {
		t.Errorf("wrong element: %v", err)
	}
}

func TestJingleMessageCodec(t *testing.T) {
	const head = `<message from="a@x.test/r" to="b@y.test" id="m" type="chat">`
	cases := []struct{ wire, want string }{
		{head + `<ringing xmlns="urn:xmpp:jingle-message:0" id="i"/></message>`, `<ringing xmlns="urn:xmpp:jingle-message:0" id="i"/>`},
		// Prefixed input comes out with plain declarations; the reason
		// keeps its namespace.
		{head + `<jm:reject xmlns:jm="urn:xmpp:jingle-message:0" id="i"><reason xmlns="urn:xmpp:jingle:1"><busy/><text>Busy</text></reason><jm:tie-break/></jm:reject></message>`,
			`<reject xmlns="urn:xmpp:jingle-message:0" id="i"><reason xmlns="urn:xmpp:jingle:1"><busy/><text>Busy</text></reason><tie-break/></reject>`},
		// The first XEP-0353 element counts; unknown ones are skipped.
		{head + `<unknown xmlns="urn:xmpp:jingle-message:0"/><retract xmlns="urn:xmpp:jingle-message:0" id="1"/><finish xmlns="urn:xmpp:jingle-message:0" id="2"/></message>`,
			`<retract xmlns="urn:xmpp:jingle-message:0" id="1"/>`},
		{head + `<body>hi</body></message>`, ``},
	}
	for _, c := range cases {
		m, err := DecodeMessage(parseStanza(t, c.wire))
		if err != nil || string(m.JingleMessage) != c.want {
			t.Errorf("%s: %q %v", c.wire, m.JingleMessage, err)
		}
	}
	// A short input may not serialize into a huge one: a long namespace
	// bound to a prefix once and used by many small elements.
	long := strings.Repeat("n", 4000)
	var sb strings.Builder
	sb.WriteString(head + `<propose xmlns="urn:xmpp:jingle-message:0" xmlns:p="` + long + `" id="i">`)
	for range 2000 {
		sb.WriteString(`<p:x/><y/>`)
	}
	sb.WriteString(`</propose></message>`)
	r := newStreamReader(strings.NewReader(testHeader+sb.String()), 1<<20)
	if _, err := r.header(); err != nil {
		t.Fatal(err)
	}
	el, err := r.next()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeMessage(el); err == nil {
		t.Error("amplified element accepted")
	}
	el.Set("type", "error") // an error stanza is kept without it
	if m, err := DecodeMessage(el); err != nil || m.JingleMessage != nil {
		t.Errorf("error stanza: %v %q", err, m.JingleMessage)
	}
	if _, err := marshalElement(el, 1<<20); !errors.Is(err, errTooLarge) {
		t.Errorf("marshal bound: %v", err)
	}
}

// Users answer disco with the configured features (XEP-0030 §3.1);
// without them disco to users goes to the handler as before.
func TestUserDisco(t *testing.T) {
	feats := []string{"urn:xmpp:jingle:1", "urn:xmpp:jingle:apps:rtp:1", "urn:xmpp:jingle:apps:rtp:audio", "urn:xmpp:jingle-message:0", "urn:xmpp:jingle:1"}
	a, b := callWorld(t, newFakeCalls(), func(o *Options) { o.UserFeatures = feats })
	wantFeats := `<feature var="http://jabber.org/protocol/disco#info"/><feature var="http://jabber.org/protocol/disco#items"/>` +
		`<feature var="urn:xmpp:jingle-message:0"/><feature var="urn:xmpp:jingle:1"/><feature var="urn:xmpp:jingle:apps:rtp:1"/><feature var="urn:xmpp:jingle:apps:rtp:audio"/></query>`
	cases := []struct{ to, ns, node, want string }{
		{"carol@b.test", nsDiscoInfo, "", `<query xmlns="http://jabber.org/protocol/disco#info"><identity category="account" type="registered"/>` + wantFeats},
		{"carol@b.test/phone", nsDiscoInfo, "", `<query xmlns="http://jabber.org/protocol/disco#info"><identity category="client" type="phone"/>` + wantFeats},
		{"carol@b.test", nsDiscoItem, "", `<query xmlns="http://jabber.org/protocol/disco#items"/>`},
		{"carol@b.test", nsDiscoInfo, "http://example.org#ver", ErrItemNotFound},
	}
	for i, c := range cases {
		q := NewElement(nsServer, "iq", "from", "alice@a.test/r", "to", c.to, "id", "u"+strconv.Itoa(i), "type", "get").
			Add(NewElement(c.ns, "query", "node", c.node))
		got := ask(t, a, q.String())
		if se := ParseStanzaError(got); se != nil {
			if se.Condition != c.want {
				t.Errorf("%s: %s", c.to, got)
			}
			continue
		}
		if s := got.FirstChild().String(); s != c.want {
			t.Errorf("%s %s:\n got %s\nwant %s", c.to, c.ns, s, c.want)
		}
	}
	// The domain itself is still the gateway.
	got := ask(t, a, discoGet("alice@a.test/r", "b.test", "g1").String())
	if id := got.Child(nsDiscoInfo, "query").Child(nsDiscoInfo, "identity"); id == nil || id.Get("category") != "gateway" {
		t.Errorf("domain disco %s", got)
	}
	// a has no user features: b's question reaches a's handler.
	mustSend(t, b, discoGet("carol@b.test", "bob@a.test", "h1"))
	if st := a.rec.wait(t, "disco at a's handler"); st.Get("id") != "h1" || st.Get("type") != "get" {
		t.Errorf("routed %s", st)
	}
}

func TestParseElement(t *testing.T) {
	good := map[string]string{
		`<jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s"/>`:                                                              `<jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s"/>`,
		"\n <j:jingle xmlns:j=\"urn:xmpp:jingle:1\" action='a' sid='s'><j:content name='x'/></j:jingle>\n":                    `<jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s"><content name="x"/></jingle>`,
		`<jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s" xml:lang="en"><reason><text>a &amp; b</text></reason></jingle>`: `<jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s" xml:lang="en"><reason><text>a &amp; b</text></reason></jingle>`,
	}
	for in, want := range good {
		el, err := parseElement([]byte(in), 1<<10)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		b, err := marshalElement(el, 1<<10)
		if err != nil || string(b) != want {
			t.Errorf("%q:\n got %s %v\nwant %s", in, b, err, want)
		}
	}
	// encoding/xml reads these; a strict parser would not read them back.
	for _, in := range []string{
		`<p:0 xmlns:p="urn:p"/>`,
		`<a b="1" b="2"/>`,
		`<a xmlns:p="urn:p" xmlns:q="urn:p" p:b="1" q:b="2"/>`,
		`<xml:a/>`,
		`<a xmlns:p="http://www.w3.org/2000/xmlns/" p:b="1"/>`,
		`<a><p:々 xmlns:p="urn:p"/></a>`,
		`<a p:-b="1" xmlns:p="urn:p"/>`,
	} {
		if _, err := parseElement([]byte(in), 1<<10); !errors.Is(err, errNotWellFormed) {
			t.Errorf("%s: %v", in, err)
		}
	}
	st := parseStanza(t, `<iq from="a@x.test/r" to="b@y.test" id="i" type="set"><jingle xmlns="urn:xmpp:jingle:1" action="a" sid="s"><p:0 xmlns:p="urn:p"/></jingle></iq>`)
	if _, err := decodeJingleIQ(st, 1<<10); asStanzaError(err).Condition != ErrBadRequest {
		t.Errorf("ill-formed jingle: %v", err)
	}
	if _, err := parseElement([]byte(`<a/>`), 3); !errors.Is(err, errTooLarge) {
		t.Errorf("limit: %v", err)
	}
	deep := strings.Repeat("<a>", maxDepth+1) + strings.Repeat("</a>", maxDepth+1)
	if _, err := parseElement([]byte(deep), 1<<20); err == nil {
		t.Error("too deep accepted")
	}
}

func TestDecodeJingleIQLimit(t *testing.T) {
	st := parseStanza(t, sessionInitiate)
	if _, err := decodeJingleIQ(st, 100); err == nil {
		t.Fatal("payload over the limit accepted")
	} else if se := asStanzaError(err); se.Condition != ErrPolicyViolation {
		t.Errorf("condition %s", se.Condition)
	}
	iq, err := decodeJingleIQ(st, len(sessionInitiate))
	if err != nil || len(iq.Payload) == 0 {
		t.Fatalf("%v", err)
	}
	st.Set("id", "")
	if _, err := decodeJingleIQ(st, 1<<16); err == nil {
		t.Error("iq without id accepted")
	}
}
