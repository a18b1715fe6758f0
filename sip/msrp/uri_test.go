package msrp

import (
	"errors"
	"testing"
)

func TestParseURI(t *testing.T) {
	tests := []struct {
		in   string
		want URI
		out  string // String(), when not in
	}{
		{in: "msrp://host.example.com:8493/asfd34;tcp", want: URI{Host: "host.example.com", Port: 8493, SessionID: "asfd34", Transport: "tcp"}},
		{in: "msrps://bob.example.net:8145/foo;tcp", want: URI{Secure: true, Host: "bob.example.net", Port: 8145, SessionID: "foo", Transport: "tcp"}},
		{in: "MSRPS://Relay.Example.com;tcp", want: URI{Secure: true, Host: "Relay.Example.com", Transport: "tcp"}, out: "msrps://Relay.Example.com;tcp"},
		{in: "msrp://[2001:db8::1]:2855/a+b=c/d;tcp;foo=bar;baz", want: URI{Host: "2001:db8::1", Port: 2855, SessionID: "a+b=c/d", Transport: "tcp", Params: ";foo=bar;baz"}},
		{in: "msrp://alice@192.0.2.1:7777/s1;TCP", want: URI{User: "alice", Host: "192.0.2.1", Port: 7777, SessionID: "s1", Transport: "TCP"}},
		{in: "msrp://h%41st.example.com:1/s;tcp", want: URI{Host: "h%41st.example.com", Port: 1, SessionID: "s", Transport: "tcp"}},
		{in: "msrp://a.example.com:09/s;tcp", want: URI{Host: "a.example.com", Port: 9, SessionID: "s", Transport: "tcp"}, out: "msrp://a.example.com:9/s;tcp"},
	}
	for _, tt := range tests {
		u, err := ParseURI(tt.in)
		if err != nil {
			t.Errorf("ParseURI(%q): %v", tt.in, err)
			continue
		}
		if u != tt.want {
			t.Errorf("ParseURI(%q) = %+v, want %+v", tt.in, u, tt.want)
		}
		out := tt.out
		if out == "" {
			out = tt.in
		}
		if s := u.String(); s != out {
			t.Errorf("String() = %q, want %q", s, out)
		}
	}
}

func TestParseURIErrors(t *testing.T) {
	for _, in := range []string{
		"", "sip:bob@example.com", "msrp://host.example.com:8493/asfd34", // no transport (RFC 4975 §6)
		"msrp://host.example.com", "msrp://:80/s;tcp", "msrp://host:0/s;tcp", "msrp://host:65536/s;tcp",
		"msrp://host:80x/s;tcp", "msrp://host:/s;tcp", "msrp://host:80/;tcp", "msrp://host:80/s;",
		"msrp://host:80/s p;tcp", "msrp://[::1/s;tcp", "msrp://[1.2.3.4]:1/s;tcp", "msrp://[fe80::1%25eth0]:1/s;tcp",
		"msrp://user:pass@host:80/s;tcp", "msrp://@host:80/s;tcp", "msrp://host:80/s;t-p", "msrp://host:80/s;tcp;=x",
		"msrp://host:80/s;tcp;a=", "msrp://ho%zzst:80/s;tcp", "msrp://[::1]x:80/s;tcp",
	} {
		if u, err := ParseURI(in); !errors.Is(err, ErrBadURI) {
			t.Errorf("ParseURI(%q) = %+v, %v; want ErrBadURI", in, u, err)
		}
	}
}

