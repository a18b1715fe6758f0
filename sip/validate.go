package sip

import (
	"strings"

	sipgosip "github.com/emiago/sipgo/sip"
)

// rejection is the final response a check decided on.
type rejection struct {
	code    int
	reason  string            // reason phrase
	metric  string            // sxgw_sip_bad_requests_total reason
	headers []sipgosip.Header // extra headers of the response
}

// countedHeader is a field checkSyntax counts: one every request carries
// (RFC 3261 §8.1.1) or one it carries at most once (RFC 3261 §7.3.1: only
// fields defined as comma-separated lists may repeat).
type countedHeader struct {
	name      string
	mandatory bool // RFC 3261 §8.1.1
	single    bool // RFC 3261 §7.3.1
}

// countedHeaders lists them in the order their refusals are checked: the
// missing mandatory fields first, then the repeated single ones.
func countedHeaders() [8]countedHeader {
	return [8]countedHeader{
		{"Via", true, false},
		{"To", true, true},
		{"From", true, true},
		{"Call-ID", true, true},
		{"CSeq", true, true},
		{"Max-Forwards", true, true},
		{"Content-Length", false, true},
		{"Content-Type", false, true},
	}
}

func badRequest(phrase, metric string) *rejection {
	return &rejection{code: 400, reason: phrase, metric: metric}
}

// checkSyntax applies the checks of RFC 3261 §8.2 that need no endpoint
// state: protocol version, mandatory and single-instance header fields,
// CSeq/method agreement, the From tag and the Request-URI scheme.
func checkSyntax(req *sipgosip.Request) *rejection {
	// RFC 3261 §7.1, §21.5.7: only SIP/2.0 is spoken here.
	if !strings.EqualFold(req.SipVersion, "SIP/2.0") {
		return &rejection{code: 505, reason: "Version Not Supported", metric: badVersion}
	}

	// RFC 3261 §8.1.1: mandatory fields; §7.3.1: single fields.
	fields := countedHeaders()
	var counts [len(fields)]int
	for _, h := range req.Headers() {
		name := h.Name()
		for i := range fields {
			if asciiEqualFold(name, fields[i].name) {
				counts[i]++
				break
			}
		}
	}
	for i, f := range fields {
		if f.mandatory && counts[i] == 0 {
			return badRequest("Missing "+f.name+" Header", badMissingHeader)
		}
	}
	for i, f := range fields {
		if f.single && counts[i] > 1 {
			return badRequest("Duplicate "+f.name+" Header", badInvalidHeader)
		}
	}

	via := req.Via()
	if via == nil || via.Host == "" || !strings.EqualFold(via.ProtocolName, "SIP") ||
		via.ProtocolVersion != "2.0" {
		return badRequest("Invalid Via Header", badInvalidHeader)
	}
	if cid := req.CallID(); cid == nil || strings.TrimSpace(cid.Value()) == "" {
		return badRequest("Invalid Call-ID Header", badInvalidHeader)
	}
	// RFC 3261 §8.1.1.5: the CSeq method matches the request method.
	if cseq := req.CSeq(); cseq == nil || cseq.MethodName != req.Method {
		return badRequest("CSeq Method Mismatch", badInvalidHeader)
	}
	// RFC 3261 §8.1.1.3: the UAC always adds a From tag.
	if from := req.From(); from == nil || !hasTag(from.Params) {
		return badRequest("Missing From Tag", badInvalidHeader)
	}

	// RFC 3261 §8.2.2.1: an unknown Request-URI scheme gets 416.
	switch req.Recipient.Scheme {
	case "sip", "sips":
	default:
		return &rejection{code: 416, reason: "Unsupported URI Scheme", metric: badURIScheme}
	}
	if req.Recipient.Host == "" || req.Recipient.Wildcard {
		return badRequest("Invalid Request-URI", badInvalidHeader)
	}
	return nil
}

func hasTag(p sipgosip.HeaderParams) bool {
	tag, ok := p.Get("tag")
	return ok && tag != ""
}

// checkSize refuses a request larger than limit bytes (RFC 3261 §21.5.14).
func checkSize(req *sipgosip.Request, limit int) *rejection {
	if messageSize(req, limit) > limit {
		return &rejection{code: 513, reason: "Message Too Large", metric: badTooLarge}
	}
	return nil
}

// messageSize is the wire size of req, counted until it passes limit.
func messageSize(req *sipgosip.Request, limit int) int {
	n := len(req.Body())
	if n > limit {
		return n
	}
	n += len(req.Method) + len(req.Recipient.String()) + len(req.SipVersion) + 4
	for _, h := range req.Headers() {
		n += len(h.Name()) + len(h.Value()) + 4 // ": " and CRLF
		if n > limit {
			return n
		}
	}
	return n + 2
}

// checkMaxForwards applies RFC 3261 §16.3 step 3: sxgw forwards what it
// receives into XMPP, so a request that has no hops left is not taken,
// except OPTIONS, which it answers as the final recipient (RFC 3261 §11).
func checkMaxForwards(req *sipgosip.Request) *rejection {
	mf := req.MaxForwards()
	if mf == nil || mf.Val() > 0 || req.Method == sipgosip.OPTIONS {
		return nil
	}
	return &rejection{code: 483, reason: "Too Many Hops", metric: badTooManyHops}
}

// checkRequire applies RFC 3261 §8.2.2.3: a request requiring an extension
// not in supported gets 420 with the missing ones in Unsupported. ACK and
// CANCEL are never refused for their Require.
func checkRequire(req *sipgosip.Request, supported []string) *rejection {
	if req.Method == sipgosip.ACK || req.Method == sipgosip.CANCEL {
		return nil
	}
	var missing []string
	for _, h := range req.Headers() {
		// Compared in place: sipgo's GetHeaders lowercases every other
		// field's name, allocating for most.
		if !asciiEqualFold(h.Name(), "Require") {
			continue
		}
		for tag := range strings.SplitSeq(h.Value(), ",") {
			tag = strings.TrimSpace(tag)
			if tag == "" || containsFold(supported, tag) || containsFold(missing, tag) {
				continue
			}
			missing = append(missing, tag)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &rejection{
		code: 420, reason: "Bad Extension", metric: badBadExtension,
		headers: []sipgosip.Header{sipgosip.NewHeader("Unsupported", strings.Join(missing, ", "))},
	}
}

// asciiEqualFold reports whether a and b are equal under ASCII case
// folding (header names are case-insensitive, RFC 3261 §7.3.1); other
// bytes must match exactly.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
