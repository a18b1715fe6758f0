package sip

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/sxgw/sxgw/translate"
)

// fastTimers make 2xx retransmission and the missing-ACK timeout fit a
// test.
func fastTimers() inviteTimers {
	return inviteTimers{t1: 50 * time.Millisecond, t2: 200 * time.Millisecond, ackWait: time.Second}
}

// sendRaw sends the wire request in testdata/requests/name from p to
// target over UDP, with callID as Call-ID and vars filled in.
func (p *rawPeer) sendRaw(t *testing.T, target string, name, callID string, extra map[string]string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "requests", name))
	if err != nil {
		t.Fatal(err)
	}
	v := map[string]string{"$ADDR": p.addr().String(), "$TRANSPORT": "UDP", "$TARGET": target}
	for k, x := range extra {
		v[k] = x
	}
	msg := renderRequest(strings.ReplaceAll(string(raw), "$CALLID", callID), v)
	dst := netip.MustParseAddrPort(target)
	if _, err := p.c.WriteToUDPAddrPort([]byte(msg), dst); err != nil {
		t.Fatal(err)
	}
}

// readResponse returns the next response within wait, or nil.
func (p *rawPeer) readResponse(wait time.Duration) *sipgosip.Response {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		msg, _ := p.read(time.Until(deadline))
		if res, ok := msg.(*sipgosip.Response); ok {
			return res
		}
	}
	return nil
}

func tagOf(params sipgosip.HeaderParams) string {
	tag, _ := params.Get("tag")
	return tag
}

func recordRoutes(m interface {
	GetHeaders(string) []sipgosip.Header
}) []string {
	var vs []string
	for _, h := range m.GetHeaders("Record-Route") {
		vs = append(vs, h.Value())
	}
	return vs
}

