package sip

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// okHandler answers 200.
func okHandler(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
	_ = tx.Respond(sipgosip.NewResponseFromRequest(req, 200, "OK", nil))
}

func TestWireRequests(t *testing.T) {
	e, reg := startEndpoint(t, Options{})
	e.Handle("MESSAGE", okHandler, "text/plain")

	cases := []struct {
		file    string
		code    int
		reason  string
		headers map[string]string // expected values ("*": present)
	}{
		{"options.sip", 200, "OK", map[string]string{"Allow": "MESSAGE, OPTIONS", "Accept": "application/sdp, text/plain", "Supported": "*"}},
		{"options_domain.sip", 200, "OK", nil},
		{"options_mf0.sip", 200, "OK", nil}, // RFC 3261 §16.3: OPTIONS answered as final recipient
		{"message.sip", 200, "OK", nil},
		{"message_mf0.sip", 483, "Too Many Hops", nil},
		{"message_foreign_domain.sip", 404, "Not Found", nil},
		{"message_require.sip", 420, "Bad Extension", map[string]string{"Unsupported": "100rel, foo"}},
		{"unknown_method.sip", 405, "Method Not Allowed", map[string]string{"Allow": "MESSAGE, OPTIONS"}},
		{"register.sip", 405, "Method Not Allowed", map[string]string{"Allow": "MESSAGE, OPTIONS"}},
		{"missing_max_forwards.sip", 400, "Missing Max-Forwards Header", nil},
		{"missing_to.sip", 400, "Missing To Header", nil},
		{"missing_from_tag.sip", 400, "Missing From Tag", nil},
		{"duplicate_call_id.sip", 400, "Duplicate Call-ID Header", nil},
		{"cseq_mismatch.sip", 400, "CSeq Method Mismatch", nil},
		{"tel_uri.sip", 416, "Unsupported URI Scheme", nil},
		{"version.sip", 505, "Version Not Supported", nil},
		{"cancel.sip", 481, "Call/Transaction Does Not Exist", nil},
	}
	for _, transport := range []string{TransportUDP, TransportTCP} {
		target := addrOf(t, e, transport)
		for _, c := range cases {
			t.Run(transport+"/"+c.file, func(t *testing.T) {
				res := exchange(t, transport, target, c.file, 3*time.Second, nil)
				if res == nil {
					t.Fatal("no response")
				}
				if res.StatusCode != c.code || res.Reason != c.reason {
					t.Fatalf("got %d %q, want %d %q", res.StatusCode, res.Reason, c.code, c.reason)
				}
				if v, _ := header(res, "Server"); v != "sxgw/test" {
					t.Errorf("Server = %q", v)
				}
				for name, want := range c.headers {
					got, ok := header(res, name)
					if !ok || (want != "*" && got != want) {
						t.Errorf("%s = %q (present %v), want %q", name, got, ok, want)
					}
				}
			})
		}
	}

	if got := testutil.ToFloat64(e.m.requests.WithLabelValues("OPTIONS", "2xx")); got != 6 {
		t.Errorf("requests{OPTIONS,2xx} = %v, want 6", got)
	}
	if got := testutil.ToFloat64(e.m.requests.WithLabelValues("other", "4xx")); got != 2 {
		t.Errorf("requests{other,4xx} = %v, want 2 (FOO twice)", got)
	}
	if got := testutil.ToFloat64(e.m.badRequests.WithLabelValues(badMissingHeader)); got != 4 {
		t.Errorf("bad_requests{missing_header} = %v, want 4", got)
	}
	n, err := testutil.GatherAndCount(reg, "sxgw_sip_requests_total", "sxgw_sip_bad_requests_total")
	if err != nil || n == 0 {
		t.Errorf("gathered %d series, err %v", n, err)
	}
}

func TestACKIsNeverAnswered(t *testing.T) {
	for _, trusted := range []bool{true, false} {
		o := Options{}
		if !trusted {
			o.TrustedPeers = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
		}
		e, _ := startEndpoint(t, o)
		acks := make(chan *sipgosip.Request, 1)
		e.Handle("ACK", func(req *sipgosip.Request, tx sipgosip.ServerTransaction) { acks <- req })
		res := exchange(t, TransportUDP, addrOf(t, e, TransportUDP), "ack.sip", 500*time.Millisecond, nil)
		if res != nil {
			t.Fatalf("trusted=%v: ACK answered with %d", trusted, res.StatusCode)
		}
		select {
		case <-acks:
			if !trusted {
				t.Error("untrusted ACK reached the handler")
			}
		case <-time.After(time.Second):
			if trusted {
				t.Error("trusted ACK did not reach the handler")
			}
		}
	}
}

