#!/usr/bin/env bash
# Error rates of `msnbench compare` on real runs of this machine (docs/benchmarks.md, "Comparing runs"): how often
# an A/A comparison exits 1 (false alarm) and how often an A/B comparison with an injected delay finds `login` p50
# slower (power), for each design:
#
#   single   one run per side (`compare a.json b.json`): A/A pairs are two runs in a row against the same server
#   3+3      three runs per side (`compare --a a1 a2 a3 --b b1 b2 b3`), three baseline runs then three candidate runs
#   live     `compare --run` against two servers, interleaved rounds
#
# The servers are `msnbench serve` on loopback (free ports), notification server only. Every server waits a
# delay on ns.usr.s, so that all of them take the same delayed-reply path and a difference in the delay is a
# difference in login time: A (and A2, its twin for live A/A) BASE_DELAY (300us), B that plus 5 % or 10 % of A's
# login p50 (measured first), and plus 3 ms. The effect really applied is printed too (the B/A change of login
# p50 pooled over all runs).
#
# Stages (STAGES, default "collect analyze live"):
#   collect  SINGLE_CYCLES cycles of runs: $CYCLE, by default A A B10 A A B5 (each -d $RUN_D at --rate $RATE), saved
#            under $OUT/single; CYCLE="A A A A A A" collects A/A runs only (the analyze stage then skips the B rows)
#   analyze  the designs single and 3+3 (in blocks, and alternating) on the saved runs, with the msnbench built
#            from this tree; for single runs also what the time batches and --assume-independent would say
#   live     LIVE_AA A/A and LIVE_B10 +10 % trials of `compare --run` ($LIVE_ARGS), LIVE_B5 +5 % trials with
#            $LIVE_LONG_ARGS, LIVE_MS +3 ms trials; with LIVE_ALT_ARGS, the A/A and +10 % trials alternate between
#            $LIVE_ARGS (trials aa-1, b10-1, ...) and $LIVE_ALT_ARGS (aa-alt-1, b10-alt-1, ...), so that two
#            designs meet the same machine
# Counts are printed with 95 % Clopper-Pearson intervals; load averages are printed before and after each stage.
# Loopback only; every loop is bounded. About 50 minutes with the defaults on a 2-core machine (10 for collect,
# 35-40 for live).
#
#   scripts/compare-error-rates.sh
#   OUT=/tmp/cer STAGES=analyze scripts/compare-error-rates.sh     # re-analyse kept runs with a new build
set -euo pipefail
cd "$(dirname "$0")/.."
command -v jq >/dev/null || { echo "needs jq (apt-get install jq)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "needs python3 (for the binomial intervals)" >&2; exit 2; }

STAGES=${STAGES:-collect analyze live}
RATE=${RATE:-200}
BASE_DELAY=${BASE_DELAY:-300}  # us
RUN_D=${RUN_D:-10s}
SINGLE_CYCLES=${SINGLE_CYCLES:-8}
CYCLE=${CYCLE:-A A B10 A A B5}
LIVE_AA=${LIVE_AA:-10}
LIVE_B10=${LIVE_B10:-10}
LIVE_B5=${LIVE_B5:-3}
LIVE_MS=${LIVE_MS:-2}
# compare --run's own round length (1 s at this rate since the third series; the first two passed -d 3s)
LIVE_ARGS=${LIVE_ARGS:---precision 5% --max-time 110s}
LIVE_LONG_ARGS=${LIVE_LONG_ARGS:---precision 5% --max-time 4m}
LIVE_ALT_ARGS=${LIVE_ALT_ARGS:-}
# On a busy machine most runs carry the generator-limited warning (schedule lag), which makes latency inconclusive;
# the measurement judges them anyway and counts how many were.
COMPARE_ARGS=${COMPARE_ARGS:---allow-limited}
# LIVE_SAVE=1 keeps every live trial's rounds ($OUT/live/NAME-I/a-1.json, ...) for judging them again offline.
LIVE_SAVE=${LIVE_SAVE:-}
OUT=${OUT:-}

work=$(mktemp -d)
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/compare-error-rates.XXXXXX)
mkdir -p "$OUT/single" "$OUT/live"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/msnbench" ./cmd/msnbench
export MSNBENCH_PASSWORD=password

