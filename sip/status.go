package sip

import (
	"errors"
	"strconv"

	sipgosip "github.com/emiago/sipgo/sip"
)

// StatusError is a non-2xx final response to a request we sent.
type StatusError struct {
	Code   int
	Reason string
	// MinExpires is the Min-Expires of a 423 (Interval Too Brief, RFC 3261
	// §21.4.17, RFC 6665 §4.2.1.1); 0 otherwise.
	MinExpires int
}

// statusErrorOf turns a non-2xx final response into a *StatusError.
func statusErrorOf(res *sipgosip.Response) *StatusError {
	se := &StatusError{Code: res.StatusCode, Reason: res.Reason}
	if res.StatusCode == 423 {
		if v, err := singleDelta(headerValues(res, "Min-Expires")); err == nil && v > 0 {
			se.MinExpires = v
		}
	}
	return se
}

func (e *StatusError) Error() string {
	return "sip: " + strconv.Itoa(e.Code) + " " + e.Reason
}

// statusCarrier is implemented by core errors that know their SIP final
// response (translate.Error does, per RFC 7247 §7).
type statusCarrier interface {
	SIPResponse() (code int, reason string)
}

// statusOf maps an error from the core to a final response: a carried
// status is kept; anything else is 500 (RFC 3261 §21.5.1).
func statusOf(err error) (int, string) {
	var sc statusCarrier
	if errors.As(err, &sc) {
		if code, reason := sc.SIPResponse(); code >= 300 && code <= 699 {
			if reason == "" {
				reason = reasonPhrase(code)
			}
			return code, reason
		}
	}
	return 500, "Server Internal Error"
}

// reasonPhrase is the RFC 3261 §21 phrase for the codes the gateway sends.
func reasonPhrase(code int) string {
	switch code {
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 406:
		return "Not Acceptable"
	case 408:
		return "Request Timeout"
	case 410:
		return "Gone"
	case 413:
		return "Request Entity Too Large"
	case 415:
		return "Unsupported Media Type"
	case 423:
		return "Interval Too Brief"
	case 480:
		return "Temporarily Unavailable"
	case 481:
		return "Call/Transaction Does Not Exist"
	case 488:
		return "Not Acceptable Here"
	case 489:
		return "Bad Event"
	case 491:
		return "Request Pending"
	case 500:
		return "Server Internal Error"
	case 501:
		return "Not Implemented"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Server Time-out"
	case 600:
		return "Busy Everywhere"
	case 603:
		return "Decline"
	case 604:
		return "Does Not Exist Anywhere"
	case 606:
		return "Not Acceptable"
	}
	switch code / 100 {
	case 3:
		return "Redirection"
	case 4:
		return "Client Error"
	case 5:
		return "Server Error"
	}
	return "Global Failure"
}

// SIPResponse returns the status code and reason phrase.
func (e *StatusError) SIPResponse() (int, string) { return e.Code, e.Reason }
