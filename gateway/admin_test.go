package gateway

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"
)

// adminClient returns an HTTP client whose connections the test closes.
func adminClient(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

type reply struct {
	status int
	body   string
	header http.Header
}

func do(t *testing.T, c *http.Client, method, url string) reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return reply{resp.StatusCode, string(b), resp.Header}
}

func startAdmin(t *testing.T, h *Health) (*Admin, string) {
	t.Helper()
	a := NewAdmin("127.0.0.1:0", NewRegistry("v1.2.3"), h, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addr, err := a.Start(ctx)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return a, "http://" + addr.String()
}

func stopAdmin(t *testing.T, a *Admin) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

func TestAdminRoutes(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := &Health{}
	h.SetReady("store", true, "sxgw.db")
	h.SetReady("sip", false, "starting")
	h.Info("certificate", "self-signed, generated")
	a, base := startAdmin(t, h)
	defer stopAdmin(t, a)
	c := adminClient(t)

	tests := []struct {
		name, method, path string
		before             func()
		status             int
		body               string // exact; "" with contains set means unchecked
		contains           []string
		allow              string
	}{
		{name: "healthz", method: "GET", path: "/healthz", status: 200, body: "ok\n"},
		{name: "healthz head", method: "HEAD", path: "/healthz", status: 200, body: ""},
		{name: "readyz not ready", method: "GET", path: "/readyz", status: 503,
			body: "store: ok sxgw.db\nsip: FAIL starting\ncertificate: self-signed, generated\n"},
		{name: "readyz head not ready", method: "HEAD", path: "/readyz", status: 503, body: ""},
		{name: "readyz ready", method: "GET", path: "/readyz", before: func() { h.SetReady("sip", true, "") },
			status: 200, body: "store: ok sxgw.db\nsip: ok\ncertificate: self-signed, generated\n"},
		{name: "readyz draining", method: "GET", path: "/readyz",
			before: func() { h.SetReady("draining", false, "shutting down") }, status: 503,
			body: "store: ok sxgw.db\nsip: ok\ndraining: FAIL shutting down\ncertificate: self-signed, generated\n"},
		{name: "metrics", method: "GET", path: "/metrics", status: 200, contains: []string{
			`sxgw_build_info{goversion="` + runtime.Version() + `",version="v1.2.3"} 1`,
			"go_goroutines ",
			"process_open_fds ",
		}},
		{name: "post readyz", method: "POST", path: "/readyz", status: 405, allow: "GET, HEAD"},
		{name: "put metrics", method: "PUT", path: "/metrics", status: 405, allow: "GET, HEAD"},
		{name: "delete healthz", method: "DELETE", path: "/healthz", status: 405, allow: "GET, HEAD"},
		{name: "unknown path", method: "GET", path: "/debug/pprof/", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			r := do(t, c, tt.method, base+tt.path)
			if r.status != tt.status {
				t.Errorf("status = %d, want %d (body %q)", r.status, tt.status, r.body)
			}
			if tt.contains == nil && tt.allow == "" && tt.status != 404 && r.body != tt.body {
				t.Errorf("body = %q, want %q", r.body, tt.body)
			}
			for _, s := range tt.contains {
				if !strings.Contains(r.body, s) {
					t.Errorf("body lacks %q", s)
				}
			}
			if tt.allow != "" && r.header.Get("Allow") != tt.allow {
				t.Errorf("Allow = %q, want %q", r.header.Get("Allow"), tt.allow)
			}
			if strings.HasSuffix(tt.path, "z") && tt.status < 300 {
				if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
					t.Errorf("Content-Type = %q", ct)
				}
			}
		})
	}
}