# serve NAME PHASE-DELAYS: starts a server, sets the variable NAME to its address.
serve() {
  local name=$1 delays=$2 log="$work/serve-$1.log" line=
  "$work/msnbench" serve --ns 127.0.0.1:0 --accounts 2000 --password password --stats-every 0 \
    --phase-delay "$delays" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    line=$(grep -m 1 '^listening' "$log" || true)
    [ -n "$line" ] && break
    sleep 0.1
  done
  [ -n "$line" ] || { cat "$log"; echo "msnbench serve did not start" >&2; exit 1; }
  printf -v "$name" '%s' "$(sed -n 's/.* ns=\([^ ]*\).*/\1/p' <<<"$line")"
}
run() { # run TARGET FILE [args]: one run, saved as JSON
  local target=$1 file=$2
  shift 2
  "$work/msnbench" run --target "$target" --rate "$RATE" -d "$RUN_D" --accounts 1000 --max-inflight 500 --quiet \
    -o "$file" "$@" >/dev/null
}
p50() { jq '[.phases[] | select(.name == "login")][0].summary.p50' "$1"; }
load() { echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)  ($1)"; }
# ci K N: the count, the rate and its 95 % Clopper-Pearson interval
ci() {
  python3 - "$1" "$2" <<'EOF'
import sys
from math import comb
k, n = int(sys.argv[1]), int(sys.argv[2])
def cdf(k, n, p): return sum(comb(n, i) * p**i * (1-p)**(n-i) for i in range(k+1))
def solve(f, lo=0.0, hi=1.0):
    for _ in range(100):
        mid = (lo+hi)/2
        if f(mid): lo = mid
        else: hi = mid
    return (lo+hi)/2
low = 0.0 if k == 0 else solve(lambda p: 1-cdf(k-1, n, p) < 0.025)
high = 1.0 if k == n else solve(lambda p: cdf(k, n, p) > 0.025)
print(f"{k}/{n} = {100*k/n:.0f} % (95 % CI {100*low:.0f}-{100*high:.0f} %)")
EOF
}
# flagged JSON: how many judged percentiles have an interval above 0 and a change beyond the threshold, counted or
# not (what the exit code would say if one run's time batches were trusted)
flagged() { jq '.threshold as $t | [.phases[].percentiles[]? | select(.judged and .low > 0 and .change > $t)] | length' "$1"; }
# judge JSON: prints "slower" if login p50 was judged slower, else its verdict
judge() { jq -r '[.phases[] | select(.phase == "login")][0].percentiles[] | select(.percentile == 50) | .verdict' "$1"; }

# The delays: A's login p50 from two runs (discarded), then B = A + share of it on ns.usr.s.
setup_servers() {
  serve A "ns.usr.s=${BASE_DELAY}us"
  serve A2 "ns.usr.s=${BASE_DELAY}us"
  run "$A" "$work/w1.json"
  run "$A" "$work/w2.json"
  local p
  p=$(( ($(p50 "$work/w1.json") + $(p50 "$work/w2.json")) / 2 ))
  d10=$(( p / 10 )) d5=$(( p / 20 ))
  echo "A login p50 ${p}us: +10 % = ${d10}us, +5 % = ${d5}us on ns.usr.s"
  echo "$p $d10 $d5" >"$OUT/delays"
  serve B10 "ns.usr.s=$((BASE_DELAY + d10))us"
  serve B5 "ns.usr.s=$((BASE_DELAY + d5))us"
  serve B3ms "ns.usr.s=$((BASE_DELAY + 3000))us"
}

if [[ " $STAGES " == *" collect "* || " $STAGES " == *" live "* ]]; then
  setup_servers
fi

if [[ " $STAGES " == *" collect "* ]]; then
  load "before collect"
  n=0 nb=0
  for c in $(seq 1 "$SINGLE_CYCLES"); do
    for s in $CYCLE; do
      case $s in
      A) n=$((n + 1)); run "$A" "$OUT/single/a-$(printf %03d $n).json" ;;
      *) nb=$((nb + 1)); run "${!s}" "$OUT/single/$(tr A-Z a-z <<<"$s")-$(printf %03d $nb).json" ;;
      esac
    done
    echo "cycle $c/$SINGLE_CYCLES done; $(cut -d' ' -f1-3 /proc/loadavg)"
  done
  load "after collect"
