# Lists the Catch 2 test cases of a test executable and writes a CTest script
# with one test per case (run after each build by tunekit_discover_tests in
# tests/CMakeLists.txt):
#
#   cmake -DTEST_EXECUTABLE=<exe> -DTEST_PREFIX=<prefix> -DTEST_LABEL=<label>
#         -DTEST_WORKING_DIR=<dir> -DCTEST_FILE=<out> -P discover_tests.cmake
#
# A test case that prints TUNEKIT_TEST_SKIPPED (one that needs a PostgreSQL
# server when none is configured, say) is reported by CTest as skipped, not
# passed. Hidden ([.], [.tag]) and [slow] cases are left out; tests/CMakeLists.txt runs
# the slow ones together as <exe>.slow. A test case name may hold any
# character: '[', ']' and ';' would break a CMake list, so they travel through
# the parsing as control characters, and each name is escaped for Catch's test
# spec syntax (\ , [ ] " ~) before it becomes the test's argument.

execute_process(
    COMMAND "${TEST_EXECUTABLE}" "~[.]~[slow]" --list-test-names-only
    WORKING_DIRECTORY "${TEST_WORKING_DIR}"
    OUTPUT_VARIABLE output
    ERROR_VARIABLE error
    RESULT_VARIABLE result)
# Catch exits with the number of tests listed; anything else, or text on
# stderr (a sanitizer report, say), means the listing itself went wrong.
if(NOT result MATCHES "^[0-9]+$" OR NOT error STREQUAL "")
  message(FATAL_ERROR "Listing the tests of ${TEST_EXECUTABLE} failed (${result}):\n${error}${output}")
endif()

string(ASCII 1 lbracket)
string(ASCII 2 rbracket)
string(ASCII 3 semicolon)
string(ASCII 4 backslash)
string(REPLACE "\\" "${backslash}" output "${output}")
string(REPLACE "[" "${lbracket}" output "${output}")
string(REPLACE "]" "${rbracket}" output "${output}")
string(REPLACE ";" "${semicolon}" output "${output}")
string(REPLACE "\r" "" output "${output}")
string(REPLACE "\n" ";" lines "${output}")

# A bracket argument [==[...]==] holding text that never contains its closing.
function(bracket out text)
  set(eq "=")
  while(text MATCHES "]${eq}]")
    string(APPEND eq "=")
  endwhile()
  set(${out} "[${eq}[${text}]${eq}]" PARENT_SCOPE)
endfunction()

# Services (tests/cmake/services.cmake): test cases whose name matches
# service_name_regex get service_properties (the PostgreSQL fixture and the
# server's environment); those matching serial_name_regex run alone.
set(service_name_regex "")
set(service_properties "")
set(serial_name_regex "")
if(TEST_SERVICE_RULES)
  include("${TEST_SERVICE_RULES}")
endif()

set(script "")
set(count 0)
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  # The name as Catch prints it, and as a test spec that matches it alone.
  set(name "${line}")
  set(spec "${line}")
  string(REPLACE "${backslash}" "\\\\" spec "${spec}")
  foreach(char IN ITEMS "," "\"" "~")
    string(REPLACE "${char}" "\\${char}" spec "${spec}")
  endforeach()
  string(REPLACE "${lbracket}" "\\[" spec "${spec}")
  string(REPLACE "${rbracket}" "\\]" spec "${spec}")
  foreach(var IN ITEMS name spec)
    string(REPLACE "${backslash}" "\\" ${var} "${${var}}")
    string(REPLACE "${lbracket}" "[" ${var} "${${var}}")
    string(REPLACE "${rbracket}" "]" ${var} "${${var}}")
    string(REPLACE "${semicolon}" ";" ${var} "${${var}}")
  endforeach()

  bracket(test_name "${TEST_PREFIX}${name}")
  bracket(test_spec "${spec}")
  bracket(exe "${TEST_EXECUTABLE}")
  bracket(dir "${TEST_WORKING_DIR}")
  # -w NoTests: Catch 2 exits 0 when a spec matches nothing; this makes a
  # name that did not survive the trip fail instead of pass unrun.
  set(extra "")
  if(service_name_regex AND name MATCHES "${service_name_regex}")
    set(extra " ${service_properties}")
  endif()
  if(serial_name_regex AND name MATCHES "${serial_name_regex}")
    string(APPEND extra " RUN_SERIAL TRUE")
  endif()
  string(APPEND script
      "add_test(${test_name} ${exe} ${test_spec} -w NoTests)\n"
      "set_tests_properties(${test_name} PROPERTIES WORKING_DIRECTORY ${dir}"
      " LABELS \"${TEST_LABEL}\" TIMEOUT 300"
      " SKIP_REGULAR_EXPRESSION \"TUNEKIT_TEST_SKIPPED\"${extra})\n")
  math(EXPR count "${count} + 1")
endforeach()

file(WRITE "${CTEST_FILE}" "${script}")
