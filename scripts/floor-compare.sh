#!/usr/bin/env bash
# CPU per login: msnbench's client against the plain C client floor.c (scripts/bench/floor.c, or
# ../shared/bench/floor.c when present).
# One `msnbench serve` per point; floor and `msnbench run` alternate (A B A B ...), same concurrency, same
# logins, login + OUT only; the median of each side and their ratio are printed.
# The machine is shared and noisy: only the ratio from one alternating series means anything.
#
#   scripts/floor-compare.sh [rounds] [concurrency] [logins-per-round]   # one point, server answering at once
#   scripts/floor-compare.sh grid [rounds]                                # the grid of issue 12, see below
#
# MSNBENCH_ARGS adds flags to every `msnbench run` (e.g. MSNBENCH_ARGS='--io net' for the goroutine engine);
# MSNBENCH=path measures that binary (server and client) instead of one built from this tree.
#
# grid: every server delay D in DELAYS (default '0 1ms 5ms 20ms', `serve --delay D`, a fresh server per
# point) times every concurrency c in CONCS (default '10 50 500'). Logins per run: about BUDGET seconds
# (default 3) of logins at that delay, at least 20 per session, at most MAX_LOGINS (default 10000) in all.
# Per point: CPU per login (user + sys) of each side (median of the rounds), the median of the rounds'
# ratios msnbench / floor and their range, the server's own CPU per login (its /proc times over the
# rounds), and, unless SYSCALLS=0, system calls per login of one more run of each side under
# `perf stat -e 'syscalls:sys_enter_*'` (at most SYSCALL_LOGINS logins, default 2000; the process's start
# and exit are in the count; perf's tracing makes those runs slow, their CPU is not used). It ends with a
# markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
floor_c=$(floor_source)
command -v jq >/dev/null || { echo "needs jq (apt-get install jq)" >&2; exit 2; }

cc -O2 -o "$work/floor" "$floor_c" -lpthread -lcrypto
if [ -n "${MSNBENCH:-}" ]; then cp "$MSNBENCH" "$work/msnbench"; else go build -o "$work/msnbench" ./cmd/msnbench; fi

