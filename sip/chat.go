package sip

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sxgw/sxgw/sip/msrp"
	"github.com/sxgw/sxgw/translate"
)

// ChatInbound is what chat sessions need from the core, besides Inbound.
type ChatInbound interface {
	Inbound
	// SIPChatStart accepts (nil) or refuses (an error with a SIP status)
	// an MSRP chat a SIP user opens with an XMPP user (RFC 7573 §5).
	SIPChatStart(ctx context.Context, c translate.SIPChat) error
	// SIPChatMessage delivers one complete MSRP message of a chat. An
	// error with a SIP status is answered as the MSRP status of the
	// message's REPORT when one is asked for.
	SIPChatMessage(ctx context.Context, c translate.SIPChat, m translate.SIPMessage) error
	// SIPChatEnd reports that a chat ended (BYE, MSRP connection lost,
	// inactivity).
	SIPChatEnd(ctx context.Context, c translate.SIPChat)
}

// chatAcceptTypes are the MSRP content types a chat takes (RFC 7573 §5:
// text/plain at least; CPIM and isComposing for chat states and receipts).
func chatAcceptTypes() []string {
	return []string{"message/cpim", "text/plain", "application/im-iscomposing+xml"}
}

// chats is the chat layer: it takes INVITEs whose SDP offers MSRP media
// and runs them as MSRP sessions, one-to-one chats or chat room
// sessions (room.go), and passes every other INVITE on.
type chats struct {
	e    *Endpoint
	in   ChatInbound
	msrp *msrp.Endpoint
	host string
	// confDomain is Options.ConferenceDomain; rooms is the core's room
	// side, nil when rooms are off (no conference domain, or a core
	// without RoomInbound).
	confDomain string
	rooms      RoomInbound

	met *chatMetrics

	mu       sync.Mutex
	byDialog map[string]*chat  // Call-ID + local tag
	joining  map[string]string // room INVITEs being answered: Call-ID + From tag -> display name

	// life ends when the endpoint closes: chats ending in the background
	// (their BYE may wait 32 s) give up then, and Close waits for them.
	life    context.Context
	stop    context.CancelFunc
	ending  sync.WaitGroup
	stopped bool // guarded by mu
}

// endLater ends ch in the background, tracked so that the endpoint's
// Close waits for it.
func (cs *chats) endLater(ch *chat, bye bool) {
	cs.mu.Lock()
	if cs.stopped {
		cs.mu.Unlock()
		cs.end(ch, bye) // the BYE gives up at once: life is over
		return
	}
	cs.ending.Add(1)
	cs.mu.Unlock()
	go func() {
		defer cs.ending.Done()
		cs.end(ch, bye)
	}()
}

// Close stops the chat layer's background work; it runs before the
// endpoint's transactions close.
func (cs *chats) Close() error {
	cs.mu.Lock()
	cs.stopped = true
	cs.mu.Unlock()
	cs.stop()
	cs.ending.Wait()
	return nil
}

// chat is one MSRP session: a one-to-one chat, or with room set a
// participant's session in a chat room.
type chat struct {
	c       translate.SIPChat
	dialog  translate.SIPDialog // guarded by chats.mu once registered
	session *msrp.Session
	remote  msrp.Path
	// fingerprints are the peer's a=fingerprint values (RFC 8122 §5)
	// for an msrps session.
	fingerprints []msrp.Fingerprint
	active       bool // we connect (the offer said passive)
	ended        bool
	room         *roomSession
	reports      chatReports // RFC 7573 §7 (chat_receipts.go)
}

