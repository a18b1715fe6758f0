//go:build interop && linux

package interop

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/sxgw/sxgw/internal/dnstest"
	"github.com/sxgw/sxgw/internal/testpeer"
)

// sxgwDomain is the domain the test sxgw serves; its conference service is
// conferenceDomain.
const (
	sxgwDomain       = "sip.test"
	conferenceDomain = "conference." + sxgwDomain
)

// sxgwConfigFlag is the command-line flag that names sxgw's config file.
const sxgwConfigFlag = "-config"

// buildTimeout bounds compiling the sxgw binary (a cold build compiles the
// pure-Go SQLite driver, which is slow on two cores).
const buildTimeout = 10 * time.Minute

// buildDir holds the sxgw binary built for this test run; TestMain removes it.
func buildDir() string {
	return filepath.Join(os.TempDir(), "sxgw-interop-"+strconv.Itoa(os.Getpid()))
}

// sxgwBinary builds ./cmd/sxgw once per test run and returns its path.
var sxgwBinary = sync.OnceValues(func() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("interop: go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(buildDir(), "sxgw")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/sxgw")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("interop: go build ./cmd/sxgw: %w\n%s", err, out)
	}
	return bin, nil
})

// sxgwConfig is a configuration file as TOML tables; options passed to
// startSXGW may change it before it is written.
type sxgwConfig map[string]map[string]any

// SXGW is an sxgw process run by one test, serving sip.test.
type SXGW struct {
	Dir      string
	Config   string // path of the TOML file
	XMPPAddr string // s2s listener
	SIPAddr  string // SIP UDP listener
	AdminURL string // http://127.0.0.1:port

	t       *testing.T
	bin     string
	logPath string
	proc    *process
	http    *http.Client
}

// startSXGW builds sxgw (once per run), writes its configuration into dir,
// publishes _xmpp-server._tcp for sip.test and conference.sip.test in dns,
// starts it and waits until /readyz answers 200. It is stopped when the test
// ends. Options edit the configuration before it is written.
func startSXGW(t *testing.T, dir string, dns *dnstest.Server, options ...func(sxgwConfig)) *SXGW {
	t.Helper()
	bin, err := sxgwBinary()
	if err != nil {
		t.Fatal(err)
	}
	tcpPorts := freeTCPPorts(t, 2)
	xmppPort, adminPort, sipPort := tcpPorts[0], tcpPorts[1], freeUDPPort(t)
	s := &SXGW{
		Dir:      dir,
		Config:   filepath.Join(dir, "sxgw.toml"),
		XMPPAddr: loopback(xmppPort),
		SIPAddr:  loopback(sipPort),
		AdminURL: "http://" + loopback(adminPort),
		t:        t,
		bin:      bin,
		logPath:  filepath.Join(dir, "sxgw.log"),
		http:     &http.Client{Timeout: 5 * time.Second},
	}
	cfg := sxgwConfig{
		"gateway": {
			"domains":  []string{sxgwDomain},
			"data_dir": filepath.Join(dir, "sxgw-data"),
			// Shutdown may wait this long for work in flight; well below stopTimeout.
			"drain_timeout": "5s",
		},
		"xmpp":       {"mode": "s2s", "listen": s.XMPPAddr},
		"sip":        {"listen": []string{"udp:" + s.SIPAddr}, "trusted_peers": []string{"127.0.0.0/8"}},
		"dns":        {"server": dns.Addr()},
		"conference": {"domain": conferenceDomain},
		"admin":      {"listen": loopback(adminPort)},
		"msrp":       {"listen": "127.0.0.1:0"},
		"log":        {"level": "debug"},
	}
	for _, o := range options {
		o(cfg)
	}
	data, err := toml.Marshal(cfg)
	if err != nil {
		t.Fatalf("interop: sxgw config: %v", err)
	}
	if err := os.WriteFile(s.Config, data, 0o644); err != nil {
		t.Fatalf("interop: %v", err)
	}

	for _, domain := range []string{sxgwDomain, conferenceDomain} {
		publishSRV(dns, "_xmpp-server._tcp."+domain, "xmpp."+sxgwDomain, xmppPort)
	}

	dumpLogOnFailure(t, "sxgw", s.logPath)
	t.Cleanup(func() {
		s.http.CloseIdleConnections()
		s.Stop()
	})
	s.start()
	return s
}

// start runs sxgw and waits for /readyz to answer 200.
func (s *SXGW) start() {
	s.t.Helper()
	proc, err := startProcess("sxgw", s.logPath, s.Dir, nil, s.bin, sxgwConfigFlag, s.Config)
	if err != nil {
		s.t.Fatal(err)
	}
	s.proc = proc
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := waitFor(ctx, proc, "sxgw /readyz", s.ready); err != nil {
		s.t.Fatal(err)
	}
}

// ready is a waitFor condition: GET /readyz answers 200. Otherwise the error
// carries the status and body (the failing checks).
func (s *SXGW) ready(ctx context.Context) error { return testpeer.Ready(ctx, s.http, s.AdminURL) }

// get fetches an admin path.
func (s *SXGW) get(ctx context.Context, path string) (int, []byte, error) {
	return testpeer.AdminGet(ctx, s.http, s.AdminURL, path)
}

// Ready reports whether /readyz answers 200, and the reason when not.
func (s *SXGW) Ready(ctx context.Context) error { return s.ready(ctx) }

// Metrics scrapes and parses /metrics.
func (s *SXGW) Metrics(ctx context.Context) (metrics, error) {
	status, body, err := s.get(ctx, "/metrics")
	if err != nil {
		return nil, fmt.Errorf("interop: sxgw /metrics: %w", err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("interop: sxgw /metrics: status %d", status)
	}
	return parseMetrics(body)
}

// WaitMetrics polls /metrics until cond accepts a scrape (cond returns nil)
// or ctx ends; the error carries cond's last complaint.
func (s *SXGW) WaitMetrics(ctx context.Context, what string, cond func(metrics) error) error {
	return waitFor(ctx, s.proc, what, func(ctx context.Context) error {
		m, err := s.Metrics(ctx)
		if err != nil {
			return err
		}
		return cond(m)
	})
}

// Stop sends SIGTERM and reports a test error unless sxgw exits with status
// 0 within stopTimeout. Stopping a stopped sxgw does nothing.
func (s *SXGW) Stop() {
	s.t.Helper()
	if s.proc == nil {
		return
	}
	proc := s.proc
	s.proc = nil
	start := time.Now()
	err, killed := proc.stop(stopTimeout)
	switch {
	case killed:
		s.t.Errorf("interop: sxgw did not exit within %v of SIGTERM and was killed (%v)", stopTimeout, err)
	case err != nil:
		s.t.Errorf("interop: sxgw exited with %v after SIGTERM, want status 0", err)
	default:
		s.t.Logf("interop: sxgw stopped in %v", time.Since(start).Round(time.Millisecond))
	}
}

// Restart stops sxgw (expecting a clean exit) and starts it again with the
// same configuration and data.
func (s *SXGW) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}
