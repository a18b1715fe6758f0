package msrp

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

// startTLSEndpoint starts an endpoint with a TLS listener and a
// self-signed certificate of its own for 127.0.0.1, unless o has one; it
// returns the pool that trusts that certificate.
func startTLSEndpoint(tb testing.TB, o EndpointOptions) (*testEndpoint, *x509.CertPool) {
	tb.Helper()
	var pool *x509.CertPool
	if o.TLSCertificate == nil {
		o.TLSCertificate, pool = testCert(tb, "127.0.0.1")
	}
	if o.TLSListen == "" {
		o.TLSListen = "127.0.0.1:0"
	}
	return startEndpoint(tb, o), pool
}

func newTLSSession(tb testing.TB, e *testEndpoint, h Handler) *Session {
	tb.Helper()
	s, err := e.NewTLSSession(h, nil)
	if err != nil {
		tb.Fatalf("NewTLSSession: %v", err)
	}
	return s
}

// connectBoth runs the passive side's Connect (given the active side's
// fingerprints) and the active side's (given the passive side's) at once
// and returns their errors. A passive side that gets no binding waits
// for its endpoint's ConnectTimeout.
func connectBoth(tb testing.TB, active, passive *Session, activeFPs, passiveFPs []Fingerprint) (errActive, errPassive error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- passive.Connect(ctx, active.LocalPath(), false, activeFPs...) }()
	errActive = active.Connect(ctx, passive.LocalPath(), true, passiveFPs...)
	return errActive, <-errc
}

// otherFingerprints are the fingerprints of a certificate nobody uses.
func otherFingerprints(tb testing.TB) []Fingerprint {
	tb.Helper()
	cert, _ := testCert(tb, "127.0.0.1")
	return CertificateFingerprints(cert.Leaf)
}

// TestTLSSessions: msrps sessions between two endpoints with self-signed
// certificates, authenticated by fingerprint, each side active in turn
// (RFC 6135 a=setup roles): URIs on the TLS listener, a chunked message
// and its REPORT, and a reply.
func TestTLSSessions(t *testing.T) {
	leakCheck(t)
	for _, aActive := range []bool{true, false} {
		t.Run("a active "+strconv.FormatBool(aActive), func(t *testing.T) {
			a, _ := startTLSEndpoint(t, EndpointOptions{})
			b, _ := startTLSEndpoint(t, EndpointOptions{})
			ha, hb := newRecorder(), newRecorder()
			sa, sb := newTLSSession(t, a, ha), newTLSSession(t, b, hb)
			for _, x := range []struct {
				e *testEndpoint
				s *Session
			}{{a, sa}, {b, sb}} {
				u := x.s.LocalPath()[0]
				if !x.s.Secure() || !u.Secure || u.Port != x.e.TLSAddr().(*net.TCPAddr).Port || u.Port == x.e.Addr().(*net.TCPAddr).Port {
					t.Fatalf("local URI %v, TLS listener %v", u, x.e.TLSAddr())
				}
			}
			active, passive, activeE, passiveE := sa, sb, a, b
			if !aActive {
				active, passive, activeE, passiveE = sb, sa, b, a
			}
			errA, errP := connectBoth(t, active, passive, activeE.Fingerprints(), passiveE.Fingerprints())
			if errA != nil || errP != nil {
				t.Fatalf("Connect: active %v, passive %v", errA, errP)
			}
			body := []byte(textOf(50000))
			if _, err := sa.Send(ctxT(t), "text/plain", body, true, ""); err != nil {
				t.Fatal(err)
			}
			m := hb.message(t)
			if string(m.Body) != string(body) {
				t.Fatal("body changed")
			}
			if err := sb.Report(ctxT(t), m, 200); err != nil {
				t.Fatal(err)
			}
			if r := ha.report(t); r.Status.Code != 200 || r.ByteRange.Total != int64(len(body)) {
				t.Fatalf("REPORT %v %v", r.Status, r.ByteRange)
			}
			if _, err := sb.Send(ctxT(t), "text/plain", []byte("back"), false, ""); err != nil {
				t.Fatal(err)
			}
			if m := ha.message(t); string(m.Body) != "back" {
				t.Fatalf("got %q", m.Body)
			}
			for _, e := range []*testEndpoint{a, b} {
				for _, r := range []string{reasonFingerprint, reasonHandshake} {
					if got := e.counter(t, "sxgw_msrp_connection_errors_total", r); got != 0 {
						t.Errorf("connection errors %s = %v", r, got)
					}
				}
			}
			ha.nothing(t, 0)
			hb.nothing(t, 0)
		})
	}
}

