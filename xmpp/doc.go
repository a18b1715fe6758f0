// Package xmpp is the XMPP face of sxgw: an XMPP server-to-server endpoint
// (RFC 6120 §4–§6 stream negotiation with STARTTLS, SASL EXTERNAL per
// XEP-0178 and Server Dialback per XEP-0220/XEP-0185), written on the
// standard library because mellium cannot accept s2s streams, and the
// XEP-0114 component protocol as an alternative deployment behind an
// existing XMPP server.
//
// Both deployments share one routing surface: [Router] hands authenticated
// inbound stanzas to the core and sends the core's stanzas out. The package
// answers the stanzas that concern the gateway as an XMPP entity itself
// (service discovery, software version, ping) and replies to every IQ it
// cannot handle, so nothing is dropped silently.
package xmpp
