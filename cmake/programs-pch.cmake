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

# The first program that asks precompiles the header for all of them (an
# owner of its own would cost an empty translation unit, ~6 s with the header).
function(tunekit_share_programs_pch)
  if(NOT TUNEKIT_PROGRAMS_PCH OR NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    return()
  endif()
  get_property(_owner GLOBAL PROPERTY TUNEKIT_PROGRAMS_PCH_OWNER)
  foreach(_target IN LISTS ARGN)
    if(NOT _owner)
      set(_owner ${_target})
      set_property(GLOBAL PROPERTY TUNEKIT_PROGRAMS_PCH_OWNER ${_owner})
      target_precompile_headers(${_target} PRIVATE <tunekit/tunekit.hpp>)
    else()
      target_precompile_headers(${_target} REUSE_FROM ${_owner})
    endif()
  endforeach()
endfunction()
