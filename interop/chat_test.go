//go:build interop && linux

package interop

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sxgw/sxgw/internal/dnsres"
	"github.com/sxgw/sxgw/sip"
	"github.com/sxgw/sxgw/sip/msrp"
	"github.com/sxgw/sxgw/translate"
)

// msrpInbox collects what the test's MSRP client receives.
type msrpInbox chan *msrp.Message

func (in msrpInbox) MSRPMessage(_ *msrp.Session, m *msrp.Message) { in <- m }
func (in msrpInbox) MSRPReport(*msrp.Session, *msrp.Message)      {}
func (in msrpInbox) MSRPClosed(*msrp.Session, error)              {}

// TestChatMSRP: a SIP user agent built on the project's SIP and MSRP
// stacks opens an MSRP chat (RFC 7573 §5) with alice@xmpp.test through
// sxgw: its messages reach alice as type='chat' with the Call-ID as
// <thread/>, a 200 KiB message arrives whole after chunking, alice's reply
// comes back over the same MSRP session, chat states cross both ways, and
// the BYE reaches alice as the gone chat state.
func TestChatMSRP(t *testing.T) {
	f := startFederation(t)
	alice := startXMPPClient(t, f.prosody, "alice")
	_, port, _ := net.SplitHostPort(f.sxgw.SIPAddr)
	p, _ := strconv.Atoi(port)
	// The SIP face of xmpp.test is sxgw.
	f.dns.AddSRV("_sip._udp."+prosodyDomain, "sip-gw."+prosodyDomain, uint16(p), 0, 0)
	f.dns.AddA("sip-gw."+prosodyDomain, "127.0.0.1")

	res, err := dnsres.New(dnsres.Options{Server: dnsAddr})
	if err != nil {
		t.Fatal(err)
	}
	ua, err := sip.New(sip.Options{Listen: []string{"udp:127.0.0.1:0"}, Domains: []string{sxgwDomain},
		TrustedPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Resolver: res})
	if err != nil {
		t.Fatal(err)
	}
	if err := ua.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ua.Close() })
	me, err := msrp.NewEndpoint(msrp.EndpointOptions{Listen: "127.0.0.1:0", Host: "127.0.0.1", ConnectTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := me.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = me.Close(ctx)
	})
	inbox := make(msrpInbox, 16)
	sess := me.NewSession(inbox, []string{"*"})
	mport := me.Addr().(*net.TCPAddr).Port
	offer := msrp.BuildSDP("127.0.0.1", 1, 1, msrp.Media{Port: mport, Path: sess.LocalPath(),
		AcceptTypes: []string{"text/plain", "message/cpim"}, Setup: msrp.SetupActPass})

	ctx := testContext(t, 2*federationWait)
	d := translate.SIPDialog{CallID: "chat-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "@ua", LocalTag: "ua-tag",
		LocalURI: "sip:carol@" + sxgwDomain, RemoteURI: "sip:alice@" + prosodyDomain}
	d, answer, err := ua.Invite(ctx, d, offer, "Open chat with alice?", nil)
	if err != nil {
		t.Fatalf("INVITE: %v", err)
	}
	media, _, err := msrp.ParseMedia(answer)
	if err != nil || media.Setup != msrp.SetupPassive {
		t.Fatalf("answer %v setup %q:\n%s", err, media.Setup, answer)
	}
	if err := sess.Connect(ctx, media.Path, true); err != nil {
		t.Fatalf("MSRP connect: %v", err)
	}
	if _, err := sess.Send(ctx, "text/plain", []byte("Hello over MSRP"), false, ""); err != nil {
		t.Fatalf("SEND: %v", err)
	}
	ev, err := alice.WaitEvent(ctx, func(e xmppEvent) bool { return e.Str("event") == "message" && e.Str("body") == "Hello over MSRP" })
	if err != nil {
		t.Fatalf("alice did not get the chat message: %v", err)
	}
	if ev.Str("type") != "chat" || ev.Str("from") != "carol@"+sxgwDomain || !strings.Contains(ev.Str("xml"), "<thread>"+d.CallID+"</thread>") {
		t.Errorf("chat stanza: %s", ev.Str("xml"))
	}
	big := strings.Repeat("0123456789abcdef", 200*1024/16)
	if _, err := sess.Send(ctx, "text/plain", []byte(big), false, ""); err != nil {
		t.Fatalf("SEND 200 KiB: %v", err)
	}
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool { return e.Str("event") == "message" && e.Str("body") == big }); err != nil {
		t.Fatalf("the 200 KiB message did not arrive whole: %v", err)
	}
	alice.MustCommand(ctx, map[string]any{"cmd": "send_message", "to": "carol@" + sxgwDomain, "body": "Hi carol, over the same session", "type": "chat"})
	select {
	case m := <-inbox:
		if string(m.Body) != "Hi carol, over the same session" {
			t.Errorf("MSRP client got %q", m.Body)
		}
	case <-ctx.Done():
		t.Fatal("alice's reply never came over MSRP")
	}
	// Chat states round trip (RFC 7573 §6): isComposing active -> composing,
	// and alice's composing -> isComposing active over the same session.
	composing := `<?xml version="1.0" encoding="UTF-8"?><isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state><contenttype>text/plain</contenttype></isComposing>`
	if _, err := sess.Send(ctx, "application/im-iscomposing+xml", []byte(composing), false, ""); err != nil {
		t.Fatalf("SEND isComposing: %v", err)
	}
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "message" && strings.Contains(e.Str("xml"), "<composing xmlns=\"http://jabber.org/protocol/chatstates\"")
	}); err != nil {
		t.Fatalf("isComposing did not reach alice as composing: %v", err)
	}
	alice.MustCommand(ctx, map[string]any{"cmd": "send_raw", "xml": `<message xmlns="jabber:client" to="carol@sip.test" type="chat"><composing xmlns="http://jabber.org/protocol/chatstates"/></message>`})
	select {
	case m := <-inbox:
		if msrp.MediaType(m.ContentType) != "application/im-iscomposing+xml" || !strings.Contains(string(m.Body), "<state>active</state>") {
			t.Errorf("alice's composing arrived as %s: %s", m.ContentType, m.Body)
		}
	case <-ctx.Done():
		t.Fatal("alice's composing never came over MSRP")
	}
	if _, err := ua.Bye(ctx, d); err != nil {
		t.Fatalf("BYE: %v", err)
	}
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "message" && strings.Contains(e.Str("xml"), "<gone xmlns=\"http://jabber.org/protocol/chatstates\"")
	}); err != nil {
		t.Fatalf("BYE did not reach alice as gone: %v", err)
	}
}

