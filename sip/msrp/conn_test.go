package msrp

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// silentPeer accepts one connection, answers the bodiless SEND and then
// reads everything without answering.
type silentPeer struct {
	path Path
}

func newSilentPeer(t *testing.T) *silentPeer {
	t.Helper()
	return newScriptedPeer(t, func(rd *Reader, nc net.Conn) {
		var m, resp Message
		if rd.Read(&m) != nil {
			return
		}
		resp.InitResponse(&m, 200, "")
		resp.WriteTo(nc)
		_, _ = io.Copy(io.Discard, nc)
	})
}

// newScriptedPeer accepts one connection and runs script on it.
func newScriptedPeer(t *testing.T, script func(rd *Reader, nc net.Conn)) *silentPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	u := URI{Host: "127.0.0.1", Port: port, SessionID: "silent", Transport: "tcp"}
	var wg sync.WaitGroup
	accepted := make(chan net.Conn, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		accepted <- nc
		script(NewReader(bufio.NewReader(nc), Limits{}, nil), nc)
	}()
	t.Cleanup(func() {
		ln.Close()
		select {
		case nc := <-accepted:
			nc.Close()
		default:
		}
		wg.Wait()
	})
	return &silentPeer{path: Path{u}}
}

// TestUnknownSession: requests for a session that does not exist get 481
// (RFC 4975 §7.3) unless Failure-Report says no; REPORTs get nothing.
func TestUnknownSession(t *testing.T) {
	leakCheck(t)
	b := startEndpoint(t, EndpointOptions{})
	p := dialRaw(t, b.Addr())
	nowhere := Path{mustURI(t, "msrp://127.0.0.1:2855/doesnotexist;tcp")}

	quiet := p.sendTo(nowhere, "q1", "text/plain", "hello")
	quiet.FailureReport = ReportNo
	p.writeMsg(quiet)
	p.write("MSRP r1 REPORT\nTo-Path: " + nowhere.String() + "\nFrom-Path: " + p.uri.String() +
		"\nMessage-ID: x\nStatus: 000 200 OK\n-------r1$\n")
	p.writeMsg(p.sendTo(nowhere, "t1", "text/plain", "hello"))
	m := p.expect("t1", StatusNoSession) // the first answer: q1 and r1 got none
	if !m.ToPath.Equal(p.path()) || !m.FromPath.Equal(nowhere) {
		t.Fatalf("481 paths %v <- %v", m.ToPath, m.FromPath)
	}
	if got := b.counter(t, "sxgw_msrp_rejected_requests_total", "481"); got != 3 {
		t.Errorf("481 counted %v times", got)
	}
	// A session of the endpoint's, but a To-Path naming a relay first.
	s := b.NewSession(nil, nil)
	p.writeMsg(p.sendTo(append(Path{mustURI(t, "msrp://relay.example:2855/r;tcp")}, s.LocalPath()...), "t2", "text/plain", "x"))
	p.expect("t2", StatusNoSession)
}

