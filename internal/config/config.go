package config

import "time"

// XMPP modes (xmpp.mode).
const (
	// ModeS2S makes sxgw an XMPP server of its own, federating over s2s
	// (RFC 6120 §2.5).
	ModeS2S = "s2s"
	// ModeComponent connects sxgw to an existing XMPP server as an external
	// component (XEP-0114).
	ModeComponent = "component"
)

// SIP transports accepted in sip.listen and in an outbound proxy's
// transport parameter.
const (
	TransportUDP = "udp"
	TransportTCP = "tcp"
	TransportTLS = "tls"
	TransportWS  = "ws" // RFC 7118
)

// MSRP over TLS policies (msrp.tls).
const (
	// MSRPTLSOff: MSRP over plain TCP only; offers of TCP/TLS/MSRP are
	// refused with 488.
	MSRPTLSOff = "off"
	// MSRPTLSPrefer: a TLS listener too (msrp.tls_listen); TLS offers get
	// TLS answers, plain ones plain answers, and chats sxgw opens offer
	// TLS first, plain TCP when the callee refuses it.
	MSRPTLSPrefer = "prefer"
	// MSRPTLSRequire: like prefer, but plain TCP offers are refused with
	// 488 and chats sxgw opens offer TLS only.
	MSRPTLSRequire = "require"
)

// Log levels (log.level) and formats (log.format).
const (
	LevelDebug = "debug"
	LevelInfo  = "info"
	LevelWarn  = "warn"
	LevelError = "error"

	FormatText = "text"
	FormatJSON = "json"
)

// Config is the whole configuration file. Its field tags are the file's keys.
type Config struct {
	Gateway    Gateway    `toml:"gateway"`
	XMPP       XMPP       `toml:"xmpp"`
	SIP        SIP        `toml:"sip"`
	DNS        DNS        `toml:"dns"`
	Conference Conference `toml:"conference"`
	Store      Store      `toml:"store"`
	MSRP       MSRP       `toml:"msrp"`
	Admin      Admin      `toml:"admin"`
	Log        Log        `toml:"log"`
}

// Gateway is the [gateway] table.
type Gateway struct {
	// Domains are the domains sxgw serves (on the SIP side, the XMPP side or
	// both).
	Domains []string `toml:"domains"`
	// DataDir holds the store and generated certificates.
	DataDir string `toml:"data_dir"`
	// DrainTimeout bounds how long shutdown waits for transactions in flight.
	DrainTimeout Duration `toml:"drain_timeout"`
}

// XMPP is the [xmpp] table.
type XMPP struct {
	Mode           string    `toml:"mode"`            // ModeS2S or ModeComponent
	Listen         string    `toml:"listen"`          // s2s listener, host:port
	TLSCert        string    `toml:"tls_cert"`        // PEM file; empty: self-signed, generated into data_dir
	TLSKey         string    `toml:"tls_key"`         // PEM file; set with TLSCert or not at all
	MaxStanzaSize  int       `toml:"max_stanza_size"` // bytes, RFC 6120 §13.12
	DialbackSecret string    `toml:"dialback_secret"` // XEP-0185 key secret; empty: random, persisted
	ConnectTimeout Duration  `toml:"connect_timeout"` // per outgoing connection attempt
	IdlePing       Duration  `toml:"idle_ping"`       // XEP-0199 ping interval on idle streams; 0 disables
	QueueSize      int       `toml:"queue_size"`      // stanzas queued per remote domain while connecting
	Component      Component `toml:"component"`
}

// Component is the [xmpp.component] table, used when xmpp.mode is
// "component" (XEP-0114).
type Component struct {
	Server string `toml:"server"` // XMPP server's component port, host:port
	Domain string `toml:"domain"` // the component's JID domain
	Secret string `toml:"secret"` // shared secret (XEP-0114 §3)
}

// SIP is the [sip] table.
type SIP struct {
	// Listen entries are "transport:host:port", transport one of udp, tcp,
	// tls, ws.
	Listen []string `toml:"listen"`
	// OutboundProxy is a sip:/sips: URI or host[:port]; empty routes by DNS
	// (RFC 3263).
	OutboundProxy string `toml:"outbound_proxy"`
	// ContactHost is the host advertised in Contact header fields, where
	// peers send the requests of a dialog (RFC 3261 §8.1.1.8): a domain
	// name or an IP address. Empty: the listener's address, or for a
	// listener bound to 0.0.0.0/:: the local address facing the peer.
	ContactHost string `toml:"contact_host"`
	// TrustedPeers are CIDR prefixes or addresses whose requests are accepted
	// without authentication.
	TrustedPeers   []string `toml:"trusted_peers"`
	MaxMessageSize int      `toml:"max_message_size"` // bytes
	TLSCert        string   `toml:"tls_cert"`         // empty: use xmpp.tls_cert
	TLSKey         string   `toml:"tls_key"`          // empty: use xmpp.tls_key
	RetryAfter     Duration `toml:"retry_after"`      // Retry-After of 503 responses (RFC 3261 §20.33)
	// Credentials answer digest challenges to sxgw's requests (RFC 3261
	// §22.2).
	Credentials []SIPCredential `toml:"credentials"`
}

