package sip

import (
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
	"strconv"
	"sync"
	"testing"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// uas is a test user agent server: an Endpoint answering MESSAGE with a
// fixed status and recording what it received.
type uas struct {
	e    *Endpoint
	mu   sync.Mutex
	reqs []*sipgosip.Request
}

func startUAS(t *testing.T, status int, o Options) *uas {
	t.Helper()
	e, _ := startEndpoint(t, o)
	u := &uas{e: e}
	e.Handle("MESSAGE", func(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
		u.mu.Lock()
		u.reqs = append(u.reqs, req.Clone())
		u.mu.Unlock()
		_ = tx.Respond(sipgosip.NewResponseFromRequest(req, status, "Test "+strconv.Itoa(status), nil))
	})
	return u
}

func (u *uas) received() []*sipgosip.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]*sipgosip.Request(nil), u.reqs...)
}

func (u *uas) port(t *testing.T, transport string) uint16 {
	return addrOf(t, u.e, transport).Port()
}

func newMessage(t testing.TB, to string) *sipgosip.Request {
	req := sipgosip.NewRequest(sipgosip.MESSAGE, mustURI(t, to))
	req.AppendHeader(sipgosip.NewHeader("Content-Type", "text/plain"))
	req.SetBody([]byte("hello"))
	return req
}

func doCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// closedPort returns a loopback TCP port nothing listens on.
func closedPort(t *testing.T) uint16 {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return uint16(p)
}

