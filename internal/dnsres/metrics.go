package dnsres

import (
	"errors"
	"fmt"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// lookupTypes are the values of the "type" label.
var lookupTypes = []uint16{dns.TypeSRV, dns.TypeNAPTR, dns.TypeA, dns.TypeAAAA}

// metrics counts lookups per record type. A nil *metrics counts nothing.
type metrics struct {
	lookups  *prometheus.CounterVec
	failures *prometheus.CounterVec
	hits     *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_dns_lookups_total",
			Help: "DNS lookups sent to a server (cache misses), by record type.",
		}, []string{"type"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_dns_failures_total",
			Help: "DNS lookups sent to a server that failed (timeout, SERVFAIL, REFUSED, network), by record type. NXDOMAIN and NODATA are not failures.",
		}, []string{"type"}),
		hits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sxgw_dns_cache_hits_total",
			Help: "DNS lookups answered from the cache, by record type.",
		}, []string{"type"}),
	}
	var err error
	m.lookups, err = register(reg, m.lookups)
	if err != nil {
		return nil, err
	}
	m.failures, err = register(reg, m.failures)
	if err != nil {
		return nil, err
	}
	m.hits, err = register(reg, m.hits)
	if err != nil {
		return nil, err
	}
	for _, t := range lookupTypes {
		label := dns.TypeToString[t]
		m.lookups.WithLabelValues(label)
		m.failures.WithLabelValues(label)
		m.hits.WithLabelValues(label)
	}
	return m, nil
}

// register registers c, or returns the identical collector registered before (so several
// resolvers may share one registry).
func register(reg prometheus.Registerer, c *prometheus.CounterVec) (*prometheus.CounterVec, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
			return existing, nil
		}
	}
	return nil, fmt.Errorf("dnsres: register metrics: %w", err)
}

func (m *metrics) lookup(qtype uint16) {
	if m != nil {
		m.lookups.WithLabelValues(dns.TypeToString[qtype]).Inc()
	}
}

func (m *metrics) failure(qtype uint16) {
	if m != nil {
		m.failures.WithLabelValues(dns.TypeToString[qtype]).Inc()
	}
}

func (m *metrics) hit(qtype uint16) {
	if m != nil {
		m.hits.WithLabelValues(dns.TypeToString[qtype]).Inc()
	}
}
