#!/usr/bin/env bash
# Calibration of the generator-health verdicts (docs/benchmarks.md, "When is the generator the bottleneck?").
#
# Four kinds of run, each ROUNDS times, printing per run the load average before it, the verdicts and the evidence
# (generator CPU over its cores, run-queue wait and its share of the time msnbench was ready to run, steal, how
# busy the machine was, sched.lag p50/p99, read.lag per login and its share of the login time):
#
#   light        `msnbench run --target SERVE --rate 100 -d 5s` against a separate `msnbench serve`: no warning
#   light-busy   the same beside one busy loop per core: no warning
#   confined-light  the light run with the generator and one busy loop on CPU 0 (taskset -c 0)
#   confined     the same at --rate 1000 (CONFINED_RATE; the generator needs 10-30 % of the core): "other processes kept the
#                machine busy"
#   saturated    `msnbench run -d 5s` (embedded server, closed model -c 50) on every core: "msnbench itself was
#                the bottleneck" when the evidence says so.
#
# On a machine other sessions keep busy (Linux autogroups share the CPUs between sessions, so `nice` alone does not
# help), AUTOGROUP_NICE=-10 runs the script in a session of its own at that autogroup nice (root only): its
# processes then get most of the CPUs, as on a quiet machine, and the others wait for the duration.
#
# Loopback only; every run is 5 s, every busy loop ends by itself (timeout), so the script is bounded
# (about 5 × ROUNDS × 8 s).
#
# MSNBENCH_BIN=path uses that binary instead of building one.
#
#   scripts/warn-calibrate.sh [rounds] [kinds...]      e.g. scripts/warn-calibrate.sh 3 light confined
set -euo pipefail
if [ -n "${AUTOGROUP_NICE:-}" ] && [ -z "${WARN_CALIBRATE_SESSION:-}" ]; then
  exec env WARN_CALIBRATE_SESSION=1 setsid -w "$0" "$@"
fi
[ -z "${AUTOGROUP_NICE:-}" ] || echo "$AUTOGROUP_NICE" >/proc/self/autogroup
cd "$(dirname "$0")/.."
rounds=${1:-3}
shift || true
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(light light-busy confined-light confined saturated)
. scripts/lib.sh
command -v jq >/dev/null || { echo "needs jq (apt-get install jq)" >&2; exit 2; }
command -v taskset >/dev/null || { echo "needs taskset (util-linux)" >&2; exit 2; }
if [ -n "${MSNBENCH_BIN:-}" ]; then cp "$MSNBENCH_BIN" "$work/msnbench"; else go build -o "$work/msnbench" ./cmd/msnbench; fi
export MSNBENCH_PASSWORD=calibrate
start_serve --ns 127.0.0.1:0 --accounts 10000

busy_pids=()
busy() { # busy CPU SECONDS: one busy loop on CPU (or any CPU for "-"), ending by itself
  if [ "$1" = - ]; then
    timeout "$2" sh -c 'while :; do :; done' &
  else
    timeout "$2" taskset -c "$1" sh -c 'while :; do :; done' &
  fi
  busy_pids+=($!)
}
unbusy() {
  for p in "${busy_pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  busy_pids=()
}
trap 'unbusy; stop_serve; rm -rf "$work"' EXIT

show() { # kind round loadavg file
  jq -r --arg kind "$1" --arg round "$2" --arg load "$3" '.health as $h |
    ($h.cpu_user_s + $h.cpu_sys_s) as $cpu |
    [$kind, $round, $load,
     (if $h.saturated then "GENERATOR" else "-" end), (if $h.machine_busy then "MACHINE" else "-" end),
     "cpu=\(($h.cpu_util*1000|round)/10)%/\($h.cores // "?")",
     "runq=\((($h.runq_wait_s // 0)*1000|round))ms",
     "others=\((($h.other_cpu // 0)*100|round))%",
     "runq_share=\((if ($h.runq_wait_s // 0) + $cpu > 0 then ($h.runq_wait_s // 0) / (($h.runq_wait_s // 0) + $cpu) * 100 | round else 0 end))%",
     "steal=\((($h.steal // 0)*1000|round)/10)%", "machine=\((($h.machine_cpu // 0)*100|round))%",
     "lag_p50=\($h.sched_lag_p50_us // 0)us", "lag_p99=\($h.sched_lag_p99_us)us",
     "read.lag=\($h.read_lag_mean_us // 0)us(\((($h.read_lag_share // 0)*100|round))%)",
     "logins=\(.counts.ok)"] | @tsv' "$4"
}

run_one() { # kind round
  local kind=$1 round=$2 load out="$work/$1-$2.json"
  load=$(cut -d' ' -f1 /proc/loadavg)
  case $kind in
    light)      timeout 60 "$work/msnbench" run --target "$ns" --accounts 10000 --rate 100 -d 5s --quiet -o "$out" >"${out%.json}.txt" ;;
    light-busy) for _ in $(seq 1 "$(nproc)"); do busy - 8; done
                timeout 60 "$work/msnbench" run --target "$ns" --accounts 10000 --rate 100 -d 5s --quiet -o "$out" >"${out%.json}.txt"; unbusy ;;
    confined-light) busy 0 8
                taskset -c 0 timeout 60 "$work/msnbench" run --target "$ns" --accounts 10000 --rate 100 -d 5s --quiet -o "$out" >"${out%.json}.txt"; unbusy ;;
    confined)   busy 0 8
                taskset -c 0 timeout 60 "$work/msnbench" run --target "$ns" --accounts 10000 --rate "${CONFINED_RATE:-1000}" -d 5s --quiet -o "$out" >"${out%.json}.txt"; unbusy ;;
    saturated)  timeout 60 "$work/msnbench" run -d 5s --quiet -o "$out" >"${out%.json}.txt" ;;
    *) echo "unknown kind $kind" >&2; exit 2 ;;
  esac
  show "$kind" "$round" "$load" "$out"
}

printf 'kind\tround\tload1\tgenerator\tmachine\tevidence...\n'
for kind in "${kinds[@]}"; do
  for r in $(seq 1 "$rounds"); do run_one "$kind" "$r"; done
done
