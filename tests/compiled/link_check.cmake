# One link check of tunekit's compiled mode, run by CTest:
#
#   cmake -DCXX=<compiler> -DOBJECTS=<objects joined by |> [-DLIBRARY=<libtunekit_compiled.a>]
#         -DOUTPUT=<program> [-DEXPECT=<text>] -P link_check.cmake
#
# Without EXPECT the program must link and run. With EXPECT the link must fail
# and the linker's output contain EXPECT: the symbol that names the CMake target
# and the option (include/tunekit/detail/compiled_lib.hpp).
string(REPLACE "|" ";" _objects "${OBJECTS}")
execute_process(
    COMMAND "${CXX}" ${_objects} ${LIBRARY} -pthread -o "${OUTPUT}"
    RESULT_VARIABLE _rc
    OUTPUT_VARIABLE _out
    ERROR_VARIABLE _out)
if(NOT EXPECT)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "must link, but:\n${_out}")
  endif()
  execute_process(COMMAND "${OUTPUT}" RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "${OUTPUT} exited with ${_rc}")
  endif()
  return()
endif()
if(_rc EQUAL 0)
  message(FATAL_ERROR "linked, but must fail with\n  ${EXPECT}")
endif()
string(FIND "${_out}" "${EXPECT}" _pos)
if(_pos EQUAL -1)
  message(FATAL_ERROR "the link failed, but without\n  ${EXPECT}\nLinker output:\n${_out}")
endif()
message(STATUS "fails as it should:\n${_out}")
