// Package dnstest runs a real, authoritative DNS server for tests, serving records of fake
// domains (SRV, NAPTR, A, AAAA) over UDP and TCP on one address.
//
// Tests point the code under test at [Server.Addr] instead of mocking DNS. Answers follow
// the rules a resolver relies on: an unknown name gets NXDOMAIN and a known name without
// records of the asked type gets NOERROR with an empty answer (NODATA), both with an SOA
// record in the authority section (RFC 2308 §2.1, §2.2); UDP answers larger than the
// requester's buffer are truncated with the TC bit set (RFC 1035 §4.2.1, RFC 6891 §6.2.5)
// so the requester retries over TCP.
package dnstest
