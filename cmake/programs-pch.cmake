# A precompiled <tunekit/tunekit.hpp> shared by tunekit's own optimised
# programs (examples, the interop, report and deploy test programs), when
# TUNEKIT_PROGRAMS_PCH is ON (the `ci` preset). Each of those programs parses
# the whole umbrella header again: ~10-13 s of CPU of its 20-45 s at -O1
# (quickstart: 42 s without, 29 s with; the header costs 26 s once).
#
# It is a CI speed-up only. Users compile the examples without it, and the
# `release` preset builds them without it, so an example that forgets an
# #include still fails there.
#
# A program can share it only if every macro that tunekit.hpp's headers test
# is defined as it was for the header: TUNEKIT_HAS_SQLITE and
# TUNEKIT_HAS_POSTGRES are (storage/url.hpp), so programs that link
# tunekit::sqlite or tunekit::postgres keep parsing it themselves. GCC checks
# this and refuses a stale header; -Winvalid-pch with -Werror makes that a
# build error, never a silent fallback.
#
#   tunekit_share_programs_pch(<target>...)

option(TUNEKIT_PROGRAMS_PCH
    "Share one precompiled <tunekit/tunekit.hpp> among tunekit's optimised programs (CI speed-up)" OFF)

function(tunekit_share_programs_pch)
  if(NOT TUNEKIT_PROGRAMS_PCH OR NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    return()
  endif()
  if(NOT TARGET tunekit_programs_pch)
    set(_source "${PROJECT_BINARY_DIR}/tunekit_programs_pch.cpp")
    if(NOT EXISTS "${_source}")
      file(WRITE "${_source}" "// The source of tunekit_programs_pch (cmake/programs-pch.cmake).\n")
    endif()
    add_library(tunekit_programs_pch OBJECT "${_source}")
    target_link_libraries(tunekit_programs_pch PRIVATE tunekit::tunekit tunekit_dev_flags)
    target_precompile_headers(tunekit_programs_pch PRIVATE <tunekit/tunekit.hpp>)
  endif()
  foreach(_target IN LISTS ARGN)
    target_precompile_headers(${_target} REUSE_FROM tunekit_programs_pch)
  endforeach()
endfunction()
