# Every header compiles on its own: one translation unit per header holding
# only its #include, compiled with its target's usage requirements. Target
# `tunekit_header_checks` (the tests depend on it; `cmake --build --preset
# verify-headers` builds it alone).
#
# CMake's VERIFY_INTERFACE_HEADER_SETS did this until the checks were a fifth
# of CI's build (164 translation units, ~620 s of CPU, almost all of it
# parsing Eigen, nlohmann::json and the standard library again). These checks
# leave out the umbrella headers (below), and can leave out the detail/
# headers (TUNEKIT_VERIFY_DETAIL_HEADERS=OFF, the `ci` preset): users do not
# include detail/ headers, and every one is compiled inside the public header
# that includes it, which is checked; what CI loses is only the check that a
# detail/ header includes everything it uses itself.
#
#   tunekit_add_header_checks(<target>)   checks <target>'s HEADERS file set
option(TUNEKIT_VERIFY_DETAIL_HEADERS
    "Also compile each detail/ header on its own (see TUNEKIT_VERIFY_HEADERS)" ON)

if(NOT TARGET tunekit_header_checks)
  add_custom_target(tunekit_header_checks)
endif()

function(tunekit_add_header_checks target)
  get_target_property(_headers ${target} HEADER_SET)
  set(_sources "")
  foreach(_header IN LISTS _headers)
    cmake_path(ABSOLUTE_PATH _header BASE_DIRECTORY "${PROJECT_SOURCE_DIR}")
    cmake_path(RELATIVE_PATH _header BASE_DIRECTORY "${PROJECT_SOURCE_DIR}/include" OUTPUT_VARIABLE _include)
    if(NOT TUNEKIT_VERIFY_DETAIL_HEADERS AND _include MATCHES "(^|/)detail/")
      continue()
    endif()
    # An umbrella header (tunekit.hpp, samplers.hpp, ...: nothing but
    # #include lines) is not checked: each header it includes is, and the
    # tests' precompiled header and the examples include the umbrellas first.
    file(STRINGS "${_header}" _code REGEX "^[ \t]*[^ \t#/]")
    if(NOT _code)
      continue()
    endif()
    set(_source "${PROJECT_BINARY_DIR}/header_checks/${_include}.cpp")
    file(CONFIGURE OUTPUT "${_source}" CONTENT "#include <${_include}>\n")
    list(APPEND _sources "${_source}")
  endforeach()
  if(_sources)
    add_library(${target}_header_check_objects OBJECT EXCLUDE_FROM_ALL ${_sources})
    target_link_libraries(${target}_header_check_objects PRIVATE ${target})
    add_dependencies(tunekit_header_checks ${target}_header_check_objects)
  endif()
endfunction()
