package translate

import "mellium.im/xmpp/jid"

// JingleIQ is a Jingle IQ set (XEP-0166 §7) between an XMPP user and a
// SIP user's JID: the <jingle xmlns='urn:xmpp:jingle:1'/> element as XML,
// which the jingle package decodes. Translating a call needs the whole
// element; carrying it as XML keeps the XMPP side free of the model.
type JingleIQ struct {
	From, To jid.JID
	ID       string
	Payload  []byte
}

// Jingle error conditions (XEP-0166 §10), carried next to a stanza
// condition in the urn:xmpp:jingle:errors:1 namespace.
const (
	JingleOutOfOrder      = "out-of-order"
	JingleTieBreak        = "tie-break"
	JingleUnknownSession  = "unknown-session"
	JingleUnsupportedInfo = "unsupported-info"
)

// JingleError is an IQ error about a Jingle action: a stanza condition
// and, optionally, the Jingle-specific one (XEP-0166 §10, e.g.
// <item-not-found/> with <unknown-session/>).
type JingleError struct {
	Condition       string // RFC 6120 §8.3.3
	Type            string // RFC 6120 §8.3.2; empty: per condition
	JingleCondition string // one of the Jingle* constants, or ""
	Text            string
}

func (e *JingleError) Error() string {
	s := "translate: jingle error " + e.Condition
	if e.JingleCondition != "" {
		s += "/" + e.JingleCondition
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}
