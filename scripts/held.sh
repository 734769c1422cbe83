#!/usr/bin/env bash
# Held sessions only (DESIGN.md §8: tens of thousands of held sessions on one 2-core machine): SESSIONS
# sessions ramp up over RAMP and stay logged in with a PNG every PING for DURATION, against the reference
# server in its own process(es); reports lost sessions, errors, ping latency and RSS per held session for
# the client and the server. It is scripts/soak.sh without the short-login generator; the same environment
# variables apply (see there), with these defaults:
#
#   scripts/held.sh                                   # 20,000 sessions, held 2 minutes, PNG every 20 s
#   SESSIONS=5000 DURATION=1m scripts/held.sh
set -euo pipefail
export SESSIONS=${SESSIONS:-20000} DURATION=${DURATION:-2m} PING=${PING:-20s} RAMP=${RAMP:-60s} \
  SAMPLE=${SAMPLE:-5s} RATE=0
exec "$(dirname "$0")/soak.sh"
