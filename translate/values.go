package translate

import "mellium.im/xmpp/jid"

// Message types (RFC 6121 §5.2.2).
const (
	TypeNormal    = "normal"
	TypeChat      = "chat"
	TypeGroupchat = "groupchat"
	TypeHeadline  = "headline"
	TypeError     = "error"
)

// XMPPMessage is the content of a message stanza (RFC 6121 §5) with the
// extensions sxgw maps, independent of the wire format.
type XMPPMessage struct {
	From, To jid.JID
	ID       string
	Type     string // "" means normal
	Lang     string // xml:lang
	Subject  string
	// SubjectSet sends <subject/> even when Subject is empty: a room
	// clears its subject, or ends a join with it (XEP-0045 §7.2.15).
	SubjectSet bool
	Body       string
	Thread     string
	// HTML is the XHTML-IM <body/> (XEP-0071) as serialized XML, if any.
	HTML string
	// ChatState is the XEP-0085 state: active, composing, paused,
	// inactive, gone; "" for none.
	ChatState string
	// ReceiptRequest asks for an XEP-0184 receipt; ReceiptFor is the id
	// an XEP-0184 <received/> acknowledges.
	ReceiptRequest bool
	ReceiptFor     string
	// Markable (XEP-0333) and DisplayedFor, the id a <displayed/> marks.
	Markable     bool
	DisplayedFor string
	// OriginID is the XEP-0359 origin-id, kept for de-duplication.
	OriginID string
	// MUCUser carries invitations and status codes from or to a MUC
	// room (XEP-0045 §7.8, §10); DirectInvite an XEP-0249 invitation;
	// Delay the original time of replayed history (XEP-0203).
	MUCUser      *MUCUser
	DirectInvite *DirectInvite
	Delay        *Delay
	// JingleMessage is an XEP-0353 element (propose, retract, accept,
	// proceed, reject, ringing in urn:xmpp:jingle-message:0) as XML.
	JingleMessage []byte
	// Err is set on type='error' messages.
	Err *StanzaError
}

// StanzaError is an XMPP stanza error (RFC 6120 §8.3) as a value.
type StanzaError struct {
	Type      string // auth, cancel, continue, modify, wait
	Condition string
	Text      string
	By        string
}

// Presence types (RFC 6121 §4.7.1); "" is available.
const (
	PresenceAvailable    = ""
	PresenceUnavailable  = "unavailable"
	PresenceSubscribe    = "subscribe"
	PresenceSubscribed   = "subscribed"
	PresenceUnsubscribe  = "unsubscribe"
	PresenceUnsubscribed = "unsubscribed"
	PresenceProbe        = "probe"
	PresenceError        = "error"
)

// XMPPPresence is the content of a presence stanza (RFC 6121 §4).
type XMPPPresence struct {
	From, To jid.JID
	ID       string
	Type     string
	Lang     string
	Show     string // away, chat, dnd, xa; "" is plain available
	Status   string
	// Priority is meaningful when HasPriority (RFC 6121 §4.7.2.3).
	Priority    int8
	HasPriority bool
	// MUCJoin is set when the presence enters a MUC room (XEP-0045
	// §7.2); MUCUser on occupant presence a room sends (§7.2.3).
	MUCJoin *MUCJoin
	MUCUser *MUCUser
	Err     *StanzaError
}

// SIPMessage is a SIP MESSAGE request (RFC 3428) as the gateway sees it:
// the addressing and the headers RFC 7572 maps, and the body with its type.
type SIPMessage struct {
	// RequestURI, From and To are URIs (with parameters such as gr),
	// without display names or header parameters.
	RequestURI, From, To string
	CallID               string
	CSeq                 uint32
	// TransactionID identifies the request (the Via branch), mapped to the
	// stanza id (RFC 7572 §4 Table 2).
	TransactionID   string
	Subject         string
	ContentType     string // media type without parameters, lowercased
	ContentLanguage string
	Body            []byte
}
