package gateway

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Directions of translated traffic.
const (
	dirSIPToXMPP = "sip_to_xmpp"
	dirXMPPToSIP = "xmpp_to_sip"
)

// Results of a translated message.
const (
	resultOK        = "ok"
	resultError     = "error"     // the far side refused it
	resultRejected  = "rejected"  // refused before translation (address, loop, size)
	resultDuplicate = "duplicate" // a retransmission already handled
	resultDropped   = "dropped"   // nothing to translate (e.g. a bare marker)
)

// metrics are the core's Prometheus series.
type metrics struct {
	messages *prometheus.CounterVec   // direction, result
	latency  *prometheus.HistogramVec // direction
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	return &metrics{
		messages: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_gateway_messages_total",
			Help: "Messages translated between SIP and XMPP, by direction and result (ok, error, rejected, duplicate, dropped).",
		}, []string{"direction", "result"}),
		latency: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sxgw_gateway_bridge_latency_seconds",
			Help:    "Time from receiving a message on one side to handing it to the other side's transport.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"direction"}),
	}
}
