#!/usr/bin/env bash
# run --metrics against the real thing: a short run against the embedded server with --metrics on
# loopback, `promtool check metrics` on a scrape of it, and a Prometheus server (Debian package
# `prometheus`, loopback only, its data in a temporary directory) scraping it every second; at the end
# Prometheus must have stored msnbench's series and its count of successful logins must match the run's.
#
#   scripts/metrics.sh            # DURATION=15s
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
DURATION=${DURATION:-15s}
command -v prometheus >/dev/null && command -v promtool >/dev/null ||
  { echo "metrics.sh: needs prometheus and promtool (Debian: apt-get install prometheus)" >&2; exit 2; }
source scripts/lib.sh # $work, removed at exit
prom_pid= run_pid=
trap '[ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null; [ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

go build -o "$work/msnbench" ./cmd/msnbench
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mport=$(port) pport=$(port)

"$work/msnbench" run -c 4 -d "$DURATION" --quiet --metrics "127.0.0.1:$mport" -o "$work/run.json" \
  >"$work/run.log" 2>&1 &
run_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$mport/metrics" >/dev/null && break; sleep 0.1; done

cat >"$work/prometheus.yml" <<YML
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: msnbench
    static_configs: [{targets: ["127.0.0.1:$mport"]}]
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$pport" >"$work/prometheus.log" 2>&1 &
prom_pid=$!

sleep 3
echo "== promtool check metrics"
curl -sf "http://127.0.0.1:$mport/metrics" >"$work/scrape.txt"
promtool check metrics <"$work/scrape.txt"
grep -c '^msnbench_' "$work/scrape.txt" | sed 's/^/msnbench samples in one scrape: /'

# The last scrape before the run ends: keep querying while it goes.
q() { curl -sf "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
  python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'; }
last= p99= hp99= up=
while kill -0 "$run_pid" 2>/dev/null; do
  v=$(q 'msnbench_sessions_total{outcome="ok"}' || true)
  [ -n "$v" ] && last=$v
  v=$(q 'msnbench_phase_latency_seconds{phase="login",quantile="0.99"}' || true)
  [ -n "$v" ] && p99=$v
  v=$(q 'histogram_quantile(0.99, sum by (le) (msnbench_phase_latency_hist_seconds_bucket{phase="login"}))' || true)
  [ -n "$v" ] && [ "$v" != NaN ] && hp99=$v
  v=$(q 'up{job="msnbench"}' || true)
  [ "$v" = 1 ] && up=1 # once scraped; the scrape after the run's end finds it gone (up 0)
  sleep 1
done
wait "$run_pid" || { cat "$work/run.log"; echo "metrics.sh: msnbench run failed" >&2; exit 1; }
run_pid=
ok=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["ok"])' "$work/run.json")
echo "run: $ok ok logins; Prometheus: last stored msnbench_sessions_total{outcome=\"ok\"} $last, login p99 ${p99:-?}s" \
  "(summary), ${hp99:-?}s (histogram_quantile over the buckets)"
[ "$up" = 1 ] && [ -n "$p99" ] && [ -n "$hp99" ] && [ -n "$last" ] || { tail -20 "$work/prometheus.log"; echo "metrics.sh: Prometheus stored no msnbench series (up=${up:-none} p99=${p99:-none} hist p99=${hp99:-none} ok=${last:-none})" >&2; exit 1; }
# histogram_quantile interpolates within a bucket: it lands within one 1-2-5 step (x2.5) of the summary's p99
# (both are of the run so far, as of the same closed interval, give or take a scrape).
python3 -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if b/2.5 <= a <= b*2.5 else 1)' "$hp99" "$p99" ||
  { echo "metrics.sh: histogram p99 $hp99 s is not within a bucket step of the summary's $p99 s" >&2; exit 1; }
# The last scrape was up to a scrape interval before the end.
python3 -c 'import sys; ok,last=int(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if 0 < last <= ok else 1)' "$ok" "$last" ||
  { echo "metrics.sh: Prometheus' count $last does not fit the run's $ok" >&2; exit 1; }
echo "ok"
