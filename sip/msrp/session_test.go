package msrp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSessionExchange: two endpoints, each side active in turn, a small
// message and a 200 KiB one (chunked, reassembled) both ways.
func TestSessionExchange(t *testing.T) {
	leakCheck(t)
	big := []byte(textOf(200 << 10))
	for _, tc := range []struct {
		name    string
		aActive bool
		ct      string
		body    []byte
		chunks  bool
	}{
		{"A active small", true, "text/plain", []byte("Hi Bob, how are you?"), false},
		{"B active small", false, "text/plain", []byte("Hi Bob, how are you?"), false},
		{"A active 200KiB", true, "text/plain; charset=utf-8", big, true},
		{"B active 200KiB", false, "application/octet-stream", big, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := startEndpoint(t, EndpointOptions{})
			b := startEndpoint(t, EndpointOptions{})
			ha, hb := newRecorder(), newRecorder()
			sa := a.NewSession(ha, []string{"*"})
			sb := b.NewSession(hb, []string{"text/plain", "application/*"})
			connectPair(t, sa, sb, tc.aActive)
			if !sa.RemotePath().Equal(sb.LocalPath()) || !sb.RemotePath().Equal(sa.LocalPath()) {
				t.Fatal("remote paths not recorded")
			}

			id, err := sa.Send(ctxT(t), tc.ct, tc.body, false, "")
			if err != nil {
				t.Fatalf("Send A->B: %v", err)
			}
			m := hb.message(t)
			if !bytes.Equal(m.Body, tc.body) || m.ContentType != tc.ct || m.MessageID != id {
				t.Fatalf("B got %d octets %q id %q; want %d octets %q id %q", len(m.Body), m.ContentType, m.MessageID, len(tc.body), tc.ct, id)
			}
			if m.ByteRange != (ByteRange{1, int64(len(tc.body)), int64(len(tc.body))}) {
				t.Fatalf("Byte-Range %v", m.ByteRange)
			}
			if !m.FromPath.Equal(sa.LocalPath()) || !m.ToPath.Equal(sb.LocalPath()) {
				t.Fatalf("paths %v -> %v", m.FromPath, m.ToPath)
			}

			reply := append([]byte("re: "), tc.body...)
			if _, err := sb.Send(ctxT(t), "text/plain", reply, false, ""); err != nil {
				t.Fatalf("Send B->A: %v", err)
			}
			if m := ha.message(t); !bytes.Equal(m.Body, reply) {
				t.Fatalf("A got %d octets, want %d", len(m.Body), len(reply))
			}
			wantReassembled := 0.0
			if tc.chunks {
				wantReassembled = 1
			}
			if got := b.counter(t, "sxgw_msrp_reassemblies_total"); got != wantReassembled {
				t.Errorf("B reassemblies = %v, want %v", got, wantReassembled)
			}
			if got := b.counter(t, "sxgw_msrp_messages_total", dirIn); got != 1 {
				t.Errorf("B messages in = %v", got)
			}
			if got := b.counter(t, "sxgw_msrp_message_bytes_total", dirIn); got != float64(len(tc.body)) {
				t.Errorf("B bytes in = %v", got)
			}
			if got := a.counter(t, "sxgw_msrp_messages_total", dirOut); got != 1 {
				t.Errorf("A messages out = %v", got)
			}
			if got := a.counter(t, "sxgw_msrp_connections"); got != 1 {
				t.Errorf("A connections = %v", got)
			}
			if got := b.sessions(t); got != 1 {
				t.Errorf("B sessions = %v", got)
			}
			ha.nothing(t, 0)
			hb.nothing(t, 0)
		})
	}
}

