package testpeer

import (
	"fmt"
	"strings"
	"text/template"
)

// Prosody describes a private Prosody 0.12 server for one domain.
type Prosody struct {
	Dir       string // config, data, pid file and certificates live here
	Domain    string
	C2SPort   int
	S2SPort   int
	Cert, Key string // PEM files
	LogFile   string
	// LogLevel is Prosody's minimum log level: "debug" in tests, "warn"
	// under load (Prosody logs every stanza at debug).
	LogLevel string
}

// prosodyTemplate notes:
//   - "dialback" is not autoloaded and is how a peer with an untrusted
//     certificate authenticates (s2s_secure_auth = false, XEP-0220);
//     s2s_require_encryption still makes every s2s stream use STARTTLS.
//   - libunbound answers NXDOMAIN for *.test on its own (RFC 6761 §6.2)
//     unless the zone is made transparent; hoststxt = false keeps
//     /etc/hosts out of the way; resolvconf (Dir/resolv.conf) names the
//     test DNS server, which must listen on port 53.
//   - run_as_root: the tests run as root and Prosody would otherwise refuse.
func prosodyTemplate() *template.Template {
	return template.Must(template.New("prosody.cfg.lua").Parse(`-- generated for sxgw tests
pidfile = "{{.Dir}}/prosody.pid"
data_path = "{{.Dir}}/data"
log = { { levels = { min = "{{.LogLevel}}" }, to = "file", filename = "{{.LogFile}}" } }
run_as_root = true
daemonize = false
use_ipv6 = false
interfaces = { "127.0.0.1" }
c2s_ports = { {{.C2SPort}} }
s2s_ports = { {{.S2SPort}} }
c2s_direct_tls_ports = {}
s2s_direct_tls_ports = {}
legacy_ssl_ports = {}
component_ports = {}
component_interface = "127.0.0.1"
http_ports = {}
https_ports = {}
modules_enabled = { "roster", "saslauth", "tls", "dialback", "disco", "ping" }
authentication = "internal_hashed"
storage = "internal"
c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = false
s2s_timeout = 10
certificates = "{{.Dir}}/certs"
ssl = { certificate = "{{.Cert}}"; key = "{{.Key}}" }
unbound = {
	resolvconf = "{{.Dir}}/resolv.conf";
	hoststxt = false;
	options = { ["local-zone:"] = "test. transparent" };
}

VirtualHost "{{.Domain}}"
	ssl = { certificate = "{{.Cert}}"; key = "{{.Key}}" }
`))
}

// Config renders the prosody.cfg.lua of p.
func (p Prosody) Config() ([]byte, error) {
	if p.LogLevel == "" {
		p.LogLevel = "debug"
	}
	var b strings.Builder
	if err := prosodyTemplate().Execute(&b, p); err != nil {
		return nil, fmt.Errorf("testpeer: prosody config: %w", err)
	}
	return []byte(b.String()), nil
}