// ServeChats installs INVITE handling with MSRP chat sessions (RFC 7573)
// on top of ServeInvites: INVITEs offering MSRP media become chats carried
// by m; others go to in.SIPInvite. host is the address put in SDP.
//
// An offer of TCP/TLS/MSRP gets an msrps session and an answer with our
// fingerprint (RFC 4975 §14.4, RFC 8122 §5) when m has a TLS listener,
// 488 otherwise; an offer of TCP/MSRP stays plain, or gets 488 when m
// requires TLS (msrp.EndpointOptions.RequireTLS).
//
// With Options.ConferenceDomain set, an INVITE offering MSRP to a URI of
// that domain joins a chat room (RFC 7701 §5.2) when in also implements
// RoomInbound, and gets 404 otherwise; REFER to rooms is then served too
// (RFC 4579 §5.5, §5.11). See RoomInbound.
//
// When in also implements ChatReceiptInbound, MSRP reports and XMPP
// receipts map end to end (RFC 7573 §7); see ChatSendReceipt and
// ChatReceipt. Chats that fail to set up are counted in
// sxgw_msrp_session_setup_failures_total, registered with
// Options.Registerer.
func (e *Endpoint) ServeChats(in ChatInbound, m *msrp.Endpoint, host string) {
	met, err := newChatMetrics(e.o.Registerer)
	if err != nil {
		// Another collector holds the name: count unregistered.
		e.log.Warn("chat metrics not registered", "err", err)
		met, _ = newChatMetrics(nil)
	}
	c := &chats{
		e: e, in: in, msrp: m, host: host, confDomain: e.o.ConferenceDomain, met: met,
		byDialog: make(map[string]*chat), joining: make(map[string]string),
	}
	if ri, ok := in.(RoomInbound); ok && c.confDomain != "" {
		c.rooms = ri
	}
	c.life, c.stop = context.WithCancel(context.Background())
	e.mu.Lock()
	e.closers = append(e.closers, c)
	e.mu.Unlock()
	e.chats.Store(c)
	e.ServeInvites(c, nil)
	if c.rooms != nil {
		c.serveRooms()
	}
}

func chatKey(d translate.SIPDialog) string { return d.CallID + "\x00" + d.LocalTag }

// SIPInvite answers an MSRP offer itself and passes other INVITEs on.
func (cs *chats) SIPInvite(ctx context.Context, inv translate.SIPInvite, progress func(int)) ([]byte, error) {
	media, idx, err := msrp.ParseMedia(inv.SDP)
	if errors.Is(err, msrp.ErrNoMedia) || (err == nil && media.Port == 0) {
		return cs.in.SIPInvite(ctx, inv, progress)
	}
	if err != nil {
		if inv.New {
			cs.met.setupFailed(setupBadSDP)
		}
		return nil, &StatusError{Code: 488, Reason: "Not Acceptable Here"}
	}
	if !inv.New {
		// A re-INVITE of a chat: keep the session, answer the same way.
		cs.mu.Lock()
		ch := cs.byDialog[chatKey(inv.Dialog)]
		if ch != nil && inv.Dialog.RemoteTarget != "" {
			// RFC 3261 §12.2.2: a re-INVITE refreshes the remote target.
			ch.dialog.RemoteTarget = inv.Dialog.RemoteTarget
		}
		cs.mu.Unlock()
		if ch == nil {
			return nil, &StatusError{Code: 481, Reason: "Call/Transaction Does Not Exist"}
		}
		if media.TLS != ch.session.Secure() {
			// The session keeps its transport; an answer keeps the
			// offer's protocol (RFC 3264 §6.1).
			return nil, &StatusError{Code: 488, Reason: "Not Acceptable Here"}
		}
		return cs.answer(inv.SDP, idx, ch)
	}
	if err := cs.acceptTransport(media); err != nil {
		cs.met.setupFailed(setupBadSDP)
		return nil, err
	}
	if cs.isRoomHost(inv.RequestURI) {
		return cs.join(ctx, inv, media, idx)
	}
	c := translate.SIPChat{ID: chatKey(inv.Dialog), From: inv.Dialog.RemoteURI, To: inv.RequestURI, CallID: inv.Dialog.CallID, Subject: inv.Subject}
	if err := cs.in.SIPChatStart(ctx, c); err != nil {
		cs.met.setupFailed(setupRejectedByCore)
		return nil, err
	}
	ch := &chat{c: c, dialog: inv.Dialog, remote: media.Path, fingerprints: media.Fingerprints, active: media.Setup == msrp.SetupPassive}
	if ch.session, err = cs.newSession(chatHandler{cs, ch}, chatAcceptTypes(), media.TLS); err != nil {
		cs.met.setupFailed(setupBadSDP)
		cs.in.SIPChatEnd(ctx, c)
		return nil, &StatusError{Code: 488, Reason: "Not Acceptable Here"}
	}
	return cs.register(ch, inv.SDP, idx)
}

