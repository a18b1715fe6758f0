package translate

import (
	"time"

	"mellium.im/xmpp/jid"
)

// MUC affiliations and roles (XEP-0045 §5.1, §5.2).
const (
	AffiliationOwner   = "owner"
	AffiliationAdmin   = "admin"
	AffiliationMember  = "member"
	AffiliationNone    = "none"
	AffiliationOutcast = "outcast"

	RoleModerator   = "moderator"
	RoleParticipant = "participant"
	RoleVisitor     = "visitor"
	RoleNone        = "none"
)

// MUC status codes sxgw sends (XEP-0045 §12 and its Status Codes Registry).
const (
	StatusNonAnonymous = 100 // any occupant may see real JIDs
	StatusSelf         = 110 // the presence is about the recipient
	StatusLogged       = 170 // the room is logged
	StatusCreated      = 201 // a new room was created
	StatusKicked       = 307 // the occupant was kicked
	StatusNickChanged  = 303 // nickname change (with the new nick)
	StatusNickModified = 210 // the service changed the requested nick
	StatusShutdown     = 332 // the service shuts down
)

// MUCJoin is the <x xmlns='http://jabber.org/protocol/muc'/> of a join
// presence (XEP-0045 §7.2), with the history it asks for (§7.2.15).
type MUCJoin struct {
	Password string
	// History limits; -1 when not given.
	MaxChars, MaxStanzas, Seconds int
	Since                         time.Time // zero when not given
}

// MUCItem is an <item/> of muc#user or muc#admin (XEP-0045 §5, §8, §9).
type MUCItem struct {
	Affiliation, Role string
	Nick              string
	// JID is the occupant's real JID, when disclosed (§7.2.3); for
	// SIP occupants their SIP address as a JID.
	JID    jid.JID
	Reason string
	Actor  string // the nick of who acted (kick), if any
}

// MUCInvite is a mediated invitation (XEP-0045 §7.8.2): From is set in
// what the room sends, To in what an occupant sends.
type MUCInvite struct {
	From, To jid.JID
	Reason   string
}

// MUCUser is the <x xmlns='http://jabber.org/protocol/muc#user'/> of a
// presence or message (XEP-0045 §7).
type MUCUser struct {
	Items    []MUCItem
	Statuses []int
	Invites  []MUCInvite
	// Decline is an invitee's refusal (§7.8.2).
	Decline  *MUCInvite
	Password string
}

// DirectInvite is an XEP-0249 <x xmlns='jabber:x:conference'/>.
type DirectInvite struct {
	Room     jid.JID
	Reason   string
	Password string
}

// Delay is an XEP-0203 <delay/>: when a stanza was originally sent, as
// history replayed on join carries (XEP-0045 §7.2.15).
type Delay struct {
	Stamp time.Time
	From  jid.JID
}

// DiscoQuery is an XEP-0030 disco#info or disco#items request addressed
// to an entity the core serves (a MUC service or room).
type DiscoQuery struct {
	From, To jid.JID
	Items    bool // disco#items; false is disco#info
	Node     string
}

// DiscoIdentity is an XEP-0030 §3.1 identity.
type DiscoIdentity struct {
	Category, Type, Name string
}

// DiscoItem is an XEP-0030 §4.1 item.
type DiscoItem struct {
	JID  jid.JID
	Name string
}

// DiscoForm is an XEP-0128 extension form in a disco#info result
// (muc#roominfo, XEP-0045 §15.5.4): FORM_TYPE and text fields.
type DiscoForm struct {
	FormType string
	Fields   map[string]string
}

// DiscoResult answers a DiscoQuery.
type DiscoResult struct {
	Identities []DiscoIdentity
	Features   []string
	Forms      []DiscoForm
	Items      []DiscoItem
}

// MUCAdmin is a muc#admin IQ (XEP-0045 §8, §9): a get lists items by
// role or affiliation, a set changes them (kick is role='none', §8.2).
type MUCAdmin struct {
	From, To jid.JID
	Set      bool
	Items    []MUCItem
}

// MUCOwner is a muc#owner IQ (XEP-0045 §10): a get asks for the room
// configuration form, a set submits (or cancels) it, or destroys the
// room.
type MUCOwner struct {
	From, To jid.JID
	Set      bool
	// Submit is true for a submitted form (<x type='submit'/>), Cancel
	// for <x type='cancel'/>; Fields holds the submitted values.
	Submit, Cancel bool
	Fields         map[string][]string
	Destroy        bool
	DestroyReason  string
}

// SIPRoomJoin is an MSRP chat room join (RFC 7701 §5): the INVITE
// offering MSRP to a room URI, as the SIP side reports it.
type SIPRoomJoin struct {
	// ID is the SIP side's handle for the session (as SIPChat.ID).
	ID string
	// From is the participant's SIP URI, Display its display name.
	From, Display string
	// Room is the room's SIP URI (the Request-URI).
	Room string
	// Nickname and PrivateMessages are the a=chatroom tokens of the
	// offer (RFC 7701 §5.1): whether it uses NICKNAME and takes private
	// messages.
	Nickname, PrivateMessages bool
}

// SIPRefer is a REFER (RFC 3515) to a room URI: invite or remove a
// participant (RFC 4579 §5.5, §5.11).
type SIPRefer struct {
	// From is the referrer's SIP URI; Room the Request-URI.
	From, Room string
	// Target is the Refer-To URI without its method parameter and
	// headers; Method is its method parameter uppercased ("INVITE" when
	// absent, RFC 3515 §2.4.2).
	Target, Method string
	// InDialog is true for a REFER inside a dialog (To tag present).
	InDialog bool
}
