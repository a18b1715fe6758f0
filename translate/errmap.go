package translate

// XMPP stanza error conditions (RFC 6120 §8.3.3), all 22.
const (
	CondBadRequest            = "bad-request"
	CondConflict              = "conflict"
	CondFeatureNotImplemented = "feature-not-implemented"
	CondForbidden             = "forbidden"
	CondGone                  = "gone"
	CondInternalServerError   = "internal-server-error"
	CondItemNotFound          = "item-not-found"
	CondJIDMalformed          = "jid-malformed"
	CondNotAcceptable         = "not-acceptable"
	CondNotAllowed            = "not-allowed"
	CondNotAuthorized         = "not-authorized"
	CondPolicyViolation       = "policy-violation"
	CondRecipientUnavailable  = "recipient-unavailable"
	CondRedirect              = "redirect"
	CondRegistrationRequired  = "registration-required"
	CondRemoteServerNotFound  = "remote-server-not-found"
	CondRemoteServerTimeout   = "remote-server-timeout"
	CondResourceConstraint    = "resource-constraint"
	CondServiceUnavailable    = "service-unavailable"
	CondSubscriptionRequired  = "subscription-required"
	CondUndefinedCondition    = "undefined-condition"
	CondUnexpectedRequest     = "unexpected-request"
)

// FromSIPStatus maps a SIP final response to the XMPP stanza error to send
// (RFC 7247 §7.2, Table 3); reason is the Reason-Phrase, kept as the
// error's Text. It returns nil for 1xx and 2xx, which are not errors and
// which RFC 7247 §7 does not map.
//
// Codes not in Table 3 map by class as §7.2 says: 3xx to <redirect/>, 4xx
// to <bad-request/>, 5xx to <internal-server-error/>, 6xx to
// <recipient-unavailable/>. A status outside 100-699 (not a SIP status,
// RFC 3261 §25.1) maps to <undefined-condition/>, type cancel.
//
// The error type is the one RFC 6120 §8.3.3 gives for the condition, except
// where the SIP status says more: 503 is temporary (wait), 603 Decline and
// 487 Request Terminated are final (cancel), 423 Interval Too Brief asks
// for a longer interval (modify).
//
// For 301 (<gone/>) and the 3xx mapped to <redirect/>, RFC 7247 §7.2 note
// (1) and RFC 6120 §8.3.3.14 want the new address as the element's text:
// the caller sets Alternate from the response's Contact.
func FromSIPStatus(status int, reason string) *Error {
	if status >= 100 && status < 300 {
		return nil
	}
	e := &Error{SIPStatus: status, Text: reason}
	if status < 100 || status > 699 {
		e.Condition, e.Type = CondUndefinedCondition, ErrorTypeCancel
		return e
	}
	e.Condition = sipStatusCondition(status)
	e.Type = conditionType(e.Condition)
	switch status {
	case 503:
		e.Type = ErrorTypeWait
	case 487, 603:
		e.Type = ErrorTypeCancel
	case 423:
		e.Type = ErrorTypeModify
	}
	return e
}

// sipStatusCondition is RFC 7247 §7.2 Table 3 with its class fallbacks.
func sipStatusCondition(status int) string {
	switch status {
	case 300, 302, 305:
		return CondRedirect
	case 301, 410: // note (1): 301 carries the new address, 410 does not
		return CondGone
	case 380, 406, 415, 416, 421, 482, 483, 488, 505, 606:
		return CondNotAcceptable
	case 400, 402, 493: // 402: note (2), <payment-required/> is gone
		return CondBadRequest
	case 401:
		return CondNotAuthorized
	case 403: // note (3): <not-allowed/> or <policy-violation/> also fit
		return CondForbidden
	case 404, 481, 484, 485, 604: // 404 note (4): or <remote-server-not-found/>
		return CondItemNotFound
	case 405, 420, 439, 501: // 439: note (6), RFC 5626
		return CondFeatureNotImplemented
	case 407:
		return CondRegistrationRequired
	case 408, 504: // 408 note (5): or <remote-server-not-found/>
		return CondRemoteServerTimeout
	case 413, 414, 440, 489, 513: // 440: note (7), RFC 5393; 489: note (8), RFC 6665
		return CondPolicyViolation
	case 423:
		return CondResourceConstraint
	case 430, 480, 486, 487, 600, 603: // 430: note (6), RFC 5626
		return CondRecipientUnavailable
	case 491:
		return CondUnexpectedRequest
	case 500, 503: // 503: note (9), see §7.1 note (5)
		return CondInternalServerError
	case 502:
		return CondRemoteServerNotFound
	}
	switch status / 100 {
	case 3:
		return CondRedirect
	case 4:
		return CondBadRequest
	case 5:
		return CondInternalServerError
	default:
		return CondRecipientUnavailable
	}
}

