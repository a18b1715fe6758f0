package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// table is the result of one direction.
type table struct {
	title string
	sink  string // what the "far end µs/msg" column measures
	rows  []stepResult
	notes []string
}

func (t *table) print(w io.Writer) {
	fmt.Fprintf(w, "\n== %s\n", t.title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\ttarget/s\toffered/s\tdelivered/s\tloss %\tretrans\tfailed\tp50 ms\tp99 ms\tsxgw µs/msg\tsxgw core %\tfar end µs/msg\tsipp UAC core %\tother load %\t")
	for _, r := range t.rows {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.3f\t%d\t%d\t%s\t%s\t%.1f\t%.0f\t%.1f\t%.0f\t%.0f\t\n",
			r.label, r.target, r.offered, r.rate, r.lossPct, r.retrans, r.failed,
			ms(r.p50), ms(r.p99), r.sxgwUS, r.sxgwCore, r.sinkUS, r.uacCore, r.restCore)
	}
	tw.Flush()
	fmt.Fprintf(w, "far end = %s; other load = machine CPU not used by the benchmark's processes (other jobs, softirq)\n", t.sink)
	best, half := 0, (*stepResult)(nil)
	for i := range t.rows {
		r := &t.rows[i]
		if r.label == labelHalf {
			half = r
		} else if r.passed() {
			best = max(best, r.target)
		}
	}
	if best > 0 {
		fmt.Fprintf(w, "max sustained rate (< %.1f%% loss, no retransmission, no failure): %d messages/s\n", maxLossPct, best)
	} else {
		fmt.Fprintf(w, "max sustained rate: no step passed (< %.1f%% loss, no retransmission, no failure)\n", maxLossPct)
	}
	if half != nil {
		fmt.Fprintf(w, "latency at %d/s (half of it): p50 %s ms, p99 %s ms\n", half.target, ms(half.p50), ms(half.p99))
	}
	for _, r := range t.rows {
		if !r.passed() {
			fmt.Fprintf(w, "step %s did not pass: %s\n", r.label, r.why)
		}
		for _, n := range r.notes {
			fmt.Fprintf(w, "step %s: %s\n", r.label, n)
		}
	}
	for _, n := range t.notes {
		fmt.Fprintln(w, n)
	}
}

// ms formats a duration in milliseconds with two significant decimals
// below 10 ms.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case d == 0:
		return "-"
	case v < 10:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
	default:
		return fmt.Sprintf("%.0f", v)
	}
}
