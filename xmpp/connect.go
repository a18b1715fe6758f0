package xmpp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// target is one place a remote domain's s2s service may be reached.
type target struct {
	host      string
	port      uint16
	directTLS bool // XEP-0368: TLS from the first byte
}

// targets finds where domain's s2s service is (RFC 6120 §3.2.1, XEP-0368
// §3): _xmpps-server and _xmpp-server SRV records merged by priority
// (direct TLS first on a tie), or the domain itself on port 5269 when
// there are no records (§3.2.2). A lone "." target means no service.
func (s *S2S) targets(ctx context.Context, domain string) ([]target, error) {
	tlsRecs, err1 := s.o.Resolver.LookupSRV(ctx, "xmpps-server", "tcp", domain)
	plainRecs, err2 := s.o.Resolver.LookupSRV(ctx, "xmpp-server", "tcp", domain)
	if err1 != nil && err2 != nil {
		return nil, fmt.Errorf("xmpp: srv lookup for %s: %w", domain, err2)
	}
	if isDot(tlsRecs) && isDot(plainRecs) {
		return nil, fmt.Errorf("xmpp: %s has no s2s service (SRV \".\"): %w", domain, ErrNoTarget)
	}
	var out []target
	i, j := 0, 0
	for i < len(tlsRecs) || j < len(plainRecs) {
		if j >= len(plainRecs) || (i < len(tlsRecs) && tlsRecs[i].Priority <= plainRecs[j].Priority) {
			if r := tlsRecs[i]; r.Target != "." {
				out = append(out, target{host: strings.TrimSuffix(r.Target, "."), port: r.Port, directTLS: true})
			}
			i++
			continue
		}
		if r := plainRecs[j]; r.Target != "." {
			out = append(out, target{host: strings.TrimSuffix(r.Target, "."), port: r.Port})
		}
		j++
	}
	if len(out) == 0 && len(tlsRecs) == 0 && len(plainRecs) == 0 {
		out = append(out, target{host: domain, port: 5269})
	}
	return out, nil
}

func isDot(recs []*net.SRV) bool {
	return len(recs) == 1 && (recs[0].Target == "." || recs[0].Target == "")
}

// connectError classifies a failed attempt for metrics and bounces.
type connectError struct {
	reason string // dns, dial, tls, auth, timeout, protocol
	err    error
}

func (e *connectError) Error() string { return "xmpp: connect (" + e.reason + "): " + e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

func failure(reason string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		reason = "timeout"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		reason = "timeout"
	}
	return &connectError{reason: reason, err: err}
}

// openStream connects to remote's s2s service and brings a stream from
// local up to the point after TLS: it returns the connection, the stream
// features offered on the encrypted stream and the stream id.
func (s *S2S) openStream(ctx context.Context, local, remote string) (*xconn, *Element, string, error) {
	ts, err := s.targets(ctx, remote)
	if err != nil {
		return nil, nil, "", failure("dns", err)
	}
	var last error = failure("dns", fmt.Errorf("%s: %w", remote, ErrNoTarget))
	for _, t := range ts {
		addrs, err := s.o.Resolver.LookupIPAddr(ctx, t.host)
		if err != nil {
			last = failure("dns", err)
			continue
		}
		for _, a := range addrs {
			if ctx.Err() != nil {
				return nil, nil, "", failure("timeout", ctx.Err())
			}
			c, feats, id, err := s.tryAddr(ctx, local, remote, t, a)
			if err == nil {
				return c, feats, id, nil
			}
			last = err
			s.log.Debug("s2s connect attempt failed", "remote", remote, "addr", a.String(), "err", err)
		}
	}
	return nil, nil, "", last
}

