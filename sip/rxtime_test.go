package sip

import (
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"
)

// On Linux a listener's datagrams carry the kernel's arrival time, which
// rxTime reads back from the control messages of the read.
func TestRxTimestamps(t *testing.T) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	on := enableRxTimestamps(c)
	if on != (runtime.GOOS == "linux") {
		t.Fatalf("enableRxTimestamps = %v on %s", on, runtime.GOOS)
	}
	s, err := net.DialUDP("udp4", nil, c.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before := time.Now()
	if _, err := s.Write([]byte("MESSAGE sip:a@b SIP/2.0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond) // it waits in the buffer
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var buf [1500]byte
	var oob [rxOOBSize]byte
	_, oobn, _, _, err := c.ReadMsgUDPAddrPort(buf[:], oob[:])
	if err != nil {
		t.Fatal(err)
	}
	read := time.Now()
	at := rxTime(oob[:oobn])
	if !on {
		if !at.IsZero() {
			t.Errorf("rxTime = %v without timestamps", at)
		}
		return
	}
	// Wall clocks: allow a little slack at both ends.
	if at.Before(before.Add(-time.Millisecond)) || at.After(read) {
		t.Errorf("arrival %v not within [%v, %v]", at, before, read)
	}
	if waited := read.Sub(at); waited < 25*time.Millisecond {
		t.Errorf("waited %v in the buffer by its stamp, slept 30 ms", waited)
	}
	// Truncated or foreign control data gives no time, and no panic.
	for n := 0; n < oobn; n++ {
		if got := rxTime(oob[:n]); !got.IsZero() {
			t.Errorf("rxTime of %d of %d bytes = %v", n, oobn, got)
		}
	}
}

// A MESSAGE whose arrival stamp is older than fastMaxQueueDelay when it
// is read is answered 503 on the reader and never reaches the core; a
// fresh one is served. Stamps from the future or far in the past (a step
// of the wall clock) count as arrivals at the read.
func TestFastPathShedsFromArrivalStamp(t *testing.T) {
	e, _ := startEndpoint(t, Options{})
	core := newMsgCore()
	e.ServeMessages(core, 1024)
	p := newUDPPeer(t, addrOf(t, e, TransportUDP))
	out, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	src := netip.MustParseAddrPort(p.addr)
	for _, c := range []struct {
		name    string
		arrived time.Duration // before now
		code    int
	}{
		{"fresh", 0, 200},
		{"unstamped", -1, 200},
		{"in the buffer too long", fastMaxQueueDelay + 20*time.Millisecond, 503},
		{"clock stepped back", -time.Hour, 200},
		{"clock stepped forward", time.Hour, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := core.calls.Load()
			var at time.Time // unstamped: the zero time
			if c.arrived != -1 {
				at = time.Now().Add(-c.arrived)
			}
			if !e.takeUDP(out, p.messageRequest("", "text/plain", "hi"), src, at) {
				t.Fatal("MESSAGE not taken")
			}
			got := p.recv(3 * time.Second)
			if got == nil {
				t.Fatal("no response")
			}
			if res := parseResponse(t, got); res.StatusCode != c.code {
				t.Fatalf("got %d, want %d", res.StatusCode, c.code)
			}
			if n, want := core.calls.Load()-before, int64(0); c.code == 503 && n != want {
				t.Errorf("the core got %d calls for a shed request", n)
			}
			drain(core.got)
		})
	}
}

// FuzzRxTime: control data of any shape gives a time or the zero time,
// never a panic.
func FuzzRxTime(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, rxOOBSize))
	f.Add([]byte{32, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 35, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{255, 255, 255, 255, 255, 255, 255, 255, 1, 0, 0, 0, 35, 0, 0, 0})
	f.Fuzz(func(t *testing.T, oob []byte) {
		_ = rxTime(oob)
	})
}
