package msrp

import (
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are an Endpoint's Prometheus collectors. Label values come from
// fixed sets: no URI, address or session-id ever appears in them.
type metrics struct {
	sessions     prometheus.Gauge       // sessions open
	connections  prometheus.Gauge       // connections open
	messages     *prometheus.CounterVec // direction: whole messages
	bytes        *prometheus.CounterVec // direction: body octets of those messages
	reassemblies prometheus.Counter     // messages put together from several chunks
	reportFails  *prometheus.CounterVec // direction: REPORTs with a non-200 status
	rejected     *prometheus.CounterVec // code: requests refused with an error status
	connErrors   *prometheus.CounterVec // reason
	refused      *prometheus.CounterVec // reason: accepted connections closed over a limit
}

// Directions of the direction label.
const (
	dirIn  = "in"
	dirOut = "out"

	dirSent     = "sent"
	dirReceived = "received"
)

// Reasons of sxgw_msrp_connection_errors_total: a fixed set.
const (
	reasonDial        = "dial"          // an active connect failed (TCP or TLS)
	reasonHandshake   = "tls_handshake" // a TLS handshake failed, or a dialled peer's certificate is not valid for its host
	reasonFingerprint = "fingerprint"   // a TLS peer's certificate does not match the fingerprint of its SDP (RFC 8122 §5.1)
	reasonUnbound     = "unbound"       // an accepted connection bound no session in time
	reasonEOF         = "closed"        // the peer closed a connection sessions were using
	reasonRead        = "read"          // a read failed or the stream ended inside a frame
	reasonWrite       = "write"         // a write failed or timed out
	reasonDesync      = "desync"        // the stream could not be framed any more
	reasonOverflow    = "overflow"      // the peer does not read its responses
)

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sxgw_msrp_sessions",
			Help: "MSRP sessions open (created and not yet ended).",
		}),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sxgw_msrp_connections",
			Help: "MSRP transport connections open, accepted and dialled.",
		}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_msrp_messages_total",
			Help: "MSRP messages (whole SENDs with a body) received (in) and sent (out).",
		}, []string{"direction"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_msrp_message_bytes_total",
			Help: "Body octets of the MSRP messages received (in) and sent (out).",
		}, []string{"direction"}),
		reassemblies: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sxgw_msrp_reassemblies_total",
			Help: "MSRP messages received in several chunks and put back together.",
		}),
		reportFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_msrp_report_failures_total",
			Help: "MSRP REPORTs with a non-200 status, sent and received.",
		}, []string{"direction"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_msrp_rejected_requests_total",
			Help: "MSRP requests refused with an error status (400, 403, 413, 415, 481, 501, 506).",
		}, []string{"code"}),
		connErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_msrp_connection_errors_total",
			Help: "MSRP connections lost or refused, by reason.",
		}, []string{"reason"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_msrp_refused_connections_total",
			Help: "Accepted MSRP connections closed at once because the endpoint (max_connections) or the peer's address (max_connections_per_ip) was at its limit.",
		}, []string{"reason"}),
	}
	// Pre-create the fixed label values so that they are exported at 0.
	for _, d := range []string{dirIn, dirOut} {
		m.messages.WithLabelValues(d)
		m.bytes.WithLabelValues(d)
	}
	for _, d := range []string{dirSent, dirReceived} {
		m.reportFails.WithLabelValues(d)
	}
	for _, r := range []string{refusedMax, refusedPerIP} {
		m.refused.WithLabelValues(r)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.sessions, m.connections, m.messages, m.bytes,
		m.reassemblies, m.reportFails, m.rejected, m.connErrors, m.refused} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("msrp: metrics: %w", err)
		}
	}
	return m, nil
}

// codeLabel maps a status code to a bounded label value.
func codeLabel(code int) string {
	switch code {
	case StatusBadRequest, StatusForbidden, StatusTimeout, StatusTooLarge,
		StatusUnsupportedMedia, StatusOutOfBounds, StatusMalformedNickname,
		StatusNicknameInUse, StatusNoSession, StatusNotImplemented, StatusSessionAlreadyBound:
		return strconv.Itoa(code)
	}
	return "other"
}
