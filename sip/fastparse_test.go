package sip

import (
	"bytes"
	"reflect"
	"testing"

	sipgosip "github.com/emiago/sipgo/sip"
)

// fastParseSamples are MESSAGE requests the fast parser takes.
var fastParseSamples = map[string]string{
	"sipp": "MESSAGE sip:alice@xmpp.test SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1-0\r\n" +
		"From: sipp <sip:sipp@127.0.0.1:5061>;tag=1\r\n" +
		"To: <sip:alice@xmpp.test>\r\n" +
		"Call-ID: 1-4242@127.0.0.1\r\n" +
		"CSeq: 1 MESSAGE\r\n" +
		"Max-Forwards: 70\r\n" +
		"Content-Type: text/plain\r\n" +
		"Content-Length: 5\r\n\r\nhello",
	"blink-cpim": "MESSAGE sip:alice@xmpp.test;transport=udp SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 192.0.2.7:5060;rport;branch=z9hG4bKPjx1y2z3\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: \"Bob Example\" <sip:bob@sip.test>;tag=abc123\r\n" +
		"To: \"Alice\" <sip:alice@xmpp.test>\r\n" +
		"Call-ID: 5e2b7a3c9d\r\n" +
		"CSeq: 23 MESSAGE\r\n" +
		"User-Agent: Blink 5.1.0 (Linux)\r\n" +
		"Content-Type: message/cpim\r\n" +
		"Content-Length: 121\r\n\r\n" +
		"From: Bob <sip:bob@sip.test>\r\nTo: <sip:alice@xmpp.test>\r\nDateTime: 2026-11-23T08:00:00Z\r\n\r\n" +
		"Content-Type: text/plain\r\n\r\nhi",
	"compact": "MESSAGE sip:alice@xmpp.test SIP/2.0\r\n" +
		"v: SIP/2.0/UDP host.sip.test;branch=z9hG4bKc1\r\n" +
		"f: <sip:carol@sip.test>;tag=9\r\n" +
		"t: sip:alice@xmpp.test\r\n" +
		"i: c1@host\r\n" +
		"CSeq: 7 MESSAGE\r\n" +
		"c: text/plain;charset=utf-8\r\n" +
		"s: greetings\r\n" +
		"l: 2\r\n\r\nhi",
	"proxied": "MESSAGE sip:alice@xmpp.test SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP proxy.sip.test:5060;branch=z9hG4bKp2\r\n" +
		"Via: SIP/2.0/UDP 10.0.0.1:5062;received=192.0.2.1;branch=z9hG4bKp1\r\n" +
		"Record-Route: <sip:proxy.sip.test;lr>\r\n" +
		"Record-Route: <sip:edge.sip.test;lr>\r\n" +
		"From: <sip:carol@sip.test>;tag=x\r\n" +
		"To: <sip:alice@xmpp.test>;tag=y\r\n" +
		"Call-ID: p@1\r\n" +
		"CSeq: 2 MESSAGE\r\n" +
		"Max-Forwards: 69\r\n" +
		"Require: foo\r\n" +
		"Subject: re: lunch\r\n" +
		"Content-Language: en\r\n" +
		"Content-Type: text/plain\r\n" +
		"Content-Length: 0\r\n\r\n",
	"odd case and spacing": "MESSAGE sip:alice@xmpp.test SIP/2.0\r\n" +
		"VIA :  SIP / 2.0 /UDP h:5070;branch=z9hG4bKs ; rport\r\n" +
		"from:<sip:c@sip.test>\r\n" +
		"TO:<sip:alice@xmpp.test>\r\n" +
		"call-id:\tx\r\n" +
		"cseq: 3\tMESSAGE\r\n" +
		"CONTENT-LENGTH: 1\r\n\r\nx",
}

// fastParseRefused are requests the fast parser leaves to sipgo.
var fastParseRefused = map[string]string{
	"not MESSAGE":     "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n",
	"other header":    "MESSAGE sip:a@b SIP/2.0\r\nContact: <sip:c@d>\r\nContent-Length: 0\r\n\r\n",
	"folding":         "MESSAGE sip:a@b SIP/2.0\r\nSubject: a\r\n b\r\nContent-Length: 0\r\n\r\n",
	"two vias":        "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b\r\nContent-Length: 0\r\n\r\n",
	"escape":          "MESSAGE sip:a@b SIP/2.0\r\nFrom: \"a\\\"b\" <sip:c@d>\r\nContent-Length: 0\r\n\r\n",
	"no empty line":   "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 0\r\n",
	"body too long":   "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 1\r\n\r\nab",
	"body too short":  "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nab",
	"no length":       "MESSAGE sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\nab",
	"two lengths":     "MESSAGE sip:a@b SIP/2.0\r\nl: 0\r\nContent-Length: 0\r\n\r\n",
	"version":         "MESSAGE sip:a@b SIP/3.0\r\nContent-Length: 0\r\n\r\n",
	"bad cseq":        "MESSAGE sip:a@b SIP/2.0\r\nCSeq: 2147483648 MESSAGE\r\nContent-Length: 0\r\n\r\n",
	"lone CR":         "MESSAGE sip:a@b SIP/2.0\r\nSubject: a\rb\r\nContent-Length: 0\r\n\r\n",
	"ipv6 via":        "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP [::1]:5060\r\nContent-Length: 0\r\n\r\n",
	"bad via port":    "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h:x;branch=1\r\nContent-Length: 0\r\n\r\n",
	"two routes":      "MESSAGE sip:a@b SIP/2.0\r\nRecord-Route: <sip:p1>, <sip:p2>\r\nContent-Length: 0\r\n\r\n",
	"non-ASCII name":  "MESSAGE sip:a@b SIP/2.0\r\ncſeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n",
	"wildcard target": "MESSAGE * SIP/2.0\r\nContent-Length: 0\r\n\r\n",
}

