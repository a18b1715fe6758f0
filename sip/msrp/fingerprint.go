package msrp

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"fmt"
	"strings"

	// The hash functions of RFC 8122 §5, registered with crypto.
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// FingerprintHash is the hash function of the fingerprints we write,
// "sha-256" (RFC 8122 §5: SHA-256 preferred, always included).
const FingerprintHash = "sha-256"

// maxDigest bounds the digest of a fingerprint with an unknown hash
// function: as long as SHA-512's.
const maxDigest = 64

// Fingerprint is a certificate fingerprint, the value of an SDP
// a=fingerprint attribute (RFC 8122 §5):
//
//	fingerprint-attribute = "fingerprint" ":" hash-func SP fingerprint
//	fingerprint           = 2UHEX *(":" 2UHEX)
type Fingerprint struct {
	// Hash is the hash function's textual name in lower case: "sha-256",
	// "sha-1", ... (RFC 8122 §8), or an unknown token, kept but never
	// used to verify.
	Hash string
	// Digest is the hash of the certificate's DER form.
	Digest []byte
}

// hashes are the hash functions fingerprints are verified with, most
// preferred first (RFC 8122 §5.1: the verifier picks its most preferred
// among those the peer offers). MD5 and MD2 are recognised but never
// used (RFC 8122 §5: MUST NOT).
var hashes = [...]struct {
	name string
	h    crypto.Hash
}{
	{"sha-512", crypto.SHA512},
	{"sha-384", crypto.SHA384},
	{"sha-256", crypto.SHA256},
	{"sha-224", crypto.SHA224},
	{"sha-1", crypto.SHA1},
}

// hashByName returns the hash function of a lower-case name, ok false
// for md5, md2 and unknown tokens.
func hashByName(name string) (crypto.Hash, bool) {
	for _, x := range hashes {
		if x.name == name {
			return x.h, true
		}
	}
	return 0, false
}

// digestLen is the digest length a hash name implies, 0 when unknown.
func digestLen(name string) int {
	if h, ok := hashByName(name); ok {
		return h.Size()
	}
	switch name {
	case "md5", "md2":
		return 16
	}
	return 0
}

// ParseFingerprint parses the value of an a=fingerprint attribute
// (RFC 8122 §5): a hash function name and the colon-separated hex bytes
// of the digest. It is lenient where that is harmless (the hash name
// and the hex digits in either case, runs of white space) and strict on
// the rest: every byte is two hex digits, and a known hash function's
// digest has its length.
func ParseFingerprint(s string) (Fingerprint, error) {
	name, hex, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok {
		return Fingerprint{}, fpErr("no space between hash function and value")
	}
	hex = strings.TrimSpace(hex)
	if name == "" || !validToken(name) {
		return Fingerprint{}, fpErr("bad hash function name")
	}
	name = strings.ToLower(name)
	if len(hex) < 2 || len(hex)%3 != 2 || len(hex) > 3*maxDigest-1 {
		return Fingerprint{}, fpErr("bad length")
	}
	d := make([]byte, 0, (len(hex)+1)/3)
	for i := 0; i < len(hex); i += 3 {
		if !isHex(hex[i]) || !isHex(hex[i+1]) || (i+2 < len(hex) && hex[i+2] != ':') {
			return Fingerprint{}, fpErr("not colon-separated hex bytes")
		}
		d = append(d, unhex(hex[i])<<4|unhex(hex[i+1]))
	}
	if n := digestLen(name); n != 0 && n != len(d) {
		return Fingerprint{}, fpErr(fmt.Sprintf("%s digest of %d bytes", name, len(d)))
	}
	return Fingerprint{Hash: name, Digest: d}, nil
}

func fpErr(why string) error { return fmt.Errorf("%w: %s", ErrBadFingerprint, why) }

// String renders the attribute value: the hash name, a space and the
// digest in upper-case hex bytes separated by colons (RFC 8122 §5).
func (f Fingerprint) String() string {
	const digits = "0123456789ABCDEF"
	b := make([]byte, 0, len(f.Hash)+1+3*len(f.Digest))
	b = append(b, f.Hash...)
	b = append(b, ' ')
	for i, c := range f.Digest {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, digits[c>>4], digits[c&15])
	}
	return string(b)
}

// NewFingerprint computes the fingerprint of a certificate's DER form with
// the named hash function ("sha-256"); MD5, MD2 and unknown names are
// refused (RFC 8122 §5).
func NewFingerprint(hash string, der []byte) (Fingerprint, error) {
	hash = strings.ToLower(hash)
	h, ok := hashByName(hash)
	if !ok || !h.Available() {
		return Fingerprint{}, fpErr("unusable hash function " + hash)
	}
	w := h.New()
	w.Write(der)
	return Fingerprint{Hash: hash, Digest: w.Sum(nil)}, nil
}

// CertificateFingerprints returns the fingerprints to advertise for cert
// (RFC 8122 §5.1): SHA-256, and the hash function of the certificate's
// signature when that is another usable one (SHA-1, SHA-384, SHA-512),
// for peers that follow RFC 4572 strictly.
func CertificateFingerprints(cert *x509.Certificate) []Fingerprint {
	fp, _ := NewFingerprint(FingerprintHash, cert.Raw)
	out := []Fingerprint{fp}
	if name := signatureHash(cert.SignatureAlgorithm); name != "" && name != FingerprintHash {
		if fp, err := NewFingerprint(name, cert.Raw); err == nil {
			out = append(out, fp)
		}
	}
	return out
}

// signatureHash is the name of the hash function of a signature
// algorithm, "" for none (Ed25519) or an unusable one (MD5, MD2).
func signatureHash(a x509.SignatureAlgorithm) string {
	switch a {
	case x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return "sha-1"
	case x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256, x509.DSAWithSHA256:
		return "sha-256"
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		return "sha-384"
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		return "sha-512"
	}
	return ""
}

// VerifyFingerprint checks a certificate (its DER form) against the
// fingerprints of the peer's SDP (RFC 8122 §5.1): among them, those of
// our most preferred hash function; the certificate must match one of
// those. It returns nil or an error wrapping ErrFingerprint: no
// certificate, no fingerprint with a usable hash function, or no match.
func VerifyFingerprint(fps []Fingerprint, der []byte) error {
	if len(der) == 0 {
		return fmt.Errorf("%w: the peer presented no certificate", ErrFingerprint)
	}
	for _, x := range hashes {
		if !x.h.Available() {
			continue
		}
		var digest []byte
		for _, fp := range fps {
			if fp.Hash != x.name {
				continue
			}
			if digest == nil {
				w := x.h.New()
				w.Write(der)
				digest = w.Sum(nil)
			}
			if bytes.Equal(digest, fp.Digest) {
				return nil
			}
		}
		if digest != nil {
			return fmt.Errorf("%w: no %s fingerprint matches the certificate", ErrFingerprint, x.name)
		}
	}
	return fmt.Errorf("%w: no fingerprint with a usable hash function", ErrFingerprint)
}
