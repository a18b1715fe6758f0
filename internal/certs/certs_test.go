package certs

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func readPair(t *testing.T, dataDir string) (certPEM, keyPEM []byte) {
	t.Helper()
	c, err := os.ReadFile(filepath.Join(dataDir, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := os.ReadFile(filepath.Join(dataDir, "tls", "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

func TestGenerate(t *testing.T) {
	dataDir := t.TempDir()
	before := time.Now()
	cert, generated, err := LoadOrGenerate("", "", dataDir, []string{"SIP.example.TEST.", "xmpp.example.test", "sip.example.test", "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if !generated {
		t.Error("generated = false for a new certificate")
	}
	leaf := cert.Leaf
	if leaf == nil {
		t.Fatal("Leaf not set")
	}
	if want := []string{"sip.example.test", "xmpp.example.test"}; !slices.Equal(leaf.DNSNames, want) {
		t.Errorf("DNSNames = %v, want %v", leaf.DNSNames, want)
	}
	if len(leaf.IPAddresses) != 1 || !leaf.IPAddresses[0].Equal(net.ParseIP("192.0.2.1")) {
		t.Errorf("IPAddresses = %v", leaf.IPAddresses)
	}
	if leaf.Subject.CommonName != "sip.example.test" {
		t.Errorf("CN = %q", leaf.Subject.CommonName)
	}
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key %T, want ECDSA P-256", leaf.PublicKey)
	}
	if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}) {
		t.Errorf("ExtKeyUsage = %v, want serverAuth and clientAuth", leaf.ExtKeyUsage)
	}
	if life := leaf.NotAfter.Sub(before); life < 364*24*time.Hour || life > 366*24*time.Hour {
		t.Errorf("validity ends %v after now, want a year", life)
	}
	for path, want := range map[string]os.FileMode{
		filepath.Join(dataDir, "tls"):             0o700 | os.ModeDir,
		filepath.Join(dataDir, "tls", "key.pem"):  0o600,
		filepath.Join(dataDir, "tls", "cert.pem"): 0o644,
	} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v (%v), want %v", path, fi.Mode(), err, want)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dataDir, "tls"))
	if len(entries) != 2 {
		t.Errorf("tls dir holds %d entries, want 2 (no temporary files left)", len(entries))
	}

	// The certificate verifies, as its own root, for server and for client auth.
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "xmpp.example.test", Roots: roots, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			t.Errorf("verify for %v: %v", usage, err)
		}
	}
}

func TestReuseAndRegenerate(t *testing.T) {
	dataDir := t.TempDir()
	names := []string{"a.test", "b.test"}
	first, generated, err := LoadOrGenerate("", "", dataDir, names)
	if err != nil || !generated {
		t.Fatalf("first: generated=%v err=%v", generated, err)
	}
	c1, k1 := readPair(t, dataDir)

	tests := []struct {
		name  string
		names []string
		regen bool
	}{
		{"same names", names, false},
		{"same names other case and dot", []string{"B.test.", "A.TEST"}, false},
		{"subset", []string{"a.test"}, false},
		{"new name", []string{"a.test", "b.test", "c.test"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "tls"), 0o700); err != nil {
				t.Fatal(err)
			}
			_ = os.WriteFile(filepath.Join(dir, "tls", "cert.pem"), c1, 0o644)
			_ = os.WriteFile(filepath.Join(dir, "tls", "key.pem"), k1, 0o600)
			cert, generated, err := LoadOrGenerate("", "", dir, tt.names)
			if err != nil {
				t.Fatal(err)
			}
			if generated != tt.regen {
				t.Errorf("generated = %v, want %v", generated, tt.regen)
			}
			same := bytes.Equal(cert.Certificate[0], first.Certificate[0])
			if same == tt.regen {
				t.Errorf("kept the old certificate = %v, want %v", same, !tt.regen)
			}
			for _, n := range tt.names {
				if err := cert.Leaf.VerifyHostname(n); err != nil {
					t.Errorf("certificate does not cover %s: %v", n, err)
				}
			}
			c2, _ := readPair(t, dir)
			if !bytes.Equal(c2, c1) != tt.regen {
				t.Errorf("cert.pem rewritten = %v, want %v", !bytes.Equal(c2, c1), tt.regen)
			}
		})
	}
}

