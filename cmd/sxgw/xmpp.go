package main

import "context"

// startXMPP is the single place where the XMPP side (the s2s listener and
// dialer, or the XEP-0114 component connection) is started. It is called
// after the SIP endpoint has started; it must register its shutdown with
// a.onClose, report its readiness as the "xmpp" check in a.health, and can
// use a.cfg, a.log, a.reg, a.resolver, a.store and a.xmppCert (the s2s
// certificate, nil in component mode).
//
// The XMPP side is not wired in yet: nothing is started and the "xmpp" check
// is reported ok.
func startXMPP(_ context.Context, a *app) error {
	a.health.SetReady("xmpp", true, "")
	return nil
}
