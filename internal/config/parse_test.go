package config

import (
	"net/netip"
	"testing"
	"time"
)

func TestParseSIPListener(t *testing.T) {
	tests := []struct {
		in      string
		want    SIPListener
		wantErr string
	}{
		{in: "udp:0.0.0.0:5060", want: SIPListener{TransportUDP, "0.0.0.0:5060"}},
		{in: "tls:[::]:5061", want: SIPListener{TransportTLS, "[::]:5061"}},
		{in: "ws:127.0.0.1:0", want: SIPListener{TransportWS, "127.0.0.1:0"}},
		{in: "ws::8080", wantErr: `":8080": host must be an IP address, e.g. 0.0.0.0 or [::]`},
		{in: "tcp:sip.test:5060", wantErr: `"sip.test:5060": host must be an IP address, e.g. 0.0.0.0 or [::]`},
		{in: "", wantErr: `want transport:host:port, got ""`},
		{in: "udp", wantErr: `want transport:host:port, got "udp"`},
		{in: "UDP:1.2.3.4:5", wantErr: `unknown transport "UDP" (want udp, tcp, tls or ws)`},
		{in: "wss:1.2.3.4:443", wantErr: `unknown transport "wss" (want udp, tcp, tls or ws)`},
		{in: "udp:1.2.3.4", wantErr: `"1.2.3.4" is not host:port`},
		{in: "udp:1.2.3.4:", wantErr: `"1.2.3.4:": port "" is not a number in 0..65535`},
		{in: "udp:1.2.3.4:+5", wantErr: `"1.2.3.4:+5": port "+5" is not a number in 0..65535`},
	}
	for _, tt := range tests {
		got, err := ParseSIPListener(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseSIPListener(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseSIPListener(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
		if got.String() != tt.in {
			t.Errorf("String() = %q, want %q", got.String(), tt.in)
		}
	}
}

func TestParsePrefix(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "127.0.0.0/8", want: "127.0.0.0/8"},
		{in: "192.0.2.1", want: "192.0.2.1/32"},
		{in: "2001:db8::1", want: "2001:db8::1/128"},
		{in: "::/0", want: "::/0"},
		{in: "192.0.2.1/24", wantErr: `"192.0.2.1/24" has host bits set (did you mean "192.0.2.0/24"?)`},
		{in: "192.0.2.0/33", wantErr: `"192.0.2.0/33" is not an address or CIDR prefix`},
		{in: "host.test", wantErr: `"host.test" is not an address or CIDR prefix`},
		{in: "", wantErr: `"" is not an address or CIDR prefix`},
	}
	for _, tt := range tests {
		got, err := ParsePrefix(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParsePrefix(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != netip.MustParsePrefix(tt.want) {
			t.Errorf("ParsePrefix(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestParseProxy(t *testing.T) {
	tests := []struct {
		in      string
		want    Proxy
		str     string
		wantErr string
	}{
		{in: "proxy.test", want: Proxy{"sip", "proxy.test", 0, ""}, str: "sip:proxy.test"},
		{in: "proxy.test:5070", want: Proxy{"sip", "proxy.test", 5070, ""}, str: "sip:proxy.test:5070"},
		{in: "192.0.2.1", want: Proxy{"sip", "192.0.2.1", 0, ""}, str: "sip:192.0.2.1"},
		{in: "[2001:db8::1]:5060", want: Proxy{"sip", "2001:db8::1", 5060, ""}, str: "sip:[2001:db8::1]:5060"},
		{in: "SIP:proxy.test;lr;transport=TCP", want: Proxy{"sip", "proxy.test", 0, "tcp"}, str: "sip:proxy.test;transport=tcp"},
		{in: "sips:proxy.test:5061", want: Proxy{"sips", "proxy.test", 5061, ""}, str: "sips:proxy.test:5061"},
		{in: "sips:[::1];transport=tls", want: Proxy{"sips", "::1", 0, "tls"}, str: "sips:[::1];transport=tls"},
		{in: "", wantErr: `"": missing host`},
		{in: "sip:", wantErr: `"sip:": missing host`},
		{in: "sip:bob@proxy.test", wantErr: `"sip:bob@proxy.test": want sip:host[:port] with no user part or headers`},
		{in: "sip:proxy.test?subject=x", wantErr: `"sip:proxy.test?subject=x": want sip:host[:port] with no user part or headers`},
		{in: "2001:db8::1", wantErr: `"2001:db8::1": an IPv6 address must be in brackets`},
		{in: "[192.0.2.1]", wantErr: `"[192.0.2.1]": "192.0.2.1" is not an IPv6 address`},
		{in: "[::1", wantErr: `"[::1": missing ] after IPv6 address`},
		{in: "[::1]x", wantErr: `"[::1]x": want [address]:port`},
		{in: "[::1]:", wantErr: `"[::1]:": want [address]:port`},
		{in: "proxy.test:", wantErr: `"proxy.test:": empty port`},
		{in: "proxy.test:0", wantErr: `"proxy.test:0": port 0 is not in 1..65535`},
		{in: "proxy.test:99999", wantErr: `"proxy.test:99999": port "99999" is not a number in 1..65535`},
		{in: "bad_host", wantErr: `"bad_host": host "bad_host" contains '_': only letters, digits, hyphens and dots are allowed`},
		{in: "sip:proxy.test;maddr=x", wantErr: `"sip:proxy.test;maddr=x": unsupported URI parameter "maddr" (want lr or transport)`},
		{in: "sip:proxy.test;lr=1", wantErr: `"sip:proxy.test;lr=1": lr takes no value`},
		{in: "sip:proxy.test;transport=sctp", wantErr: `"sip:proxy.test;transport=sctp": unknown transport "sctp" (want udp, tcp, tls or ws)`},
		{in: "sips:proxy.test;transport=udp", wantErr: `"sips:proxy.test;transport=udp": a sips URI requires TLS, not transport=udp`},
		{in: "sip:[fe80::1%eth0]", wantErr: `"sip:[fe80::1%eth0]": zones are not allowed`},
	}
	for _, tt := range tests {
		got, err := ParseProxy(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseProxy(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseProxy(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		if got.String() != tt.str {
			t.Errorf("ParseProxy(%q).String() = %q, want %q", tt.in, got.String(), tt.str)
		}
		if again, err := ParseProxy(got.String()); err != nil || again != got {
			t.Errorf("round trip of %q: %+v, %v", got.String(), again, err)
		}
	}
}

func TestCheckDomain(t *testing.T) {
	long := "a"
	for len(long) < 63 {
		long += "a"
	}
	tests := []struct {
		in      string
		wantErr string
	}{
		{in: "localhost"},
		{in: "a-b.c1.test"},
		{in: "xn--bcher-kva.test"},
		{in: long + ".test"},
		{in: long + "a.test", wantErr: `"` + long + `a.test" has a label longer than 63 characters`},
		{in: long + "." + long + "." + long + "." + long + ".test", wantErr: `"` + long + "." + long + "." + long + "." + long + `.test" is longer than 253 characters`},
		{in: "x-.test", wantErr: `"x-.test" has a label that starts or ends with a hyphen`},
		{in: ".test", wantErr: `".test" has an empty label`},
		{in: "::1", wantErr: `"::1" is an IP address, want a domain name`},
		{in: "a b.test", wantErr: `"a b.test" contains ' ': only letters, digits, hyphens and dots are allowed`},
	}
	for _, tt := range tests {
		err := checkDomain(tt.in)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("checkDomain(%q) = %v, want nil", tt.in, err)
			}
			continue
		}
		if err == nil || err.Error() != tt.wantErr {
			t.Errorf("checkDomain(%q) = %v, want %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestDuration(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("1m30s")); err != nil || d.Duration != 90*time.Second {
		t.Fatalf("UnmarshalText(1m30s) = %v, %v", d, err)
	}
	if b, err := d.MarshalText(); err != nil || string(b) != "1m30s" {
		t.Errorf("MarshalText = %q, %v", b, err)
	}
	for _, bad := range []string{"", "10", "ten seconds", "1x"} {
		if err := d.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("UnmarshalText(%q) = nil, want an error", bad)
		}
	}
	if d.Duration != 90*time.Second {
		t.Errorf("failed UnmarshalText changed the value to %v", d)
	}
}
