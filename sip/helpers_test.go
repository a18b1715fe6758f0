package sip

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testLogger writes the endpoint's log to the test log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var loopback = netip.MustParsePrefix("127.0.0.0/8")

// startEndpoint builds and starts an endpoint on loopback with UDP and TCP
// listeners, serving example.test and trusting loopback unless o says
// otherwise; it is closed at the end of the test.
func startEndpoint(t *testing.T, o Options) (*Endpoint, *prometheus.Registry) {
	t.Helper()
	if o.Listen == nil {
		o.Listen = []string{"udp:127.0.0.1:0", "tcp:127.0.0.1:0"}
	}
	if o.Domains == nil {
		o.Domains = []string{"example.test"}
	}
	if o.TrustedPeers == nil {
		o.TrustedPeers = []netip.Prefix{loopback}
	}
	if o.UserAgent == "" {
		o.UserAgent = "sxgw/test"
	}
	reg := prometheus.NewRegistry()
	if o.Registerer == nil {
		o.Registerer = reg
	}
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	e, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.Start(ctx); err != nil {
		_ = e.Close()
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e, reg
}

// addrOf returns the bound address of the first listener of transport.
func addrOf(t *testing.T, e *Endpoint, transport string) netip.AddrPort {
	t.Helper()
	for _, l := range e.Addrs() {
		if l.Transport == transport {
			ap, err := netip.ParseAddrPort(l.Addr.String())
			if err != nil {
				t.Fatal(err)
			}
			return ap
		}
	}
	t.Fatalf("no %s listener", transport)
	return netip.AddrPort{}
}

var seq atomic.Uint64

// loadRequest reads a wire-text request from testdata/requests, turns its
// line ends into CRLF and fills the placeholders.
func loadRequest(t testing.TB, name string, vars map[string]string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "requests", name))
	if err != nil {
		t.Fatal(err)
	}
	return renderRequest(string(raw), vars)
}

func renderRequest(raw string, vars map[string]string) string {
	head, body, _ := strings.Cut(raw, "\n\n")
	body = strings.TrimSuffix(body, "\n")
	n := seq.Add(1)
	pairs := []string{
		"$BRANCH", fmt.Sprintf("z9hG4bK-test-%d-%d", time.Now().UnixNano(), n),
		"$CALLID", fmt.Sprintf("call-%d-%d@peer.test", time.Now().UnixNano(), n),
	}
	for k, v := range vars {
		pairs = append(pairs, k, v)
	}
	r := strings.NewReplacer(pairs...)
	return r.Replace(strings.ReplaceAll(head, "\n", "\r\n")) + "\r\n\r\n" + r.Replace(body)
}

// exchange sends a wire request over a fresh UDP socket or TCP connection
// to target and returns the first final response, or nil if none came
// within wait.
func exchange(t *testing.T, transport string, target netip.AddrPort, name string, wait time.Duration, extra map[string]string) *sipgosip.Response {
	t.Helper()
	switch transport {
	case TransportUDP:
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		msg := loadRequest(t, name, vars(c.LocalAddr().String(), "UDP", target, extra))
		if _, err := c.WriteToUDPAddrPort([]byte(msg), target); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 65536)
		deadline := time.Now().Add(wait)
		for {
			_ = c.SetReadDeadline(deadline)
			n, _, err := c.ReadFromUDP(buf)
			if err != nil {
				return nil
			}
			if res := parseResponse(t, buf[:n]); res.StatusCode >= 200 {
				return res
			}
		}
	case TransportTCP:
		c, err := net.DialTimeout("tcp", target.String(), wait)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		msg := loadRequest(t, name, vars(c.LocalAddr().String(), "TCP", target, extra))
		if _, err := io.WriteString(c, msg); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(wait))
		br := bufio.NewReader(c)
		for {
			raw, err := readStreamMessage(br)
			if err != nil {
				return nil
			}
			if res := parseResponse(t, raw); res.StatusCode >= 200 {
				return res
			}
		}
	}
	t.Fatalf("transport %q", transport)
	return nil
}

func vars(local, transport string, target netip.AddrPort, extra map[string]string) map[string]string {
	v := map[string]string{"$ADDR": local, "$TRANSPORT": transport, "$TARGET": target.String()}
	for k, x := range extra {
		v[k] = x
	}
	return v
}

// readStreamMessage reads one SIP message from a stream (RFC 3261 §18.3).
func readStreamMessage(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	length := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if len(buf) == 0 && strings.TrimSpace(line) == "" {
			continue // keep-alive CRLF
		}
		buf = append(buf, line...)
		name, value, ok := strings.Cut(line, ":")
		if ok && (strings.EqualFold(strings.TrimSpace(name), "Content-Length") || strings.TrimSpace(name) == "l") {
			length, _ = strconv.Atoi(strings.TrimSpace(value))
		}
		if line == "\r\n" {
			break
		}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, err
	}
	return append(buf, body...), nil
}

func parseResponse(t *testing.T, raw []byte) *sipgosip.Response {
	t.Helper()
	msg, err := sipgosip.ParseMessage(raw)
	if err != nil {
		t.Fatalf("parse response: %v\n%s", err, raw)
	}
	res, ok := msg.(*sipgosip.Response)
	if !ok {
		t.Fatalf("not a response:\n%s", raw)
	}
	return res
}

// header returns the value of the named header, "" if absent.
func header(m interface{ GetHeader(string) sipgosip.Header }, name string) (string, bool) {
	h := m.GetHeader(name)
	if h == nil {
		return "", false
	}
	return h.Value(), true
}
