package gateway

import (
	"errors"

	"github.com/sxgw/sxgw/jingle"
	"github.com/sxgw/sxgw/translate"
)

// reasonForStatus maps a SIP final response of an INVITE to the Jingle
// reason of the session-terminate (the gateway's Jingle notes, "Final
// responses ⇄ reasons", from the XEP-0166 definitions and RFC 3261).
func reasonForStatus(code int) jingle.Condition {
	switch {
	case code == 486 || code == 600:
		return jingle.ConditionBusy
	case code == 603 || code == 403:
		return jingle.ConditionDecline
	case code == 404 || code == 410 || code == 604:
		return jingle.ConditionGone
	case code == 480 || code == 408:
		return jingle.ConditionTimeout
	case code == 488 || code == 606:
		return jingle.ConditionIncompatibleParameters
	case code == 415:
		return jingle.ConditionUnsupportedApplications
	case code == 503:
		return jingle.ConditionConnectivityError
	}
	return jingle.ConditionGeneralError
}

// statusForReason maps a Jingle reason that ends a session before it was
// answered to the SIP final response (the same table, other way).
func statusForReason(c jingle.Condition) (int, string) {
	switch c {
	case jingle.ConditionBusy:
		return 486, "Busy Here"
	case jingle.ConditionDecline, jingle.ConditionSuccess, jingle.ConditionAlternativeSession:
		return 603, "Decline"
	case jingle.ConditionCancel:
		return 487, "Request Terminated"
	case jingle.ConditionGone:
		return 480, "Temporarily Unavailable"
	case jingle.ConditionTimeout:
		return 480, "Temporarily Unavailable"
	case jingle.ConditionExpired:
		return 408, "Request Timeout"
	case jingle.ConditionIncompatibleParameters, jingle.ConditionUnsupportedApplications,
		jingle.ConditionUnsupportedTransports, jingle.ConditionMediaError, jingle.ConditionFailedApplication,
		jingle.ConditionSecurityError:
		return 488, "Not Acceptable Here"
	case jingle.ConditionConnectivityError, jingle.ConditionFailedTransport:
		return 503, "Service Unavailable"
	}
	return 500, "Server Internal Error"
}

// sdpFailure maps a translation failure of SDP to the SIP answer: 400
// for SDP that does not parse, 488 for SDP with nothing mappable (RFC
// 3261 §21.4.26).
func sdpFailure(err error) error {
	var u *jingle.UnmappableError
	switch {
	case errors.As(err, &u):
		_, warn := u.SIPWarning()
		return refuse(488, translate.CondNotAcceptable, warn)
	case errors.Is(err, jingle.ErrMalformedSDP):
		return refuse(400, translate.CondBadRequest, "malformed SDP")
	}
	return refuse(488, translate.CondNotAcceptable, err.Error())
}

// jingleReasonOf picks the Jingle reason for a translation failure of a
// Jingle offer: the translator's own, or failed-application.
func jingleReasonOf(err error) jingle.Condition {
	var u *jingle.UnmappableError
	if errors.As(err, &u) {
		return u.Condition()
	}
	return jingle.ConditionFailedApplication
}

// sessionIQError turns a jingle.SessionError into the IQ error the XMPP
// side sends (XEP-0166 §10).
func sessionIQError(err error) error {
	var se *jingle.SessionError
	if errors.As(err, &se) {
		return &translate.JingleError{Condition: se.Condition, Type: se.Type, JingleCondition: se.JingleCondition, Text: se.Detail}
	}
	return &translate.JingleError{Condition: translate.CondBadRequest, Type: "modify", Text: err.Error()}
}

// unknownSession is the IQ error for a sid the gateway does not know.
func unknownSession() error {
	return &translate.JingleError{Condition: translate.CondItemNotFound, Type: "cancel", JingleCondition: translate.JingleUnknownSession}
}