// RFC 4975 §6.1, rule by rule.
func TestURIEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"msrp://h.example.com:1/s;tcp", "MSRP://h.example.com:1/s;tcp", true},           // 1: scheme case-insensitive
		{"msrp://h.example.com:1/s;tcp", "msrps://h.example.com:1/s;tcp", false},         // 1: scheme must match
		{"msrp://H.Example.COM:1/s;tcp", "msrp://h.example.com:1/s;tcp", true},           // 2: host case-insensitive
		{"msrp://h%2Eexample.com:1/s;tcp", "msrp://h.example.com:1/s;tcp", true},         // 2: percent-decoding of unreserved
		{"msrp://%68.example.com:1/s;tcp", "msrp://H.example.com:1/s;tcp", true},         // 2: decoded, then case-insensitive
		{"msrp://a%2fb:1/s;tcp", "msrp://a%2Fb:1/s;tcp", true},                           // 2: reserved escapes stay, hex case-insensitive
		{"msrp://alice@h.example.com:1/s;tcp", "msrp://bob@h.example.com:1/s;tcp", true}, // 2: userinfo ignored
		{"msrp://[2001:db8::1]:1/s;tcp", "msrp://[2001:DB8:0::1]:1/s;tcp", true},         // 2: IP address equivalence
		{"msrp://[::ffff:192.0.2.1]:1/s;tcp", "msrp://192.0.2.1:1/s;tcp", true},          // 2: IPv4-mapped
		{"msrp://%31.2.3.4:1/s;tcp", "msrp://1.2.3.4:1/s;tcp", true},                     // 2: decoded into an address
		{"msrp://192.0.2.1:1/s;tcp", "msrp://192.0.2.2:1/s;tcp", false},
		{"msrp://h.example.com:1/s;tcp", "msrp://h.example.com:2/s;tcp", false},     // 3: port
		{"msrp://h.example.com/s;tcp", "msrp://h.example.com:2855/s;tcp", false},    // 3: explicit vs none
		{"msrp://h.example.com:1/abc;tcp", "msrp://h.example.com:1/ABC;tcp", false}, // 4: session-id case-sensitive
		{"msrp://h.example.com:1;tcp", "msrp://h.example.com:1/s;tcp", false},       // 4: with vs without
		{"msrp://h.example.com:1/s;tcp", "msrp://h.example.com:1/s;TCP", true},      // 5: transport case-insensitive
		{"msrp://h.example.com:1/s;tcp", "msrp://h.example.com:1/s;sctp", false},    // 5: transport must match
		{"msrp://h.example.com:1/s;tcp;x=1", "msrp://h.example.com:1/s;tcp", true},  // other parameters ignored
	}
	for _, tt := range tests {
		a, b := mustURI(t, tt.a), mustURI(t, tt.b)
		if got := a.Equal(b); got != tt.want {
			t.Errorf("%s == %s: %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := b.Equal(a); got != tt.want {
			t.Errorf("%s == %s (reversed): %v", tt.b, tt.a, got)
		}
		if got := a.Key() == b.Key(); got != tt.want {
			t.Errorf("Key(%s) = %q, Key(%s) = %q: equal %v, want %v", tt.a, a.Key(), tt.b, b.Key(), got, tt.want)
		}
	}
}

func TestParsePath(t *testing.T) {
	in := "msrps://a.example.org:9000/kjfjan;tcp  msrps://b.example.net:9000/aeiug;tcp\tmsrps://bob.example.net:8145/foo;tcp "
	p, err := ParsePath(in)
	if err != nil || len(p) != 3 || p[2].SessionID != "foo" {
		t.Fatalf("ParsePath: %v %v", p, err)
	}
	if s := p.String(); s != "msrps://a.example.org:9000/kjfjan;tcp msrps://b.example.net:9000/aeiug;tcp msrps://bob.example.net:8145/foo;tcp" {
		t.Fatalf("String: %q", s)
	}
	c := p.Clone()
	c[0].Host = "x"
	if p[0].Host == "x" || !p.Equal(p.Clone()) || p.Equal(c) {
		t.Fatal("Clone shares or Equal is wrong")
	}
	for _, bad := range []string{"", "  ", "msrp://a:1/s;tcp bogus"} {
		if _, err := ParsePath(bad); !errors.Is(err, ErrBadURI) {
			t.Errorf("ParsePath(%q): %v", bad, err)
		}
	}
}

func TestNewIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tid, mid, sid := NewTransactionID(), NewMessageID(), NewSessionID()
		if !validIdent(tid, 32) || len(tid) != 16 || !validIdent(mid, 32) || !validSessionID(sid) || len(sid) != 20 {
			t.Fatalf("bad ids %q %q %q", tid, mid, sid)
		}
		if seen[tid] || seen[mid] {
			t.Fatal("repeated id")
		}
		seen[tid], seen[mid] = true, true
	}
}
