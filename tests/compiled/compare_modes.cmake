# Runs tests/compiled/seeded_studies.cpp built header-only and built against
# tunekit::compiled, and requires the same output, trial by trial:
#
#   cmake -DHEADER_ONLY=<program> -DCOMPILED=<program> -DWORK_DIR=<dir> -P compare_modes.cmake
file(MAKE_DIRECTORY "${WORK_DIR}")
foreach(_mode IN ITEMS HEADER_ONLY COMPILED)
  execute_process(
      COMMAND "${${_mode}}" "${WORK_DIR}"
      RESULT_VARIABLE _rc
      OUTPUT_VARIABLE _out_${_mode}
      ERROR_VARIABLE _err)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "${${_mode}} exited with ${_rc}:\n${_err}")
  endif()
endforeach()
string(LENGTH "${_out_HEADER_ONLY}" _length)
if(_length LESS 10000)
  message(FATAL_ERROR "the header-only run printed too little (${_length} bytes):\n${_out_HEADER_ONLY}")
endif()
if(NOT _out_HEADER_ONLY STREQUAL _out_COMPILED)
  file(WRITE "${WORK_DIR}/header_only.txt" "${_out_HEADER_ONLY}")
  file(WRITE "${WORK_DIR}/compiled.txt" "${_out_COMPILED}")
  message(FATAL_ERROR "the two modes ran different trials: diff ${WORK_DIR}/header_only.txt ${WORK_DIR}/compiled.txt")
endif()
string(REGEX MATCHALL "\n" _lines "${_out_COMPILED}")
list(LENGTH _lines _n)
message(STATUS "same ${_n} trials in both modes")
