// Package certs provides the gateway's TLS certificate: the operator's configured
// certificate and key, or else a self-signed one kept in the data directory and renewed
// when it nears expiry or stops covering the gateway's domains.
//
// The certificate serves both as a server certificate (inbound s2s, SIP over TLS) and as
// a client certificate (outbound s2s, where the receiving server checks the initiating
// server's certificate, RFC 6120 §13.7.1.4 and XEP-0178), so it carries both the
// serverAuth and clientAuth extended key usages.
package certs
