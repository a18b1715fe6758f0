package xmpp

import (
	"errors"
	"fmt"
)

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

	// errLinkGone reports an outbound link that stopped for idleness; the
	// sender looks the link up again.
	errLinkGone = errors.New("xmpp: outbound link closed")

	// errDialbackInvalid and errDialbackFailed report the two ways an
	// outbound dialback can fail (XEP-0220 §2.1.1): the key was found
	// invalid, or the receiving server answered with an error or went
	// away before answering.
	errDialbackInvalid = fmt.Errorf("xmpp: dialback key refused: %w", ErrAuth)
	errDialbackFailed  = fmt.Errorf("xmpp: dialback not completed: %w", ErrAuth)
)