// TestRequestsOnSession: what a bound session answers to each kind of
// request a peer may send.
func TestRequestsOnSession(t *testing.T) {
	leakCheck(t)
	b := startEndpoint(t, EndpointOptions{MaxMessage: 4096})
	hb := newRecorder()
	sb := b.NewSession(hb, []string{"text/*"})
	p := dialRaw(t, b.Addr())
	to := sb.LocalPath().String()
	from := p.uri.String()
	errc := make(chan error, 1)
	go func() { errc <- sb.Connect(ctxT(t), p.path(), false) }()
	p.writeMsg(p.sendTo(sb.LocalPath(), "bind", "", ""))
	p.expect("bind", 200)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name    string
		frame   string // LF line endings; TO and FROM replaced
		tid     string // transaction answered, "" for none
		code    int
		deliver string // body delivered, if any
	}{
		{"unknown method", "MSRP u1 FOO\nTo-Path: TO\nFrom-Path: FROM\n-------u1$\n", "u1", 501, ""},
		{"nickname", "MSRP n1 NICKNAME\nTo-Path: TO\nFrom-Path: FROM\nUse-Nickname: \"bob\"\n-------n1$\n", "n1", 501, ""},
		{"malformed", "MSRP b1 SEND\nTo-Path: TO\nFrom-Path: FROM\nByte-Range: x-y/z\n-------b1$\n", "b1", 400, ""},
		{"415", "MSRP c1 SEND\nTo-Path: TO\nFrom-Path: FROM\nMessage-ID: c1\nContent-Type: image/png\n\nPNG\n-------c1$\n", "c1", 415, ""},
		{"415 partial", "MSRP c2 SEND\nTo-Path: TO\nFrom-Path: FROM\nMessage-ID: c2\nFailure-Report: partial\nContent-Type: image/png\n\nPNG\n-------c2$\n", "c2", 415, ""},
		{"415 no", "MSRP c3 SEND\nTo-Path: TO\nFrom-Path: FROM\nMessage-ID: c3\nFailure-Report: no\nContent-Type: image/png\n\nPNG\n-------c3$\n", "", 0, ""},
		{"413 one chunk", "MSRP l1 SEND\nTo-Path: TO\nFrom-Path: FROM\nMessage-ID: l1\nContent-Type: text/plain\n\n" + strings.Repeat("z", 5000) + "\n-------l1$\n", "l1", 413, ""},
		{"413 by total", "MSRP l2 SEND\nTo-Path: TO\nFrom-Path: FROM\nMessage-ID: l2\nByte-Range: 1-10/5000\nContent-Type: text/plain\n\n0123456789\n-------l2+\n", "l2", 413, ""},
		{"200 partial", "MSRP s1 SEND\nTo-Path: TO\nFrom-Path: FROM\nMessage-ID: s1\nFailure-Report: partial\nContent-Type: text/plain\n\nquiet ok\n-------s1$\n", "", 0, "quiet ok"},
		{"200", "MSRP s2 SEND\nTo-Path: TO\nFrom-Path: FROM\nMessage-ID: s2\nByte-Range: 1-5/5\nContent-Type: text/html\n\n<b/>!\n-------s2$\n", "s2", 200, "<b/>!"},
		{"empty body", "MSRP s3 SEND\nTo-Path: TO\nFrom-Path: FROM\nMessage-ID: s3\nByte-Range: 1-0/0\nContent-Type: text/plain\n\n\n-------s3$\n", "s3", 200, ""},
		{"keep-alive", "MSRP k1 SEND\nTo-Path: TO\nFrom-Path: FROM\nMessage-ID: k1\n-------k1$\n", "k1", 200, ""},
		{"report unknown message", "MSRP r1 REPORT\nTo-Path: TO\nFrom-Path: FROM\nMessage-ID: notours\nByte-Range: 1-3/3\nStatus: 000 200 OK\n-------r1$\n", "", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frame := strings.NewReplacer("TO", to, "FROM", from).Replace(tc.frame)
			p.write(frame)
			// A keep-alive after each frame: its answer comes after the
			// frame's, if any.
			p.write("MSRP ka SEND\nTo-Path: " + to + "\nFrom-Path: " + from + "\n-------ka$\n")
			if tc.tid != "" {
				m := p.expect(tc.tid, tc.code)
				if !m.ToPath.Equal(p.path()) || !m.FromPath.Equal(sb.LocalPath()) {
					t.Fatalf("response paths %v <- %v", m.ToPath, m.FromPath)
				}
			}
			p.expect("ka", 200)
			if tc.deliver != "" {
				if m := hb.message(t); string(m.Body) != tc.deliver {
					t.Fatalf("delivered %q", m.Body)
				}
			}
			hb.nothing(t, 0)
		})
	}
	if got := b.counter(t, "sxgw_msrp_rejected_requests_total", "501"); got != 2 {
		t.Errorf("501 counted %v times", got)
	}

	// A second connection cannot use the bound session (RFC 4975 §5.4).
	p2 := dialRaw(t, b.Addr())
	p2.uri = p.uri
	p2.writeMsg(p2.sendTo(sb.LocalPath(), "dup", "text/plain", "intruder"))
	p2.expect("dup", StatusSessionAlreadyBound)
	hb.nothing(t, 20*time.Millisecond)
}

