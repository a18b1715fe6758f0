package msrp

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"
)

// dialFrom opens a TCP connection to e's listener from local address
// from (any 127/8 address is local on loopback).
func dialFrom(t *testing.T, e *testEndpoint, from string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: waitFor}
	nc, err := d.Dial("tcp", e.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return nc
}

// closedAtOnce reports whether the peer closed nc without writing: a
// read ends with EOF or a reset instead of waiting.
func closedAtOnce(t *testing.T, nc net.Conn) bool {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var b [1]byte
	_, err := nc.Read(b[:])
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	if err == nil {
		t.Fatal("the endpoint wrote on a connection that sent nothing")
	}
	return true // EOF or a reset
}

// TestConnectionLimits: accepted connections beyond MaxConnectionsPerIP
// from one address, or beyond MaxConnections in all, are closed at once
// and counted by reason; a place freed by a closed connection is taken
// again.
func TestConnectionLimits(t *testing.T) {
	leakCheck(t)
	e := startEndpoint(t, EndpointOptions{MaxConnections: 3, MaxConnectionsPerIP: 2, ConnectTimeout: waitFor})
	open := func(n float64) {
		t.Helper()
		eventually(t, "open connections", func() bool { return e.counter(t, "sxgw_msrp_connections") == n })
	}
	a1 := dialFrom(t, e, "127.0.0.1")
	dialFrom(t, e, "127.0.0.1")
	open(2)
	a3 := dialFrom(t, e, "127.0.0.1") // third from the address
	if !closedAtOnce(t, a3) {
		t.Fatal("a third connection from one address was kept")
	}
	// The refusal is counted after the close the client saw.
	eventually(t, "refused per IP counted", func() bool {
		return e.counter(t, "sxgw_msrp_refused_connections_total", refusedPerIP) == 1
	})
	b1 := dialFrom(t, e, "127.0.0.2")
	open(3)
	if closedAtOnce(t, b1) {
		t.Fatal("a connection from another address was refused")
	}
	c1 := dialFrom(t, e, "127.0.0.3") // fourth in all
	if !closedAtOnce(t, c1) {
		t.Fatal("a connection over MaxConnections was kept")
	}
	eventually(t, "refused over the total counted", func() bool {
		return e.counter(t, "sxgw_msrp_refused_connections_total", refusedMax) == 1
	})
	open(3)

	// Closing one gives its place back.
	_ = a1.Close()
	open(2)
	a4 := dialFrom(t, e, "127.0.0.1")
	open(3)
	if closedAtOnce(t, a4) {
		t.Fatal("the freed place was not given again")
	}
	if got := e.counter(t, "sxgw_msrp_refused_connections_total", refusedPerIP); got != 1 {
		t.Errorf("refused per IP = %v after the place was freed, want 1", got)
	}
}

// TestConnectionLimitsSessions: a refused connection does not disturb the
// sessions of admitted ones, and dialled connections are not counted.
func TestConnectionLimitsSessions(t *testing.T) {
	leakCheck(t)
	a := startEndpoint(t, EndpointOptions{MaxConnections: 1, MaxConnectionsPerIP: 1})
	b := startEndpoint(t, EndpointOptions{MaxConnections: 1, MaxConnectionsPerIP: 1})
	ha, hb := newRecorder(), newRecorder()
	sa, sb := a.NewSession(ha, nil), b.NewSession(hb, nil)
	connectPair(t, sa, sb, true) // a dials b: b's one place is taken
	if extra := dialFrom(t, b, "127.0.0.1"); !closedAtOnce(t, extra) {
		t.Fatal("a second connection was kept")
	}
	// a dialled b: its own accepted count is untouched, so it still
	// takes a connection.
	if in := dialFrom(t, a, "127.0.0.1"); closedAtOnce(t, in) {
		t.Fatal("a dialled connection took a place of the accepted ones")
	}
	if _, err := sa.Send(ctxT(t), "text/plain", []byte("still here"), false, ""); err != nil {
		t.Fatal(err)
	}
	if m := hb.message(t); string(m.Body) != "still here" {
		t.Fatalf("got %q", m.Body)
	}
}

func TestPeerKey(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 1}, "192.0.2.7"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.7"), Port: 1}, "192.0.2.7"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:3:4:5:6"), Port: 1}, "2001:db8:1:2::"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:ffff::1"), Port: 9}, "2001:db8:1:2::"},
		{&net.UDPAddr{IP: net.ParseIP("192.0.2.7"), Port: 1}, "invalid IP"},
	} {
		if got := peerKey(tc.addr); got.String() != tc.want {
			t.Errorf("peerKey(%v) = %v, want %s", tc.addr, got, tc.want)
		}
	}
	a := newAdmission(2, 1)
	ip1, ip2, ip3 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.3")
	for i, step := range []struct {
		release bool
		ip      netip.Addr
		want    string
	}{
		{false, ip1, ""}, {false, ip1, refusedPerIP}, {false, ip2, ""}, {false, ip3, refusedMax},
		{true, ip1, ""}, {false, ip3, ""}, {false, ip1, refusedMax},
	} {
		if step.release {
			a.release(step.ip)
			continue
		}
		if got := a.admit(step.ip); got != step.want {
			t.Errorf("step %d: admit(%v) = %q, want %q", i, step.ip, got, step.want)
		}
	}
	if len(a.byIP) != 2 || a.total != 2 {
		t.Errorf("after the steps: %d addresses, %d in all", len(a.byIP), a.total)
	}
}