// acceptTransport checks the transport of an offer against msrp.tls. An
// answer keeps the offer's protocol (RFC 3264 §6.1, RFC 4975 §8.1), so
// TCP/TLS/MSRP needs our TLS listener, and TCP/MSRP is refused when TLS
// is required: 488 (RFC 3261 §21.4.26).
func (cs *chats) acceptTransport(m msrp.Media) error {
	if (m.TLS && !cs.msrp.TLS()) || (!m.TLS && cs.msrp.RequireTLS()) {
		return &StatusError{Code: 488, Reason: "Not Acceptable Here"}
	}
	return nil
}

// newSession creates the MSRP session of a chat: msrps (TCP/TLS/MSRP)
// when secure, else msrp.
func (cs *chats) newSession(h msrp.Handler, accept []string, secure bool) (*msrp.Session, error) {
	if secure {
		return cs.msrp.NewTLSSession(h, accept)
	}
	return cs.msrp.NewSession(h, accept), nil
}

// register records a new session accepted by the core and answers its
// offer; if no answer can be built the session is ended at once (the
// INVITE then fails and the core is told).
func (cs *chats) register(ch *chat, offer []byte, idx int) ([]byte, error) {
	cs.mu.Lock()
	cs.byDialog[ch.c.ID] = ch
	cs.mu.Unlock()
	answer, err := cs.answer(offer, idx, ch)
	if err != nil {
		cs.met.setupFailed(setupBadSDP)
		cs.end(ch, false)
		return nil, &StatusError{Code: 488, Reason: "Not Acceptable Here"}
	}
	return answer, nil
}

// answer builds the SDP answer: our path, passive unless the offerer
// insists on listening (RFC 6135 §4.1: answer passive to active/actpass);
// for a room session the room's types and a=chatroom (RFC 7701 §5.2, §8).
func (cs *chats) answer(offer []byte, idx int, ch *chat) ([]byte, error) {
	setup := msrp.SetupPassive
	if ch.active {
		setup = msrp.SetupActive
	}
	m := cs.media(ch.session)
	m.AcceptTypes, m.Setup = chatAcceptTypes(), setup
	if ch.room != nil {
		ch.room.describe(&m)
	}
	return msrp.AnswerSDP(offer, idx, cs.host, sdpSessionID(), 1, m)
}

// media is the transport part of our SDP for session s (RFC 4975 §8.1):
// the port of its URI, its path, and for msrps TCP/TLS/MSRP with our
// certificate's fingerprints (RFC 8122 §5, RFC 4975 §14.4).
func (cs *chats) media(s *msrp.Session) msrp.Media {
	path := s.LocalPath()
	m := msrp.Media{Path: path, TLS: s.Secure()}
	if len(path) > 0 {
		m.Port = path[0].Port
	}
	if m.TLS {
		m.Fingerprints = cs.msrp.Fingerprints()
	}
	return m
}

// sdpSessionID is a random o= session id (RFC 4566 §5.2), below 2**62 so
// that it stays a positive 63-bit number.
func sdpSessionID() uint64 {
	var id [8]byte
	_, _ = rand.Read(id[:])
	return binary.BigEndian.Uint64(id[:]) >> 2
}

// SIPAck: the chat's SIP side is up; bind the MSRP session.
func (cs *chats) SIPAck(ctx context.Context, d translate.SIPDialog) {
	cs.mu.Lock()
	ch := cs.byDialog[chatKey(d)]
	cs.mu.Unlock()
	if ch == nil {
		cs.in.SIPAck(ctx, d)
		return
	}
	// Tracked like the chats' endings, so that Close waits for it; the
	// connection gives up when the endpoint closes.
	cs.mu.Lock()
	if cs.stopped {
		// The endpoint is closing: no connection, and no BYE from a
		// transport that is going away.
		cs.mu.Unlock()
		cs.end(ch, false)
		return
	}
	cs.ending.Add(1)
	cs.mu.Unlock()
	go func() {
		defer cs.ending.Done()
		cctx, cancel := context.WithTimeout(cs.life, 30*time.Second)
		defer cancel()
		if err := ch.session.Connect(cctx, ch.remote, ch.active, ch.fingerprints...); err != nil {
			if reason := connectReason(err); reason != "" {
				cs.met.setupFailed(reason)
			}
			cs.e.log.Info("MSRP chat connection failed", "err", err)
			cs.end(ch, cs.life.Err() == nil) // no BYE once the endpoint closes
		}
	}()
}

