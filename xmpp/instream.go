package xmpp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// maxPendingVerifies bounds concurrent dialback verifications per stream,
// maxVerificationsDefault those of all streams together.
const (
	maxPendingVerifies      = 8
	maxVerificationsDefault = 512
)

// maxSASLAttempts is how many failed SASL attempts a stream may make: the
// first and two retries (RFC 6120 §6.4.5 asks for 2 to 5 retries).
const maxSASLAttempts = 3

// negotiationTimeout bounds the time a peer may take to authenticate;
// idleTimeout how long an authenticated stream may stay silent.
const (
	negotiationTimeout = 60 * time.Second
	idleTimeout        = 15 * time.Minute
)

// inStream is a stream a remote server opened to us: we are the receiving
// entity (RFC 6120 §4.2). It carries stanzas from the domains it has
// authenticated, by SASL EXTERNAL (XEP-0178) or Server Dialback (XEP-0220).
type inStream struct {
	s  *S2S
	c  *xconn
	id string

	// local is the domain the peer addressed in its stream header.
	local string
	// peer is the domain the peer named in its 'from', if any.
	peer string

	// saslFailures counts failed SASL attempts (serve goroutine only).
	saslFailures int

	mu        sync.Mutex
	authed    map[string]bool // authenticated remote domains
	verifying int
	state     string
	ended     bool
}

// setState moves the stream between the states the streams gauge counts;
// "" means ended, after which a late dialback success changes nothing.
func (st *inStream) setState(state string) {
	m := st.s.m.streams
	st.mu.Lock()
	if st.ended {
		st.mu.Unlock()
		return
	}
	old := st.state
	st.state = state
	st.ended = state == ""
	st.mu.Unlock()
	if old != "" {
		m.WithLabelValues("in", old).Dec()
	}
	if state != "" {
		m.WithLabelValues("in", state).Inc()
	}
}

func (st *inStream) isAuthed(domain string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.authed[strings.ToLower(domain)]
}

func (st *inStream) anyAuthed() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.authed) > 0
}

// authenticate accepts stanzas from domain, of up to the full stanza size.
func (st *inStream) authenticate(domain string) {
	st.c.r.setLimit(st.s.o.MaxStanzaSize)
	st.mu.Lock()
	st.authed[strings.ToLower(domain)] = true
	st.mu.Unlock()
	st.setState("established")
}

// serve runs the stream until it ends. The dialback verifications the
// stream asked for end with it.
func (st *inStream) serve(ctx context.Context) {
	st.setState("negotiating")
	defer st.setState("")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err := st.run(ctx)
	var se *StreamError
	switch {
	case errors.Is(err, io.EOF):
		st.c.close(nil)
	case errors.As(err, &se) && !se.Received:
		st.s.m.streamErrors.WithLabelValues("sent", conditionLabel(se.Condition)).Inc()
		st.s.log.Info("s2s inbound stream error", "peer", st.peer, "condition", se.Condition, "text", se.Text)
		st.c.close(se)
	case errors.As(err, &se):
		st.s.m.streamErrors.WithLabelValues("received", conditionLabel(se.Condition)).Inc()
		st.s.log.Info("s2s inbound stream error received", "peer", st.peer, "condition", se.Condition)
		st.c.close(nil)
	default:
		st.s.log.Debug("s2s inbound stream ended", "peer", st.peer, "err", err)
		st.c.abort()
	}
}

