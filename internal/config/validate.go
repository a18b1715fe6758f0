package config

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"mellium.im/xmpp/jid"
)

// Limits enforced by Validate.
const (
	// MinStanzaSize is the smallest xmpp.max_stanza_size: "A deployed
	// server's maximum stanza size MUST NOT be smaller than 10000 bytes"
	// (RFC 6120 §13.12 item 4).
	MinStanzaSize = 10000
	// MaxStanzaSize bounds xmpp.max_stanza_size to keep per-stream memory sane.
	MaxStanzaSize = 16 << 20
	// MinSIPMessageSize is the smallest sip.max_message_size: a UDP request
	// may be up to 1300 bytes before a client must switch to a congestion
	// controlled transport (RFC 3261 §18.1.1), and a little headroom is needed
	// for responses.
	MinSIPMessageSize = 1500
	// MaxSIPMessageSize is the largest sip.max_message_size: a SIP message
	// over UDP fits one datagram, and the SIP stack caps messages at 64 KiB.
	MaxSIPMessageSize = 65535
	// MaxQueueSize bounds xmpp.queue_size.
	MaxQueueSize = 1_000_000
	// MinDialbackSecret is the shortest accepted xmpp.dialback_secret.
	MinDialbackSecret = 16
	// MaxMSRPConnections bounds msrp.max_connections (and so
	// msrp.max_connections_per_ip): each connection holds a descriptor
	// and two goroutines.
	MaxMSRPConnections = 1_000_000
)

// Validate checks every value and returns nil or one error that joins a
// FieldError per problem (errors.Join), each naming its key path.
func (c *Config) Validate() error {
	v := &validator{}
	c.validateGateway(v)
	c.validateXMPP(v)
	c.validateSIP(v)
	c.validateDNS(v)
	c.validateConference(v)
	c.validateMSRP(v)
	c.validateAdmin(v)
	c.validateLog(v)
	return errors.Join(v.errs...)
}

// validator collects problems.
type validator struct{ errs []error }

func (v *validator) add(key, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) addErr(key string, err error) {
	v.errs = append(v.errs, &FieldError{Key: key, Msg: err.Error()})
}

// required reports an empty value.
func (v *validator) required(key, val string) bool {
	if val == "" {
		v.add(key, "is required")
		return false
	}
	return true
}

// positive requires d > 0.
func (v *validator) positive(key string, d Duration) {
	if d.Duration <= 0 {
		v.add(key, "must be greater than 0, got %s", d)
	}
}

// nonNegative requires d >= 0.
func (v *validator) nonNegative(key string, d Duration) {
	if d.Duration < 0 {
		v.add(key, "must not be negative, got %s", d)
	}
}

// intRange requires lo <= n <= hi.
func (v *validator) intRange(key string, n, lo, hi int) {
	if n < lo || n > hi {
		v.add(key, "must be between %d and %d, got %d", lo, hi, n)
	}
}

// pair requires cert and key to be both set or both empty.
func (v *validator) pair(prefix, cert, key string) {
	switch {
	case cert != "" && key == "":
		v.add(prefix+".tls_key", "is required when %s.tls_cert is set", prefix)
	case cert == "" && key != "":
		v.add(prefix+".tls_cert", "is required when %s.tls_key is set", prefix)
	}
}

func (c *Config) validateGateway(v *validator) {
	g := &c.Gateway
	if len(g.Domains) == 0 {
		v.add("gateway.domains", "at least one domain is required")
	}
	seen := make(map[string]int, len(g.Domains))
	for i, d := range g.Domains {
		key := index("gateway.domains", i)
		if err := checkDomain(d); err != nil {
			v.addErr(key, err)
			continue
		}
		l := strings.ToLower(d)
		if j, dup := seen[l]; dup {
			v.add(key, "%q repeats gateway.domains[%d]", d, j)
			continue
		}
		seen[l] = i
	}
	v.required("gateway.data_dir", g.DataDir)
	v.nonNegative("gateway.drain_timeout", g.DrainTimeout)
}

