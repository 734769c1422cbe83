#!/usr/bin/env bash
# Bounded soak (endurance) run against the reference server; not run by CI (DESIGN.md §3, §8).
#
# SESSIONS sessions log in (full login + SYN + CHG), ramped up over RAMP, and stay held with a PNG every PING
# for DURATION; alongside, a second generator makes RATE short logins per second (login, SYN, CHG, OUT) against
# the same server for the same DURATION, on other accounts. The RSS, open files and threads of every process
# are sampled every SAMPLE into samples.csv. At the end it prints lost sessions (must be 0), errors (must be 0),
# ping latency, and RSS per process: at the start and end of the steady part, its maximum, and per held
# session. Exit 0 only if nothing was lost, nothing failed and no process grew by more than FLAT_PCT % over the
# steady part; exit 1 otherwise, 2 on a setup problem.
#
#   scripts/soak.sh                                    # 20,000 held + 50 logins/s for 10 minutes
#   SESSIONS=2000 DURATION=1m RATE=20 scripts/soak.sh  # a quick try
#   scripts/held.sh                                    # held sessions only (RATE=0, DURATION=2m)
#
# Environment (defaults in brackets):
#   SESSIONS [20000]  held sessions in total       DURATION [10m]  steady part (after the ramp); s, m or h
#   RATE [50]         short logins/s (0: none)     PING [20s]      PNG interval of held sessions
#   RAMP [120s]       ramp of the held sessions    SAMPLE [10s]    RSS sampling interval
#   SOURCE [127.0.0.2-127.0.0.20]  local addresses to dial from (loopback only)
#   PARTS             server + generator pairs; default: as few as the open-files limit allows (below)
#   IO                the generators' --io (loop, net) [msnbench's default]
#   TIMEOUT           the generators' --timeout [msnbench's default]
#   FLAT_PCT [10]     largest RSS growth over the steady part still called flat
#   MSNBENCH          a msnbench binary to use instead of building ./cmd/msnbench
#   OUT               directory for logs, samples.csv and the JSON reports [a new temporary directory, kept]
#
# The generators' report interval is SAMPLE, not 1 s: a run keeps one encoded histogram per phase per
# interval in memory for its time series (by design, it grows with the run's length: ~2.7 KB/s of JSON for a
# login generator, more in RSS), and at 1 s that growth would hide a leak from the RSS check.
#
# Why PARTS: every held session is one socket in the generator and one in the server, and RLIMIT_NOFILE's
# hard limit caps the sockets of one process (20000 in the sandbox this was written in, and it cannot be
# raised there without CAP_SYS_RESOURCE). The held sessions are therefore split over PARTS pairs of
# `msnbench serve` + `msnbench run`, each pair on its own ports and its own accounts (the first
# SESSIONS % PARTS pairs hold one session more than the others); the RATE generator runs against the first
# server. Everything listens and dials on loopback only, every loop is bounded, and every
# process is stopped at the end (also on Ctrl-C or an error).
set -euo pipefail
cd "$(dirname "$0")/.."

SESSIONS=${SESSIONS:-20000}
DURATION=${DURATION:-10m}
RATE=${RATE:-50}
PING=${PING:-20s}
RAMP=${RAMP:-120s}
SAMPLE=${SAMPLE:-10s}
SOURCE=${SOURCE:-127.0.0.2-127.0.0.20}
FLAT_PCT=${FLAT_PCT:-10}

die() { echo "soak: $*" >&2; exit 2; }
# secs converts a Go-style duration made of one number and one unit (90s, 10m, 1h) to seconds.
secs() {
  case "$1" in
    *ms) echo 0 ;;
    *s) echo "${1%s}" ;;
    *m) echo $(( ${1%m} * 60 )) ;;
    *h) echo $(( ${1%h} * 3600 )) ;;
    *) die "duration $1: want a whole number of s, m or h" ;;
  esac
}
dur_s=$(secs "$DURATION") ramp_s=$(secs "$RAMP") sample_s=$(secs "$SAMPLE")
[[ "$SESSIONS" =~ ^[0-9]+$ && "$SESSIONS" -gt 0 ]] || die "SESSIONS must be a positive number"
[[ "$RATE" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "RATE must be a number"
[ "$dur_s" -gt 0 ] && [ "$ramp_s" -gt 0 ] && [ "$sample_s" -gt 0 ] || die "DURATION, RAMP and SAMPLE must be > 0"
case "$SOURCE" in 127.*) ;; *) die "SOURCE must be loopback (127.x.x.x)" ;; esac
command -v jq >/dev/null || die "needs jq (apt-get install jq)"

