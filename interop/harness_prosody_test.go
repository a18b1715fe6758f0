//go:build interop && linux

package interop

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sxgw/sxgw/internal/dnstest"
	"github.com/sxgw/sxgw/internal/testpeer"
)

// prosodyDomain is the XMPP domain the test Prosody serves.
const prosodyDomain = "xmpp.test"

// prosodyUsers returns the accounts registered on every test Prosody.
func prosodyUsers() []string { return []string{"alice", "bob"} }

// password returns the password of a test account.
func password(user string) string { return user + "-interop-secret" }

// Prosody is a Prosody server for xmpp.test run by one test, with its config,
// certificate, data and log in its own directory.
type Prosody struct {
	Domain  string
	Dir     string
	Config  string // path of prosody.cfg.lua
	C2SPort int
	S2SPort int

	t       *testing.T
	logPath string // Prosody's own log (debug level)
	outPath string // stdout and stderr of the process
	proc    *process
}

// startProsody writes a configuration for xmpp.test into dir, registers the
// test accounts, starts Prosody and waits until it accepts connections. It
// publishes _xmpp-server._tcp.xmpp.test in dns and stops Prosody when the test
// ends.
func startProsody(t *testing.T, dir string, dns *dnstest.Server) *Prosody {
	t.Helper()
	host, port, err := net.SplitHostPort(dns.Addr())
	if err != nil || port != "53" {
		t.Fatalf("interop: Prosody's resolver only queries port 53, the DNS server is on %q", dns.Addr())
	}
	ports := freeTCPPorts(t, 2)
	p := &Prosody{
		Domain:  prosodyDomain,
		Dir:     dir,
		Config:  filepath.Join(dir, "prosody.cfg.lua"),
		C2SPort: ports[0],
		S2SPort: ports[1],
		t:       t,
		logPath: filepath.Join(dir, "prosody.log"),
		outPath: filepath.Join(dir, "prosody.out"),
	}
	certDir := filepath.Join(dir, "certs")
	for _, d := range []string{certDir, filepath.Join(dir, "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("interop: %v", err)
		}
	}
	cert, key := filepath.Join(certDir, p.Domain+".crt"), filepath.Join(certDir, p.Domain+".key")
	if err := selfSignedCert(dir, p.Domain, cert, key); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte("nameserver "+host+"\n"), 0o644); err != nil {
		t.Fatalf("interop: %v", err)
	}
	cfg, err := testpeer.Prosody{Dir: dir, LogFile: p.logPath, Domain: p.Domain, Cert: cert, Key: key,
		C2SPort: p.C2SPort, S2SPort: p.S2SPort}.Config()
	if err != nil {
		t.Fatalf("interop: %v", err)
	}
	if err := os.WriteFile(p.Config, cfg, 0o644); err != nil {
		t.Fatalf("interop: %v", err)
	}
	for _, user := range prosodyUsers() {
		if err := runCommand(startTimeout, dir, "prosodyctl", "--config", p.Config,
			"register", user, p.Domain, password(user)); err != nil {
			t.Fatal(err)
		}
	}

	publishSRV(dns, "_xmpp-server._tcp."+p.Domain, "s2s."+p.Domain, p.S2SPort)

	dumpLogOnFailure(t, "prosody stdout/stderr", p.outPath)
	dumpLogOnFailure(t, "prosody", p.logPath)
	t.Cleanup(func() { p.Stop() })
	p.start()
	return p
}

// JID returns the bare JID of a test account.
func (p *Prosody) JID(user string) string { return user + "@" + p.Domain }

// C2SAddr is the client listener, for the slixmpp driver.
func (p *Prosody) C2SAddr() string { return loopback(p.C2SPort) }

// S2SAddr is the server-to-server listener.
func (p *Prosody) S2SAddr() string { return loopback(p.S2SPort) }

// start runs `prosody -F --config` and waits until both listeners accept.
func (p *Prosody) start() {
	p.t.Helper()
	proc, err := startProcess("prosody", p.outPath, p.Dir, nil,
		"prosody", "-F", "--config", p.Config)
	if err != nil {
		p.t.Fatal(err)
	}
	p.proc = proc
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for _, addr := range []string{p.C2SAddr(), p.S2SAddr()} {
		if err := waitFor(ctx, proc, "prosody listening on "+addr, dialable(addr)); err != nil {
			p.t.Fatal(err)
		}
	}
}

// Stop ends Prosody with SIGTERM (SIGKILL after stopTimeout) and reports an
// unclean exit as a test error. Stopping a stopped Prosody does nothing.
func (p *Prosody) Stop() {
	p.t.Helper()
	if p.proc == nil {
		return
	}
	proc := p.proc
	p.proc = nil
	start := time.Now()
	err, killed := proc.stop(stopTimeout)
	switch {
	case killed:
		p.t.Errorf("interop: prosody did not exit within %v of SIGTERM and was killed (%v)", stopTimeout, err)
	case err != nil:
		p.t.Errorf("interop: prosody exited with %v", err)
	default:
		p.t.Logf("interop: prosody stopped in %v", time.Since(start).Round(time.Millisecond))
	}
}

// Restart stops Prosody and starts it again on the same ports and data, as an
// operator's restart would: every stream to and from it is cut.
func (p *Prosody) Restart() {
	p.t.Helper()
	p.Stop()
	p.start()
}

// selfSignedCert writes a throwaway certificate and key for domain, usable
// both by a receiving and by an initiating server.
func selfSignedCert(dir, domain, certPath, keyPath string) error {
	err := runCommand(startTimeout, dir, "openssl", "req", "-x509", "-nodes",
		"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
		"-keyout", keyPath, "-out", certPath, "-days", "2",
		"-subj", "/CN="+domain,
		"-addext", "subjectAltName=DNS:"+domain,
		"-addext", "extendedKeyUsage=serverAuth,clientAuth")
	if err != nil {
		return fmt.Errorf("interop: certificate for %s: %w", domain, err)
	}
	return nil
}
