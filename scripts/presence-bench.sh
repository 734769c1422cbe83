#!/usr/bin/env bash
# CPU time per presence notification (issue 14), client and server apart: `msnbench serve --contacts K` in one
# process, `msnbench run` in another, on loopback. Each round runs the same held load twice, without and with
# --status-every, and charges the difference in CPU time (client: the report's generator CPU; server: its
# /proc/PID/stat utime+stime) to the notifications the second run timed. CPU time, not wall-clock: the figures hold
# on a busy machine, and the load average is printed beside them.
#
#   C=500 CONTACTS=20 HOLD=20s EVERY=500ms ROUNDS=3 scripts/presence-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

C=${C:-500}
CONTACTS=${CONTACTS:-20}
HOLD=${HOLD:-20s}
EVERY=${EVERY:-500ms}
ROUNDS=${ROUNDS:-3}
IO=${IO:-loop}

go build -o "$work/msnbench" ./cmd/msnbench
start_serve --ns 127.0.0.1:0 --sb off --contacts "$CONTACTS" --accounts "$C" --stats-every 0
tick=$(getconf CLK_TCK)
server_cpu() { awk -v t="$tick" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$server_pid/stat"; }

# run NAME [extra flags]: one held run; prints "client_cpu_s server_cpu_s notifications lost"
run() {
  local name=$1
  shift
  local s0 s1
  s0=$(server_cpu)
  MSNBENCH_PASSWORD=password "$work/msnbench" run --target "$ns" --target-role ns --io "$IO" -c "$C" \
    --hold "$HOLD" --ping 0 --no-probe --quiet -o "$work/$name.json" "$@" >/dev/null
  s1=$(server_cpu)
  python3 - "$work/$name.json" "$s0" "$s1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
h = r["health"]
d = next((d for d in r.get("deliveries", []) if d["phase"] == "presence"), {"expected": 0, "lost": 0})
print("%.3f %.3f %d %d" % (h["cpu_user_s"] + h["cpu_sys_s"], float(sys.argv[3]) - float(sys.argv[2]),
                           d["expected"], d["lost"]))
EOF
}

echo "serve --contacts $CONTACTS --accounts $C; run --io $IO -c $C --hold $HOLD --ping 0, --status-every $EVERY"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %10s %10s %10s %10s %6s %14s %14s\n' round base_cli base_srv pres_cli pres_srv lost \
  "cli_us/notif" "srv_us/notif"
for i in $(seq 1 "$ROUNDS"); do
  read -r bc bs _ _ <<<"$(run base$i)"
  read -r pc ps n lost <<<"$(run pres$i --status-every "$EVERY")"
  python3 - "$i" "$bc" "$bs" "$pc" "$ps" "$n" "$lost" <<'EOF'
import sys
i, bc, bs, pc, ps, n, lost = sys.argv[1], *map(float, sys.argv[2:])
cli = (pc - bc) / n * 1e6 if n else float("nan")
srv = (ps - bs) / n * 1e6 if n else float("nan")
print("%-6s %10.2f %10.2f %10.2f %10.2f %6d %14.2f %14.2f   (%d notifications)" % (i, bc, bs, pc, ps, lost, cli, srv, n))
EOF
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
