// Package dnsres is the DNS resolver both the SIP and the XMPP side use: SRV lookups in
// RFC 2782 order, NAPTR lookups in RFC 3403 order (for RFC 3263 server location) and
// address lookups, sent with miekg/dns to one configured server or to the system's.
//
// A name that does not exist (NXDOMAIN) or has no records of the asked type (NODATA) is
// not an error: the lookup returns nothing and a nil error. Only real failures (timeout,
// SERVFAIL, REFUSED, network errors) are errors. Answers are cached for their TTL, negative
// ones for the SOA minimum (RFC 2308 §5), in a bounded cache; callers always get their own
// copies.
package dnsres
