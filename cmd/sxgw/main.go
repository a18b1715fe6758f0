// Command sxgw runs the SIP/XMPP gateway.
//
//	sxgw -config sxgw.toml              run the gateway
//	sxgw -config sxgw.toml -check-config load and validate, then exit
//	sxgw -print-example-config          print every key with its default
//	sxgw -version                       print version information
//	sxgw sdp2jingle [-action A] [-role R] [-sid S]
//	                                    translate SDP on stdin to <jingle/>
//	sxgw jingle2sdp [-role R] [-sess-id N]
//	                                    translate <jingle/> on stdin to SDP
//
// The two translation tools run the gateway's own SDP<->Jingle code; -role
// is the Jingle role of the SIP party. Input that cannot be translated
// exits 2 with one line on stderr saying what SIP and XMPP would answer.
//
// SIGTERM or SIGINT drains the gateway (readiness turns 503, new SIP
// requests get 503) for up to gateway.drain_timeout, closes everything and
// exits 0; a second signal exits 1 at once.
//
// Exit status: 0 success, 1 runtime failure or forced exit, 2 bad usage or
// configuration problems.
//
// This package holds no gateway logic: it reads flags and configuration,
// builds the logger and wires the packages together.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
