package jingle

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. The translator wraps them in *MediaError,
// *UnmappableError or *SchemaError, so errors.Is works on every result and
// errors.As gives the detail the caller needs to answer on either side.
var (
	// ErrMalformedSDP: the SDP does not parse, lacks v=/o=/s=/t=, or
	// breaks an RFC 4566 or RFC 3264 rule this package relies on. SIP
	// answers 400 Bad Request (NOTES §8.4).
	ErrMalformedSDP = errors.New("jingle: malformed SDP")

	// ErrBadRequest: a Jingle element breaks the XEP schema or a core rule
	// (missing required attribute, unknown action, duplicate content or
	// candidate id). XMPP answers <bad-request/> (XEP-0166 §7.2).
	ErrBadRequest = errors.New("jingle: malformed Jingle element")

	// ErrUnsupportedApplication: a media line or content has no
	// counterpart on the other side (MSRP, T.38, data channels, a
	// non-RTP Jingle application). Jingle reason unsupported-applications,
	// SIP Warning 304 (NOTES §8.4).
	ErrUnsupportedApplication = errors.New("jingle: unsupported application")

	// ErrUnsupportedTransport: the media has no Jingle/SDP transport
	// counterpart (RTP over TCP, an unknown Jingle transport). Jingle
	// reason unsupported-transports, SIP Warning 302.
	ErrUnsupportedTransport = errors.New("jingle: unsupported transport")

	// ErrMissingICECredentials: ICE candidates without ice-ufrag and
	// ice-pwd (XEP-0176 §5.3: ufrag and pwd MUST come with candidates).
	ErrMissingICECredentials = fmt.Errorf("jingle: ICE candidates without ufrag and pwd: %w", ErrUnsupportedTransport)

	// ErrICELite: the SDP author is an ICE-lite agent; Jingle assumes full
	// ICE (XEP-0176 §1) and has no form for a=ice-lite, so only media
	// anchoring can serve it.
	ErrICELite = fmt.Errorf("jingle: ICE-lite peer: %w", ErrUnsupportedTransport)

	// ErrCryptoRequired: SRTP is mandatory (RTP/SAVP, required='1') but
	// the other side offers no keying it can carry. Jingle reason
	// security-error with <crypto-required/> (XEP-0167 §7), SIP 488 with
	// Warning 306.
	ErrCryptoRequired = errors.New("jingle: SRTP required but no usable keying")

	// ErrOfferMismatch: an SDP answer does not line up with the offer it
	// answers (another m-line count or media type; RFC 3264 §6).
	ErrOfferMismatch = errors.New("jingle: answer does not match the offer")

	// ErrTooLarge: the input exceeds one of the bounds in limits.go.
	ErrTooLarge = errors.New("jingle: input exceeds limits")

	// ErrNothingMappable: no media line or content could be translated.
	// It comes wrapped in an *UnmappableError.
	ErrNothingMappable = errors.New("jingle: nothing mappable")

	// ErrOutOfOrder: the action cannot occur in the session's state
	// (XEP-0166 §10: <unexpected-request/> + <out-of-order/>).
	ErrOutOfOrder = errors.New("jingle: action out of order")

	// ErrTieBreak: the action collides with one of ours that overrules
	// it (XEP-0166 §7.2.16: <conflict/> + <tie-break/>).
	ErrTieBreak = errors.New("jingle: tie-break")

	// ErrUnknownSession: no live session has the sid (XEP-0166 §10:
	// <item-not-found/> + <unknown-session/>).
	ErrUnknownSession = errors.New("jingle: unknown session")

	// ErrUnsupportedInfo: a session-info payload this side does not
	// understand (XEP-0166 §6.8: <feature-not-implemented/> +
	// <unsupported-info/>).
	ErrUnsupportedInfo = errors.New("jingle: unsupported session-info payload")

	// errNumber reports a malformed unsigned decimal in SDP; it never
	// leaves the package.
	errNumber = errors.New("jingle: not an unsigned number")
)