median() { sort -g | awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# floor_run CONC PER_THREAD ACCOUNTS: prints "rate cpu user sys" per login.
floor_run() {
  local out
  out=$("$work/floor" -a "$ds" -c "$1" -n "$2" -u 'user%d@example.com' -r "$3" -p password)
  sed -n 's/.* rate=\([0-9.]*\) cpu_us_per_login=\([0-9.]*\) user_us=\([0-9.]*\) sys_us=\([0-9.]*\).*/\1 \2 \3 \4/p' <<<"$out"
}

# msnbench_run CONC LOGINS ACCOUNTS: prints "rate cpu user sys" per login (msnbench's own figures over the
# run, start-up excluded).
msnbench_run() {
  # shellcheck disable=SC2086
  MSNBENCH_PASSWORD=password "$work/msnbench" run --target "$ds" -c "$1" -n "$2" \
    --steps none --accounts "$3" --quiet ${MSNBENCH_ARGS:-} -o "$work/run.json" >/dev/null
  jq -r '
    def secs: (sub("\\.[0-9]+Z$";"Z")|fromdateiso8601) + ((capture("(?<f>\\.[0-9]+)Z$").f // "0")|tonumber);
    (.counts.ok) as $ok |
    [ (.counts.ok / ((.end|secs) - (.start|secs) | if . <= 0 then 1 else . end)),
      ((.health.cpu_user_s + .health.cpu_sys_s) / $ok * 1e6),
      (.health.cpu_user_s / $ok * 1e6),
      (.health.cpu_sys_s / $ok * 1e6) ] | map(. * 10 | round / 10) | join(" ")' "$work/run.json"
}

# server_ticks: the server's user + system CPU so far, in clock ticks.
server_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }

if [ "${1:-}" != grid ]; then
  rounds=${1:-5} conc=${2:-50} logins=${3:-10000}
  start_serve --ds 127.0.0.1:0 --ns 127.0.0.1:0 --accounts "$logins" --password password
  per_thread=$(( logins / conc ))
  logins=$(( per_thread * conc ))
  # floor picks account (thread*n + i) % r: with one account per login no two sessions share one.
  printf 'server %s, %d rounds, -c %d, %d logins per run, login + OUT only\n' "$ds" "$rounds" "$conc" "$logins"
  printf '%-6s %-9s %10s %10s %10s %10s\n' round client logins/s cpu_us user_us sys_us
  for r in $(seq 1 "$rounds"); do
    read -r f_rate f_cpu f_user f_sys < <(floor_run "$conc" "$per_thread" "$logins")
    printf '%-6s %-9s %10s %10s %10s %10s\n' "$r" floor "$f_rate" "$f_cpu" "$f_user" "$f_sys"
    echo "$f_cpu $f_user $f_sys" >>"$work/floor.txt"
    read -r m_rate m_cpu m_user m_sys < <(msnbench_run "$conc" "$logins" "$logins")
    printf '%-6s %-9s %10s %10s %10s %10s\n' "$r" msnbench "$m_rate" "$m_cpu" "$m_user" "$m_sys"
    echo "$m_cpu $m_user $m_sys" >>"$work/msnbench.txt"
  done
  for col in 1 2 3; do
    f=$(awk -v c=$col '{print $c}' "$work/floor.txt" | median)
    m=$(awk -v c=$col '{print $c}' "$work/msnbench.txt" | median)
    name=$(echo "cpu user sys" | awk -v c=$col '{print $c}')
    awk -v n="$name" -v f="$f" -v m="$m" 'BEGIN { printf "median %-5s us/login: floor %7.1f  msnbench %7.1f  ratio %.3f\n", n, f, m, (f > 0 ? m / f : 0) }'
  done
  exit 0
fi

rounds=${2:-3}
delays=${DELAYS:-0 1ms 5ms 20ms} concs=${CONCS:-10 50 500}
budget=${BUDGET:-3} max_logins=${MAX_LOGINS:-10000} sys_logins=${SYSCALL_LOGINS:-2000}
syscalls=${SYSCALLS:-1}
if [ "$syscalls" != 0 ] && ! perf stat -e 'syscalls:sys_enter_close' true >/dev/null 2>&1; then
  echo "perf cannot count system calls here (perf_event_paranoid, tracefs): SYSCALLS=0" >&2
  syscalls=0
fi
hz=$(getconf CLK_TCK)

# syscalls_per_login LOGINS FILE: "total top-calls..." from a perf stat -x, output.
syscalls_per_login() {
  local total top
  total=$(awk -F, -v n="$1" '$1 ~ /^[0-9]+$/ { t += $1 } END { printf "%.1f", t / n }' "$2")
  top=$(awk -F, -v n="$1" '$1 ~ /^[0-9]+$/ && $1 / n >= 0.5 { sub("syscalls:sys_enter_", "", $3); printf "%.1f %s\n", $1 / n, $3 }' "$2" |
    sort -gr | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 }')
  echo "$total${top:+ ($top)}"
}

echo "grid: D in {$delays} x c in {$concs}, $rounds rounds, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
: >"$work/table.txt"
for d in $delays; do
  dus=$(awk -v d="$d" 'BEGIN { v = d + 0; if (d ~ /us$|µs$/) v /= 1000; else if (d ~ /ms$/) v = v; else if (d ~ /s$/) v *= 1000; print v }')
  for c in $concs; do
    # about 8 round trips per login, each D plus ~0.2 ms
    pt=$(awk -v d="$dus" -v b="$budget" 'BEGIN { n = int(b * 1000 / (8 * (d + 0.2))); print (n < 20 ? 20 : n) }')
    [ $(( pt * c )) -gt "$max_logins" ] && pt=$(( max_logins / c ))
    [ "$pt" -lt 1 ] && pt=1
    n=$(( pt * c ))
    stop_serve
    start_serve --ds 127.0.0.1:0 --ns 127.0.0.1:0 --accounts "$n" --password password --delay "$d"
    : >"$work/f.txt"; : >"$work/m.txt"; : >"$work/ratio.txt"; : >"$work/srv.txt"
    for r in $(seq 1 "$rounds"); do
      s0=$(server_ticks)
      read -r _ f_cpu _ _ < <(floor_run "$c" "$pt" "$n")
      s1=$(server_ticks)
      read -r _ m_cpu _ _ < <(msnbench_run "$c" "$n" "$n")
      s2=$(server_ticks)
      echo "$f_cpu" >>"$work/f.txt"; echo "$m_cpu" >>"$work/m.txt"
      awk -v f="$f_cpu" -v m="$m_cpu" 'BEGIN { print (f > 0 ? m / f : 0) }' >>"$work/ratio.txt"
      awk -v a="$((s1 - s0))" -v b="$((s2 - s1))" -v hz="$hz" -v n="$n" \
        'BEGIN { print a / hz / n * 1e6; print b / hz / n * 1e6 }' >>"$work/srv.txt"
      printf 'D=%-5s c=%-4s round %d: %d logins, floor %s us, msnbench %s us\n' "$d" "$c" "$r" "$n" "$f_cpu" "$m_cpu"
    done
    f=$(median <"$work/f.txt"); m=$(median <"$work/m.txt"); ratio=$(median <"$work/ratio.txt")
    lo=$(sort -g "$work/ratio.txt" | head -1); hi=$(sort -g "$work/ratio.txt" | tail -1)
    srv=$(median <"$work/srv.txt")
    fs=- ms=-
    if [ "$syscalls" != 0 ]; then
      spt=$(( sys_logins / c )); [ "$spt" -lt 1 ] && spt=1; [ "$spt" -gt "$pt" ] && spt=$pt
      sn=$(( spt * c ))
      perf stat -x, -e 'syscalls:sys_enter_*' -o "$work/perf-f.txt" \
        "$work/floor" -a "$ds" -c "$c" -n "$spt" -u 'user%d@example.com' -r "$n" -p password >/dev/null
      # shellcheck disable=SC2086
      MSNBENCH_PASSWORD=password perf stat -x, -e 'syscalls:sys_enter_*' -o "$work/perf-m.txt" \
        "$work/msnbench" run --target "$ds" -c "$c" -n "$sn" --steps none --accounts "$n" --quiet \
        ${MSNBENCH_ARGS:-} -o "$work/run.json" >/dev/null
      fs=$(syscalls_per_login "$sn" "$work/perf-f.txt"); ms=$(syscalls_per_login "$sn" "$work/perf-m.txt")
    fi
    row=$(awk -v d="$d" -v c="$c" -v n="$n" -v f="$f" -v m="$m" -v r="$ratio" -v lo="$lo" -v hi="$hi" \
      -v s="$srv" -v fs="$fs" -v ms="$ms" \
      'BEGIN { printf "| %s | %s | %d | %.0f | %.0f | **%.2f** (%.2f–%.2f) | %.0f | %s | %s |", d, c, n, f, m, r, lo, hi, s, fs, ms }')
    echo "$row"; echo "$row" >>"$work/table.txt"
  done
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo '| D | c | logins per run | floor.c µs/login | msnbench µs/login | msnbench / floor.c (median of rounds; range) | server µs/login | floor.c syscalls/login | msnbench syscalls/login |'
echo '|---|---|---:|---:|---:|---:|---:|---|---|'
cat "$work/table.txt"
