package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sxgw/sxgw/gateway"
	"github.com/sxgw/sxgw/internal/certs"
	"github.com/sxgw/sxgw/internal/config"
	"github.com/sxgw/sxgw/internal/dnsres"
	"github.com/sxgw/sxgw/internal/store"
	"github.com/sxgw/sxgw/sip"
	"github.com/sxgw/sxgw/sip/msrp"
)

// closeTimeout bounds the final close of everything after draining.
const closeTimeout = 10 * time.Second

// app holds the running pieces, in start order.
type app struct {
	cfg     *config.Config
	log     *slog.Logger
	version string

	reg      *prometheus.Registry
	health   *gateway.Health
	admin    *gateway.Admin
	store    *store.SQLite
	resolver *dnsres.Resolver
	xmppCert *tls.Certificate // nil when the XMPP side needs none
	sipCert  *tls.Certificate // nil when there is no SIP TLS
	sip      *sip.Endpoint
	core     *gateway.Gateway

	closers []closer // closed in reverse order
}

// closer is one shutdown step.
type closer struct {
	name string
	fn   func(ctx context.Context) error
}

// onClose registers fn to run at shutdown, before everything registered
// earlier.
func (a *app) onClose(name string, fn func(ctx context.Context) error) {
	a.closers = append(a.closers, closer{name, fn})
}

// serve runs the gateway until ctx ends or a signal arrives, then drains and
// closes it. It returns the exit status.
func serve(ctx context.Context, cfg *config.Config, stderr io.Writer) int {
	log := newLogger(cfg, stderr)
	for _, w := range cfg.Warnings() {
		log.Warn("configuration: " + w)
	}
	sig := watchSignals(ctx, log)
	defer sig.stop()

	build := gateway.ReadBuildInfo()
	a := &app{cfg: cfg, log: log, version: build.Version, health: &gateway.Health{}}
	var startErr error
	if !untilForced(sig.force, func() { startErr = a.start(sig.ctx) }) {
		return exitFailure
	}
	if startErr != nil {
		stopping := sig.ctx.Err() != nil
		if !stopping {
			log.Error("startup failed", "err", startErr)
		}
		if !a.close(sig.force) || !stopping {
			return exitFailure
		}
		return exitOK
	}
	log.Info("sxgw started", "version", build.Version, "revision", build.Revision, "domains", cfg.Domains())

	<-sig.ctx.Done()
	return a.shutdown(sig.force)
}

// start brings the pieces up in dependency order; the admin server comes
// first so that /healthz answers and /readyz explains what is still starting.
func (a *app) start(ctx context.Context) error {
	a.health.SetReady("store", false, "starting")
	a.health.SetReady("sip", false, "starting")
	a.health.SetReady("xmpp", false, "starting")
	a.reg = gateway.NewRegistry(a.version)

	if err := os.MkdirAll(a.cfg.Gateway.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}

	a.admin = gateway.NewAdmin(a.cfg.Admin.Listen, a.reg, a.health, a.log)
	if a.cfg.Admin.Pprof {
		a.admin.EnableProfiling()
	}
	if _, err := a.admin.Start(ctx); err != nil {
		return err
	}
	a.onClose("admin", a.admin.Shutdown)

	st, err := store.Open(ctx, a.cfg.StorePath())
	if err != nil {
		a.health.SetReady("store", false, err.Error())
		return err
	}
	a.store = st
	a.onClose("store", func(context.Context) error { return st.Close() })
	a.health.SetReady("store", true, a.cfg.StorePath())

	a.resolver, err = dnsres.New(dnsres.Options{
		Server:     a.cfg.DNS.Server,
		Timeout:    a.cfg.DNS.Timeout.Duration,
		Registerer: a.reg,
		Logger:     a.log,
	})
	if err != nil {
		return err
	}

	if err := a.loadCerts(); err != nil {
		return err
	}

	a.core, err = gateway.New(gateway.Options{
		Domains:          a.cfg.Domains(),
		ComponentDomain:  componentDomain(a.cfg),
		ChatMSRP:         a.cfg.MSRP.Chats,
		ChatIdle:         a.cfg.MSRP.ChatIdle.Duration,
		ConferenceDomain: a.cfg.ConferenceDomain(),
		RoomHistory:      roomHistory(a.cfg.Conference.History),
		PersistentRooms:  a.cfg.Conference.Rooms,
		RoomStore:        a.store,
		Store:            a.store,
		Registerer:       a.reg,
		Logger:           a.log.With("component", "gateway"),
	})
	if err != nil {
		return err
	}

	if err := a.startSIP(ctx); err != nil {
		a.health.SetReady("sip", false, err.Error())
		return err
	}

	// The XMPP side starts last: once it is up, peers can send traffic that
	// needs the SIP side.
	if err := startXMPP(ctx, a); err != nil {
		a.health.SetReady("xmpp", false, err.Error())
		return fmt.Errorf("xmpp: %w", err)
	}
	// Registered last, so closed first: queued work still reaches both
	// sides.
	a.onClose("gateway", func(context.Context) error { a.core.Close(); return nil })
	return nil
}

