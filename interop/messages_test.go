//go:build interop && linux

package interop

import (
	"strings"
	"testing"
)

// TestMessageSIPToXMPP: a SIP user of sip.test sends MESSAGE to
// sip:alice@xmpp.test through sxgw; alice's XMPP client receives the body
// from carol@sip.test (RFC 7572 §5) and sipp gets 200.
func TestMessageSIPToXMPP(t *testing.T) {
	f := startFederation(t)
	alice := startXMPPClient(t, f.prosody, "alice")
	runSippUAC(t, "message_uac.xml", f.sxgw.SIPAddr, sippKeys{
		"from_user": "carol", "to_user": "alice", "to_domain": prosodyDomain,
		"ctype": "text/plain;charset=utf-8", "body": "Hello from SIP",
	})
	ctx := testContext(t, federationWait)
	ev, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "message" && strings.TrimSpace(e.Str("body")) == "Hello from SIP"
	})
	if err != nil {
		t.Fatalf("alice did not receive the message: %v", err)
	}
	if from := ev.Str("from"); from != "carol@sip.test" {
		t.Errorf("from = %q, want carol@sip.test", from)
	}
	if typ := ev.Str("type"); typ != "normal" && typ != "" {
		t.Errorf("type = %q, want normal (RFC 7572 §5)", typ)
	}
	if !strings.Contains(ev.Str("xml"), "<subject>interop</subject>") {
		t.Errorf("Subject not mapped to <subject/>: %s", ev.Str("xml"))
	}
}

// TestMessageSIPToUnknownXMPPUser: Prosody refuses a message to an account
// it does not have; the SIP sender gets the mapped status (RFC 7247 §7.2:
// service-unavailable -> 403), not 200.
func TestMessageSIPToUnknownXMPPUser(t *testing.T) {
	f := startFederation(t)
	runSippUAC(t, "message_uac_403.xml", f.sxgw.SIPAddr, sippKeys{
		"from_user": "carol", "to_user": "nobody", "to_domain": prosodyDomain,
		"ctype": "text/plain", "body": "anyone there?",
	})
}

// TestMessageXMPPToSIP: alice sends a chat message to carol@sip.test;
// Prosody routes it to sxgw over s2s, sxgw finds carol's SIP server through
// _sip._udp.sip.test (RFC 3263) and sends a MESSAGE that the sipp UAS
// receives with the body, from sip:alice@xmpp.test with her resource as gr.
func TestMessageXMPPToSIP(t *testing.T) {
	f := startFederation(t)
	uas := startSippUAS(t, "message_uas.xml", nil)
	publishSRV(f.dns, "_sip._udp."+sxgwDomain, "ua."+sxgwDomain, uas.Port)
	alice := startXMPPClient(t, f.prosody, "alice")
	ctx := testContext(t, federationWait)
	alice.MustCommand(ctx, map[string]any{"cmd": "send_message", "to": "carol@" + sxgwDomain, "body": "Hello from XMPP", "type": "chat"})
	msg := uas.wait(t, federationWait)
	for _, want := range []string{"MESSAGE sip:carol@sip.test SIP/2.0", "Hello from XMPP", "sip:alice@xmpp.test;gr=", "Content-Type: text/plain"} {
		if !strings.Contains(msg, want) {
			t.Errorf("MESSAGE lacks %q:\n%s", want, msg)
		}
	}
}
