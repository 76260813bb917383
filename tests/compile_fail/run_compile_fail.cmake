# One compile-fail check, run by CTest (see CMakeLists.txt in this directory):
#
#   cmake -DCXX=<compiler> -DSOURCE=<file.cpp> -DFLAGS=<flags joined by |>
#         -DMODE=fail|control [-DEXPECT=<text>] -P run_compile_fail.cmake
#
# MODE=fail: the file must not compile, and the FIRST error must contain
# EXPECT (tunekit's static_assert text), so a user meets our message, not a
# template backtrace that happens to end in it.
# MODE=control: the file, with TUNEKIT_COMPILE_FAIL_CONTROL defined (the
# correct use), must compile; this proves the command line itself is sound.
#
# With -DPCH=<dir>/<stem>.hpp the check gets that precompiled header with
# -include (made by the fixture compile_fail.pch:
#   cmake -DCXX=... -DFLAGS=... -DPCH_DIR=<dir> -DPCH_HEADERS=<stem>=<header>;...
# writes <dir>/<stem>.hpp, which includes <header>, and its .gch).
string(REPLACE "|" ";" _flags "${FLAGS}")

if(PCH_DIR)
  file(REMOVE_RECURSE "${PCH_DIR}")
  file(MAKE_DIRECTORY "${PCH_DIR}")
  foreach(_entry IN LISTS PCH_HEADERS)
    string(REPLACE "=" ";" _entry "${_entry}")
    list(GET _entry 0 _stem)
    list(GET _entry 1 _header)
    file(WRITE "${PCH_DIR}/${_stem}.hpp" "#include <${_header}>\n")
    execute_process(
        COMMAND "${CXX}" ${_flags} -x c++-header "${PCH_DIR}/${_stem}.hpp" -o "${PCH_DIR}/${_stem}.hpp.gch"
        RESULT_VARIABLE _rc
        OUTPUT_VARIABLE _out
        ERROR_VARIABLE _out)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "Precompiling <${_header}> failed:\n${_out}")
    endif()
  endforeach()
  return()
endif()

if(MODE STREQUAL "control")
  list(APPEND _flags "-DTUNEKIT_COMPILE_FAIL_CONTROL")
endif()
if(PCH)
  list(APPEND _flags -Winvalid-pch -Werror=invalid-pch -include "${PCH}")
endif()
execute_process(
    COMMAND "${CXX}" ${_flags} -fsyntax-only "${SOURCE}"
    RESULT_VARIABLE _rc
    OUTPUT_VARIABLE _out
    ERROR_VARIABLE _out)

if(MODE STREQUAL "control")
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "The correct use in ${SOURCE} must compile, but:\n${_out}")
  endif()
  return()
endif()

if(_rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but must fail with:\n  ${EXPECT}")
endif()
string(FIND "${_out}" "${EXPECT}" _pos)
if(_pos EQUAL -1)
  message(FATAL_ERROR "${SOURCE} failed to compile, but without the expected message\n  ${EXPECT}\n"
                      "Compiler output:\n${_out}")
endif()
string(REGEX MATCH "error: [^\n]*" _first "${_out}")
string(FIND "${_first}" "${EXPECT}" _pos)
if(_pos EQUAL -1)
  message(FATAL_ERROR "${SOURCE}: the first error is not tunekit's static_assert\n  ${EXPECT}\n"
                      "but:\n  ${_first}\nCompiler output:\n${_out}")
endif()
message(STATUS "${SOURCE}: fails as it should: ${_first}")
