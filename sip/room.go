package sip

import (
	"context"
	"strings"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/sxgw/sxgw/sip/msrp"
	"github.com/sxgw/sxgw/translate"
)

// MSRP chat rooms (RFC 7701) hosted at the conference domain: sxgw is
// the conference focus of sip:room@<conference domain> (RFC 4579) and
// its MSRP switch. A participant joins with an INVITE offering MSRP to
// the room URI, or is brought in by the focus (ChatStart with Room); its
// session then carries the room's messages and NICKNAME requests, and
// ends with BYE, the loss of its MSRP connection or inactivity. The room
// itself (occupants, nicknames, fan-out) is the core's.

// RoomInbound is what chat rooms need from the core. ServeChats serves
// rooms when its ChatInbound also implements RoomInbound and
// Options.ConferenceDomain is set. Session ids are those of chats:
// Endpoint.ChatSend sends into a room session, Endpoint.ChatEnd ends it.
// Errors that carry a SIP status (a SIPResponse() (int, string) method)
// keep it; others are 500 (403 where MSRP needs a status).
type RoomInbound interface {
	// SIPRoomJoin accepts (nil) or refuses (an error with a SIP status:
	// 403, 404, 486...) a participant joining a room by INVITE (RFC 7701
	// §5.2, RFC 4579 §5.1).
	SIPRoomJoin(ctx context.Context, j translate.SIPRoomJoin) error
	// SIPRoomNickname takes a NICKNAME of room session id (RFC 7701
	// §7.1): nick is the requested nickname, "" to remove it (§7.3). A
	// refusal's status is the MSRP response: 425 in use or reserved, 424
	// malformed, 403 not allowed.
	SIPRoomNickname(ctx context.Context, id, nick string) error
	// SIPRoomMessage delivers one complete message of room session id
	// (RFC 7701 §6): message/cpim (regular or private, by its To),
	// text/plain or application/im-iscomposing+xml. m.From is the
	// participant, m.To the room. The MSRP transaction is already
	// answered: a refusal's status (403, 404, 428...) goes back in a
	// failure REPORT (RFC 4975 §7.1.2, RFC 7701 §6.3).
	SIPRoomMessage(ctx context.Context, id string, m translate.SIPMessage) error
	// SIPRoomLeave tells that room session id ended: BYE, MSRP
	// connection lost or idle, a failed setup, or Endpoint.ChatEnd.
	SIPRoomLeave(ctx context.Context, id string)
	// SIPRefer takes a REFER to a room (RFC 4579 §5.5 add, §5.11 remove
	// with method BYE): nil accepts it (202, RFC 3515 §2.4.2), an error
	// with a status refuses it (403 for outsiders).
	SIPRefer(ctx context.Context, r translate.SIPRefer) error
}

// roomSession is the room side of a chat: the room and the participant,
// and the wrapped types our SDP declares.
type roomSession struct {
	uri         string // the room's URI
	participant string // the participant's URI
	wrapped     []string
}

// roomAcceptTypes are the MSRP types a room session takes (RFC 7701
// §5.2: message/cpim at least; text/plain and isComposing from
// conference-unaware clients).
func roomAcceptTypes() []string {
	return []string{"message/cpim", "text/plain", "application/im-iscomposing+xml"}
}

// roomTokens are the a=chatroom tokens of our SDP (RFC 7701 §8): the
// room takes NICKNAME (§7) and private messages (§6.2). The attribute is
// a declaration, not negotiated: the same in offers and answers.
func roomTokens() []string { return []string{"nickname", "private-messages"} }

// describe sets the room attributes of our SDP (RFC 7701 §5.2, §8).
func (r *roomSession) describe(m *msrp.Media) {
	m.AcceptTypes = roomAcceptTypes()
	m.AcceptWrappedTypes = r.wrapped
	m.Chatroom = roomTokens()
}

// chatroom is what a=chatroom of a participant's SDP declares (RFC 7701
// §8): support for NICKNAME and for private messages.
type chatroom struct {
	nickname, privateMessages bool
}