fi

# compare_exit ARGS...: the exit code of a comparison, its JSON in $work/c.json
compare_exit() {
  local code=0
  # shellcheck disable=SC2086
  "$work/msnbench" compare --quiet --json "$work/c.json" $COMPARE_ARGS "$@" || code=$?
  [ "$code" -le 1 ] || { echo "compare failed ($code): $*" >&2; exit 1; }
  echo "$code"
}

if [[ " $STAGES " == *" analyze "* ]]; then
  mapfile -t as < <(ls "$OUT"/single/a-*.json)
  limited=$(for f in "$OUT"/single/*.json; do jq -r '.health.saturated' "$f"; done | grep -c true || true)
  echo "runs: ${#as[@]} A, $(ls "$OUT"/single/ | grep -vc '^a-') B; generator-limited (health.saturated): $limited"
  # single A/A: disjoint pairs of consecutive A runs; the default, the batches as if they counted, and the old
  # behaviour (--assume-independent)
  k=0 kb=0 ko=0 n=0
  for ((i = 0; i + 1 < ${#as[@]}; i += 2)); do
    n=$((n + 1))
    [ "$(compare_exit "${as[i]}" "${as[i+1]}")" = 1 ] && k=$((k + 1))
    [ "$(flagged "$work/c.json")" -gt 0 ] && kb=$((kb + 1))
    [ "$(compare_exit --assume-independent "${as[i]}" "${as[i+1]}")" = 1 ] && ko=$((ko + 1))
  done
  echo "single A/A exit 1: $(ci $k $n)"
  echo "  if the time batches counted: $(ci $kb $n)"
  echo "  --assume-independent (the values' bootstrap): $(ci $ko $n)"
  # 3+3 A/A: disjoint groups of six consecutive A runs, the first three against the next three
  k=0 n=0
  for ((i = 0; i + 5 < ${#as[@]}; i += 6)); do
    n=$((n + 1))
    [ "$(compare_exit --a "${as[@]:i:3}" --b "${as[@]:i+3:3}")" = 1 ] && k=$((k + 1))
  done
  echo "3+3 A/A exit 1: $(ci $k $n)"
  # 3+3 A/A interleaved: the same groups of six, odd runs against even runs
  k=0 n=0
  for ((i = 0; i + 5 < ${#as[@]}; i += 6)); do
    n=$((n + 1))
    [ "$(compare_exit --a "${as[i]}" "${as[i+2]}" "${as[i+4]}" --b "${as[i+1]}" "${as[i+3]}" "${as[i+5]}")" = 1 ] && k=$((k + 1))
  done
  echo "3+3 A/A interleaved (A B A B A B) exit 1: $(ci $k $n)"
  # a cycle is A A B10 A A B5: B10 of cycle j follows A run 4j+1, B5 follows 4j+3
  for b in b10 b5; do
    off=1
    [ $b = b5 ] && off=3
    mapfile -t bs < <(ls "$OUT"/single/$b-*.json 2>/dev/null)
    [ "${#bs[@]}" -gt 0 ] || continue # CYCLE without $b runs
    # single A/B: each B run against the A run just before it
    k=0 kx=0 n=0
    for ((j = 0; j < ${#bs[@]} && 4 * j + off < ${#as[@]}; j++)); do
      n=$((n + 1))
      [ "$(compare_exit "${as[4 * j + off]}" "${bs[j]}")" = 1 ] && kx=$((kx + 1))
      [ "$(judge "$work/c.json")" = slower ] && k=$((k + 1))
    done
    echo "single A/${b#b}%: login p50 slower $(ci $k $n); exit 1 $(ci $kx $n)"
    k=0 kx=0 n=0
    # 3+3 A/B: three B runs against the A runs just before them
    for ((j = 0; j + 2 < ${#bs[@]} && 4 * j + 8 + off < ${#as[@]}; j += 3)); do
      n=$((n + 1))
      [ "$(compare_exit --a "${as[4*j+off]}" "${as[4*j+4+off]}" "${as[4*j+8+off]}" --b "${bs[@]:j:3}")" = 1 ] && kx=$((kx + 1))
      [ "$(judge "$work/c.json")" = slower ] && k=$((k + 1))
    done
    [ "$n" -gt 0 ] && echo "3+3 A/${b#b}%: login p50 slower $(ci $k $n); exit 1 $(ci $kx $n)"
    # the effect really applied: pooled B against pooled A
    compare_exit --a "${as[@]}" --b "${bs[@]}" >/dev/null
    echo "  applied effect ${b#b}%: login p50 $(jq -r '[.phases[] | select(.phase == "login")][0].percentiles[] | select(.percentile == 50) | "\(.a_us)us -> \(.b_us)us (\(.change * 1000 | round / 10) %)"' "$work/c.json")"
  done
fi

# live NAME TARGET-B TRIALS ARGS...: compare --run trials A against TARGET-B (LIVE_FIRST: the first trial's number)
live() {
  local name=$1 tb=$2 trials=$3 k=0 kx=0 t0 t1 code first=${LIVE_FIRST:-1}
  shift 3
  [ "$trials" -gt 0 ] || return 0
  t0=$(date +%s)
  for i in $(seq "$first" $((first + trials - 1))); do
    code=0 save=() s0=$(date +%s)
    [ -z "$LIVE_SAVE" ] || save=(--save-dir "$OUT/live/$name-$i")
    # shellcheck disable=SC2086
    "$work/msnbench" compare --run --target "$A" --target "$tb" --rate "$RATE" --accounts 1000 --max-inflight 500 \
      --quiet --json "$work/c.json" "${save[@]}" $COMPARE_ARGS "$@" >"$OUT/live/$name-$i.txt" 2>&1 || code=$?
    [ "$code" -le 1 ] || { cat "$OUT/live/$name-$i.txt"; echo "compare --run failed ($code)" >&2; exit 1; }
    cp "$work/c.json" "$OUT/live/$name-$i.json"
    # one line per trial: exit code, login p50's verdict and interval, seconds
    echo "$name-$i exit $code login p50 $(jq -r '[.phases[] | select(.phase == "login")][0].percentiles[] | select(.percentile == 50) | "\(.verdict) \(.change * 1000 | round / 10) % [\(.low * 1000 | round / 10), \(.high * 1000 | round / 10)]"' "$work/c.json") $(($(date +%s) - s0)) s" | tee -a "$OUT/live/trials.txt"
    [ "$code" = 1 ] && kx=$((kx + 1))
    [ "$(judge "$work/c.json")" = slower ] && k=$((k + 1))
  done
  t1=$(date +%s)
  echo "live $name ($*): login p50 slower $(ci $k "$trials"); exit 1 $(ci $kx "$trials"); $(( (t1 - t0) / trials )) s per trial"
}

if [[ " $STAGES " == *" live "* ]]; then
  load "before live"
  if [ -n "$LIVE_ALT_ARGS" ]; then
    for i in $(seq 1 "$LIVE_AA"); do
      # shellcheck disable=SC2086
      LIVE_FIRST=$i live aa "$A2" 1 $LIVE_ARGS
      # shellcheck disable=SC2086
      LIVE_FIRST=$i live aa-alt "$A2" 1 $LIVE_ALT_ARGS
    done
    for i in $(seq 1 "$LIVE_B10"); do
      # shellcheck disable=SC2086
      LIVE_FIRST=$i live b10 "$B10" 1 $LIVE_ARGS
      # shellcheck disable=SC2086
      LIVE_FIRST=$i live b10-alt "$B10" 1 $LIVE_ALT_ARGS
    done
  else
    # shellcheck disable=SC2086
    live aa "$A2" "$LIVE_AA" $LIVE_ARGS
    # shellcheck disable=SC2086
    live b10 "$B10" "$LIVE_B10" $LIVE_ARGS
  fi
  # shellcheck disable=SC2086
  live b5 "$B5" "$LIVE_B5" $LIVE_LONG_ARGS
  # shellcheck disable=SC2086
  live b3ms "$B3ms" "$LIVE_MS" $LIVE_ARGS
  load "after live"
fi
echo "runs and comparisons kept in $OUT"
