//go:build interop && linux

package interop

import (
	"context"
	"fmt"
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

// msrpInbox collects the messages an MSRP client receives.
type msrpInbox chan *msrp.Message

func (in msrpInbox) MSRPMessage(_ *msrp.Session, m *msrp.Message) { in <- m }
func (in msrpInbox) MSRPReport(*msrp.Session, *msrp.Message)      {}
func (in msrpInbox) MSRPClosed(*msrp.Session, error)              {}

// chatInbox collects what the chat test's MSRP client receives: messages,
// the REPORTs about the messages it sent, and the end of its session.
type chatInbox struct {
	msgs    chan *msrp.Message
	reports chan *msrp.Message
	closed  chan error
}

func newChatInbox() *chatInbox {
	return &chatInbox{msgs: make(chan *msrp.Message, 16), reports: make(chan *msrp.Message, 16), closed: make(chan error, 1)}
}

func (in *chatInbox) MSRPMessage(_ *msrp.Session, m *msrp.Message) { in.msgs <- m }
func (in *chatInbox) MSRPReport(_ *msrp.Session, r *msrp.Message)  { in.reports <- r }
func (in *chatInbox) MSRPClosed(_ *msrp.Session, err error)        { in.closed <- err }

// message waits for the next message the MSRP client receives.
func (in *chatInbox) message(ctx context.Context, t *testing.T, what string) *msrp.Message {
	t.Helper()
	select {
	case m := <-in.msgs:
		return m
	case <-ctx.Done():
		t.Fatalf("the MSRP client never got %s", what)
	}
	return nil
}

// byeRecorder is the test SIP user agent's Inbound: it records BYEs.
type byeRecorder struct{ byes chan translate.SIPDialog }

func (b byeRecorder) SIPMessage(context.Context, translate.SIPMessage) error { return nil }
func (b byeRecorder) SIPSubscribe(context.Context, translate.SIPSubscribe) (int, func(), error) {
	return 0, nil, &sip.StatusError{Code: 489, Reason: "Bad Event"}
}
func (b byeRecorder) SIPNotify(context.Context, translate.SIPNotify) error { return nil }
func (b byeRecorder) SIPInvite(context.Context, translate.SIPInvite, func(int)) ([]byte, error) {
	return nil, &sip.StatusError{Code: 488, Reason: "Not Acceptable Here"}
}
func (b byeRecorder) SIPAck(context.Context, translate.SIPDialog) {}
func (b byeRecorder) SIPBye(_ context.Context, d translate.SIPDialog) error {
	b.byes <- d
	return nil
}

// chatUA is the test's SIP user agent, carol@sip.test, built on the
// project's SIP and MSRP stacks, in an MSRP chat with alice through sxgw.
type chatUA struct {
	ua    *sip.Endpoint
	sess  *msrp.Session
	inbox *chatInbox
	byes  chan translate.SIPDialog
	d     translate.SIPDialog
}

// openChatUA publishes sxgw as the SIP face of xmpp.test, starts the user
// agent and opens an MSRP chat (RFC 7573 §5) with alice: INVITE with an
// actpass offer, sxgw's passive answer, our connection.
func openChatUA(ctx context.Context, t *testing.T, f federation) *chatUA {
	t.Helper()
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
	c := &chatUA{ua: ua, inbox: newChatInbox(), byes: make(chan translate.SIPDialog, 4)}
	ua.ServeInvites(byeRecorder{c.byes}, nil)
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
	c.sess = me.NewSession(c.inbox, []string{"*"})
	mport := me.Addr().(*net.TCPAddr).Port
	offer := msrp.BuildSDP("127.0.0.1", 1, 1, msrp.Media{Port: mport, Path: c.sess.LocalPath(),
		AcceptTypes: []string{"text/plain", "message/cpim"}, Setup: msrp.SetupActPass})

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
	if err := c.sess.Connect(ctx, media.Path, true); err != nil {
		t.Fatalf("MSRP connect: %v", err)
	}
	c.d = d
	return c
}

// TestChatMSRP: a SIP user agent built on the project's SIP and MSRP
// stacks opens an MSRP chat (RFC 7573 §5) with alice@xmpp.test through
// sxgw: its messages reach alice as type='chat' with the Call-ID as
// <thread/>, a 200 KiB message arrives whole after chunking, alice's reply
// comes back over the same MSRP session, chat states cross both ways,
// receipts map to MSRP REPORTs end to end both ways (RFC 7573 §7), and
// the BYE reaches alice as the gone chat state.
func TestChatMSRP(t *testing.T) {
	f := startFederation(t)
	alice := startXMPPClient(t, f.prosody, "alice")
	ctx := testContext(t, 2*federationWait)
	c := openChatUA(ctx, t, f)
	sess, d := c.sess, c.d
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
	if strings.Contains(ev.Str("xml"), "urn:xmpp:receipts") {
		t.Errorf("a SEND without Success-Report asked for a receipt: %s", ev.Str("xml"))
	}
	big := strings.Repeat("0123456789abcdef", 200*1024/16)
	if _, err := sess.Send(ctx, "text/plain", []byte(big), false, ""); err != nil {
		t.Fatalf("SEND 200 KiB: %v", err)
	}
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool { return e.Str("event") == "message" && e.Str("body") == big }); err != nil {
		t.Fatalf("the 200 KiB message did not arrive whole: %v", err)
	}
	alice.MustCommand(ctx, map[string]any{"cmd": "send_message", "to": "carol@" + sxgwDomain, "body": "Hi carol, over the same session", "type": "chat"})
	if m := c.inbox.message(ctx, t, "alice's reply"); string(m.Body) != "Hi carol, over the same session" {
		t.Errorf("MSRP client got %q", m.Body)
	} else if m.WantsSuccessReport() || m.FailureReport != msrp.ReportNo {
		// RFC 7573 §7: no receipt asked, so no reports.
		t.Errorf("reply with Success-Report %v Failure-Report %v", m.SuccessReport, m.FailureReport)
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
	if m := c.inbox.message(ctx, t, "alice's composing"); msrp.MediaType(m.ContentType) != "application/im-iscomposing+xml" || !strings.Contains(string(m.Body), "<state>active</state>") {
		t.Errorf("alice's composing arrived as %s: %s", m.ContentType, m.Body)
	}

	// Receipts, XMPP -> MSRP (RFC 7573 §7): alice's receipt request
	// becomes Success-Report: yes, and the client's success REPORT, not
	// the SEND's 200, becomes her <received/>.
	alice.MustCommand(ctx, map[string]any{"cmd": "send_raw", "xml": `<message xmlns="jabber:client" to="carol@sip.test" id="rcpt-chat-1" type="chat"><body>Please confirm</body><request xmlns="urn:xmpp:receipts"/></message>`})
	m := c.inbox.message(ctx, t, "alice's message asking for a receipt")
	if !strings.Contains(string(m.Body), "Please confirm") || !m.WantsSuccessReport() || m.FailureReport != msrp.ReportYes {
		t.Fatalf("message asking for a receipt: Success-Report %v Failure-Report %v: %s", m.SuccessReport, m.FailureReport, m.Body)
	}
	isReceipt := func(e xmppEvent) bool {
		return e.Str("event") == "message" && strings.Contains(e.Str("xml"), "urn:xmpp:receipts") && strings.Contains(e.Str("xml"), "rcpt-chat-1")
	}
	early, cancel := context.WithTimeout(ctx, 2*time.Second)
	if ev, err := alice.WaitEvent(early, isReceipt); err == nil {
		t.Errorf("alice got a receipt before the MSRP client reported: %s", ev.Str("xml"))
	}
	cancel()
	if err := sess.Report(ctx, m, msrp.StatusOK); err != nil {
		t.Fatalf("REPORT: %v", err)
	}
	if ev, err := alice.WaitEvent(ctx, isReceipt); err != nil {
		t.Fatalf("the success REPORT did not reach alice as a receipt: %v", err)
	} else if !strings.Contains(ev.Str("xml"), "<received xmlns=\"urn:xmpp:receipts\" id=\"rcpt-chat-1\"") || ev.Str("from") != "carol@"+sxgwDomain {
		t.Errorf("receipt: %s", ev.Str("xml"))
	}

	// Receipts, MSRP -> XMPP: Success-Report: yes becomes a receipt
	// request; the REPORT comes once alice's client acknowledges.
	id, err := sess.Send(ctx, "text/plain", []byte("Did you get this?"), true, "")
	if err != nil {
		t.Fatalf("SEND with Success-Report: %v", err)
	}
	ev, err = alice.WaitEvent(ctx, func(e xmppEvent) bool { return e.Str("event") == "message" && e.Str("body") == "Did you get this?" })
	if err != nil {
		t.Fatalf("alice did not get the message asking for a receipt: %v", err)
	}
	if !strings.Contains(ev.Str("xml"), "<request xmlns=\"urn:xmpp:receipts\"") || ev.Str("id") == "" {
		t.Fatalf("no receipt request: %s", ev.Str("xml"))
	}
	select {
	case r := <-c.inbox.reports:
		t.Fatalf("REPORT %v before alice's receipt", r.Status)
	case <-time.After(2 * time.Second):
	}
	alice.MustCommand(ctx, map[string]any{"cmd": "send_raw", "xml": `<message xmlns="jabber:client" to="carol@sip.test" id="ack-1" type="chat"><received xmlns="urn:xmpp:receipts" id="` + ev.Str("id") + `"/></message>`})
	select {
	case r := <-c.inbox.reports:
		if r.MessageID != id || r.Status.Code != msrp.StatusOK || r.ByteRange.End != int64(len("Did you get this?")) {
			t.Errorf("REPORT %s %v %v, want a success for %s", r.MessageID, r.Status, r.ByteRange, id)
		}
	case <-ctx.Done():
		t.Fatal("alice's receipt never came back as a REPORT")
	}

	if _, err := c.ua.Bye(ctx, d); err != nil {
		t.Fatalf("BYE: %v", err)
	}
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "message" && strings.Contains(e.Str("xml"), "<gone xmlns=\"http://jabber.org/protocol/chatstates\"")
	}); err != nil {
		t.Fatalf("BYE did not reach alice as gone: %v", err)
	}
}