// SIPBye ends a chat (RFC 7573 §6.1: BYE -> gone).
func (cs *chats) SIPBye(ctx context.Context, d translate.SIPDialog) error {
	cs.mu.Lock()
	ch := cs.byDialog[chatKey(d)]
	cs.mu.Unlock()
	if ch == nil {
		return cs.in.SIPBye(ctx, d)
	}
	cs.end(ch, false)
	return nil
}

// end closes a chat once: the MSRP session, the core, and with bye the
// SIP dialog.
func (cs *chats) end(ch *chat, bye bool) {
	cs.mu.Lock()
	if ch.ended {
		cs.mu.Unlock()
		return
	}
	ch.ended = true
	delete(cs.byDialog, ch.c.ID)
	d := ch.dialog
	cs.mu.Unlock()
	ch.session.Close()
	if ch.room != nil {
		ctx, cancel := context.WithTimeout(context.Background(), coreTimeout)
		cs.rooms.SIPRoomLeave(ctx, ch.c.ID)
		cancel()
	} else {
		cs.in.SIPChatEnd(context.Background(), ch.c)
	}
	if bye {
		ctx, cancel := context.WithTimeout(cs.life, 32*time.Second)
		defer cancel()
		if _, err := cs.e.Bye(ctx, d); err != nil {
			cs.e.log.Debug("BYE of a chat failed", "err", err)
		}
	}
}

// SIPSubscribe, SIPNotify and SIPMessage are not chat business.
func (cs *chats) SIPSubscribe(ctx context.Context, s translate.SIPSubscribe) (int, func(), error) {
	return cs.in.SIPSubscribe(ctx, s)
}
func (cs *chats) SIPNotify(ctx context.Context, n translate.SIPNotify) error {
	return cs.in.SIPNotify(ctx, n)
}
func (cs *chats) SIPMessage(ctx context.Context, m translate.SIPMessage) error {
	return cs.in.SIPMessage(ctx, m)
}

// chatHandler receives a chat's MSRP traffic.
type chatHandler struct {
	cs *chats
	ch *chat
}

func (h chatHandler) MSRPMessage(s *msrp.Session, m *msrp.Message) {
	sm := translate.SIPMessage{
		From: h.ch.c.From, To: h.ch.c.To, RequestURI: h.ch.c.To, CallID: h.ch.c.CallID,
		TransactionID: m.MessageID, ContentType: msrp.MediaType(m.ContentType), Body: m.Body,
	}
	ctx, cancel := context.WithTimeout(context.Background(), coreTimeout)
	defer cancel()
	var err error
	if r := h.ch.room; r != nil {
		// RFC 7701 §6: from the participant to the room; the CPIM
		// wrapper inside says whether it is private.
		sm.From, sm.To, sm.RequestURI = r.participant, r.uri, r.uri
		err = h.cs.rooms.SIPRoomMessage(ctx, h.ch.c.ID, sm)
	} else if ri, ok := h.cs.in.(ChatReceiptInbound); ok && m.WantsSuccessReport() {
		// RFC 7573 §7: Success-Report: yes -> XEP-0184 request; the
		// REPORT waits for the receipt.
		h.receiptMessage(ctx, ri, s, m, sm)
		return
	} else {
		err = h.cs.in.SIPChatMessage(ctx, h.ch.c, sm)
	}
	// Without receipts end to end (a room, a core without
	// ChatReceiptInbound) the message counts as delivered once the core
	// took it. Report sends only what the message asked for.
	code := msrp.StatusOK
	if err != nil {
		code = msrpStatus(err)
	}
	_ = s.Report(ctx, m, code)
}

func (h chatHandler) MSRPClosed(_ *msrp.Session, err error) {
	h.cs.e.log.Info("MSRP chat ended", "err", err)
	// Not on the session's goroutine: the BYE may wait 32 s for a peer
	// that is gone, and the MSRP endpoint's Close waits for that goroutine.
	h.cs.endLater(h.ch, true)
}

