# Checks that every C++ and CMake code block of README.md is one the build
# compiles. Each ```cpp and ```cmake block must follow a marker line
#   <!-- snippet: path/to/file -->
# and then
#   - a ```cpp block is exactly the lines between `// snippet-begin` and
#     `// snippet-end` of that file (an example the build compiles and runs);
#   - a ```cmake block appears verbatim in that file, which must be a consumer
#     fixture under tests/package/ (the package.* tests configure and build them;
#     package.fetch_content builds the FetchContent block with only its
#     <tunekit-git-url> placeholder replaced).
# A ```cpp or ```cmake block without a marker is an error. Usage:
#   cmake -DSOURCE_DIR=<checkout> [-DREADME=<file>] -P cmake/check-readme.cmake
cmake_policy(VERSION 3.23)
if(NOT DEFINED README)
  set(README "${SOURCE_DIR}/README.md")
endif()
file(READ "${README}" readme)
get_filename_component(readme_name "${README}" NAME)

set(checked 0)
set(rest "${readme}")
while(TRUE)
  # The next fenced block with a language: ```cpp or ```cmake at a line start.
  string(REGEX MATCH "(<!-- snippet: [^ \n]+ -->\n)?```(cpp|cmake)\n" fence "${rest}")
  if(fence STREQUAL "")
    break()
  endif()
  set(language "${CMAKE_MATCH_2}")
  string(FIND "${rest}" "${fence}" at)
  string(LENGTH "${fence}" fence_length)
  math(EXPR body_at "${at} + ${fence_length}")
  string(SUBSTRING "${rest}" ${body_at} -1 rest)
  string(FIND "${rest}" "```" end)
  if(end EQUAL -1)
    message(FATAL_ERROR "${readme_name}: a ```${language} block is not closed")
  endif()
  string(SUBSTRING "${rest}" 0 ${end} shown)
  math(EXPR end "${end} + 3")
  string(SUBSTRING "${rest}" ${end} -1 rest)

  if(NOT fence MATCHES "^<!-- snippet: ([^ \n]+) -->")
    string(REGEX REPLACE "\n.*" "" first_line "${shown}")
    message(FATAL_ERROR "${readme_name}: the ```${language} block starting '${first_line}' has no "
        "<!-- snippet: path --> line before it; every C++ and CMake block must be compiled by the build")
  endif()
  set(path "${CMAKE_MATCH_1}")
  if(NOT EXISTS "${SOURCE_DIR}/${path}")
    message(FATAL_ERROR "${readme_name}: snippet file ${path} does not exist")
  endif()
  file(READ "${SOURCE_DIR}/${path}" source)

  if(language STREQUAL "cpp")
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
      message(FATAL_ERROR "${readme_name}'s snippet of ${path} differs from the compiled file; copy it over")
    endif()
  else()
    if(NOT path MATCHES "^tests/package/.+/CMakeLists\\.txt$")
      message(FATAL_ERROR "${readme_name}: a ```cmake block must point at a consumer fixture "
          "tests/package/<way>/CMakeLists.txt, not ${path}")
    endif()
    string(FIND "${source}" "${shown}" found)
    if(found EQUAL -1)
      message(FATAL_ERROR "${readme_name}'s CMake block for ${path} does not appear verbatim in that "
          "fixture; copy it over:\n${shown}")
    endif()
  endif()
  message(STATUS "${readme_name}: ```${language} block matches ${path}")
  math(EXPR checked "${checked} + 1")
endwhile()

if(checked EQUAL 0)
  message(FATAL_ERROR "${readme_name} has no <!-- snippet: ... --> code block")
endif()
message(STATUS "${readme_name}: ${checked} code blocks checked")