// TestInviteAckStopsRetransmission plays the caller over a bare UDP
// socket: 100 comes at once, then 180 and the 2xx with our tag, Contact,
// Allow, Supported, the answer and the Record-Route copied; the 2xx is
// retransmitted until the ACK, which reaches the core.
func TestInviteAckStopsRetransmission(t *testing.T) {
	e, core := startInvites(t, Options{}, fastTimers())
	core.setInvite(func(_ context.Context, _ translate.SIPInvite, progress func(int)) ([]byte, error) {
		progress(180)
		progress(100) // ignored: not a 101-199
		return []byte(answerSDP), nil
	})
	p := newRawPeer(t)
	target := addrOf(t, e, TransportUDP).String()
	p.sendRaw(t, target, "invite_routed.sip", "ack-stops@peer.test", nil)

	var got []*sipgosip.Response
	for len(got) < 5 {
		res := p.readResponse(3 * time.Second)
		if res == nil {
			t.Fatalf("got %d responses, want 100, 180 and the 2xx three times", len(got))
		}
		got = append(got, res)
	}
	if got[0].StatusCode != 100 || got[1].StatusCode != 180 {
		t.Fatalf("first responses %d, %d; want 100, 180", got[0].StatusCode, got[1].StatusCode)
	}
	for _, res := range got[2:] {
		if res.StatusCode != 200 {
			t.Fatalf("response %d after 180, want 200 retransmissions", res.StatusCode)
		}
	}
	inv := core.lastInvite(t)
	tag := inv.Dialog.LocalTag
	ringing, ok := got[1], got[2]
	if tagOf(ringing.To().Params) != tag || tagOf(ok.To().Params) != tag || tag == "" {
		t.Errorf("To tags %q, %q; the core's %q", ringing.To().Value(), ok.To().Value(), tag)
	}
	wantContact := "<" + contactFor(t, e, "alice", TransportUDP) + ">"
	wantRR := []string{"<sip:p2.peer.test;lr>", "<sip:p1.peer.test;lr>"}
	for _, res := range []*sipgosip.Response{ringing, ok} {
		if res.Contact() == nil || res.Contact().Value() != wantContact {
			t.Errorf("%d Contact %v, want %s", res.StatusCode, res.Contact(), wantContact)
		}
		if rr := recordRoutes(res); !slices.Equal(rr, wantRR) {
			t.Errorf("%d Record-Route %q", res.StatusCode, rr)
		}
	}
	for name, want := range map[string]string{
		"Allow": "ACK, BYE, CANCEL, INVITE, OPTIONS", "Supported": "", "Content-Type": sdpType, "Server": "sxgw/test",
	} {
		if v, present := header(ok, name); !present || v != want {
			t.Errorf("200 %s = %q (present %v), want %q", name, v, present, want)
		}
	}
	if string(ok.Body()) != answerSDP {
		t.Errorf("200 body %q", ok.Body())
	}
	if inv.Dialog.RemoteTarget != "sip:bob@"+p.addr().String()+";transport=UDP" ||
		!slices.Equal(inv.Dialog.RouteSet, []string{"sip:p2.peer.test;lr", "sip:p1.peer.test;lr"}) ||
		inv.Dialog.RemoteTag != "bob-1" || inv.Dialog.LocalURI != "sip:alice@xmpp.test" {
		t.Errorf("core's dialog %+v", inv.Dialog)
	}

	p.sendRaw(t, target, "ack_2xx.sip", "ack-stops@peer.test", map[string]string{
		"$TOTAG": tag, "$RURI": "sip:alice@" + target,
	})
	waitFor(t, core.gotAck, "SIPAck")
	if ack := core.lastAck(t); ack.LocalTag != tag || ack.RemoteTag != "bob-1" || ack.RemoteCSeq != 1 || ack.CallID != "ack-stops@peer.test" {
		t.Errorf("ACK dialog %+v", ack)
	}
	// One retransmission may have crossed the ACK; then none.
	_ = p.readResponse(100 * time.Millisecond)
	if res := p.readResponse(600 * time.Millisecond); res != nil {
		t.Errorf("response %d after the ACK", res.StatusCode)
	}
	// A retransmitted ACK matches no 2xx any more and is dropped.
	p.sendRaw(t, target, "ack_2xx.sip", "ack-stops@peer.test", map[string]string{
		"$TOTAG": tag, "$RURI": "sip:alice@" + target,
	})
	noSignal(t, core.gotAck, "second SIPAck")
	wantCount(t, e.m.requests.WithLabelValues("INVITE", "2xx"), 1)
}

