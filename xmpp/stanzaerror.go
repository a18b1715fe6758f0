package xmpp

import (
	"encoding/xml"
	"errors"

	"github.com/sxgw/sxgw/translate"
)

// Stanza error conditions (RFC 6120 §8.3.3).
const (
	ErrBadRequest            = "bad-request"
	ErrConflict              = "conflict"
	ErrFeatureNotImplemented = "feature-not-implemented"
	ErrForbidden             = "forbidden"
	ErrGone                  = "gone"
	ErrInternalServerError   = "internal-server-error"
	ErrItemNotFound          = "item-not-found"
	ErrJIDMalformed          = "jid-malformed"
	ErrNotAcceptable         = "not-acceptable"
	ErrNotAllowed            = "not-allowed"
	ErrNotAuthorized         = "not-authorized"
	ErrPolicyViolation       = "policy-violation"
	ErrRecipientUnavailable  = "recipient-unavailable"
	ErrRedirect              = "redirect"
	ErrRegistrationRequired  = "registration-required"
	ErrRemoteServerNotFound  = "remote-server-not-found"
	ErrRemoteServerTimeout   = "remote-server-timeout"
	ErrResourceConstraint    = "resource-constraint"
	ErrServiceUnavailable    = "service-unavailable"
	ErrSubscriptionRequired  = "subscription-required"
	ErrUndefinedCondition    = "undefined-condition"
	ErrUnexpectedRequest     = "unexpected-request"
)

// errorType is the error type RFC 6120 §8.3.3 gives for a condition.
func errorType(cond string) string {
	switch cond {
	case ErrBadRequest, ErrJIDMalformed, ErrNotAcceptable, ErrPolicyViolation, ErrRedirect:
		return "modify"
	case ErrForbidden, ErrNotAuthorized, ErrRegistrationRequired, ErrSubscriptionRequired:
		return "auth"
	case ErrRecipientUnavailable, ErrRemoteServerTimeout, ErrResourceConstraint, ErrUnexpectedRequest:
		return "wait"
	}
	return "cancel"
}

// StanzaError is a stanza-level error (RFC 6120 §8.3). Returned by the core
// for a stanza, it is sent back to the stanza's sender.
type StanzaError struct {
	Type      string // auth, cancel, continue, modify, wait; empty: per condition
	Condition string
	Text      string
	By        string
	// app is an application-specific condition (RFC 6120 §8.3.2), such
	// as a Jingle error condition (XEP-0166 §10).
	app *Element
}

func (e *StanzaError) Error() string {
	if e.Text != "" {
		return "xmpp: stanza error " + e.Condition + ": " + e.Text
	}
	return "xmpp: stanza error " + e.Condition
}

func (e *StanzaError) element() *Element {
	typ := e.Type
	if typ == "" {
		typ = errorType(e.Condition)
	}
	el := NewElement(nsServer, "error", "type", typ, "by", e.By).Add(NewElement(nsStanzas, e.Condition))
	if e.Text != "" {
		t := NewElement(nsStanzas, "text")
		t.Attr = append(t.Attr, xmlLang("en"))
		el.Add(t.AddText(e.Text))
	}
	if e.app != nil {
		el.Add(e.app)
	}
	return el
}

// ParseStanzaError reads the <error/> child of an error stanza, or nil.
func ParseStanzaError(st *Element) *StanzaError {
	el := st.Child("", "error")
	if el == nil {
		return nil
	}
	se := &StanzaError{Type: el.Get("type"), By: el.Get("by"), Condition: ErrUndefinedCondition}
	for _, n := range el.Nodes {
		if n.El == nil || n.El.Name.Space != nsStanzas {
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

// ErrorReply builds the error response to st (RFC 6120 §8.3.1): addresses
// swapped, same id, type "error". It returns nil for a stanza that must not
// be answered with an error (an error itself, or an IQ result).
func ErrorReply(st *Element, serr *StanzaError) *Element {
	switch st.Get("type") {
	case "error":
		return nil
	case "result":
		if st.Name.Local == "iq" {
			return nil
		}
	}
	r := NewElement(st.Name.Space, st.Name.Local, "from", st.Get("to"), "to", st.Get("from"), "id", st.Get("id"), "type", "error")
	return r.Add(serr.element())
}

// conditionCarrier is implemented by core errors that know their stanza
// error (translate.Error does, per RFC 7247 §7).
type conditionCarrier interface {
	StanzaCondition() (typ, cond, text string)
}

// asStanzaError returns err as a StanzaError: our own type, a Jingle
// error, or a carried condition; other errors become
// internal-server-error.
func asStanzaError(err error) *StanzaError {
	var se *StanzaError
	if errors.As(err, &se) {
		return se
	}
	var je *translate.JingleError
	if errors.As(err, &je) {
		return jingleStanzaError(je)
	}
	var cc conditionCarrier
	if errors.As(err, &cc) {
		typ, cond, text := cc.StanzaCondition()
		if cond != "" {
			return &StanzaError{Type: typ, Condition: cond, Text: text}
		}
	}
	return &StanzaError{Condition: ErrInternalServerError}
}

func xmlLang(lang string) xml.Attr {
	return xml.Attr{Name: xml.Name{Space: nsXML, Local: "lang"}, Value: lang}
}
