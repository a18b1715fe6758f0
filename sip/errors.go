package sip

import "errors"

// Sentinel errors. Wrapped errors are matched with errors.Is.
var (
	// ErrConfig reports an invalid Options value.
	ErrConfig = errors.New("sip: invalid options")
	// ErrClosed is returned by operations on a closed Endpoint.
	ErrClosed = errors.New("sip: endpoint closed")
	// ErrStarted is returned by a second call to Start.
	ErrStarted = errors.New("sip: endpoint already started")
	// ErrUnsupportedURI reports a URI that cannot be resolved: not sip: or
	// sips:, or a transport that the scheme does not allow (RFC 3263 §4.1).
	ErrUnsupportedURI = errors.New("sip: unsupported URI")
	// ErrNoTargets reports that RFC 3263 resolution found no usable target.
	ErrNoTargets = errors.New("sip: no targets for URI")
	// ErrNoResolver reports a DNS lookup needed without a configured Resolver.
	ErrNoResolver = errors.New("sip: no DNS resolver configured")
	// ErrBadRequest reports a request passed to Do that cannot be sent.
	ErrBadRequest = errors.New("sip: bad outgoing request")
	// ErrBadResponse reports a response that cannot be used, such as a 2xx
	// that creates a dialog without a To tag (RFC 3261 §12.1.2).
	ErrBadResponse = errors.New("sip: malformed response")
)

// Internal errors.
var (
	// errUntrusted is authorize's verdict on a request from a source that is
	// neither a trusted peer nor authenticated.
	errUntrusted = errors.New("sip: source not trusted")
	// errTLSName reports a pooled TLS connection whose certificate does not
	// cover the name a request needs.
	errTLSName = errors.New("sip: TLS connection not valid for the destination name")
	// errNoResponse reports a transaction that ended without a response.
	errNoResponse = errors.New("sip: no response")
)
