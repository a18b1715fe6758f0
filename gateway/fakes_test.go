package gateway

import (
	"context"
	"sync"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/translate"
)

// fakeXMPP records what the core sends to XMPP.
type fakeXMPP struct {
	mu        sync.Mutex
	messages  []translate.XMPPMessage
	presences []translate.XMPPPresence
	jingles   []translate.JingleIQ
	changed   chan struct{}
}

// SendJingle records a Jingle IQ; the peer always acknowledges.
func (f *fakeXMPP) SendJingle(_ context.Context, iq translate.JingleIQ) error {
	f.mu.Lock()
	f.jingles = append(f.jingles, iq)
	f.mu.Unlock()
	f.changed <- struct{}{}
	return nil
}

func newFakeXMPP() *fakeXMPP { return &fakeXMPP{changed: make(chan struct{}, 1000)} }

func (f *fakeXMPP) SendMessage(_ context.Context, m translate.XMPPMessage) error {
	f.mu.Lock()
	f.messages = append(f.messages, m)
	f.mu.Unlock()
	f.changed <- struct{}{}
	return nil
}

func (f *fakeXMPP) SendPresence(_ context.Context, p translate.XMPPPresence) error {
	f.mu.Lock()
	f.presences = append(f.presences, p)
	f.mu.Unlock()
	f.changed <- struct{}{}
	return nil
}

// waitPresence waits for a presence stanza matching pred.
func (f *fakeXMPP) waitPresence(t *testing.T, what string, pred func(translate.XMPPPresence) bool) translate.XMPPPresence {
	t.Helper()
	return waitIn(t, "no presence: "+what, &f.mu, &f.presences, f.changed, pred)
}

// waitIn waits up to five seconds for an element of *list (guarded by
// mu, appended to with a signal on changed) matching pred.
func waitIn[T any](t *testing.T, fail string, mu *sync.Mutex, list *[]T, changed chan struct{}, pred func(T) bool) T {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		mu.Lock()
		for _, v := range *list {
			if pred(v) {
				mu.Unlock()
				return v
			}
		}
		mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			t.Fatal(fail)
		}
	}
}

// fakeSIP records what the core sends to SIP and answers as configured.
type fakeSIP struct {
	mu         sync.Mutex
	messages   []translate.SIPMessage
	subscribes []fakeSubscribe
	notifies   []translate.SIPNotify
	subErr     error
	chatSends  []chatSend
	chatEnds   []string
	chatStarts []translate.SIPChat
	invites    []fakeInvite
	byes       []translate.SIPDialog
	// inviteAnswer and inviteErr decide how Invite ends.
	inviteAnswer []byte
	inviteErr    error
	// inviteDelay holds each INVITE this long; inFlight and maxInFlight
	// count the INVITEs running at once.
	inviteDelay           time.Duration
	inFlight, maxInFlight int
	changed               chan struct{}
}

// fakeInvite is an INVITE the core sent and how it was answered.
type fakeInvite struct {
	d   translate.SIPDialog
	sdp []byte
}

// Invite records the INVITE, rings, and answers with inviteAnswer (or
// fails with inviteErr).
func (f *fakeSIP) Invite(_ context.Context, d translate.SIPDialog, sdp []byte, _ string, progress func(int)) (translate.SIPDialog, []byte, error) {
	d.LocalCSeq++ // as the SIP side numbers the INVITE
	f.mu.Lock()
	f.invites = append(f.invites, fakeInvite{d, sdp})
	answer, err, delay := f.inviteAnswer, f.inviteErr, f.inviteDelay
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	time.Sleep(delay)
	f.changed <- struct{}{}
	if progress != nil {
		progress(180)
	}
	if err != nil {
		return d, nil, err
	}
	if answer == nil {
		answer = sdp // the offer is a valid answer to itself
	}
	d.RemoteTag = "callee-tag"
	return d, answer, nil
}

