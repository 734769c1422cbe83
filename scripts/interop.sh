#!/usr/bin/env bash
# Interop check: the independent C client floor.c logs in thousands of times against `msnbench serve` with a
# dispatch tier, once per dialect list, and must see zero failures. floor.c is ../shared/bench/floor.c (the
# independent copy CI has beside the clone; SHARED=dir to point elsewhere) when present, else the repository's
# copy scripts/bench/floor.c; the script says which.
# Loopback only; every loop is bounded (floor's -c x -n) and the server is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

floor_c=$(floor_source)
cc -O2 -o "$work/floor" "$floor_c" -lpthread -lcrypto
go build -o "$work/msnbench" ./cmd/msnbench

accounts=2000
start_serve --ds 127.0.0.1:0 --ns 127.0.0.1:0 --accounts "$accounts" --password password
echo "msnbench serve: dispatch $ds"

failed=0
for versions in 'MSNP2 CVR0' 'MSNP3 MSNP2 CVR0' 'MSNP4 MSNP3 CVR0' 'MSNP5 MSNP4 CVR0' 'MSNP6 CVR0' \
                'MSNP7 MSNP6 MSNP5 MSNP4 CVR0'; do
  # 20 threads x 100 logins = 2000 full logins (DS, XFR, NS, MD5, USR OK, OUT) per dialect list.
  out=$(timeout 120 "$work/floor" -a "$ds" -c 20 -n 100 -u 'user%d@example.com' -r "$accounts" -p password \
        -V "$versions") || true
  printf '%-30s %s\n' "$versions" "$out"
  case "$out" in
    *"logins=2000 failed=0 "*) ;;
    *) failed=1 ;;
  esac
done
kill -INT "$server_pid"; wait "$server_pid" || true; server_pid=
tail -n 1 "$work/serve.log"
if [ "$failed" != 0 ]; then echo "interop: floor saw failures" >&2; exit 1; fi
echo "interop: ok"
