#!/usr/bin/env bash
# A throw-away PostgreSQL server on loopback for tunekit's tests and benchmarks
# (Debian's postgresql package, version 15).
#
#   .ci/postgres.sh start     initdb a cluster (first time), start it, print
#                             `export TUNEKIT_TEST_POSTGRES_URL=...` lines
#   .ci/postgres.sh stop      stop it and delete the cluster
#   .ci/postgres.sh restart   fast restart (the "server restarted mid-run" test)
#   .ci/postgres.sh crash     immediate stop and start: the server process dies
#                             as in a crash (WAL not yet written is lost) and
#                             recovers from its WAL at the start
#   .ci/postgres.sh env       print the export lines of a running server
#                             (URLs, the restart command, the server log's path)
#
# The tests start and stop their own server through this script (the CTest
# fixture `postgres`, tests/cmake/services.cmake, on a port of the build tree's); by hand,
# `eval "$(.ci/postgres.sh start)"` gives benchmarks and ad-hoc runs one. Run as root (CI), the server runs as the
# `postgres` user; run as anyone else, it runs as that user.
#
# Settings (environment): TUNEKIT_PG_DIR (cluster directory, default
# /tmp/tunekit-postgres), TUNEKIT_PG_PORT (default 54329).
#
# Roles in the cluster:
#   tunekit     password `tunekit`, owns database `tunekit_test`, may create
#               databases (tests make scratch ones, e.g. for a foreign schema)
#   tunekit_ro  password `tunekit_ro`, login only; tests grant it SELECT to
#               check the read-only error path
# Host connections need a password (scram-sha-256), so a wrong password is
# refused as it would be in production.
set -euo pipefail

dir=${TUNEKIT_PG_DIR:-/tmp/tunekit-postgres}
port=${TUNEKIT_PG_PORT:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [[ -z "$bin" || ! -x "$bin/pg_ctl" ]]; then
  echo "postgres.sh: no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)" >&2
  exit 1
fi
data="$dir/data"
log="$dir/server.log"
script=$(readlink -f "${BASH_SOURCE[0]}")

# Runs a command as the server's owner.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

print_env() {
  echo "export TUNEKIT_TEST_POSTGRES_URL='postgresql://tunekit:tunekit@127.0.0.1:$port/tunekit_test'"
  echo "export TUNEKIT_TEST_POSTGRES_RO_URL='postgresql://tunekit_ro:tunekit_ro@127.0.0.1:$port/tunekit_test'"
  echo "export TUNEKIT_TEST_POSTGRES_RESTART='TUNEKIT_PG_DIR=$dir TUNEKIT_PG_PORT=$port $script restart'"
  echo "export TUNEKIT_TEST_POSTGRES_CRASH='TUNEKIT_PG_DIR=$dir TUNEKIT_PG_PORT=$port $script crash'"
  echo "export TUNEKIT_TEST_POSTGRES_LOG='$log'"
}

psql_super() {
  as_owner "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -d postgres "$@"
}

running() {
  [[ -f "$data/postmaster.pid" ]] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

start() {
  if running; then
    print_env
    return
  fi
  local fresh=0
  if [[ ! -f "$data/PG_VERSION" ]]; then
    fresh=1
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$dir"
    chmod 700 "$dir"
    as_owner "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    cat >>"$data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
EOF
  fi
  as_owner "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null ||
    { cat "$log" >&2; exit 1; }
  if [[ $fresh -eq 1 ]]; then
    psql_super <<'EOF'
CREATE ROLE tunekit LOGIN CREATEDB PASSWORD 'tunekit';
CREATE ROLE tunekit_ro LOGIN PASSWORD 'tunekit_ro';
CREATE DATABASE tunekit_test OWNER tunekit;
EOF
  fi
  print_env
}

stop() {
  if running; then
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  fi
  rm -rf "$dir"
}

restart() {
  as_owner "$bin/pg_ctl" -D "$data" -l "$log" -m fast -w -t 60 restart >/dev/null
}

crash() {
  as_owner "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null
  as_owner "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  crash) crash ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|restart|crash|env" >&2; exit 2 ;;
esac