// ChatSend sends a message into a chat (RFC 7573 §5: XMPP -> MSRP SEND)
// or into a room session (RFC 7701 §6: the core's message/cpim copy for
// that participant). RFC 7573 §7: XEP-0184 has no failure reports, so
// the SEND carries Failure-Report: no and ChatSend returns once it is
// queued; a message whose sender asked for a receipt goes with
// ChatSendReceipt.
func (e *Endpoint) ChatSend(ctx context.Context, chatID string, m translate.SIPMessage) error {
	return e.chatSend(ctx, chatID, m, "")
}

// chatSend sends m into a chat; with a token, asking for reports
// (ChatSendReceipt).
func (e *Endpoint) chatSend(ctx context.Context, chatID string, m translate.SIPMessage, token string) error {
	cs := e.chats.Load()
	if cs == nil {
		return fmt.Errorf("%w: no chat support", ErrConfig)
	}
	cs.mu.Lock()
	ch := cs.byDialog[chatID]
	cs.mu.Unlock()
	if ch == nil {
		return &StatusError{Code: 481, Reason: "No Such Chat"}
	}
	ct := m.ContentType
	if ct == "" {
		ct = "text/plain"
	}
	if strings.HasPrefix(ct, "text/") && !strings.Contains(ct, "charset") {
		ct += ";charset=utf-8"
	}
	o := msrp.SendOptions{FailureReport: "no"}
	if token != "" {
		o = msrp.SendOptions{MessageID: msrp.NewMessageID(), SuccessReport: true, FailureReport: "yes"}
		// Expected before the first chunk goes: the REPORT may come
		// before the send returns.
		ch.reports.expect(o.MessageID, token)
	}
	if err := sendWhenConnected(ctx, ch.session, ct, m.Body, o); err != nil {
		if token != "" {
			ch.reports.takeSent(o.MessageID)
		}
		var se *msrp.StatusError
		if errors.As(err, &se) {
			return &StatusError{Code: se.Code, Reason: se.Comment}
		}
		return err
	}
	return nil
}

