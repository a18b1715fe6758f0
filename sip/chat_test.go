package sip

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sxgw/sxgw/sip/msrp"
	"github.com/sxgw/sxgw/translate"
)

// Chat test parties: alice, a SIP user agent, chats with carol, an XMPP
// user behind the core.
const (
	chatFrom  = `"Alice" <sip:alice@sip.test>;tag=chat-alice`
	chatTo    = "sip:carol@sip.test"
	chatToHdr = "<" + chatTo + ">"
	chatMSRP  = "msrp://127.0.0.1:9/alicechat;tcp"
)

// chatReport is one SIPChatReport call.
type chatReport struct {
	token  string
	status int
}

// receiptCore is a ChatInbound with ChatReceiptInbound: messages that
// ask for a success report go to asks and are answered by answer;
// reports go to reports; refuse, when set, refuses every chat.
type receiptCore struct {
	*chatCore
	asks    chan translate.SIPMessage
	reports chan chatReport
	refuse  atomic.Pointer[StatusError]
	answer  func(translate.SIPMessage) (bool, error)
}

func newReceiptCore() *receiptCore {
	return &receiptCore{
		chatCore: newChatCore(),
		asks:     make(chan translate.SIPMessage, 16),
		reports:  make(chan chatReport, 16),
		answer:   func(translate.SIPMessage) (bool, error) { return true, nil },
	}
}

var _ ChatReceiptInbound = (*receiptCore)(nil)

func (c *receiptCore) SIPChatStart(ctx context.Context, ch translate.SIPChat) error {
	if se := c.refuse.Load(); se != nil {
		return se
	}
	return c.chatCore.SIPChatStart(ctx, ch)
}

func (c *receiptCore) SIPChatMessageReceipt(_ context.Context, _ translate.SIPChat, m translate.SIPMessage) (bool, error) {
	m.Body = append([]byte(nil), m.Body...)
	c.asks <- m
	return c.answer(m)
}

func (c *receiptCore) SIPChatReport(_ context.Context, _ translate.SIPChat, token string, status int) {
	c.reports <- chatReport{token, status}
}

func (c *receiptCore) ask(t *testing.T) translate.SIPMessage {
	t.Helper()
	select {
	case m := <-c.asks:
		return m
	case <-time.After(roomWait):
		t.Fatal("no message asking for a receipt reached the core")
	}
	return translate.SIPMessage{}
}

func (c *receiptCore) report(t *testing.T) chatReport {
	t.Helper()
	select {
	case r := <-c.reports:
		return r
	case <-time.After(roomWait):
		t.Fatal("no REPORT reached the core")
	}
	return chatReport{}
}

// startChatsWith starts an endpoint serving chats for in with an MSRP
// endpoint whose connect timeout is connect; it returns the SIP
// endpoint's metrics registry too.
func startChatsWith(t *testing.T, in ChatInbound, connect time.Duration) (*Endpoint, *prometheus.Registry) {
	t.Helper()
	e, reg := startEndpoint(t, Options{Domains: []string{"sip.test"}})
	m, err := msrp.NewEndpoint(msrp.EndpointOptions{Listen: "127.0.0.1:0", ConnectTimeout: connect,
		Registerer: prometheus.NewRegistry(), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), roomWait)
	defer cancel()
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), roomWait)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("MSRP Close: %v", err)
		}
	})
	e.ServeChats(in, m, "127.0.0.1")
	return e, reg
}

// chatSDP is alice's MSRP offer or answer with her path and a=setup.
func chatSDP(path, setup string) string {
	return "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=message 9 TCP/MSRP *\r\na=accept-types:message/cpim text/plain\r\na=path:" + path + "\r\na=setup:" + setup + "\r\n"
}