// TestSessionOrderAndConcurrency: many messages sent concurrently on one
// session all arrive, each whole, and sequential ones in order.
func TestSessionOrderAndConcurrency(t *testing.T) {
	leakCheck(t)
	a := startEndpoint(t, EndpointOptions{ChunkSize: 4096})
	b := startEndpoint(t, EndpointOptions{})
	ha, hb := newRecorder(), newRecorder()
	sa, sb := a.NewSession(ha, nil), b.NewSession(hb, nil)
	connectPair(t, sa, sb, true)

	for i := range 10 {
		if _, err := sa.Send(ctxT(t), "text/plain", fmt.Appendf(nil, "message %d", i), false, ""); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		if m := hb.message(t); string(m.Body) != fmt.Sprintf("message %d", i) {
			t.Fatalf("message %d: got %q", i, m.Body)
		}
	}

	const n = 8
	errc := make(chan error, n)
	for i := range n {
		go func() {
			body := bytes.Repeat([]byte{byte('a' + i)}, 30000+i)
			_, err := sa.Send(ctxT(t), "application/octet-stream", body, false, "")
			errc <- err
		}()
	}
	for range n {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	seen := map[byte]bool{}
	for range n {
		m := hb.message(t)
		c := m.Body[0]
		if len(m.Body) != 30000+int(c-'a') || bytes.Count(m.Body, []byte{c}) != len(m.Body) {
			t.Fatalf("message %c mixed or cut: %d octets", c, len(m.Body))
		}
		seen[c] = true
	}
	if len(seen) != n {
		t.Fatalf("got %d distinct messages", len(seen))
	}
}

// TestReportRoundTrip: success and failure REPORTs go where asked and
// only when asked (RFC 4975 §7.1.2-§7.1.4).
func TestReportRoundTrip(t *testing.T) {
	leakCheck(t)
	a := startEndpoint(t, EndpointOptions{})
	b := startEndpoint(t, EndpointOptions{})
	ha, hb := newRecorder(), newRecorder()
	sa, sb := a.NewSession(ha, nil), b.NewSession(hb, nil)
	connectPair(t, sa, sb, true)
	body := textOf(5000) // several chunks: the report covers the whole

	// Success-Report: yes -> a success REPORT with the whole range.
	id, err := sa.Send(ctxT(t), "text/plain", []byte(body), true, "")
	if err != nil {
		t.Fatal(err)
	}
	m := hb.message(t)
	first := m
	if !m.WantsSuccessReport() {
		t.Fatal("Success-Report lost")
	}
	if err := sb.Report(ctxT(t), m, StatusOK); err != nil {
		t.Fatal(err)
	}
	r := ha.report(t)
	n := int64(len(body))
	if r.MessageID != id || r.Status != (Status{0, 200, "OK"}) || r.ByteRange != (ByteRange{1, n, n}) {
		t.Fatalf("REPORT %s %v %v", r.MessageID, r.Status, r.ByteRange)
	}
	if r.SuccessReport != ReportUnset || r.FailureReport != ReportUnset {
		t.Fatal("REPORT with report header fields")
	}
	if !r.ToPath.Equal(sa.LocalPath()) || !r.FromPath.Equal(sb.LocalPath()) {
		t.Fatalf("REPORT paths %v <- %v", r.ToPath, r.FromPath)
	}

	// No Success-Report: Report(200) sends nothing; a failure report does.
	id, err = sa.Send(ctxT(t), "text/plain", []byte("second"), false, "")
	if err != nil {
		t.Fatal(err)
	}
	m = hb.message(t)
	if err := sb.Report(ctxT(t), m, StatusOK); err != nil {
		t.Fatal(err)
	}
	if err := sb.Report(ctxT(t), m, StatusUnsupportedMedia); err != nil {
		t.Fatal(err)
	}
	r = ha.report(t)
	if r.MessageID != id || r.Status.Code != StatusUnsupportedMedia || r.ByteRange != (ByteRange{1, 6, 6}) {
		t.Fatalf("failure REPORT %s %v %v", r.MessageID, r.Status, r.ByteRange)
	}
	if got := b.counter(t, "sxgw_msrp_report_failures_total", dirSent); got != 1 {
		t.Errorf("report failures sent = %v", got)
	}
	eventually(t, "report failure received metric", func() bool {
		return a.counter(t, "sxgw_msrp_report_failures_total", dirReceived) == 1
	})

	// Failure-Report: no -> no failure REPORT either.
	if _, err := sa.Send(ctxT(t), "text/plain", []byte("third"), false, "no"); err != nil {
		t.Fatal(err)
	}
	m = hb.message(t)
	if m.FailureReport != ReportNo {
		t.Fatalf("Failure-Report %v", m.FailureReport)
	}
	if err := sb.Report(ctxT(t), m, StatusBadRequest); err != nil {
		t.Fatal(err)
	}
	// A marker message proves the REPORT would have arrived by now.
	if _, err := sb.Send(ctxT(t), "text/plain", []byte("marker"), false, ""); err != nil {
		t.Fatal(err)
	}
	if m := ha.message(t); string(m.Body) != "marker" {
		t.Fatalf("got %q", m.Body)
	}
	ha.nothing(t, 20*time.Millisecond)

	// RFC 4975 §7.1.2: no REPORT on a session that has ended.
	sb.Close()
	if err := sb.Report(ctxT(t), first, StatusOK); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("Report after Close: %v", err)
	}
}

