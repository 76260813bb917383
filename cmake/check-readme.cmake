# Checks that every code block of README.md marked
#   <!-- snippet: path/to/file.cpp -->
# shows exactly the lines between `// snippet-begin` and `// snippet-end` of
# that file, which the build compiles and runs. Usage:
#   cmake -DSOURCE_DIR=<checkout> -P cmake/check-readme.cmake
file(READ "${SOURCE_DIR}/README.md" readme)
string(REGEX MATCHALL "<!-- snippet: [^ ]+ -->\n```cpp\n" markers "${readme}")
if(NOT markers)
  message(FATAL_ERROR "README.md has no <!-- snippet: ... --> code block")
endif()
foreach(marker IN LISTS markers)
  string(REGEX REPLACE "<!-- snippet: ([^ ]+) -->.*" "\\1" path "${marker}")
  string(FIND "${readme}" "${marker}" at)
  string(LENGTH "${marker}" marker_length)
  math(EXPR body_at "${at} + ${marker_length}")
  string(SUBSTRING "${readme}" ${body_at} -1 rest)
  string(FIND "${rest}" "```" end)
  string(SUBSTRING "${rest}" 0 ${end} shown)

  file(READ "${SOURCE_DIR}/${path}" source)
  string(FIND "${source}" "// snippet-begin\n" begin)
  string(FIND "${source}" "// snippet-end" finish)
  if(begin EQUAL -1 OR finish EQUAL -1)
    message(FATAL_ERROR "${path} has no // snippet-begin ... // snippet-end block")
  endif()
  math(EXPR begin "${begin} + 17")
  math(EXPR length "${finish} - ${begin}")
  string(SUBSTRING "${source}" ${begin} ${length} compiled)
  string(REGEX REPLACE "[ ]+$" "" compiled "${compiled}")  # the indentation of `// snippet-end`
  if(NOT shown STREQUAL compiled)
    message(FATAL_ERROR "README.md's snippet of ${path} differs from the compiled file; copy it over")
  endif()
  message(STATUS "README snippet matches ${path}")
endforeach()
