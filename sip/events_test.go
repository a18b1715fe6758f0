package sip

import (
	"slices"
	"strings"
	"testing"

	"github.com/sxgw/sxgw/translate"
)

func TestParseEvent(t *testing.T) {
	cases := []struct {
		in      string
		want    eventHeader
		wantErr bool
	}{
		{in: "presence", want: eventHeader{Type: "presence"}},
		{in: " presence ", want: eventHeader{Type: "presence"}},
		{in: "presence.winfo", want: eventHeader{Type: "presence.winfo"}},
		// RFC 6665 §8.2.1: "foo; param=abcd; id=1234" carries id 1234.
		{in: "foo; param=abcd; id=1234", want: eventHeader{Type: "foo", ID: "1234", HasID: true}},
		{in: "Foo;ID=x", want: eventHeader{Type: "Foo", ID: "x", HasID: true}},
		{in: "presence;flag", want: eventHeader{Type: "presence"}},
		{in: `presence;p="quoted value"`, want: eventHeader{Type: "presence"}},
		{in: "", wantErr: true},
		{in: "pres ence", wantErr: true},
		{in: "presence.", wantErr: true},
		{in: ".presence", wantErr: true},
		{in: "presence;id=", wantErr: true},
		{in: "presence;id=a b", wantErr: true},
		{in: "presence;=x", wantErr: true},
		{in: "pres@nce", wantErr: true},
		{in: "presence;" + strings.Repeat("a;", 40), wantErr: true},
	}
	for _, c := range cases {
		got, err := parseEvent(c.in)
		if (err != nil) != c.wantErr || (!c.wantErr && got != c.want) {
			t.Errorf("parseEvent(%q) = %+v, %v; want %+v (error %v)", c.in, got, err, c.want, c.wantErr)
		}
	}
}

func TestParseSubState(t *testing.T) {
	cases := []struct {
		in      string
		want    subState
		wantErr bool
	}{
		{in: "active;expires=599", want: subState{State: "active", Expires: 599, RetryAfter: -1}},
		{in: "pending", want: subState{State: "pending", Expires: -1, RetryAfter: -1}},
		{in: "Terminated ; Reason=Rejected", want: subState{State: "terminated", Expires: -1, Reason: "rejected", RetryAfter: -1}},
		{in: "terminated;reason=probation;retry-after=120", want: subState{State: "terminated", Expires: -1, Reason: "probation", RetryAfter: 120}},
		{in: "terminated;reason=giveup;foo=bar", want: subState{State: "terminated", Expires: -1, Reason: "giveup", RetryAfter: -1}},
		{in: "active;expires=99999999999999", want: subState{State: "active", Expires: maxDeltaSeconds, RetryAfter: -1}},
		// An extension state is a token (RFC 6665 §8.4).
		{in: "waiting", want: subState{State: "waiting", Expires: -1, RetryAfter: -1}},
		{in: "", wantErr: true},
		{in: "active;expires=soon", wantErr: true},
		{in: "active;expires=-1", wantErr: true},
		{in: "active;expires=", wantErr: true},
		{in: "terminated;retry-after=1.5", wantErr: true},
		{in: "terminated;reason=a,b", wantErr: true},
		{in: "act ive", wantErr: true},
	}
	for _, c := range cases {
		got, err := parseSubState(c.in)
		if (err != nil) != c.wantErr || (!c.wantErr && got != c.want) {
			t.Errorf("parseSubState(%q) = %+v, %v; want %+v (error %v)", c.in, got, err, c.want, c.wantErr)
		}
	}
}

func TestParseDeltaSeconds(t *testing.T) {
	cases := []struct {
		in      []string
		want    int
		wantErr bool
	}{
		{in: nil, want: -1},
		{in: []string{"600"}, want: 600},
		{in: []string{" 0 "}, want: 0},
		{in: []string{"4294967296"}, want: maxDeltaSeconds},
		{in: []string{strings.Repeat("9", 64)}, want: maxDeltaSeconds},
		{in: []string{strings.Repeat("9", 65)}, wantErr: true},
		{in: []string{""}, wantErr: true},
		{in: []string{"+5"}, wantErr: true},
		{in: []string{"1e3"}, wantErr: true},
		{in: []string{"60", "60"}, wantErr: true},
	}
	for _, c := range cases {
		got, err := singleDelta(c.in)
		if (err != nil) != c.wantErr || (!c.wantErr && got != c.want) {
			t.Errorf("singleDelta(%q) = %d, %v; want %d (error %v)", c.in, got, err, c.want, c.wantErr)
		}
	}
}