// parseChatroom reads the tokens of a=chatroom (RFC 7701 §8:
// chat-token = nicknames-token / private-msg-token / ext-token; ABNF
// strings are case-insensitive, RFC 5234 §2.3). "nicknames" is taken
// too, as the prose of RFC 7701 §7.1 spells it; other tokens are
// extensions and ignored.
func parseChatroom(tokens []string) chatroom {
	var c chatroom
	for _, t := range tokens {
		switch {
		case strings.EqualFold(t, "nickname"), strings.EqualFold(t, "nicknames"):
			c.nickname = true
		case strings.EqualFold(t, "private-messages"):
			c.privateMessages = true
		}
	}
	return c
}

// isRoomHost reports whether a URI names the conference domain.
func (cs *chats) isRoomHost(uri string) bool {
	if cs.confDomain == "" {
		return false
	}
	u, err := parseDialogURI(uri)
	return err == nil && normalizeDomain(u.Host) == cs.confDomain
}

// roomURI is the room a Request-URI names: scheme, user and host, without
// port, parameters or headers; "" without a user part (the conference
// domain itself, which is no room).
func roomURI(uri string) string {
	u, err := parseDialogURI(uri)
	if err != nil || u.User == "" {
		return ""
	}
	r := sipgosip.Uri{Scheme: u.Scheme, User: u.User, Host: normalizeDomain(u.Host)}
	return r.String()
}

// join answers an INVITE offering MSRP to a room (RFC 7701 §5.2).
func (cs *chats) join(ctx context.Context, inv translate.SIPInvite, media msrp.Media, idx int) ([]byte, error) {
	room := roomURI(inv.RequestURI)
	if cs.rooms == nil || room == "" {
		return nil, &StatusError{Code: 404, Reason: "Not Found"}
	}
	// RFC 7701 §5.2: an offer whose accept-types lacks Message/CPIM
	// SHOULD be refused.
	if !containsFold(media.AcceptTypes, "message/cpim") && !containsFold(media.AcceptTypes, "*") {
		return nil, &StatusError{Code: 488, Reason: "Not Acceptable Here"}
	}
	tokens := parseChatroom(media.Chatroom)
	cs.mu.Lock()
	display := cs.joining[joinKey(inv.Dialog.CallID, inv.Dialog.RemoteTag)]
	cs.mu.Unlock()
	j := translate.SIPRoomJoin{
		ID: chatKey(inv.Dialog), From: inv.Dialog.RemoteURI, Display: display, Room: room,
		Nickname: tokens.nickname, PrivateMessages: tokens.privateMessages,
	}
	if err := cs.rooms.SIPRoomJoin(ctx, j); err != nil {
		return nil, err
	}
	ch := &chat{
		c:      translate.SIPChat{ID: j.ID, From: j.From, To: room, CallID: inv.Dialog.CallID, Subject: inv.Subject, Room: true},
		dialog: inv.Dialog, remote: media.Path, fingerprints: media.Fingerprints, active: media.Setup == msrp.SetupPassive,
		room: &roomSession{uri: room, participant: j.From, wrapped: wrappedTypes(media)},
	}
	// TCP/TLS/MSRP offers get an msrps session (SIPInvite checked that
	// we have TLS).
	s, err := cs.newSession(roomHandler{chatHandler{cs, ch}}, roomAcceptTypes(), media.TLS)
	if err != nil {
		cs.rooms.SIPRoomLeave(ctx, j.ID)
		return nil, &StatusError{Code: 488, Reason: "Not Acceptable Here"}
	}
	ch.session = s
	return cs.register(ch, inv.SDP, idx)
}

// wrappedTypes are the a=accept-wrapped-types of the answer to a
// participant (RFC 7701 §5.2, §4.1 "supported wrapped media types"):
// text/plain, and text/html when the offer takes it.
func wrappedTypes(offer msrp.Media) []string {
	w := []string{"text/plain"}
	if containsFold(offer.AcceptTypes, "text/html") || containsFold(offer.AcceptWrappedTypes, "text/html") {
		w = append(w, "text/html")
	}
	return w
}

func joinKey(callID, fromTag string) string { return callID + "\x00" + fromTag }

// roomHandler receives a room session's MSRP traffic: a chat's, plus
// NICKNAME (RFC 7701 §7.1), which one-to-one chats answer with 501.
type roomHandler struct{ chatHandler }