// TestChatMSRPIdle: with msrp.chat_idle set short, a chat without
// traffic ends (RFC 7573 §6.1): a BYE to the SIP user agent, and the gone
// chat state to alice.
func TestChatMSRPIdle(t *testing.T) {
	const idle = 3 * time.Second
	if _, err := sxgwBinary(); err != nil {
		t.Fatal(err)
	}
	dns := startDNS(t)
	f := federation{dns: dns, prosody: startProsody(t, t.TempDir(), dns)}
	f.sxgw = startSXGW(t, t.TempDir(), dns, func(c sxgwConfig) { c["msrp"]["chat_idle"] = idle.String() })
	alice := startXMPPClient(t, f.prosody, "alice")
	ctx := testContext(t, 2*federationWait)
	c := openChatUA(ctx, t, f)
	if _, err := c.sess.Send(ctx, "text/plain", []byte("Then silence"), false, ""); err != nil {
		t.Fatalf("SEND: %v", err)
	}
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool { return e.Str("event") == "message" && e.Str("body") == "Then silence" }); err != nil {
		t.Fatalf("alice did not get the chat message: %v", err)
	}
	quiet := time.Now()
	select {
	case d := <-c.byes:
		if d.CallID != c.d.CallID {
			t.Errorf("BYE in dialog %q, want %q", d.CallID, c.d.CallID)
		}
		if waited := time.Since(quiet); waited > idle+10*time.Second {
			t.Errorf("BYE %v after the last message, chat_idle %v", waited, idle)
		}
	case <-ctx.Done():
		t.Fatal("the idle chat was never ended with a BYE")
	}
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool {
		return e.Str("event") == "message" && strings.Contains(e.Str("xml"), "<gone xmlns=\"http://jabber.org/protocol/chatstates\"") &&
			strings.Contains(e.Str("xml"), "<thread>"+c.d.CallID+"</thread>")
	}); err != nil {
		t.Fatalf("the idle end did not reach alice as gone: %v", err)
	}
	select {
	case <-c.inbox.closed:
	case <-ctx.Done():
		t.Fatal("the MSRP session of the idle chat stayed open")
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
	// sipp answered a=setup:active but never connects: counted.
	if err := f.sxgw.WaitMetrics(ctx, "the setup failure counted", func(m metrics) error {
		if v, _ := m.Value("sxgw_msrp_session_setup_failures_total", "reason", "connect_timeout"); v != 1 {
			return fmt.Errorf("connect_timeout setup failures: %v, want 1", v)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}
