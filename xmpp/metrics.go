package xmpp

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// metrics are the XMPP side's Prometheus series.
type metrics struct {
	streams      *prometheus.GaugeVec   // direction, state
	stanzas      *prometheus.CounterVec // direction, kind
	streamErrors *prometheus.CounterVec // direction, condition
	dialback     *prometheus.CounterVec // role, result
	external     *prometheus.CounterVec // role, result
	bounced      *prometheus.CounterVec // condition
	connectFails *prometheus.CounterVec // reason
	component    prometheus.Gauge
	tlsFailures  *prometheus.CounterVec // direction
	refused      *prometheus.CounterVec // condition
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	return &metrics{
		streams: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sxgw_xmpp_s2s_streams",
			Help: "Server-to-server streams by direction (in, out) and state (negotiating, established).",
		}, []string{"direction", "state"}),
		stanzas: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_xmpp_stanzas_total",
			Help: "Stanzas received (in) and sent (out), by kind (message, presence, iq).",
		}, []string{"direction", "kind"}),
		streamErrors: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_xmpp_stream_errors_total",
			Help: "Stream errors sent to peers (sent) and received from them (received), by condition.",
		}, []string{"direction", "condition"}),
		dialback: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_xmpp_dialback_total",
			Help: "Server Dialback outcomes by role (initiating, receiving, authoritative) and result (valid, invalid, error).",
		}, []string{"role", "result"}),
		external: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_xmpp_sasl_external_total",
			Help: "SASL EXTERNAL (XEP-0178) outcomes by role (initiating, receiving) and result (success, failure).",
		}, []string{"role", "result"}),
		bounced: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_xmpp_bounced_stanzas_total",
			Help: "Outbound stanzas that could not be delivered and were answered with a stanza error, by condition.",
		}, []string{"condition"}),
		connectFails: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_xmpp_connect_failures_total",
			Help: "Failed outbound connection attempts by reason (dns, dial, tls, auth, timeout, protocol).",
		}, []string{"reason"}),
		tlsFailures: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_xmpp_tls_failures_total",
			Help: "Failed TLS handshakes on s2s streams, by direction (in, out).",
		}, []string{"direction"}),
		refused: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_xmpp_s2s_refused_connections_total",
			Help: "Inbound s2s connections refused over a limit, by stream error condition (resource-constraint: too many in all; policy-violation: too many from one address).",
		}, []string{"condition"}),
		component: f.NewGauge(prometheus.GaugeOpts{
			Name: "sxgw_xmpp_component_connected",
			Help: "1 while the XEP-0114 component stream is authenticated, else 0.",
		}),
	}
}

// stanzaKind is the metric label for a top-level element.
func stanzaKind(el *Element) string {
	switch el.Name.Local {
	case "message", "presence", "iq":
		return el.Name.Local
	}
	return "other"
}

// conditionLabel bounds the condition label to RFC 6120 names.
func conditionLabel(cond string) string {
	switch cond {
	case CondBadFormat, CondConflict, CondConnectionTimeout, CondHostUnknown, CondImproperAddressing,
		CondInternalServerError, CondInvalidFrom, CondInvalidNamespace, CondInvalidXML, CondNotAuthorized,
		CondNotWellFormed, CondPolicyViolation, CondRemoteConnFailed, CondResourceConstraint,
		CondRestrictedXML, CondSystemShutdown, CondUndefinedCondition, CondUnsupportedEncoding,
		CondUnsupportedFeature, CondUnsupportedStanzaType, CondUnsupportedVersion,
		ErrRemoteServerNotFound, ErrRemoteServerTimeout, ErrServiceUnavailable:
		return cond
	}
	return "other"
}
