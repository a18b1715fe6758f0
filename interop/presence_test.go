//go:build interop && linux

package interop

import (
	"strings"
	"testing"
	"time"
)

// TestPresenceSIPWatcher: sipp (carol@sip.test) SUBSCRIBEs to alice's
// presence through sxgw (RFC 8048 §5.3). Alice sees a subscription request
// from carol@sip.test and approves; carol's NOTIFYs go from pending to
// active with a PIDF whose basic and note follow alice's presence, a status
// change brings a new NOTIFY, and alice going offline a closed one.
func TestPresenceSIPWatcher(t *testing.T) {
	f := startFederation(t)
	alice := startXMPPClient(t, f.prosody, "alice")
	uac := startSipp(t, "subscribe_uac.xml", f.sxgw.SIPAddr, sippKeys{"to_user": "alice", "to_domain": prosodyDomain})
	ctx := testContext(t, 2*federationWait)
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "presence" && e.Str("type") == "subscribe" && e.Str("from") == "carol@"+sxgwDomain
	}); err != nil {
		t.Fatalf("alice saw no subscription request from carol: %v", err)
	}
	uac.waitTrace(t, "Subscription-State: pending", federationWait)
	alice.MustCommand(ctx, map[string]any{"cmd": "send_presence", "to": "carol@" + sxgwDomain, "type": "subscribed"})
	uac.waitTrace(t, "Subscription-State: active", federationWait)
	alice.MustCommand(ctx, map[string]any{"cmd": "send_presence", "show": "away", "status": "In a meeting"})
	uac.waitTrace(t, "In a meeting</note>", federationWait)
	alice.MustCommand(ctx, map[string]any{"cmd": "send_presence", "status": "Back at my desk"})
	uac.waitTrace(t, "Back at my desk", federationWait)
	alice.Close() // offline: Prosody sends unavailable to carol
	trace := uac.wait(t, federationWait)
	for _, want := range []string{"<basic>open</basic>", "<show xmlns=\"jabber:client\">away</show>", "<basic>closed</basic>", "Event: presence", "Content-Type: application/pidf+xml"} {
		if !strings.Contains(trace, want) {
			t.Errorf("no NOTIFY carried %q", want)
		}
	}
}

// TestPresenceXMPPWatcherSurvivesRestart: alice subscribes to
// carol@sip.test; sxgw SUBSCRIBEs to carol's SIP UA (sipp, found through
// _sip._udp.sip.test) and, on its active NOTIFY, tells alice "subscribed"
// and carol's presence (RFC 8048 §5.2, §6.3). sxgw then restarts: the
// subscription is resumed from the store, so carol's next NOTIFY in the
// same dialog is accepted and reaches alice, and no second SUBSCRIBE is
// sent (sipp fails on an unexpected request).
func TestPresenceXMPPWatcherSurvivesRestart(t *testing.T) {
	f := startFederation(t)
	uas := startSippUAS(t, "subscribe_uas.xml", sippKeys{"note1": "Available via SIP", "note2": "Out for lunch"})
	publishSRV(f.dns, "_sip._udp."+sxgwDomain, "ua."+sxgwDomain, uas.Port)
	alice := startXMPPClient(t, f.prosody, "alice")
	ctx := testContext(t, 2*federationWait)
	alice.MustCommand(ctx, map[string]any{"cmd": "send_presence", "to": "carol@" + sxgwDomain, "type": "subscribe"})
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "presence" && e.Str("type") == "subscribed" && e.Str("from") == "carol@"+sxgwDomain
	}); err != nil {
		t.Fatalf("alice was not told subscribed: %v", err)
	}
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "presence" && e.Str("status") == "Available via SIP" && strings.HasPrefix(e.Str("from"), "carol@"+sxgwDomain)
	}); err != nil {
		t.Fatalf("alice did not get carol's presence: %v", err)
	}
	restarted := time.Now()
	f.sxgw.Restart()
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "presence" && e.Str("status") == "Out for lunch"
	}); err != nil {
		t.Fatalf("carol's NOTIFY after the restart (%v ago) did not reach alice: %v", time.Since(restarted), err)
	}
	trace := uas.wait(t, federationWait)
	if n := strings.Count(trace, "SUBSCRIBE sip:carol@"+sxgwDomain); n != 1 {
		t.Errorf("%d SUBSCRIBE requests, want 1 (the restart must resume, not resubscribe)", n)
	}
}
