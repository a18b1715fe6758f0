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

// TestMessageXMPPToSIP: alice sends a message to carol@sip.test;
// Prosody routes it to sxgw over s2s, sxgw finds carol's SIP server through
// _sip._udp.sip.test (RFC 3263) and sends a MESSAGE that the sipp UAS
// receives with the body, from sip:alice@xmpp.test with her resource as gr.
func TestMessageXMPPToSIP(t *testing.T) {
	f := startFederation(t)
	uas := startSippUAS(t, "message_uas.xml", nil)
	publishSRV(f.dns, "_sip._udp."+sxgwDomain, "ua."+sxgwDomain, uas.Port)
	alice := startXMPPClient(t, f.prosody, "alice")
	ctx := testContext(t, federationWait)
	alice.MustCommand(ctx, map[string]any{"cmd": "send_message", "to": "carol@" + sxgwDomain, "body": "Hello from XMPP", "type": "normal"})
	msg := uas.wait(t, federationWait)
	for _, want := range []string{"MESSAGE sip:carol@sip.test SIP/2.0", "Hello from XMPP", "sip:alice@xmpp.test;gr=", "Content-Type: text/plain"} {
		if !strings.Contains(msg, want) {
			t.Errorf("MESSAGE lacks %q:\n%s", want, msg)
		}
	}
}

// TestMessageCPIMAndComposingSIPToXMPP: a CPIM MESSAGE asking for a
// delivery notification reaches alice as a message with its imdn.Message-ID
// as id and an XEP-0184 receipt request; an isComposing MESSAGE reaches her
// as an XEP-0085 composing chat state (RFC 7573 §6 Table 3).
func TestMessageCPIMAndComposingSIPToXMPP(t *testing.T) {
	f := startFederation(t)
	alice := startXMPPClient(t, f.prosody, "alice")
	runSippUAC(t, "message_uac_cpim.xml", f.sxgw.SIPAddr, nil)
	ctx := testContext(t, federationWait)
	ev, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "message" && strings.TrimSpace(e.Str("body")) == "Hello in CPIM"
	})
	if err != nil {
		t.Fatalf("the CPIM message did not arrive: %v", err)
	}
	if ev.Str("id") != "cpim-42" || !strings.Contains(ev.Str("xml"), "urn:xmpp:receipts") {
		t.Errorf("id %q / receipt request missing: %s", ev.Str("id"), ev.Str("xml"))
	}
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "message" && strings.Contains(e.Str("xml"), "<composing xmlns=\"http://jabber.org/protocol/chatstates\"")
	}); err != nil {
		t.Fatalf("no composing chat state: %v", err)
	}
}

// TestMessageReceiptAndComposingXMPPToSIP: alice's message with an XEP-0184
// receipt request goes to SIP as message/cpim asking for a delivery
// notification (RFC 5438); carol's UA answers 200 and alice gets the
// receipt. Her composing chat state arrives as isComposing active.
func TestMessageReceiptAndComposingXMPPToSIP(t *testing.T) {
	f := startFederation(t)
	uas := startSippUAS(t, "message_uas2.xml", nil)
	publishSRV(f.dns, "_sip._udp."+sxgwDomain, "ua."+sxgwDomain, uas.Port)
	alice := startXMPPClient(t, f.prosody, "alice")
	ctx := testContext(t, federationWait)
	alice.MustCommand(ctx, map[string]any{"cmd": "send_raw", "xml": `<message xmlns="jabber:client" to="carol@sip.test" id="rcpt-1" type="normal"><body>Did you get this?</body><request xmlns="urn:xmpp:receipts"/></message>`})
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "message" && strings.Contains(e.Str("xml"), "received") && strings.Contains(e.Str("xml"), "rcpt-1")
	}); err != nil {
		t.Fatalf("no receipt for rcpt-1: %v", err)
	}
	alice.MustCommand(ctx, map[string]any{"cmd": "send_raw", "xml": `<message xmlns="jabber:client" to="carol@sip.test" type="normal"><composing xmlns="http://jabber.org/protocol/chatstates"/></message>`})
	trace := uas.wait(t, federationWait)
	for _, want := range []string{"Content-Type: message/cpim", "imdn.Message-ID: rcpt-1", "positive-delivery", "Did you get this?",
		"Content-Type: application/im-iscomposing+xml", "<state>active</state>"} {
		if !strings.Contains(trace, want) {
			t.Errorf("MESSAGEs lack %q:\n%s", want, trace)
		}
	}
}
