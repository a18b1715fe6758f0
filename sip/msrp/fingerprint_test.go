package msrp

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
)

// The fingerprints of RFC 8122 §3.4 (Figure 1) and RFC 4975 §14.4
// (Figure 19), unfolded.
const (
	rfcSHA256 = "SHA-256 12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD"
	rfcSHA1   = "SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB"
)

func TestParseFingerprint(t *testing.T) {
	for _, tc := range []struct {
		in, hash, out string // out: String() of the result; "" for an error
	}{
		{rfcSHA256, "sha-256", strings.Replace(rfcSHA256, "SHA-256", "sha-256", 1)},
		{rfcSHA1, "sha-1", strings.Replace(rfcSHA1, "SHA-1", "sha-1", 1)},
		// Lenient: lower-case hex, extra white space.
		{"  sha-1   4a:ad:b9:b1:3f:82:18:3b:54:02:12:df:3e:5d:49:6b:19:e5:7c:ab ", "sha-1", strings.Replace(rfcSHA1, "SHA-1", "sha-1", 1)},
		// An unknown hash function (a token) is kept, at any length.
		{"sha3-256 01:02", "sha3-256", "sha3-256 01:02"},
		{"MD5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF", "md5", "md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"},
		// Errors.
		{"", "", ""},
		{"sha-256", "", ""},
		{"sha-256 ", "", ""},
		{" 12:DF", "", ""},
		{"sha-1 4A:AD", "", ""},                           // short for SHA-1
		{rfcSHA1 + ":00", "", ""},                         // long for SHA-1
		{"sha-256 12DF", "", ""},                          // no colons
		{"sha-256 12:DF:", "", ""},                        // trailing colon
		{"sha-256 1:2D:F", "", ""},                        // one digit
		{"sha-256 G1:00", "", ""},                         // not hex
		{"sha 256 12:DF", "", ""},                         // space in the name, then a bad value
		{"sh@ 01", "", ""},                                // not a token
		{"x " + strings.Repeat("00:", 64) + "00", "", ""}, // over 64 bytes
	} {
		fp, err := ParseFingerprint(tc.in)
		if tc.out == "" {
			if err == nil || !errors.Is(err, ErrBadFingerprint) {
				t.Errorf("ParseFingerprint(%q) = %v, %v; want ErrBadFingerprint", tc.in, fp, err)
			}
			continue
		}
		if err != nil || fp.Hash != tc.hash || fp.String() != tc.out {
			t.Errorf("ParseFingerprint(%q) = %q %v; want %q", tc.in, fp.String(), err, tc.out)
		}
	}
}

func TestCertificateFingerprints(t *testing.T) {
	for _, tc := range []struct {
		alg    x509.SignatureAlgorithm
		hashes string
	}{
		{x509.ECDSAWithSHA256, "sha-256"},
		// RFC 8122 §5.1: also the hash of the signature.
		{x509.ECDSAWithSHA384, "sha-256 sha-384"},
		{x509.ECDSAWithSHA512, "sha-256 sha-512"},
	} {
		cert, _ := testCertSigned(t, "127.0.0.1", tc.alg)
		fps := CertificateFingerprints(cert.Leaf)
		var names []string
		for _, f := range fps {
			names = append(names, f.Hash)
			if err := VerifyFingerprint([]Fingerprint{f}, cert.Leaf.Raw); err != nil {
				t.Errorf("%v: own %s fingerprint does not verify: %v", tc.alg, f.Hash, err)
			}
		}
		if got := strings.Join(names, " "); got != tc.hashes {
			t.Errorf("%v: fingerprints %q, want %q", tc.alg, got, tc.hashes)
		}
		sum := sha256.Sum256(cert.Leaf.Raw)
		if !bytes.Equal(fps[0].Digest, sum[:]) {
			t.Errorf("%v: SHA-256 digest differs", tc.alg)
		}
		back, err := ParseFingerprint(fps[0].String())
		if err != nil || back.Hash != fps[0].Hash || !bytes.Equal(back.Digest, fps[0].Digest) {
			t.Errorf("%v: %q does not parse back: %v", tc.alg, fps[0], err)
		}
	}
	if _, err := NewFingerprint("md5", []byte("x")); !errors.Is(err, ErrBadFingerprint) {
		t.Errorf("NewFingerprint(md5): %v", err)
	}
}

