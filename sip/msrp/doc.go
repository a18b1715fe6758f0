// Package msrp implements the Message Session Relay Protocol (RFC 4975):
// framing, chunking, reports and sessions over TCP and TLS.
package msrp