// tryAddr makes one connection attempt.
func (s *S2S) tryAddr(ctx context.Context, local, remote string, t target, a netip.Addr) (*xconn, *Element, string, error) {
	nc, err := s.o.Dialer(ctx, "tcp", net.JoinHostPort(a.String(), strconv.Itoa(int(t.port))))
	if err != nil {
		return nil, nil, "", failure("dial", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	// The negotiation limit stays for verification streams; an
	// established link raises it.
	c := newXConn(nc, nsServer, min(s.o.MaxStanzaSize, maxNegotiationElement))
	// Cancelling the attempt (shutdown, or the stream that asked for a
	// dialback verification going away) interrupts blocked reads.
	c.unwatch = context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Now()) })
	cfg := s.clientTLS(remote)
	if t.directTLS {
		cfg.NextProtos = []string{"xmpp-server"} // XEP-0368 §3
		if err := c.startTLS(ctx, cfg, false); err != nil {
			c.abort()
			s.m.tlsFailures.WithLabelValues("out").Inc()
			return nil, nil, "", failure("tls", err)
		}
	}
	for range 2 {
		id, feats, err := s.restartOut(c, local, remote)
		if err != nil {
			giveUp(ctx, c, err)
			return nil, nil, "", err
		}
		if c.tls {
			return c, feats, id, nil
		}
		if feats.Child(nsTLS, "starttls") == nil {
			c.close(streamErr(CondPolicyViolation, "TLS is required"))
			return nil, nil, "", failure("tls", ErrNoTLS)
		}
		if err := c.send(NewElement(nsTLS, "starttls")); err != nil {
			c.abort()
			return nil, nil, "", failure("dial", err)
		}
		resp, err := c.r.next()
		if err != nil || resp.Name.Local != "proceed" {
			// A <failure/> is followed by the peer's closing tag (RFC 6120
			// §5.4.2.2).
			giveUp(ctx, c, err)
			return nil, nil, "", failure("tls", fmt.Errorf("starttls refused: %w", errOr(err, ErrNoTLS)))
		}
		if err := c.startTLS(ctx, cfg, false); err != nil {
			c.abort()
			s.m.tlsFailures.WithLabelValues("out").Inc()
			return nil, nil, "", failure("tls", err)
		}
	}
	c.abort()
	return nil, nil, "", failure("protocol", errors.New("stream not encrypted after STARTTLS"))
}

// giveUp closes the stream of a failed attempt (RFC 6120 §4.4), or just
// the connection once the attempt's time is up or it was cancelled.
func giveUp(ctx context.Context, c *xconn, err error) {
	if ctx.Err() != nil {
		c.abort()
		return
	}
	c.closeFor(err)
}

func errOr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// restartOut sends our header and reads the peer's header and features
// (RFC 6120 §4.3.2). A peer without version 1.0 sends no features.
func (s *S2S) restartOut(c *xconn, local, remote string) (string, *Element, error) {
	if err := c.header(local, remote, "", true); err != nil {
		return "", nil, failure("dial", err)
	}
	h, err := c.r.header()
	if err != nil {
		return "", nil, failure("protocol", err)
	}
	if headerAttr(h, "xmlns") != nsServer {
		return "", nil, failure("protocol", streamErr(CondInvalidNamespace, "peer stream is not jabber:server"))
	}
	id := headerAttr(h, "id")
	if !strings.HasPrefix(headerAttr(h, "version"), "1.") {
		return id, NewElement(nsStream, "features"), nil
	}
	feats, err := c.r.next()
	if err != nil {
		return "", nil, failure("protocol", err)
	}
	if feats.Name.Space == nsStream && feats.Name.Local == "error" {
		return "", nil, failure("protocol", parseStreamError(feats))
	}
	if feats.Name.Space != nsStream || feats.Name.Local != "features" {
		return "", nil, failure("protocol", streamErr(CondBadFormat, "expected stream features"))
	}
	return id, feats, nil
}