// MediaError says why one m-line (SDP to Jingle) or one content (Jingle to
// SDP) could not be translated.
type MediaError struct {
	// Index is the m-line index, or the content index in the Jingle input.
	Index int
	// Media is the m= media type, or the description's media (or XML
	// namespace when it is not RTP).
	Media string
	// Proto is the m= proto, or the transport namespace.
	Proto string
	// Err is one of the sentinels above.
	Err error
}

func (e *MediaError) Error() string {
	return fmt.Sprintf("jingle: media %d (%s %s): %v", e.Index, e.Media, e.Proto, strings.TrimPrefix(e.Err.Error(), "jingle: "))
}

func (e *MediaError) Unwrap() error { return e.Err }

// Condition is the Jingle reason that fits this failure: security-error
// for missing SRTP keying, unsupported-transports for transport problems,
// otherwise unsupported-applications.
func (e *MediaError) Condition() Condition {
	switch {
	case errors.Is(e.Err, ErrCryptoRequired):
		return ConditionSecurityError
	case errors.Is(e.Err, ErrUnsupportedTransport):
		return ConditionUnsupportedTransports
	default:
		return ConditionUnsupportedApplications
	}
}

// UnmappableError reports that nothing at all could be translated: SIP
// answers 488 Not Acceptable Here with the Warning of SIPWarning, XMPP
// terminates (or never initiates) with Condition and a <text/> from Error
// (NOTES §8.4).
type UnmappableError struct {
	// Lines holds one entry per media line or content, in input order.
	// It is empty when the input had none.
	Lines []*MediaError
}

func (e *UnmappableError) Error() string {
	var b strings.Builder
	b.WriteString("jingle: nothing mappable")
	if len(e.Lines) == 0 {
		b.WriteString(": no media")
	}
	for i, l := range e.Lines {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(strings.TrimPrefix(l.Error(), "jingle: "))
	}
	return b.String()
}

// Unwrap makes errors.Is match ErrNothingMappable and the per-line
// sentinels.
func (e *UnmappableError) Unwrap() []error {
	errs := make([]error, 0, len(e.Lines)+1)
	errs = append(errs, ErrNothingMappable)
	for _, l := range e.Lines {
		errs = append(errs, l)
	}
	return errs
}

// Condition is the Jingle reason for the whole failure: the common
// condition of every line when they agree (unsupported-transports or
// security-error), otherwise unsupported-applications.
func (e *UnmappableError) Condition() Condition {
	if len(e.Lines) == 0 {
		return ConditionUnsupportedApplications
	}
	c := e.Lines[0].Condition()
	for _, l := range e.Lines[1:] {
		if l.Condition() != c {
			return ConditionUnsupportedApplications
		}
	}
	return c
}

// SIPStatus is the SIP final response for an offer that cannot be mapped
// (RFC 3261 §21.4.26).
func (e *UnmappableError) SIPStatus() int { return 488 }

// SIPWarning is the RFC 3261 §20.43 warn-code and text that go with
// SIPStatus.
func (e *UnmappableError) SIPWarning() (code int, text string) {
	switch e.Condition() {
	case ConditionUnsupportedTransports:
		return 302, "Incompatible transport protocol"
	case ConditionSecurityError:
		return 306, "Attribute not understood"
	default:
		return 304, "Media type not available"
	}
}

// SchemaError reports a Jingle element that breaks the XEP schema or a core
// rule. It wraps ErrBadRequest.
type SchemaError struct {
	// Element is the local name of the offending element.
	Element string
	// Attr is the offending attribute, "" for element-level problems.
	Attr string
	// Problem says what is wrong.
	Problem string
	// Err is an optional further sentinel, such as ErrTooLarge.
	Err error
}

func (e *SchemaError) Error() string {
	if e.Attr == "" {
		return "jingle: <" + e.Element + "/>: " + e.Problem
	}
	return "jingle: <" + e.Element + "/> " + e.Attr + ": " + e.Problem
}

// Unwrap makes errors.Is match ErrBadRequest and Err.
func (e *SchemaError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrBadRequest, e.Err}
	}
	return []error{ErrBadRequest}
}

func schemaErr(element, attr, problem string) error {
	return &SchemaError{Element: element, Attr: attr, Problem: problem}
}

// sdpErr wraps ErrMalformedSDP with a detail.
func sdpErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformedSDP}, args...)...)
}
