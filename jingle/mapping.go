package jingle

// Kind says whether an SDP is an offer or an answer (RFC 3264 §4).
type Kind uint8

// The two kinds of SDP.
const (
	Offer Kind = iota + 1
	Answer
)

func (k Kind) String() string {
	switch k {
	case Offer:
		return "offer"
	case Answer:
		return "answer"
	}
	return "invalid"
}

// Line is one m-line of the dialog's current SDP layout.
type Line struct {
	// Media and Proto are the m= media type and transport protocol.
	Media, Proto string
	// Format is the first m= fmt, which a port-0 line repeats.
	Format string
	// Creator and Name identify the content; Name is "" when the line
	// has no Jingle content (it was unmappable).
	Creator Role
	Name    string
	// Mid reports that the SDP of the line carried a=mid, so the SDP the
	// gateway writes for it does too.
	Mid bool
	// Rejected reports a line with port 0: rejected in an answer or
	// removed by an offer. RFC 3264 §8.2 keeps it in later offers.
	Rejected bool
}

// Mapping is the translation state of one call: which Jingle role the SIP
// party plays, the m-line layout of the last offer (so that answers line
// up with it, RFC 3264 §6), and the o= line of the SDP the gateway writes
// (one session id, a version that increases with every change, RFC 3264
// §8). It is not safe for concurrent use; a call's events are ordered.
type Mapping struct {
	// SIPRole is the Jingle role of the SIP party: initiator when the
	// call came from SIP, responder when it came from XMPP.
	SIPRole Role
	// SessionID and Version are the o= sess-id and the sess-version of
	// the last SDP written (0 before the first).
	SessionID uint64
	Version   uint64
	// Username and Address are the o= username ("-" when empty) and
	// unicast address (the first media address when empty; fixed once
	// written).
	Username string
	Address  string
	// Trickle makes written SDP carry a=ice-options:trickle; set it when
	// the SIP peer supports RFC 8840.
	Trickle bool

	lines    []Line
	written  bool
	lastBody []byte
	peerID   uint64
	peerVer  uint64
	peerSeen bool
	cands    uint64
}

// NewMapping returns the mapping of a new call. sessionID should be random
// (RFC 4566 §5.2 suggests an NTP timestamp).
func NewMapping(sipRole Role, sessionID uint64) *Mapping {
	return &Mapping{SIPRole: sipRole, SessionID: sessionID}
}

// Lines returns a copy of the current m-line layout.
func (m *Mapping) Lines() []Line {
	return append([]Line(nil), m.lines...)
}

// ContentRef identifies a content of the session.
type ContentRef struct {
	Creator Role
	Name    string
}

// Dropped is an SDP attribute with no Jingle form that the translation
// left out (NOTES §8.4); callers count or log them.
type Dropped struct {
	// Index is the m-line index, -1 at session level.
	Index int
	// Attr is the attribute name.
	Attr string
}

// Media is the Jingle form of an SDP.
type Media struct {
	// Contents are the mapped media lines in m-line order. Lines with
	// port 0 and unmappable lines are not among them.
	Contents []Content
	// Groups are the a=group lines, restricted to mapped contents.
	Groups []Group
	// Added are the contents that were not in the previous offer: the
	// content-add of a re-offer.
	Added []ContentRef
	// Removed are contents whose line now has port 0: rejected in an
	// answer, removed by a re-offer (content-remove).
	Removed []ContentRef
	// Unmapped are the lines that have no Jingle form; an answer repeats
	// them with port 0.
	Unmapped []*MediaError
	// Needs is what the SDP author requires of the media path.
	Needs Needs
	// Dropped lists the attributes that were left out.
	Dropped []Dropped
	// Unchanged reports an offer with the same o= session id and version
	// as the previous SDP of the SIP party: a session refresh with no
	// change (RFC 3264 §8).
	Unchanged bool
}

// Jingle wraps the contents and groups in a <jingle/> element.
func (r *Media) Jingle(action Action, sid string) *Jingle {
	return &Jingle{Action: action, SID: sid, Contents: r.Contents, Groups: r.Groups}
}

// SDP is the SDP form of Jingle contents.
type SDP struct {
	// Body is the SDP text with CRLF line ends.
	Body []byte
	// Needs is what the Jingle party requires of the media path.
	Needs Needs
	// Skipped are the contents that have no SDP form; the caller rejects
	// them on the Jingle side (content-reject).
	Skipped []*MediaError
}
