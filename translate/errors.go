package translate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Sentinel errors. The address functions return them wrapped in an *Error
// that also carries the SIP status and the XMPP stanza error condition to
// answer with, so errors.Is works on the result and the caller can reply on
// either side without a second lookup.
var (
	// ErrBadAddress: the input is not a syntactically valid SIP, SIPS, IM
	// or PRES URI (RFC 3261 §25.1, RFC 3860, RFC 3986).
	ErrBadAddress = errors.New("translate: malformed address")

	// ErrUnmappable: the address is well formed but has no counterpart on
	// the other side (no user part, not a valid JID after escaping and
	// PRECIS, not a canonically escaped localpart, not at the component
	// domain, ...).
	ErrUnmappable = errors.New("translate: address has no counterpart")

	// ErrScheme: a URI scheme the gateway does not translate (tel:, mailto:,
	// ...). RFC 7247 §6.1 leaves telephone numbers out of scope.
	ErrScheme = errors.New("translate: unsupported URI scheme")

	// ErrSIPS: a sips: URI. RFC 7247 §8: a SIPS Request-URI or To asks for
	// TLS on every hop, which XMPP cannot signal, so the gateway MUST NOT
	// translate the request.
	ErrSIPS = errors.New("translate: sips URI cannot cross to XMPP")

	// ErrLoop: the translated address belongs to a domain this gateway
	// itself serves on the destination side, so the request would come
	// straight back to it (RFC 7247 §8 on B2BUA loops).
	ErrLoop = errors.New("translate: address loops back to the gateway")
)

// XMPP stanza error types (RFC 6120 §8.3.2).
const (
	ErrorTypeAuth     = "auth"
	ErrorTypeCancel   = "cancel"
	ErrorTypeContinue = "continue"
	ErrorTypeModify   = "modify"
	ErrorTypeWait     = "wait"
)

// Error is one failure seen from both sides of the gateway: the SIP final
// response status and the XMPP stanza error (RFC 7247 §7). FromSIPStatus
// and FromCondition fill both halves from the RFC 7247 tables; the address
// functions return it with Err set to a wrapped sentinel.
type Error struct {
	// SIPStatus is the SIP response status code (RFC 3261 §21).
	SIPStatus int
	// Condition is the RFC 6120 §8.3.3 defined condition, e.g.
	// "item-not-found".
	Condition string
	// Type is the RFC 6120 §8.3.2 error type: auth, cancel, modify, wait.
	Type string
	// Text is the human-readable part: the SIP Reason-Phrase or the XMPP
	// <text/> (RFC 7247 §7 allows mapping one to the other).
	Text string
	// Alternate is the new address of a <gone/> or <redirect/> condition
	// (RFC 6120 §8.3.3.5, §8.3.3.14) or the Contact of a SIP 3xx response;
	// RFC 7247 §7.2 note (1) requires it on <gone/> mapped from SIP 301.
	Alternate string
	// Err is the underlying cause, if any.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Err != nil {
		b.WriteString(e.Err.Error())
		b.WriteString(" (")
	} else {
		b.WriteString("translate: ")
	}
	b.WriteString(e.Condition)
	b.WriteString(", SIP ")
	b.WriteString(strconv.Itoa(e.SIPStatus))
	if e.Err != nil {
		b.WriteByte(')')
	}
	if e.Text != "" {
		b.WriteString(": ")
		b.WriteString(e.Text)
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// maxReasonLen bounds the Reason-Phrase built from free text.
const maxReasonLen = 128

// Reason returns a Reason-Phrase for the SIP status line (RFC 3261 §25.1
// Reason-Phrase: no CR, LF or other controls): Text as valid UTF-8 on one
// line, controls and whitespace runs turned into single spaces, cut to at
// most 128 bytes; or, when that leaves nothing, the standard phrase of
// SIPStatus (ReasonPhrase).
func (e *Error) Reason() string {
	s := strings.ToValidUTF8(e.Text, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r == '\t' || (r >= 0x20 && r != 0x7f && (r < 0x80 || r > 0x9f)) {
			return r
		}
		return ' '
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxReasonLen {
		cut := maxReasonLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = strings.TrimSpace(s[:cut])
	}
	if s == "" {
		return ReasonPhrase(e.SIPStatus)
	}
	return s
}

// ErrorOf returns the *Error in err's chain, or, for any other non-nil
// error, an internal-server-error / SIP 500 wrapping it. It returns nil for
// a nil err.
func ErrorOf(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{
		SIPStatus: 500,
		Condition: CondInternalServerError,
		Type:      ErrorTypeCancel,
		Err:       err,
	}
}

// addrError builds the *Error the address functions return: the sentinel
// (wrapped with detail and cause, when given) and the status and condition
// to answer with.
func addrError(sentinel error, detail string, cause error) *Error {
	e := &Error{Err: sentinel}
	switch {
	case cause != nil:
		e.Err = fmt.Errorf("%w: %s: %w", sentinel, detail, cause)
	case detail != "":
		e.Err = fmt.Errorf("%w: %s", sentinel, detail)
	}
	switch sentinel {
	case ErrBadAddress:
		// RFC 3261 §21.4.1; <jid-malformed/> maps back to 400 (RFC 7247 §7.1).
		e.SIPStatus, e.Condition, e.Type = 400, CondJIDMalformed, ErrorTypeModify
	case ErrScheme, ErrSIPS:
		// RFC 3261 §8.2.2.1: a Request-URI scheme the server cannot
		// handle gets 416; RFC 7247 §7.2 maps 416 to <not-acceptable/>.
		e.SIPStatus, e.Condition, e.Type = 416, CondNotAcceptable, ErrorTypeModify
	case ErrLoop:
		// RFC 3261 §21.4.20; 482 maps to <not-acceptable/> (RFC 7247 §7.2),
		// but nothing the sender changes will help.
		e.SIPStatus, e.Condition, e.Type = 482, CondNotAcceptable, ErrorTypeCancel
	default: // ErrUnmappable
		// There is no such user on the other side.
		e.SIPStatus, e.Condition, e.Type = 404, CondItemNotFound, ErrorTypeCancel
	}
	return e
}