# Every process may use as many files as the hard limit allows.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
if [ -z "${PARTS:-}" ]; then
  if [ "$nofile" = unlimited ]; then PARTS=1; else
    # 1000 descriptors of headroom per process: listeners, stdio, dispatch connections in flight, and the
    # short logins of the RATE generator on the first server.
    per_max=$(( nofile - 1000 ))
    [ "$per_max" -gt 0 ] || die "open-files limit $nofile is too low"
    PARTS=$(( (SESSIONS + per_max - 1) / per_max ))
  fi
fi
[[ "$PARTS" =~ ^[0-9]+$ && "$PARTS" -gt 0 && "$PARTS" -le "$SESSIONS" ]] || die "PARTS must be 1 to SESSIONS"
# pers[p]: the sessions pair p holds; starts[p]: its first account.
pers=() starts=()
for p in $(seq 0 $(( PARTS - 1 ))); do
  pers+=($(( SESSIONS / PARTS + (p < SESSIONS % PARTS ? 1 : 0) )))
  starts+=($(( p == 0 ? 0 : starts[p - 1] + pers[p - 1] )))
done
per=${pers[0]} # the largest share
gen_args=()
[ -n "${IO:-}" ] && gen_args+=(--io "$IO")
[ -n "${TIMEOUT:-}" ] && gen_args+=(--timeout "$TIMEOUT")
rate_accounts=0
if [ "$RATE" != 0 ]; then
  # Enough accounts for every short login in flight (up to 10 s each at the default timeout).
  rate_accounts=$(awk -v r="$RATE" 'BEGIN { n = int(r * 10); if (n < 100) n = 100; print n }')
fi
accounts=$(( SESSIONS + rate_accounts ))
hold_s=$(( ramp_s + dur_s + 120 )) # longer than the run: each held session logs in once and out at the end
deadline_s=$(( ramp_s + dur_s + 300 ))

OUT=${OUT:-$(mktemp -d /tmp/msnbench-soak.XXXXXX)}
mkdir -p "$OUT"
export MSNBENCH_PASSWORD=soak-password

pids=() roles=()
cleanup() {
  local i
  for i in "${!pids[@]}"; do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  for i in "${!pids[@]}"; do
    # msnbench stops on SIGTERM like on Ctrl-C; give it 30 s, then kill this process (only ours, by pid).
    for _ in $(seq 1 300); do kill -0 "${pids[$i]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${MSNBENCH:-}" ]; then cp "$MSNBENCH" "$OUT/msnbench"; else go build -o "$OUT/msnbench" ./cmd/msnbench; fi
{
  echo "date: $(date -u +%FT%TZ)"
  echo "uptime: $(uptime)"
  echo "nofile: $nofile parts: $PARTS held per part: ${pers[*]} rate: $RATE/s accounts per server: $accounts"
  echo "SESSIONS=$SESSIONS DURATION=$DURATION RATE=$RATE PING=$PING RAMP=$RAMP SAMPLE=$SAMPLE SOURCE=$SOURCE" \
    "IO=${IO:-} TIMEOUT=${TIMEOUT:-}"
} | tee "$OUT/setup.txt"

# Servers.
ds=()
for p in $(seq 0 $(( PARTS - 1 ))); do
  "$OUT/msnbench" serve --ds 127.0.0.1:0 --ns 127.0.0.1:0 --accounts "$accounts" --stats-every "$SAMPLE" \
    >"$OUT/serve$p.log" 2>&1 &
  pids+=($!) roles+=("serve$p")
  addr=
  for _ in $(seq 1 300); do
    addr=$(sed -n 's/^listening ds=\(127\.0\.0\.1:[0-9]*\) .*/\1/p' "$OUT/serve$p.log" | head -n 1)
    [ -n "$addr" ] && break
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$OUT/serve$p.log"; die "msnbench serve $p exited"; }
    sleep 0.1
  done
  [ -n "$addr" ] || die "msnbench serve $p printed no dispatch address"
  ds+=("$addr")
