# `tunekit curves` on a journal: the tuned study's curves never cross (its
# loss is a constant per configuration plus 3 / (1 + step)), so every rung
# ranks as the last step does; bad options exit 2 naming the option, a
# missing study or an impossible rung range exits 1 with a message.
#   cmake -DWRITER=<report_render_check> -DCLI=<tunekit> -DDIR=<dir> -P curves_cli.cmake
include("${CMAKE_CURRENT_LIST_DIR}/tuned_journal.cmake")
set(url "journal://${journal}")

function(expect expected_rc pattern)
  execute_process(COMMAND "${CLI}" curves ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL expected_rc OR NOT "${out}${err}" MATCHES "${pattern}")
    message(FATAL_ERROR "tunekit curves ${ARGN}: expected exit ${expected_rc} and '${pattern}', got ${rc}: ${out}${err}")
  endif()
endfunction()

expect(0 "against step 7 .*\n1 +[0-9]+ +1\\.00 +1\\.00 +1\\.00\n3 +[0-9]+ +1\\.00 +1\\.00 +1\\.00\n$" "${url}" tuned)
expect(0 "\"max_step\": 7, \"rungs\": \\[{\"step\": 1, \"trials\": [0-9]+, \"rank_correlation\": 1\\.00" "${url}" tuned --format json)
expect(0 "against step 3 .*\n1 +[0-9]+ +1\\.00" "${url}" tuned --max-step 3)
expect(2 "--max-step 0 is not allowed; give an integer >= 1" "${url}" tuned --max-step 0)
expect(2 "--reduction-factor x is not allowed" "${url}" tuned --reduction-factor x)
expect(2 "unknown option --steps" "${url}" tuned --steps 3)
expect(1 "--min-step 9 is past the last step 7" "${url}" tuned --min-step 9)
expect(1 "no study named 'nope'" "${url}" nope)
message(STATUS "tunekit curves: ok")
