#!/usr/bin/env bash
# Runs a throwaway PostgreSQL 15 cluster for the tests.
#
#   tools/test_postgres.sh start DIR   initdb in DIR, start the server on a
#                                      free 127.0.0.1 port, create the
#                                      database, print its URL
#   tools/test_postgres.sh stop DIR    stop the server and remove DIR
#
# DIR's parent must be searchable by the postgres user.
#
# The server runs as the postgres user (initdb refuses root), keeps its
# socket in DIR, and uses password authentication, so that the tests can
# check that no error message leaks the password.
set -euo pipefail

bin=/usr/lib/postgresql/15/bin
command="${1:?usage: test_postgres.sh start|stop DIR}"
dir="${2:?usage: test_postgres.sh start|stop DIR}"

as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$command" in
  start)
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
    password="$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    port="$(/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')"
    as_postgres bash -c "umask 077; printf '%s\n' '$password' > '$dir/pwfile'"
    as_postgres "$bin/initdb" --pgdata="$dir/data" --username=tenantry \
      --pwfile="$dir/pwfile" --auth=scram-sha-256 --encoding=UTF8 \
      --locale=C >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    as_postgres "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" \
      --wait --timeout=60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port \
          -c unix_socket_directories=$dir -c fsync=off" \
      start >/dev/null ||
      { cat "$dir/server.log" >&2; exit 1; }
    PGPASSWORD="$password" "$bin/createdb" --host=127.0.0.1 --port="$port" \
      --username=tenantry tenantry_test
    echo "postgresql://tenantry:$password@127.0.0.1:$port/tenantry_test"
    ;;
  stop)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      as_postgres "$bin/pg_ctl" --pgdata="$dir/data" --mode=immediate \
        --wait stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "test_postgres.sh: unknown command $command; use start or stop" >&2
    exit 2
    ;;
esac
