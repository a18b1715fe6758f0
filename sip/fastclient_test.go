package sip

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"
)

// respondTo builds a response to the raw request req with the given status
// line and CSeq method, copying Via, From, To, Call-ID and the CSeq number.
func respondTo(t *testing.T, req []byte, code int, method string) []byte {
	t.Helper()
	msg, err := sipgosip.NewParser().ParseSIP(req)
	if err != nil {
		t.Fatal(err)
	}
	r := msg.(*sipgosip.Request)
	res := sipgosip.NewResponseFromRequest(r, code, "Status", nil)
	if method != "" {
		res.CSeq().MethodName = sipgosip.RequestMethod(method)
	}
	return []byte(res.String())
}

// RFC 3261 §17.1.2: a non-INVITE request sent over UDP is retransmitted
// from T1, doubling, until a response; a provisional one moves it to
// Proceeding; the final response ends it, and a copy of it or a response
// for another method with the same branch changes nothing. The transaction
// runs outside sipgo and the request leaves from the listener.
func TestFastClientTransaction(t *testing.T) {
	e, _ := startEndpoint(t, Options{})
	uas := newUDPPeer(t, addrOf(t, e, TransportUDP))
	port := uas.c.LocalAddr().(*net.UDPAddr).Port
	target := "sip:carol@127.0.0.1:" + strconv.Itoa(port)

	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		res, err := e.Do(ctx, newMessage(t, target))
		if err != nil {
			done <- result{0, err}
			return
		}
		done <- result{res.StatusCode, nil}
	}()
	first := uas.recv(5 * time.Second)
	if first == nil {
		t.Fatal("no request")
	}
	if n := waiting(e); n != 1 {
		t.Fatalf("%d fast-path transactions, want 1", n)
	}
	// Unanswered: the same bytes again after T1, then 2*T1 later.
	second := uas.recv(3 * time.Second)
	if string(second) != string(first) {
		t.Fatalf("retransmission differs:\n%s\nfirst:\n%s", second, first)
	}
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("retransmitted after %v, before T1", d)
	}
	third := uas.recv(3 * time.Second)
	if string(third) != string(first) {
		t.Fatal("no second retransmission")
	}
	if d := time.Since(start); d < 1300*time.Millisecond {
		t.Errorf("second retransmission after %v, want T1+2*T1", d)
	}
	// A response for another method with the same branch is not ours.
	uas.send(respondTo(t, first, 200, "SUBSCRIBE"))
	uas.send(respondTo(t, first, 100, ""))
	uas.send(respondTo(t, first, 486, ""))
	uas.send(respondTo(t, first, 486, "")) // retransmitted final
	select {
	case r := <-done:
		if r.err != nil || r.code != 486 {
			t.Fatalf("got %d %v, want 486", r.code, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no final response")
	}
	if n := waiting(e); n != 0 {
		t.Errorf("%d transactions left", n)
	}
	// Its branch is kept for Timer K: a late copy of the final response
	// is absorbed, not handed to sipgo.
	branch := func() string {
		msg, err := sipgosip.NewParser().ParseSIP(first)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := msg.(*sipgosip.Request).Via().Params.Get("branch")
		return b
	}()
	if _, completed := e.clients.get(branch); !completed {
		t.Error("completed branch not remembered")
	}
	if !e.takeResponse(respondTo(t, first, 486, "")) {
		t.Error("late copy of the final response not absorbed")
	}
	if b := uas.recv(600 * time.Millisecond); b != nil {
		t.Errorf("sent after the final response:\n%s", b)
	}
	msg, err := sipgosip.NewParser().ParseSIP(first)
	if err != nil {
		t.Fatal(err)
	}
	if via := msg.(*sipgosip.Request).Via(); via.Port != int(addrOf(t, e, TransportUDP).Port()) {
		t.Errorf("Via port %d, not the listener's", via.Port)
	}
}

// A transaction whose context ends gives up at once and is forgotten.
func TestFastClientTransactionCancelled(t *testing.T) {
	e, _ := startEndpoint(t, Options{})
	uas := newUDPPeer(t, addrOf(t, e, TransportUDP))
	target := "sip:carol@" + uas.addr
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.Do(ctx, newMessage(t, target))
		done <- err
	}()
	if uas.recv(5*time.Second) == nil {
		t.Fatal("no request")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still waiting after cancel")
	}
	if n := waiting(e); n != 0 {
		t.Errorf("%d transactions left", n)
	}
}

// waiting counts the fast-path client transactions still waiting.
func waiting(e *Endpoint) int {
	e.clients.mu.Lock()
	defer e.clients.mu.Unlock()
	return len(e.clients.txs)
}

// Completed branches are forgotten after two T4 periods.
func TestClientTxsTimerK(t *testing.T) {
	c := newClientTxs()
	t0 := c.since
	c.add("z9hG4bK-a", &clientTx{})
	c.remove("z9hG4bK-a", true)
	c.add("z9hG4bK-b", &clientTx{})
	c.remove("z9hG4bK-b", false)
	c.mu.Lock()
	c.rotate(t0.Add(sipgosip.T4))
	_, kept := c.done[1]["z9hG4bK-a"]
	c.rotate(t0.Add(2 * sipgosip.T4))
	_, gone := c.done[1]["z9hG4bK-a"]
	_, gone0 := c.done[0]["z9hG4bK-a"]
	c.mu.Unlock()
	if !kept || gone || gone0 {
		t.Errorf("kept one period %v, after two %v/%v", kept, gone, gone0)
	}
	if _, completed := c.get("z9hG4bK-b"); completed {
		t.Error("a transaction that ended without a final response counted as completed")
	}
	if c.n.Load() != 0 {
		t.Errorf("n = %d, want 0", c.n.Load())
	}
}
