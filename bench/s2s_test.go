package bench

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
	"sync/atomic"
	"testing"
	"time"

	"github.com/sxgw/sxgw/internal/dnsres"
	"github.com/sxgw/sxgw/internal/dnstest"
	"github.com/sxgw/sxgw/xmpp"
)

// counter is the core's stand-in: it counts the stanzas it receives.
type counter struct {
	n    atomic.Int64
	done chan struct{}
	want int64
}

func (c *counter) XMPPStanza(context.Context, *xmpp.Element) error {
	if c.n.Add(1) == c.want {
		close(c.done)
	}
	return nil
}

func selfSigned(b *testing.B, name string) tls.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		b.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// BenchmarkS2SMessages pushes chat messages from a.test through one
// dialback-authenticated, TLS-encrypted s2s stream into the receiving
// endpoint for b.test, which parses, checks and routes each to the core.
// The figure is end-to-end stanzas/s over loopback; allocs/op covers both
// the sending and the receiving side.
func BenchmarkS2SMessages(b *testing.B) {
	d, err := dnstest.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	res, err := dnsres.New(dnsres.Options{Server: d.Addr()})
	if err != nil {
		b.Fatal(err)
	}
	start := func(domain string, h xmpp.Handler) *xmpp.S2S {
		s, err := xmpp.NewS2S(xmpp.Options{
			Domains: []string{domain}, Listen: "127.0.0.1:0",
			TLSConfig:      &tls.Config{Certificates: []tls.Certificate{selfSigned(b, domain)}, MinVersion: tls.VersionTLS12},
			DialbackSecret: "bench-secret-" + domain + "-0123456789", Resolver: res, Handler: h,
			QueueSize: 1 << 16,
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		host, port, _ := net.SplitHostPort(s.Addr().String())
		p, _ := strconv.Atoi(port)
		d.AddSRV("_xmpp-server._tcp."+domain, "xmpp."+domain, uint16(p), 0, 0)
		d.AddA("xmpp."+domain, host)
		return s
	}
	warm := &counter{done: make(chan struct{}), want: 1}
	recv := &counter{}
	var current atomic.Pointer[counter]
	current.Store(warm)
	a := start("a.test", nil)
	bsrv := start("b.test", handlerFunc(func(ctx context.Context, st *xmpp.Element) error {
		return current.Load().XMPPStanza(ctx, st)
	}))
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = a.Close(ctx)
		_ = bsrv.Close(ctx)
	}()
	msg := func(i int) *xmpp.Element {
		return xmpp.NewElement("jabber:server", "message", "from", "alice@a.test/desk", "to", "bob@b.test",
			"type", "chat", "id", "m"+strconv.Itoa(i)).
			Add(xmpp.NewElement("jabber:server", "body").AddText("Hello Bob, this is a typical short chat message."))
	}
	// Warm up: establish the stream (dialback both ways) outside the timer.
	if err := a.Send(context.Background(), msg(0)); err != nil {
		b.Fatal(err)
	}
	select {
	case <-warm.done:
	case <-time.After(10 * time.Second):
		b.Fatal("stream never came up")
	}
	recv.done = make(chan struct{})
	recv.want = int64(b.N)
	current.Store(recv)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for {
			err := a.Send(context.Background(), msg(i))
			if err == nil {
				break
			}
			time.Sleep(50 * time.Microsecond) // queue full: let the writer drain
		}
	}
	select {
	case <-recv.done:
	case <-time.After(60 * time.Second):
		b.Fatalf("only %d of %d stanzas arrived", recv.n.Load(), b.N)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "stanzas/s")
}

type handlerFunc func(context.Context, *xmpp.Element) error

func (f handlerFunc) XMPPStanza(ctx context.Context, st *xmpp.Element) error { return f(ctx, st) }