// sendWhenConnected sends over a session that may not be connected yet:
// a session accepted by a 200 connects after the ACK (RFC 4975 §5.4),
// and a room may have something for a participant at once (its history,
// a message from another occupant). It waits for the connection as long
// as ctx allows.
func sendWhenConnected(ctx context.Context, s *msrp.Session, ct string, body []byte, o msrp.SendOptions) error {
	const poll = 20 * time.Millisecond
	for {
		_, err := s.SendMessage(ctx, ct, body, o)
		if !errors.Is(err, msrp.ErrNotConnected) {
			return err
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("sip: MSRP session never connected: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// ChatEnd ends a chat from the XMPP side (RFC 7573 §6.1: gone -> BYE),
// or a room session (the participant leaves or is removed, RFC 4579
// §5.11). The core is then told as for any end (SIPChatEnd,
// SIPRoomLeave).
func (e *Endpoint) ChatEnd(chatID string) {
	cs := e.chats.Load()
	if cs == nil {
		return
	}
	cs.mu.Lock()
	ch := cs.byDialog[chatID]
	cs.mu.Unlock()
	if ch != nil {
		cs.endLater(ch, true)
	}
}

// ChatStart opens an MSRP chat from the XMPP side (RFC 7573 §4): an
// INVITE with an MSRP offer (a=setup:actpass, RFC 6135) to c.To, from
// c.From. It returns once the MSRP session is connected, with the chat's
// id; a refused INVITE is a *StatusError. When the MSRP endpoint has TLS
// the offer is TCP/TLS/MSRP with our fingerprint (RFC 8122 §5); unless
// TLS is required, a 488 or 606 to it brings a second INVITE offering
// TCP/MSRP.
//
// With c.Room, c.From is a room's URI and the INVITE brings c.To into
// that room (RFC 4579 §5.2, RFC 7701 §5.2): its Contact carries
// 'isfocus' and its offer a=chatroom; the session is then a room
// session, whose traffic goes to RoomInbound (no SIPRoomJoin: the core
// knows the id from this call). That needs rooms on (ServeChats).
func (e *Endpoint) ChatStart(ctx context.Context, c translate.SIPChat) (string, error) {
	cs := e.chats.Load()
	if cs == nil {
		return "", fmt.Errorf("%w: no chat support", ErrConfig)
	}
	if c.Room && cs.rooms == nil {
		return "", fmt.Errorf("%w: no room support", ErrConfig)
	}
	// msrp.tls prefer or require: the offer is TCP/TLS/MSRP (RFC 4975
	// §8.1, §14); with prefer, a callee that refuses it (488, 606: it
	// has no TLS) gets a plain TCP/MSRP offer in a new INVITE.
	secure := cs.msrp.TLS()
	ch, d, answer, err := cs.invite(ctx, c, secure)
	if err != nil && secure && !cs.msrp.RequireTLS() && notAcceptable(err) {
		ch, d, answer, err = cs.invite(ctx, c, false)
	}
	if err != nil {
		cs.met.setupFailed(setupInviteFailed)
		return "", err
	}
	am, _, err := msrp.ParseMedia(answer)
	// RFC 3264 §6.1: the answer keeps the offer's protocol, TCP/MSRP or
	// TCP/TLS/MSRP.
	if err != nil || am.Port == 0 || am.TLS != ch.session.Secure() {
		reason := setupBadSDP
		if errors.Is(err, msrp.ErrNoMedia) || err == nil {
			reason = setupNoMedia // no MSRP media, refused with port 0, or not our protocol
		}
		cs.met.setupFailed(reason)
		ch.session.Close()
		bctx, cancel := context.WithTimeout(context.Background(), 32*time.Second)
		defer cancel()
		_, _ = e.Bye(bctx, d)
		return "", &StatusError{Code: 488, Reason: "Not Acceptable Here"}
	}
	ch.dialog, ch.remote, ch.fingerprints = d, am.Path, am.Fingerprints
	// RFC 6135 §4.1: the answerer's passive makes us connect; its active
	// (or no a=setup, RFC 4975 §5.4) makes us wait for it.
	ch.active = am.Setup == msrp.SetupPassive
	ch.c.ID, ch.c.CallID = chatKey(d), d.CallID
	cs.mu.Lock()
	cs.byDialog[ch.c.ID] = ch
	cs.mu.Unlock()
	if err := ch.session.Connect(ctx, ch.remote, ch.active, ch.fingerprints...); err != nil {
		if reason := connectReason(err); reason != "" {
			cs.met.setupFailed(reason)
		}
		cs.endLater(ch, true)
		return "", fmt.Errorf("sip: MSRP connection of a chat: %w", err)
	}
	return ch.c.ID, nil
}

// invite sends the INVITE of ChatStart, its MSRP offer over TLS (msrps)
// when secure; on failure the new session is closed.
func (cs *chats) invite(ctx context.Context, c translate.SIPChat, secure bool) (*chat, translate.SIPDialog, []byte, error) {
	ch := &chat{c: c}
	var h msrp.Handler = chatHandler{cs, ch}
	accept := chatAcceptTypes()
	if c.Room {
		ch.room = &roomSession{uri: c.From, participant: c.To, wrapped: []string{"text/plain"}}
		h, accept = roomHandler{chatHandler{cs, ch}}, roomAcceptTypes()
	}
	var d translate.SIPDialog
	s, err := cs.newSession(h, accept, secure)
	if err != nil {
		return nil, d, nil, fmt.Errorf("sip: chat: %w", err)
	}
	ch.session = s
	media := cs.media(s)
	media.AcceptTypes, media.Setup = chatAcceptTypes(), msrp.SetupActPass
	if c.Room {
		ch.room.describe(&media)
	}
	offer := msrp.BuildSDP(cs.host, sdpSessionID(), 1, media)
	callID := c.CallID
	if callID == "" {
		callID = msrp.NewSessionID() + "@sxgw"
	}
	d = translate.SIPDialog{CallID: callID, LocalTag: msrp.NewSessionID(), LocalURI: c.From, RemoteURI: c.To}
	var answer []byte
	if c.Room {
		d, answer, err = cs.e.focusInvite(ctx, d, offer, c.Subject)
	} else {
		d, answer, err = cs.e.Invite(ctx, d, offer, c.Subject, nil)
	}
	if err != nil {
		s.Close()
		return nil, d, nil, err
	}
	return ch, d, answer, nil
}

// notAcceptable reports a refusal of an offer's media: 488 (RFC 3261
// §21.4.26) or 606 (§21.6.4).
func notAcceptable(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && (se.Code == 488 || se.Code == 606)
}
