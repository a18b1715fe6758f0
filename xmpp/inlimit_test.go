package xmpp

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestPeerKey(t *testing.T) {
	cases := []struct{ addr, want string }{
		{"192.0.2.7:5269", "192.0.2.7/32"},
		{"[::ffff:192.0.2.7]:5269", "192.0.2.7/32"},
		{"[2001:db8:1:2:aaaa::1]:5269", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:bbbb::9]:40000", "2001:db8:1:2::/64"},
	}
	for _, c := range cases {
		a := net.TCPAddrFromAddrPort(netip.MustParseAddrPort(c.addr))
		if got := peerKey(a).String(); got != c.want {
			t.Errorf("peerKey(%s) = %s, want %s", c.addr, got, c.want)
		}
	}
}

// holdConns opens n connections that send nothing.
func holdConns(t *testing.T, addr net.Addr, n int) []net.Conn {
	t.Helper()
	var out []net.Conn
	for range n {
		nc, err := net.DialTimeout("tcp", addr.String(), 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = nc.Close() })
		out = append(out, nc)
	}
	return out
}

// openPlain opens a stream and returns the first element the server sends
// after its header.
func openPlain(t *testing.T, addr net.Addr) *Element {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr.String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	p := &rawPeer{t: t, c: newXConn(nc, nsServer, 1<<20)}
	t.Cleanup(p.c.abort)
	return p.open("a.test", "b.test")
}

func TestInboundConnectionLimits(t *testing.T) {
	cases := []struct {
		name         string
		total, perIP int
		cond         string
	}{
		{"per address", 100, 2, CondPolicyViolation},
		{"in all", 2, 100, CondResourceConstraint},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			b := w.server("b.test", (*testCA)(nil).issue(t, "b.test"), nil)
			b.s.mu.Lock()
			b.s.in.max, b.s.in.perIP = c.total, c.perIP
			b.s.mu.Unlock()
			held := holdConns(t, b.s.Addr(), 2)
			el := openPlain(t, b.s.Addr())
			if se := parseStreamError(el); el.Name.Local != "error" || se.Condition != c.cond {
				t.Fatalf("third connection got %s, want stream error %s", el, c.cond)
			}
			if v := testutil.ToFloat64(b.s.m.refused.WithLabelValues(c.cond)); v != 1 {
				t.Errorf("refused counted %v", v)
			}
			// A slot frees when a connection ends.
			_ = held[0].Close()
			deadline := time.Now().Add(5 * time.Second)
			for {
				b.s.mu.Lock()
				n := b.s.in.total
				b.s.mu.Unlock()
				if n == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d connections still counted", n)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if el := openPlain(t, b.s.Addr()); el.Name.Local != "features" || el.Child(nsTLS, "starttls") == nil {
				t.Fatalf("after a slot freed: %s", el)
			}
		})
	}
}