// TestInviteMissingAck: a 2xx that is never acknowledged is retransmitted
// for 64*T1, then the core gets SIPBye and the caller a BYE in the dialog.
func TestInviteMissingAck(t *testing.T) {
	e, core := startInvites(t, Options{}, fastTimers())
	p := newRawPeer(t)
	target := addrOf(t, e, TransportUDP).String()
	p.sendRaw(t, target, "invite.sip", "no-ack@peer.test", nil)

	oks := 0
	var bye *sipgosip.Request
	for bye == nil {
		msg, src := p.read(3 * time.Second)
		switch m := msg.(type) {
		case nil:
			t.Fatalf("no BYE after %d 200s", oks)
		case *sipgosip.Response:
			if m.StatusCode == 200 {
				oks++
			}
		case *sipgosip.Request:
			if m.Method != sipgosip.BYE {
				t.Fatalf("unexpected %s", m.Method)
			}
			bye = m
			if err := p.reply(m, src, 200, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if oks < 4 {
		t.Errorf("2xx sent %d times, want retransmissions (T1 doubling to T2 over 64*T1)", oks)
	}
	waitFor(t, core.gotBye, "SIPBye")
	d := core.lastBye(t)
	inv := core.lastInvite(t)
	if d.LocalTag != inv.Dialog.LocalTag || d.RemoteTag != "bob-1" || d.CallID != "no-ack@peer.test" {
		t.Errorf("SIPBye dialog %+v", d)
	}
	if bye.Recipient.String() != "sip:bob@"+p.addr().String()+";transport=UDP" ||
		tagOf(bye.From().Params) != inv.Dialog.LocalTag || tagOf(bye.To().Params) != "bob-1" ||
		bye.CSeq().SeqNo != 1 || bye.CallID().Value() != "no-ack@peer.test" || bye.Route() != nil {
		t.Errorf("BYE:\n%s", bye)
	}
	wantCount(t, e.m.ackTimeouts, 1)
	wantCount(t, e.m.outgoing.WithLabelValues("BYE", "2xx"), 1)
	if _, acks, _ := core.counts(); acks != 0 {
		t.Errorf("core got %d ACKs", acks)
	}
}

// TestInviteEarlyDialog: while the core decides, a second INVITE in the
// early dialog gets 500 with Retry-After (RFC 3261 §14.2), and a BYE in it
// ends the INVITE with 487 (§15.1.2) without a SIPBye.
func TestInviteEarlyDialog(t *testing.T) {
	e, core := startInvites(t, Options{}, fastTimers())
	coreErr := make(chan error, 1)
	core.setInvite(func(ctx context.Context, _ translate.SIPInvite, progress func(int)) ([]byte, error) {
		progress(183)
		<-ctx.Done()
		coreErr <- ctx.Err()
		return []byte(answerSDP), nil // too late: must not be sent
	})
	p := newRawPeer(t)
	target := addrOf(t, e, TransportUDP).String()
	const callID = "early@peer.test"
	p.sendRaw(t, target, "invite.sip", callID, nil)
	var tag string
	for tag == "" {
		res := p.readResponse(3 * time.Second)
		if res == nil {
			t.Fatal("no 183")
		}
		if res.StatusCode == 183 {
			tag = tagOf(res.To().Params)
			if res.Reason != "Session Progress" {
				t.Errorf("183 reason %q", res.Reason)
			}
		}
	}
	p.sendRaw(t, target, "invite_in_dialog.sip", callID, map[string]string{"$TOTAG": tag})
	res := p.readResponse(3 * time.Second)
	if res == nil || res.StatusCode != 500 {
		t.Fatalf("second INVITE: %v, want 500", res)
	}
	if v, _ := header(res, "Retry-After"); v == "" {
		t.Error("500 without Retry-After")
	} else if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 10 {
		t.Errorf("Retry-After %q, want 0..10", v)
	}

	p.sendRaw(t, target, "bye.sip", callID, map[string]string{"$TOTAG": tag})
	var byeOK, terminated bool
	for !byeOK || !terminated {
		res := p.readResponse(3 * time.Second)
		if res == nil {
			t.Fatalf("BYE answered %v, INVITE terminated %v", byeOK, terminated)
		}
		switch {
		case res.CSeq().MethodName == sipgosip.BYE && res.StatusCode == 200:
			byeOK = true
		case res.CSeq().MethodName == sipgosip.INVITE && res.StatusCode == 487:
			terminated = true
			if got := tagOf(res.To().Params); got != tag {
				t.Errorf("487 tag %q, want %q", got, tag)
			}
		case res.StatusCode == 200:
			t.Fatal("200 to the INVITE after a BYE")
		}
	}
	select {
	case err := <-coreErr:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("core's context: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("core's context not cancelled")
	}
	// The core accepted (too late): it is told the session does not exist.
	waitFor(t, core.gotBye, "SIPBye for the discarded answer")
	if d := core.lastBye(t); d.LocalTag != tag {
		t.Errorf("SIPBye dialog %+v", d)
	}
	if _, _, byes := core.counts(); byes != 1 {
		t.Errorf("core got %d SIPByes, want 1 (none for the BYE itself)", byes)
	}
}

// TestInviteExpires: an INVITE's Expires bounds the core's time; then
// 487 (RFC 3261 §13.3.1).
func TestInviteExpires(t *testing.T) {
	e, core := startInvites(t, Options{}, fastTimers())
	coreErr := make(chan error, 1)
	core.setInvite(func(ctx context.Context, _ translate.SIPInvite, _ func(int)) ([]byte, error) {
		<-ctx.Done()
		coreErr <- ctx.Err()
		return nil, ctx.Err()
	})
	p := newRawPeer(t)
	start := time.Now()
	p.sendRaw(t, addrOf(t, e, TransportUDP).String(), "invite_expires.sip", "expires@peer.test", nil)
	for {
		res := p.readResponse(4 * time.Second)
		if res == nil {
			t.Fatal("no final response")
		}
		if res.StatusCode < 200 {
			continue
		}
		if res.StatusCode != 487 {
			t.Fatalf("status %d, want 487", res.StatusCode)
		}
		break
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("487 after %v, before Expires: 1", d)
	}
	if err := <-coreErr; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("core's context: %v", err)
	}
}

// rawUAS answers the INVITE a test endpoint sends: it returns the INVITE.
func rawUASInvite(t *testing.T, p *rawPeer) (*sipgosip.Request, func(code int, tag string)) {
	t.Helper()
	req, src := p.readRequest(5 * time.Second)
	if req == nil || req.Method != sipgosip.INVITE {
		t.Fatalf("got %v, want an INVITE", req)
	}
	answer := func(code int, tag string) {
		t.Helper()
		err := p.reply(req, src, code, func(res *sipgosip.Response) {
			if tag != "" {
				res.To().Params.Add("tag", tag)
			}
			if code >= 200 && code < 300 {
				res.AppendHeader(sipgosip.NewHeader("Contact", "<sip:alice@"+p.addr().String()+">"))
				res.AppendHeader(sipgosip.NewHeader("Record-Route", "<sip:"+p.addr().String()+";lr>"))
				res.AppendHeader(sipgosip.NewHeader("Content-Type", sdpType))
				res.SetBody([]byte(answerSDP))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return req, answer
}

// TestInviteUACAcks: the caller's side against a bare UDP callee: the
// INVITE carries Contact, Allow, Supported, Subject and the offer; every
// copy of the 2xx is acknowledged in the dialog (remote target, route
// set, the INVITE's CSeq, a new branch); a 2xx of another fork is
// acknowledged and ended with a BYE (RFC 3261 §13.2.2.4).
func TestInviteUACAcks(t *testing.T) {
	a, _ := startEndpoint(t, Options{Domains: []string{"sip.test"}})
	p := newRawPeer(t)
	d := translate.SIPDialog{
		CallID: "uac-acks@sip.test", LocalURI: "sip:carol@sip.test", LocalTag: "carol-9",
		RemoteURI: "sip:alice@" + p.addr().String(), LocalCSeq: 41,
	}
	type result struct {
		d      translate.SIPDialog
		answer []byte
		err    error
	}
	done := make(chan result, 1)
	go func() {
		nd, answer, err := a.Invite(doCtx(t), d, []byte(offerSDP), "chat", nil)
		done <- result{nd, answer, err}
	}()
	inv, answer := rawUASInvite(t, p)
	for name, want := range map[string]string{
		"Contact": "<" + contactFor(t, a, "carol", TransportUDP) + ">", "Allow": "OPTIONS", "Supported": "",
		"Subject": "chat", "Content-Type": sdpType, "Max-Forwards": "70", "User-Agent": "sxgw/test",
	} {
		if v, _ := header(inv, name); v != want {
			t.Errorf("INVITE %s = %q, want %q", name, v, want)
		}
	}
	if string(inv.Body()) != offerSDP || inv.CSeq().SeqNo != 42 || tagOf(inv.From().Params) != "carol-9" {
		t.Errorf("INVITE:\n%s", inv)
	}
	answer(100, "")
	answer(200, "fork-1")

	readAck := func(tag string) *sipgosip.Request {
		t.Helper()
		req, _ := p.readRequest(3 * time.Second)
		if req == nil || req.Method != sipgosip.ACK {
			t.Fatalf("got %v, want an ACK", req)
		}
		if got := tagOf(req.To().Params); got != tag {
			t.Errorf("ACK To tag %q, want %q", got, tag)
		}
		if req.Recipient.String() != "sip:alice@"+p.addr().String() || req.CSeq().SeqNo != 42 ||
			!slices.Equal(routeValues(req), []string{"<sip:" + p.addr().String() + ";lr>"}) {
			t.Errorf("ACK:\n%s", req)
		}
		ib, _ := inv.Via().Params.Get("branch")
		ab, _ := req.Via().Params.Get("branch")
		if ib == ab {
			t.Error("ACK of a 2xx reuses the INVITE's branch")
		}
		return req
	}
	readAck("fork-1")
	r := <-done
	if r.err != nil {
		t.Fatalf("Invite: %v", r.err)
	}
	if r.d.RemoteTag != "fork-1" || r.d.LocalCSeq != 42 || r.d.RemoteTarget != "sip:alice@"+p.addr().String() ||
		!slices.Equal(r.d.RouteSet, []string{"sip:" + p.addr().String() + ";lr"}) || string(r.answer) != answerSDP {
		t.Errorf("dialog %+v answer %q", r.d, r.answer)
	}

	// The 2xx again: acknowledged again.
	answer(200, "fork-1")
	readAck("fork-1")
	// Another fork answers: ACK, then BYE to it.
	answer(200, "fork-2")
	readAck("fork-2")
	bye, src := p.readRequest(3 * time.Second)
	if bye == nil || bye.Method != sipgosip.BYE || tagOf(bye.To().Params) != "fork-2" || bye.CSeq().SeqNo != 43 {
		t.Fatalf("got %v, want a BYE to fork-2", bye)
	}
	if err := p.reply(bye, src, 200, nil); err != nil {
		t.Fatal(err)
	}
	wantCount(t, a.m.outgoing.WithLabelValues("BYE", "2xx"), 1)
}

// TestInviteUACCancel: the caller's context ends after the 100: the
// CANCEL matches the INVITE (RFC 3261 §9.1); after the 487 (acknowledged
// by the transaction) Invite returns the context's error.
func TestInviteUACCancel(t *testing.T) {
	a, _ := startEndpoint(t, Options{})
	p := newRawPeer(t)
	ctx, cancel := context.WithCancel(doCtx(t))
	defer cancel()
	d := translate.SIPDialog{
		CallID: "uac-cancel@sip.test", LocalURI: "sip:carol@sip.test", LocalTag: "c",
		RemoteURI: "sip:alice@" + p.addr().String(),
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := a.Invite(ctx, d, []byte(offerSDP), "", nil)
		done <- err
	}()
	inv, answer := rawUASInvite(t, p)
	answer(100, "")
	time.Sleep(100 * time.Millisecond)
	cancel()
	var c *sipgosip.Request
	var src = p.addr()
	for c == nil {
		req, from := p.readRequest(3 * time.Second)
		if req == nil {
			t.Fatal("no CANCEL")
		}
		if req.Method == sipgosip.CANCEL {
			c, src = req, from
		}
	}
	ib, _ := inv.Via().Params.Get("branch")
	cb, _ := c.Via().Params.Get("branch")
	if cb != ib || c.Recipient.String() != inv.Recipient.String() || c.CSeq().SeqNo != inv.CSeq().SeqNo ||
		c.CSeq().MethodName != sipgosip.CANCEL || c.CallID().Value() != d.CallID || c.To().Value() != inv.To().Value() ||
		c.From().Value() != inv.From().Value() {
		t.Errorf("CANCEL:\n%s\nINVITE:\n%s", c, inv)
	}
	if err := p.reply(c, src, 200, nil); err != nil {
		t.Fatal(err)
	}
	answer(487, "callee")
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Invite: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Invite did not return after the 487")
	}
	for {
		req, _ := p.readRequest(3 * time.Second)
		if req == nil {
			t.Fatal("487 not acknowledged")
		}
		if req.Method == sipgosip.ACK {
			if b, _ := req.Via().Params.Get("branch"); b != ib {
				t.Errorf("ACK of the 487 with branch %q, want the INVITE's", b)
			}
			break
		}
	}
}
