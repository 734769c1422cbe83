# Shared by the benchmark scripts (source it after `cd` to the repository root):
#   work          a temporary directory, removed at exit
#   start_serve   starts `$work/msnbench serve ARGS...` in the background, waits until it prints its
#                 listening line, and sets server_pid, ds and ns (empty when that tier is off)
#   stop_serve    stops it (the exit trap does too)
#   floor_source  prints the floor.c to build: ../shared/bench/floor.c (or $SHARED/bench/floor.c), the independent
#                 copy CI has beside the clone, when present; else the repository's scripts/bench/floor.c. It
#                 says on stderr which one.
# Loopback only: the callers pass 127.0.0.1 addresses.
work=$(mktemp -d)
server_pid=
stop_serve() {
  if [ -n "$server_pid" ]; then kill -INT "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  server_pid=
}
trap 'stop_serve; rm -rf "$work"' EXIT

start_serve() {
  # A new log, not the last server's: its listening line would send the caller to a port now closed, and the
  # stop that follows could come before this server handles SIGINT (a background job starts with it ignored).
  rm -f "$work/serve.log"
  "$work/msnbench" serve "$@" >"$work/serve.log" 2>&1 &
  server_pid=$!
  local line=
  for _ in $(seq 1 100); do
    line=$(grep -s -m 1 '^listening' "$work/serve.log" || true)
    [ -n "$line" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" 2>/dev/null; echo "msnbench serve exited" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$line" ] || { cat "$work/serve.log"; echo "msnbench serve did not print its addresses" >&2; exit 1; }
  ds=$(sed -n 's/.* ds=\([^ ]*\).*/\1/p' <<<"$line")
  if [ "$ds" = - ]; then ds=; fi
  ns=$(sed -n 's/.* ns=\([^ ]*\).*/\1/p' <<<"$line")
}

floor_source() {
  local shared=${SHARED:-../shared}
  if [ -f "$shared/bench/floor.c" ]; then
    echo "floor.c: $shared/bench/floor.c" >&2
    echo "$shared/bench/floor.c"
  else
    echo "floor.c: $shared/bench/floor.c is absent: using the repository's copy scripts/bench/floor.c" >&2
    echo scripts/bench/floor.c
  fi
}