// openChat plays alice opening a chat with carol: INVITE, 200, ACK, and
// the MSRP connection she makes (a=setup:active).
func openChat(t *testing.T, p *sipPeer, callID string) *msrpPeer {
	t.Helper()
	p.send(p.wire("INVITE", chatTo, chatFrom, chatToHdr, callID, 1,
		[]string{"Content-Type: application/sdp"}, chatSDP(chatMSRP, msrp.SetupActive)))
	res := p.response("INVITE")
	if res.StatusCode != 200 {
		t.Fatalf("INVITE: %d %s", res.StatusCode, res.Reason)
	}
	p.send(p.wire("ACK", res.Contact().Address.String(), chatFrom, res.To().Value(), callID, 1, nil, ""))
	return dialMSRP(t, pathOf(t, res.Body()), chatMSRP)
}

// sendAsking sends a complete text message with Message-ID id asking for
// a success report and with Failure-Report fr.
func (p *msrpPeer) sendAsking(tid, id, body string, fr msrp.ReportMode) {
	p.t.Helper()
	n := int64(len(body))
	p.write(&msrp.Message{TransactionID: tid, Method: msrp.MethodSEND, ToPath: p.to, FromPath: msrp.Path{p.self},
		MessageID: id, SuccessReport: msrp.ReportYes, FailureReport: fr, ContentType: "text/plain",
		Body: []byte(body), ByteRange: msrp.ByteRange{Start: 1, End: n, Total: n}})
}

// reportFor reads frames until the REPORT about Message-ID id and
// returns it, failing on a REPORT about any of the ids in never.
func (p *msrpPeer) reportFor(id string, never ...string) *msrp.Message {
	p.t.Helper()
	for range 16 {
		m := p.read()
		if m.Method != msrp.MethodREPORT {
			continue
		}
		for _, x := range never {
			if m.MessageID == x {
				p.t.Fatalf("unexpected REPORT about %s: %v", x, m.Status)
			}
		}
		if m.MessageID == id {
			return m
		}
	}
	p.t.Fatalf("no REPORT about %s", id)
	return nil
}

// TestChatReceiptsFromSIP: RFC 7573 §7, MSRP -> XMPP. A SEND asking for
// a success report reaches the core as SIPChatMessageReceipt and its
// REPORT waits for ChatReceipt (the XMPP receipt), once; a message the
// core asks no receipt for is reported at once, a refused one with a
// failure REPORT.
func TestChatReceiptsFromSIP(t *testing.T) {
	core := newReceiptCore()
	core.answer = func(m translate.SIPMessage) (bool, error) {
		switch string(m.Body) {
		case "typing":
			return false, nil
		case "refused":
			return false, &StatusError{Code: 403, Reason: "Forbidden"}
		}
		return true, nil
	}
	e, _ := startChatsWith(t, core, roomWait)
	p := newSIPPeer(t, e, "alice")
	mp := openChat(t, p, "receipts-1@peer.test")
	id := core.await(t, "chatstart")

	mp.sendAsking("t1", "msg-a", "hello", msrp.ReportUnset)
	if m := core.ask(t); m.TransactionID != "msg-a" || string(m.Body) != "hello" || m.ContentType != "text/plain" {
		t.Fatalf("core got %+v", m)
	}
	// Asked no receipt: reported at once, and the REPORT for msg-a is
	// still owed.
	mp.sendAsking("t2", "msg-b", "typing", msrp.ReportUnset)
	core.ask(t)
	if r := mp.reportFor("msg-b", "msg-a"); r.Status.Code != msrp.StatusOK {
		t.Fatalf("REPORT for msg-b: %v", r.Status)
	}
	mp.sendAsking("t3", "msg-c", "refused", msrp.ReportYes)
	core.ask(t)
	if r := mp.reportFor("msg-c", "msg-a"); r.Status.Code != 403 {
		t.Fatalf("REPORT for the refused message: %v", r.Status)
	}

	// The receipt: the success REPORT, with the whole message's range.
	if err := e.ChatReceipt(doCtx(t), id, "msg-a"); err != nil {
		t.Fatal(err)
	}
	r := mp.reportFor("msg-a")
	if r.Status.Code != msrp.StatusOK || r.ByteRange != (msrp.ByteRange{Start: 1, End: 5, Total: 5}) || !r.ToPath.Equal(msrp.Path{mp.self}) {
		t.Fatalf("REPORT for msg-a: %v %v to %v", r.Status, r.ByteRange, r.ToPath)
	}
	// Once only; unknown ids and chats.
	if err := e.ChatReceipt(doCtx(t), id, "msg-a"); err != nil {
		t.Errorf("second receipt: %v", err)
	}
	if err := e.ChatReceipt(doCtx(t), id, "never-sent"); err != nil {
		t.Errorf("receipt for an unknown message: %v", err)
	}
	var se *StatusError
	if err := e.ChatReceipt(doCtx(t), "no-such-chat", "msg-a"); !errors.As(err, &se) || se.Code != 481 {
		t.Errorf("receipt in an unknown chat: %v", err)
	}
	mp.sendAsking("t4", "msg-d", "typing", msrp.ReportUnset)
	core.ask(t)
	mp.reportFor("msg-d", "msg-a")

	// Without Success-Report: SIPChatMessage, as before.
	mp.sendText("t5", "text/plain", "no receipt")
	core.await(t, "chatmsg")
	select {
	case m := <-core.asks:
		t.Fatalf("a message without Success-Report asked for a receipt: %q", m.Body)
	default:
	}
}

