# `tunekit report` on a journal: writes the file; a missing -o is a usage
# error (exit 2); an unwritable path is an error naming it (exit 1).
#   cmake -DWRITER=<report_render_check> -DCLI=<tunekit> -DDIR=<dir> -P report_cli.cmake
include("${CMAKE_CURRENT_LIST_DIR}/tuned_journal.cmake")
file(REMOVE "${DIR}/cli-report.html")
execute_process(COMMAND "${CLI}" report "journal://${journal}" tuned -o "${DIR}/cli-report.html"
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "wrote the report of study 'tuned' \\(60 trials\\)")
  message(FATAL_ERROR "tunekit report failed (${rc}): ${out}${err}")
endif()
file(READ "${DIR}/cli-report.html" html)
foreach(id plot-history-0 plot-importance-0 plot-parallel plot-slice-0 plot-intermediate)
  string(FIND "${html}" "id=\"${id}\"" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the CLI's report lacks ${id}")
  endif()
endforeach()

execute_process(COMMAND "${CLI}" report "journal://${journal}" tuned OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 2 OR NOT err MATCHES "needs -o")
  message(FATAL_ERROR "report without -o: expected exit 2 and a usage message, got ${rc}: ${err}")
endif()

set(bad "${DIR}/no-such-dir/r.html")
execute_process(COMMAND "${CLI}" report "journal://${journal}" tuned --output "${bad}" OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
string(FIND "${err}" "cannot write '${bad}'" at)
if(NOT rc EQUAL 1 OR at EQUAL -1)
  message(FATAL_ERROR "unwritable path: expected exit 1 naming ${bad}, got ${rc}: ${err}")
endif()

execute_process(COMMAND "${CLI}" report "journal://${journal}" nope -o "${DIR}/x.html" ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 1 OR NOT err MATCHES "no study named 'nope'")
  message(FATAL_ERROR "missing study: expected exit 1 naming it, got ${rc}: ${err}")
endif()
message(STATUS "tunekit report: ok")
