#!/usr/bin/env bash
# Prints sxgw's throughput figures: stanzas/s and allocations per stanza
# through one s2s stream (loopback, TLS, dialback-authenticated).
# Message throughput through sxgw against real peers (sipp, Prosody), with
# allocations per translated message: bench/messages.sh (needs root).
# Room fan-out (1,000 occupants, time per message and CPU per copy): bench/rooms.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench 'BenchmarkS2SMessages' -benchmem -benchtime "${BENCHTIME:-200000x}" -count "${COUNT:-3}" ./bench/
