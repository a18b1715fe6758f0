package dnsres

import "errors"

var (
	// ErrResponse reports that a server answered with an error rcode other than NXDOMAIN
	// (SERVFAIL, REFUSED, FORMERR, NOTIMP, ...).
	ErrResponse = errors.New("dnsres: error response")
	// ErrTimeout reports that no answer arrived within the per-query timeout.
	ErrTimeout = errors.New("dnsres: query timed out")
	// ErrBadResponse reports an answer that does not match the question asked.
	ErrBadResponse = errors.New("dnsres: response does not match the question")
	// ErrInvalidName reports a name that is not a valid domain name.
	ErrInvalidName = errors.New("dnsres: invalid domain name")
)