func TestAccept(t *testing.T) {
	cases := []struct {
		in      []string
		types   []string
		present bool
		ok      bool
	}{
		{nil, nil, false, false},
		{[]string{"application/pidf+xml"}, []string{"application/pidf+xml"}, true, true},
		{[]string{"Application/PIDF+XML;q=0.9, text/plain"}, []string{"application/pidf+xml", "text/plain"}, true, true},
		{[]string{"text/plain", "application/*"}, []string{"text/plain", "application/*"}, true, true},
		{[]string{"*/*"}, []string{"*/*"}, true, true},
		{[]string{"application/pidf+xml;q=0"}, nil, true, false},
		{[]string{"application/pidf+xml;q=0.0"}, nil, true, false},
		{[]string{"text/*"}, []string{"text/*"}, true, false},
		{[]string{""}, nil, true, false},
		{[]string{"garbage"}, nil, true, false},
	}
	for _, c := range cases {
		types, present := parseAccept(c.in)
		if !slices.Equal(types, c.types) || present != c.present {
			t.Errorf("parseAccept(%q) = %q, %v; want %q, %v", c.in, types, present, c.types, c.present)
		}
		got, ok := acceptable(types, []string{pidfType})
		if ok != c.ok || (ok && got != pidfType) {
			t.Errorf("acceptable(%q) = %q, %v; want %v", types, got, ok, c.ok)
		}
	}
}

func TestContactHostOption(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"gw.example.test", "gw.example.test", true},
		{"GW.Example.Test.", "gw.example.test", true},
		{"192.0.2.1", "192.0.2.1", true},
		{"[2001:db8::1]", "2001:db8::1", true},
		{"2001:db8::1", "2001:db8::1", true},
		{"bad host", "", false},
		{"host:5060", "", false},
		{"-x.test", "", false},
		{"a..b", "", false},
		{"fe80::1%eth0", "", false},
	}
	for _, c := range cases {
		got, err := checkContactHost(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("checkContactHost(%q) = %q, %v; want %q ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

// FuzzEventHeaders feeds the header parsers of SIP events: whatever the
// input, they do not panic, and what they accept formats back to a value
// that parses the same (Subscription-State) or is well-formed (Event).
func FuzzEventHeaders(f *testing.F) {
	for _, s := range []string{
		"presence", "presence;id=42", "foo; param=abcd; id=1234", "presence.winfo",
		"active;expires=599", "pending", "terminated;reason=rejected", "terminated;reason=probation;retry-after=120",
		"Terminated ; Reason=Giveup ; retry-after=99999999999", "active;expires=\"3600\"", "600", "",
		"application/pidf+xml;q=0.5, */*", ";;;", "a=b=c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ev, err := parseEvent(s); err == nil {
			if !isEventType(ev.Type) || (ev.HasID && !isToken(ev.ID)) {
				t.Fatalf("parseEvent(%q) accepted %+v", s, ev)
			}
		}
		if st, err := parseSubState(s); err == nil {
			if st.Expires < -1 || st.RetryAfter < -1 || st.Expires > maxDeltaSeconds || st.RetryAfter > maxDeltaSeconds {
				t.Fatalf("parseSubState(%q) = %+v", s, st)
			}
			n := translate.SIPNotify{State: st.State, Expires: st.Expires, Reason: st.Reason, RetryAfter: st.RetryAfter}
			out, err := formatSubState(n)
			if err != nil {
				t.Fatalf("formatSubState(%+v) from %q: %v", n, s, err)
			}
			back, err := parseSubState(out)
			if err != nil || back.State != st.State {
				t.Fatalf("%q -> %q -> %+v, %v", s, out, back, err)
			}
			if st.State == translate.SubStateTerminated {
				wantRetry := st.RetryAfter
				if wantRetry <= 0 {
					wantRetry = -1 // retry-after=0 is not sent
				}
				if back.Reason != st.Reason || back.RetryAfter != wantRetry {
					t.Fatalf("%q -> %q -> %+v", s, out, back)
				}
			} else if back.Expires != st.Expires {
				t.Fatalf("%q -> %q -> %+v", s, out, back)
			}
		}
		if n, err := singleDelta([]string{s}); err == nil && (n < 0 || n > maxDeltaSeconds) {
			t.Fatalf("singleDelta(%q) = %d", s, n)
		}
		types, _ := parseAccept([]string{s})
		for _, typ := range types {
			if typ != strings.ToLower(typ) || strings.ContainsAny(typ, "; ,") {
				t.Fatalf("parseAccept(%q) gave %q", s, typ)
			}
		}
	})
}