done
idle_rss=()
for i in "${!pids[@]}"; do idle_rss+=("$(awk '/^VmRSS/ {print $2}' "/proc/${pids[$i]}/status")"); done
echo "${idle_rss[*]}" >"$OUT/idle_rss_kb.txt" # the servers' RSS before any login, in order

# Held sessions: each generator ramps to its share and holds it; the end of the stages ends the holds.
gen_first=${#pids[@]}
for p in $(seq 0 $(( PARTS - 1 ))); do
  "$OUT/msnbench" run --target "${ds[$p]}" --stages "${RAMP}:0->${pers[$p]},${DURATION}:${pers[$p]}" \
    --hold "${hold_s}s" --ping "$PING" --steps syn,chg --source "$SOURCE" "${gen_args[@]}" \
    --accounts "${pers[$p]}" --account-start "${starts[$p]}" --progress "$SAMPLE" --interval "$SAMPLE" \
    --label "held part $p" -o "$OUT/held$p.json" >"$OUT/held$p.log" 2>&1 &
  pids+=($!) roles+=("held$p")
done

# Short logins at RATE for the steady part: started by the sampling loop once the ramp is over.
rate_pid=
start_rate() {
  "$OUT/msnbench" run --target "${ds[0]}" --rate "$RATE" -d "$DURATION" --steps syn,chg \
    --source "$SOURCE" "${gen_args[@]}" --accounts "$rate_accounts" --account-start "$SESSIONS" --progress "$SAMPLE" \
    --interval "$SAMPLE" --label "short logins" -o "$OUT/rate.json" >"$OUT/rate.log" 2>&1 &
  rate_pid=$!
  pids+=($!) roles+=(rate)
}

# Sampling: one CSV row per process per SAMPLE until every generator has ended (bounded by deadline_s).
csv="$OUT/samples.csv"
echo "t_s,role,pid,rss_kb,fds,threads,count,cpu_s,loadavg" >"$csv"
hz=$(getconf CLK_TCK)
start=$(date +%s)
while :; do
  now=$(( $(date +%s) - start ))
  [ "$RATE" != 0 ] && [ -z "$rate_pid" ] && [ "$now" -ge "$ramp_s" ] && start_rate
  alive=0
  for i in "${!pids[@]}"; do
    pid=${pids[$i]} role=${roles[$i]}
    [ -r "/proc/$pid/status" ] || continue
    [ "$i" -ge "$gen_first" ] && alive=1
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    thr=$(awk '/^Threads/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    cpu=$(awk -v hz="$hz" '{ print ($14 + $15) / hz }' "/proc/$pid/stat" 2>/dev/null || true)
    # (|| true: a process that exits while it is looked at fails find, and with it the script.)
    fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l || true)
    case "$role" in
      serve*) cnt=$(sed -n 's/^stats .* online=\([0-9]*\) .*/\1/p' "$OUT/$role.log" | tail -n 1) ;;
      held*) cnt=$(grep -o 'held [0-9]*' "$OUT/$role.log" | tail -n 1 | cut -d' ' -f2 || true) ;;
      *) cnt=$(grep -o 'in flight [0-9]*' "$OUT/$role.log" | tail -n 1 | cut -d' ' -f3 || true) ;;
    esac
    [ -n "$rss" ] && echo "$now,$role,$pid,$rss,$fds,$thr,${cnt:-},$cpu,$(cut -d' ' -f1 /proc/loadavg)" >>"$csv"
  done
  [ "$alive" = 1 ] || break
  [ "$now" -lt "$deadline_s" ] || { echo "soak: still running after ${deadline_s}s, stopping" >&2; break; }
  sleep "$sample_s"
done
end_s=$(( $(date +%s) - start ))

