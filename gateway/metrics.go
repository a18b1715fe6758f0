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

	presence      *prometheus.CounterVec // direction, type
	subscriptions *prometheus.GaugeVec   // side
	coalesced     prometheus.Counter
	notifies      *prometheus.CounterVec // result
	lateErrors    prometheus.Counter
	chats         prometheus.Gauge

	rooms            prometheus.Gauge
	occupants        *prometheus.GaugeVec   // side
	roomMessages     *prometheus.CounterVec // side, kind
	roomJoinFailures *prometheus.CounterVec // reason
	roomInvites      *prometheus.CounterVec // side of the invitee
	roomFanout       prometheus.Histogram
	roomDrops        prometheus.Counter

	calls       *prometheus.CounterVec // direction, outcome
	activeCalls prometheus.Gauge
	callSetup   prometheus.Histogram
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
		presence: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_gateway_presence_total",
			Help: "Presence stanzas handled by the presence interworking (RFC 8048), by direction and presence type.",
		}, []string{"direction", "type"}),
		subscriptions: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sxgw_gateway_subscriptions",
			Help: "Presence subscriptions held, by watcher side (sip-watcher: a SIP user watches an XMPP user; xmpp-watcher: the reverse).",
		}, []string{"side"}),
		coalesced: f.NewCounter(prometheus.CounterOpts{
			Name: "sxgw_gateway_presence_coalesced_total",
			Help: "Presence updates merged into a later notification or dropped as unchanged.",
		}),
		chats: f.NewGauge(prometheus.GaugeOpts{
			Name: "sxgw_gateway_chats",
			Help: "MSRP chat sessions (RFC 7573) between a SIP and an XMPP user.",
		}),
		lateErrors: f.NewCounter(prometheus.CounterOpts{
			Name: "sxgw_gateway_late_errors_total",
			Help: "XMPP errors for messages from SIP that came after the SIP sender was answered (or matched nothing).",
		}),
		rooms: f.NewGauge(prometheus.GaugeOpts{
			Name: "sxgw_gateway_rooms",
			Help: "Chat rooms hosted (XEP-0045 MUC rooms that are also RFC 7701 MSRP chat rooms).",
		}),
		occupants: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sxgw_gateway_room_occupants",
			Help: "Room occupants, by side (xmpp: MUC occupants; sip: MSRP participants).",
		}, []string{"side"}),
		roomMessages: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_gateway_room_messages_total",
			Help: "Messages sent into rooms, by the sender's side and kind (public, private).",
		}, []string{"side", "kind"}),
		roomJoinFailures: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_gateway_room_join_failures_total",
			Help: "Refused room joins and nickname changes, by reason (conflict, bad-nick, forbidden, no-room).",
		}, []string{"reason"}),
		roomInvites: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_gateway_room_invitations_total",
			Help: "Room invitations sent, by the invitee's side.",
		}, []string{"side"}),
		roomFanout: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "sxgw_gateway_room_fanout_seconds",
			Help:    "Time from a room message's arrival to its last copy handed to a transport.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		roomDrops: f.NewCounter(prometheus.CounterOpts{
			Name: "sxgw_gateway_room_drops_total",
			Help: "Room message copies or announcements not delivered (a participant's backlog full, a send failed, a room too busy).",
		}),
		calls: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_gateway_calls_total",
			Help: "Calls between SIP and Jingle that ended, by direction and outcome (answered, rejected, canceled, failed).",
		}, []string{"direction", "outcome"}),
		activeCalls: f.NewGauge(prometheus.GaugeOpts{
			Name: "sxgw_gateway_active_calls",
			Help: "Answered calls in progress.",
		}),
		callSetup: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "sxgw_gateway_call_setup_seconds",
			Help:    "Time from a call's first request (INVITE or session-initiate) to its answer.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		notifies: f.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_gateway_notifies_total",
			Help: "NOTIFY requests sent to SIP watchers, by result (ok, error).",
		}, []string{"result"}),
	}
}
