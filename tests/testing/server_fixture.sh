# Bash functions that run tenantry_server for shell tests. Source this file.
#
#   start_tenantry_server SERVER DATA_DIR [FLAG...]
#       starts SERVER on a free 127.0.0.1 port with --data_dir=DATA_DIR,
#       --allow_unauthenticated (unless TENANTRY_TEST_AUTH=1) and the
#       flags, waits until it listens (at most 10 seconds), and sets
#       SERVER_PID, SERVER_PORT and SERVER_LOG; returns 1 with the log on
#       failure
#   stop_tenantry_server
#       sends SIGTERM and waits; returns the server's exit code
#   postgres_test_database NAME
#       creates database NAME on the server in TENANTRY_TEST_POSTGRES_URL,
#       which tools/test.sh sets, and prints its URL; returns 1 if the
#       variable is not set

start_tenantry_server() {
  local server="$1" data_dir="$2"
  shift 2
  SERVER_LOG="$data_dir/server.log"
  mkdir -p "$data_dir"
  # The background child opens the log itself, possibly after the first
  # read below, so the file must exist before it starts.
  : >"$SERVER_LOG"
  local auth_flags=(--allow_unauthenticated)
  [[ "${TENANTRY_TEST_AUTH:-0}" == 1 ]] && auth_flags=()
  "$server" --data_dir="$data_dir" --listen=127.0.0.1:0 "${auth_flags[@]}" "$@" \
    2>"$SERVER_LOG" &
  SERVER_PID=$!
  SERVER_PORT=""
  local attempt
  for attempt in $(seq 100); do
    SERVER_PORT="$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' \
      "$SERVER_LOG")"
    [[ -n "$SERVER_PORT" ]] && return 0
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "FAIL: tenantry_server did not start; its log:" >&2
  cat "$SERVER_LOG" >&2
  return 1
}

stop_tenantry_server() {
  [[ -n "${SERVER_PID:-}" ]] || return 0
  local code=0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" || code=$?
  SERVER_PID=""
  return "$code"
}

postgres_test_database() {
  local name="$1"
  if [[ -z "${TENANTRY_TEST_POSTGRES_URL:-}" ]]; then
    echo "FAIL: TENANTRY_TEST_POSTGRES_URL is not set; run tools/test.sh," \
      "which starts a PostgreSQL server and sets it" >&2
    return 1
  fi
  psql --quiet "$TENANTRY_TEST_POSTGRES_URL" \
    --command="CREATE DATABASE $name" >&2 || return 1
  echo "${TENANTRY_TEST_POSTGRES_URL%/*}/$name"
}
