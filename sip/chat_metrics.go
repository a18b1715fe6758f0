package sip

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sxgw/sxgw/sip/msrp"
)

// Reasons of sxgw_msrp_session_setup_failures_total: a fixed set.
const (
	setupBadSDP         = "bad_sdp"          // an offer or answer whose MSRP media cannot be read or answered
	setupNoMedia        = "no_media"         // an answer to our offer without usable MSRP media
	setupRejectedByCore = "rejected_by_core" // the core refused the chat (addresses, policy)
	setupInviteFailed   = "invite_failed"    // our INVITE got no 2xx
	setupConnectTimeout = "connect_timeout"  // the MSRP connection or its binding did not come in time
	setupConnectRefused = "connect_refused"  // the peer refused the TCP connection or the binding SEND
	setupConnectFailed  = "connect_failed"   // the MSRP connection failed otherwise (TLS, lost)
	setupFingerprint    = "fingerprint"      // the peer's certificate did not match its a=fingerprint (RFC 8122 §6.1)
)

// chatMetrics are the chat layer's collectors.
type chatMetrics struct {
	setupFailures *prometheus.CounterVec // reason
}

// newChatMetrics builds the collectors and registers them with reg
// (nil: unregistered). Serving chats a second time on the same
// registry reuses the collectors already there.
func newChatMetrics(reg prometheus.Registerer) (*chatMetrics, error) {
	m := &chatMetrics{
		setupFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_msrp_session_setup_failures_total",
			Help: "MSRP chat sessions (RFC 7573, RFC 7701) that failed to set up, either direction, by reason.",
		}, []string{"reason"}),
	}
	for _, r := range []string{setupBadSDP, setupNoMedia, setupRejectedByCore, setupInviteFailed,
		setupConnectTimeout, setupConnectRefused, setupConnectFailed, setupFingerprint} {
		m.setupFailures.WithLabelValues(r)
	}
	if reg == nil {
		return m, nil
	}
	if err := reg.Register(m.setupFailures); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if c, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				m.setupFailures = c
				return m, nil
			}
		}
		return nil, fmt.Errorf("%w: metrics: %w", ErrConfig, err)
	}
	return m, nil
}

// setupFailed counts a chat that failed to set up.
func (m *chatMetrics) setupFailed(reason string) { m.setupFailures.WithLabelValues(reason).Inc() }

// connectReason classifies a failed MSRP connect (msrp.Session.Connect):
// "" for a session we closed meanwhile (a BYE, shutdown), which is no
// setup failure.
func connectReason(err error) string {
	var se *msrp.StatusError
	switch {
	case errors.Is(err, msrp.ErrSessionClosed):
		return ""
	case errors.Is(err, msrp.ErrFingerprint):
		return setupFingerprint
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return setupConnectTimeout
	case errors.As(err, &se):
		// RFC 4975 §7.1.1: the binding SEND refused (403, 481) or
		// unanswered (408, §10.4).
		if se.Code == msrp.StatusTimeout {
			return setupConnectTimeout
		}
		return setupConnectRefused
	case errors.Is(err, syscall.ECONNREFUSED):
		return setupConnectRefused
	}
	return setupConnectFailed
}
