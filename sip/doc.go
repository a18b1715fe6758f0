// Package sip is the SIP face of sxgw: a SIP endpoint (RFC 3261) built on
// github.com/emiago/sipgo.
//
// An [Endpoint] owns the listeners (UDP, TCP, TLS and WebSocket, RFC 7118),
// runs every incoming request through one pipeline — size limit, syntax checks,
// draining, authorization, Max-Forwards, Request-URI, Require — and only then
// hands it to the handler registered for its method with [Endpoint.Handle].
// Every response it sends carries a Server header; unregistered methods get
// 405 with an Allow header listing what is registered; OPTIONS is answered
// with the capabilities actually installed (RFC 3261 §11).
//
// Outgoing out-of-dialog requests go through [Endpoint.Do], which finds the
// next hop with the RFC 3263 client procedure ([Endpoint.Locate]: NAPTR, SRV,
// A/AAAA over the injected [Resolver]) or sends everything to a configured
// outbound proxy, and fails over between targets (RFC 3263 §4.3).
//
// The endpoint knows nothing about XMPP: what it needs from the core is
// declared by [Inbound].
package sip
