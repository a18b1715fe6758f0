package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sxgw/sxgw/internal/dnsres"
	"github.com/sxgw/sxgw/internal/dnstest"
)

// Directions, as named on the command line.
const (
	modeSIPGo      = "sip-go"
	modeSIPProsody = "sip-prosody"
	modeXMPPSIP    = "xmpp-sip"
)

// env is what every direction shares.
type env struct {
	dir        string
	sxgwBin    string
	sipp       string
	prosodyBin string
	prosodyctl string
	dns        *dnstest.Server
	res        *dnsres.Resolver
	stepDur    time.Duration
	pairs      int
	progress   io.Writer
	out        io.Writer
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("msgbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		sxgwBin    = fs.String("sxgw", "", "sxgw binary (required)")
		dir        = fs.String("dir", "", "work directory for configurations, logs and data (required)")
		dnsAddr    = fs.String("dns", "127.0.0.2:53", "address of the DNS server; on port 53 of another 127.0.0.x if taken")
		modes      = fs.String("modes", modeSIPGo+","+modeSIPProsody+","+modeXMPPSIP, "directions to measure")
		ratesGo    = fs.String("rates-sip-go", "2000,5000,7500,10000,15000,20000,40000", "SIP -> Go s2s server rates (messages/s)")
		ratesPros  = fs.String("rates-sip-prosody", "2000,3500,5000,7500,10000,15000,20000", "SIP -> Prosody rates (messages/s)")
		ratesXMPP  = fs.String("rates-xmpp-sip", "2000,5000,7500,10000,15000,20000,40000", "XMPP -> SIP rates (messages/s)")
		step       = fs.Duration("step", 10*time.Second, "duration of each step")
		pairs      = fs.Int("pairs", 2000, "XMPP -> SIP conversations (sender/recipient pairs)")
		sipp       = fs.String("sipp", "sipp", "sipp binary")
		prosodyBin = fs.String("prosody", "prosody", "prosody binary")
		prosodyctl = fs.String("prosodyctl", "prosodyctl", "prosodyctl binary")
		deadline   = fs.Duration("deadline", 9*time.Minute, "bound on the whole run")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *sxgwBin == "" || *dir == "" || *step < time.Second || *pairs < 1 {
		fmt.Fprintln(stderr, "msgbench: -sxgw and -dir are required; -step >= 1s; -pairs >= 1")
		fs.Usage()
		return 2
	}
	rates := map[string][]int{}
	for mode, s := range map[string]string{modeSIPGo: *ratesGo, modeSIPProsody: *ratesPros, modeXMPPSIP: *ratesXMPP} {
		r, err := parseRates(s)
		if err != nil {
			fmt.Fprintf(stderr, "msgbench: rates of %s: %v\n", mode, err)
			return 2
		}
		rates[mode] = r
	}
	ctx, cancel := context.WithTimeout(context.Background(), *deadline)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	absDir, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintln(stderr, "msgbench:", err)
		return 1
	}
	if err := os.MkdirAll(absDir, 0o755); err != nil {
		fmt.Fprintln(stderr, "msgbench:", err)
		return 1
	}
	e := &env{
		dir: absDir, sxgwBin: *sxgwBin, sipp: *sipp, prosodyBin: *prosodyBin, prosodyctl: *prosodyctl,
		stepDur: *step, pairs: *pairs, progress: stderr, out: stdout,
	}
	if err := writeScenarios(e.dir); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	e.dns, err = startDNS(*dnsAddr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer e.dns.Close()
	// Records live a minute, as real ones would be cached: sxgw then
	// resolves once per peer, not once per message.
	e.dns.SetTTL(60)
	e.res, err = dnsres.New(dnsres.Options{Server: e.dns.Addr()})
	if err != nil {
		fmt.Fprintln(stderr, "msgbench:", err)
		return 1
	}
	e.logf("DNS on %s, work directory %s, steps of %v", e.dns.Addr(), e.dir, e.stepDur)
	printEnvironment(stdout)

	status := 0
	for _, mode := range strings.Split(*modes, ",") {
		mode = strings.TrimSpace(mode)
		var t *table
		switch mode {
		case modeSIPGo:
			t, err = e.runSIPToGo(ctx, rates[mode])
		case modeSIPProsody:
			t, err = e.runSIPToProsody(ctx, rates[mode])
		case modeXMPPSIP:
			t, err = e.runXMPPToSIP(ctx, rates[mode])
		default:
			err = fmt.Errorf("msgbench: unknown direction %q", mode)
		}
		if t != nil {
			t.print(stdout)
		}
		if err != nil {
			fmt.Fprintf(stderr, "msgbench: %s: %v\n", mode, err)
			status = 1
		}
		if ctx.Err() != nil {
			break
		}
	}
	return status
}

// parseRates reads a comma-separated list of positive rates.
func parseRates(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		r, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || r <= 0 {
			return nil, fmt.Errorf("bad rate %q", f)
		}
		out = append(out, r)
	}
	return out, nil
}

// startDNS serves DNS on addr, or on port 53 of the next loopback addresses
// when addr is taken (another test run may hold it).
func startDNS(addr string) (*dnstest.Server, error) {
	d, err := dnstest.Start(addr)
	if err == nil {
		return d, nil
	}
	first := err
	if !strings.HasPrefix(addr, "127.0.0.") || !strings.HasSuffix(addr, ":53") {
		return nil, fmt.Errorf("msgbench: DNS on %s: %w", addr, first)
	}
	for i := 3; i < 20; i++ {
		if d, err := dnstest.Start("127.0.0." + strconv.Itoa(i) + ":53"); err == nil {
			return d, nil
		}
	}
	return nil, fmt.Errorf("msgbench: DNS on %s (Prosody only queries port 53: run as root): %w", addr, first)
}

// publish points service at target:port and target at 127.0.0.1,
// replacing what was there.
func (e *env) publish(service, target string, port int) {
	e.dns.Remove(service)
	e.dns.Remove(target)
	e.dns.AddSRV(service, target, uint16(port), 0, 0)
	e.dns.AddA(target, "127.0.0.1")
}

func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(e.progress, "msgbench: "+format+"\n", args...)
}

// printEnvironment prints what the figures depend on.
func printEnvironment(w io.Writer) {
	cpus := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		n := strings.Count(string(b), "\nprocessor\t") + 1
		model := ""
		for _, l := range strings.Split(string(b), "\n") {
			if name, ok := strings.CutPrefix(l, "model name\t: "); ok {
				model = name
				break
			}
		}
		cpus = fmt.Sprintf("%d × %s", n, model)
	}
	load := "?"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	fmt.Fprintf(w, "CPUs: %s; load average at start: %s\n", cpus, load)
}

// errNoDelivery reports a warm-up that never got through.
var errNoDelivery = errors.New("msgbench: the warm-up message was never delivered")