func TestUntrustedSourceForbidden(t *testing.T) {
	// 127.0.0.1 is outside the only trusted prefix.
	e, _ := startEndpoint(t, Options{TrustedPeers: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	called := make(chan struct{}, 1)
	e.Handle("MESSAGE", func(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
		called <- struct{}{}
		okHandler(req, tx)
	})
	for _, transport := range []string{TransportUDP, TransportTCP} {
		for _, file := range []string{"options.sip", "message.sip", "unknown_method.sip"} {
			res := exchange(t, transport, addrOf(t, e, transport), file, 3*time.Second, nil)
			if res == nil || res.StatusCode != 403 {
				t.Fatalf("%s %s: got %v, want 403", transport, file, res)
			}
			if v, _ := header(res, "Server"); v == "" {
				t.Error("403 without Server")
			}
		}
	}
	select {
	case <-called:
		t.Fatal("handler ran for an untrusted source")
	default:
	}
	if got := testutil.ToFloat64(e.m.badRequests.WithLabelValues(badForbidden)); got != 6 {
		t.Errorf("bad_requests{forbidden} = %v, want 6", got)
	}
}

func TestDrain(t *testing.T) {
	e, _ := startEndpoint(t, Options{RetryAfter: 90 * time.Second})
	e.Handle("MESSAGE", okHandler)
	target := addrOf(t, e, TransportUDP)
	if res := exchange(t, TransportUDP, target, "options.sip", 3*time.Second, nil); res == nil || res.StatusCode != 200 {
		t.Fatalf("before drain: %v", res)
	}
	e.Drain()
	for _, file := range []string{"options.sip", "message.sip", "register.sip"} {
		res := exchange(t, TransportUDP, target, file, 3*time.Second, nil)
		if res == nil || res.StatusCode != 503 {
			t.Fatalf("%s while draining: %v, want 503", file, res)
		}
		if v, _ := header(res, "Retry-After"); v != "90" {
			t.Errorf("%s: Retry-After = %q, want 90", file, v)
		}
	}
	// Requests inside a dialog and CANCEL still go through.
	if res := exchange(t, TransportUDP, target, "message_in_dialog.sip", 3*time.Second, nil); res == nil || res.StatusCode != 200 {
		t.Errorf("in-dialog MESSAGE while draining: %v, want 200", res)
	}
	if res := exchange(t, TransportUDP, target, "cancel.sip", 3*time.Second, nil); res == nil || res.StatusCode != 481 {
		t.Errorf("CANCEL while draining: %v, want 481", res)
	}
	if got := testutil.ToFloat64(e.m.requests.WithLabelValues("OPTIONS", "5xx")); got != 1 {
		t.Errorf("requests{OPTIONS,5xx} = %v, want 1", got)
	}
}

func TestMessageTooLarge(t *testing.T) {
	e, _ := startEndpoint(t, Options{MaxMessageSize: 1024})
	e.Handle("MESSAGE", okHandler)
	pad := strings.Repeat("x", 1500)
	for _, transport := range []string{TransportUDP, TransportTCP} {
		target := addrOf(t, e, transport)
		// The same request under the limit passes.
		if res := exchange(t, transport, target, "message.sip", 3*time.Second, nil); res == nil || res.StatusCode != 200 {
			t.Fatalf("%s small: %v", transport, res)
		}
		res := exchange(t, transport, target, "message.sip", 3*time.Second, map[string]string{"Max-Forwards: 70": "Max-Forwards: 70\r\nX-Pad: " + pad})
		if res == nil || res.StatusCode != 513 {
			t.Fatalf("%s large: %v, want 513", transport, res)
		}
		if v, _ := header(res, "Server"); v != "sxgw/test" {
			t.Errorf("513 Server = %q", v)
		}
	}
	if got := testutil.ToFloat64(e.m.badRequests.WithLabelValues(badTooLarge)); got != 2 {
		t.Errorf("bad_requests{too_large} = %v, want 2", got)
	}
}

func TestHandlerWithoutResponse(t *testing.T) {
	e, _ := startEndpoint(t, Options{})
	e.Handle("MESSAGE", func(req *sipgosip.Request, tx sipgosip.ServerTransaction) {})
	e.Handle("INFO", func(req *sipgosip.Request, tx sipgosip.ServerTransaction) { panic("boom") })
	target := addrOf(t, e, TransportTCP)
	if res := exchange(t, TransportTCP, target, "message.sip", 3*time.Second, nil); res == nil || res.StatusCode != 500 {
		t.Errorf("silent handler: %v, want 500", res)
	}
	info := map[string]string{"MESSAGE sip:": "INFO sip:", "1 MESSAGE": "1 INFO"}
	if res := exchange(t, TransportTCP, target, "message.sip", 3*time.Second, info); res == nil || res.StatusCode != 500 {
		t.Errorf("panicking handler: %v, want 500", res)
	}
	for _, m := range []string{"MESSAGE", "INFO"} {
		if got := testutil.ToFloat64(e.m.requests.WithLabelValues(m, "5xx")); got != 1 {
			t.Errorf("requests{%s,5xx} = %v, want 1", m, got)
		}
	}
}
