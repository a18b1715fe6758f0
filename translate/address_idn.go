package translate

import (
	"strings"
	"unicode/utf8"
)

// A JID domainpart holds U-labels (RFC 7622 §3.2.1) while a SIP host is
// ASCII (RFC 3261 §25.1). RFC 7247 §6.1 leaves the mapping of domain names
// out of scope; the gateway needs one to reach an internationalized XMPP
// domain from SIP, so it uses the IDNA A-label form (RFC 5890 §2.3.2.1):
// "xn--" and the Punycode (RFC 3492) of the label. The label is already
// normalized by the jid package; SIPToJID checks that the A-label it
// received is what this encoding gives back.

// Punycode parameters for IDNA (RFC 3492 §5).
const (
	punyBase        = 36
	punyTMin        = 1
	punyTMax        = 26
	punySkew        = 38
	punyDamp        = 700
	punyInitialBias = 72
	punyInitialN    = 128
	// punyMaxInt bounds delta (RFC 3492 §6.4 overflow handling); labels
	// are at most 63 octets, so real input stays far below it.
	punyMaxInt = 1<<31 - 1
)

// asciiHost returns the SIP host for a JID domainpart: the domainpart
// itself when it is ASCII, else with each non-ASCII label as an A-label.
// It reports false when a label cannot be encoded or the result is not a
// valid host.
func asciiHost(domain string) (string, bool) {
	ascii := true
	for i := 0; i < len(domain); i++ {
		if domain[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		var b strings.Builder
		for i, label := range strings.Split(domain, ".") {
			if i > 0 {
				b.WriteByte('.')
			}
			if !asciiOnly(label) {
				enc, ok := punyEncode(label)
				if !ok {
					return "", false
				}
				b.WriteString("xn--")
				label = enc
			}
			b.WriteString(label)
		}
		domain = b.String()
	}
	host, ok := canonicalHost(domain)
	if !ok || host != domain {
		return "", false
	}
	return host, true
}

func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// punyEncode is the Punycode encoding of RFC 3492 §6.3, without the
// mixed-case annotation. label must be valid UTF-8.
func punyEncode(label string) (string, bool) {
	if !utf8.ValidString(label) {
		return "", false
	}
	runes := []rune(label)
	out := make([]byte, 0, 2*len(label))
	for _, r := range runes {
		if r < 0x80 {
			out = append(out, byte(r))
		}
	}
	basic := len(out)
	if basic > 0 {
		out = append(out, '-')
	}
	n, delta, bias := punyInitialN, 0, punyInitialBias
	for h := basic; h < len(runes); {
		m := rune(punyMaxInt)
		for _, r := range runes {
			if r >= rune(n) && r < m {
				m = r
			}
		}
		if int(m-rune(n)) > (punyMaxInt-delta)/(h+1) {
			return "", false
		}
		delta += int(m-rune(n)) * (h + 1)
		n = int(m)
		for _, r := range runes {
			if int(r) < n {
				delta++
				if delta > punyMaxInt-1 {
					return "", false
				}
			}
			if int(r) != n {
				continue
			}
			q := delta
			for k := punyBase; ; k += punyBase {
				t := k - bias
				if t < punyTMin {
					t = punyTMin
				} else if t > punyTMax {
					t = punyTMax
				}
				if q < t {
					break
				}
				out = append(out, punyDigit(t+(q-t)%(punyBase-t)))
				q = (q - t) / (punyBase - t)
			}
			out = append(out, punyDigit(q))
			bias = punyAdapt(delta, h+1, h == basic)
			delta = 0
			h++
		}
		delta++
		n++
	}
	return string(out), true
}

// punyAdapt is the bias adaptation function of RFC 3492 §6.1.
func punyAdapt(delta, numPoints int, first bool) int {
	if first {
		delta /= punyDamp
	} else {
		delta /= 2
	}
	delta += delta / numPoints
	k := 0
	for delta > ((punyBase-punyTMin)*punyTMax)/2 {
		delta /= punyBase - punyTMin
		k += punyBase
	}
	return k + (punyBase-punyTMin+1)*delta/(delta+punySkew)
}

// punyDigit encodes a digit value 0-35 as a-z, 0-9 (RFC 3492 §5).
func punyDigit(d int) byte {
	if d < 26 {
		return byte('a' + d)
	}
	return byte('0' + d - 26)
}
