package sip

import (
	"fmt"

	sipgosip "github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the endpoint's Prometheus collectors.
type metrics struct {
	requests    *prometheus.CounterVec // method, class
	outgoing    *prometheus.CounterVec // method, class
	badRequests *prometheus.CounterVec // reason
	ackTimeouts prometheus.Counter     // 2xx to INVITE never acknowledged
}

// Reasons of sxgw_sip_bad_requests_total: a fixed set.
const (
	badTooLarge      = "too_large"
	badMissingHeader = "missing_header"
	badInvalidHeader = "invalid_header"
	badVersion       = "version"
	badURIScheme     = "uri_scheme"
	badTooManyHops   = "too_many_hops"
	badUnknownDomain = "unknown_domain"
	badBadExtension  = "bad_extension"
	badForbidden     = "forbidden"
	badContentType   = "content_type"
	badOverload      = "overload"
	// SUBSCRIBE and NOTIFY (RFC 6665).
	badEvent            = "bad_event"          // 489: Event missing or not served
	badIntervalTooBrief = "interval_too_brief" // 423
	badNotAcceptable    = "not_acceptable"     // 406: no Accept type we send
	badNoDialog         = "no_dialog"          // 481: NOTIFY or BYE outside a dialog
)

// classError labels outgoing requests that got no final response.
const classError = "error"

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_sip_requests_total",
			Help: "SIP requests received and answered, by method and response class.",
		}, []string{"method", "class"}),
		outgoing: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_sip_outgoing_requests_total",
			Help: `SIP requests sent, by method and final response class ("error": no response).`,
		}, []string{"method", "class"}),
		badRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_sip_bad_requests_total",
			Help: "SIP requests refused before reaching a handler, by reason.",
		}, []string{"reason"}),
		ackTimeouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sxgw_sip_invite_ack_timeouts_total",
			Help: "2xx responses to INVITE that got no ACK within 64*T1, ending their session.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.requests, m.outgoing, m.badRequests, m.ackTimeouts} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("%w: metrics: %w", ErrConfig, err)
		}
	}
	return m, nil
}

// methodLabel maps a method to a bounded label value: the methods of
// RFC 3261 §7.1 and of the extensions sxgw speaks, else "other".
func methodLabel(m sipgosip.RequestMethod) string {
	switch m {
	case sipgosip.INVITE, sipgosip.ACK, sipgosip.BYE, sipgosip.CANCEL,
		sipgosip.OPTIONS, sipgosip.REGISTER, sipgosip.PRACK, sipgosip.SUBSCRIBE,
		sipgosip.NOTIFY, sipgosip.PUBLISH, sipgosip.INFO, sipgosip.REFER,
		sipgosip.MESSAGE, sipgosip.UPDATE:
		return string(m)
	}
	return "other"
}

// classLabel maps a final status code to "2xx".."6xx".
func classLabel(code int) string {
	switch {
	case code >= 200 && code < 300:
		return "2xx"
	case code >= 300 && code < 400:
		return "3xx"
	case code >= 400 && code < 500:
		return "4xx"
	case code >= 500 && code < 600:
		return "5xx"
	case code >= 600 && code < 700:
		return "6xx"
	}
	return "other"
}
