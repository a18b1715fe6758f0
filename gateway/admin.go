package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Admin HTTP server limits.
const (
	adminReadHeaderTimeout = 5 * time.Second
	adminReadTimeout       = 10 * time.Second
	adminWriteTimeout      = 30 * time.Second // a scrape of a large registry takes a while
	adminIdleTimeout       = 60 * time.Second
	adminMaxHeaderBytes    = 16 << 10
	adminScrapeTimeout     = 20 * time.Second
	adminMaxScrapes        = 4
)

// Admin is the operator's HTTP endpoint: /metrics (Prometheus exposition of
// the injected registry), /healthz (liveness: 200 while the process serves)
// and /readyz (readiness: 200 when every Health check is ok, 503 otherwise).
// Only GET and HEAD are allowed.
type Admin struct {
	listen string
	health *Health
	logger *slog.Logger
	srv    *http.Server
	mux    *http.ServeMux

	mu      sync.Mutex
	started bool
	done    chan struct{} // closed when Serve has returned
}

// NewAdmin returns an admin server for listen (host:port) that exposes reg
// and h. A nil logger discards logs.
func NewAdmin(listen string, reg *prometheus.Registry, h *Health, logger *slog.Logger) *Admin {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "admin")
	a := &Admin{listen: listen, health: h, logger: logger}
	errLog := slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	mux := http.NewServeMux()
	// A "GET" pattern also matches HEAD; other methods get 405 with Allow.
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:            errLog,
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: adminMaxScrapes,
		Timeout:             adminScrapeTimeout,
	}))
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /readyz", a.readyz)
	a.mux = mux
	a.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: adminReadHeaderTimeout,
		ReadTimeout:       adminReadTimeout,
		WriteTimeout:      adminWriteTimeout,
		IdleTimeout:       adminIdleTimeout,
		MaxHeaderBytes:    adminMaxHeaderBytes,
		ErrorLog:          errLog,
	}
	return a
}

// EnableProfiling serves Go's runtime profiles (net/http/pprof) under
// /debug/pprof/ on the admin listener, for an operator who needs to see
// where sxgw spends its CPU or memory. Off unless [admin] pprof is set: a
// profile costs CPU while it runs and shows internals. Call before Start.
func (a *Admin) EnableProfiling() {
	a.mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	a.mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	a.mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	a.mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	a.mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
}

// Start binds the listener and serves in a goroutine. It returns the bound
// address (useful with port 0). ctx bounds the bind only.
func (a *Admin) Start(ctx context.Context) (net.Addr, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started {
		return nil, errors.New("gateway: admin server already started")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", a.listen)
	if err != nil {
		return nil, fmt.Errorf("gateway: admin listen: %w", err)
	}
	a.started = true
	a.done = make(chan struct{})
	go func() {
		defer close(a.done)
		if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.logger.Error("admin server stopped", "err", err)
		}
	}()
	a.logger.Info("admin listening", "addr", ln.Addr().String())
	return ln.Addr(), nil
}

// Shutdown stops accepting connections, waits for requests in flight until
// ctx ends, then closes the remaining connections. It returns once the serve
// goroutine has exited. Calling it without Start, or twice, is harmless.
func (a *Admin) Shutdown(ctx context.Context) error {
	a.mu.Lock()
	done := a.done
	a.mu.Unlock()
	if done == nil {
		return nil
	}
	err := a.srv.Shutdown(ctx)
	if err != nil {
		// Requests still running past ctx: cut them off.
		err = errors.Join(err, a.srv.Close())
	}
	<-done
	if err != nil {
		return fmt.Errorf("gateway: admin shutdown: %w", err)
	}
	return nil
}

// healthz answers 200 "ok" while the process can serve HTTP at all.
func (a *Admin) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz answers 200 when every readiness check is ok and 503 otherwise,
// listing each check as "name: ok|FAIL detail", then the informational
// lines as "name: detail".
func (a *Admin) readyz(w http.ResponseWriter, _ *http.Request) {
	ready, checks := a.health.Ready()
	var b strings.Builder
	for _, c := range checks {
		b.WriteString(c.Name)
		b.WriteString(":")
		if !c.Info {
			if c.OK {
				b.WriteString(" ok")
			} else {
				b.WriteString(" FAIL")
			}
		}
		if c.Detail != "" {
			b.WriteString(" ")
			b.WriteString(c.Detail)
		}
		b.WriteString("\n")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write([]byte(b.String()))
}
