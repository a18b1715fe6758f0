package simple

import (
	"strconv"
	"strings"
)

// tupleIDPrefix is prepended to an XMPP resourcepart to form a tuple id
// (RFC 8048 §6.2 note 2: xs:ID may not start with a digit).
const tupleIDPrefix = "ID-"

// TupleID returns the PIDF tuple id for an XMPP resourcepart: "ID-" +
// resource, as RFC 8048 §6.2 note 2 recommends.
func TupleID(resource string) string { return tupleIDPrefix + resource }

// TupleResource returns the XMPP resourcepart for a tuple id: the id
// without a leading "ID-", or the id itself if it has none (tuples written
// by SIP user agents).
func TupleResource(id string) string { return strings.TrimPrefix(id, tupleIDPrefix) }

// FormatPriority maps an XMPP <priority/> (RFC 6121 §4.7.2.3) to a PIDF
// contact priority (RFC 8048 §6.2 note 6): 0 -> "0", 127 -> "1", and the
// values between to distinct thousandths by truncation (1 -> "0.007",
// 2 -> "0.015", ..., 126 -> "0.992", exactly the examples of note 6).
// Negative priorities MUST NOT be mapped: ok is false for them and for
// values above 127.
func FormatPriority(xmppPriority int) (q string, ok bool) {
	if xmppPriority < 0 || xmppPriority > 127 {
		return "", false
	}
	switch t := xmppPriority * 1000 / 127; t {
	case 0:
		return "0", true
	case 1000:
		return "1", true
	default:
		s := strconv.Itoa(t)
		s = strings.Repeat("0", 3-len(s)) + s
		return "0." + strings.TrimRight(s, "0"), true
	}
}

// ParsePriority maps a PIDF contact priority back to an XMPP priority
// (RFC 8048 §6.3 note 2), the inverse of FormatPriority: every value
// FormatPriority returns comes back as the integer it came from, and any
// other qvalue maps to the nearest XMPP priority at or above it (0..127).
// ok is false for "" and for values that are not RFC 3863 qvalues.
func ParsePriority(q string) (xmppPriority int, ok bool) {
	if !validQValue(q) {
		return 0, false
	}
	if q[0] == '1' {
		return 127, true
	}
	t := 0 // thousandths
	frac := q[min(2, len(q)):]
	for i := range 3 {
		t *= 10
		if i < len(frac) {
			t += int(frac[i] - '0')
		}
	}
	// FormatPriority's t = floor(1000k/127) gives k = ceil(127t/1000).
	return (127*t + 999) / 1000, true
}