func TestRegenerateWhenExpiringOrDamaged(t *testing.T) {
	names := []string{"a.test"}
	now := time.Now()
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		regen bool
	}{
		{"expires in 8 days", func(t *testing.T, dir string) { writeAged(t, dir, names, now.Add(8*24*time.Hour-validity)) }, false},
		{"expires in 6 days", func(t *testing.T, dir string) { writeAged(t, dir, names, now.Add(6*24*time.Hour-validity)) }, true},
		{"expired", func(t *testing.T, dir string) { writeAged(t, dir, names, now.Add(-2*validity)) }, true},
		{"not yet valid", func(t *testing.T, dir string) { writeAged(t, dir, names, now.Add(48*time.Hour)) }, true},
		{"damaged cert", func(t *testing.T, dir string) {
			writeAged(t, dir, names, now)
			_ = os.WriteFile(filepath.Join(dir, "tls", "cert.pem"), []byte("garbage"), 0o644)
		}, true},
		{"key missing", func(t *testing.T, dir string) {
			writeAged(t, dir, names, now)
			_ = os.Remove(filepath.Join(dir, "tls", "key.pem"))
		}, true},
		{"mismatched key", func(t *testing.T, dir string) {
			writeAged(t, dir, names, now)
			_, otherKey, err := generate(names, now)
			if err != nil {
				t.Fatal(err)
			}
			_ = os.WriteFile(filepath.Join(dir, "tls", "key.pem"), otherKey, 0o600)
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			cert, generated, err := LoadOrGenerate("", "", dir, names)
			if err != nil {
				t.Fatal(err)
			}
			if generated != tt.regen {
				t.Errorf("generated = %v, want %v", generated, tt.regen)
			}
			if tt.regen && cert.Leaf.NotAfter.Before(now.Add(300*24*time.Hour)) {
				t.Errorf("new certificate expires %v", cert.Leaf.NotAfter)
			}
		})
	}
}

// writeAged writes into dir/tls a pair as generated at time at.
func writeAged(t *testing.T, dir string, names []string, at time.Time) {
	t.Helper()
	c, k, err := generate(names, at)
	if err != nil {
		t.Fatal(err)
	}
	tlsDir := filepath.Join(dir, "tls")
	if err := writePair(tlsDir, filepath.Join(tlsDir, "cert.pem"), filepath.Join(tlsDir, "key.pem"), c, k); err != nil {
		t.Fatal(err)
	}
}

func TestConfiguredPair(t *testing.T) {
	src := t.TempDir()
	writeAged(t, src, []string{"configured.test"}, time.Now())
	certFile, keyFile := filepath.Join(src, "tls", "cert.pem"), filepath.Join(src, "tls", "key.pem")
	dataDir := t.TempDir()

	cert, generated, err := LoadOrGenerate(certFile, keyFile, dataDir, []string{"other.test"})
	if err != nil {
		t.Fatal(err)
	}
	if generated || cert.Leaf == nil || cert.Leaf.Subject.CommonName != "configured.test" {
		t.Errorf("generated=%v leaf=%v; want the configured certificate", generated, cert.Leaf)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "tls")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data dir tls/ touched with a configured pair: %v", err)
	}

	// A TLS handshake with the pair as server and as client certificate.
	handshake(t, cert)

	tests := []struct {
		name      string
		cert, key string
		dataDir   string
		names     []string
		wantErr   error // nil: any error
	}{
		{"cert without key", certFile, "", dataDir, nil, ErrIncompletePair},
		{"key without cert", "", keyFile, dataDir, nil, ErrIncompletePair},
		{"missing files", filepath.Join(src, "nope.pem"), keyFile, dataDir, nil, nil},
		{"swapped files", keyFile, certFile, dataDir, nil, nil},
		{"no names", "", "", dataDir, []string{"", " . "}, ErrNoNames},
		{"no data dir", "", "", "", []string{"a.test"}, ErrNoDataDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := LoadOrGenerate(tt.cert, tt.key, tt.dataDir, tt.names)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// handshake runs a mutual-TLS handshake over loopback where both ends present cert and
// trust only it.
func handshake(t *testing.T, cert tls.Certificate) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	name := cert.Leaf.DNSNames[0]
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	serverErr := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			serverErr <- err
			return
		}
		defer c.Close()
		serverErr <- c.(*tls.Conn).HandshakeContext(ctx)
	}()
	d := tls.Dialer{Config: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ServerName: name}}
	c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	defer c.Close()
	if err := <-serverErr; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
}
