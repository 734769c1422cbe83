#!/usr/bin/env bash
# CPU time per chat message (issue 14), client and server apart: `msnbench serve --contacts K` (with its
# switchboard) in one process, `msnbench run` in another, on loopback. Each round runs the same held load twice,
# without and with --chat-every, and charges the difference in CPU time (client: the report's generator CPU; server:
# its /proc/PID/stat utime+stime) to the messages the second run sent. Each message is one MSG A written, relayed,
# acknowledged and read at its receiver (held by the same run). CPU time, not wall-clock: the figures hold on a busy
# machine, and the load average is printed beside them. The client's peak RSS of both runs is printed too, with
# that of a run of 10 sessions, so memory per held session idle and chatting can be compared.
#
#   C=500 CONTACTS=10 HOLD=20s EVERY=500ms ROUNDS=2 scripts/chat-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

C=${C:-500}
CONTACTS=${CONTACTS:-10}
HOLD=${HOLD:-20s}
EVERY=${EVERY:-500ms}
ROUNDS=${ROUNDS:-2}
IO=${IO:-loop}

go build -o "$work/msnbench" ./cmd/msnbench
start_serve --ns 127.0.0.1:0 --sb 127.0.0.1:0 --contacts "$CONTACTS" --accounts "$C" --stats-every 0
tick=$(getconf CLK_TCK)
server_cpu() { awk -v t="$tick" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$server_pid/stat"; }

# run NAME C [extra flags]: one held run; prints "client_cpu_s server_cpu_s messages lost client_maxrss_kB"
run() {
  local name=$1 c=$2
  shift 2
  local s0 s1
  s0=$(server_cpu)
  MSNBENCH_PASSWORD=password /usr/bin/time -f %M -o "$work/$name.rss" "$work/msnbench" run --target "$ns" \
    --target-role ns --io "$IO" -c "$c" --hold "$HOLD" --ping 0 --no-probe --quiet -o "$work/$name.json" "$@" \
    >/dev/null
  s1=$(server_cpu)
  python3 - "$work/$name.json" "$s0" "$s1" "$(cat "$work/$name.rss")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
h = r["health"]
c = r.get("chat") or {"sent": 0, "lost": 0}
print("%.3f %.3f %d %d %s" % (h["cpu_user_s"] + h["cpu_sys_s"], float(sys.argv[3]) - float(sys.argv[2]),
                              c["sent"], c["lost"], sys.argv[4]))
PY
}

echo "serve --contacts $CONTACTS --accounts $C; run --io $IO -c $C --hold $HOLD --ping 0, --chat-every $EVERY"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
read -r _ _ _ _ rss0 <<<"$(run small 10)"
printf '%-6s %9s %9s %9s %9s %6s %12s %12s %10s %10s\n' round base_cli base_srv chat_cli chat_srv lost \
  "cli_us/msg" "srv_us/msg" "idle_kB/s" "chat_kB/s"
for i in $(seq 1 "$ROUNDS"); do
  read -r bc bs _ _ brss <<<"$(run base$i "$C")"
  read -r pc ps n lost prss <<<"$(run chat$i "$C" --chat-every "$EVERY")"
  python3 - "$i" "$bc" "$bs" "$pc" "$ps" "$n" "$lost" "$rss0" "$brss" "$prss" "$C" <<'PY'
import sys
i, bc, bs, pc, ps, n, lost, rss0, brss, prss, c = sys.argv[1], *map(float, sys.argv[2:])
cli = (pc - bc) / n * 1e6 if n else float("nan")
srv = (ps - bs) / n * 1e6 if n else float("nan")
print("%-6s %9.2f %9.2f %9.2f %9.2f %6d %12.2f %12.2f %10.1f %10.1f   (%d messages)" % (
    i, bc, bs, pc, ps, lost, cli, srv, (brss - rss0) / (c - 10), (prss - rss0) / (c - 10), n))
PY
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
