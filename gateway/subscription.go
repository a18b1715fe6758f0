package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/internal/store"
	"github.com/sxgw/sxgw/translate"
)

// Kinds of presence subscription (RFC 8048 §5).
const (
	// kindSIPWatcher: a SIP user watches an XMPP user; the gateway is the
	// notifier of a SIP notification dialog (§5.3).
	kindSIPWatcher = "sip-watcher"
	// kindXMPPWatcher: an XMPP user watches a SIP user; the gateway is the
	// subscriber of a SIP notification dialog (§5.2).
	kindXMPPWatcher = "xmpp-watcher"
)

// Subscription states kept by the gateway.
const (
	subPending     = "pending"     // waiting for authorization
	subActive      = "active"      // authorized
	subTerminating = "terminating" // unsubscribed, waiting for the last NOTIFY
	subFetch       = "fetch"       // a one-shot SUBSCRIBE (Expires 0), not kept
)

// Presence subscription timing (RFC 6665 §4.1.2.1, RFC 3856 §6.4).
const (
	defaultExpires = 3600
	minExpires     = 60
	maxExpires     = 3600
)

// subscription is one notification dialog and the XMPP presence
// authorization it stands for. Its fields are guarded by presence.mu.
type subscription struct {
	id   string // Call-ID + local tag: how dialog requests find it
	kind string
	// watcher and presentity as JIDs (the XMPP view of both parties; for
	// a SIP party, its mapped JID).
	watcher, presentity jid.JID
	state               string
	dialog              translate.SIPDialog
	expires             time.Time
	// authorized: the XMPP watcher was sent <presence type='subscribed'/>.
	authorized bool
	// lastBody is the last NOTIFY body sent (change-only notifications).
	lastBody []byte
	lastSent time.Time
	dirty    bool // a NOTIFY is scheduled
	timer    *time.Timer
}

// storedDialog is what is persisted of a subscription besides the columns.
type storedDialog struct {
	Dialog     translate.SIPDialog
	Authorized bool `json:",omitempty"`
}

func subID(callID, localTag string) string { return callID + "\x00" + localTag }

// pairKey identifies a watcher/presentity pair by bare JIDs.
func pairKey(watcher, presentity jid.JID) string {
	return strings.ToLower(watcher.Bare().String()) + "\x00" + strings.ToLower(presentity.Bare().String())
}

// presence holds the subscriptions and what is known of XMPP presence.
type presence struct {
	mu     sync.Mutex
	byID   map[string]*subscription
	byPair map[string][]*subscription
	// resources holds, per pair, the last presence of each resource of
	// an XMPP presentity as sent to the SIP watcher.
	resources map[string]map[string]translate.XMPPPresence
	// sent holds, per pair and resource, the last presence sent to an
	// XMPP watcher (change-only forwarding).
	sent map[string]translate.XMPPPresence
}

func newPresence() *presence {
	return &presence{
		byID: make(map[string]*subscription), byPair: make(map[string][]*subscription),
		resources: make(map[string]map[string]translate.XMPPPresence),
		sent:      make(map[string]translate.XMPPPresence),
	}
}

// add registers s; the caller holds mu.
func (p *presence) add(s *subscription) {
	p.byID[s.id] = s
	k := pairKey(s.watcher, s.presentity)
	p.byPair[k] = append(p.byPair[k], s)
}

// remove unregisters s; the caller holds mu.
func (p *presence) remove(s *subscription) {
	if s.timer != nil {
		s.timer.Stop()
	}
	delete(p.byID, s.id)
	k := pairKey(s.watcher, s.presentity)
	list := p.byPair[k]
	for i, x := range list {
		if x == s {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(p.byPair, k)
		if s.kind == kindSIPWatcher {
			delete(p.resources, k)
		}
	} else {
		p.byPair[k] = list
	}
}

// find returns the subscriptions of a kind for a pair; the caller holds mu.
func (p *presence) find(kind string, watcher, presentity jid.JID) []*subscription {
	var out []*subscription
	for _, s := range p.byPair[pairKey(watcher, presentity)] {
		if s.kind == kind {
			out = append(out, s)
		}
	}
	return out
}

// record is the stored form of s; the caller holds mu.
func (s *subscription) record() store.Subscription {
	d, _ := json.Marshal(storedDialog{Dialog: s.dialog, Authorized: s.authorized})
	return store.Subscription{
		ID: s.id, Kind: s.kind, Watcher: s.watcher.String(), Presentity: s.presentity.String(),
		State: s.state, Expires: s.expires, Dialog: string(d), Updated: time.Now(),
	}
}

// persist writes s to the store; the caller holds mu (the write is quick
// and keeps the stored order of changes the real one).
func (g *Gateway) persist(s *subscription) {
	if g.o.Store == nil || s.state == subFetch {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.o.Store.PutSubscription(ctx, s.record()); err != nil {
		g.log.Warn("storing subscription failed", "err", err)
	}
}

func (g *Gateway) unpersist(id string) {
	if g.o.Store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.o.Store.DeleteSubscription(ctx, id); err != nil {
		g.log.Warn("deleting subscription failed", "err", err)
	}
}

// newTag returns a fresh tag or Call-ID component (RFC 3261 §19.3: at
// least 32 bits of randomness).
func newTag() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// clampExpires applies the default and the bounds to a requested expiry.
func clampExpires(requested int) int {
	switch {
	case requested < 0:
		return defaultExpires
	case requested > maxExpires:
		return maxExpires
	}
	return requested
}

// sortPresences orders resources by name, so documents are stable.
func sortPresences(list []translate.XMPPPresence) {
	slices.SortFunc(list, func(a, b translate.XMPPPresence) int {
		return strings.Compare(a.From.Resourcepart(), b.From.Resourcepart())
	})
}
