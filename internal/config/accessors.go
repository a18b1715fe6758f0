package config

import (
	"log/slog"
	"net/netip"
	"path/filepath"
	"strings"
)

// The accessors below return parsed forms of values. They are meant to be
// called after Validate returned nil; entries that do not parse are skipped.

// Domains returns gateway.domains in lower case.
func (c *Config) Domains() []string {
	out := make([]string, len(c.Gateway.Domains))
	for i, d := range c.Gateway.Domains {
		out[i] = strings.ToLower(d)
	}
	return out
}

// ConferenceDomain returns conference.domain in lower case.
func (c *Config) ConferenceDomain() string { return strings.ToLower(c.Conference.Domain) }

// ComponentDomain returns xmpp.component.domain in lower case.
func (c *Config) ComponentDomain() string { return strings.ToLower(c.XMPP.Component.Domain) }

// TrustedPrefixes returns sip.trusted_peers as prefixes; a single address
// becomes a /32 or /128.
func (c *Config) TrustedPrefixes() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(c.SIP.TrustedPeers))
	for _, s := range c.SIP.TrustedPeers {
		if p, err := ParsePrefix(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// SIPListeners returns the parsed sip.listen entries, in order.
func (c *Config) SIPListeners() []SIPListener {
	out := make([]SIPListener, 0, len(c.SIP.Listen))
	for _, s := range c.SIP.Listen {
		if l, err := ParseSIPListener(s); err == nil {
			out = append(out, l)
		}
	}
	return out
}

// OutboundProxy returns the parsed sip.outbound_proxy; ok is false when none
// is configured (route by DNS, RFC 3263).
func (c *Config) OutboundProxy() (p Proxy, ok bool) {
	if c.SIP.OutboundProxy == "" {
		return Proxy{}, false
	}
	p, err := ParseProxy(c.SIP.OutboundProxy)
	return p, err == nil
}

// StorePath returns store.path, or <data_dir>/sxgw.db when it is empty.
func (c *Config) StorePath() string {
	if c.Store.Path != "" {
		return c.Store.Path
	}
	return filepath.Join(c.Gateway.DataDir, "sxgw.db")
}

// SIPCertFiles returns the certificate and key files for SIP over TLS:
// sip.tls_cert/tls_key, else xmpp.tls_cert/tls_key. Both empty means a
// self-signed certificate generated into data_dir.
func (c *Config) SIPCertFiles() (cert, key string) {
	if c.SIP.TLSCert != "" {
		return c.SIP.TLSCert, c.SIP.TLSKey
	}
	return c.XMPP.TLSCert, c.XMPP.TLSKey
}

// MSRPTLSListen returns msrp.tls_listen, or "" when msrp.tls is off (no
// MSRP over TLS).
func (c *Config) MSRPTLSListen() string {
	if c.MSRP.TLS == MSRPTLSOff {
		return ""
	}
	return c.MSRP.TLSListen
}

// LogLevel returns log.level as a slog.Level (info for an unknown value).
func (c *Config) LogLevel() slog.Level {
	switch c.Log.Level {
	case LevelDebug:
		return slog.LevelDebug
	case LevelWarn:
		return slog.LevelWarn
	case LevelError:
		return slog.LevelError
	}
	return slog.LevelInfo
}
