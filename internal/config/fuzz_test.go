package config

import (
	"testing"

	"github.com/sxgw/sxgw"
)

func FuzzParse(f *testing.F) {
	f.Add(sxgw.ExampleConfig())
	f.Add([]byte("[sip]\nlisten = [\"udp:[::1]:0\"]\noutbound_proxy = \"sips:[::1]:5061;lr\"\n"))
	f.Add([]byte("[xmpp]\nconnect_timeout = 10\n"))
	f.Add([]byte("[gateway]\ndomains = [\"a..b\", \"x\"]\nbogus = 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.toml", data)
		if err != nil {
			if c != nil {
				t.Fatal("Parse returned a config with an error")
			}
			return
		}
		if c.Validate() == nil {
			// A valid config's accessors see every entry.
			if len(c.SIPListeners()) != len(c.SIP.Listen) || len(c.TrustedPrefixes()) != len(c.SIP.TrustedPeers) {
				t.Fatalf("accessors dropped entries of a valid config: %+v", c.SIP)
			}
			if _, ok := c.OutboundProxy(); ok != (c.SIP.OutboundProxy != "") {
				t.Fatalf("OutboundProxy ok=%v for %q", ok, c.SIP.OutboundProxy)
			}
		}
		_ = c.Warnings()
	})
}

func FuzzParseProxy(f *testing.F) {
	for _, s := range []string{"proxy.test", "sip:proxy.test:5060;lr", "sips:[::1];transport=tls", "[::1]:", "sip:a@b", "x:1:2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseProxy(s)
		if err != nil {
			return
		}
		again, err := ParseProxy(p.String())
		if err != nil || again != p {
			t.Fatalf("ParseProxy(%q) = %+v; its String %q parses to %+v, %v", s, p, p.String(), again, err)
		}
	})
}

func FuzzParseSIPListener(f *testing.F) {
	for _, s := range []string{"udp:0.0.0.0:5060", "tls:[::]:5061", "ws:[::1]:80", "sctp:x:1", "udp:::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseSIPListener(s)
		if err != nil {
			return
		}
		if l.String() != s {
			t.Fatalf("ParseSIPListener(%q).String() = %q", s, l.String())
		}
	})
}

func FuzzParsePrefix(f *testing.F) {
	for _, s := range []string{"127.0.0.0/8", "::1", "10.0.0.1/8", "fe80::1%eth0", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePrefix(s)
		if err != nil {
			return
		}
		if !p.IsValid() || p.Masked() != p {
			t.Fatalf("ParsePrefix(%q) = %v, not a valid masked prefix", s, p)
		}
	})
}
