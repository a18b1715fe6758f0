package certs

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

const (
	// validity is the lifetime of a generated certificate.
	validity = 365 * 24 * time.Hour
	// renewBefore is how long before expiry a generated certificate is replaced.
	renewBefore = 7 * 24 * time.Hour

	tlsDir   = "tls"
	certName = "cert.pem"
	keyName  = "key.pem"
)

// LoadOrGenerate returns the configured cert/key pair, or when both paths are empty a
// self-signed one kept in dataDir/tls/{cert,key}.pem (generated when missing, expired within
// 7 days, or not covering every name in names). generated reports a new one was written.
//
// names are DNS names (an IP address becomes an IP SAN); case and a trailing dot do not
// matter. The returned certificate has Leaf set.
func LoadOrGenerate(certFile, keyFile, dataDir string, names []string) (cert tls.Certificate, generated bool, err error) {
	return loadOrGenerate(certFile, keyFile, dataDir, names, time.Now())
}

func loadOrGenerate(certFile, keyFile, dataDir string, names []string, now time.Time) (tls.Certificate, bool, error) {
	if certFile != "" || keyFile != "" {
		if certFile == "" || keyFile == "" {
			return tls.Certificate{}, false, fmt.Errorf("%w (cert %q, key %q)", ErrIncompletePair, certFile, keyFile)
		}
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return tls.Certificate{}, false, fmt.Errorf("certs: load %s and %s: %w", certFile, keyFile, err)
		}
		return cert, false, nil
	}

	if dataDir == "" {
		return tls.Certificate{}, false, ErrNoDataDir
	}
	names = normalize(names)
	if len(names) == 0 {
		return tls.Certificate{}, false, ErrNoNames
	}
	dir := filepath.Join(dataDir, tlsDir)
	certPath, keyPath := filepath.Join(dir, certName), filepath.Join(dir, keyName)

	if cert, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil && usable(cert.Leaf, names, now) {
		return cert, false, nil
	}
	// Missing, damaged, mismatched, expiring or not covering every name: replace it.
	certPEM, keyPEM, err := generate(names, now)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	if err := writePair(dir, certPath, keyPath, certPEM, keyPEM); err != nil {
		return tls.Certificate{}, false, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, false, fmt.Errorf("certs: parse generated pair: %w", err)
	}
	return cert, true, nil
}

// usable reports whether a previously generated certificate may be kept: valid for more
// than renewBefore, covering every name, and usable for both server and client auth.
func usable(leaf *x509.Certificate, names []string, now time.Time) bool {
	if leaf == nil || now.Before(leaf.NotBefore) || now.Add(renewBefore).After(leaf.NotAfter) {
		return false
	}
	if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) ||
		!slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		return false
	}
	have := make(map[string]bool, len(leaf.DNSNames)+len(leaf.IPAddresses))
	for _, n := range leaf.DNSNames {
		have[strings.ToLower(n)] = true
	}
	for _, ip := range leaf.IPAddresses {
		have[ip.String()] = true
	}
	for _, n := range names {
		if !have[n] {
			return false
		}
	}
	return true
}

// normalize lower-cases names, drops trailing dots, empty names and duplicates, and
// writes IP addresses in their canonical form. The order is kept: the first name becomes
// the subject common name.
func normalize(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(n), "."))
		if ip := net.ParseIP(n); ip != nil {
			n = ip.String()
		}
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