// TestPassiveBinding: the first request must come from the peer of the
// SDP (403 otherwise) and may arrive before Connect is called.
func TestPassiveBinding(t *testing.T) {
	leakCheck(t)
	b := startEndpoint(t, EndpointOptions{})
	hb := newRecorder()
	sb := b.NewSession(hb, nil)
	p := dialRaw(t, b.Addr())

	// The request arrives first; Connect comes later and binds it.
	p.writeMsg(p.sendTo(sb.LocalPath(), "early", "text/plain", "before connect"))
	time.Sleep(50 * time.Millisecond)
	if err := sb.Connect(ctxT(t), p.path(), false); err != nil {
		t.Fatal(err)
	}
	p.expect("early", 200)
	if m := hb.message(t); string(m.Body) != "before connect" {
		t.Fatalf("got %q", m.Body)
	}

	// Another session: a stranger's From-Path is refused, the peer's
	// (with another authority but the same session-id, RFC 6714) binds.
	s2 := b.NewSession(hb, nil)
	peer := mustURI(t, "msrp://peer.example.com:7777/peersession;tcp")
	errc := make(chan error, 1)
	go func() { errc <- s2.Connect(ctxT(t), Path{peer}, false) }()
	p.uri = mustURI(t, "msrp://127.0.0.1:9/stranger;tcp")
	stranger := p.sendTo(s2.LocalPath(), "x1", "text/plain", "let me in")
	for !s2ready(s2) {
		time.Sleep(time.Millisecond)
	}
	p.writeMsg(stranger)
	p.expect("x1", StatusForbidden)
	p.uri = mustURI(t, "msrp://10.0.0.7:40000/peersession;tcp")
	p.writeMsg(p.sendTo(s2.LocalPath(), "x2", "text/plain", "it's me"))
	p.expect("x2", 200)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if m := hb.message(t); string(m.Body) != "it's me" {
		t.Fatalf("got %q", m.Body)
	}
	if got := b.counter(t, "sxgw_msrp_rejected_requests_total", "403"); got != 1 {
		t.Errorf("403 counted %v times", got)
	}
	// Both sessions share the one connection.
	if got := b.counter(t, "sxgw_msrp_connections"); got != 1 {
		t.Errorf("%v connections", got)
	}
}

func s2ready(s *Session) bool {
	select {
	case <-s.ready:
		return true
	default:
		return false
	}
}

// TestPassiveTimeout: Connect gives up when no request comes; an
// accepted connection that binds nothing is closed.
func TestPassiveTimeout(t *testing.T) {
	leakCheck(t)
	b := startEndpoint(t, EndpointOptions{ConnectTimeout: 200 * time.Millisecond})
	s := b.NewSession(nil, nil)
	start := time.Now()
	err := s.Connect(ctxT(t), Path{mustURI(t, "msrp://127.0.0.1:9/x;tcp")}, false)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("Connect: %v after %v", err, time.Since(start))
	}
	if err := s.Connect(ctxT(t), Path{mustURI(t, "msrp://127.0.0.1:9/x;tcp")}, false); !errors.Is(err, ErrAlreadyConnected) {
		t.Fatalf("second Connect: %v", err)
	}
	for _, bad := range []Path{nil, {mustURI(t, "msrp://peer.example.com/x;tcp")}} {
		if err := b.NewSession(nil, nil).Connect(ctxT(t), bad, true); !errors.Is(err, ErrBadURI) {
			t.Fatalf("Connect(%v): %v", bad, err)
		}
	}

	p := dialRaw(t, b.Addr())
	p.nc.SetReadDeadline(time.Now().Add(waitFor))
	if _, err := p.nc.Read(make([]byte, 1)); err == nil {
		t.Fatal("idle connection not closed")
	}
	eventually(t, "unbound counted", func() bool {
		return b.counter(t, "sxgw_msrp_connection_errors_total", reasonUnbound) == 1
	})
}

