package sip

// Inbound is what the SIP side needs from the core (implemented by the
// gateway, wired by main). Each SIP feature adds the calls its handlers make
// into the core here — e.g. delivering a MESSAGE (RFC 3428) or a presence
// SUBSCRIBE (RFC 3856) — so the SIP package never imports the gateway.
//
// It has no methods yet: the endpoint itself (transports, validation,
// routing, OPTIONS) needs nothing from the core.
type Inbound interface{}