// conditionType is the error type RFC 6120 §8.3.3 recommends for each
// condition. Where it allows two (feature-not-implemented: cancel or
// modify; policy-violation: modify or wait; unexpected-request: wait or
// modify) or any (undefined-condition), the first listed, or cancel.
func conditionType(cond string) string {
	switch cond {
	case CondBadRequest, CondJIDMalformed, CondNotAcceptable,
		CondPolicyViolation, CondRedirect:
		return ErrorTypeModify
	case CondForbidden, CondNotAuthorized, CondRegistrationRequired,
		CondSubscriptionRequired:
		return ErrorTypeAuth
	case CondRecipientUnavailable, CondRemoteServerTimeout,
		CondResourceConstraint, CondUnexpectedRequest:
		return ErrorTypeWait
	default:
		return ErrorTypeCancel
	}
}

// FromCondition maps an XMPP stanza error about a bare JID to the SIP
// response to send (RFC 7247 §7.1, Table 2); text is the error's <text/>,
// kept as Text (and usable as the Reason-Phrase, see Error.Reason). It is
// FromStanzaError(cond, text, false, "").
func FromCondition(cond, text string) *Error {
	return FromStanzaError(cond, text, false, "")
}

// FromStanzaError maps an XMPP stanza error to the SIP response to send
// (RFC 7247 §7.1, Table 2). fullJID says whether the error relates to a
// full JID (the request went to one resource) rather than a bare JID, which
// picks between the two codes of notes (1) and (2): 405/501 and 4xx/6xx.
// alternate is the XML character data of <gone/> or <redirect/>, the new
// address; by note (3) <gone/> with one is 301, without one 410.
//
// Choices where Table 2 leaves one to the implementation:
//   - <remote-server-not-found/> is 404 (the server does not exist); note
//     (4)'s 408 (cannot be resolved) is not distinguishable here.
//   - <service-unavailable/> is 403: note (5) rules out 503 and names 403 or
//     405 as closest; 405 would claim the method itself is unsupported.
//   - <unexpected-request/> is 491, which Table 3 maps back to it.
//
// A condition RFC 6120 does not define is treated as <undefined-condition/>
// (RFC 6120 §8.3.2).
func FromStanzaError(cond, text string, fullJID bool, alternate string) *Error {
	pick := func(full, bare int) int {
		if fullJID {
			return full
		}
		return bare
	}
	var status int
	switch cond {
	case CondBadRequest, CondConflict, CondJIDMalformed,
		CondSubscriptionRequired, CondUndefinedCondition:
		status = 400
	case CondFeatureNotImplemented: // note (1)
		status = pick(405, 501)
	case CondForbidden: // note (2)
		status = pick(403, 603)
	case CondGone: // note (3)
		status = 410
		if alternate != "" {
			status = 301
		}
	case CondInternalServerError, CondResourceConstraint:
		status = 500
	case CondItemNotFound: // note (2)
		status = pick(404, 604)
	case CondNotAcceptable: // note (2)
		status = pick(406, 606)
	case CondNotAllowed, CondPolicyViolation, CondServiceUnavailable:
		status = 403
	case CondNotAuthorized:
		status = 401
	case CondRecipientUnavailable: // note (2)
		status = pick(480, 600)
	case CondRedirect:
		status = 302
	case CondRegistrationRequired:
		status = 407
	case CondRemoteServerNotFound: // note (4)
		status = 404
	case CondRemoteServerTimeout:
		status = 408
	case CondUnexpectedRequest:
		status = 491
	default:
		cond, status = CondUndefinedCondition, 400
	}
	return &Error{
		SIPStatus: status,
		Condition: cond,
		Type:      conditionType(cond),
		Text:      text,
		Alternate: alternate,
	}
}

