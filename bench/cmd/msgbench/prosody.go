package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/sxgw/sxgw/internal/testpeer"
)

// sinkUser is the Prosody account that receives every SIP -> XMPP message.
const (
	sinkUser     = "alice"
	sinkPassword = "alice-bench-secret"
)

// prosody is a Prosody process serving xmpp.test.
type prosody struct {
	*child
	c2sAddr string
	s2sPort int
}

// startProsody configures Prosody in a directory of its own, registers the
// sink account, starts it, publishes its s2s SRV record and waits until
// both listeners accept.
func (e *env) startProsody(ctx context.Context) (*prosody, error) {
	host, port, err := net.SplitHostPort(e.dns.Addr())
	if err != nil || port != "53" {
		return nil, fmt.Errorf("msgbench: Prosody's resolver only queries port 53; the DNS server is on %q", e.dns.Addr())
	}
	dir := filepath.Join(e.dir, "prosody")
	certDir := filepath.Join(dir, "certs")
	for _, d := range []string{certDir, filepath.Join(dir, "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("msgbench: %w", err)
		}
	}
	cert, key := filepath.Join(certDir, xmppDomain+".crt"), filepath.Join(certDir, xmppDomain+".key")
	if err := writeCert(xmppDomain, cert, key); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte("nameserver "+host+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("msgbench: %w", err)
	}
	ports, err := freeTCPPorts(2)
	if err != nil {
		return nil, err
	}
	// Logging at warn: Prosody logs every stanza at debug, which would be
	// the bottleneck.
	cfg, err := testpeer.Prosody{Dir: dir, Domain: xmppDomain, Cert: cert, Key: key,
		C2SPort: ports[0], S2SPort: ports[1], LogFile: filepath.Join(dir, "prosody.log"), LogLevel: "warn"}.Config()
	if err != nil {
		return nil, fmt.Errorf("msgbench: %w", err)
	}
	cfgPath := filepath.Join(dir, "prosody.cfg.lua")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		return nil, fmt.Errorf("msgbench: %w", err)
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	reg := exec.CommandContext(rctx, e.prosodyctl, "--config", cfgPath, "register", sinkUser, xmppDomain, sinkPassword)
	reg.Dir = dir
	if out, err := reg.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("msgbench: prosodyctl register: %w\n%s", err, out)
	}
	p := &prosody{c2sAddr: loopback(ports[0]), s2sPort: ports[1]}
	p.child, err = startChild("prosody", filepath.Join(dir, "prosody.out"), dir, e.prosodyBin, "-F", "--config", cfgPath)
	if err != nil {
		return nil, err
	}
	for _, addr := range []string{p.c2sAddr, loopback(p.s2sPort)} {
		if err := waitUntil(rctx, p.child, "prosody listening on "+addr, dialable(addr)); err != nil {
			p.stop(5 * time.Second)
			return nil, err
		}
	}
	e.publish("_xmpp-server._tcp."+xmppDomain, "s2s."+xmppDomain, p.s2sPort)
	return p, nil
}
