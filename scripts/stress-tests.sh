#!/usr/bin/env bash
# Runs the race-detector suite under CPU contention: `go test -race ./...` RUNS times (default 10) while a busy
# loop runs on every core, and reports which runs failed and which tests failed in them. Exit 1 on any failure.
#
#   scripts/stress-tests.sh            # 10 runs
#   scripts/stress-tests.sh 3          # 3 runs
#   PKGS=./loadgen scripts/stress-tests.sh 5
#
# The busy loops are bounded (BUSY_LIMIT seconds each, default 2 hours) and killed when the script ends, however it
# ends. Logs of failed runs are kept in LOGDIR (default a temporary directory, printed at the end).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
runs=${1:-10}
pkgs=${PKGS:-./...}
busy_limit=${BUSY_LIMIT:-7200}
logdir=${LOGDIR:-$(mktemp -d -t msnbench-stress.XXXXXX)}
mkdir -p "$logdir"
cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)

busy=()
gotest=
cleanup() {
  # go test runs in a process group of its own (setsid): stop it with its test binaries.
  if [ -n "$gotest" ]; then kill -TERM -- "-$gotest" 2>/dev/null || true; wait "$gotest" 2>/dev/null || true; fi
  for p in "${busy[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${busy[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for _ in $(seq "$cores"); do
  # A busy loop that ends by itself after busy_limit seconds, should this script be killed with SIGKILL.
  bash -c 'end=$((SECONDS + $1)); while [ "$SECONDS" -lt "$end" ]; do :; done' busy "$busy_limit" &
  busy+=($!)
done
echo "stress: $runs run(s) of go test -race $pkgs beside $cores busy loop(s); logs in $logdir"

failed_runs=0
declare -A failed_tests=()
for i in $(seq "$runs"); do
  log="$logdir/run-$i.log"
  start=$(date +%s)
  # In the background and waited for, so a signal to this script is handled at once.
  setsid go test -race -count=1 $pkgs >"$log" 2>&1 &
  gotest=$!
  wait "$gotest"
  rc=$?
  gotest=
  if [ "$rc" -eq 0 ]; then
    echo "run $i: ok ($(( $(date +%s) - start ))s)"
    rm -f "$log"
  else
    failed_runs=$((failed_runs + 1))
    tests=$(grep -E '^\s*--- FAIL' "$log" | awk '{print $3}' | sort -u | tr '\n' ' ')
    pkgsf=$(grep -E '^(FAIL|panic:)' "$log" | grep -v '^FAIL$' | tr '\n' ' ')
    echo "run $i: FAILED ($(( $(date +%s) - start ))s): ${tests:-no test named} ${pkgsf}(log $log)"
    for tname in $tests; do failed_tests[$tname]=$(( ${failed_tests[$tname]:-0} + 1 )); done
  fi
done

echo "stress: $failed_runs of $runs run(s) failed"
for tname in "${!failed_tests[@]}"; do echo "  $tname: failed in ${failed_tests[$tname]} run(s)"; done
[ "$failed_runs" -eq 0 ]
