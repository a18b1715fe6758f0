package xmpp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Resolver is what the XMPP side needs from DNS (internal/dnsres satisfies
// it). Not-found answers are (nil, nil); only failures are errors. SRV
// records come ordered per RFC 2782; a lone "." target means the service is
// not offered.
type Resolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) ([]*net.SRV, error)
	LookupIPAddr(ctx context.Context, host string) ([]netip.Addr, error)
}

// Options configure the s2s endpoint.
type Options struct {
	// Domains are the XMPP domains we serve.
	Domains []string
	// RoomDomains are MUC service domains the core hosts rooms on
	// (conference.example.com, XEP-0045). They are served like Domains
	// (dialback, from and to checks, stanzas to the Handler), except that
	// disco and muc#admin/muc#owner IQs to them go to the core's
	// RoomInbound instead of being answered here; ping and version on
	// the bare domain still are. In component mode the XMPP server must
	// route them over the component connection too (a component serving
	// several hosts).
	RoomDomains []string
	// Listen is the s2s listener address ("0.0.0.0:5269").
	Listen string
	// TLSConfig holds our certificate, used when we accept STARTTLS and
	// presented as client certificate when we initiate.
	TLSConfig *tls.Config
	// RootCAs verifies peer certificates for SASL EXTERNAL (XEP-0178);
	// nil means the system roots.
	RootCAs *x509.CertPool
	// DialbackSecret keys dialback (XEP-0185); it must be stable across
	// restarts and secret.
	DialbackSecret string
	// MaxStanzaSize bounds one inbound stanza in bytes (RFC 6120 §13.12).
	MaxStanzaSize int
	// ConnectTimeout bounds one outbound connection attempt, negotiation
	// included, and one dialback verification.
	ConnectTimeout time.Duration
	// PingInterval is how long an outbound stream may stay silent before
	// we check it with an XEP-0199 ping; negative disables pings.
	PingInterval time.Duration
	// QueueSize bounds the stanzas waiting per remote domain.
	QueueSize int
	// Features are extra disco#info features the gateway implements.
	Features []string
	// UserFeatures, when not empty, are the disco#info features answered
	// for the users of Domains (user@domain, with or without a resource):
	// what a call to them supports, e.g. the Jingle namespaces (XEP-0166
	// §11). When empty, disco to users goes to the Handler.
	UserFeatures []string
	// Version is reported by jabber:iq:version (XEP-0092).
	Version  string
	Resolver Resolver
	// Dialer opens TCP connections; nil means a net.Dialer.
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)
	// Handler receives authenticated stanzas for served domains that the
	// xmpp package does not answer itself; nil answers them with
	// service-unavailable. A returned error goes back as a stanza error.
	Handler Handler
	// LinkState, if set, is told when the outbound stream to a remote
	// domain changes state (for health reporting).
	LinkState  func(remote, state string)
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Handler is what the XMPP side needs from the core: it receives one
// authenticated inbound stanza addressed to a served domain. A returned
// *StanzaError (or any error) is sent back to the stanza's sender.
type Handler interface {
	XMPPStanza(ctx context.Context, st *Element) error
}

// checkDomains refuses empty, repeated or overlapping served domains.
func (o *Options) checkDomains() error {
	seen := make(map[string]bool, len(o.Domains)+len(o.RoomDomains))
	for _, d := range slices.Concat(o.Domains, o.RoomDomains) {
		k := strings.ToLower(d)
		if k == "" || strings.ContainsAny(k, "@/") {
			return fmt.Errorf("xmpp: bad served domain %q: %w", d, ErrConfig)
		}
		if seen[k] {
			return fmt.Errorf("xmpp: domain %q listed twice: %w", d, ErrConfig)
		}
		seen[k] = true
	}
	return nil
}

func (o *Options) defaults() {
	if o.MaxStanzaSize <= 0 {
		o.MaxStanzaSize = 256 << 10
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.PingInterval == 0 {
		o.PingInterval = 60 * time.Second
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	if o.Dialer == nil {
		d := &net.Dialer{KeepAlive: 30 * time.Second}
		o.Dialer = d.DialContext
	}
}