// TestChatFromXMPPSipp: alice's chat message to carol@sip.test opens an
// MSRP chat (RFC 7573 §4): sxgw's INVITE, SDP offer and ACK are accepted by
// a third-party SIP stack (sipp). sipp speaks no MSRP, so its session never
// connects: sxgw ends the chat with BYE and alice gets an error, not
// silence.
func TestChatFromXMPPSipp(t *testing.T) {
	f := startFederation(t)
	uas := startSippUAS(t, "chat_uas.xml", nil)
	publishSRV(f.dns, "_sip._udp."+sxgwDomain, "ua."+sxgwDomain, uas.Port)
	alice := startXMPPClient(t, f.prosody, "alice")
	ctx := testContext(t, 2*federationWait)
	alice.MustCommand(ctx, map[string]any{"cmd": "send_raw", "xml": `<message xmlns="jabber:client" to="carol@sip.test" id="chat-1" type="chat"><body>Hello over MSRP?</body></message>`})
	trace := uas.wait(t, 2*federationWait)
	for _, want := range []string{"INVITE sip:carol@sip.test SIP/2.0", "Content-Type: application/sdp", "m=message ", " TCP/MSRP *",
		"a=path:msrp://", "a=setup:actpass", "a=accept-types:", "ACK sip:carol@", "BYE sip:carol@"} {
		if !strings.Contains(trace, want) {
			t.Errorf("the chat's signalling lacks %q:\n%s", want, trace)
		}
	}
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "message" && e.Str("type") == "error" && e.Str("id") == "chat-1"
	}); err != nil {
		t.Fatalf("alice got no error for the failed chat: %v", err)
	}
}