// run negotiates and then reads stanzas. Each loop iteration is one
// stream (the first, after STARTTLS, after SASL: RFC 6120 §4.3.3).
func (st *inStream) run(ctx context.Context) error {
	st.c.extendRead(negotiationTimeout)
	saslDone := false
	for restarts := 0; restarts < 3; restarts++ {
		if err := st.openStream(); err != nil {
			return err
		}
		if err := st.sendFeatures(saslDone); err != nil {
			return err
		}
		next, err := st.readLoop(ctx)
		if err != nil {
			return err
		}
		switch next {
		case restartTLS:
			cfg := st.s.o.TLSConfig.Clone()
			cfg.ClientAuth = tls.RequestClientCert
			if err := st.c.startTLS(ctx, cfg, true); err != nil {
				st.s.m.tlsFailures.WithLabelValues("in").Inc()
				st.s.log.Info("s2s inbound TLS handshake failed", "peer", st.peer, "err", err)
				return err
			}
		case restartSASL:
			saslDone = true
			st.c.r.restart()
		}
	}
	return streamErr(CondPolicyViolation, "too many stream restarts")
}

type restartKind int

const (
	restartTLS restartKind = iota + 1
	restartSASL
)

// openStream reads the peer's header and answers with ours (RFC 6120 §4.7).
func (st *inStream) openStream() error {
	h, err := st.c.r.header()
	if err != nil {
		if se, ok := err.(*StreamError); ok {
			// We must open our stream before sending the error (§4.9.1.2).
			_ = st.c.header("", "", newStreamID(), false)
			return se
		}
		return err
	}
	to := headerAttr(h, "to")
	from := headerAttr(h, "from")
	st.id = newStreamID()
	if err := st.c.header(to, from, st.id, true); err != nil {
		return err
	}
	if ns := headerAttr(h, "xmlns"); ns != nsServer {
		return streamErr(CondInvalidNamespace, "content namespace must be jabber:server")
	}
	if v := headerAttr(h, "version"); v != "" && !strings.HasPrefix(v, "1.") {
		return streamErr(CondUnsupportedVersion, "")
	}
	if !st.s.rt.serves(to) {
		return streamErr(CondHostUnknown, "")
	}
	if st.local != "" && !strings.EqualFold(st.local, to) {
		return streamErr(CondHostUnknown, "'to' changed on stream restart")
	}
	st.local = strings.ToLower(to)
	st.peer = strings.ToLower(from)
	return nil
}

// sendFeatures offers STARTTLS (required) before TLS, then SASL EXTERNAL
// when the peer's certificate authenticates its domain, and dialback with
// error support (XEP-0220 §2.4).
func (st *inStream) sendFeatures(saslDone bool) error {
	f := NewElement(nsStream, "features")
	switch {
	case !st.c.tls:
		f.Add(NewElement(nsTLS, "starttls").Add(NewElement(nsTLS, "required")))
	case !saslDone:
		if st.peer != "" && st.peerCertValid(st.peer) == nil {
			f.Add(NewElement(nsSASL, "mechanisms").Add(NewElement(nsSASL, "mechanism").AddText("EXTERNAL")))
		}
		f.Add(NewElement(nsDBFeature, "dialback").Add(NewElement(nsDBFeature, "errors")))
	}
	return st.c.send(f)
}

// peerCertValid checks the peer's TLS certificate for domain (XEP-0178 §3,
// RFC 6125 DNS-ID).
func (st *inStream) peerCertValid(domain string) error {
	cs, ok := st.c.tlsState()
	if !ok || len(cs.PeerCertificates) == 0 {
		return errors.New("xmpp: no peer certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		DNSName: domain, Roots: st.s.o.RootCAs, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	return err
}

// readLoop reads top-level elements until the stream must restart or ends.
func (st *inStream) readLoop(ctx context.Context) (restartKind, error) {
	for {
		if st.anyAuthed() {
			st.c.extendRead(idleTimeout)
		}
		el, err := st.c.r.next()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return 0, streamErr(CondConnectionTimeout, "")
			}
			return 0, err
		}
		switch el.Name.Space {
		case nsTLS:
			if el.Name.Local != "starttls" || st.c.tls {
				return 0, streamErr(CondPolicyViolation, "unexpected TLS negotiation")
			}
			if err := st.c.send(NewElement(nsTLS, "proceed")); err != nil {
				return 0, err
			}
			return restartTLS, nil
		case nsSASL:
			ok, err := st.sasl(el)
			if err != nil || ok {
				return restartSASL, err
			}
		case nsDialback:
			if err := st.dialback(ctx, el); err != nil {
				return 0, err
			}
		case nsServer:
			if err := st.stanza(ctx, el); err != nil {
				return 0, err
			}
		case nsStream:
			if el.Name.Local == "error" {
				return 0, parseStreamError(el)
			}
			return 0, streamErr(CondUnsupportedStanzaType, el.Name.Local)
		default:
			return 0, streamErr(CondUnsupportedStanzaType, el.Name.Local)
		}
	}
}

