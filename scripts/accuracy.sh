#!/usr/bin/env bash
# Measurement accuracy: does msnbench measure the delay D the server injects (docs/benchmarks.md)?
#
# light    For each D, `msnbench serve --delay D` (notification server only) in its own process; then, one after
#          another, a plain C client (scripts/bench/pingc.c, blocking sockets, 500 PNG->QNG 4 ms apart) and
#          `msnbench run` holding one session with a PNG every 4 ms, with --timestamps kernel (the default) and
#          --timestamps user. Each prints the median and p90 PNG->QNG in us.
# moderate For each D, `msnbench serve --delay D --chl` with a dispatch tier, and `msnbench run -c 4 -n 100
#          --hold 50ms --ping 20ms` (full logins with SYN, CHG, PNG, CHL/QRY) with each --timestamps setting:
#          per reply phase, median - D (end to end: the client's error plus the server's own lateness), and
#          median - D - the server's median lateness for that phase (the server's `late` lines: how late its
#          delayed replies of that phase left); the second is what the client and loopback add, the client's
#          accuracy. The line gives the largest and the median over the phases of each, the worst phase of the
#          second, and how late the server's delayed replies left on average (its late_us).
# Loopback only; every loop is bounded (500 pings, 2.5 s holds, 100 logins).
#
#   scripts/accuracy.sh [rounds] [delays...]      e.g. scripts/accuracy.sh 3 2ms 10ms
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
shift || true
delays=("$@")
[ ${#delays[@]} -gt 0 ] || delays=(2ms 10ms)
. scripts/lib.sh
command -v jq >/dev/null || { echo "needs jq (apt-get install jq)" >&2; exit 2; }
cc -O2 -o "$work/pingc" scripts/bench/pingc.c -lcrypto
go build -o "$work/msnbench" ./cmd/msnbench
us() { # a Go duration as whole microseconds
  awk -v d="$1" 'BEGIN { if (d ~ /ms$/) print int(d * 1000); else if (d ~ /us$|µs$/) print int(d); else if (d ~ /s$/) print int(d * 1e6); else print int(d) }'
}
late_us() { sed -n 's/^stopped .* late_us=\([0-9.]*\).*/\1/p' "$work/serve.log"; }

echo "light load: median and p90 PNG->QNG, us"
printf '%-6s %-5s %-30s %8s %8s\n' D round client p50_us p90_us
for d in "${delays[@]}"; do
  start_serve --ns 127.0.0.1:0 --accounts 10 --password password --delay "$d"
  for r in $(seq 1 "$rounds"); do
    read -r p50 p90 < <("$work/pingc" 127.0.0.1 "${ns#*:}" user0@example.com password 500 4000 | awk '{print $4, $6}')
    printf '%-6s %-5s %-30s %8s %8s\n' "$d" "$r" "pingc (C, blocking)" "$p50" "$p90"
    for ts in kernel user; do
      MSNBENCH_PASSWORD=password "$work/msnbench" run --target "$ns" --accounts 10 --account-start 1 -c 1 -n 1 \
        --hold 2.5s --ping 4ms --steps none --timestamps "$ts" --quiet -o "$work/run.json" >/dev/null
      jq -r --arg d "$d" --arg r "$r" --arg s "msnbench --timestamps $ts" \
        '.phases[] | select(.name == "ping") | [$d, $r, $s, .summary.p50, .summary.p90] | @tsv' "$work/run.json" |
        awk -F'\t' '{printf "%-6s %-5s %-30s %8s %8s\n", $1, $2, $3, $4, $5}'
    done
  done
  stop_serve
done

echo
echo "moderate load (-c 4, full logins): per reply phase median - D, and median - D - server's median lateness, us"
printf '%-6s %-5s %-11s %8s %8s %10s %10s %10s  %s\n' D round timestamps max med client_max client_med server_late worst
phases='["ds.ver","ds.inf","ds.usr","ns.ver","ns.inf","ns.usr.i","ns.usr.s","ns.syn","ns.chg","ping","qry"]'
for d in "${delays[@]}"; do
  for r in $(seq 1 "$rounds"); do
    for ts in kernel user; do
      start_serve --ds 127.0.0.1:0 --ns 127.0.0.1:0 --accounts 100 --password password --delay "$d" --chl
      MSNBENCH_PASSWORD=password "$work/msnbench" run --target "$ds" --accounts 100 -c 4 -n 100 --hold 50ms \
        --ping 20ms --timestamps "$ts" --quiet -o "$work/run.json" >/dev/null
      stop_serve
      # the server's median lateness per phase, as JSON: {"ns.syn": 12, ...}
      late=$(sed -n 's/^late \([^ ]*\) .* p50_us=\([0-9]*\).*/"\1": \2/p' "$work/serve.log" | paste -sd, | sed 's/^/{/; s/$/}/')
      jq -r --argjson d "$(us "$d")" --argjson names "$phases" --argjson late "$late" \
        '[.phases[] | select(.name as $n | $names | index($n)) |
          {n: .name, e: (.summary.p50 - $d), c: (.summary.p50 - $d - ($late[.name] // 0))}] as $p |
         ($p | sort_by(.e)) as $e | ($p | sort_by(.c)) as $c |
         "\($e[-1].e) \($e[($e | length / 2 | floor)].e) \($c[-1].c) \($c[($c | length / 2 | floor)].c) \($c[-1].n)"' \
        "$work/run.json" |
        while read -r mx md cmx cmd worst; do
          printf '%-6s %-5s %-11s %8s %8s %10s %10s %10s  %s\n' "$d" "$r" "$ts" "$mx" "$md" "$cmx" "$cmd" "$(late_us)" "$worst"
        done
    done
  done
done