// TestTLSFingerprintMismatch: a certificate that does not match the
// fingerprint of its SDP is refused in either role (RFC 8122 §6.2,
// RFC 4975 §14.4): the connection is closed, the reason counted, the
// session's Connect fails with ErrFingerprint.
func TestTLSFingerprintMismatch(t *testing.T) {
	leakCheck(t)
	for _, tc := range []struct {
		name string
		// wrongActive: the passive side got the wrong fingerprints for the
		// active side; else the active side got wrong ones for the
		// passive side.
		wrongActive bool
		// md5: the wrong fingerprints are the right certificate's, with
		// a hash that must not be used (RFC 8122 §5).
		md5 bool
	}{
		{"server certificate checked by the client", false, false},
		{"client certificate checked by the server", true, false},
		{"only md5 fingerprints", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := EndpointOptions{ConnectTimeout: time.Second}
			a, _ := startTLSEndpoint(t, o) // active
			b, _ := startTLSEndpoint(t, o) // passive
			ha, hb := newRecorder(), newRecorder()
			sa, sb := newTLSSession(t, a, ha), newTLSSession(t, b, hb)
			fpa, fpb := a.Fingerprints(), b.Fingerprints()
			wrong := otherFingerprints(t)
			if tc.md5 {
				wrong = []Fingerprint{{Hash: "md5", Digest: make([]byte, 16)}}
			}
			checker, victim := a, b
			if tc.wrongActive {
				fpa, checker, victim = wrong, b, a
			} else {
				fpb = wrong
			}
			errA, errB := connectBoth(t, sa, sb, fpa, fpb)
			if errA == nil {
				t.Fatal("active Connect succeeded")
			}
			if errB == nil {
				t.Fatal("passive Connect succeeded")
			}
			checkErr := errA
			if tc.wrongActive {
				checkErr = errB
			}
			if !errors.Is(checkErr, ErrFingerprint) {
				t.Fatalf("Connect of the checking side: %v, want ErrFingerprint", checkErr)
			}
			eventually(t, "fingerprint failure counted", func() bool {
				return checker.counter(t, "sxgw_msrp_connection_errors_total", reasonFingerprint) == 1
			})
			if !tc.wrongActive {
				// RFC 8122 §6.2: the client ends the handshake with
				// bad_certificate; the server sees a failed handshake.
				eventually(t, "handshake failure counted", func() bool {
					return victim.counter(t, "sxgw_msrp_connection_errors_total", reasonHandshake) == 1
				})
			}
			eventually(t, "connections closed", func() bool {
				return a.counter(t, "sxgw_msrp_connections") == 0 && b.counter(t, "sxgw_msrp_connections") == 0
			})
			if tc.wrongActive {
				// The passive session is torn down (RFC 4975 §14.4), and its
				// handler told why.
				if err := hb.closedErr(t); !errors.Is(err, ErrFingerprint) {
					t.Errorf("MSRPClosed: %v, want ErrFingerprint", err)
				}
			} else {
				// Never connected: nothing to tell.
				ha.nothing(t, 0)
			}
			if len(hb.msgs) != 0 || len(ha.msgs) != 0 {
				t.Error("a message was delivered")
			}
		})
	}
}

// TestTLSNoClientCertificate: a TLS client that presents no certificate
// for a session whose SDP gave a fingerprint is refused (RFC 8122 §6.2):
// no response, the connection closed, the session torn down.
func TestTLSNoClientCertificate(t *testing.T) {
	leakCheck(t)
	b, _ := startTLSEndpoint(t, EndpointOptions{})
	sb := newTLSSession(t, b, nil)
	peer := mustURI(t, "msrps://127.0.0.1:9/nocert;tcp")
	errc := make(chan error, 1)
	go func() { errc <- sb.Connect(ctxT(t), Path{peer}, false, otherFingerprints(t)...) }()

	nc, err := tls.Dial("tcp", b.TLSAddr().String(), &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	m := sendFrame(Path{sb.LocalPath()[0]}, Path{peer})
	if _, err := m.WriteTo(nc); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(waitFor))
	if n, err := io.Copy(io.Discard, nc); n != 0 || isTimeout(err) {
		t.Fatalf("read %d bytes, %v; want the connection closed without a response", n, err)
	}
	if err := <-errc; !errors.Is(err, ErrFingerprint) {
		t.Fatalf("Connect: %v, want ErrFingerprint", err)
	}
	if got := b.counter(t, "sxgw_msrp_connection_errors_total", reasonFingerprint); got != 1 {
		t.Errorf("fingerprint failures = %v", got)
	}
	if got := b.sessions(t); got != 0 {
		t.Errorf("sessions = %v after the refusal", got)
	}
}

