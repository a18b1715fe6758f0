//go:build interop

package sip

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestSippOptions has sipp (Debian package sip-tester) send OPTIONS over
// UDP and TCP; its scenario fails unless the answer is 200 with Allow
// listing OPTIONS and a Server header.
func TestSippOptions(t *testing.T) {
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Fatalf("sipp not installed (Debian package sip-tester): %v", err)
	}
	scenario, err := filepath.Abs(filepath.Join("testdata", "sipp_options.xml"))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := startEndpoint(t, Options{})
	for _, c := range []struct{ transport, mode string }{{TransportUDP, "u1"}, {TransportTCP, "t1"}} {
		t.Run(c.transport, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, sipp, addrOf(t, e, c.transport).String(),
				"-sf", scenario, "-t", c.mode, "-i", "127.0.0.1",
				"-m", "1", "-nostdin", "-timeout", "10s", "-timeout_error")
			cmd.Dir = t.TempDir() // sipp may write logs into its working directory
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("sipp: %v\n%s", err, out)
			}
		})
	}
	if got := testutil.ToFloat64(e.m.requests.WithLabelValues("OPTIONS", "2xx")); got != 2 {
		t.Errorf("requests{OPTIONS,2xx} = %v, want 2", got)
	}
}
