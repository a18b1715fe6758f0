#!/usr/bin/env bash
# Prints sxgw's room fan-out figures: a room of 1,000 occupants (500 MSRP
# participants, 500 XMPP occupants reached over one s2s stream), one message
# in, every copy out (BenchmarkRoomFanout, in process, loopback):
#   - ms/fanout: message in to the last copy received (mean; -max: slowest);
#   - ms/fanout-core: message in to the last copy handed to a transport,
#     from sxgw's own histogram (sxgw_gateway_room_fanout_seconds);
#   - us-cpu/copy: process CPU per delivered copy, receivers included;
#   - %other-load: what the rest of the machine used meanwhile.
# Then, from CPU profiles of the timed loops alone: the CPU split between
# sxgw and the in-process receivers (pprof label "side"), sxgw's CPU per
# copy without the receivers, and sxgw's top functions by cumulative time.
#
# Takes about a minute: filling the room (about 500,000 occupant presences
# over s2s) takes 15-25 s, then both variants run COUNT times.
#
# Usage: bench/rooms.sh
# Environment:
#   BENCHTIME=150x   messages per run
#   COUNT=3          runs per variant
#   TOP=15           functions listed per variant
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d "${TMPDIR:-/tmp}/sxgw-rooms.XXXXXX")"
trap 'rm -rf "$work"' EXIT

status=0
SXGW_ROOMS_CPUPROFILE="$work" go test -run '^$' -bench '^BenchmarkRoomFanout$' \
	-benchtime "${BENCHTIME:-150x}" -count "${COUNT:-3}" ./bench/ >"$work/out.txt" 2>&1 || status=$?
grep -E '^(goos|goarch|cpu|Benchmark)' "$work/out.txt" || true
if [ "$status" -ne 0 ]; then
	grep -vE '^(goos|goarch|cpu|pkg|Benchmark)' "$work/out.txt" >&2 || true
	exit "$status"
fi

for variant in xmpp msrp; do
	profiles=("$work"/fanout-"$variant"-*.pprof)
	[ -e "${profiles[0]}" ] || continue
	echo
	echo "== from=$variant: where the CPU goes (profiles of the timed loops)"
	# Mean us-cpu/copy of the runs, and the side split of all samples:
	# "side: Total 1.45s of 1.66s (87.35%)" then "920ms (55.42%): sxgw".
	cpu="$(awk -v v="from=$variant" '$1 ~ v { for (i = 3; i < NF; i++) if ($(i+1) == "us-cpu/copy") { s += $i; n++ } }
		END { if (n) printf "%.3f", s / n }' "$work/out.txt")"
	go tool pprof -tags "${profiles[@]}" 2>/dev/null | awk -v cpu="$cpu" '
		$1 == "side:" { side = 1; next }
		side && /%\): / { pct = $2; gsub(/[(%):]/, "", pct); share[$3] = pct; next }
		side && NF == 0 { side = 0 }
		END {
			s = share["sxgw"] + 0; r = share["receiver"] + 0; u = 100 - s - r
			printf "CPU samples: sxgw %.1f%%, receivers %.1f%%, unlabelled (GC workers, runtime) %.1f%%\n", s, r, u
			if (cpu != "" && s + r > 0) {
				printf "sxgw CPU per copy without the receivers: %.2f us (labelled only) to %.2f us (GC shared in proportion), of %.2f us measured\n",
					cpu * s / 100, cpu * (s + u * s / (s + r)) / 100, cpu
			}
		}'
	echo "-- sxgw side, top ${TOP:-15} gateway/msrp/xmpp functions by cumulative CPU"
	go tool pprof -top -cum -nodecount="${TOP:-15}" -tagfocus 'side=sxgw' \
		-show '^github.com/sxgw/sxgw/(gateway|sip/msrp|xmpp)\.' "${profiles[@]}" 2>/dev/null |
		sed -n '/flat%/,$p'
done
cat <<'EOF'

The receivers (a Go s2s server for xmpp.test, an MSRP endpoint for the participants' clients) run in the
same process: us-cpu/copy includes their TLS decryption and parsing. The target is < 100 ms per fan-out on
2 cores; wall-clock figures mean little when %other-load is high.
EOF
