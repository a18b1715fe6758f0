package dnstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// bindAttempts bounds the retries needed to find a port free for both UDP and TCP when
// Start is given port 0.
const bindAttempts = 20

// shutdownTimeout bounds how long Close waits for in-flight queries.
const shutdownTimeout = 5 * time.Second

// Server is an authoritative test DNS server for fake domains.
// It is safe for concurrent use: records may change while it serves.
type Server struct {
	addr    string
	udp     *dns.Server
	tcp     *dns.Server
	done    chan struct{} // closed when both serve loops have returned
	queries atomic.Uint64

	mu      sync.RWMutex
	records map[string][]dns.RR // canonical owner name -> records
	ttl     uint32

	closeOnce sync.Once
	closeErr  error
}

// Start listens on addr over UDP and TCP (the same port for both) and serves until Close.
// Use "127.0.0.1:0" in tests; a fixed port such as "127.0.0.2:53" needs privileges.
func Start(addr string) (*Server, error) {
	pc, l, err := listen(addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		addr:    l.Addr().String(),
		done:    make(chan struct{}),
		records: make(map[string][]dns.RR),
	}
	h := dns.HandlerFunc(s.serveDNS)
	started := make(chan struct{}, 2)
	notify := func() { started <- struct{}{} }
	s.udp = &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: notify}
	s.tcp = &dns.Server{Listener: l, Handler: h, NotifyStartedFunc: notify}

	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- srv.ActivateAndServe()
		}()
	}
	go func() {
		wg.Wait()
		close(s.done)
	}()

	timer := time.NewTimer(shutdownTimeout)
	defer timer.Stop()
	for range 2 {
		select {
		case <-started:
		case err := <-errs:
			_ = s.Close()
			return nil, fmt.Errorf("dnstest: serve %s: %w", addr, err)
		case <-timer.C:
			_ = s.Close()
			return nil, fmt.Errorf("dnstest: server on %s did not start", addr)
		}
	}
	return s, nil
}

// listen binds UDP and TCP on the same address. With port 0 the UDP port the kernel picks
// may be taken for TCP, so it tries again a bounded number of times.
func listen(addr string) (net.PacketConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("dnstest: address %q: %w", addr, err)
	}
	attempts := 1
	if port == "0" {
		attempts = bindAttempts
	}
	var lastErr error
	for range attempts {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("dnstest: listen udp %s: %w", addr, err)
		}
		_, udpPort, _ := net.SplitHostPort(pc.LocalAddr().String())
		l, err := net.Listen("tcp", net.JoinHostPort(host, udpPort))
		if err == nil {
			return pc, l, nil
		}
		lastErr = err
		_ = pc.Close()
	}
	return nil, nil, fmt.Errorf("dnstest: listen tcp on the udp port of %s: %w", addr, lastErr)
}

// Addr returns the "host:port" the server is bound to (the same port for UDP and TCP).
func (s *Server) Addr() string { return s.addr }

// Queries returns the number of queries answered so far, over both transports.
func (s *Server) Queries() uint64 { return s.queries.Load() }

// Close stops both listeners and waits for the serving goroutines to return.
// Calling it more than once returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		var errs []error
		for _, srv := range []*dns.Server{s.udp, s.tcp} {
			if err := srv.ShutdownContext(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		select {
		case <-s.done:
		case <-ctx.Done():
			errs = append(errs, ctx.Err())
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("dnstest: close: %w", err)
		}
	})
	return s.closeErr
}