// TestSendRefused: 415 for a type the peer does not take, 413 for a
// message over its max-size; the session goes on working.
func TestSendRefused(t *testing.T) {
	leakCheck(t)
	a := startEndpoint(t, EndpointOptions{})
	b := startEndpoint(t, EndpointOptions{MaxMessage: 10000})
	ha, hb := newRecorder(), newRecorder()
	sa, sb := a.NewSession(ha, nil), b.NewSession(hb, []string{"text/plain", "message/cpim"})
	connectPair(t, sa, sb, false)

	for _, tc := range []struct {
		name string
		ct   string
		size int
		code int
	}{
		{"415 type", "image/png", 100, StatusUnsupportedMedia},
		{"415 type chunked", "application/pdf", 9000, StatusUnsupportedMedia},
		{"413 chunked", "text/plain", 10001, StatusTooLarge},
		{"413 large", "text/plain", 200000, StatusTooLarge},
		{"fits", "text/plain", 10000, 0},
		{"type parameters", "Text/Plain; charset=UTF-8", 10, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sa.Send(ctxT(t), tc.ct, bytes.Repeat([]byte("x"), tc.size), false, "")
			if got := statusCode(err); got != tc.code {
				t.Fatalf("Send: %v, want status %d", err, tc.code)
			}
			if tc.code != 0 {
				return
			}
			if m := hb.message(t); len(m.Body) != tc.size {
				t.Fatalf("got %d octets", len(m.Body))
			}
		})
	}
	hb.nothing(t, 20*time.Millisecond)
	if got := b.counter(t, "sxgw_msrp_rejected_requests_total", "415"); got < 2 {
		t.Errorf("415 counted %v times", got)
	}
	if got := b.counter(t, "sxgw_msrp_rejected_requests_total", "413"); got < 2 {
		t.Errorf("413 counted %v times", got)
	}
	// The Budget got everything back.
	eventually(t, "budget released", func() bool { return b.budget.Used() == 0 })
}

// TestIdleTimeout: a session without traffic is closed, its handler told
// (ErrIdle); the peer then sees its connection go (ErrConnectionLost).
func TestIdleTimeout(t *testing.T) {
	leakCheck(t)
	a := startEndpoint(t, EndpointOptions{})
	b := startEndpoint(t, EndpointOptions{IdleTimeout: 300 * time.Millisecond})
	ha, hb := newRecorder(), newRecorder()
	sa, sb := a.NewSession(ha, nil), b.NewSession(hb, nil)
	connectPair(t, sa, sb, true)

	// Traffic keeps it alive.
	for range 4 {
		time.Sleep(100 * time.Millisecond)
		if _, err := sa.Send(ctxT(t), "text/plain", []byte("ping"), false, ""); err != nil {
			t.Fatal(err)
		}
		hb.message(t)
	}
	start := time.Now()
	err := hb.closedErr(t)
	if !errors.Is(err, ErrIdle) {
		t.Fatalf("B closed with %v, want ErrIdle", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("idle close after %v", d)
	}
	if err := ha.closedErr(t); !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("A closed with %v, want ErrConnectionLost", err)
	}
	if _, err := sb.Send(ctxT(t), "text/plain", []byte("late"), false, ""); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("Send after idle close: %v", err)
	}
	if got := b.sessions(t); got != 0 {
		t.Errorf("B sessions = %v", got)
	}
	eventually(t, "A counts the closed connection", func() bool {
		return a.counter(t, "sxgw_msrp_connection_errors_total", reasonEOF) == 1
	})
}

