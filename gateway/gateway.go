package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sxgw/sxgw/translate"
)

// Options configure the core.
type Options struct {
	// Domains are the SIP domains sxgw represents on XMPP (the XMPP server
	// for them), lowercased.
	Domains []string
	// ComponentDomain is set in component mode: SIP users then appear as
	// XEP-0106-escaped localparts of this domain.
	ComponentDomain string
	// ErrorWait is how long a SIP MESSAGE waits for an XMPP error before
	// it is answered 200 (XMPP has no positive delivery answer). Once a
	// recipient took a message without error, later ones to it are
	// answered at once for five minutes.
	ErrorWait time.Duration
	// QueueLimit bounds the messages waiting per conversation.
	QueueLimit int
	// MaxSIPBody bounds a MESSAGE body sent to SIP (RFC 7572 §6: 1300
	// bytes; larger gets policy-violation).
	MaxSIPBody int
	// ChatMSRP makes XMPP chat messages to a SIP user open MSRP chat
	// sessions (RFC 7573) instead of going as SIP MESSAGE.
	ChatMSRP bool
	// ChatIdle ends an MSRP chat without traffic this long (RFC 7573
	// §6.1: BYE to the SIP user, gone to the XMPP user); 0 means 10
	// minutes.
	ChatIdle time.Duration
	// ConferenceDomain hosts the rooms (room@ConferenceDomain is both a
	// MUC room and an MSRP chat room); "" hosts none.
	ConferenceDomain string
	// RoomHistory is how many messages a room keeps for newcomers
	// (XEP-0045 §7.2.15); 0 means the default 20, negative none.
	RoomHistory int
	// PersistentRooms are rooms that exist without occupants and survive
	// restarts.
	PersistentRooms []string
	// RoomStore keeps persistent rooms and their settings across
	// restarts; nil keeps them in memory only.
	RoomStore RoomStore
	// Store keeps presence subscriptions across restarts; nil keeps them
	// in memory only.
	Store      SubscriptionStore
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Gateway is the core: it implements sip.Inbound and xmpp.Inbound and
// reaches the two sides through the ports attached with Attach.
type Gateway struct {
	o Options
	// sipSide maps addresses of SIP users (component mode escapes them
	// into the component domain); xmppSide maps addresses of XMPP users,
	// which keep their domain and must not be one we serve (a loop).
	sipSide, xmppSide translate.AddressOptions
	// sipJIDs and xmppJIDs map SIP URIs to JIDs with sipSide and xmppSide,
	// remembering the results.
	sipJIDs, xmppJIDs *addrCache
	m                 *metrics
	log               *slog.Logger
	sides             atomic.Pointer[sides]
	queue             *ordered
	wait              *waiters
	dedup             *dedup
	receipts          *dedup // receipts sent, by recipient and message id
	known             *dedup // XMPP recipients that took a message without error
	leftSessions      *dedup // SIP sessions that ended before their room join was recorded
	pres              *presence
	chats             *chatTable
	rooms             *roomTable
	calls             *callTable
	// ctx ends when the gateway closes: work still queued then gives up
	// instead of holding the shutdown (a NOTIFY to a peer that is gone
	// retransmits for 32 seconds).
	ctx    context.Context
	cancel context.CancelFunc
	// bg counts the background work started with goBG, which Close waits
	// for; bgClosed refuses new work once Close began.
	bgMu     sync.Mutex
	bg       sync.WaitGroup
	bgClosed bool
	cseq     atomic.Uint32 // CSeq of MESSAGEs sent
}

// New returns a core; Attach the two sides before traffic flows.
func New(o Options) (*Gateway, error) {
	if len(o.Domains) == 0 && o.ComponentDomain == "" {
		return nil, errors.New("gateway: no domains")
	}
	if o.ErrorWait <= 0 {
		o.ErrorWait = 300 * time.Millisecond
	}
	if o.QueueLimit <= 0 {
		o.QueueLimit = 256
	}
	if o.MaxSIPBody <= 0 {
		o.MaxSIPBody = 1300
	}
	if o.ChatIdle <= 0 {
		o.ChatIdle = defaultChatIdle
	}
	if o.RoomHistory == 0 {
		o.RoomHistory = 20
	}
	o.ConferenceDomain = strings.ToLower(o.ConferenceDomain)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	for i, d := range o.Domains {
		o.Domains[i] = strings.ToLower(d)
	}
	g := &Gateway{
		o:            o,
		sipSide:      translate.AddressOptions{ComponentDomain: o.ComponentDomain},
		xmppSide:     translate.AddressOptions{LocalDomains: o.Domains},
		m:            newMetrics(o.Registerer),
		log:          o.Logger,
		queue:        newOrdered(o.QueueLimit),
		wait:         newWaiters(),
		dedup:        newDedup(32*time.Second, 1<<18),
		receipts:     newDedup(10*time.Minute, 1<<16),
		known:        newDedup(5*time.Minute, 1<<16),
		leftSessions: newDedup(time.Minute, 1<<14),
		pres:         newPresence(),
		chats:        newChatTable(),
		rooms:        newRoomTable(),
		calls:        newCallTable(),
	}
	g.sipJIDs, g.xmppJIDs = newAddrCache(g.sipSide), newAddrCache(g.xmppSide)
	g.ctx, g.cancel = context.WithCancel(context.Background())
	// Start where an earlier run cannot have reached (RFC 3261 §8.1.1.5:
	// below 2**31).
	g.cseq.Store(uint32(time.Now().Unix()&0x3fffffff) + 1)
	return g, nil
}

// sides are the two ports, attached once both exist.
type sides struct {
	xmpp XMPPSender
	sip  SIPSender
}

// Attach connects the two sides. Until then traffic is refused with 503 /
// service-unavailable.
func (g *Gateway) Attach(x XMPPSender, s SIPSender) {
	g.sides.Store(&sides{xmpp: x, sip: s})
}

// ports returns the attached sides or the error to answer with.
func (g *Gateway) ports() (*sides, error) {
	if p := g.sides.Load(); p != nil {
		return p, nil
	}
	return nil, refuse(503, translate.CondServiceUnavailable, "gateway starting")
}

// Idle reports whether no translated message is waiting to be sent.
func (g *Gateway) Idle() bool { return g.queue.active() == 0 }

// Close ends the work still queued (call it after draining: what is
// queued then is stuck on a peer that does not answer) and waits for it.
func (g *Gateway) Close() {
	g.bgMu.Lock()
	g.bgClosed = true
	g.bgMu.Unlock()
	g.cancel()
	g.queue.close()
	g.bg.Wait()
}

// goBG runs fn in the background (a call's set-up, an invitation, a
// hang-up), tracked so that Close waits for it; fn must end soon after
// g.ctx does. After Close began it does not run, and goBG reports false.
func (g *Gateway) goBG(fn func()) bool {
	g.bgMu.Lock()
	defer g.bgMu.Unlock()
	if g.bgClosed {
		return false
	}
	g.bg.Add(1)
	go func() {
		defer g.bg.Done()
		fn()
	}()
	return true
}

// serves reports whether domain is one the gateway represents.
func (g *Gateway) serves(domain string) bool {
	domain = strings.ToLower(domain)
	if g.o.ComponentDomain != "" && domain == strings.ToLower(g.o.ComponentDomain) {
		return true
	}
	for _, d := range g.o.Domains {
		if d == domain {
			return true
		}
	}
	return false
}

func refuse(status int, cond, text string) error {
	e := translate.FromCondition(cond, text)
	if status != 0 {
		e.SIPStatus = status
	}
	return fmt.Errorf("gateway: %w", e)
}
