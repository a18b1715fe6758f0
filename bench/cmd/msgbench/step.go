package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// Pass criteria of a step (the "sustained" rate).
const (
	maxLossPct     = 0.1
	minOfferedFrac = 0.9 // the load generator reached 90% of the target
)

// stepResult is one row of a table.
type stepResult struct {
	label     string // the target rate, or "½ max"
	target    int
	sent      int64
	offered   float64 // messages/s sent
	delivered int64
	rate      float64 // messages/s delivered
	lossPct   float64
	retrans   int64
	failed    int64
	p50, p99  time.Duration
	sxgwUS    float64 // sxgw CPU µs per sent message
	sxgwCore  float64 // sxgw CPU, % of one core over the step
	sinkUS    float64 // CPU µs per message of the far end (see table.sink)
	uacCore   float64 // % of a core the sipp UAC used (SIP -> XMPP), 0 otherwise
	restCore  float64 // machine CPU not used by the benchmark's processes, % of one core
	notes     []string
	why       string // why the step does not pass; "" when it does
}

func (r *stepResult) passed() bool { return r.why == "" }

// judge fills why.
func (r *stepResult) judge() {
	var why []string
	if r.sent == 0 {
		why = append(why, "nothing sent")
	}
	if r.lossPct >= maxLossPct {
		why = append(why, fmt.Sprintf("loss %.2f%%", r.lossPct))
	}
	if r.retrans > 0 {
		why = append(why, "retransmissions")
	}
	if r.failed > 0 {
		why = append(why, "failures")
	}
	if r.offered < minOfferedFrac*float64(r.target) {
		why = append(why, fmt.Sprintf("load generator reached only %.0f/s", r.offered))
	}
	r.why = strings.Join(why, ", ")
}

// usage is a snapshot of the CPU time of the processes in a step and of
// the machine.
type usage struct {
	at          time.Time
	sxgw, sink  time.Duration
	self        time.Duration
	busy, total time.Duration
	drops       int64 // sxgw's SIP socket
}

// meter takes usage snapshots: sxgw, the far end (Prosody or the sipp
// UAS; nil when it is msgbench itself) and msgbench.
type meter struct {
	gw   *sxgw
	sink *child
}

func (m meter) sample() usage {
	u := usage{at: time.Now(), sxgw: m.gw.cpu()}
	if m.sink != nil {
		u.sink = m.sink.cpu()
	}
	u.self, _ = processCPU(os.Getpid())
	u.busy, u.total, _ = machineCPU()
	u.drops, _ = udpDrops(m.gw.sipPort)
	return u
}

// account fills the CPU columns of r from two snapshots; extra is CPU used
// by processes that ran and ended within the step (a sipp UAC).
func (m meter) account(r *stepResult, before, after usage, extra time.Duration) {
	wall := after.at.Sub(before.at)
	sx := after.sxgw - before.sxgw
	if r.sent > 0 {
		r.sxgwUS = float64(sx.Microseconds()) / float64(r.sent)
	}
	if wall > 0 {
		r.sxgwCore = 100 * sx.Seconds() / wall.Seconds()
	}
	sink := after.self - before.self
	if m.sink != nil {
		sink = after.sink - before.sink
	}
	if r.delivered > 0 {
		r.sinkUS = float64(sink.Microseconds()) / float64(r.delivered)
	}
	if extra > 0 && wall > 0 {
		// sipp's whole run, warm-up of the step and drain included: a
		// little more than the window measured.
		r.uacCore = 100 * extra.Seconds() / wall.Seconds()
	}
	ours := sx + (after.sink - before.sink) + (after.self - before.self) + extra
	if rest := (after.busy - before.busy) - ours; wall > 0 && rest > 0 {
		r.restCore = 100 * rest.Seconds() / wall.Seconds()
	}
	if d := after.drops - before.drops; d > 0 {
		r.notes = append(r.notes, fmt.Sprintf("sxgw's SIP socket dropped %d datagrams (receive buffer full)", d))
	}
}

// sxgwNotes describes the gateway counters that moved during a step,
// except successful translations.
func sxgwNotes(before, after map[string]float64) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(after)) {
		d := after[k] - before[k]
		if d <= 0 || strings.Contains(k, `result="ok"`) || strings.Contains(k, `class="2xx"`) {
			continue
		}
		out = append(out, fmt.Sprintf("sxgw %s +%.0f", k, d))
	}
	return out
}

// gatewayCounters are the sxgw counters whose movement a step reports.
func gatewayCounters() []string {
	return []string{"sxgw_gateway_messages_total", "sxgw_xmpp_bounced_stanzas_total", "sxgw_sip_requests_total", "sxgw_sip_retransmissions_absorbed_total"}
}

// settle waits until count() reaches want or stops moving for quiet,
// bounded by limit.
func settle(ctx context.Context, count func() int64, want int64, quiet, limit time.Duration) {
	deadline := time.Now().Add(limit)
	last, since := count(), time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
		n := count()
		if n >= want {
			return
		}
		if n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			return
		}
	}
}

// halfOf returns the rate at which to report latency: half the highest
// passing rate, or 0 when none passed.
func halfOf(rows []stepResult) int {
	best := 0
	for _, r := range rows {
		if r.passed() && r.label != labelHalf {
			best = max(best, r.target)
		}
	}
	return best / 2
}

const labelHalf = "½ max"
