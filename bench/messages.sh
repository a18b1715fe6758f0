#!/usr/bin/env bash
# Prints sxgw's message throughput figures against real peers on loopback:
#   1. SIP -> XMPP: sipp UAC -> sxgw -> s2s -> a Go server for xmpp.test;
#   2. SIP -> XMPP: sipp UAC -> sxgw -> s2s -> Prosody -> a Go c2s client;
#   3. XMPP -> SIP: a Go server for xmpp.test -> s2s -> sxgw -> sipp UAS,
#      over many conversations;
#   4. allocations per translated message (Go benchmarks with -benchmem).
# For 1-3, each rate step reports the offered and delivered rate, loss, SIP
# retransmissions, end-to-end latency (p50/p99, from the send time carried in
# each body to the arrival at the final recipient) and sxgw's CPU per
# message; then the highest rate sustained with < 0.1% loss and no
# retransmission, and the latency at half that rate. bench/cmd/msgbench does
# the work; this script builds it and sxgw, and runs it.
#
# Needs root (the DNS server must be on port 53 of a loopback address, the
# only port Prosody's resolver queries), what scripts/install-test-deps.sh
# installs, and Go. Not part of `make test`: it takes 2 to 7 minutes (steps
# stop at the first failing rate) and its figures depend on the machine and
# on whatever else runs on it (the "other load %" column shows how much did).
#
# Usage: bench/messages.sh
# Environment:
#   STEP=10s                  duration of each rate step
#   MODES=sip-go,sip-prosody,xmpp-sip
#   RATES_SIP_GO=2000,5000,7500,10000,15000,20000,40000
#   RATES_SIP_PROSODY=2000,3500,5000,7500,10000,15000,20000
#   RATES_XMPP_SIP=2000,5000,7500,10000,15000,20000,40000
# Steps run in increasing order until one fails (loss, retransmissions or
# failures), then once more at half the highest passing rate.
#   PAIRS=2000                XMPP -> SIP conversations
#   BENCHTIME=20000x          for the allocation benchmarks
#   KEEP=1                    keep the work directory (configs, logs)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "messages.sh: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root: the DNS server listens on port 53 (Prosody queries no other port)"
for cmd in go sipp prosody prosodyctl; do
	command -v "$cmd" >/dev/null 2>&1 || die "$cmd not found: run scripts/install-test-deps.sh"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/sxgw-bench.XXXXXX")"
child=""
cleanup() {
	# Only what this script started, by PID; msgbench stops its own
	# children (and they die with it in any case).
	if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
		kill -TERM "$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		log "kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run_child runs a command in the background and waits for it, so that the
# traps can stop it; it returns the command's status.
run_child() {
	"$@" &
	child=$!
	local status=0
	wait "$child" || status=$?
	child=""
	return "$status"
}

log "building sxgw and msgbench"
run_child go build -o "$work/sxgw" ./cmd/sxgw
run_child go build -o "$work/msgbench" ./bench/cmd/msgbench

status=0
run_child "$work/msgbench" -sxgw "$work/sxgw" -dir "$work/run" \
	-step "${STEP:-10s}" -pairs "${PAIRS:-2000}" \
	-modes "${MODES:-sip-go,sip-prosody,xmpp-sip}" \
	-rates-sip-go "${RATES_SIP_GO:-2000,5000,7500,10000,15000,20000,40000}" \
	-rates-sip-prosody "${RATES_SIP_PROSODY:-2000,3500,5000,7500,10000,15000,20000}" \
	-rates-xmpp-sip "${RATES_XMPP_SIP:-2000,5000,7500,10000,15000,20000,40000}" \
	-deadline 8m || status=$?

echo
echo "== Allocations per translated message (go test -bench, -benchmem; in process, one s2s stream, UDP on loopback)"
bench_out="$work/bench.txt"
run_child go test -run '^$' \
	-bench '^(BenchmarkSIPEndpointMessages|BenchmarkSIPToXMPP|BenchmarkSIPToXMPPCore|BenchmarkXMPPToSIP|BenchmarkXMPPToSIPCore|BenchmarkS2SMessages)$' \
	-benchmem -benchtime "${BENCHTIME:-20000x}" ./bench/ >"$bench_out" 2>&1 || status=$?
awk '
	/^Benchmark/ {
		name = $1; sub(/-[0-9]+$/, "", name)
		ns = ""; b = ""; allocs = ""; rate = ""
		for (i = 3; i < NF; i++) {
			if ($(i+1) == "ns/op") ns = $i
			if ($(i+1) == "B/op") b = $i
			if ($(i+1) == "allocs/op") allocs = $i
			if ($(i+1) == "msgs/s" || $(i+1) == "stanzas/s") rate = $i
		}
		printf "%-24s %10s ns/op %8s B/op %6s allocs/op %10s\n", name, ns, b, allocs, (rate == "" ? "" : rate "/s")
		next
	}
	/FAIL|panic|Error|error/ { print }
' "$bench_out"
cat <<'EOF'
SIPEndpointMessages: the SIP side alone (UDP fast path, a stand-in core);
SIPToXMPP / XMPPToSIP: whole path through real sockets (SIP, core, s2s), both ends in the same process;
*Core: the core alone (address mapping, translation, encoding); S2SMessages: one s2s stream, both ends.
EOF
exit "$status"
