// Package bench holds sxgw's throughput benchmarks. They print figures
// (stanzas/s, allocations per stanza); run them with `make bench` or
// bench/run.sh. Nothing here is a pass/fail timing test.
package bench
