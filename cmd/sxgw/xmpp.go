package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/sxgw/sxgw/internal/config"
	"github.com/sxgw/sxgw/xmpp"
)

// metaDialbackSecret is the store key of the generated dialback secret.
const metaDialbackSecret = "xmpp.dialback_secret"

// startXMPP starts the XMPP side: the s2s listener and dialer, or the
// XEP-0114 component connection, reporting readiness as the "xmpp" check.
func startXMPP(ctx context.Context, a *app) error {
	c := a.cfg.XMPP
	o := xmpp.Options{
		Listen:         c.Listen,
		MaxStanzaSize:  c.MaxStanzaSize,
		ConnectTimeout: c.ConnectTimeout.Duration,
		PingInterval:   c.IdlePing.Duration,
		QueueSize:      c.QueueSize,
		Version:        a.version,
		Resolver:       a.resolver,
		Registerer:     a.reg,
		Logger:         a.log.With("component", "xmpp"),
		Handler:        xmpp.NewInboundHandler(a.core),
		// What SIP users offer as Jingle endpoints: calls (XEP-0166,
		// XEP-0167 audio and video, ICE-UDP, RAW-UDP, DTLS-SRTP), the
		// SDP offer/answer model behind them, and XEP-0353 ringing.
		UserFeatures: []string{
			"urn:xmpp:jingle:1", "urn:xmpp:jingle:apps:rtp:1", "urn:xmpp:jingle:apps:rtp:audio",
			"urn:xmpp:jingle:apps:rtp:video", "urn:xmpp:jingle:transports:ice-udp:1",
			"urn:xmpp:jingle:transports:raw-udp:1", "urn:xmpp:jingle:apps:dtls:0", "urn:ietf:rfc:3264",
			"urn:xmpp:jingle-message:0",
		},
	}
	if o.PingInterval == 0 {
		o.PingInterval = -1 // idle_ping = 0 disables pings
	}
	if c.Mode == config.ModeComponent {
		return startComponent(ctx, a, o)
	}
	secret, err := dialbackSecret(ctx, a)
	if err != nil {
		return err
	}
	o.Domains = a.cfg.Domains()
	// The rooms' MUC face (XEP-0045): peers reach conference.domain here.
	o.RoomDomains = []string{a.cfg.ConferenceDomain()}
	o.DialbackSecret = secret
	o.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*a.xmppCert}, MinVersion: tls.VersionTLS12}
	var s *xmpp.S2S
	o.LinkState = func(remote, state string) {
		a.log.Debug("s2s outbound link", "remote", remote, "state", state)
		a.health.Info("xmpp s2s out", summarizePeers(s.Peers()))
	}
	s, err = xmpp.NewS2S(o)
	if err != nil {
		return fmt.Errorf("xmpp: %w", err)
	}
	if err := s.Start(ctx); err != nil {
		return err
	}
	a.core.Attach(s, a.sip)
	a.onClose("xmpp", s.Close)
	if err := a.core.Resume(ctx); err != nil {
		return fmt.Errorf("resuming subscriptions: %w", err)
	}
	a.health.SetReady("xmpp", true, "s2s listening on "+s.Addr().String())
	return nil
}

// startComponent connects to the XMPP server as an XEP-0114 component;
// the "xmpp" check is ok while the component stream is up.
func startComponent(ctx context.Context, a *app, o xmpp.Options) error {
	cc := a.cfg.XMPP.Component
	o.Domains = []string{a.cfg.ComponentDomain()}
	o.LinkState = func(server, state string) {
		a.health.SetReady("xmpp", state == "established", "component "+cc.Domain+" at "+server+": "+state)
	}
	comp, err := xmpp.NewComponent(o, cc.Server, cc.Secret)
	if err != nil {
		return fmt.Errorf("xmpp: %w", err)
	}
	a.health.SetReady("xmpp", false, "component "+cc.Domain+" connecting to "+cc.Server)
	if err := comp.Start(ctx); err != nil {
		return err
	}
	a.core.Attach(comp, a.sip)
	a.onClose("xmpp", comp.Close)
	if err := a.core.Resume(ctx); err != nil {
		return fmt.Errorf("resuming subscriptions: %w", err)
	}
	return nil
}

// dialbackSecret returns the configured XEP-0185 secret, or one generated
// once and kept in the store so keys stay valid across restarts.
func dialbackSecret(ctx context.Context, a *app) (string, error) {
	if s := a.cfg.XMPP.DialbackSecret; s != "" {
		return s, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, ok, err := a.store.Meta(ctx, metaDialbackSecret)
	if err != nil {
		return "", fmt.Errorf("xmpp: read dialback secret: %w", err)
	}
	if ok && len(s) >= 32 {
		return s, nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("xmpp: generate dialback secret: %w", err)
	}
	s = hex.EncodeToString(b[:])
	if err := a.store.SetMeta(ctx, metaDialbackSecret, s); err != nil {
		return "", fmt.Errorf("xmpp: store dialback secret: %w", err)
	}
	return s, nil
}

// summarizePeers renders the outbound links for /readyz.
func summarizePeers(peers []xmpp.PeerStatus) string {
	counts := map[string]int{}
	for _, p := range peers {
		counts[p.State]++
	}
	return fmt.Sprintf("%d established, %d negotiating, %d backoff, %d idle",
		counts["established"], counts["negotiating"], counts["backoff"], counts["idle"])
}

// componentDomain is the component domain in component mode, else "".
func componentDomain(c *config.Config) string {
	if c.XMPP.Mode == config.ModeComponent {
		return c.ComponentDomain()
	}
	return ""
}
