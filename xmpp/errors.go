package xmpp

import "errors"

// Sentinel errors.
var (
	// ErrConfig reports unusable options.
	ErrConfig = errors.New("xmpp: bad configuration")
	// ErrAuth reports that a peer refused to authenticate us.
	ErrAuth = errors.New("xmpp: authentication failed")
	// ErrNoTLS reports a peer that does not offer STARTTLS.
	ErrNoTLS = errors.New("xmpp: peer does not offer TLS")
	// ErrNoTarget reports a domain with no usable server address.
	ErrNoTarget = errors.New("xmpp: no server found for domain")
)