// ReasonPhrase returns the standard Reason-Phrase of a SIP status code
// (RFC 3261 §21 and the IANA "Response Codes" registry), or the name of
// its class (RFC 3261 §7.2) for an unregistered code, or "" outside
// 100-699.
func ReasonPhrase(status int) string {
	switch status {
	case 100:
		return "Trying"
	case 180:
		return "Ringing"
	case 181:
		return "Call Is Being Forwarded"
	case 182:
		return "Queued"
	case 183:
		return "Session Progress"
	case 199:
		return "Early Dialog Terminated"
	case 200:
		return "OK"
	case 202:
		return "Accepted"
	case 204:
		return "No Notification"
	case 300:
		return "Multiple Choices"
	case 301:
		return "Moved Permanently"
	case 302:
		return "Moved Temporarily"
	case 305:
		return "Use Proxy"
	case 380:
		return "Alternative Service"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 402:
		return "Payment Required"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 406:
		return "Not Acceptable"
	case 407:
		return "Proxy Authentication Required"
	case 408:
		return "Request Timeout"
	case 410:
		return "Gone"
	case 412:
		return "Conditional Request Failed"
	case 413:
		return "Request Entity Too Large"
	case 414:
		return "Request-URI Too Long"
	case 415:
		return "Unsupported Media Type"
	case 416:
		return "Unsupported URI Scheme"
	case 417:
		return "Unknown Resource-Priority"
	case 420:
		return "Bad Extension"
	case 421:
		return "Extension Required"
	case 422:
		return "Session Interval Too Small"
	case 423:
		return "Interval Too Brief"
	case 424:
		return "Bad Location Information"
	case 425:
		return "Bad Alert Message"
	case 428:
		return "Use Identity Header"
	case 429:
		return "Provide Referrer Identity"
	case 430:
		return "Flow Failed"
	case 433:
		return "Anonymity Disallowed"
	case 436:
		return "Bad Identity Info"
	case 437:
		return "Unsupported Credential"
	case 438:
		return "Invalid Identity Header"
	case 439:
		return "First Hop Lacks Outbound Support"
	case 440:
		return "Max-Breadth Exceeded"
	case 469:
		return "Bad Info Package"
	case 470:
		return "Consent Needed"
	case 480:
		return "Temporarily Unavailable"
	case 481:
		return "Call/Transaction Does Not Exist"
	case 482:
		return "Loop Detected"
	case 483:
		return "Too Many Hops"
	case 484:
		return "Address Incomplete"
	case 485:
		return "Ambiguous"
	case 486:
		return "Busy Here"
	case 487:
		return "Request Terminated"
	case 488:
		return "Not Acceptable Here"
	case 489:
		return "Bad Event"
	case 491:
		return "Request Pending"
	case 493:
		return "Undecipherable"
	case 494:
		return "Security Agreement Required"
	case 500:
		return "Server Internal Error"
	case 501:
		return "Not Implemented"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Server Time-out"
	case 505:
		return "Version Not Supported"
	case 513:
		return "Message Too Large"
	case 555:
		return "Push Notification Service Not Supported"
	case 580:
		return "Precondition Failure"
	case 600:
		return "Busy Everywhere"
	case 603:
		return "Decline"
	case 604:
		return "Does Not Exist Anywhere"
	case 606:
		return "Not Acceptable"
	case 607:
		return "Unwanted"
	case 608:
		return "Rejected"
	}
	switch status / 100 {
	case 1:
		return "Provisional"
	case 2:
		return "Successful"
	case 3:
		return "Redirection"
	case 4:
		return "Request Failure"
	case 5:
		return "Server Failure"
	case 6:
		return "Global Failure"
	}
	return ""
}