// TestConnectionReuse: sessions to the same peer authority share one
// connection (RFC 4975 §5.4); it closes when its last session does.
func TestConnectionReuse(t *testing.T) {
	leakCheck(t)
	a := startEndpoint(t, EndpointOptions{})
	b := startEndpoint(t, EndpointOptions{})
	const n = 3
	var sas, sbs []*Session
	var hbs []*recorder
	for range n {
		hb := newRecorder()
		sa, sb := a.NewSession(newRecorder(), nil), b.NewSession(hb, nil)
		connectPair(t, sa, sb, true)
		sas, sbs, hbs = append(sas, sa), append(sbs, sb), append(hbs, hb)
	}
	if got := a.counter(t, "sxgw_msrp_connections"); got != 1 {
		t.Fatalf("A has %v connections, want 1", got)
	}
	if got := b.counter(t, "sxgw_msrp_connections"); got != 1 {
		t.Fatalf("B has %v connections, want 1", got)
	}
	for i, sa := range sas {
		if _, err := sa.Send(ctxT(t), "text/plain", fmt.Appendf(nil, "to %d", i), false, ""); err != nil {
			t.Fatal(err)
		}
		if m := hbs[i].message(t); string(m.Body) != fmt.Sprintf("to %d", i) {
			t.Fatalf("session %d got %q", i, m.Body)
		}
	}
	// Closing all but one keeps the connection.
	for i := range n - 1 {
		sas[i].Close()
		sbs[i].Close()
	}
	if _, err := sas[n-1].Send(ctxT(t), "text/plain", []byte("still"), false, ""); err != nil {
		t.Fatal(err)
	}
	hbs[n-1].message(t)
	sas[n-1].Close()
	eventually(t, "connections closed", func() bool {
		return a.counter(t, "sxgw_msrp_connections") == 0 && b.counter(t, "sxgw_msrp_connections") == 0
	})
	// B's last session lost its connection; the others were closed by us.
	if err := hbs[n-1].closedErr(t); !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("B's last session closed with %v", err)
	}
	for i := range n - 1 {
		hbs[i].nothing(t, 0)
	}
}

// TestPeerClosesMidMessage: the peer's connection ends inside a chunked
// message: no delivery, the session fails, the memory comes back.
func TestPeerClosesMidMessage(t *testing.T) {
	leakCheck(t)
	b := startEndpoint(t, EndpointOptions{})
	hb := newRecorder()
	sb := b.NewSession(hb, nil)
	p := dialRaw(t, b.Addr())
	errc := make(chan error, 1)
	go func() { errc <- sb.Connect(ctxT(t), p.path(), false) }()

	first := p.sendTo(sb.LocalPath(), "t1", "", "")
	p.writeMsg(first)
	p.expect("t1", 200)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	chunk := p.sendTo(sb.LocalPath(), "t2", "text/plain", strings.Repeat("a", 3000))
	chunk.ByteRange = ByteRange{1, 3000, 10000}
	chunk.Flag = FlagMore
	p.writeMsg(chunk)
	p.expect("t2", 200)
	if b.budget.Used() == 0 {
		t.Fatal("first chunk not buffered")
	}
	// Half a chunk, then the connection goes.
	p.write("MSRP t3 SEND\nTo-Path: " + sb.LocalPath().String() + "\nFrom-Path: " + p.uri.String() +
		"\nMessage-ID: mt2\nByte-Range: 3001-*/10000\nContent-Type: text/plain\n\nbbbbbbbbbb")
	p.nc.Close()

	if err := hb.closedErr(t); !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("closed with %v", err)
	}
	hb.nothing(t, 20*time.Millisecond)
	eventually(t, "budget released", func() bool { return b.budget.Used() == 0 })
	if got := b.counter(t, "sxgw_msrp_connection_errors_total", reasonRead); got != 1 {
		t.Errorf("read errors = %v", got)
	}
}

