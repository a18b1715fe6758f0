//go:build interop

package sip

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sxgw/sxgw/translate"
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

// TestSippInvite has sipp call the endpoint over UDP and TCP: INVITE with
// an MSRP offer, 200 with Contact and an SDP answer, ACK to that Contact,
// BYE in the dialog; the scenario fails on anything else. The core sees
// the session, its ACK and its BYE in one dialog.
func TestSippInvite(t *testing.T) {
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Fatalf("sipp not installed (Debian package sip-tester): %v", err)
	}
	scenario, err := filepath.Abs(filepath.Join("testdata", "sipp_invite.xml"))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := startEndpoint(t, Options{})
	core := newInviteCore()
	core.setInvite(func(_ context.Context, _ translate.SIPInvite, progress func(int)) ([]byte, error) {
		progress(180)
		return []byte(answerSDP), nil
	})
	e.ServeInvites(core, nil)
	for _, c := range []struct{ transport, mode string }{{TransportUDP, "u1"}, {TransportTCP, "t1"}} {
		t.Run(c.transport, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, sipp, addrOf(t, e, c.transport).String(),
				"-sf", scenario, "-t", c.mode, "-i", "127.0.0.1", "-s", "alice",
				"-m", "1", "-nostdin", "-timeout", "15s", "-timeout_error")
			cmd.Dir = t.TempDir() // sipp may write logs into its working directory
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("sipp: %v\n%s", err, out)
			}
			inv := core.lastInvite(t)
			waitFor(t, core.gotAck, "SIPAck")
			waitFor(t, core.gotBye, "SIPBye")
			ack, bye := core.lastAck(t), core.lastBye(t)
			if !inv.New || inv.Subject != "sipp chat" || !strings.Contains(string(inv.SDP), "TCP/MSRP") ||
				ack.LocalTag != inv.Dialog.LocalTag || bye.LocalTag != inv.Dialog.LocalTag ||
				bye.RemoteTag != inv.Dialog.RemoteTag || bye.RemoteCSeq != 2 {
				t.Errorf("invite %+v\nack %+v\nbye %+v", inv, ack, bye)
			}
		})
	}
	if got := testutil.ToFloat64(e.m.requests.WithLabelValues("INVITE", "2xx")); got != 2 {
		t.Errorf("requests{INVITE,2xx} = %v, want 2", got)
	}
}
