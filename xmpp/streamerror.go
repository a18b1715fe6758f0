package xmpp

import (
	"errors"
	"strings"
)

// Stream error conditions (RFC 6120 §4.9.3).
const (
	CondBadFormat             = "bad-format"
	CondConflict              = "conflict"
	CondConnectionTimeout     = "connection-timeout"
	CondHostUnknown           = "host-unknown"
	CondImproperAddressing    = "improper-addressing"
	CondInternalServerError   = "internal-server-error"
	CondInvalidFrom           = "invalid-from"
	CondInvalidNamespace      = "invalid-namespace"
	CondInvalidXML            = "invalid-xml"
	CondNotAuthorized         = "not-authorized"
	CondNotWellFormed         = "not-well-formed"
	CondPolicyViolation       = "policy-violation"
	CondRemoteConnFailed      = "remote-connection-failed"
	CondResourceConstraint    = "resource-constraint"
	CondRestrictedXML         = "restricted-xml"
	CondSystemShutdown        = "system-shutdown"
	CondUndefinedCondition    = "undefined-condition"
	CondUnsupportedEncoding   = "unsupported-encoding"
	CondUnsupportedFeature    = "unsupported-feature"
	CondUnsupportedStanzaType = "unsupported-stanza-type"
	CondUnsupportedVersion    = "unsupported-version"
)

// StreamError is a stream-level error (RFC 6120 §4.9): it ends the stream.
// Received is true when the peer sent it, false when we detected it.
type StreamError struct {
	Condition string
	Text      string
	Received  bool
}

func (e *StreamError) Error() string {
	var b strings.Builder
	b.WriteString("xmpp: stream error ")
	if e.Received {
		b.WriteString("received: ")
	}
	b.WriteString(e.Condition)
	if e.Text != "" {
		b.WriteString(": ")
		b.WriteString(e.Text)
	}
	return b.String()
}

// streamErr builds a StreamError we raise.
func streamErr(cond, text string) *StreamError { return &StreamError{Condition: cond, Text: text} }

// element renders the error for the wire (RFC 6120 §4.9.2).
func (e *StreamError) element() *Element {
	el := NewElement(nsStream, "error").Add(NewElement(nsStreams, e.Condition))
	if e.Text != "" {
		t := NewElement(nsStreams, "text")
		t.Attr = append(t.Attr, xmlLang("en"))
		el.Add(t.AddText(e.Text))
	}
	return el
}

// parseStreamError reads a received <stream:error/>.
func parseStreamError(el *Element) *StreamError {
	se := &StreamError{Condition: CondUndefinedCondition, Received: true}
	for _, n := range el.Nodes {
		if n.El == nil || n.El.Name.Space != nsStreams {
			continue
		}
		if n.El.Name.Local == "text" {
			se.Text = n.El.Text()
		} else {
			se.Condition = n.El.Name.Local
		}
	}
	return se
}

// conditionOf returns the stream error condition carried by err, or "".
func conditionOf(err error) string {
	var se *StreamError
	if errors.As(err, &se) {
		return se.Condition
	}
	return ""
}
