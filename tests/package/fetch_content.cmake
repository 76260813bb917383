# package.fetch_content: builds README.md's FetchContent block as written.
#
# tests/package/fetch_content/CMakeLists.txt holds README.md's block verbatim
# (readme.snippets checks that). This script
#   1. makes a bare git repository whose `main` is the checkout's HEAD commit
#      (what is committed, not the working tree: a clone sees commits only),
#   2. stages the fixture with only the placeholder <tunekit-git-url> replaced
#      by that repository's file:// URL,
#   3. configures and builds it from scratch and runs its tests (the program,
#      `tunekit --help`, and `--help` of every command the docs name).
# Prints "tunekit-skip:" (the test's SKIP_REGULAR_EXPRESSION) when the source
# directory is not a git checkout with a commit.
#
#   cmake -DSOURCE_DIR=<checkout> -DWORK_DIR=<dir> -DGENERATOR=<gen> -DCONFIG=<build type>
#         [-DMAKE_PROGRAM=<make>] [-DCXX_COMPILER=<c++>] [-DCONFIG_FLAGS=-DCMAKE_CXX_FLAGS_<CONFIG>=<flags>]
#         [-DLAUNCHER=<a|b|c: launcher, |-separated>]
#         -P fetch_content.cmake
foreach(var IN ITEMS SOURCE_DIR WORK_DIR GENERATOR CONFIG)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "fetch_content.cmake: -D${var}=... is required")
  endif()
endforeach()

find_package(Git QUIET)
if(NOT GIT_EXECUTABLE)
  message("tunekit-skip: git is not installed")
  return()
endif()
# safe.directory: the checkout may belong to another user than the one running the tests.
set(git "${GIT_EXECUTABLE}" -c "safe.directory=*")
execute_process(COMMAND ${git} -C "${SOURCE_DIR}" rev-parse --verify "HEAD^{commit}"
    OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
if(NOT rc EQUAL 0)
  message("tunekit-skip: ${SOURCE_DIR} is not a git checkout with a commit")
  return()
endif()

# 1. A bare repository with `main` at HEAD. A local clone hard-links the
#    objects, so HEAD's commit is there whichever branch is checked out.
set(repo "${WORK_DIR}/tunekit.git")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " shown "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${shown}")
  endif()
endfunction()
run(${git} clone --quiet --bare --no-tags "${SOURCE_DIR}" "${repo}")
run(${git} -C "${repo}" update-ref refs/heads/main "${head}")
run(${git} -C "${repo}" symbolic-ref HEAD refs/heads/main)
message(STATUS "tunekit under test: ${head}, as branch main of file://${repo}")

# 2. The fixture, with only the repository URL substituted.
set(fixture "${SOURCE_DIR}/tests/package/fetch_content/CMakeLists.txt")
file(READ "${fixture}" text)
string(FIND "${text}" "<tunekit-git-url>" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${fixture} has no <tunekit-git-url> placeholder")
endif()
string(REPLACE "<tunekit-git-url>" "file://${repo}" text "${text}")
file(WRITE "${WORK_DIR}/src/CMakeLists.txt" "${text}")
configure_file("${SOURCE_DIR}/tests/package/consumer.cpp" "${WORK_DIR}/consumer.cpp" COPYONLY)

# 3. Configure, build, test: a fresh build directory each time, so FetchContent clones again.
set(options -G "${GENERATOR}" "-DCMAKE_BUILD_TYPE=${CONFIG}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(MAKE_PROGRAM)
  list(APPEND options "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(CXX_COMPILER)
  list(APPEND options "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
if(CONFIG_FLAGS)  # -DCMAKE_CXX_FLAGS_<CONFIG>=... of the build under test
  list(APPEND options "${CONFIG_FLAGS}")
endif()
if(LAUNCHER)  # a list: through an initial-cache file rather than a -D with semicolons
  string(REPLACE "|" ";" LAUNCHER "${LAUNCHER}")
  file(WRITE "${WORK_DIR}/init.cmake" "set(CMAKE_CXX_COMPILER_LAUNCHER \"${LAUNCHER}\" CACHE STRING \"\")\n")
  list(APPEND options -C "${WORK_DIR}/init.cmake")
endif()
run("${CMAKE_COMMAND}" -S "${WORK_DIR}/src" -B "${WORK_DIR}/build" ${options})
run("${CMAKE_COMMAND}" --build "${WORK_DIR}/build" --config "${CONFIG}")
run("${CMAKE_CTEST_COMMAND}" --test-dir "${WORK_DIR}/build" -C "${CONFIG}" --output-on-failure)
