package msrp

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/netip"
)

// tlsSide is what an Endpoint with a TLS listener holds for msrps
// (RFC 4975 §6, §14): our certificate and its fingerprints, the server
// configuration of the listener and the roots for peers without a
// fingerprint.
//
// Self-signed certificates are the norm between MSRP endpoints: a peer
// whose SDP carries a=fingerprint is authenticated by it alone, never by
// certificate authorities (RFC 8122 §6.1, §3.3; RFC 4975 §14.4). Both
// roles present a certificate and both check the other's (RFC 8122
// §6.2).
type tlsSide struct {
	cert   tls.Certificate
	fps    []Fingerprint
	roots  *x509.CertPool // nil: the system roots
	server *tls.Config
}

func newTLSSide(cert *tls.Certificate, roots *x509.CertPool) (*tlsSide, error) {
	if cert == nil || len(cert.Certificate) == 0 || cert.PrivateKey == nil {
		return nil, fmt.Errorf("%w: TLSListen needs TLSCertificate with a key", ErrConfig)
	}
	leaf := cert.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("%w: TLSCertificate: %w", ErrConfig, err)
		}
	}
	t := &tlsSide{cert: *cert, fps: CertificateFingerprints(leaf), roots: roots}
	t.cert.Leaf = leaf
	t.server = &tls.Config{
		Certificates: []tls.Certificate{t.cert},
		MinVersion:   tls.VersionTLS12,
		// RFC 8122 §6.2: the server MUST request a certificate. It is
		// checked against the peer's fingerprint once its first request
		// names the session (conn.sessionFor): the connection may come
		// before the SDP that tells who the peer is.
		ClientAuth: tls.RequestClientCert,
	}
	return t, nil
}

// clientConfig is the configuration of a connection we dial to host for
// a session whose peer's SDP gave fps (none: the certificate must be
// valid for host, RFC 4975 §5.4). A certificate that fails ends the
// handshake with a bad_certificate alert (RFC 8122 §6.2).
func (t *tlsSide) clientConfig(host string, fps []Fingerprint) *tls.Config {
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// RFC 8122 §6.2: the active side presents a certificate too.
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &t.cert, nil
		},
		// Verified by VerifyConnection: by fingerprint, or by the roots
		// when there is none.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return t.authenticate(cs.PeerCertificates, host, fps, true)
		},
	}
	// RFC 6066 §3: server_name carries host names, never IP literals.
	if _, err := netip.ParseAddr(host); err != nil {
		cfg.ServerName = host
	}
	return cfg
}

// authenticate checks the certificates a TLS peer presented (leaf
// first) for a session:
//
//   - the peer's SDP gave fingerprints: the leaf must match one of those
//     of our most preferred hash function (RFC 8122 §5.1, §6.2);
//   - it gave none and we dialled host: the certificate must be valid
//     for host and signed by a trusted authority (RFC 4975 §5.4);
//   - it gave none and the peer dialled us: nothing to check, the first
//     request tells who connected (RFC 4975 §5.4, "when mutual TLS
//     authentication is not used").
func (t *tlsSide) authenticate(peer []*x509.Certificate, host string, fps []Fingerprint, dialled bool) error {
	if len(fps) > 0 {
		var der []byte
		if len(peer) > 0 {
			der = peer[0].Raw
		}
		return VerifyFingerprint(fps, der)
	}
	if !dialled {
		return nil
	}
	if len(peer) == 0 {
		return fmt.Errorf("msrp: tls: the server presented no certificate")
	}
	opts := x509.VerifyOptions{DNSName: host, Roots: t.roots, Intermediates: x509.NewCertPool()}
	for _, c := range peer[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := peer[0].Verify(opts); err != nil {
		return fmt.Errorf("msrp: tls: %w", err)
	}
	return nil
}
