# Services the tests start themselves, as CTest fixtures, so that the README's
# test command (`cmake --workflow --preset ci`, which is also what .ci/run
# runs) runs every test on a fresh machine with nothing started by hand, and
# a partial run (`ctest -R postgres`) starts only what its tests need:
#
#   postgres    a throw-away PostgreSQL server on loopback (.ci/postgres.sh,
#               cluster in /tmp, port TUNEKIT_TEST_POSTGRES_PORT), started
#               before the first test that needs it and deleted after the last.
#               Configure with -DTUNEKIT_TEST_POSTGRES_URL=postgresql://... to
#               use a server of your own instead (no fixture then).
#   pgbouncer   PgBouncer on loopback in front of that server (.ci/pgbouncer.sh;
#               ports TUNEKIT_TEST_POSTGRES_PORT + 2 in transaction pooling
#               mode, + 3 in statement mode), for the pooler tests.
#   k8s_models  `npm ci` of the pinned kubernetes-models package
#               (tests/deploy/k8s/package-lock.json) for deploy.k8s_manifests.
#
# A fixture that cannot start (no PostgreSQL binaries, no npm) fails its
# setup test, and CTest then fails the tests that need it: nothing is skipped
# quietly. cmake/install-deps.sh installs both.

set(TUNEKIT_TEST_POSTGRES_URL "$ENV{TUNEKIT_TEST_POSTGRES_URL}" CACHE STRING
    "PostgreSQL URL for the tests (role may CREATE DATABASE); empty: the tests start their own server")
# Each build tree gets its own port by default, hence its own cluster
# directory: two trees testing at once (a CI run beside a developer's tree)
# must not share one server, since the first to finish stops it under the
# other (seen: the other's last PostgreSQL tests failed, "connection refused").
# Ports 54400-55996 in steps of 4 (server, spare, two PgBouncers).
string(MD5 _tunekit_tree_hash "${CMAKE_BINARY_DIR}")
string(SUBSTRING "${_tunekit_tree_hash}" 0 3 _tunekit_tree_hash)
math(EXPR _tunekit_default_pg_port "54400 + (0x${_tunekit_tree_hash} % 400) * 4")
set(TUNEKIT_TEST_POSTGRES_PORT ${_tunekit_default_pg_port} CACHE STRING
    "Port of the server the tests start (when TUNEKIT_TEST_POSTGRES_URL is empty); default: 54400-55996, from the build directory")

find_program(TUNEKIT_BASH bash REQUIRED)
set(_tunekit_pg_script "${PROJECT_SOURCE_DIR}/.ci/postgres.sh")

if(TUNEKIT_TEST_POSTGRES_URL)
  set(_tunekit_pg_fixture "")
  set(_tunekit_pg_env "TUNEKIT_TEST_POSTGRES_URL=${TUNEKIT_TEST_POSTGRES_URL}")
  foreach(_var IN ITEMS TUNEKIT_TEST_POSTGRES_RO_URL TUNEKIT_TEST_POSTGRES_RESTART TUNEKIT_TEST_POSTGRES_LOG
                        TUNEKIT_TEST_PGBOUNCER_URL TUNEKIT_TEST_PGBOUNCER_STATEMENT_URL)
    if(NOT "$ENV{${_var}}" STREQUAL "")
      list(APPEND _tunekit_pg_env "${_var}=$ENV{${_var}}")
    endif()
  endforeach()