func (c *Config) validateXMPP(v *validator) {
	x := &c.XMPP
	switch x.Mode {
	case ModeS2S:
		if v.required("xmpp.listen", x.Listen) {
			if err := checkHostPort(x.Listen, 0); err != nil {
				v.addErr("xmpp.listen", err)
			}
		}
	case ModeComponent:
		if x.Listen != "" {
			if err := checkHostPort(x.Listen, 0); err != nil {
				v.addErr("xmpp.listen", err)
			}
		}
		if v.required("xmpp.component.server", x.Component.Server) {
			if err := checkHostPort(x.Component.Server, 1); err != nil {
				v.addErr("xmpp.component.server", err)
			}
		}
		if v.required("xmpp.component.domain", x.Component.Domain) {
			if err := checkDomain(x.Component.Domain); err != nil {
				v.addErr("xmpp.component.domain", err)
			}
		}
		v.required("xmpp.component.secret", x.Component.Secret)
	default:
		v.add("xmpp.mode", "unknown mode %q (want %q or %q)", x.Mode, ModeS2S, ModeComponent)
	}
	v.pair("xmpp", x.TLSCert, x.TLSKey)
	v.intRange("xmpp.max_stanza_size", x.MaxStanzaSize, MinStanzaSize, MaxStanzaSize)
	if x.DialbackSecret != "" && len(x.DialbackSecret) < MinDialbackSecret {
		v.add("xmpp.dialback_secret", "must be at least %d characters (or empty for a generated one)", MinDialbackSecret)
	}
	v.positive("xmpp.connect_timeout", x.ConnectTimeout)
	v.nonNegative("xmpp.idle_ping", x.IdlePing)
	v.intRange("xmpp.queue_size", x.QueueSize, 1, MaxQueueSize)
}

func (c *Config) validateSIP(v *validator) {
	s := &c.SIP
	for i, cr := range s.Credentials {
		key := fmt.Sprintf("sip.credentials[%d]", i)
		if cr.Username == "" || cr.Password == "" {
			v.add(key, "username and password are required")
		}
		for j := range i {
			if s.Credentials[j].Realm == cr.Realm {
				v.add(key, "realm %q repeats sip.credentials[%d]", cr.Realm, j)
				break
			}
		}
	}
	if len(s.Listen) == 0 {
		v.add("sip.listen", "at least one listener is required")
	}
	seen := make(map[SIPListener]int, len(s.Listen))
	for i, e := range s.Listen {
		key := index("sip.listen", i)
		l, err := ParseSIPListener(e)
		if err != nil {
			v.addErr(key, err)
			continue
		}
		if j, dup := seen[l]; dup {
			v.add(key, "%q repeats sip.listen[%d]", e, j)
			continue
		}
		seen[l] = i
	}
	// A tls listener always has a certificate: sip.tls_*, else xmpp.tls_*,
	// else one generated into data_dir. Only a half-configured pair is wrong.
	v.pair("sip", s.TLSCert, s.TLSKey)
	if s.OutboundProxy != "" {
		if _, err := ParseProxy(s.OutboundProxy); err != nil {
			v.addErr("sip.outbound_proxy", err)
		}
	}
	if s.ContactHost != "" {
		if err := checkContactHost(s.ContactHost); err != nil {
			v.addErr("sip.contact_host", err)
		}
	}
	for i, p := range s.TrustedPeers {
		if _, err := ParsePrefix(p); err != nil {
			v.addErr(index("sip.trusted_peers", i), err)
		}
	}
	v.intRange("sip.max_message_size", s.MaxMessageSize, MinSIPMessageSize, MaxSIPMessageSize)
	// RFC 3261 §20.33: Retry-After carries delta-seconds.
	if s.RetryAfter.Duration <= 0 || s.RetryAfter.Duration%time.Second != 0 {
		v.add("sip.retry_after", "must be a positive whole number of seconds, got %s", s.RetryAfter)
	}
}

func (c *Config) validateDNS(v *validator) {
	if s := c.DNS.Server; s != "" {
		if err := checkHostPort(s, 1); err != nil {
			v.addErr("dns.server", err)
		} else if host, _, _ := net.SplitHostPort(s); host == "" {
			v.add("dns.server", "%q has no host", s)
		}
	}
	v.positive("dns.timeout", c.DNS.Timeout)
}

