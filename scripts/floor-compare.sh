#!/usr/bin/env bash
# CPU per login: msnbench's client against the plain C client floor.c (scripts/bench/floor.c, or
# ../shared/bench/floor.c when present).
# One `msnbench serve` for the whole comparison; floor and `msnbench run` alternate (A B A B ...), same
# concurrency, same logins, login + OUT only; the median of each side and their ratio are printed.
# The machine is shared and noisy: only the ratio from one alternating series means anything.
#
#   scripts/floor-compare.sh [rounds] [concurrency] [logins-per-round]
#
# MSNBENCH_ARGS adds flags to every `msnbench run` (e.g. MSNBENCH_ARGS='--io net' for the goroutine engine).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5} conc=${2:-50} logins=${3:-10000}
. scripts/lib.sh
floor_c=$(floor_source)
command -v jq >/dev/null || { echo "needs jq (apt-get install jq)" >&2; exit 2; }

cc -O2 -o "$work/floor" "$floor_c" -lpthread -lcrypto
go build -o "$work/msnbench" ./cmd/msnbench
start_serve --ds 127.0.0.1:0 --ns 127.0.0.1:0 --accounts "$logins" --password password

per_thread=$(( logins / conc ))
logins=$(( per_thread * conc ))
# floor picks account (thread*n + i) % r: with one account per login no two sessions share one.
printf 'server %s, %d rounds, -c %d, %d logins per run, login + OUT only\n' "$ds" "$rounds" "$conc" "$((per_thread*conc))"
printf '%-6s %-9s %10s %10s %10s %10s\n' round client logins/s cpu_us user_us sys_us
for r in $(seq 1 "$rounds"); do
  out=$("$work/floor" -a "$ds" -c "$conc" -n "$per_thread" -u 'user%d@example.com' -r "$logins" -p password)
  f_rate=$(sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<<"$out")
  f_cpu=$(sed -n 's/.*cpu_us_per_login=\([0-9.]*\).*/\1/p' <<<"$out")
  f_user=$(sed -n 's/.*user_us=\([0-9.]*\).*/\1/p' <<<"$out")
  f_sys=$(sed -n 's/.*sys_us=\([0-9.]*\).*/\1/p' <<<"$out")
  printf '%-6s %-9s %10s %10s %10s %10s\n' "$r" floor "$f_rate" "$f_cpu" "$f_user" "$f_sys"
  echo "$f_cpu $f_user $f_sys" >>"$work/floor.txt"

  MSNBENCH_PASSWORD=password "$work/msnbench" run --target "$ds" -c "$conc" -n "$((per_thread*conc))" \
    --steps none --accounts "$logins" --quiet ${MSNBENCH_ARGS:-} -o "$work/run.json" >/dev/null
  read -r m_rate m_cpu m_user m_sys < <(jq -r '
    def secs: (sub("\\.[0-9]+Z$";"Z")|fromdateiso8601) + ((capture("(?<f>\\.[0-9]+)Z$").f // "0")|tonumber);
    (.counts.ok) as $ok |
    [ (.counts.ok / ((.end|secs) - (.start|secs) | if . <= 0 then 1 else . end)),
      ((.health.cpu_user_s + .health.cpu_sys_s) / $ok * 1e6),
      (.health.cpu_user_s / $ok * 1e6),
      (.health.cpu_sys_s / $ok * 1e6) ] | map(. * 10 | round / 10) | @tsv' "$work/run.json")
  printf '%-6s %-9s %10s %10s %10s %10s\n' "$r" msnbench "$m_rate" "$m_cpu" "$m_user" "$m_sys"
  echo "$m_cpu $m_user $m_sys" >>"$work/msnbench.txt"
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for col in 1 2 3; do
  f=$(awk -v c=$col '{print $c}' "$work/floor.txt" | median)
  m=$(awk -v c=$col '{print $c}' "$work/msnbench.txt" | median)
  name=$(echo "cpu user sys" | awk -v c=$col '{print $c}')
  awk -v n="$name" -v f="$f" -v m="$m" 'BEGIN { printf "median %-5s us/login: floor %7.1f  msnbench %7.1f  ratio %.3f\n", n, f, m, (f > 0 ? m / f : 0) }'
done
