package translate

// SIPDialog is the state of a SIP dialog (RFC 3261 §12) as the gateway
// keeps it, seen from the gateway's side: enough to send requests inside
// the dialog and to recognize the peer's. The gateway persists it; the SIP
// side builds and parses requests from it.
type SIPDialog struct {
	CallID string
	// LocalURI and LocalTag are our side: the From of requests we send
	// (the To of requests we receive).
	LocalURI, LocalTag string
	// RemoteURI and RemoteTag are the peer's side; RemoteTag is empty
	// until the peer answered a dialog we started.
	RemoteURI, RemoteTag string
	// RemoteTarget is the peer's Contact: the Request-URI of our requests
	// (RFC 3261 §12.2.1.1); empty means RemoteURI.
	RemoteTarget string
	// RouteSet is the route set in the order our requests carry it as
	// Route headers (RFC 3261 §12.1).
	RouteSet []string
	// LocalCSeq is the last CSeq we sent, RemoteCSeq the last we received.
	LocalCSeq, RemoteCSeq uint32
}

// SIPSubscribe is a SUBSCRIBE received (RFC 6665 §4.2.1): a new
// subscription or, inside an existing dialog, a refresh or (Expires 0) an
// unsubscription. For a new one the SIP side has chosen Dialog.LocalTag.
type SIPSubscribe struct {
	Dialog     SIPDialog
	New        bool // no To tag: creates a dialog
	RequestURI string
	Event      string // event package, e.g. "presence"
	EventID    string // the Event header's id parameter
	Expires    int    // seconds; -1 when the header is absent
	Accept     []string
}

// Subscription states (RFC 6665 §4.1.3).
const (
	SubStateActive     = "active"
	SubStatePending    = "pending"
	SubStateTerminated = "terminated"
)

// SIPNotify is a NOTIFY (RFC 6665 §4.2.2), received or to send.
type SIPNotify struct {
	Dialog     SIPDialog
	Event      string
	State      string // active, pending, terminated
	Expires    int    // seconds; -1 when absent
	Reason     string // with terminated: deactivated, probation, rejected, timeout, giveup, noresource, invariant
	RetryAfter int    // seconds; -1 when absent
	// ContentType is the body's media type; empty with no body.
	ContentType string
	Body        []byte
}

// SIPInvite is an INVITE received (RFC 3261 §13.3) or to send: a new
// session (Dialog.RemoteTag empty when we send it) or a re-INVITE.
type SIPInvite struct {
	Dialog     SIPDialog
	New        bool // no To tag: creates a dialog
	RequestURI string
	Subject    string
	// SDP is the offer (application/sdp body); empty for an offerless
	// INVITE.
	SDP []byte
}

// SIPChat is an MSRP chat session (RFC 7573) between a SIP user and an
// XMPP user, as the SIP side reports it to the core.
type SIPChat struct {
	// ID is the SIP side's handle for the session (its dialog).
	ID string
	// From is the SIP user's URI; To the XMPP user's SIP address.
	From, To string
	// CallID maps to the XMPP <thread/> (RFC 7573 §5, §6).
	CallID  string
	Subject string
	// Room marks a session of an MSRP chat room (RFC 7701): From is the
	// room URI when the room invites a SIP user.
	Room bool
}
