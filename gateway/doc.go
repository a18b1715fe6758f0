// Package gateway is the core of sxgw: the only package that knows both SIP
// and XMPP exist.
//
// It resolves identities and routes between the two sides (RFC 7247),
// keeps per-conversation ordering for group chats, calls and shared edits,
// hosts the rooms of the conference domain, and uses the store. The sip and
// xmpp packages deliver inbound traffic to it through the interfaces they
// declare, and it reaches them through the interfaces declared in ports.go;
// cmd/sxgw wires the pieces together.
//
// The package also serves the admin HTTP endpoints (Admin): /metrics for
// Prometheus, /healthz for liveness and /readyz for readiness, the latter
// reporting the named checks recorded in a Health.
package gateway
