#!/usr/bin/env bash
# PgBouncer on loopback in front of the test PostgreSQL server (.ci/postgres.sh),
# for the CTest fixture `pgbouncer` (tests/cmake/services.cmake) and by hand:
#
#   TUNEKIT_PGB_DIR=/tmp/pgb TUNEKIT_PGB_PORT=54332 TUNEKIT_PGB_MODE=transaction \
#   TUNEKIT_PG_PORT=54330 .ci/pgbouncer.sh start|stop|env
#
# Pool mode `transaction` (the production setting the storage supports) or
# `statement` (which it refuses with a clear error; the bad-input test).
# Pool: at most 16 server connections for the database.
set -euo pipefail

dir=${TUNEKIT_PGB_DIR:-/tmp/tunekit-pgbouncer}
port=${TUNEKIT_PGB_PORT:-54332}
mode=${TUNEKIT_PGB_MODE:-transaction}
pg_port=${TUNEKIT_PG_PORT:-54329}
bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
if [[ ! -x "$bin" ]]; then
  echo "pgbouncer.sh: no pgbouncer binary (apt-get install pgbouncer)" >&2
  exit 1
fi

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

print_env() {
  echo "export TUNEKIT_TEST_PGBOUNCER_URL='postgresql://tunekit:tunekit@127.0.0.1:$port/tunekit_test'"
}

running() {
  [[ -f "$dir/pgbouncer.pid" ]] && kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null
}

start() {
  if running; then
    print_env
    return
  fi
  mkdir -p "$dir"
  echo '"tunekit" "tunekit"' >"$dir/userlist.txt"
  cat >"$dir/pgbouncer.ini" <<INI
[databases]
tunekit_test = host=127.0.0.1 port=$pg_port dbname=tunekit_test
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = plain
auth_file = $dir/userlist.txt
pool_mode = $mode
default_pool_size = 16
max_db_connections = 16
max_client_conn = 400
pidfile = $dir/pgbouncer.pid
logfile = $dir/pgbouncer.log
INI
  [[ $(id -u) -eq 0 ]] && chown -R postgres:postgres "$dir"
  as_owner "$bin" -d "$dir/pgbouncer.ini" || { cat "$dir/pgbouncer.log" >&2 || true; exit 1; }
  for _ in $(seq 1 100); do
    if running && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      print_env
      return
    fi
    sleep 0.1
  done
  echo "pgbouncer.sh: pgbouncer did not start on 127.0.0.1:$port" >&2
  cat "$dir/pgbouncer.log" >&2 || true
  exit 1
}

stop() {
  if running; then
    local pid
    pid=$(cat "$dir/pgbouncer.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
