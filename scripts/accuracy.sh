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
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill -INT "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
command -v jq >/dev/null || { echo "needs jq (apt-get install jq)" >&2; exit 2; }
cc -O2 -o "$work/pingc" scripts/bench/pingc.c -lcrypto
go build -o "$work/msnbench" ./cmd/msnbench

printf '%-6s %-5s %-22s %8s %8s\n' D round client p50_us p90_us
for d in "${delays[@]}"; do
  "$work/msnbench" serve --ns 127.0.0.1:0 --accounts 10 --password password --delay "$d" >"$work/serve.log" 2>&1 &
  server_pid=$!
  ns=
  for _ in $(seq 1 100); do
    ns=$(sed -n 's/.*ns=\(127\.0\.0\.1:[0-9]*\).*/\1/p' "$work/serve.log" | head -n 1)
    [ -n "$ns" ] && break
    sleep 0.1
  done
  [ -n "$ns" ] || { cat "$work/serve.log"; exit 1; }
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
  kill -INT "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
done