// MSRPNickname asks the core (RFC 7701 §7.1): 200, or the status of its
// refusal.
func (h roomHandler) MSRPNickname(_ *msrp.Session, nick string) int {
	ctx, cancel := context.WithTimeout(context.Background(), coreTimeout)
	defer cancel()
	if err := h.cs.rooms.SIPRoomNickname(ctx, h.ch.c.ID, nick); err != nil {
		return msrpStatus(err)
	}
	return msrp.StatusOK
}

// msrpStatus is the MSRP status for a refusal from the core: a 4xx or
// 5xx SIP status as it is (RFC 4975 §10 reads an unknown code as the
// x00 of its class), anything else 403.
func msrpStatus(err error) int {
	if code, _ := statusOf(err); code >= 400 && code <= 599 {
		return code
	}
	return msrp.StatusForbidden
}

// serveRooms makes the endpoint the focus of the conference domain: the
// INVITE handler is wrapped so that responses to room INVITEs carry
// 'isfocus', and REFER is served (refer.go).
func (cs *chats) serveRooms() {
	inner := cs.e.routes.Load().handlers[sipgosip.INVITE]
	cs.e.HandleGateway(string(sipgosip.INVITE), cs.focusInvites(inner), sdpType)
	cs.e.HandleGateway(string(sipgosip.REFER), cs.handleRefer)
}

// focusInvites wraps the INVITE handler: an INVITE to a room (or a
// re-INVITE in a room session) is answered with the 'isfocus' feature
// parameter in the Contact of its 1xx and 2xx responses (RFC 4579 §4.2,
// §5.1; RFC 7701 §5.2), and the display name of its From is kept for
// SIPRoomJoin while it is answered.
func (cs *chats) focusInvites(inner Handler) Handler {
	return func(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
		if hasTag(req.To().Params) {
			if !cs.isRoomDialog(req.CallID().Value(), req.To().Params) {
				inner(req, tx)
				return
			}
		} else {
			if !cs.isRoomHost(uriString(req.Recipient)) {
				inner(req, tx)
				return
			}
			tag, _ := req.From().Params.Get("tag")
			key := joinKey(req.CallID().Value(), tag)
			cs.mu.Lock()
			cs.joining[key] = req.From().DisplayName
			cs.mu.Unlock()
			defer func() {
				cs.mu.Lock()
				delete(cs.joining, key)
				cs.mu.Unlock()
			}()
		}
		// The pipeline's wrapper stays what the INVITE server sees (it
		// counts and settles responses through it); its inner
		// transaction gains the Contact parameter.
		if w, ok := tx.(*serverTx); ok {
			w.ServerTransaction = focusTx{w.ServerTransaction}
		} else {
			tx = focusTx{tx}
		}
		inner(req, tx)
	}
}

// isRoomDialog reports whether Call-ID and To tag (ours) name a room
// session.
func (cs *chats) isRoomDialog(callID string, to sipgosip.HeaderParams) bool {
	tag, _ := to.Get("tag")
	cs.mu.Lock()
	defer cs.mu.Unlock()
	ch := cs.byDialog[callID+"\x00"+tag]
	return ch != nil && ch.room != nil
}

// focusTx adds 'isfocus' to the Contact of the 1xx and 2xx responses it
// sends (RFC 4579 §4.2; the feature parameter is registered by RFC
// 3840).
type focusTx struct{ sipgosip.ServerTransaction }

func (t focusTx) Respond(res *sipgosip.Response) error {
	if res.StatusCode < 300 {
		if c := res.Contact(); c != nil && !c.Params.Has("isfocus") {
			c.Params.Add("isfocus", "")
		}
	}
	return t.ServerTransaction.Respond(res)
}

// Connection is the wrapped transaction's, for our Contact's address.
func (t focusTx) Connection() sipgosip.Connection {
	if c, ok := t.ServerTransaction.(interface{ Connection() sipgosip.Connection }); ok {
		return c.Connection()
	}
	return nil
}

// focusInvite is Invite from a room: its Contact carries 'isfocus' (RFC
// 4579 §5.2: a focus adding a participant SHOULD send it, with the
// conference URI, which is d.LocalURI's user at our address).
func (e *Endpoint) focusInvite(ctx context.Context, d translate.SIPDialog, sdp []byte, subject string) (translate.SIPDialog, []byte, error) {
	return e.sendInvite(ctx, d, sdp, subject, nil, true)
}
