//go:build interop

// Package interop holds sxgw's tests against real peers: Prosody as the XMPP
// server of the domain xmpp.test, slixmpp as its users, and the sxgw binary
// itself serving sip.test, all on the loopback interface.
//
// The tests are built only with the "interop" tag and need root: Prosody's
// resolver (libunbound) can only query port 53, so the test DNS server
// (internal/dnstest) listens on 127.0.0.2:53. Required packages are installed
// by scripts/install-test-deps.sh; run them with `make test` or
//
//	go test -tags interop -count=1 -p 1 ./interop/...
//
// Every process a test starts (Prosody, sxgw, the slixmpp driver
// xmppclient.py) runs with its own configuration and data in the test's
// temporary directory, is stopped by its PID when the test ends, and has its
// log printed when the test fails.
package interop