func TestDoViaNAPTR(t *testing.T) {
	server := startUAS(t, 200, Options{})
	dns, res := startDNS(t)
	dns.AddNAPTR("example.test", 10, 10, "s", "SIP+D2T", "", "_sip._tcp.example.test")
	dns.AddSRV("_sip._tcp.example.test", "uas.example.test", server.port(t, TransportTCP), 10, 10)
	dns.AddA("uas.example.test", "127.0.0.1")

	client, _ := startEndpoint(t, Options{Resolver: res, Domains: []string{"client.test"}, UserAgent: "sxgw/client"})
	resp, err := client.Do(doCtx(t), newMessage(t, "sip:alice@example.test"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	got := server.received()
	if len(got) != 1 {
		t.Fatalf("UAS got %d requests", len(got))
	}
	r := got[0]
	if v, _ := header(r, "User-Agent"); v != "sxgw/client" {
		t.Errorf("User-Agent = %q", v)
	}
	if r.Via() == nil || r.Via().Transport != "TCP" {
		t.Errorf("Via = %v", r.Via())
	}
	if r.From() == nil || r.From().Address.Host != "client.test" || !hasTag(r.From().Params) {
		t.Errorf("From = %v", r.From())
	}
	if string(r.Body()) != "hello" {
		t.Errorf("body %q", r.Body())
	}
	if got := testutil.ToFloat64(client.m.outgoing.WithLabelValues("MESSAGE", "2xx")); got != 1 {
		t.Errorf("outgoing{MESSAGE,2xx} = %v", got)
	}
}

func TestDoFailover(t *testing.T) {
	busy := startUAS(t, 503, Options{})
	good := startUAS(t, 200, Options{})
	dns, res := startDNS(t)
	// RFC 3263 §4.3: a transport error, then a 503, then success.
	dns.AddSRV("_sip._tcp.example.test", "dead.example.test", closedPort(t), 10, 10)
	dns.AddSRV("_sip._tcp.example.test", "busy.example.test", busy.port(t, TransportTCP), 20, 10)
	dns.AddSRV("_sip._tcp.example.test", "good.example.test", good.port(t, TransportTCP), 30, 10)
	for _, h := range []string{"dead", "busy", "good"} {
		dns.AddA(h+".example.test", "127.0.0.1")
	}
	client, _ := startEndpoint(t, Options{Resolver: res})

	resp, err := client.Do(doCtx(t), newMessage(t, "sip:alice@example.test;transport=tcp"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d, want 200 from the third target", resp.StatusCode)
	}
	b, g := busy.received(), good.received()
	if len(b) != 1 || len(g) != 1 {
		t.Fatalf("busy got %d, good got %d requests", len(b), len(g))
	}
	// The same request under a new branch.
	if b[0].CallID().Value() != g[0].CallID().Value() || b[0].CSeq().SeqNo != g[0].CSeq().SeqNo {
		t.Error("failover changed Call-ID or CSeq")
	}
	bb, _ := b[0].Via().Params.Get("branch")
	gb, _ := g[0].Via().Params.Get("branch")
	if bb == gb || bb == "" {
		t.Errorf("branches %q and %q", bb, gb)
	}

	// Only failing targets: the last 503 comes back.
	dns.Remove("_sip._tcp.example.test")
	dns.AddSRV("_sip._tcp.example.test", "dead.example.test", closedPort(t), 10, 10)
	dns.AddSRV("_sip._tcp.example.test", "busy.example.test", busy.port(t, TransportTCP), 20, 10)
	resp, err = client.Do(doCtx(t), newMessage(t, "sip:alice@example.test;transport=tcp"))
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("all failing: %v, %v; want 503", resp, err)
	}

	// Only dead targets: an error.
	dns.Remove("_sip._tcp.example.test")
	dns.AddSRV("_sip._tcp.example.test", "dead.example.test", closedPort(t), 10, 10)
	if resp, err = client.Do(doCtx(t), newMessage(t, "sip:alice@example.test;transport=tcp")); err == nil {
		t.Fatalf("dead target: %v, want error", resp)
	}
	if got := testutil.ToFloat64(client.m.outgoing.WithLabelValues("MESSAGE", classError)); got != 1 {
		t.Errorf("outgoing{MESSAGE,error} = %v", got)
	}
}

func TestDoUDPFromListener(t *testing.T) {
	server := startUAS(t, 200, Options{})
	client, _ := startEndpoint(t, Options{})
	from := addrOf(t, client, TransportUDP)
	target := "sip:alice@127.0.0.1:" + strconv.Itoa(int(server.port(t, TransportUDP)))
	resp, err := client.Do(doCtx(t), newMessage(t, target))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v, %v", resp, err)
	}
	r := server.received()[0]
	if src := r.Source(); src != from.String() {
		t.Errorf("sent from %s, want the listener %s", src, from)
	}
	if via := r.Via(); via.Host != "127.0.0.1" || via.Port != int(from.Port()) || via.Transport != "UDP" {
		t.Errorf("Via %s", via.Value())
	}
}

func TestDoOutboundProxy(t *testing.T) {
	proxy := startUAS(t, 200, Options{Domains: []string{"elsewhere.test"}})
	proxyURI := "127.0.0.1:" + strconv.Itoa(int(proxy.port(t, TransportTCP))) + ";transport=tcp"
	client, _ := startEndpoint(t, Options{OutboundProxy: proxyURI})
	resp, err := client.Do(doCtx(t), newMessage(t, "sip:alice@elsewhere.test"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v, %v", resp, err)
	}
	r := proxy.received()[0]
	if r.Recipient.Host != "elsewhere.test" {
		t.Errorf("Request-URI %s", r.Recipient.String())
	}
	route := r.Route()
	if route == nil || route.Address.Host != "127.0.0.1" || !route.Address.UriParams.Has("lr") {
		t.Errorf("Route = %v", route)
	}
}

func TestDoWebSocket(t *testing.T) {
	server := startUAS(t, 200, Options{Listen: []string{"ws:127.0.0.1:0"}})
	client, _ := startEndpoint(t, Options{Listen: []string{}})
	target := "sip:alice@127.0.0.1:" + strconv.Itoa(int(server.port(t, TransportWS))) + ";transport=ws"
	resp, err := client.Do(doCtx(t), newMessage(t, target))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v, %v", resp, err)
	}
	if via := server.received()[0].Via(); via.Transport != "WS" {
		t.Errorf("Via %s", via.Value())
	}
}

func TestDoTLSVerifiesDomain(t *testing.T) {
	ca := newTestCA(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, "tls.example.test")}, MinVersion: tls.VersionTLS12}
	server := startUAS(t, 200, Options{Listen: []string{"tls:127.0.0.1:0"}, TLSConfig: serverTLS, Domains: []string{"tls.example.test", "other.example.test"}})
	port := server.port(t, TransportTLS)
	dns, res := startDNS(t)
	for _, d := range []string{"tls.example.test", "other.example.test"} {
		dns.AddNAPTR(d, 10, 10, "s", "SIPS+D2T", "", "_sips._tcp."+d)
		// The SRV target's name is not what the certificate must match.
		dns.AddSRV("_sips._tcp."+d, "node1.example.test", port, 10, 10)
	}
	dns.AddA("node1.example.test", "127.0.0.1")
	clientTLS := &tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS12}

	ok, _ := startEndpoint(t, Options{Listen: []string{}, Resolver: res, TLSConfig: clientTLS})
	resp, err := ok.Do(doCtx(t), newMessage(t, "sips:alice@tls.example.test"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("matching certificate: %v, %v", resp, err)
	}

	bad, _ := startEndpoint(t, Options{Listen: []string{}, Resolver: res, TLSConfig: clientTLS})
	resp, err = bad.Do(doCtx(t), newMessage(t, "sips:alice@other.example.test"))
	var hostErr x509.HostnameError
	if err == nil || !errors.As(err, &hostErr) {
		t.Fatalf("certificate for another domain: %v, %v; want a hostname error", resp, err)
	}
	// The connection verified for tls.example.test is not reused for
	// other.example.test.
	if _, err := ok.Do(doCtx(t), newMessage(t, "sips:alice@other.example.test")); !errors.Is(err, errTLSName) {
		t.Fatalf("pooled connection reused for another name: %v", err)
	}
	if n := len(server.received()); n != 1 {
		t.Errorf("server got %d requests, want 1", n)
	}
}

func TestDoRejects(t *testing.T) {
	e, _ := startEndpoint(t, Options{Listen: []string{}})
	ack := sipgosip.NewRequest(sipgosip.ACK, mustURI(t, "sip:alice@127.0.0.1"))
	if _, err := e.Do(doCtx(t), ack); !errors.Is(err, ErrBadRequest) {
		t.Errorf("ACK: %v", err)
	}
	if _, err := e.Do(doCtx(t), newMessage(t, "tel:+15551234567")); !errors.Is(err, ErrUnsupportedURI) {
		t.Errorf("tel: %v", err)
	}
	_ = e.Close()
	if _, err := e.Do(doCtx(t), newMessage(t, "sip:alice@127.0.0.1")); !errors.Is(err, ErrClosed) {
		t.Errorf("closed: %v", err)
	}
}

// testCA issues certificates for tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sxgw test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

func (ca *testCA) leaf(t *testing.T, dnsName string) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: dnsName},
		DNSNames:     []string{dnsName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