// TestSendTimeout: a peer that never answers makes Send fail with 408
// (RFC 4975 §7.1.1).
func TestSendTimeout(t *testing.T) {
	leakCheck(t)
	a := startEndpoint(t, EndpointOptions{TransactionTimeout: 200 * time.Millisecond})
	silent := startEndpoint(t, EndpointOptions{})
	hs := newRecorder()
	ss := silent.NewSession(hs, nil)
	sa := a.NewSession(newRecorder(), nil)
	connectPair(t, sa, ss, true)
	// Failure-Report "no": the peer must not answer, and Send must not
	// wait.
	if _, err := sa.Send(ctxT(t), "text/plain", []byte("fire and forget"), false, "no"); err != nil {
		t.Fatal(err)
	}
	hs.message(t)
	// Failure-Report "partial": no 200 comes, Send does not wait for one.
	if _, err := sa.Send(ctxT(t), "text/plain", []byte("partial"), false, "partial"); err != nil {
		t.Fatal(err)
	}
	hs.message(t)

	// A raw listener that takes the bodiless SEND and then says nothing.
	ln := newSilentPeer(t)
	sa2 := a.NewSession(newRecorder(), nil)
	if err := sa2.Connect(ctxT(t), ln.path, true); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := sa2.Send(ctxT(t), "text/plain", []byte("anyone?"), false, "")
	if statusCode(err) != StatusTimeout {
		t.Fatalf("Send: %v, want 408", err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 5*time.Second {
		t.Fatalf("408 after %v", d)
	}
	// A cancelled context ends the wait too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sa2.Send(ctx, "text/plain", []byte("x"), false, ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send with a cancelled context: %v", err)
	}
}

// TestSessionCloseQuiet: Close tells the handler nothing, fails pending
// operations, and leaves no goroutine.
func TestSessionCloseQuiet(t *testing.T) {
	leakCheck(t)
	a := startEndpoint(t, EndpointOptions{})
	b := startEndpoint(t, EndpointOptions{})
	ha, hb := newRecorder(), newRecorder()
	sa, sb := a.NewSession(ha, nil), b.NewSession(hb, nil)
	connectPair(t, sa, sb, true)
	sa.Close()
	sa.Close() // twice is fine
	if _, err := sa.Send(ctxT(t), "text/plain", []byte("x"), false, ""); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
	if err := sa.Connect(ctxT(t), sb.LocalPath(), true); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("Connect after Close: %v", err)
	}
	ha.nothing(t, 50*time.Millisecond)
	// B's session lost its connection (A had no other session on it).
	if err := hb.closedErr(t); !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("B closed with %v", err)
	}

	// An unconnected session: Send says so.
	s := a.NewSession(nil, nil)
	if _, err := s.Send(ctxT(t), "text/plain", []byte("x"), false, ""); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Send unconnected: %v", err)
	}
	if _, err := s.Send(ctxT(t), "text/plain", nil, false, "maybe"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad Failure-Report: %v", err)
	}
	if _, err := s.Send(ctxT(t), "", nil, false, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("no Content-Type: %v", err)
	}
	s.Close()
}