else()
  # Its own directory and port, so a server started by hand (.ci/postgres.sh
  # start: /tmp/tunekit-postgres, port 54329) is left alone.
  set(_pg_dir "/tmp/tunekit-ctest-postgres-${TUNEKIT_TEST_POSTGRES_PORT}")
  set(_pg_port "${TUNEKIT_TEST_POSTGRES_PORT}")
  set(_pg_call env "TUNEKIT_PG_DIR=${_pg_dir}" "TUNEKIT_PG_PORT=${_pg_port}" "${TUNEKIT_BASH}" "${_tunekit_pg_script}")
  add_test(NAME services.postgres.start COMMAND ${_pg_call} start)
  add_test(NAME services.postgres.stop COMMAND ${_pg_call} stop)
  set_tests_properties(services.postgres.start PROPERTIES FIXTURES_SETUP postgres LABELS services TIMEOUT 120)
  set_tests_properties(services.postgres.stop PROPERTIES FIXTURES_CLEANUP postgres LABELS services TIMEOUT 120)
  # PgBouncer in front of it, in transaction pooling mode (what the storage
  # supports) and in statement mode (refused with a clear error): .ci/pgbouncer.sh.
  math(EXPR _pgb_port "${_pg_port} + 2")
  math(EXPR _pgb_stmt_port "${_pg_port} + 3")
  set(_pgb_script "${PROJECT_SOURCE_DIR}/.ci/pgbouncer.sh")
  set(_pgb_call env "TUNEKIT_PGB_DIR=/tmp/tunekit-ctest-pgbouncer-${_pgb_port}" "TUNEKIT_PGB_PORT=${_pgb_port}"
      "TUNEKIT_PGB_MODE=transaction" "TUNEKIT_PG_PORT=${_pg_port}" "${TUNEKIT_BASH}" "${_pgb_script}")
  set(_pgb_stmt_call env "TUNEKIT_PGB_DIR=/tmp/tunekit-ctest-pgbouncer-${_pgb_stmt_port}" "TUNEKIT_PGB_PORT=${_pgb_stmt_port}"
      "TUNEKIT_PGB_MODE=statement" "TUNEKIT_PG_PORT=${_pg_port}" "${TUNEKIT_BASH}" "${_pgb_script}")
  add_test(NAME services.pgbouncer.start COMMAND ${_pgb_call} start)
  add_test(NAME services.pgbouncer.stop COMMAND ${_pgb_call} stop)
  add_test(NAME services.pgbouncer_statement.start COMMAND ${_pgb_stmt_call} start)
  add_test(NAME services.pgbouncer_statement.stop COMMAND ${_pgb_stmt_call} stop)
  set_tests_properties(services.pgbouncer.start services.pgbouncer_statement.start PROPERTIES
      FIXTURES_SETUP pgbouncer FIXTURES_REQUIRED postgres LABELS services TIMEOUT 60)
  set_tests_properties(services.pgbouncer.stop services.pgbouncer_statement.stop PROPERTIES
      FIXTURES_CLEANUP pgbouncer LABELS services TIMEOUT 60)
  set(_tunekit_pg_fixture "postgres;pgbouncer")
  set(_tunekit_pg_env
      "TUNEKIT_TEST_PGBOUNCER_URL=postgresql://tunekit:tunekit@127.0.0.1:${_pgb_port}/tunekit_test"
      "TUNEKIT_TEST_PGBOUNCER_STATEMENT_URL=postgresql://tunekit:tunekit@127.0.0.1:${_pgb_stmt_port}/tunekit_test"
      "TUNEKIT_TEST_POSTGRES_URL=postgresql://tunekit:tunekit@127.0.0.1:${_pg_port}/tunekit_test"
      "TUNEKIT_TEST_POSTGRES_RO_URL=postgresql://tunekit_ro:tunekit_ro@127.0.0.1:${_pg_port}/tunekit_test"
      "TUNEKIT_TEST_POSTGRES_RESTART=env TUNEKIT_PG_DIR=${_pg_dir} TUNEKIT_PG_PORT=${_pg_port} ${TUNEKIT_BASH} ${_tunekit_pg_script} restart"
      "TUNEKIT_TEST_POSTGRES_LOG=${_pg_dir}/server.log")
endif()

# The rule the Catch test discovery applies (tests/cmake/discover_tests.cmake):
# test cases whose name starts with "postgres" get the fixture and the server's
# environment.
set(_tunekit_pg_props "ENVIRONMENT [==[${_tunekit_pg_env}]==]")
if(_tunekit_pg_fixture)
  string(APPEND _tunekit_pg_props " FIXTURES_REQUIRED [==[${_tunekit_pg_fixture}]==]")
endif()
set(TUNEKIT_TEST_SERVICE_RULES "${CMAKE_CURRENT_BINARY_DIR}/service_rules.cmake")
# The test that restarts the server runs alone: a restart drops every
# connection, and a worker that is connecting at that instant (the fleet-start
# test opens hundreds of connections) fails instead of reconnecting.
file(WRITE "${TUNEKIT_TEST_SERVICE_RULES}"
    "set(service_name_regex [==[^postgres]==])\n"
    "set(service_properties [===[${_tunekit_pg_props}]===])\n"
    "set(serial_name_regex [==[^postgres: the server restarted]==])\n")

# tunekit_requires_postgres(<test>...): the test needs the server.
function(tunekit_requires_postgres)
  set_property(TEST ${ARGN} APPEND PROPERTY ENVIRONMENT "${_tunekit_pg_env}")
  if(_tunekit_pg_fixture)
    set_property(TEST ${ARGN} APPEND PROPERTY FIXTURES_REQUIRED ${_tunekit_pg_fixture})
  endif()
endfunction()

# The kubernetes-models package, installed from the committed lock file.
find_program(TUNEKIT_NPM npm)
if(TUNEKIT_NPM)
  add_test(NAME services.k8s_models
      COMMAND "${TUNEKIT_NPM}" ci --prefix "${PROJECT_SOURCE_DIR}/tests/deploy/k8s" --no-audit --no-fund)
else()
  add_test(NAME services.k8s_models
      COMMAND "${CMAKE_COMMAND}" -E echo "npm is not installed: run cmake/install-deps.sh (Debian: nodejs npm)")
  set_tests_properties(services.k8s_models PROPERTIES WILL_FAIL TRUE)
endif()
set_tests_properties(services.k8s_models PROPERTIES FIXTURES_SETUP k8s_models LABELS services TIMEOUT 600)
