package config

import (
	"fmt"
	"strings"
)

// Warnings returns notes about valid but probably unintended values, each
// prefixed with its key path, for the operator's attention.
func (c *Config) Warnings() []string {
	var out []string
	for i, d := range c.Gateway.Domains {
		if isDocumentationDomain(d) {
			out = append(out, fmt.Sprintf("%s: %q is reserved for documentation (RFC 2606): nobody can reach it", index("gateway.domains", i), d))
		}
	}
	for i, s := range c.SIP.TrustedPeers {
		if p, err := ParsePrefix(s); err == nil && p.Bits() == 0 {
			out = append(out, fmt.Sprintf("%s: %q trusts every address: any host can send SIP requests as any user", index("sip.trusted_peers", i), s))
		}
	}
	return out
}

// isDocumentationDomain reports whether d is under a name reserved for
// examples by RFC 2606 §2 and §3.
func isDocumentationDomain(d string) bool {
	d = strings.ToLower(d)
	for _, r := range []string{"example", "example.com", "example.net", "example.org"} {
		if d == r || strings.HasSuffix(d, "."+r) {
			return true
		}
	}
	return false
}