// TestActiveConnectRefused: a peer that answers the bodiless SEND with
// 481 fails Connect; a peer that is not there fails the dial.
func TestActiveConnectRefused(t *testing.T) {
	leakCheck(t)
	a := startEndpoint(t, EndpointOptions{ConnectTimeout: 2 * time.Second})
	b := startEndpoint(t, EndpointOptions{})
	s := a.NewSession(nil, nil)
	ghost := b.NewSession(nil, nil).LocalPath()
	ghost[0].SessionID = "gone"
	err := s.Connect(ctxT(t), ghost, true)
	if statusCode(err) != StatusNoSession {
		t.Fatalf("Connect to an unknown session: %v", err)
	}
	if _, err := s.Send(ctxT(t), "text/plain", []byte("x"), false, ""); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Send after a failed Connect: %v", err)
	}
	eventually(t, "connection closed", func() bool { return a.counter(t, "sxgw_msrp_connections") == 0 })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s2 := a.NewSession(nil, nil)
	if err := s2.Connect(ctxT(t), Path{{Host: "127.0.0.1", Port: port, SessionID: "x", Transport: "tcp"}}, true); err == nil {
		t.Fatal("Connect to a closed port succeeded")
	}
	if got := a.counter(t, "sxgw_msrp_connection_errors_total", reasonDial); got != 1 {
		t.Errorf("dial errors = %v", got)
	}
}

// TestSlowHandler: a handler that does not keep up makes its session
// refuse messages (413) without holding the connection's other sessions.
func TestSlowHandler(t *testing.T) {
	leakCheck(t)
	a := startEndpoint(t, EndpointOptions{})
	b := startEndpoint(t, EndpointOptions{SessionBytes: 64 << 10, MaxMessage: 32 << 10})
	block := make(chan struct{})
	slow := &blockingHandler{recorder: newRecorder(), block: block}
	hb2 := newRecorder()
	sa1, sb1 := a.NewSession(nil, nil), b.NewSession(slow, nil)
	sa2, sb2 := a.NewSession(nil, nil), b.NewSession(hb2, nil)
	connectPair(t, sa1, sb1, true)
	connectPair(t, sa2, sb2, true)

	var refused bool
	for range 10 {
		_, err := sa1.Send(ctxT(t), "text/plain", make([]byte, 20000), false, "")
		if statusCode(err) == StatusTooLarge {
			refused = true
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !refused {
		t.Fatal("a stuck handler's session kept taking messages")
	}
	if _, err := sa2.Send(ctxT(t), "text/plain", []byte("other session"), false, ""); err != nil {
		t.Fatal(err)
	}
	if m := hb2.message(t); string(m.Body) != "other session" {
		t.Fatalf("got %q", m.Body)
	}
	close(block)
	slow.message(t)
}

type blockingHandler struct {
	*recorder
	block chan struct{}
}

func (h *blockingHandler) MSRPMessage(s *Session, m *Message) {
	<-h.block
	h.recorder.MSRPMessage(s, m)
}

// TestFailureReportAbortsSend: a failure REPORT about a message being
// sent stops it (RFC 4975 §7.3.2, §10.5) and reaches the handler.
func TestFailureReportAbortsSend(t *testing.T) {
	leakCheck(t)
	a := startEndpoint(t, EndpointOptions{TransactionTimeout: waitFor})
	peer := newScriptedPeer(t, func(rd *Reader, nc net.Conn) {
		var m, out Message
		if rd.Read(&m) != nil { // the bodiless SEND
			return
		}
		out.InitResponse(&m, 200, "")
		out.WriteTo(nc)
		if rd.Read(&m) != nil { // the first chunk: no 200, a REPORT
			return
		}
		out.InitReport(&m, "rep1", StatusTooLarge, "")
		out.WriteTo(nc)
		_, _ = io.Copy(io.Discard, nc)
	})
	h := newRecorder()
	s := a.NewSession(h, nil)
	if err := s.Connect(ctxT(t), peer.path, true); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	id, err := s.Send(ctxT(t), "application/octet-stream", make([]byte, 300<<10), false, "")
	if statusCode(err) != StatusTooLarge || id != "" {
		t.Fatalf("Send: %q %v, want 413", id, err)
	}
	if d := time.Since(start); d > waitFor/2 {
		t.Fatalf("Send took %v", d)
	}
	r := h.report(t)
	if r.Status.Code != StatusTooLarge || r.ByteRange.Start != 1 {
		t.Fatalf("REPORT %v %v", r.Status, r.ByteRange)
	}
	if got := a.counter(t, "sxgw_msrp_report_failures_total", dirReceived); got != 1 {
		t.Errorf("report failures received = %v", got)
	}
	s.Close()
	if err := s.Report(ctxT(t), r, StatusOK); err != nil {
		// r is a REPORT: nothing to report about it, whatever the state.
		t.Fatalf("Report about a REPORT: %v", err)
	}
}