// clientTLS is our TLS client configuration towards remote. The peer's
// certificate is not required to verify: dialback authenticates by DNS
// (XEP-0220 §4); our own certificate is offered for SASL EXTERNAL.
func (s *S2S) clientTLS(remote string) *tls.Config {
	cfg := s.o.TLSConfig.Clone()
	cfg.ServerName = remote
	cfg.InsecureSkipVerify = true //nolint:gosec // peer identity is established by dialback or SASL EXTERNAL.
	cfg.ClientAuth = tls.NoClientCert
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

// authenticateOut authenticates local to remote on an encrypted stream:
// SASL EXTERNAL when offered (XEP-0178 §4), else Server Dialback
// (XEP-0220 §2.1.1). It returns once remote accepted us.
func (s *S2S) authenticateOut(ctx context.Context, c *xconn, feats *Element, id, local, remote string) error {
	if mechs := feats.Child(nsSASL, "mechanisms"); mechs != nil && offersExternal(mechs) {
		err := s.externalOut(c, local, remote)
		if err == nil {
			s.m.external.WithLabelValues("initiating", "success").Inc()
			return nil
		}
		s.m.external.WithLabelValues("initiating", "failure").Inc()
		var ce *connectError
		if errors.As(err, &ce) && ce.reason != "auth" {
			return err
		}
		s.log.Debug("SASL EXTERNAL refused, trying dialback", "remote", remote, "err", err)
	}
	if id == "" {
		return failure("protocol", errors.New("peer gave no stream id for dialback"))
	}
	if err := c.send(dbResult(local, remote, "", dialbackKey(s.o.DialbackSecret, remote, local, id))); err != nil {
		return failure("dial", err)
	}
	for {
		if ctx.Err() != nil {
			return failure("timeout", ctx.Err())
		}
		// A stream closed before the answer counts as a dialback error.
		el, err := c.r.next()
		if err != nil {
			return failure("auth", fmt.Errorf("%w: %w", errDialbackFailed, err))
		}
		switch {
		case el.Name.Space == nsStream && el.Name.Local == "error":
			return failure("auth", fmt.Errorf("%w: %w", errDialbackFailed, parseStreamError(el)))
		case el.Name.Space == nsDialback && el.Name.Local == "result" &&
			strings.EqualFold(el.Get("from"), remote) && strings.EqualFold(el.Get("to"), local):
			switch el.Get("type") {
			case "valid":
				s.m.dialback.WithLabelValues("initiating", "valid").Inc()
				return nil
			case "invalid":
				s.m.dialback.WithLabelValues("initiating", "invalid").Inc()
				return failure("auth", fmt.Errorf("%s: %w", remote, errDialbackInvalid))
			default:
				s.m.dialback.WithLabelValues("initiating", "error").Inc()
				cond := ErrUndefinedCondition
				if se := ParseStanzaError(el); se != nil {
					cond = se.Condition
				}
				return failure("auth", fmt.Errorf("%s answered %s: %w", remote, cond, errDialbackFailed))
			}
		}
		// Anything else before authorization is ignored (XEP-0220 §2.1.1).
	}
}

func offersExternal(mechs *Element) bool {
	for _, n := range mechs.Nodes {
		if n.El != nil && n.El.Name.Local == "mechanism" && strings.TrimSpace(n.El.Text()) == "EXTERNAL" {
			return true
		}
	}
	return false
}

// externalOut runs SASL EXTERNAL and restarts the stream (XEP-0178 §4).
func (s *S2S) externalOut(c *xconn, local, remote string) error {
	auth := NewElement(nsSASL, "auth", "mechanism", "EXTERNAL").AddText("=")
	if err := c.send(auth); err != nil {
		return failure("dial", err)
	}
	el, err := c.r.next()
	if err != nil {
		return failure("protocol", err)
	}
	if el.Name.Space != nsSASL || el.Name.Local != "success" {
		return failure("auth", fmt.Errorf("SASL EXTERNAL: %s: %w", el.Name.Local, ErrAuth))
	}
	c.r.restart()
	if _, _, err := s.restartOut(c, local, remote); err != nil {
		return err
	}
	return nil
}
