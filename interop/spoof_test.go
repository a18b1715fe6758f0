//go:build interop && linux

package interop

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sxgw/sxgw/internal/dnsres"
	"github.com/sxgw/sxgw/xmpp"
)

const rogueDomain = "rogue.test"

// rogueCore records what reaches the rogue server's core.
type rogueCore chan *xmpp.Element

func (c rogueCore) XMPPStanza(_ context.Context, st *xmpp.Element) error {
	c <- st
	return nil
}

// rawS2S is a hand-driven initiating server speaking raw XML.
type rawS2S struct {
	t   *testing.T
	nc  net.Conn
	dec *xml.Decoder
	id  string
}

func (r *rawS2S) write(s string) {
	r.t.Helper()
	if _, err := r.nc.Write([]byte(s)); err != nil {
		r.t.Fatalf("raw peer write: %v", err)
	}
}

// open sends a stream header and reads the answer up to the features.
func (r *rawS2S) open() {
	r.t.Helper()
	r.write(`<?xml version='1.0'?><stream:stream xmlns="jabber:server" xmlns:stream="http://etherx.jabber.org/streams" xmlns:db="jabber:server:dialback" from="` + rogueDomain + `" to="` + sxgwDomain + `" version="1.0">`)
	r.dec = xml.NewDecoder(bufio.NewReader(r.nc))
	for {
		tok, err := r.dec.Token()
		if err != nil {
			r.t.Fatalf("raw peer: reading header: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "stream" {
			for _, a := range se.Attr {
				if a.Name.Local == "id" {
					r.id = a.Value
				}
			}
			break
		}
	}
	if el := r.next(); el.XMLName.Local != "features" {
		r.t.Fatalf("raw peer: expected features, got %s", el.XMLName.Local)
	}
}

// anyElement captures one top-level element.
type anyElement struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Inner   string     `xml:",innerxml"`
}

func (a anyElement) attr(name string) string {
	for _, at := range a.Attrs {
		if at.Name.Local == name {
			return at.Value
		}
	}
	return ""
}

func (r *rawS2S) next() anyElement {
	r.t.Helper()
	for {
		tok, err := r.dec.Token()
		if err != nil {
			r.t.Fatalf("raw peer: read: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			var el anyElement
			if err := r.dec.DecodeElement(&el, &se); err != nil {
				r.t.Fatalf("raw peer: decode: %v", err)
			}
			return el
		}
	}
}

func selfSignedFor(t *testing.T, name string) tls.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestFederationSpoofedFrom: a server authenticated (by dialback, verified
// by sxgw against the domain's authoritative server) for rogue.test sends a
// stanza claiming to come from alice@xmpp.test. sxgw must end that stream
// with <invalid-from/> (RFC 6120 §4.9.3.9) and route nothing: alice, who
// would receive the answer to the forged disco#info, gets nothing, while
// the same stream's genuine stanza before it is answered.
func TestFederationSpoofedFrom(t *testing.T) {
	f := startFederation(t)
	alice := startXMPPClient(t, f.prosody, "alice")
	discoGateway(t, alice) // sxgw's stream to xmpp.test is up

	// The authoritative server for rogue.test: sxgw dials it to verify the key.
	dns := f.dns
	res, err := dnsres.New(dnsres.Options{Server: dnsAddr})
	if err != nil {
		t.Fatal(err)
	}
	core := make(rogueCore, 16)
	secret := "rogue-dialback-secret-0123456789"
	rogue, err := xmpp.NewS2S(xmpp.Options{
		Domains: []string{rogueDomain}, Listen: "127.0.0.1:0",
		TLSConfig:      &tls.Config{Certificates: []tls.Certificate{selfSignedFor(t, rogueDomain)}, MinVersion: tls.VersionTLS12},
		DialbackSecret: secret, Resolver: res, Handler: core, ConnectTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := rogue.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = rogue.Close(ctx)
	})
	_, port, _ := net.SplitHostPort(rogue.Addr().String())
	p, _ := strconv.Atoi(port)
	publishSRV(dns, "_xmpp-server._tcp."+rogueDomain, "xmpp."+rogueDomain, p)

	// The raw initiating server: STARTTLS, then dialback as rogue.test.
	nc, err := net.DialTimeout("tcp", f.sxgw.XMPPAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(federationWait))
	r := &rawS2S{t: t, nc: nc}
	r.open()
	r.write(`<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>`)
	if el := r.next(); el.XMLName.Local != "proceed" {
		t.Fatalf("starttls answered %s", el.XMLName.Local)
	}
	tc := tls.Client(nc, &tls.Config{InsecureSkipVerify: true, ServerName: sxgwDomain}) //nolint:gosec // test peer
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	r.nc = tc
	r.open()
	// XEP-0185 key for (receiving sip.test, originating rogue.test, stream id).
	sum := sha256.Sum256([]byte(secret))
	mac := hmac.New(sha256.New, []byte(hex.EncodeToString(sum[:])))
	fmt.Fprintf(mac, "%s %s %s", sxgwDomain, rogueDomain, r.id)
	r.write(`<db:result from="` + rogueDomain + `" to="` + sxgwDomain + `">` + hex.EncodeToString(mac.Sum(nil)) + `</db:result>`)
	if el := r.next(); el.XMLName.Local != "result" || el.attr("type") != "valid" {
		t.Fatalf("dialback answered %s type=%q", el.XMLName.Local, el.attr("type"))
	}

	// Genuine stanza: answered, to rogue.test.
	r.write(`<iq type="get" id="genuine" from="` + rogueDomain + `" to="` + sxgwDomain + `"><ping xmlns="urn:xmpp:ping"/></iq>`)
	select {
	case st := <-core:
		if st.Get("id") != "genuine" || st.Get("type") != "result" {
			t.Fatalf("rogue.test got %s", st)
		}
	case <-time.After(federationWait):
		t.Fatal("the genuine ping was not answered")
	}

	// Forged stanza: the stream ends with invalid-from.
	r.write(`<iq type="get" id="forged" from="` + alice.JID() + `/x" to="` + sxgwDomain + `"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`)
	el := r.next()
	if el.XMLName.Local != "error" || !strings.Contains(el.Inner, "invalid-from") {
		t.Fatalf("forged stanza answered with %s %s", el.XMLName.Local, el.Inner)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if ev, err := alice.WaitEvent(ctx, func(e xmppEvent) bool { return strings.Contains(e.Str("xml"), "forged") }); err == nil {
		t.Fatalf("the forged stanza was routed: alice received %v", ev)
	}
	m, err := f.sxgw.Metrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Value("sxgw_xmpp_stream_errors_total", "direction", "sent", "condition", "invalid-from"); v != 1 {
		t.Errorf("invalid-from stream errors counted: %v, want 1", v)
	}
	// Alice still reaches the gateway: nothing else was torn down.
	discoGateway(t, alice)
}
