package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	sipgosip "github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
)

func TestNewRejectsBadOptions(t *testing.T) {
	cases := []struct {
		name string
		o    Options
	}{
		{"no transport", Options{Listen: []string{"127.0.0.1"}}},
		{"unknown transport", Options{Listen: []string{"sctp:127.0.0.1:5060"}}},
		{"host name", Options{Listen: []string{"udp:localhost:5060"}}},
		{"no port", Options{Listen: []string{"udp:127.0.0.1"}}},
		{"tls without certificate", Options{Listen: []string{"tls:127.0.0.1:0"}}},
		{"bad domain", Options{Domains: []string{"a b"}}},
		{"empty domain", Options{Domains: []string{""}}},
		{"proxy with user", Options{OutboundProxy: "sip:bob@proxy.test"}},
		{"bad proxy", Options{OutboundProxy: "sip:proxy.test:notaport"}},
		{"invalid prefix", Options{TrustedPeers: []netip.Prefix{{}}}},
		{"negative size", Options{MaxMessageSize: -1}},
		{"negative retry", Options{RetryAfter: -time.Second}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := New(c.o)
			if !errors.Is(err, ErrConfig) {
				if e != nil {
					_ = e.Close()
				}
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
	// Every problem is reported at once.
	_, err := New(Options{Listen: []string{"x"}, Domains: []string{""}, MaxMessageSize: -1})
	if err == nil || strings.Count(err.Error(), "invalid options") != 3 {
		t.Errorf("err = %v, want three problems", err)
	}
}

func TestNewDefaultsAndDuplicateMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	e, err := New(Options{Registerer: reg, OutboundProxy: "proxy.test:5070"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.o.UserAgent != DefaultUserAgent || e.o.MaxMessageSize != DefaultMaxMessageSize || e.o.RetryAfter != DefaultRetryAfter {
		t.Errorf("defaults not applied: %+v", e.o)
	}
	if e.proxy == nil || e.proxy.Host != "proxy.test" || e.proxy.Port != 5070 || e.proxy.Scheme != "sip" {
		t.Errorf("proxy = %v", e.proxy)
	}
	if _, err := New(Options{Registerer: reg}); !errors.Is(err, ErrConfig) {
		t.Errorf("second registration: %v, want ErrConfig", err)
	}
}

func TestLifecycle(t *testing.T) {
	ca := newTestCA(t)
	tlsConf := &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, "example.test")}, MinVersion: tls.VersionTLS12}
	e, err := New(Options{
		Listen:    []string{"tcp:127.0.0.1:0", "udp:127.0.0.1:0", "ws:127.0.0.1:0", "tls:127.0.0.1:0"},
		TLSConfig: tlsConf,
		Logger:    testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Addrs()) != 0 {
		t.Error("addresses before Start")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx); !errors.Is(err, ErrStarted) {
		t.Errorf("second Start: %v", err)
	}
	addrs := e.Addrs()
	want := []string{"tcp", "udp", "ws", "tls"}
	if len(addrs) != len(want) {
		t.Fatalf("Addrs = %v", addrs)
	}
	for i, l := range addrs {
		ap, err := netip.ParseAddrPort(l.Addr.String())
		if l.Transport != want[i] || err != nil || ap.Port() == 0 {
			t.Errorf("listener %d = %s %v", i, l.Transport, l.Addr)
		}
	}
	// The listeners accept connections.
	for _, l := range addrs {
		if l.Transport == TransportUDP {
			continue
		}
		c, err := net.DialTimeout("tcp", l.Addr.String(), time.Second)
		if err != nil {
			t.Errorf("%s: %v", l.Transport, err)
			continue
		}
		_ = c.Close()
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := e.Start(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v", err)
	}
	for _, l := range addrs {
		if l.Transport == TransportUDP {
			continue
		}
		if c, err := net.DialTimeout("tcp", l.Addr.String(), time.Second); err == nil {
			_ = c.Close()
			t.Errorf("%s still listening after Close", l.Transport)
		}
	}
}

func TestStartFailsOnBusyPort(t *testing.T) {
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	e, err := New(Options{Listen: []string{"udp:127.0.0.1:0", "tcp:" + busy.Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Start(context.Background()); err == nil {
		t.Fatal("Start on a busy port succeeded")
	}
	if len(e.Addrs()) != 0 {
		t.Errorf("Addrs after failed Start = %v", e.Addrs())
	}
}

// TestOptionsWithSipgoClient queries the endpoint with an independent sipgo
// client over UDP, TCP and TLS.
func TestOptionsWithSipgoClient(t *testing.T) {
	ca := newTestCA(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, "example.test")}, MinVersion: tls.VersionTLS12}
	e, _ := startEndpoint(t, Options{
		Listen:    []string{"udp:127.0.0.1:0", "tcp:127.0.0.1:0", "tls:127.0.0.1:0"},
		TLSConfig: serverTLS,
	})
	e.Handle("MESSAGE", okHandler, "text/plain", "message/cpim")
	e.Handle("subscribe", okHandler, "application/pidf+xml")

	ua, err := sipgo.NewUA(sipgo.WithUserAgenTLSConfig(&tls.Config{RootCAs: ca.pool, ServerName: "example.test", MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	// UDP requests leave from a listener of the test's own, which it
	// closes: a connection sipgo's client makes for itself is sometimes
	// left reading after ua.Close (its reference count goes negative).
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	lc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// In the pool before the first request, as ServeUDP will put it.
	ua.TransportLayer().Pool("udp").Add(lc.LocalAddr().String(), &sipgosip.UDPConnection{
		PacketConn: lc, PacketAddr: lc.LocalAddr().String(), Listener: true,
	})
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.ServeUDP(lc) }()
	defer func() { lc.Close(); <-served }()
	client, err := sipgo.NewClient(ua)
	if err != nil {
		t.Fatal(err)
	}
	udpClient, err := sipgo.NewClient(ua, sipgo.WithClientConnectionAddr(lc.LocalAddr().String()))
	if err != nil {
		t.Fatal(err)
	}
	for _, transport := range []string{TransportUDP, TransportTCP, TransportTLS} {
		t.Run(transport, func(t *testing.T) {
			client := client
			if transport == TransportUDP {
				client = udpClient
			}
			addr := addrOf(t, e, transport)
			req := sipgosip.NewRequest(sipgosip.OPTIONS, mustURI(t, "sip:example.test:"+strconv.Itoa(int(addr.Port()))))
			req.SetTransport(strings.ToUpper(transport))
			req.SetDestination(addr.String())
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := client.Do(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != 200 {
				t.Fatalf("status %d %s", res.StatusCode, res.Reason)
			}
			for name, want := range map[string]string{
				"Allow":     "MESSAGE, OPTIONS, SUBSCRIBE",
				"Accept":    "application/sdp, text/plain, message/cpim, application/pidf+xml",
				"Supported": "",
				"Server":    "sxgw/test",
			} {
				if got, ok := header(res, name); !ok || got != want {
					t.Errorf("%s = %q (present %v), want %q", name, got, ok, want)
				}
			}
		})
	}
}

func TestAllowWithInvite(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if got := e.routes.Load().allow; got != "OPTIONS" {
		t.Errorf("Allow = %q", got)
	}
	e.Handle("INVITE", okHandler)
	e.Handle("BYE", okHandler)
	if got := e.routes.Load().allow; got != "ACK, BYE, CANCEL, INVITE, OPTIONS" {
		t.Errorf("Allow = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("Handle with a nil handler did not panic")
		}
	}()
	e.Handle("INFO", nil)
}