// Bye records a BYE.
func (f *fakeSIP) Bye(_ context.Context, d translate.SIPDialog) (translate.SIPDialog, error) {
	f.mu.Lock()
	f.byes = append(f.byes, d)
	f.mu.Unlock()
	f.changed <- struct{}{}
	return d, nil
}

type fakeSubscribe struct {
	d       translate.SIPDialog
	expires int
}

func newFakeSIP() *fakeSIP { return &fakeSIP{changed: make(chan struct{}, 1000)} }

func (f *fakeSIP) SendMessage(_ context.Context, m translate.SIPMessage) (int, error) {
	f.mu.Lock()
	f.messages = append(f.messages, m)
	f.mu.Unlock()
	f.changed <- struct{}{}
	return 200, nil
}

func (f *fakeSIP) Subscribe(_ context.Context, d translate.SIPDialog, _ string, expires int, _ []string) (translate.SIPDialog, int, error) {
	f.mu.Lock()
	f.subscribes = append(f.subscribes, fakeSubscribe{d, expires})
	err := f.subErr
	f.mu.Unlock()
	f.changed <- struct{}{}
	if err != nil {
		return d, 0, err
	}
	d.LocalCSeq++
	if d.RemoteTag == "" {
		d.RemoteTag, d.RemoteTarget = "uas-tag", "sip:carol@127.0.0.1:5070"
	}
	return d, expires, nil
}

func (f *fakeSIP) Notify(_ context.Context, d translate.SIPDialog, n translate.SIPNotify) (translate.SIPDialog, error) {
	f.mu.Lock()
	f.notifies = append(f.notifies, n)
	f.mu.Unlock()
	f.changed <- struct{}{}
	d.LocalCSeq++
	return d, nil
}

func (f *fakeSIP) count() (subs, notifies int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subscribes), len(f.notifies)
}

// waitNotify waits for the n-th NOTIFY (1-based) and returns it.
func (f *fakeSIP) waitNotify(t *testing.T, n int) translate.SIPNotify {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		f.mu.Lock()
		if len(f.notifies) >= n {
			x := f.notifies[n-1]
			f.mu.Unlock()
			return x
		}
		f.mu.Unlock()
		select {
		case <-f.changed:
		case <-deadline:
			t.Fatalf("NOTIFY #%d never sent", n)
		}
	}
}

func (f *fakeSIP) waitSubscribes(t *testing.T, n int) fakeSubscribe {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		f.mu.Lock()
		if len(f.subscribes) >= n {
			x := f.subscribes[n-1]
			f.mu.Unlock()
			return x
		}
		f.mu.Unlock()
		select {
		case <-f.changed:
		case <-deadline:
			t.Fatalf("SUBSCRIBE #%d never sent", n)
		}
	}
}

// sipStatus is a SIP failure as the SIP side reports it.
type sipStatus int

func (s sipStatus) Error() string              { return "sip status" }
func (s sipStatus) SIPResponse() (int, string) { return int(s), "" }

func jidOf(tb testing.TB, s string) jid.JID {
	tb.Helper()
	j, err := jid.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return j
}

func (f *fakeSIP) ChatSend(_ context.Context, chatID string, m translate.SIPMessage) error {
	f.mu.Lock()
	f.chatSends = append(f.chatSends, chatSend{chatID, m})
	f.mu.Unlock()
	f.changed <- struct{}{}
	return nil
}

func (f *fakeSIP) ChatEnd(chatID string) {
	f.mu.Lock()
	f.chatEnds = append(f.chatEnds, chatID)
	f.mu.Unlock()
	f.changed <- struct{}{}
}

type chatSend struct {
	id string
	m  translate.SIPMessage
}

func (f *fakeSIP) ChatStart(_ context.Context, c translate.SIPChat) (string, error) {
	f.mu.Lock()
	f.chatStarts = append(f.chatStarts, c)
	f.mu.Unlock()
	return "started-" + c.CallID, nil
}
