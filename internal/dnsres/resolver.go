package dnsres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

const (
	// defaultTimeout bounds one query when Options.Timeout is zero.
	defaultTimeout = 3 * time.Second
	// resolvConf is read when no server is configured.
	resolvConf = "/etc/resolv.conf"
	// fallbackServer is used when resolvConf names no server.
	fallbackServer = "127.0.0.1:53"
	// ednsBufferSize is the UDP payload size advertised in OPT (RFC 6891 §6.2.5), the
	// value DNS Flag Day 2020 settled on to avoid IP fragmentation.
	ednsBufferSize = 1232
)

// Options configure a Resolver.
type Options struct {
	// Server is the "host:port" of the DNS server to ask; "" uses the servers of
	// /etc/resolv.conf, or 127.0.0.1:53 when it names none.
	Server string
	// Timeout bounds each query (and the TCP retry of a truncated answer); 0 means 3s.
	Timeout time.Duration
	// Registerer receives the sxgw_dns_* metrics; nil disables them.
	Registerer prometheus.Registerer
	// Logger receives debug logs of failed lookups; nil discards them.
	Logger *slog.Logger
}

// Resolver looks up SRV, NAPTR, A and AAAA records, caching answers for their TTL.
// It is safe for concurrent use.
type Resolver struct {
	servers []string // tried in order until one answers
	timeout time.Duration
	udp     *dns.Client
	tcp     *dns.Client
	cache   *cache
	metrics *metrics
	log     *slog.Logger
	intN    func(n int) int // uniform in [0, n); the SRV weighted selection draws from it
}

// New returns a Resolver for o.
func New(o Options) (*Resolver, error) {
	servers, err := serversFor(o.Server)
	if err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Resolver{
		servers: servers,
		timeout: timeout,
		udp:     &dns.Client{Net: "udp", Timeout: timeout},
		tcp:     &dns.Client{Net: "tcp", Timeout: timeout},
		cache:   newCache(cacheSize, time.Now),
		metrics: m,
		log:     log.With("component", "dnsres"),
		intN:    rand.IntN,
	}, nil
}

// serversFor returns the server addresses to ask, from the configured one or the system's.
func serversFor(server string) ([]string, error) {
	if server != "" {
		host, port, err := net.SplitHostPort(server)
		if err != nil || host == "" || port == "" {
			return nil, fmt.Errorf("dnsres: server %q is not host:port", server)
		}
		return []string{server}, nil
	}
	cfg, err := dns.ClientConfigFromFile(resolvConf)
	if err != nil || len(cfg.Servers) == 0 {
		return []string{fallbackServer}, nil
	}
	servers := make([]string, 0, len(cfg.Servers))
	for _, s := range cfg.Servers {
		servers = append(servers, net.JoinHostPort(s, cfg.Port))
	}
	return servers, nil
}

// exchange asks the servers in turn for name/qtype and returns the first answer that is
// NOERROR or NXDOMAIN. Any other answer or a failure moves on to the next server.
func (r *Resolver) exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.RecursionDesired = true
	q.SetEdns0(ednsBufferSize, false)

	var errs []error
	for _, server := range r.servers {
		resp, err := r.exchangeWith(ctx, q, server)
		if err == nil {
			if resp.Rcode == dns.RcodeSuccess || resp.Rcode == dns.RcodeNameError {
				return resp, nil
			}
			err = fmt.Errorf("%w: %s from %s", ErrResponse, dns.RcodeToString[resp.Rcode], server)
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// exchangeWith sends q to server over UDP and, when the answer is truncated, again over
// TCP (RFC 1035 §4.2.1, RFC 7766 §5).
func (r *Resolver) exchangeWith(ctx context.Context, q *dns.Msg, server string) (*dns.Msg, error) {
	resp, err := r.exchangeOnce(ctx, r.udp, q, server)
	if err != nil || !resp.Truncated {
		return resp, err
	}
	return r.exchangeOnce(ctx, r.tcp, q, server)
}

// exchangeOnce sends q to server once, within the per-query timeout and ctx. Cancelling
// ctx closes the connection, so the read returns at once.
func (r *Resolver) exchangeOnce(ctx context.Context, c *dns.Client, q *dns.Msg, server string) (*dns.Msg, error) {
	qctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	conn, err := c.DialContext(qctx, server)
	if err != nil {
		return nil, r.exchangeErr(ctx, qctx, c, server, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(qctx, func() { _ = conn.Close() })
	defer stop()

	resp, _, err := c.ExchangeWithConnContext(qctx, q, conn)
	if err != nil {
		return nil, r.exchangeErr(ctx, qctx, c, server, err)
	}
	if !matches(q, resp) {
		return nil, fmt.Errorf("%w: from %s over %s", ErrBadResponse, server, c.Net)
	}
	return resp, nil
}

// exchangeErr names why one exchange failed: the caller's context, the per-query
// timeout, or the network. A read deadline taken from the caller's deadline may fire
// before ctx reports it, so the deadlines are compared rather than ctx.Err alone.
func (r *Resolver) exchangeErr(ctx, qctx context.Context, c *dns.Client, server string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	var ne net.Error
	if qctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()) {
		if parent, ok := ctx.Deadline(); ok {
			if own, _ := qctx.Deadline(); !parent.After(own) {
				return context.DeadlineExceeded
			}
		}
		return fmt.Errorf("%w: no answer from %s over %s within %s", ErrTimeout, server, c.Net, r.timeout)
	}
	return fmt.Errorf("%s over %s: %w", server, c.Net, err)
}

// matches reports whether resp answers the question of q (the ID is checked by miekg/dns).
// An error answer may leave the question out.
func matches(q, resp *dns.Msg) bool {
	if !resp.Response {
		return false
	}
	if len(resp.Question) == 0 {
		return resp.Rcode != dns.RcodeSuccess && resp.Rcode != dns.RcodeNameError
	}
	if len(resp.Question) != 1 {
		return false
	}
	a, b := q.Question[0], resp.Question[0]
	return a.Qtype == b.Qtype && a.Qclass == b.Qclass && strings.EqualFold(a.Name, b.Name)
}