func TestFastParseAccepts(t *testing.T) {
	for name, msg := range fastParseSamples {
		t.Run(name, func(t *testing.T) {
			if !checkFastParse(t, []byte(msg)) {
				t.Fatal("the fast parser refused it")
			}
		})
	}
}

func TestFastParseRefuses(t *testing.T) {
	for name, msg := range fastParseRefused {
		t.Run(name, func(t *testing.T) {
			if req, ok := parseFastMessage([]byte(msg), sipgosip.ParseMaxMessageLength); ok {
				t.Fatalf("the fast parser took it: %v", req)
			}
		})
	}
}

func TestFastParseTooLarge(t *testing.T) {
	msg := []byte(fastParseSamples["sipp"])
	if _, ok := parseFastMessage(msg, len(msg)-1); ok {
		t.Fatal("took a request longer than the limit")
	}
	if _, ok := parseFastMessage(msg, len(msg)); !ok {
		t.Fatal("refused a request as long as the limit")
	}
}

// TestFastParseFirstVia checks that the request's Via and Record-Route
// accessors give the first field, as with sipgo's parser.
func TestFastParseFirstVia(t *testing.T) {
	req, ok := parseFastMessage([]byte(fastParseSamples["proxied"]), sipgosip.ParseMaxMessageLength)
	if !ok {
		t.Fatal("refused")
	}
	if got := req.Via().Host; got != "proxy.sip.test" {
		t.Errorf("Via host %q, want proxy.sip.test", got)
	}
	if got := req.RecordRoute().Address.Host; got != "proxy.sip.test" {
		t.Errorf("Record-Route host %q, want proxy.sip.test", got)
	}
}

// checkFastParse parses data with the fast parser and, when it takes it,
// checks that sipgo's parser takes it too and builds the same request;
// it reports whether the fast parser took it.
func checkFastParse(t *testing.T, data []byte) bool {
	t.Helper()
	p := sipgosip.NewParser()
	fast, ok := parseFastMessage(bytes.Clone(data), p.MaxMessageLength)
	if !ok {
		return false
	}
	msg, err := p.ParseSIP(data)
	if err != nil {
		t.Fatalf("sipgo refuses what the fast parser took: %v\n%q", err, data)
	}
	slow, isReq := msg.(*sipgosip.Request)
	if !isReq {
		t.Fatalf("sipgo parsed a response\n%q", data)
	}
	if fast.Method != slow.Method || fast.SipVersion != slow.SipVersion {
		t.Errorf("request line %s %s, sipgo %s %s", fast.Method, fast.SipVersion, slow.Method, slow.SipVersion)
	}
	if a, b := fast.Recipient.String(), slow.Recipient.String(); a != b {
		t.Errorf("Request-URI %q, sipgo %q", a, b)
	}
	fh, sh := fast.Headers(), slow.Headers()
	if len(fh) != len(sh) {
		t.Fatalf("%d header fields, sipgo %d\n%q", len(fh), len(sh), data)
	}
	for i := range fh {
		if fh[i].Name() != sh[i].Name() || fh[i].String() != sh[i].String() {
			t.Errorf("header %d: %q, sipgo %q", i, fh[i].String(), sh[i].String())
		}
		if !reflect.DeepEqual(fh[i], sh[i]) {
			t.Errorf("header %d: %#v, sipgo %#v", i, fh[i], sh[i])
		}
	}
	// The accessors point at the same fields.
	refs := func(r *sipgosip.Request) []int {
		var out []int
		for _, h := range []sipgosip.Header{r.Via(), r.From(), r.To(), r.CallID(), r.CSeq(), r.MaxForwards(), r.ContentType(), r.ContentLength(), r.RecordRoute()} {
			out = append(out, headerIndex(r, h))
		}
		return out
	}
	if a, b := refs(fast), refs(slow); !reflect.DeepEqual(a, b) {
		t.Errorf("accessors give fields %v, sipgo %v", a, b)
	}
	if !bytes.Equal(fast.Body(), slow.Body()) || (fast.Body() == nil) != (slow.Body() == nil) {
		t.Errorf("body %q, sipgo %q", fast.Body(), slow.Body())
	}
	if a, b := fast.String(), slow.String(); a != b {
		t.Errorf("request\n%s\nsipgo\n%s", a, b)
	}
	if !reflect.DeepEqual(fast.Recipient, slow.Recipient) {
		t.Errorf("Request-URI %#v, sipgo %#v", fast.Recipient, slow.Recipient)
	}
	return true
}

// headerIndex is the position of h among r's header fields, -1 if absent.
func headerIndex(r *sipgosip.Request, h sipgosip.Header) int {
	if reflect.ValueOf(h).IsNil() {
		return -1
	}
	for i, x := range r.Headers() {
		if x == h {
			return i
		}
	}
	return -2
}

func BenchmarkFastParse(b *testing.B) {
	msg := []byte(fastParseSamples["sipp"])
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := parseFastMessage(msg, 65535); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("sipgo", func(b *testing.B) {
		p := sipgosip.NewParser()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.ParseSIP(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}