// TestChatReceiptsToSIP: RFC 7573 §7, XMPP -> MSRP. ChatSendReceipt asks
// for success and failure reports and the REPORT reaches the core by its
// token: success, failure, not a partial success; an error response
// fails the send and a later REPORT for it is not passed on. ChatSend
// asks for none (Failure-Report: no).
func TestChatReceiptsToSIP(t *testing.T) {
	core := newReceiptCore()
	e, _ := startChatsWith(t, core, roomWait)
	p := newSIPPeer(t, e, "alice")
	mp := openChat(t, p, "receipts-2@peer.test")
	id := core.await(t, "chatstart")

	// send runs ChatSendReceipt (or ChatSend without a token), answers
	// its SEND with code and returns the SEND and the send's error.
	send := func(body, token string, code int) (*msrp.Message, error) {
		t.Helper()
		done := make(chan error, 1)
		go func() {
			m := translate.SIPMessage{ContentType: "text/plain", Body: []byte(body)}
			if token == "" {
				done <- e.ChatSend(doCtx(t), id, m)
				return
			}
			done <- e.ChatSendReceipt(doCtx(t), id, m, token)
		}()
		req := mp.read()
		if req.Method != msrp.MethodSEND || string(req.Body) != body {
			t.Fatalf("got %s %q, want the SEND of %q", req.Method, req.Body, body)
		}
		if code != 0 {
			var res msrp.Message
			if err := res.InitResponse(req, code, ""); err != nil {
				t.Fatal(err)
			}
			mp.write(&res)
		}
		select {
		case err := <-done:
			return req, err
		case <-time.After(roomWait):
			t.Fatal("the send did not return")
		}
		return nil, nil
	}
	report := func(req *msrp.Message, code int, br msrp.ByteRange) {
		t.Helper()
		var r msrp.Message
		if err := r.InitReport(req, msrp.NewTransactionID(), code, ""); err != nil {
			t.Fatal(err)
		}
		if !br.IsZero() {
			r.ByteRange = br
		}
		mp.write(&r)
	}

	req, err := send("hi", "tok-1", msrp.StatusOK)
	if err != nil {
		t.Fatal(err)
	}
	if req.SuccessReport != msrp.ReportYes || req.FailureReport != msrp.ReportYes || msrp.MediaType(req.ContentType) != "text/plain" {
		t.Fatalf("SEND Success-Report %v Failure-Report %v Content-Type %q", req.SuccessReport, req.FailureReport, req.ContentType)
	}
	report(req, msrp.StatusOK, msrp.ByteRange{})
	if r := core.report(t); r != (chatReport{"tok-1", msrp.StatusOK}) {
		t.Fatalf("report %+v", r)
	}

	// A partial success does not count; the failure after it does.
	req, err = send("ok", "tok-2", msrp.StatusOK)
	if err != nil {
		t.Fatal(err)
	}
	report(req, msrp.StatusOK, msrp.ByteRange{Start: 1, End: 1, Total: 2})
	report(req, msrp.StatusUnsupportedMedia, msrp.ByteRange{})
	if r := core.report(t); r != (chatReport{"tok-2", msrp.StatusUnsupportedMedia}) {
		t.Fatalf("report %+v", r)
	}

	// An error response: the send fails; a REPORT after it is dropped.
	req, err = send("no", "tok-3", msrp.StatusUnsupportedMedia)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != msrp.StatusUnsupportedMedia {
		t.Fatalf("send refused with 415: %v", err)
	}
	report(req, msrp.StatusUnsupportedMedia, msrp.ByteRange{})
	req, err = send("marker", "tok-4", msrp.StatusOK)
	if err != nil {
		t.Fatal(err)
	}
	report(req, msrp.StatusOK, msrp.ByteRange{})
	if r := core.report(t); r.token != "tok-4" {
		t.Fatalf("report %+v, want tok-4's (tok-3 failed already)", r)
	}

	// ChatSend: no reports asked, no response awaited.
	req, err = send("plain", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if req.SuccessReport != msrp.ReportUnset || req.FailureReport != msrp.ReportNo {
		t.Fatalf("ChatSend: Success-Report %v Failure-Report %v", req.SuccessReport, req.FailureReport)
	}
	select {
	case r := <-core.reports:
		t.Fatalf("unexpected report %+v", r)
	default:
	}
}

// setupFailures reads sxgw_msrp_session_setup_failures_total{reason}.
func setupFailures(t *testing.T, reg *prometheus.Registry, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "sxgw_msrp_session_setup_failures_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no setup failure series %q", reason)
	return 0
}