// sendFrame is a bodiless SEND from from to to.
func sendFrame(to, from Path) *Message {
	return &Message{TransactionID: NewTransactionID(), Method: MethodSEND, ToPath: to, FromPath: from,
		MessageID: NewMessageID(), ByteRange: ByteRange{Start: 1, End: 0, Total: 0}, Flag: FlagEnd}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestTLSWithoutFingerprint: without a=fingerprint, a peer we dial must
// have a certificate valid for its host, signed by a trusted authority
// (RFC 4975 §5.4); a peer that dials us is known by its first request.
func TestTLSWithoutFingerprint(t *testing.T) {
	leakCheck(t)
	b, bRoots := startTLSEndpoint(t, EndpointOptions{})
	trusting, _ := startTLSEndpoint(t, EndpointOptions{TLSRootCAs: bRoots})
	sa, sb := newTLSSession(t, trusting, nil), newTLSSession(t, b, newRecorder())
	if errA, errB := connectBoth(t, sa, sb, nil, nil); errA != nil || errB != nil {
		t.Fatalf("Connect: %v, %v", errA, errB)
	}
	if _, err := sa.Send(ctxT(t), "text/plain", []byte("hi"), false, ""); err != nil {
		t.Fatal(err)
	}

	// The system roots do not know b's self-signed certificate.
	untrusting, _ := startTLSEndpoint(t, EndpointOptions{})
	s := newTLSSession(t, untrusting, nil)
	if err := s.Connect(ctxT(t), newTLSSession(t, b, nil).LocalPath(), true); err == nil || errors.Is(err, ErrFingerprint) {
		t.Fatalf("Connect with an untrusted certificate: %v", err)
	}
	if got := untrusting.counter(t, "sxgw_msrp_connection_errors_total", reasonHandshake); got != 1 {
		t.Errorf("client handshake failures = %v", got)
	}
}

// TestTLSClientHello: what we send when we dial an msrps URI: TLS 1.2
// or later only, SNI with a host name but not with an IP address
// (RFC 6066 §3), and our certificate when asked (RFC 8122 §6.2).
func TestTLSClientHello(t *testing.T) {
	leakCheck(t)
	srvCert, _ := testCert(t, "localhost")
	a, _ := startTLSEndpoint(t, EndpointOptions{ConnectTimeout: time.Second})
	type hello struct {
		sni      string
		versions []uint16
	}
	for _, tc := range []struct{ host, sni string }{
		{"127.0.0.1", ""},
		{"localhost", "localhost"},
	} {
		t.Run(tc.host, func(t *testing.T) {
			hellos := make(chan hello, 1)
			cfg := &tls.Config{
				Certificates: []tls.Certificate{*srvCert},
				ClientAuth:   tls.RequireAnyClientCert,
				GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
					hellos <- hello{sni: h.ServerName, versions: h.SupportedVersions}
					return nil, nil
				},
			}
			ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			certs := make(chan int, 1)
			go func() {
				nc, err := ln.Accept()
				if err != nil {
					certs <- -1
					return
				}
				defer nc.Close()
				tc := nc.(*tls.Conn)
				if err := tc.Handshake(); err != nil {
					certs <- -1
					return
				}
				certs <- len(tc.ConnectionState().PeerCertificates)
				// Answer the bodiless SEND so that Connect succeeds.
				rd := NewReader(bufio.NewReader(tc), Limits{}, nil)
				var m Message
				if rd.Read(&m) == nil {
					var r Message
					if r.InitResponse(&m, StatusOK, "") == nil {
						_, _ = r.WriteTo(tc)
					}
				}
			}()
			port := ln.Addr().(*net.TCPAddr).Port
			remote := mustURI(t, "msrps://"+net.JoinHostPort(tc.host, strconv.Itoa(port))+"/srv;tcp")
			s := newTLSSession(t, a, nil)
			if err := s.Connect(ctxT(t), Path{remote}, true, CertificateFingerprints(srvCert.Leaf)...); err != nil {
				t.Fatalf("Connect: %v", err)
			}
			s.Close()
			var h hello
			select {
			case h = <-hellos:
			case <-time.After(waitFor):
				t.Fatal("no ClientHello")
			}
			if h.sni != tc.sni {
				t.Errorf("SNI %q, want %q", h.sni, tc.sni)
			}
			for _, v := range h.versions {
				if v < tls.VersionTLS12 {
					t.Errorf("offers TLS version %#x", v)
				}
			}
			if n := <-certs; n != 1 {
				t.Errorf("client presented %d certificates, want 1", n)
			}
		})
	}
}