// loadCerts loads (or generates) the certificates the configuration needs:
// one for s2s in s2s mode, one for SIP when it has a tls listener or a
// configured certificate. Generated certificates are shared by both sides
// and cover every served domain and the conference domain.
func (a *app) loadCerts() error {
	names := append(a.cfg.Domains(), a.cfg.ConferenceDomain())
	if a.cfg.XMPP.Mode == config.ModeS2S {
		c, err := a.loadCert(a.cfg.XMPP.TLSCert, a.cfg.XMPP.TLSKey, names)
		if err != nil {
			return fmt.Errorf("xmpp certificate: %w", err)
		}
		a.xmppCert = c
	}
	needSIP := a.cfg.SIP.TLSCert != ""
	for _, l := range a.cfg.SIPListeners() {
		needSIP = needSIP || l.Transport == config.TransportTLS
	}
	// MSRP over TLS presents the SIP certificate (its fingerprint goes in
	// the SDP, RFC 8122).
	needSIP = needSIP || a.cfg.MSRP.TLS != config.MSRPTLSOff
	if !needSIP {
		return nil
	}
	certFile, keyFile := a.cfg.SIPCertFiles()
	if a.xmppCert != nil && certFile == a.cfg.XMPP.TLSCert && keyFile == a.cfg.XMPP.TLSKey {
		a.sipCert = a.xmppCert
		return nil
	}
	c, err := a.loadCert(certFile, keyFile, names)
	if err != nil {
		return fmt.Errorf("sip certificate: %w", err)
	}
	a.sipCert = c
	return nil
}

// loadCert loads the configured pair, or the self-signed one kept in
// data_dir (generating it when needed), and says so when self-signed.
func (a *app) loadCert(certFile, keyFile string, names []string) (*tls.Certificate, error) {
	dataDir := a.cfg.Gateway.DataDir
	c, generated, err := certs.LoadOrGenerate(certFile, keyFile, dataDir, names)
	if err != nil {
		return nil, err
	}
	if certFile == "" {
		msg := "using self-signed certificate"
		if generated {
			msg = "generated self-signed certificate"
		}
		// Peers that verify certificates will refuse it; Server Dialback
		// still works.
		a.log.Warn(msg, "data_dir", dataDir, "names", names, "expires", c.Leaf.NotAfter)
		a.health.Info("certificate", fmt.Sprintf("self-signed, in %s, expires %s", dataDir, c.Leaf.NotAfter.UTC().Format(time.RFC3339)))
	}
	return &c, nil
}

// startSIP builds and starts the SIP endpoint.
func (a *app) startSIP(ctx context.Context) error {
	var tlsConfig *tls.Config
	if a.sipCert != nil {
		tlsConfig = &tls.Config{
			Certificates: []tls.Certificate{*a.sipCert},
			MinVersion:   tls.VersionTLS12,
		}
	}
	proxy := ""
	if p, ok := a.cfg.OutboundProxy(); ok {
		proxy = p.String()
	}
	ep, err := sip.New(sip.Options{
		Listen:  a.cfg.SIP.Listen,
		Domains: a.cfg.Domains(),
		// Rooms are SIP chat rooms too (RFC 7701): sip:room@conference-domain.
		ConferenceDomain: a.cfg.ConferenceDomain(),
		OutboundProxy:    proxy,
		TrustedPeers:     a.cfg.TrustedPrefixes(),
		TLSConfig:        tlsConfig,
		UserAgent:        "sxgw/" + a.version,
		MaxMessageSize:   a.cfg.SIP.MaxMessageSize,
		ContactHost:      a.cfg.SIP.ContactHost,
		RetryAfter:       a.cfg.SIP.RetryAfter.Duration,
		Credentials:      sipCredentials(a.cfg.SIP.Credentials),
		Resolver:         a.resolver,
		Registerer:       a.reg,
		Logger:           a.log,
	})
	if err != nil {
		return err
	}
	ep.ServeMessages(a.core, a.cfg.SIP.MaxMessageSize)
	// RFC 3856 presence, RFC 8048 interworking.
	// presence (RFC 3856) both ways; conference (RFC 4575): the rooms'
	// participant lists.
	ep.ServeSubscriptions(a.core, []string{"presence", "conference"}, []string{"application/pidf+xml", "application/conference-info+xml"})
	// RFC 7573 chats over MSRP (RFC 4975); other INVITEs go to the core.
	host := msrpHost(a.cfg, a.log)
	me, err := msrp.NewEndpoint(msrp.EndpointOptions{
		Listen: a.cfg.MSRP.Listen,
		Host:   host,
		// RFC 7573 §8: no larger than the XMPP side takes.
		MaxMessage:          int64(a.cfg.XMPP.MaxStanzaSize),
		ConnectTimeout:      30 * time.Second,
		MaxConnections:      a.cfg.MSRP.MaxConnections,
		MaxConnectionsPerIP: a.cfg.MSRP.MaxConnectionsPerIP,
		// msrp.tls: msrps (RFC 4975 §6) on a listener of its own, with
		// SIP's certificate (else XMPP's), checked by fingerprint.
		TLSListen:      a.cfg.MSRPTLSListen(),
		TLSCertificate: cmp.Or(a.sipCert, a.xmppCert),
		RequireTLS:     a.cfg.MSRP.TLS == config.MSRPTLSRequire,
		Registerer:     a.reg,
		Logger:         a.log.With("component", "msrp"),
	})
	if err != nil {
		return err
	}
	if err := me.Start(ctx); err != nil {
		return err
	}
	a.onClose("msrp", me.Close)
	ep.ServeChats(a.core, me, host)
	if err := ep.Start(ctx); err != nil {
		_ = ep.Close()
		return err
	}
	a.sip = ep
	a.onClose("sip", func(context.Context) error { return ep.Close() })
	addrs := make([]string, 0, len(ep.Addrs()))
	for _, l := range ep.Addrs() {
		addrs = append(addrs, l.Transport+" "+l.Addr.String())
	}
	a.health.SetReady("sip", true, strings.Join(addrs, ", "))
	return nil
}