// TestChatSetupFailures: every way a chat fails to set up, both
// directions, is answered as before and counted by reason.
func TestChatSetupFailures(t *testing.T) {
	core := newReceiptCore()
	e, reg := startChatsWith(t, core, 300*time.Millisecond)
	p := newSIPPeer(t, e, "alice")
	dead := "msrp://127.0.0.1:" + strconv.Itoa(int(closedPort(t))) + "/deadsession;tcp"

	// inbound plays alice's INVITE with offer; it returns the final
	// status and, for a 200, ACKs it.
	inbound := func(callID, offer string) int {
		p.send(p.wire("INVITE", chatTo, chatFrom, chatToHdr, callID, 1, []string{"Content-Type: application/sdp"}, offer))
		res := p.response("INVITE")
		if res.StatusCode == 200 {
			p.send(p.wire("ACK", res.Contact().Address.String(), chatFrom, res.To().Value(), callID, 1, nil, ""))
		}
		return res.StatusCode
	}
	// outbound runs ChatStart to alice, who answers code with answer
	// (and takes the ACK of a 200); ChatStart's error comes on the
	// channel.
	outbound := func(code int, answer string) <-chan error {
		done := make(chan error, 1)
		go func() {
			_, err := e.ChatStart(doCtx(t), translate.SIPChat{From: "sip:carol@sip.test", To: p.contact()})
			done <- err
		}()
		inv := p.request("INVITE")
		p.answer(inv, code, answer)
		if code == 200 {
			p.request("ACK")
		}
		return done
	}
	result := func(t *testing.T, done <-chan error) error {
		t.Helper()
		select {
		case err := <-done:
			return err
		case <-time.After(roomWait):
			t.Fatal("ChatStart did not return")
		}
		return nil
	}
	audioOnly := "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
	badPath := "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=message 9 TCP/MSRP *\r\na=accept-types:text/plain\r\na=path:not-an-msrp-uri\r\n"

	for _, tc := range []struct {
		name, reason string
		run          func(t *testing.T)
	}{
		{"inbound bad SDP", setupBadSDP, func(t *testing.T) {
			if code := inbound("fail-sdp@peer.test", badPath); code != 488 {
				t.Errorf("INVITE: %d, want 488", code)
			}
		}},
		{"inbound refused by the core", setupRejectedByCore, func(t *testing.T) {
			core.refuse.Store(&StatusError{Code: 403, Reason: "Forbidden"})
			defer core.refuse.Store(nil)
			if code := inbound("fail-core@peer.test", chatSDP(chatMSRP, msrp.SetupActive)); code != 403 {
				t.Errorf("INVITE: %d, want 403", code)
			}
		}},
		{"inbound connection refused", setupConnectRefused, func(t *testing.T) {
			// alice listens (passive) on a dead port: we dial and fail.
			if code := inbound("fail-refused@peer.test", chatSDP(dead, msrp.SetupPassive)); code != 200 {
				t.Fatalf("INVITE: %d", code)
			}
			p.answer(p.request("BYE"), 200, "")
			core.await(t, "chatend")
		}},
		{"inbound connection never comes", setupConnectTimeout, func(t *testing.T) {
			if code := inbound("fail-timeout@peer.test", chatSDP(chatMSRP, msrp.SetupActive)); code != 200 {
				t.Fatalf("INVITE: %d", code)
			}
			p.answer(p.request("BYE"), 200, "")
			core.await(t, "chatend")
		}},
		{"outbound INVITE refused", setupInviteFailed, func(t *testing.T) {
			var se *StatusError
			if err := result(t, outbound(486, "")); !errors.As(err, &se) || se.Code != 486 {
				t.Errorf("ChatStart: %v, want 486", err)
			}
		}},
		{"outbound answer without MSRP", setupNoMedia, func(t *testing.T) {
			done := outbound(200, audioOnly)
			p.answer(p.request("BYE"), 200, "") // before ChatStart returns
			var se *StatusError
			if err := result(t, done); !errors.As(err, &se) || se.Code != 488 {
				t.Errorf("ChatStart: %v, want 488", err)
			}
		}},
		{"outbound connection refused", setupConnectRefused, func(t *testing.T) {
			if err := result(t, outbound(200, chatSDP(dead, msrp.SetupPassive))); err == nil {
				t.Error("ChatStart to a dead MSRP port succeeded")
			}
			p.answer(p.request("BYE"), 200, "")
		}},
	} {
		// In sequence on the one SIP peer, whose helpers fail the
		// whole test: no subtests.
		t.Log(tc.name)
		before := setupFailures(t, reg, tc.reason)
		tc.run(t)
		deadline := time.Now().Add(roomWait)
		for setupFailures(t, reg, tc.reason) != before+1 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := setupFailures(t, reg, tc.reason); got != before+1 {
			t.Errorf("%s: %s failures: %v, want %v", tc.name, tc.reason, got, before+1)
		}
	}
	// A chat that connects counts nothing.
	total := func() float64 {
		var n float64
		for _, r := range []string{setupBadSDP, setupNoMedia, setupRejectedByCore, setupInviteFailed,
			setupConnectTimeout, setupConnectRefused, setupConnectFailed} {
			n += setupFailures(t, reg, r)
		}
		return n
	}
	before := total()
	openChat(t, p, "fine@peer.test")
	core.await(t, "chatstart")
	if got := total(); got != before {
		t.Errorf("a good chat counted %v setup failures", got-before)
	}
}

func TestConnectReason(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{msrp.ErrSessionClosed, ""},
		{context.DeadlineExceeded, setupConnectTimeout},
		{&msrp.StatusError{Code: msrp.StatusTimeout}, setupConnectTimeout},
		{&msrp.StatusError{Code: msrp.StatusNoSession}, setupConnectRefused},
		{&net.OpError{Op: "dial", Err: errors.New("tls: handshake failure")}, setupConnectFailed},
		{msrp.ErrConnectionLost, setupConnectFailed},
	} {
		if got := connectReason(tc.err); got != tc.want {
			t.Errorf("connectReason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
