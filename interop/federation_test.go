//go:build interop && linux

package interop

import (
	"fmt"
	"github.com/sxgw/sxgw/internal/dnstest"
	"testing"
	"time"
)

// Metric names and label values sxgw exposes for its s2s streams.
const (
	metricS2SStreams     = "sxgw_xmpp_s2s_streams"   // gauge {direction, state}
	metricStanzas        = "sxgw_xmpp_stanzas_total" // counter {direction, kind}
	stateEstablished     = "established"
	featureDiscoInfo     = "http://jabber.org/protocol/disco#info"
	federationWait       = 60 * time.Second // s2s setup, dialback both ways, on a busy machine
	discoTimeoutSeconds  = 30               // the driver's iq timeout for a disco#info across s2s
	federationTestBudget = 4 * time.Minute
)

// established returns how many s2s streams of direction ("in" or "out") are
// established.
func established(m metrics, direction string) float64 {
	return m.Sum(metricS2SStreams, "direction", direction, "state", stateEstablished)
}

// federation is Prosody serving xmpp.test and sxgw serving sip.test, each
// finding the other through the test DNS server.
type federation struct {
	dns     *dnstest.Server
	prosody *Prosody
	sxgw    *SXGW
}

func startFederation(t *testing.T) federation {
	t.Helper()
	if _, err := sxgwBinary(); err != nil {
		t.Fatal(err) // before starting anything: a build can take minutes
	}
	dns := startDNS(t)
	p := startProsody(t, t.TempDir(), dns)
	s := startSXGW(t, t.TempDir(), dns)
	return federation{dns: dns, prosody: p, sxgw: s}
}

// discoGateway sends disco#info from c to sip.test and checks that sxgw
// answers as a gateway (XEP-0030 §3.1; category "gateway", type "simple").
func discoGateway(t *testing.T, c *xmppClient) {
	t.Helper()
	ctx := testContext(t, federationWait)
	r := c.MustCommand(ctx, map[string]any{"cmd": "disco_info", "to": sxgwDomain, "timeout": discoTimeoutSeconds})
	assertDiscoInfo(t, r, sxgwDomain, "gateway", "simple", featureDiscoInfo)
}

// TestFederationDiscoInfo: a Prosody user's disco#info to sip.test reaches
// sxgw and is answered. Prosody finds sxgw through _xmpp-server._tcp.sip.test
// (RFC 6120 §3.2), secures the stream with STARTTLS (§5) and authenticates
// with Server Dialback (XEP-0220), sxgw verifying xmpp.test back; the answer
// travels on sxgw's own outbound stream to xmpp.test, authenticated the same
// way (s2s streams are unidirectional, RFC 6120 §4.2.2).
func TestFederationDiscoInfo(t *testing.T) {
	f := startFederation(t)
	alice := startXMPPClient(t, f.prosody, "alice")

	discoGateway(t, alice)

	ctx := testContext(t, federationWait)
	err := f.sxgw.WaitMetrics(ctx, "s2s streams established both ways", func(m metrics) error {
		in, out := established(m, "in"), established(m, "out")
		if in < 1 || out < 1 {
			return fmt.Errorf("established s2s streams: in=%v out=%v, want >= 1 each", in, out)
		}
		if m.Sum(metricStanzas, "direction", "in") < 1 || m.Sum(metricStanzas, "direction", "out") < 1 {
			return fmt.Errorf("stanzas: in=%v out=%v, want >= 1 each",
				m.Sum(metricStanzas, "direction", "in"), m.Sum(metricStanzas, "direction", "out"))
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// TestFederationProsodyRestart: when Prosody restarts, every s2s stream
// between it and sxgw is cut. Afterwards a new disco#info from a Prosody user
// is answered again (sxgw accepts the new inbound stream and dials a new
// outbound one), sxgw stays ready, and its gauges count exactly one
// established stream each way: the dead streams were noticed and dropped.
func TestFederationProsodyRestart(t *testing.T) {
	f := startFederation(t)
	alice := startXMPPClient(t, f.prosody, "alice")
	discoGateway(t, alice)
	ctx := testContext(t, federationTestBudget)
	if err := f.sxgw.WaitMetrics(ctx, "s2s streams established before the restart", func(m metrics) error {
		if in, out := established(m, "in"), established(m, "out"); in < 1 || out < 1 {
			return fmt.Errorf("established s2s streams: in=%v out=%v, want >= 1 each", in, out)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	f.prosody.Restart()
	if _, err := alice.WaitEvent(ctx, func(e xmppEvent) bool { return e.Str("event") == "disconnected" }); err != nil {
		t.Fatalf("alice's session did not end with Prosody's restart: %v", err)
	}

	again := startXMPPClient(t, f.prosody, "alice")
	discoGateway(t, again)

	waitCtx := testContext(t, federationWait)
	err := f.sxgw.WaitMetrics(waitCtx, "s2s streams re-established after Prosody's restart", func(m metrics) error {
		if err := f.sxgw.Ready(waitCtx); err != nil {
			return fmt.Errorf("not ready: %w", err)
		}
		if in, out := established(m, "in"), established(m, "out"); in != 1 || out != 1 {
			return fmt.Errorf("established s2s streams: in=%v out=%v, want exactly 1 each", in, out)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}