// sasl handles <auth mechanism='EXTERNAL'/> (XEP-0178 §3 steps 5–8). It
// returns true after <success/>, when the stream restarts.
func (st *inStream) sasl(el *Element) (bool, error) {
	fail := func(cond string) (bool, error) {
		st.s.m.external.WithLabelValues("receiving", "failure").Inc()
		st.saslFailures++
		return false, st.c.send(NewElement(nsSASL, "failure").Add(NewElement(nsSASL, cond)))
	}
	if el.Name.Local != "auth" || !st.c.tls || st.anyAuthed() {
		return false, streamErr(CondPolicyViolation, "unexpected SASL negotiation")
	}
	if st.saslFailures >= maxSASLAttempts {
		// RFC 6120 §6.4.5: retries exceeded.
		return false, streamErr(CondPolicyViolation, "too many SASL attempts")
	}
	if el.Get("mechanism") != "EXTERNAL" {
		return fail("invalid-mechanism")
	}
	// The authorization identity is the peer's domain, or "=" / empty
	// meaning the one in the stream header (RFC 6120 §6.4.6).
	authz := strings.TrimSpace(el.Text())
	domain := st.peer
	if authz != "" && authz != "=" {
		raw, err := base64.StdEncoding.DecodeString(authz)
		if err != nil {
			return fail("incorrect-encoding")
		}
		domain = strings.ToLower(string(raw))
	}
	if domain == "" || (st.peer != "" && domain != st.peer) {
		return fail("invalid-authzid")
	}
	if err := st.peerCertValid(domain); err != nil {
		st.s.log.Info("SASL EXTERNAL refused", "peer", domain, "err", err)
		return fail("not-authorized")
	}
	if err := st.c.send(NewElement(nsSASL, "success")); err != nil {
		return false, err
	}
	st.s.m.external.WithLabelValues("receiving", "success").Inc()
	st.authenticate(domain)
	st.s.log.Info("s2s inbound authenticated", "peer", domain, "method", "EXTERNAL")
	return true, nil
}

// stanza checks the addressing of an inbound stanza and routes it.
// RFC 6120 §4.9.3.9 invalid-from, §4.9.3.6 host-unknown, §8.1.1.1.
func (st *inStream) stanza(ctx context.Context, el *Element) error {
	switch el.Name.Local {
	case "message", "presence", "iq":
	default:
		return streamErr(CondUnsupportedStanzaType, el.Name.Local)
	}
	if !st.anyAuthed() {
		return streamErr(CondNotAuthorized, "stanza before authentication")
	}
	from, to := el.Get("from"), el.Get("to")
	if from == "" || to == "" {
		return streamErr(CondImproperAddressing, "s2s stanzas need from and to")
	}
	if !st.isAuthed(domainOf(from)) {
		return streamErr(CondInvalidFrom, "from domain not authenticated on this stream")
	}
	if !st.s.rt.serves(domainOf(to)) {
		return streamErr(CondHostUnknown, "to domain not served here")
	}
	st.s.rt.route(ctx, el)
	return nil
}

// domainOf returns the domainpart of a JID string without full parsing.
func domainOf(j string) string {
	if i := strings.IndexByte(j, '/'); i >= 0 {
		j = j[:i]
	}
	if i := strings.LastIndexByte(j, '@'); i >= 0 {
		j = j[i+1:]
	}
	return strings.TrimSuffix(j, ".")
}