// TestEndpointClose: sessions and connections alive at Close end, no
// handler is called, NewSession afterwards gives a closed session.
func TestEndpointClose(t *testing.T) {
	leakCheck(t)
	a := startEndpoint(t, EndpointOptions{})
	b := startEndpoint(t, EndpointOptions{})
	ha, hb := newRecorder(), newRecorder()
	sa, sb := a.NewSession(ha, nil), b.NewSession(hb, nil)
	connectPair(t, sa, sb, true)
	// A passive session still waiting.
	waiting := a.NewSession(nil, nil)
	errc := make(chan error, 1)
	go func() { errc <- waiting.Connect(context.Background(), sb.LocalPath(), false) }()

	if err := a.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("waiting Connect: %v", err)
	}
	ha.nothing(t, 0)
	if err := hb.closedErr(t); !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("B closed with %v", err)
	}
	s := a.NewSession(nil, nil)
	if _, err := s.Send(ctxT(t), "text/plain", []byte("x"), false, ""); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("Send on a session of a closed endpoint: %v", err)
	}
	if err := a.Start(ctxT(t)); err == nil {
		t.Fatal("Start after Close succeeded")
	}
}

func TestEndpointOptions(t *testing.T) {
	cert, _ := testCert(t, "127.0.0.1")
	for _, tc := range []struct {
		name string
		o    EndpointOptions
		ok   bool
	}{
		{"no listen", EndpointOptions{}, false},
		{"bad listen", EndpointOptions{Listen: "nowhere"}, false},
		{"unspecified without host", EndpointOptions{Listen: "0.0.0.0:2855"}, false},
		{"unspecified with host", EndpointOptions{Listen: "0.0.0.0:2855", Host: "gw.example.com"}, true},
		{"ipv6 host", EndpointOptions{Listen: "[::]:0", Host: "2001:db8::1"}, true},
		{"bad host", EndpointOptions{Listen: "127.0.0.1:0", Host: "a b"}, false},
		{"negative", EndpointOptions{Listen: "127.0.0.1:0", IdleTimeout: -1}, false},
		{"negative max connections", EndpointOptions{Listen: "127.0.0.1:0", MaxConnections: -1}, false},
		{"negative max connections per IP", EndpointOptions{Listen: "127.0.0.1:0", MaxConnectionsPerIP: -1}, false},
		{"limits", EndpointOptions{Listen: "127.0.0.1:0", MaxConnections: 10, MaxConnectionsPerIP: 10}, true},
		{"tls without certificate", EndpointOptions{Listen: "127.0.0.1:0", TLSListen: "127.0.0.1:0"}, false},
		{"tls certificate without key", EndpointOptions{Listen: "127.0.0.1:0", TLSListen: "127.0.0.1:0", TLSCertificate: &tls.Certificate{Certificate: cert.Certificate}}, false},
		{"bad tls listen", EndpointOptions{Listen: "127.0.0.1:0", TLSListen: "127.0.0.1", TLSCertificate: cert}, false},
		{"tls listen bad port", EndpointOptions{Listen: "127.0.0.1:0", TLSListen: "127.0.0.1:65536", TLSCertificate: cert}, false},
		{"require tls without tls listen", EndpointOptions{Listen: "127.0.0.1:0", RequireTLS: true}, false},
		{"certificate without tls listen", EndpointOptions{Listen: "127.0.0.1:0", TLSCertificate: cert}, true},
		{"tls", EndpointOptions{Listen: "127.0.0.1:0", TLSListen: "127.0.0.1:0", TLSCertificate: cert, RequireTLS: true}, true},
		{"plain", EndpointOptions{Listen: "127.0.0.1:2855"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := NewEndpoint(tc.o)
			if (err == nil) != tc.ok {
				t.Fatalf("NewEndpoint: %v", err)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v is not ErrConfig", err)
			}
			if e != nil && tc.o.Listen == "127.0.0.1:2855" {
				// Before Start the port comes from Listen.
				s := e.NewSession(nil, nil)
				if p := s.LocalPath(); p[0].Port != 2855 || p[0].Host != "127.0.0.1" || p[0].Secure {
					t.Fatalf("local path %v", p)
				}
				s.Close()
				if err := e.Close(ctxT(t)); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
