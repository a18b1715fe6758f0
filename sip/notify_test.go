package sip

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sxgw/sxgw/translate"
)

func TestNotifyRefusals(t *testing.T) {
	e, core := startPresence(t, Options{})
	cases := []struct {
		file    string
		code    int
		reason  string
		headers map[string]string
		metric  string
	}{
		{"notify_no_event.sip", 489, "Bad Event", nil, badEvent},
		{"notify_unknown_event.sip", 489, "Bad Event", nil, badEvent},
		{"notify_no_state.sip", 400, "Missing Subscription-State Header", nil, badMissingHeader},
		{"notify_bad_state.sip", 400, "Invalid Subscription-State Header", nil, badInvalidHeader},
		{"notify_two_states.sip", 400, "Duplicate Subscription-State Header", nil, badInvalidHeader},
		{"notify_bad_type.sip", 415, "Unsupported Media Type", map[string]string{"Accept": pidfType}, badContentType},
		{"notify_no_totag.sip", 481, "Subscription Does Not Exist", nil, badNoDialog},
	}
	for _, transport := range []string{TransportUDP, TransportTCP} {
		target := addrOf(t, e, transport)
		for _, c := range cases {
			t.Run(transport+"/"+c.file, func(t *testing.T) {
				before := testutil.ToFloat64(e.m.badRequests.WithLabelValues(c.metric))
				res := exchange(t, transport, target, c.file, 3*time.Second, map[string]string{"$TOTAG": "sub-1"})
				if res == nil {
					t.Fatal("no response")
				}
				if res.StatusCode != c.code || res.Reason != c.reason {
					t.Fatalf("got %d %q, want %d %q", res.StatusCode, res.Reason, c.code, c.reason)
				}
				for name, want := range c.headers {
					if got, _ := header(res, name); got != want {
						t.Errorf("%s = %q, want %q", name, got, want)
					}
				}
				if _, ok := header(res, "Allow-Events"); ok {
					t.Error("NOTIFY refusal lists Allow-Events")
				}
				if got := testutil.ToFloat64(e.m.badRequests.WithLabelValues(c.metric)); got != before+1 {
					t.Errorf("bad_requests{%s} = %v, want %v", c.metric, got, before+1)
				}
			})
		}
	}
	if _, n := core.counts(); n != 0 {
		t.Errorf("%d refused NOTIFYs reached the core", n)
	}
}

func TestNotifyReceived(t *testing.T) {
	e, core := startPresence(t, Options{})
	for _, transport := range []string{TransportUDP, TransportTCP} {
		t.Run(transport, func(t *testing.T) {
			target := addrOf(t, e, transport)
			res := exchange(t, transport, target, "notify.sip", 3*time.Second, map[string]string{"$TOTAG": "sub-1"})
			if res == nil || res.StatusCode != 200 {
				t.Fatalf("got %v, want 200", res)
			}
			n := core.lastNotify(t)
			d := n.Dialog
			if d.LocalTag != "sub-1" || d.RemoteTag != "ffd2" || d.LocalURI != "sip:alice@example.test" ||
				d.RemoteURI != "sip:bob@peer.test" || d.RemoteCSeq != 8775 || d.CallID != res.CallID().Value() {
				t.Errorf("dialog = %+v", d)
			}
			if !strings.HasPrefix(d.RemoteTarget, "sip:bob@127.0.0.1:") {
				t.Errorf("RemoteTarget = %q", d.RemoteTarget)
			}
			if n.Event != "presence" || n.State != translate.SubStateActive || n.Expires != 599 ||
				n.Reason != "" || n.RetryAfter != -1 || n.ContentType != pidfType {
				t.Errorf("notify = %+v", n)
			}
			if !strings.Contains(string(n.Body), "<basic>open</basic>") {
				t.Errorf("body %q", n.Body)
			}

			res = exchange(t, transport, target, "notify_terminated.sip", 3*time.Second, map[string]string{"$TOTAG": "sub-1"})
			if res == nil || res.StatusCode != 200 {
				t.Fatalf("terminated: got %v, want 200", res)
			}
			n = core.lastNotify(t)
			if n.State != translate.SubStateTerminated || n.Reason != "probation" || n.RetryAfter != 120 ||
				n.Expires != -1 || n.ContentType != "" || len(n.Body) != 0 || n.Dialog.RemoteCSeq != 8776 {
				t.Errorf("terminated notify = %+v", n)
			}
		})
	}

	// RFC 6665 §4.1.3: the core's 481 for an unknown subscription is sent.
	core.setNotify(func(translate.SIPNotify) error {
		return &StatusError{Code: 481, Reason: "Subscription Does Not Exist"}
	})
	res := exchange(t, TransportUDP, addrOf(t, e, TransportUDP), "notify.sip", 3*time.Second, map[string]string{"$TOTAG": "unknown"})
	if res == nil || res.StatusCode != 481 || res.Reason != "Subscription Does Not Exist" {
		t.Fatalf("got %v, want 481", res)
	}
	wantCount(t, e.m.requests.WithLabelValues("NOTIFY", "2xx"), 4)
	wantCount(t, e.m.requests.WithLabelValues("NOTIFY", "4xx"), 1)
}

func TestFormatSubState(t *testing.T) {
	cases := []struct {
		n    translate.SIPNotify
		want string
	}{
		{translate.SIPNotify{State: "active", Expires: 599, RetryAfter: -1}, "active;expires=599"},
		{translate.SIPNotify{State: "pending", Expires: 3600, RetryAfter: -1}, "pending;expires=3600"},
		{translate.SIPNotify{State: "active", Expires: -1, RetryAfter: -1}, "active"},
		// RFC 6665 §4.1.3: reason and retry-after only with terminated.
		{translate.SIPNotify{State: "active", Expires: 10, Reason: "timeout", RetryAfter: 5}, "active;expires=10"},
		{translate.SIPNotify{State: "terminated", Expires: 10, Reason: "rejected", RetryAfter: -1}, "terminated;reason=rejected"},
		{translate.SIPNotify{State: "terminated", Expires: -1, Reason: "Probation", RetryAfter: 120}, "terminated;reason=probation;retry-after=120"},
		{translate.SIPNotify{State: "terminated", Expires: -1, RetryAfter: -1}, "terminated"},
		// A literal without RetryAfter (0) sends no retry-after.
		{translate.SIPNotify{State: "terminated", Reason: "timeout"}, "terminated;reason=timeout"},
		{translate.SIPNotify{State: "active", Expires: 1 << 40, RetryAfter: -1}, "active;expires=2147483647"},
	}
	for _, c := range cases {
		got, err := formatSubState(c.n)
		if err != nil || got != c.want {
			t.Errorf("formatSubState(%+v) = %q, %v; want %q", c.n, got, err, c.want)
		}
	}
	for _, bad := range []translate.SIPNotify{
		{State: ""}, {State: "act ive"}, {State: "terminated", Reason: "no;pe", RetryAfter: -1},
	} {
		if got, err := formatSubState(bad); err == nil {
			t.Errorf("formatSubState(%+v) = %q, want an error", bad, got)
		}
	}
}