// TestVerifyFingerprint: RFC 8122 §5.1: the set of the most preferred
// hash function decides; MD5 is never used.
func TestVerifyFingerprint(t *testing.T) {
	cert, _ := testCert(t, "127.0.0.1")
	der := cert.Leaf.Raw
	s256 := sha256.Sum256(der)
	s1 := sha1.Sum(der)
	good256 := Fingerprint{Hash: "sha-256", Digest: s256[:]}
	good1 := Fingerprint{Hash: "sha-1", Digest: s1[:]}
	bad256 := Fingerprint{Hash: "sha-256", Digest: make([]byte, 32)}
	bad1 := Fingerprint{Hash: "sha-1", Digest: make([]byte, 20)}
	md5 := Fingerprint{Hash: "md5", Digest: make([]byte, 16)}
	for _, tc := range []struct {
		name string
		fps  []Fingerprint
		der  []byte
		ok   bool
	}{
		{"sha-256", []Fingerprint{good256}, der, true},
		{"sha-1", []Fingerprint{good1}, der, true},
		{"one of two certificates", []Fingerprint{bad256, good256}, der, true},
		{"preferred hash matches", []Fingerprint{bad1, good256}, der, true},
		// The most preferred hash decides, a weaker match does not help.
		{"preferred hash does not match", []Fingerprint{good1, bad256}, der, false},
		{"mismatch", []Fingerprint{bad256}, der, false},
		{"md5 only", []Fingerprint{md5}, der, false},
		{"unknown hash only", []Fingerprint{{Hash: "sha3-256", Digest: s256[:]}}, der, false},
		{"none", nil, der, false},
		{"no certificate", []Fingerprint{good256}, nil, false},
	} {
		err := VerifyFingerprint(tc.fps, tc.der)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrFingerprint)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestFingerprintMedia: a=fingerprint in SDP for TCP/TLS/MSRP (RFC 8122
// §5, RFC 4975 §14.4): media level first, else session level; written
// by BuildSDP; ignored for plain TCP.
func TestFingerprintMedia(t *testing.T) {
	const head = "v=0\r\no=bob 1 1 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\n"
	const tlsLine = "m=message 2856 TCP/TLS/MSRP *\r\na=accept-types:text/plain\r\na=path:msrps://192.0.2.2:2856/s1;tcp\r\n"
	const tcpLine = "m=message 2855 TCP/MSRP *\r\na=accept-types:text/plain\r\na=path:msrp://192.0.2.2:2855/s1;tcp\r\n"
	for _, tc := range []struct {
		name, sdp string
		want      []string // String() of the fingerprints; nil with err
		err       bool
	}{
		{"media level", head + tlsLine + "a=fingerprint:" + rfcSHA256 + "\r\na=fingerprint:" + rfcSHA1 + "\r\n",
			[]string{strings.ToLower(rfcSHA256[:7]) + rfcSHA256[7:], strings.ToLower(rfcSHA1[:5]) + rfcSHA1[5:]}, false},
		{"session level", head + "a=fingerprint:" + rfcSHA1 + "\r\n" + tlsLine,
			[]string{"sha-1" + rfcSHA1[5:]}, false},
		{"media level wins", head + "a=fingerprint:sha-1 00\r\n" + tlsLine + "a=fingerprint:" + rfcSHA1 + "\r\n",
			[]string{"sha-1" + rfcSHA1[5:]}, false},
		{"none", head + tlsLine, nil, false},
		{"malformed", head + tlsLine + "a=fingerprint:sha-256 zz\r\n", nil, true},
		{"plain TCP ignores them", head + tcpLine + "a=fingerprint:sha-256 zz\r\n", nil, false},
	} {
		m, _, err := ParseMedia([]byte(tc.sdp))
		if tc.err {
			if !errors.Is(err, ErrBadFingerprint) {
				t.Errorf("%s: %v, want ErrBadFingerprint", tc.name, err)
			}
			continue
		}
		if m.TLS != strings.Contains(tc.sdp, ProtoTLS) {
			t.Errorf("%s: TLS %v", tc.name, m.TLS)
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []string
		for _, f := range m.Fingerprints {
			got = append(got, f.String())
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: fingerprints %q, want %q", tc.name, got, tc.want)
		}
	}

	// RFC 4975 §8.1: TCP/TLS/MSRP at an msrps URI, TCP/MSRP at msrp.
	for _, bad := range []string{
		head + strings.Replace(tlsLine, "msrps://", "msrp://", 1),
		head + strings.Replace(tcpLine, "msrp://", "msrps://", 1),
	} {
		if _, _, err := ParseMedia([]byte(bad)); !errors.Is(err, ErrSchemeMismatch) {
			t.Errorf("scheme not matching the protocol: %v\n%s", err, bad)
		}
	}

	cert, _ := testCert(t, "192.0.2.1")
	local, _ := ParsePath("msrps://192.0.2.1:2856/ours;tcp")
	out := BuildSDP("192.0.2.1", 1, 1, Media{Port: 2856, TLS: true, Path: local, Setup: SetupPassive,
		Fingerprints: CertificateFingerprints(cert.Leaf)})
	want := "m=message 2856 TCP/TLS/MSRP *\r\na=path:msrps://192.0.2.1:2856/ours;tcp\r\na=setup:passive\r\na=fingerprint:" +
		CertificateFingerprints(cert.Leaf)[0].String() + "\r\n"
	if !strings.HasSuffix(string(out), want) {
		t.Errorf("BuildSDP:\n%s\nwant the media section\n%s", out, want)
	}
	m, _, err := ParseMedia(out)
	if err != nil || !m.TLS || len(m.Fingerprints) != 1 || VerifyFingerprint(m.Fingerprints, cert.Leaf.Raw) != nil {
		t.Fatalf("our SDP parses to %+v, %v", m, err)
	}
}

func FuzzParseFingerprint(f *testing.F) {
	for _, s := range []string{rfcSHA256, rfcSHA1, "sha-1 4a:ad", "md5 00", "x 0", " sha-256  AB:CD ", "sha-256 :"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fp, err := ParseFingerprint(s)
		if err != nil {
			if !errors.Is(err, ErrBadFingerprint) {
				t.Fatalf("error %v is not ErrBadFingerprint", err)
			}
			return
		}
		if len(fp.Digest) == 0 || len(fp.Digest) > maxDigest || fp.Hash != strings.ToLower(fp.Hash) {
			t.Fatalf("parsed %q to %+v", s, fp)
		}
		// What parses is written in the canonical form, which parses to
		// the same value.
		out := fp.String()
		back, err := ParseFingerprint(out)
		if err != nil || back.Hash != fp.Hash || !bytes.Equal(back.Digest, fp.Digest) || back.String() != out {
			t.Fatalf("%q -> %q -> %+v %v", s, out, back, err)
		}
		// A fingerprint never verifies a certificate it was not made of.
		if VerifyFingerprint([]Fingerprint{fp}, []byte("not this certificate")) == nil {
			t.Fatalf("%q verifies anything", s)
		}
	})
}
