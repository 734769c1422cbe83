#!/usr/bin/env bash
# Measurement accuracy, split into what the client adds and what the server and machine add (docs/benchmarks.md).
# For each server delay D: `msnbench serve --delay D` (notification server only) in its own process; then, one
# after another, a plain C client (scripts/bench/pingc.c, blocking sockets) and `msnbench run` holding one session
# with a PNG every 4 ms, with --spin 0, 100us and 5ms. Each prints the median PNG->QNG; minus D it is the excess.
# Loopback only; every loop is bounded (500 pings, 2.5 s holds).
#
#   scripts/accuracy.sh [rounds] [delays...]      e.g. scripts/accuracy.sh 3 0 2ms 10ms
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
shift || true
delays=("$@")
[ ${#delays[@]} -gt 0 ] || delays=(0 2ms)
. scripts/lib.sh
command -v jq >/dev/null || { echo "needs jq (apt-get install jq)" >&2; exit 2; }
cc -O2 -o "$work/pingc" scripts/bench/pingc.c -lcrypto
go build -o "$work/msnbench" ./cmd/msnbench

printf '%-6s %-5s %-22s %8s %8s\n' D round client p50_us p90_us
for d in "${delays[@]}"; do
  start_serve --ns 127.0.0.1:0 --accounts 10 --password password --delay "$d"
  for r in $(seq 1 "$rounds"); do
    read -r p50 p90 < <("$work/pingc" 127.0.0.1 "${ns#*:}" user0@example.com password 500 4000 | awk '{print $4, $6}')
    printf '%-6s %-5s %-22s %8s %8s\n' "$d" "$r" "pingc (C, blocking)" "$p50" "$p90"
    for spin in 0 100us 5ms; do
      MSNBENCH_PASSWORD=password "$work/msnbench" run --target "$ns" --accounts 10 --account-start 1 -c 1 -n 1 \
        --hold 2.5s --ping 4ms --steps none --spin "$spin" --quiet -o "$work/run.json" >/dev/null
      jq -r --arg d "$d" --arg r "$r" --arg s "msnbench --spin $spin" \
        '.phases[] | select(.name == "ping") | [$d, $r, $s, .summary.p50, .summary.p90] | @tsv' "$work/run.json" |
        awk -F'\t' '{printf "%-6s %-5s %-22s %8s %8s\n", $1, $2, $3, $4, $5}'
    done
  done
  stop_serve
done