# Generators have ended (or the deadline passed): reap them, then stop the servers.
status=0
for i in "${!pids[@]}"; do
  [ "$i" -ge "$gen_first" ] || continue
  kill -0 "${pids[$i]}" 2>/dev/null && kill -INT "${pids[$i]}" 2>/dev/null
  wait "${pids[$i]}" || { echo "soak: ${roles[$i]} exited with status $?" >&2; status=1; }
done
for i in $(seq 0 $(( gen_first - 1 ))); do
  kill -INT "${pids[$i]}" 2>/dev/null || true
  wait "${pids[$i]}" 2>/dev/null || true
done
pids=() # all stopped: nothing left for the trap

# Summary.
echo
echo "== soak summary ($OUT), ${end_s}s =="
lost=0 failed=0
for p in $(seq 0 $(( PARTS - 1 ))); do
  f="$OUT/held$p.json"
  per=${pers[$p]}
  [ -s "$f" ] || { echo "held$p: no report"; lost=$(( lost + per )); continue; }
  read -r ok fl peak < <(jq -r '[.counts.ok, .counts.failed, .health.peak_inflight] | @tsv' "$f")
  # A held session that ends early (ping or QRY timeout, kicked, closed) counts as ok (its login was) and
  # is only named in a warning; the closed model then starts a replacement login. Lost = those + the
  # sessions short of SESSIONS that were never held to the end; failed logins are counted apart.
  early=$(jq -r '[.health.warnings[]? | capture("^(?<n>[0-9]+) held sessions ended before") | .n | tonumber]
    | add // 0' "$f")
  l=$(( early + (per > ok - early ? per - (ok - early) : 0) ))
  lost=$(( lost + l )) failed=$(( failed + fl ))
  echo "held$p: ok $ok of $per, failed $fl, ended early $early, lost $l, peak in flight $peak"
  jq -r '.phases[] | select(.name == "ping" or .name == "login") |
    "  \(.name): n \(.summary.count)  p50 \(.summary.p50)us  p99 \(.summary.p99)us  max \(.summary.max)us"' "$f"
  jq -r '.errors[]? | "  error \(.phase) \(.class) \(.code // "") x\(.count)"' "$f"
  jq -r '.health.warnings[]? | "  warning: \(.)"' "$f"
done
if [ -n "$rate_pid" ]; then
  f="$OUT/rate.json"
  if [ -s "$f" ]; then
    read -r att ok fl dr < <(jq -r '[.counts.attempted, .counts.ok, .counts.failed, .counts.dropped] | @tsv' "$f")
    failed=$(( failed + fl + dr ))
    echo "rate: attempted $att, ok $ok, failed $fl, dropped $dr"
    jq -r '.phases[] | select(.name == "login" or .name == "session") |
      "  \(.name): n \(.summary.count)  p50 \(.summary.p50)us  p99 \(.summary.p99)us  max \(.summary.max)us"' "$f"
    jq -r '.errors[]? | "  error \(.phase) \(.class) \(.code // "") x\(.count)"' "$f"
  else
    echo "rate: no report"; failed=$(( failed + 1 ))
  fi
fi
for p in $(seq 0 $(( PARTS - 1 ))); do
  echo "serve$p: $(grep '^stopped' "$OUT/serve$p.log" | tail -n 1)"
done

# Memory: the steady part runs from a settling time after the ramp (a fifth of DURATION, at least two
# samples: heaps and pools reach their working size) to the end of DURATION.
settle_s=$(( dur_s / 5 )); [ "$settle_s" -ge $(( 2 * sample_s )) ] || settle_s=$(( 2 * sample_s ))
# held_of ROLE: the sessions that process holds.
held_of() { case "$1" in serve*) echo "${pers[${1#serve}]}" ;; held*) echo "${pers[${1#held}]}" ;; *) echo 0 ;; esac; }
echo
printf '%-7s %9s %12s %12s %12s %8s %7s %10s %10s %7s %10s %9s\n' process idle_MiB steady_first steady_last max_MiB \
  growth held held_seen kB/session cpu% cpu%/10k ms/login
