package msrp

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"
)

// waitFor bounds every wait of the session tests.
const waitFor = 10 * time.Second

// recorder is a Handler that hands what it gets to channels.
type recorder struct {
	msgs    chan *Message
	reports chan *Message
	closed  chan error
}

func newRecorder() *recorder {
	return &recorder{
		msgs:    make(chan *Message, 64),
		reports: make(chan *Message, 64),
		closed:  make(chan error, 8),
	}
}

func (r *recorder) MSRPMessage(_ *Session, m *Message) { r.msgs <- m }
func (r *recorder) MSRPReport(_ *Session, m *Message)  { r.reports <- m }
func (r *recorder) MSRPClosed(_ *Session, err error)   { r.closed <- err }

func (r *recorder) message(tb testing.TB) *Message {
	tb.Helper()
	select {
	case m := <-r.msgs:
		return m
	case <-time.After(waitFor):
		tb.Fatal("no message delivered")
	}
	return nil
}

func (r *recorder) report(tb testing.TB) *Message {
	tb.Helper()
	select {
	case m := <-r.reports:
		return m
	case <-time.After(waitFor):
		tb.Fatal("no REPORT delivered")
	}
	return nil
}

func (r *recorder) closedErr(tb testing.TB) error {
	tb.Helper()
	select {
	case err := <-r.closed:
		return err
	case <-time.After(waitFor):
		tb.Fatal("MSRPClosed not called")
	}
	return nil
}

// nothing asserts that no message, REPORT or close arrives within d.
func (r *recorder) nothing(tb testing.TB, d time.Duration) {
	tb.Helper()
	select {
	case m := <-r.msgs:
		tb.Fatalf("unexpected message %q", m.Body)
	case m := <-r.reports:
		tb.Fatalf("unexpected REPORT %v", m.Status)
	case err := <-r.closed:
		tb.Fatalf("unexpected close: %v", err)
	case <-time.After(d):
	}
}

// testEndpoint is an Endpoint on 127.0.0.1 with its own registry.
type testEndpoint struct {
	*Endpoint
	reg *prometheus.Registry
}

func startEndpoint(tb testing.TB, o EndpointOptions) *testEndpoint {
	tb.Helper()
	reg := prometheus.NewRegistry()
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	o.Registerer = reg
	e, err := NewEndpoint(o)
	if err != nil {
		tb.Fatalf("NewEndpoint: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := e.Start(ctx); err != nil {
		tb.Fatalf("Start: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := e.Close(ctx); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return &testEndpoint{Endpoint: e, reg: reg}
}

// counter returns the value of a metric (with label values, if any).
func (te *testEndpoint) counter(tb testing.TB, name string, labels ...string) float64 {
	tb.Helper()
	mfs, err := te.reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for i, lp := range m.GetLabel() {
				if i >= len(labels) || lp.GetValue() != labels[i] {
					continue next
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// eventually polls cond until it holds or the wait bound passes.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// connectPair connects sa (on a) and sb (on b): the active one dials.
func connectPair(tb testing.TB, sa, sb *Session, aActive bool) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	errc := make(chan error, 1)
	passive, active := sb, sa
	if !aActive {
		passive, active = sa, sb
	}
	go func() { errc <- passive.Connect(ctx, active.LocalPath(), false) }()
	if err := active.Connect(ctx, passive.LocalPath(), true); err != nil {
		tb.Fatalf("active Connect: %v", err)
	}
	if err := <-errc; err != nil {
		tb.Fatalf("passive Connect: %v", err)
	}
}

func ctxT(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	tb.Cleanup(cancel)
	return ctx
}

func statusCode(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// rawPeer is a hand-driven MSRP peer over one TCP connection.
type rawPeer struct {
	tb  testing.TB
	nc  net.Conn
	rd  *Reader
	uri URI
}

func dialRaw(tb testing.TB, addr net.Addr) *rawPeer {
	tb.Helper()
	nc, err := net.DialTimeout("tcp", addr.String(), waitFor)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { nc.Close() })
	return &rawPeer{
		tb:  tb,
		nc:  nc,
		rd:  NewReader(bufio.NewReader(nc), Limits{}, nil),
		uri: mustURI(tb, "msrp://127.0.0.1:9/rawpeer"+NewSessionID()+";tcp"),
	}
}

func (p *rawPeer) path() Path { return Path{p.uri} }

// write sends text with LF line endings turned into CRLF.
func (p *rawPeer) write(text string) {
	p.tb.Helper()
	p.nc.SetWriteDeadline(time.Now().Add(waitFor))
	if _, err := p.nc.Write(crlf([]byte(text))); err != nil {
		p.tb.Fatalf("raw write: %v", err)
	}
}

func (p *rawPeer) writeMsg(m *Message) {
	p.tb.Helper()
	p.nc.SetWriteDeadline(time.Now().Add(waitFor))
	if _, err := m.WriteTo(p.nc); err != nil {
		p.tb.Fatalf("raw write: %v", err)
	}
}

// read returns the next frame.
func (p *rawPeer) read() *Message {
	p.tb.Helper()
	p.nc.SetReadDeadline(time.Now().Add(waitFor))
	m := new(Message)
	if err := p.rd.Read(m); err != nil {
		p.tb.Fatalf("raw read: %v", err)
	}
	return m.Clone()
}

// expect reads a response and checks its transaction and code.
func (p *rawPeer) expect(tid string, code int) *Message {
	p.tb.Helper()
	m := p.read()
	if m.TransactionID != tid || m.Code != code {
		p.tb.Fatalf("got %q %d %s, want %q %d", m.TransactionID, m.Code, m.Method, tid, code)
	}
	return m
}

// sendTo builds a SEND from the raw peer to session path to.
func (p *rawPeer) sendTo(to Path, tid, ct, body string) *Message {
	m := &Message{
		TransactionID: tid,
		Method:        MethodSEND,
		ToPath:        to,
		FromPath:      p.path(),
		MessageID:     "m" + tid,
		ContentType:   ct,
		Body:          []byte(body),
		Flag:          FlagEnd,
	}
	n := int64(len(body))
	m.ByteRange = ByteRange{Start: 1, End: n, Total: n}
	if ct == "" {
		m.ByteRange = ByteRange{Start: 1, End: 0, Total: 0}
		m.Body = nil
	}
	return m
}

// testCert returns a self-signed certificate for host (an IP address
// or a DNS name), ECDSA P-256 signed with SHA-256, and a pool that
// trusts it.
func testCert(tb testing.TB, host string) (*tls.Certificate, *x509.CertPool) {
	tb.Helper()
	return testCertSigned(tb, host, x509.ECDSAWithSHA256)
}

// testCertSigned is testCert with the signature algorithm alg.
func testCertSigned(tb testing.TB, host string, alg x509.SignatureAlgorithm) (*tls.Certificate, *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "msrp test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		SignatureAlgorithm:    alg,
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// gaugeSessions reads sxgw_msrp_sessions.
func (te *testEndpoint) sessions(tb testing.TB) float64 {
	tb.Helper()
	n, err := testutil.GatherAndCount(te.reg, "sxgw_msrp_sessions")
	if err != nil || n != 1 {
		tb.Fatalf("sxgw_msrp_sessions: %d series, %v", n, err)
	}
	return te.counter(tb, "sxgw_msrp_sessions")
}

func textOf(n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString("Vive l'été, ünïcödé text ✓ 0123456789. ")
	}
	return b.String()[:n]
}

// leakCheck verifies, after every other cleanup of the test (endpoints
// close in theirs), that no goroutine is left.
func leakCheck(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
}
