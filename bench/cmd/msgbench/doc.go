// Command msgbench measures sxgw's message throughput against real peers
// on loopback: sipp as the SIP user agents, a Go s2s server or Prosody
// (with a Go c2s client as the final recipient) as the XMPP side, and a
// loopback DNS server whose SRV records tie them together (RFC 2782,
// RFC 6120 §3.2.1, RFC 3263 §4.2).
//
// It runs three directions, each against a fresh sxgw, in steps of
// increasing rate:
//
//   - sip-go: sipp sends MESSAGE (RFC 3428) to sxgw, which sends message
//     stanzas over s2s to a Go server for xmpp.test;
//   - sip-prosody: the same into Prosody, which delivers to a Go c2s
//     client;
//   - xmpp-sip: the Go server sends message stanzas for many
//     carolN@sip.test users over s2s; sxgw sends MESSAGE to the sipp UAS
//     found through _sip._udp.sip.test.
//
// Every message carries its send time in its body, so the latency reported
// is end to end (sender to final recipient), not the SIP response time
// (which includes the gateway's wait for an XMPP error). For each step it
// prints the offered and delivered rate, loss, SIP retransmissions and
// failures, latency percentiles and sxgw's CPU time per message (from
// /proc/<pid>/stat), then the highest rate sustained with less than 0.1%
// loss and no retransmission, and the latency at half that rate.
//
// It starts every process it needs (sxgw, Prosody, sipp) as its own
// children, stops them by PID, and kills them if it dies. The DNS server
// must listen on port 53 (Prosody's resolver queries nothing else), so it
// needs root. bench/messages.sh builds and runs it.
package main