growth_bad=0
totals=()
for i in "${!roles[@]}"; do
  role=${roles[$i]}
  idle=${idle_rss[$i]:-}
  row=$(awk -F, -v r="$role" -v a=$(( ramp_s + settle_s )) -v b=$(( ramp_s + dur_s )) -v ramp="$ramp_s" \
        -v idle="$idle" -v per="$(held_of "$role")" -v flat="$FLAT_PCT" '
    $2 == r { if ($4 > max) max = $4
              if (c_start == "") c_start = $8
              if ($1 <= ramp || c_ramp == "") c_ramp = $8
              if ($1 >= a && $1 <= b) { if (first == "") { first = $4; t0 = $1; c0 = $8 }; last = $4; t1 = $1; c1 = $8
                                        n++; if ($7 != "") cnt = $7 } }
    END {
      if (n == 0) { printf "%9s %12s %12s %12.1f %8s %7s %10s %10s %7s %10s %9s %d\n", "-", "-", "-", max/1024, "-",
                      per, "-", "-", "-", "-", "-", 0; exit }
      g = (last - first) * 100 / first
      base = (idle != "" ? idle : 0)
      held = per + 0
      kb = (held > 0 ? sprintf("%.1f", (last - base) / held) : "-")
      cpu = (t1 > t0 ? (c1 - c0) * 100 / (t1 - t0) : -1)
      cpu10k = (cpu >= 0 && held > 0 ? sprintf("%.2f", cpu * 10000 / held) : "-")
      # CPU per login over the ramp: everything the process did until the ramp ended (logins, and holding
      # the sessions already in) over the sessions it logged in.
      ms = (held > 0 ? sprintf("%.3f", (c_ramp - c_start) * 1000 / held) : "-")
      printf "%9s %12.1f %12.1f %12.1f %7.1f%% %7s %10s %10s %7s %10s %9s %d\n", \
        (idle != "" ? sprintf("%.1f", idle/1024) : "-"), first/1024, last/1024, max/1024, g, per, cnt, kb,
        (cpu >= 0 ? sprintf("%.1f", cpu) : "-"), cpu10k, ms, (g > flat ? 1 : 0)
      # for the totals: side, RSS over idle (kB), held, CPU seconds and wall seconds of the steady part
      printf "TOTAL %s %d %d %f %d %d\n", (r ~ /^serve/ ? "servers" : (r ~ /^held/ ? "generators" : "other")),
        last - base, held, c1 - c0, t1 - t0, cnt + 0 > "/dev/stderr"
    }' "$OUT/samples.csv" 2>>"$OUT/totals.txt")
  bad=${row##* }
  printf '%-7s %s\n' "$role" "${row% *}"
  [ "$bad" = 1 ] && growth_bad=1
done
echo "(MiB; steady = samples from RAMP+${settle_s}s to RAMP+DURATION; held = sessions of that process, held_seen"
echo " = the last count it reported; kB/session = (steady_last - idle) / held, idle = before any login for servers,"
echo " 0 for generators (their whole RSS counts); cpu% = CPU time over the steady part / its wall time (100 = one"
echo " core), cpu%/10k = that per 10,000 held sessions; ms/login = CPU time from the start to the end of the ramp"
echo " over the sessions logged in, holding included; samples in $OUT/samples.csv)"
echo
awk '$1 == "TOTAL" && $2 != "other" { kb[$2] += $3; held[$2] += $4; seen[$2] += $7; if ($6 > 0) cpu[$2] += $5 / $6 * 100 }
  END { for (s in kb) if (held[s] > 0)
          printf "%s: %d sessions (%d seen held at the end of the steady part), %.1f kB RSS per held session, " \
            "%.1f %% of a core while holding (%.2f %% per 10,000)\n",
            s, held[s], seen[s], kb[s] / held[s], cpu[s], cpu[s] * 10000 / held[s] }' "$OUT/totals.txt" | sort
rm -f "$OUT/totals.txt"
echo
echo "lost sessions: $lost  failed logins: $failed  RSS growth over ${FLAT_PCT}%: $([ $growth_bad = 1 ] && echo yes || echo no)"
if [ "$lost" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$growth_bad" = 1 ] || [ "$status" -ne 0 ]; then
  echo "soak: FAIL"
  exit 1
fi
echo "soak: PASS"