// TestTLSTransportRules: msrp and msrps do not mix (RFC 4975 §6): a
// plain client on the TLS listener fails its handshake, a plain request
// for an msrps session is refused, paths of the other scheme are
// refused, old TLS versions too, and RequireTLS refuses plain sessions.
func TestTLSTransportRules(t *testing.T) {
	leakCheck(t)
	b, _ := startTLSEndpoint(t, EndpointOptions{})
	plain := startEndpoint(t, EndpointOptions{})
	sb := newTLSSession(t, b, nil)

	if _, err := plain.NewTLSSession(nil, nil); !errors.Is(err, ErrNoTLS) {
		t.Errorf("NewTLSSession without TLS: %v", err)
	}
	ps := plain.NewSession(nil, nil)
	defer ps.Close()
	if err := ps.Connect(ctxT(t), sb.LocalPath(), true); !errors.Is(err, ErrSchemeMismatch) {
		t.Errorf("plain session to an msrps path: %v", err)
	}
	ts := newTLSSession(t, b, nil)
	defer ts.Close()
	if err := ts.Connect(ctxT(t), ps.LocalPath(), true); !errors.Is(err, ErrSchemeMismatch) {
		t.Errorf("msrps session to an msrp path: %v", err)
	}

	// A plain client on the TLS listener.
	p := dialRaw(t, b.TLSAddr())
	p.writeMsg(p.sendTo(sb.LocalPath(), "plain", "text/plain", "no tls"))
	p.nc.SetReadDeadline(time.Now().Add(waitFor))
	if _, err := io.ReadAll(p.nc); err != nil {
		t.Fatalf("plain client: %v", err)
	}
	eventually(t, "handshake failure counted", func() bool {
		return b.counter(t, "sxgw_msrp_connection_errors_total", reasonHandshake) == 1
	})

	// A plain request for the msrps session on the plain listener.
	p2 := dialRaw(t, b.Addr())
	p2.writeMsg(p2.sendTo(sb.LocalPath(), "t-plain", "", ""))
	if r := p2.read(); r.TransactionID != "t-plain" || r.Code != StatusForbidden {
		t.Fatalf("plain request for an msrps session: %s %d", r.TransactionID, r.Code)
	}

	// TLS 1.1 and older are refused.
	old, err := tls.Dial("tcp", b.TLSAddr().String(), &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11})
	if err == nil {
		old.Close()
		t.Error("TLS 1.1 handshake succeeded")
	}

	req, _ := startTLSEndpoint(t, EndpointOptions{RequireTLS: true})
	if !req.RequireTLS() || !req.TLS() {
		t.Fatal("RequireTLS or TLS not reported")
	}
	rs := req.NewSession(nil, nil)
	defer rs.Close()
	if err := rs.Connect(ctxT(t), plain.NewSession(nil, nil).LocalPath(), true); !errors.Is(err, ErrTLSRequired) {
		t.Errorf("plain session with RequireTLS: %v", err)
	}
}

// TestTLSReuse: a second session reuses the connection dialled for a
// first (RFC 4975 §5.4), and is checked against its own fingerprints: a
// mismatch fails it and leaves the first session working.
func TestTLSReuse(t *testing.T) {
	leakCheck(t)
	a, _ := startTLSEndpoint(t, EndpointOptions{})
	b, _ := startTLSEndpoint(t, EndpointOptions{ConnectTimeout: time.Second})
	hb := newRecorder()
	sa1, sb1 := newTLSSession(t, a, nil), newTLSSession(t, b, hb)
	if errA, errB := connectBoth(t, sa1, sb1, a.Fingerprints(), b.Fingerprints()); errA != nil || errB != nil {
		t.Fatalf("first pair: %v, %v", errA, errB)
	}
	sa2, sb2 := newTLSSession(t, a, nil), newTLSSession(t, b, nil)
	defer sa2.Close()
	errA, _ := connectBoth(t, sa2, sb2, a.Fingerprints(), otherFingerprints(t))
	if !errors.Is(errA, ErrFingerprint) {
		t.Fatalf("second pair: %v, want ErrFingerprint", errA)
	}
	if got := a.counter(t, "sxgw_msrp_connection_errors_total", reasonFingerprint); got != 1 {
		t.Errorf("fingerprint failures = %v", got)
	}
	if got := a.counter(t, "sxgw_msrp_connections"); got != 1 {
		t.Errorf("connections = %v, want the reused one", got)
	}
	if _, err := sa1.Send(ctxT(t), "text/plain", []byte("still here"), false, ""); err != nil {
		t.Fatal(err)
	}
	if m := hb.message(t); string(m.Body) != "still here" {
		t.Fatalf("got %q", m.Body)
	}
}
