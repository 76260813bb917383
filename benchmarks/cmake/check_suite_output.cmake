# ctest -R benchmarks.suite_smoke: runs `suite` on branin with one seed and
# budget 25 and checks that its output is one JSON line in the format of
# BENCHMARKS.md. Usage: cmake -DSUITE=/path/to/suite -P check_suite_output.cmake
if(NOT SUITE)
  message(FATAL_ERROR "pass -DSUITE=<path to the suite program>")
endif()
execute_process(
    COMMAND "${SUITE}" --sampler random --functions branin --seeds 0 --budgets 10,25 --out -
    OUTPUT_VARIABLE out
    ERROR_VARIABLE err
    RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "suite exited with ${rc}:\n${err}")
endif()
string(STRIP "${out}" out)
if(out MATCHES "\n")
  message(FATAL_ERROR "expected exactly one JSON line, got:\n${out}")
endif()
foreach(key IN ITEMS system sampler function)
  string(JSON value ERROR_VARIABLE json_error GET "${out}" ${key})
  if(json_error)
    message(FATAL_ERROR "no '${key}' in the output (${json_error}):\n${out}")
  endif()
  set(${key} "${value}")
endforeach()
if(NOT system STREQUAL "tunekit" OR NOT sampler STREQUAL "random" OR NOT function STREQUAL "branin")
  message(FATAL_ERROR "unexpected system/sampler/function: ${system}/${sampler}/${function}")
endif()
string(JSON seed GET "${out}" seed)
string(JSON wall GET "${out}" wall_s)
string(JSON best10 GET "${out}" best_at 10)
string(JSON best25 GET "${out}" best_at 25)
if(NOT seed EQUAL 0)
  message(FATAL_ERROR "seed ${seed}, expected 0")
endif()
# Best-so-far never increases with the budget and never beats the minimum.
if(best25 GREATER best10 OR best25 LESS 0.397887)
  message(FATAL_ERROR "implausible best_at: 10 -> ${best10}, 25 -> ${best25}")
endif()
message(STATUS "suite smoke test: ${out}")