// SIPCredential is one entry of sip.credentials; an empty realm matches
// any realm.
type SIPCredential struct {
	Realm    string `toml:"realm"`
	Username string `toml:"username"`
	Password string `toml:"password"`
}

// DNS is the [dns] table.
type DNS struct {
	Server  string   `toml:"server"`  // empty: system resolver; else host:port
	Timeout Duration `toml:"timeout"` // per query
}

// Conference is the [conference] table.
type Conference struct {
	// Domain hosts the rooms: room@Domain is both a MUC room and an MSRP
	// chat room.
	Domain string `toml:"domain"`
	// History is how many messages a room replays to newcomers
	// (XEP-0045 §7.2.15); 0 keeps none.
	History int `toml:"history"`
	// Rooms are persistent rooms by name (the localpart of the room JID).
	Rooms []string `toml:"rooms"`
}

// Store is the [store] table.
type Store struct {
	Path string `toml:"path"` // SQLite file; empty: <data_dir>/sxgw.db
}

// MSRP is the [msrp] table: the listener of MSRP chat sessions (RFC 4975,
// RFC 7573).
type MSRP struct {
	Listen string `toml:"listen"` // host:port of the MSRP listener
	// Host is the address put in MSRP URIs and SDP; empty: sip.contact_host,
	// else the listener's address when it is specific.
	Host string `toml:"host"`
	// Chats makes XMPP chat messages to SIP users open MSRP chat sessions
	// (RFC 7573); false sends them as SIP MESSAGE.
	Chats bool `toml:"chats"`
	// ChatIdle ends a chat without traffic this long: BYE to the SIP
	// user, gone to the XMPP user (RFC 7573 §6.1).
	ChatIdle Duration `toml:"chat_idle"`
	// MaxConnections bounds the MSRP connections accepted and open at
	// once; MaxConnectionsPerIP those from one address (an IPv6 /64).
	// Connections beyond are closed at once.
	MaxConnections      int `toml:"max_connections"`
	MaxConnectionsPerIP int `toml:"max_connections_per_ip"`
	// TLS is the MSRP over TLS policy (msrps, RFC 4975 §6, with
	// a=fingerprint, RFC 8122): MSRPTLSOff, MSRPTLSPrefer or
	// MSRPTLSRequire. The certificate is SIP's (sip.tls_cert, else
	// xmpp.tls_cert, else the generated one).
	TLS string `toml:"tls"`
	// TLSListen is the host:port of the MSRP over TLS listener, used
	// unless TLS is off: msrps URIs name a TLS-only port of their own.
	TLSListen string `toml:"tls_listen"`
}

// Admin is the [admin] table.
type Admin struct {
	Listen string `toml:"listen"` // /metrics, /healthz, /readyz; host:port
	Pprof  bool   `toml:"pprof"`  // also /debug/pprof/ (Go runtime profiles); default off
}

// Log is the [log] table.
type Log struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // text or json
}

// Default returns the built-in defaults. They are exactly the values of
// config.example.toml; a file only needs the keys it changes.
func Default() *Config {
	return &Config{
		Gateway: Gateway{
			Domains:      []string{"example.com"},
			DataDir:      "data",
			DrainTimeout: Duration{10 * time.Second},
		},
		XMPP: XMPP{
			Mode:           ModeS2S,
			Listen:         "0.0.0.0:5269",
			MaxStanzaSize:  262144,
			ConnectTimeout: Duration{10 * time.Second},
			IdlePing:       Duration{60 * time.Second},
			QueueSize:      1000,
			Component: Component{
				Server: "127.0.0.1:5347",
				Domain: "sip.example.org",
			},
		},
		SIP: SIP{
			Listen:         []string{"udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"},
			TrustedPeers:   []string{"127.0.0.0/8"},
			MaxMessageSize: 65535,
			RetryAfter:     Duration{30 * time.Second},
			Credentials:    []SIPCredential{},
		},
		DNS: DNS{
			Timeout: Duration{3 * time.Second},
		},
		Conference: Conference{Domain: "conference.example.com", History: 20, Rooms: []string{}},
		MSRP:       MSRP{Listen: "0.0.0.0:2855", Chats: true, ChatIdle: Duration{10 * time.Minute}, MaxConnections: 4096, MaxConnectionsPerIP: 64, TLS: MSRPTLSOff, TLSListen: "0.0.0.0:2856"},
		Admin:      Admin{Listen: "127.0.0.1:9090"},
		Log:        Log{Level: LevelInfo, Format: FormatText},
	}
}