func TestAdminLifecycle(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	idle := NewAdmin("127.0.0.1:0", NewRegistry("x"), &Health{}, nil)
	if err := idle.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown before Start = %v, want nil", err)
	}

	a, base := startAdmin(t, &Health{})
	if _, err := a.Start(ctx); err == nil {
		t.Error("second Start succeeded")
	}
	c := adminClient(t)
	if r := do(t, c, "GET", base+"/healthz"); r.status != 200 {
		t.Fatalf("healthz = %d", r.status)
	}
	c.Transport.(*http.Transport).CloseIdleConnections()
	stopAdmin(t, a)
	stopAdmin(t, a) // twice is harmless

	addr := strings.TrimPrefix(base, "http://")
	var d net.Dialer
	if conn, err := d.DialContext(ctx, "tcp", addr); err == nil {
		conn.Close()
		t.Errorf("admin still accepts connections on %s after Shutdown", addr)
	}
}

func TestAdminListenError(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a := NewAdmin(ln.Addr().String(), NewRegistry("x"), &Health{}, nil)
	if _, err := a.Start(ctx); err == nil || !strings.HasPrefix(err.Error(), "gateway: admin listen: ") {
		t.Fatalf("Start on a used port = %v, want a listen error", err)
	}
	if err := a.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown after a failed Start = %v", err)
	}
}

// blockingCollector holds a scrape until released.
type blockingCollector struct {
	desc    *prometheus.Desc
	once    sync.Once
	started chan struct{}
	release chan struct{}
}

func (b *blockingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- b.desc }

func (b *blockingCollector) Collect(ch chan<- prometheus.Metric) {
	b.once.Do(func() { close(b.started) })
	<-b.release
	ch <- prometheus.MustNewConstMetric(b.desc, prometheus.GaugeValue, 1)
}

// TestAdminShutdownSlowRequest checks that Shutdown returns when its ctx ends
// even though a request is still being served, and cuts that request off.
func TestAdminShutdownSlowRequest(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	bc := &blockingCollector{
		desc:    prometheus.NewDesc("sxgw_test_blocking", "test", nil, nil),
		started: make(chan struct{}),
		release: make(chan struct{}),
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(bc)
	a := NewAdmin("127.0.0.1:0", reg, &Health{}, nil)
	addr, err := a.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := adminClient(t)
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr.String()+"/metrics", nil)
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	select {
	case <-bc.started:
	case <-ctx.Done():
		t.Fatal("scrape never started")
	}
	sctx, scancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer scancel()
	if err := a.Shutdown(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with a request in flight past its deadline = %v, want DeadlineExceeded", err)
	}
	if err := <-errc; err == nil {
		t.Error("the request in flight completed, want it cut off")
	}
	close(bc.release) // let the handler goroutine finish
}

func TestReadBuildInfo(t *testing.T) {
	b := ReadBuildInfo()
	if b.Version == "" || b.GoVersion != runtime.Version() {
		t.Errorf("ReadBuildInfo = %+v", b)
	}
}

// With profiling enabled the admin listener serves net/http/pprof; the
// other endpoints stay as they were.
func TestAdminProfiling(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	a := NewAdmin("127.0.0.1:0", NewRegistry("x"), &Health{}, nil)
	a.EnableProfiling()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addr, err := a.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stopAdmin(t, a)
	base := "http://" + addr.String()
	c := adminClient(t)
	if r := do(t, c, "GET", base+"/debug/pprof/"); r.status != 200 || !strings.Contains(r.body, "goroutine") {
		t.Errorf("/debug/pprof/ = %d %.80q", r.status, r.body)
	}
	if r := do(t, c, "GET", base+"/debug/pprof/goroutine?debug=1"); r.status != 200 || !strings.Contains(r.body, "goroutine profile:") {
		t.Errorf("goroutine profile = %d %.80q", r.status, r.body)
	}
	if r := do(t, c, "POST", base+"/debug/pprof/symbol"); r.status != 405 {
		t.Errorf("POST symbol = %d, want 405", r.status)
	}
	if r := do(t, c, "GET", base+"/healthz"); r.status != 200 {
		t.Errorf("healthz = %d", r.status)
	}
	c.Transport.(*http.Transport).CloseIdleConnections()
}
