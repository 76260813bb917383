# CTest example.serve_digits: the path from tuning to serving, small.
#   cmake -DQUICKSTART=... -DCLI=... -DSERVER=... -DWORKDIR=... -P serve_smoke.cmake
# quickstart --small tunes a study in WORKDIR/quickstart.journal, the tunekit
# CLI exports its best configuration, and serve_digits --small trains it and
# answers /health and one prediction on a free loopback port.
file(REMOVE_RECURSE "${WORKDIR}")
file(MAKE_DIRECTORY "${WORKDIR}")
function(run_step what)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY "${WORKDIR}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message(STATUS "${what}:\n${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc})")
  endif()
endfunction()
run_step("quickstart --small" "${QUICKSTART}" --small --n-jobs 1)
run_step("tunekit deploy export" "${CLI}" deploy export "journal://${WORKDIR}/quickstart.journal" quickstart-small
         -o "${WORKDIR}/best.json")
run_step("serve_digits --small" "${SERVER}" --small --config "${WORKDIR}/best.json")
