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
	if e.clients.n.Load() != 1 {
		t.Fatalf("%d fast-path transactions, want 1", e.clients.n.Load())
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
	if n := e.clients.n.Load(); n != 0 {
		t.Errorf("%d transactions left", n)
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
	if n := e.clients.n.Load(); n != 0 {
		t.Errorf("%d transactions left", n)
	}
}