// shutdown drains until nothing is in flight or gateway.drain_timeout
// passes, then closes everything. A second signal (force) ends it at once
// with exit status 1.
func (a *app) shutdown(force <-chan struct{}) int {
	a.health.SetReady("draining", false, "shutting down")
	a.sip.Drain()
	drain := a.cfg.Gateway.DrainTimeout.Duration
	a.log.Info("draining", "timeout", drain.String())
	deadline := time.NewTimer(drain)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	// A short grace period lets requests already on the wire arrive.
	grace := time.Now().Add(min(drain, 200*time.Millisecond))
wait:
	for {
		select {
		case <-deadline.C:
			break wait
		case <-force:
			return exitFailure
		case now := <-tick.C:
			if now.After(grace) && a.sip.Idle() && a.core.Idle() {
				break wait
			}
		}
	}
	if !a.close(force) {
		return exitFailure
	}
	a.log.Info("sxgw stopped")
	return exitOK
}

// close runs the registered closers in reverse order, bounded by
// closeTimeout. It returns false when forced or when a closer failed.
func (a *app) close(force <-chan struct{}) bool {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	var errs []error
	finished := untilForced(force, func() {
		for i := len(a.closers) - 1; i >= 0; i-- {
			c := a.closers[i]
			if err := c.fn(ctx); err != nil {
				a.log.Error("close failed", "component", c.name, "err", err)
				errs = append(errs, err)
			}
		}
	})
	return finished && errors.Join(errs...) == nil
}

// sipCredentials converts sip.credentials.
func sipCredentials(in []config.SIPCredential) []sip.Credential {
	out := make([]sip.Credential, 0, len(in))
	for _, c := range in {
		out = append(out, sip.Credential{Realm: c.Realm, Username: c.Username, Password: c.Password})
	}
	return out
}

// roomHistory maps conference.history (0: none) to the gateway's option
// (0: the default, negative: none).
func roomHistory(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// msrpHost is the address put in MSRP URIs and SDP: msrp.host, else
// sip.contact_host, else the listener's own address, else the address
// that reaches the outside (logged, as peers elsewhere may not reach it).
func msrpHost(c *config.Config, log *slog.Logger) string {
	if c.MSRP.Host != "" {
		return c.MSRP.Host
	}
	if c.SIP.ContactHost != "" {
		return c.SIP.ContactHost
	}
	if h, _, err := net.SplitHostPort(c.MSRP.Listen); err == nil {
		if ip := net.ParseIP(h); ip != nil && !ip.IsUnspecified() {
			return h
		}
	}
	host := "127.0.0.1"
	if conn, err := net.Dial("udp", "192.0.2.1:9"); err == nil {
		if a, ok := conn.LocalAddr().(*net.UDPAddr); ok {
			host = a.IP.String()
		}
		_ = conn.Close()
	}
	log.Warn("msrp.host not set: using the outgoing interface address in MSRP URIs", "host", host)
	return host
}