func (c *Config) validateConference(v *validator) {
	d := c.Conference.Domain
	if !v.required("conference.domain", d) {
		return
	}
	if err := checkDomain(d); err != nil {
		v.addErr("conference.domain", err)
		return
	}
	for i, g := range c.Gateway.Domains {
		if strings.EqualFold(d, g) {
			v.add("conference.domain", "%q is also gateway.domains[%d]: rooms need a domain of their own", d, i)
			break
		}
	}
	if c.XMPP.Mode == ModeComponent && strings.EqualFold(d, c.XMPP.Component.Domain) {
		v.add("conference.domain", "%q is also xmpp.component.domain: rooms need a domain of their own", d)
	}
	v.intRange("conference.history", c.Conference.History, 0, 1000)
	for i, r := range c.Conference.Rooms {
		if _, err := jid.New(r, d, ""); err != nil || r == "" || strings.ContainsAny(r, "@/") {
			v.add(fmt.Sprintf("conference.rooms[%d]", i), "%q is not a room name (the localpart of a JID)", r)
		}
	}
}

func (c *Config) validateMSRP(v *validator) {
	if v.required("msrp.listen", c.MSRP.Listen) {
		if err := checkHostPort(c.MSRP.Listen, 0); err != nil {
			v.addErr("msrp.listen", err)
		}
	}
	v.positive("msrp.chat_idle", c.MSRP.ChatIdle)
	v.intRange("msrp.max_connections", c.MSRP.MaxConnections, 1, MaxMSRPConnections)
	v.intRange("msrp.max_connections_per_ip", c.MSRP.MaxConnectionsPerIP, 1, max(1, min(c.MSRP.MaxConnections, MaxMSRPConnections)))
	switch c.MSRP.TLS {
	case MSRPTLSOff:
		if c.MSRP.TLSListen != "" {
			if err := checkHostPort(c.MSRP.TLSListen, 0); err != nil {
				v.addErr("msrp.tls_listen", err)
			}
		}
	case MSRPTLSPrefer, MSRPTLSRequire:
		if !v.required("msrp.tls_listen", c.MSRP.TLSListen) {
			break
		}
		if err := checkHostPort(c.MSRP.TLSListen, 0); err != nil {
			v.addErr("msrp.tls_listen", err)
		} else if sameAddress(c.MSRP.Listen, c.MSRP.TLSListen) {
			// RFC 4975 §6: msrp and msrps URIs name different ports.
			v.add("msrp.tls_listen", "%q is also msrp.listen: TLS needs a port of its own", c.MSRP.TLSListen)
		}
	default:
		v.add("msrp.tls", "unknown policy %q (want %q, %q or %q)", c.MSRP.TLS, MSRPTLSOff, MSRPTLSPrefer, MSRPTLSRequire)
	}
}

// sameAddress reports whether two host:port listen addresses would bind
// the same port: equal non-zero ports on the same host, or on hosts of
// which one is unspecified (empty, 0.0.0.0, ::).
func sameAddress(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil || pa != pb || pa == "0" {
		return false
	}
	unspecified := func(h string) bool {
		ip := net.ParseIP(h)
		return h == "" || (ip != nil && ip.IsUnspecified())
	}
	if unspecified(ha) || unspecified(hb) {
		return true
	}
	ia, ib := net.ParseIP(ha), net.ParseIP(hb)
	if ia != nil && ib != nil {
		return ia.Equal(ib)
	}
	return strings.EqualFold(ha, hb)
}

func (c *Config) validateAdmin(v *validator) {
	if v.required("admin.listen", c.Admin.Listen) {
		if err := checkHostPort(c.Admin.Listen, 0); err != nil {
			v.addErr("admin.listen", err)
		}
	}
}

func (c *Config) validateLog(v *validator) {
	switch c.Log.Level {
	case LevelDebug, LevelInfo, LevelWarn, LevelError:
	default:
		v.add("log.level", "unknown level %q (want debug, info, warn or error)", c.Log.Level)
	}
	switch c.Log.Format {
	case FormatText, FormatJSON:
	default:
		v.add("log.format", "unknown format %q (want text or json)", c.Log.Format)
	}
}
