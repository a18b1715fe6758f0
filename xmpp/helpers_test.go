package xmpp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sxgw/sxgw/internal/dnsres"
	"github.com/sxgw/sxgw/internal/dnstest"
)

// testCA issues certificates for test domains.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue returns a certificate for names, signed by the CA (or self-signed
// when ca is nil).
func (ca *testCA) issue(t testing.TB, names ...string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: names, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	parent, signer := tmpl, any(key)
	if ca != nil {
		parent, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// recorder is a Handler that records what the core would receive.
type recorder struct {
	mu  sync.Mutex
	got []*Element
	ch  chan *Element
	err error
}

func newRecorder() *recorder { return &recorder{ch: make(chan *Element, 100)} }

func (r *recorder) XMPPStanza(_ context.Context, st *Element) error {
	r.mu.Lock()
	r.got = append(r.got, st)
	err := r.err
	r.mu.Unlock()
	r.ch <- st
	return err
}

func (r *recorder) wait(t testing.TB, what string) *Element {
	t.Helper()
	select {
	case st := <-r.ch:
		return st
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		return nil
	}
}

func (r *recorder) none(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case st := <-r.ch:
		t.Fatalf("unexpected stanza routed: %s", st)
	case <-time.After(d):
	}
}

// world is a test network: a DNS server and servers for several domains.
type world struct {
	t   testing.TB
	dns *dnstest.Server
	res *dnsres.Resolver
}

func newWorld(t testing.TB) *world {
	t.Helper()
	d, err := dnstest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	r, err := dnsres.New(dnsres.Options{Server: d.Addr(), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, dns: d, res: r}
}

type node struct {
	s   *S2S
	rec *recorder
	reg *prometheus.Registry
}

// server starts an S2S for domain with cert and publishes its SRV record.
func (w *world) server(domain string, cert tls.Certificate, roots *x509.CertPool, tweak ...func(*Options)) *node {
	w.t.Helper()
	rec := newRecorder()
	reg := prometheus.NewRegistry()
	o := Options{
		Domains: []string{domain}, Listen: "127.0.0.1:0",
		TLSConfig:      &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		RootCAs:        roots,
		DialbackSecret: "secret-of-" + domain + "-0123456789",
		ConnectTimeout: 3 * time.Second, PingInterval: time.Minute,
		Resolver: w.res, Handler: rec, Registerer: reg, Version: "test",
	}
	for _, f := range tweak {
		f(&o)
	}
	s, err := NewS2S(o)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			w.t.Errorf("close %s: %v", domain, err)
		}
	})
	w.publish(domain, s.Addr())
	return &node{s: s, rec: rec, reg: reg}
}

func (w *world) publish(domain string, a net.Addr) {
	host, port, _ := net.SplitHostPort(a.String())
	p, _ := strconv.Atoi(port)
	w.dns.AddSRV("_xmpp-server._tcp."+domain, "xmpp."+domain, uint16(p), 0, 0)
	w.dns.AddA("xmpp."+domain, host)
}
