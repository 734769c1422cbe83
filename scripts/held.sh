#!/usr/bin/env bash
# Held sessions only (DESIGN.md §8: tens of thousands of held sessions on one 2-core machine): SESSIONS
# sessions ramp up over RAMP and stay logged in with a PNG every PING for DURATION, against the reference
# server in its own process(es); reports lost sessions, errors, ping latency, and for the generators and
# the servers apart: sessions held, RSS per held session, CPU while holding (per 10,000 sessions) and CPU
# per login over the ramp. The sessions are split over as many `msnbench serve` + `msnbench run` pairs as
# the open-files limit needs (PARTS). It is scripts/soak.sh without the short-login generator; the same
# environment variables apply (see there), with these defaults:
#
#   scripts/held.sh                                   # 20,000 sessions, held 2 minutes, PNG every 20 s
#   SESSIONS=5000 DURATION=1m scripts/held.sh
#   SESSIONS=200000 RAMP=150s DURATION=3m PING=60s TIMEOUT=30s scripts/held.sh   # 11 pairs at 20,000 files
set -euo pipefail
export SESSIONS=${SESSIONS:-20000} DURATION=${DURATION:-2m} PING=${PING:-20s} RAMP=${RAMP:-60s} \
  SAMPLE=${SAMPLE:-5s} RATE=0
exec "$(dirname "$0")/soak.sh"
