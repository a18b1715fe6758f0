package config

import (
	"errors"
	"log/slog"
	"net/netip"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// splitJoined returns the errors joined in err (errors.Join), or err itself.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func errorLines(err error) []string {
	var out []string
	for _, e := range splitJoined(err) {
		out = append(out, e.Error())
	}
	return out
}

func TestLoadValid(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, c *Config)
	}{
		{"empty.toml", func(t *testing.T, c *Config) {
			if !reflect.DeepEqual(c, Default()) {
				t.Errorf("empty file: got %+v, want the defaults", c)
			}
		}},
		{"minimal.toml", func(t *testing.T, c *Config) {
			want := Default()
			want.Gateway.Domains = []string{"sip.test"}
			want.Conference.Domain = "conference.sip.test"
			if !reflect.DeepEqual(c, want) {
				t.Errorf("got %+v, want %+v", c, want)
			}
			if got := c.StorePath(); got != filepath.Join("data", "sxgw.db") {
				t.Errorf("StorePath = %q", got)
			}
			if p, ok := c.OutboundProxy(); ok {
				t.Errorf("OutboundProxy = %v, true; want none", p)
			}
		}},
		{"good.toml", func(t *testing.T, c *Config) {
			if got, want := c.Domains(), []string{"sip.test", "xmpp.test"}; !reflect.DeepEqual(got, want) {
				t.Errorf("Domains = %q, want %q", got, want)
			}
			if c.XMPP.Mode != ModeComponent || c.XMPP.Component.Secret != "s3cret" || c.ComponentDomain() != "gw.xmpp.test" {
				t.Errorf("xmpp = %+v", c.XMPP)
			}
			if c.Gateway.DrainTimeout.Duration != 0 || c.XMPP.ConnectTimeout.Duration != 2*time.Second ||
				c.XMPP.IdlePing.Duration != 0 || c.SIP.RetryAfter.Duration != time.Minute ||
				c.DNS.Timeout.Duration != 500*time.Millisecond {
				t.Errorf("durations: %v %v %v %v %v", c.Gateway.DrainTimeout, c.XMPP.ConnectTimeout,
					c.XMPP.IdlePing, c.SIP.RetryAfter, c.DNS.Timeout)
			}
			wantL := []SIPListener{
				{TransportUDP, "127.0.0.1:0"}, {TransportTCP, "[::1]:5060"},
				{TransportTLS, "0.0.0.0:5061"}, {TransportWS, "[fe80::1%eth0]:8080"},
			}
			if got := c.SIPListeners(); !reflect.DeepEqual(got, wantL) {
				t.Errorf("SIPListeners = %v, want %v", got, wantL)
			}
			wantP := []netip.Prefix{
				netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
				netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("::1/128"),
			}
			if got := c.TrustedPrefixes(); !reflect.DeepEqual(got, wantP) {
				t.Errorf("TrustedPrefixes = %v, want %v", got, wantP)
			}
			p, ok := c.OutboundProxy()
			if want := (Proxy{Scheme: "sips", Host: "2001:db8::1", Port: 5061, Transport: TransportTLS}); !ok || p != want {
				t.Errorf("OutboundProxy = %+v, %v; want %+v", p, ok, want)
			}
			if c.SIP.ContactHost != "[2001:db8::2]" {
				t.Errorf("ContactHost = %q", c.SIP.ContactHost)
			}
			if cert, key := c.SIPCertFiles(); cert != "/etc/sxgw/sip.pem" || key != "/etc/sxgw/sip.key" {
				t.Errorf("SIPCertFiles = %q, %q", cert, key)
			}
			if got := c.StorePath(); got != "/var/lib/sxgw/state.db" {
				t.Errorf("StorePath = %q", got)
			}
			if c.LogLevel() != slog.LevelDebug || c.Log.Format != FormatJSON {
				t.Errorf("log = %+v", c.Log)
			}
			if c.ConferenceDomain() != "rooms.xmpp.test" {
				t.Errorf("ConferenceDomain = %q", c.ConferenceDomain())
			}
			if want := (MSRP{Listen: "127.0.0.1:0", Chats: true, ChatIdle: Duration{90 * time.Second},
				MaxConnections: 100, MaxConnectionsPerIP: 100, TLS: MSRPTLSRequire, TLSListen: "[::1]:2856"}); c.MSRP != want {
				t.Errorf("msrp = %+v, want %+v", c.MSRP, want)
			}
			if got := c.MSRPTLSListen(); got != "[::1]:2856" {
				t.Errorf("MSRPTLSListen = %q", got)
			}
			if w := c.Warnings(); len(w) != 0 {
				t.Errorf("Warnings = %q, want none", w)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, err := Load(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		file     string
		sentinel error
		want     []string
	}{
		{"unknown_keys.toml", ErrUnknownKey, []string{
			`config: testdata/unknown_keys.toml:3: unknown key "gateway.data-dir"`,
			`config: testdata/unknown_keys.toml:6: unknown key "xmpp.listn"`,
			`config: testdata/unknown_keys.toml:10: unknown key "xmpp.component.port"`,
			`config: testdata/unknown_keys.toml:12: unknown key "sip.tls"`,
			`config: testdata/unknown_keys.toml:15: unknown key "metrics"`,
		}},
		{"bad_syntax.toml", ErrSyntax, []string{
			`config: cannot decode: testdata/bad_syntax.toml:2:22: array is incomplete`,
		}},
		{"bad_type.toml", ErrSyntax, []string{
			`config: cannot decode: testdata/bad_type.toml:2:14: xmpp.queue_size: cannot decode TOML string into struct field config.XMPP.QueueSize of type int`,
		}},
		{"bad_duration.toml", ErrSyntax, []string{
			`config: cannot decode: testdata/bad_duration.toml:3:11: dns.timeout: invalid duration "3 seconds": want a number with a unit, e.g. "10s" or "1m30s"`,
		}},
		{"bad_duration_int.toml", ErrSyntax, []string{
			`config: cannot decode: testdata/bad_duration_int.toml: invalid duration "10": want a number with a unit, e.g. "10s" or "1m30s"`,
		}},
		{"missing.toml", nil, []string{
			`config: open testdata/missing.toml: no such file or directory`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, err := Load(filepath.Join("testdata", tt.file))
			if err == nil {
				t.Fatalf("Load = %+v, want an error", c)
			}
			if c != nil {
				t.Errorf("Load returned a config with the error")
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.sentinel)
			}
			if got := errorLines(err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestUnknownKeyLines(t *testing.T) {
	doc := "# comment\n\n[admin]\nlisten = \"127.0.0.1:1\"\nlsten = \"x\"\n\n\n[log]\nfmt = \"json\"\n"
	_, err := Parse("inline.toml", []byte(doc))
	var got []UnknownKeyError
	for _, e := range splitJoined(err) {
		var uk *UnknownKeyError
		if !errors.As(e, &uk) {
			t.Fatalf("error %v is not an UnknownKeyError", e)
		}
		got = append(got, *uk)
	}
	want := []UnknownKeyError{
		{File: "inline.toml", Line: 5, Key: "admin.lsten"},
		{File: "inline.toml", Line: 9, Key: "log.fmt"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"bad_domains.toml", []string{
			`gateway.domains[1]: "SIP.test" repeats gateway.domains[0]`,
			`gateway.domains[2]: is empty`,
			`gateway.domains[3]: "bad_name.test" contains '_': only letters, digits, hyphens and dots are allowed`,
			`gateway.domains[4]: "-x.test" has a label that starts or ends with a hyphen`,
			`gateway.domains[5]: "127.0.0.1" is an IP address, want a domain name`,
			`gateway.domains[6]: "trailing.test." must not end with a dot`,
			`gateway.domains[8]: "bücher.test" is not ASCII: write it in A-label (xn--) form`,
			`gateway.domains[9]: "a..b" has an empty label`,
			`gateway.domains[10]: "host.123" has an all-numeric top-level label`,
			`conference.domain: "sip.test" is also gateway.domains[0]: rooms need a domain of their own`,
		}},
		{"bad_empty.toml", []string{
			`gateway.domains: at least one domain is required`,
			`gateway.data_dir: is required`,
			`xmpp.listen: is required`,
			`sip.listen: at least one listener is required`,
			`conference.domain: is required`,
			`admin.listen: is required`,
		}},
		{"bad_listen.toml", []string{
			`xmpp.listen: "0.0.0.0" is not host:port`,
			`sip.listen[1]: unknown transport "sctp" (want udp, tcp, tls or ws)`,
			`sip.listen[2]: want transport:host:port, got "0.0.0.0:5060"`,
			`sip.listen[3]: "0.0.0.0:65536": port "65536" is not a number in 0..65535`,
			`sip.listen[4]: "0.0.0.0:sip": port "sip" is not a number in 0..65535`,
			`sip.listen[5]: "udp:0.0.0.0:5060" repeats sip.listen[0]`,
			`sip.listen[6]: "bad_host:80": host "bad_host" contains '_': only letters, digits, hyphens and dots are allowed`,
			`sip.listen[7]: "::5060": an IPv6 address must be in brackets, e.g. "[::1]:5060"`,
			`sip.listen[8]: "localhost:5060": host must be an IP address, e.g. 0.0.0.0 or [::]`,
			`dns.server: "127.0.0.1:0": port 0 is not in 1..65535`,
			`admin.listen: "localhost:-1": port "-1" is not a number in 0..65535`,
		}},
		{"bad_sip.toml", []string{
			`sip.credentials[1]: realm "pbx.test" repeats sip.credentials[0]`,
			`sip.credentials[2]: username and password are required`,
			`sip.tls_key: is required when sip.tls_cert is set`,
			`sip.outbound_proxy: "sip:alice@proxy.test": want sip:host[:port] with no user part or headers`,
			`sip.contact_host: "gw.test:5060": want a host without a port`,
			`sip.trusted_peers[0]: "10.0.0.1/8" has host bits set (did you mean "10.0.0.0/8"?)`,
			`sip.trusted_peers[1]: "not-an-ip" is not an address or CIDR prefix`,
			`sip.trusted_peers[2]: "::1/129" is not an address or CIDR prefix`,
			`sip.trusted_peers[3]: "fe80::1%eth0": zones are not allowed`,
			`sip.max_message_size: must be between 1500 and 65535, got 100`,
			`sip.retry_after: must be a positive whole number of seconds, got 1.5s`,
		}},
		{"bad_component.toml", []string{
			`xmpp.component.server: is required`,
			`xmpp.component.secret: is required`,
			`xmpp.tls_cert: is required when xmpp.tls_key is set`,
			`conference.domain: "conference.example.com" is also xmpp.component.domain: rooms need a domain of their own`,
		}},
		{"bad_component2.toml", []string{
			`xmpp.component.server: "xmpp.test" is not host:port`,
			`xmpp.component.domain: "sip_gw.test" contains '_': only letters, digits, hyphens and dots are allowed`,
		}},
		{"bad_values.toml", []string{
			`gateway.drain_timeout: must not be negative, got -1s`,
			`xmpp.mode: unknown mode "c2s" (want "s2s" or "component")`,
			`xmpp.max_stanza_size: must be between 10000 and 16777216, got 9999`,
			`xmpp.dialback_secret: must be at least 16 characters (or empty for a generated one)`,
			`xmpp.connect_timeout: must be greater than 0, got 0s`,
			`xmpp.idle_ping: must not be negative, got -5s`,
			`xmpp.queue_size: must be between 1 and 1000000, got 0`,
			`dns.server: ":53" has no host`,
			`dns.timeout: must be greater than 0, got 0s`,
			`conference.history: must be between 0 and 1000, got 5000`,
			`conference.rooms[1]: "" is not a room name (the localpart of a JID)`,
			`conference.rooms[2]: "a@b" is not a room name (the localpart of a JID)`,
			`conference.rooms[3]: "x/y" is not a room name (the localpart of a JID)`,
			`log.level: unknown level "verbose" (want debug, info, warn or error)`,
			`log.format: unknown format "xml" (want text or json)`,
		}},
		{"bad_msrp.toml", []string{
			`msrp.chat_idle: must be greater than 0, got 0s`,
			`msrp.max_connections: must be between 1 and 1000000, got 0`,
			`msrp.max_connections_per_ip: must be between 1 and 1, got 65`,
			`msrp.tls: unknown policy "maybe" (want "off", "prefer" or "require")`,
		}},
		{"bad_msrp2.toml", []string{
			`msrp.chat_idle: must be greater than 0, got -1m0s`,
			`msrp.max_connections: must be between 1 and 1000000, got 1000001`,
			`msrp.max_connections_per_ip: must be between 1 and 1000000, got -1`,
			`msrp.tls_listen: "[::]:2855" is also msrp.listen: TLS needs a port of its own`,
		}},
		{"bad_msrp3.toml", []string{
			`msrp.tls_listen: is required`,
		}},
		{"bad_msrp4.toml", []string{
			`msrp.tls_listen: "nowhere" is not host:port`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, err := Load(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			err = c.Validate()
			if err == nil {
				t.Fatal("Validate = nil, want errors")
			}
			if got := errorLines(err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for _, e := range splitJoined(err) {
				var fe *FieldError
				if !errors.As(e, &fe) || !errors.Is(e, ErrInvalid) {
					t.Errorf("%v: not a FieldError wrapping ErrInvalid", e)
				}
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("Error() = %q, want %q", got, want)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	c := Default()
	c.Gateway.Domains = []string{"sip.test", "chat.EXAMPLE.org", "example"}
	c.SIP.TrustedPeers = []string{"10.0.0.0/8", "::/0"}
	want := []string{
		`gateway.domains[1]: "chat.EXAMPLE.org" is reserved for documentation (RFC 2606): nobody can reach it`,
		`gateway.domains[2]: "example" is reserved for documentation (RFC 2606): nobody can reach it`,
		`sip.trusted_peers[1]: "::/0" trusts every address: any host can send SIP requests as any user`,
	}
	if got := c.Warnings(); !reflect.DeepEqual(got, want) {
		t.Errorf("Warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDefaultIsFresh(t *testing.T) {
	a := Default()
	a.Gateway.Domains[0] = "changed.test"
	a.SIP.Listen[0] = "tcp:1.2.3.4:5"
	if b := Default(); b.Gateway.Domains[0] != "example.com" || b.SIP.Listen[0] != "udp:0.0.0.0:5060" {
		t.Errorf("Default shares slices between calls: %v %v", b.Gateway.Domains, b.SIP.Listen)
	}
}

func TestLogLevel(t *testing.T) {
	for level, want := range map[string]slog.Level{
		"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
	} {
		c := Default()
		c.Log.Level = level
		if got := c.LogLevel(); got != want {
			t.Errorf("LogLevel(%q) = %v, want %v", level, got, want)
		}
	}
}

func TestSIPCertFallback(t *testing.T) {
	c := Default()
	c.XMPP.TLSCert, c.XMPP.TLSKey = "x.pem", "x.key"
	if cert, key := c.SIPCertFiles(); cert != "x.pem" || key != "x.key" {
		t.Errorf("SIPCertFiles = %q, %q; want the xmpp pair", cert, key)
	}
}

// TestMSRPTLS: msrp.tls defaults to off with no TLS listener, and
// tls_listen must not take msrp.listen's port (RFC 4975 §6: msrps URIs
// name a TLS-only port).
func TestMSRPTLS(t *testing.T) {
	c := Default()
	if c.MSRP.TLS != MSRPTLSOff || c.MSRPTLSListen() != "" {
		t.Errorf("default msrp.tls %q, MSRPTLSListen %q", c.MSRP.TLS, c.MSRPTLSListen())
	}
	for _, policy := range []string{MSRPTLSPrefer, MSRPTLSRequire} {
		c.MSRP.TLS = policy
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", policy, err)
		}
		if got := c.MSRPTLSListen(); got != "0.0.0.0:2856" {
			t.Errorf("%s: MSRPTLSListen = %q", policy, got)
		}
	}
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"0.0.0.0:2855", "0.0.0.0:2855", true},
		{"0.0.0.0:2855", "192.0.2.1:2855", true},
		{"[::]:2855", "192.0.2.1:2855", true},
		{":2855", "[2001:db8::1]:2855", true},
		{"[2001:db8::1]:2855", "[2001:DB8:0::1]:2855", true},
		{"Gw.Example:2855", "gw.example:2855", true},
		{"0.0.0.0:2855", "0.0.0.0:2856", false},
		{"192.0.2.1:2855", "192.0.2.2:2855", false},
		{"127.0.0.1:0", "127.0.0.1:0", false}, // each picks a free port
		{"nowhere", "0.0.0.0:2855", false},
	} {
		if got := sameAddress(tc.a, tc.b); got != tc.same {
			t.Errorf("sameAddress(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
